// The host side of "which images are these?": one page of the test images behind a confusion
// cell (or a class's mistakes, or the images wrongly predicted as a class), from the eval
// file's per-image predictions and the run's own test set (src/data/testImages.ts). The webview
// gets pixels and class indices, never a path; each thumbnail is at most THUMBNAIL_MAX_BYTES.
// No `vscode` here, so a unit test runs it as the panel does.
import { gpacoConfig } from '../../core/contract';
import { decodePredictions, selectImages } from '../../core/evalEncoding';
import { readEvalFile, readRunManifest } from '../../core/runDirectory';
import {
  IMAGES_PAGE_SIZE,
  THUMBNAIL_MAX_BYTES,
  type ImageSelectionMessage,
  type ImagesMessage,
  type Thumbnail,
} from '../../protocol/messages';
import type { TestImageSet } from '../../data/testImages';

/** Keeps the opened test set of one run between pages (listing a folder of 50,000 files is not free). */
export class TestImageCache {
  private opened: { key: string; set: Promise<TestImageSet> } | null = null;

  async get(runDir: string, configKey: string, open: () => Promise<TestImageSet>): Promise<TestImageSet> {
    const key = `${runDir}\n${configKey}`;
    if (this.opened?.key !== key) this.opened = { key, set: open() };
    try {
      return await this.opened.set;
    } catch (err) {
      this.opened = null; // a failed open is retried on the next request
      throw err;
    }
  }
}

/** Nearest-neighbour shrink so the longer side is at most `max` (thumbnails only). */
function shrink(pixels: Uint8Array, w: number, h: number, c: number, limit: number): { pixels: Uint8Array; width: number; height: number } {
  if (w * h * c <= limit) return { pixels, width: w, height: h };
  const scale = Math.sqrt(limit / (w * h * c));
  const nw = Math.max(1, Math.floor(w * scale));
  const nh = Math.max(1, Math.floor(h * scale));
  const out = new Uint8Array(nw * nh * c);
  for (let y = 0; y < nh; y++) {
    const sy = Math.min(h - 1, Math.floor((y * h) / nh));
    for (let x = 0; x < nw; x++) {
      const sx = Math.min(w - 1, Math.floor((x * w) / nw));
      for (let k = 0; k < c; k++) out[(y * nw + x) * c + k] = pixels[(sy * w + sx) * c + k]!;
    }
  }
  return { pixels: out, width: nw, height: nh };
}

export async function imagesPage(
  runDir: string,
  tag: string,
  selection: ImageSelectionMessage,
  page: number,
  cache: TestImageCache,
): Promise<ImagesMessage> {
  const base = { type: 'images', tag, selection, page, total: 0, pageSize: IMAGES_PAGE_SIZE, items: [] as Thumbnail[] } as const;
  const fail = (error: string): ImagesMessage => ({ ...base, items: [], error });
  let ev;
  try {
    ev = readEvalFile(runDir, tag);
  } catch (err) {
    return fail((err as Error).message);
  }
  const c = ev.confusion.classes;
  const classes = selection.kind === 'cell' ? [selection.true, selection.pred] : [selection.cls];
  if (classes.some((k) => k >= c)) return fail(`class ${Math.max(...classes)} is outside 0..${c - 1}`);
  if (!ev.predictions) {
    return fail(
      `Evaluation ${tag} has no per-image predictions (written before eval files recorded them, or by a trainer that does not), so its images cannot be shown.`,
    );
  }
  const pred = decodePredictions(ev.predictions, c);
  const all = selectImages(pred, selection);
  const indices = all.slice(page * IMAGES_PAGE_SIZE, (page + 1) * IMAGES_PAGE_SIZE);
  const result: ImagesMessage = { ...base, total: all.length, items: [] };
  if (indices.length === 0) return result;
  const config = gpacoConfig(readRunManifest(runDir));
  if (!config) return { ...result, error: 'This run was not trained from a GPaCo Lab data config, so its test images cannot be read.' };
  let set: TestImageSet;
  try {
    const { openTestImages } = await import('../../data/testImages');
    set = await cache.get(runDir, JSON.stringify(config.data), () => openTestImages(config, runDir));
  } catch (err) {
    return { ...result, error: `The run's test images cannot be read: ${(err as Error).message}` };
  }
  if (set.count !== pred.n) {
    return {
      ...result,
      error: `The test set on disk has ${set.count} images but ${tag} evaluated ${pred.n}: the data changed since, so the images would not match.`,
    };
  }
  const images = await set.read(indices);
  result.items = images.map((im) => {
    const t = pred.true[im.index]!;
    const p = pred.top1[im.index]!;
    const head = { index: im.index, true: t, pred: p, channels: set.channels };
    if (!im.pixels) return { ...head, width: set.width, height: set.height, pixels: null, error: im.error ?? 'not readable' };
    if (im.label !== t)
      return {
        ...head,
        width: set.width,
        height: set.height,
        pixels: null,
        error: `the image on disk has label ${im.label}, the evaluation says ${t}`,
      };
    const small = shrink(im.pixels, set.width, set.height, set.channels, THUMBNAIL_MAX_BYTES);
    return { ...head, width: small.width, height: small.height, pixels: Buffer.from(small.pixels).toString('base64') };
  });
  return result;
}
