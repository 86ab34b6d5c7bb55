// Reading a compare chart's group bands from a UI test (the compare panel in code-server and the
// report in Chromium alike): what the chart says it drew (`data-bands`, `data-plot`) and whether
// the canvas holds the band's fill between a group's mean line and its upper edge.
import assert from 'node:assert/strict';
import type { Locator } from 'playwright-core';
import { pollUntil } from '../../../test/shared/poll';
import type { ElementLike } from './matrixProbe';

interface CanvasLike extends ElementLike {
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } };
}

/** One group's band as the chart drew it (`data-bands` of the chart's figure). */
export interface DrawnBand {
  key: string;
  color: string;
  epochs: number[];
  mean: number[];
  upper: number[];
  lower: number[];
}

interface PlotBox {
  left: number;
  top: number;
  width: number;
  height: number;
  ratio: number;
  x: [number, number];
  y: [number, number];
}

/** The figure of the compare chart titled `title` (e.g. 'Training loss', 'Test accuracy'). */
export function chartFigure(root: Locator, title: string): Locator {
  return root.locator(`figure.chart:has(.chart-title:text-is("${title}"))`);
}

/** The bands the chart drew, once it drew `count` of them. */
export async function drawnBands(figure: Locator, count: number): Promise<DrawnBand[]> {
  const text = await pollUntil(
    `${count} band(s)`,
    () => figure.getAttribute('data-bands').then((b) => (b && (JSON.parse(b) as unknown[]).length === count ? b : undefined)),
    30_000,
    100,
  );
  return JSON.parse(text) as DrawnBand[];
}

async function pixel(figure: Locator, x: number, y: number): Promise<number[]> {
  return figure
    .locator('.plot canvas')
    .first()
    .evaluate(
      (el, p) => Array.from((el as unknown as CanvasLike).getContext('2d').getImageData(Math.round(p.x), Math.round(p.y), 1, 1).data),
      { x, y },
    );
}

/**
 * Asserts the canvas is filled between the band's mean and upper edge where that gap is widest
 * (at least 4 px tall there), with more ink than just outside the band (4 px above its upper
 * edge, or below its lower edge when the upper one is at the plot's top). For a chart whose
 * bands do not overlap. Returns the pixels.
 */
export async function assertBandFilled(figure: Locator, band: DrawnBand, what: string): Promise<{ inside: number[]; outside: number[] }> {
  let k = 0;
  band.epochs.forEach((_e, i) => {
    if (band.upper[i]! - band.mean[i]! > band.upper[k]! - band.mean[k]!) k = i;
  });
  const plot = JSON.parse((await figure.getAttribute('data-plot'))!) as PlotBox;
  const px = plot.left + ((band.epochs[k]! - plot.x[0]) / (plot.x[1] - plot.x[0])) * plot.width;
  const py = (v: number) => plot.top + (1 - (v - plot.y[0]) / (plot.y[1] - plot.y[0])) * plot.height;
  const tall = py(band.mean[k]!) - py(band.upper[k]!);
  assert.ok(tall >= 4, `${what}: the band is at least 4 px tall at epoch ${band.epochs[k]} (${tall.toFixed(1)})`);
  const yMid = py(band.upper[k]!) + tall * 0.35;
  const inside = await pixel(figure, px * plot.ratio, yMid * plot.ratio);
  const above = py(band.upper[k]!) - 4;
  const beyond = above > plot.top + 1 ? above : py(band.lower[k]!) + 4;
  assert.ok(beyond < plot.top + plot.height - 1, `${what}: room outside the band at epoch ${band.epochs[k]}`);
  const outside = await pixel(figure, px * plot.ratio, beyond * plot.ratio);
  assert.ok(inside[3]! > 20, `${what}: band filled at (${px.toFixed(0)}, ${yMid.toFixed(0)}): ${inside.join(',')}`);
  assert.ok(inside[3]! > outside[3]!, `${what}: more ink inside the band than above it (${inside.join(',')} vs ${outside.join(',')})`);
  return { inside, outside };
}
