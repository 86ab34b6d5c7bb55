// The groups section of `gpaco report --group-by-config`: a table of groups (mean ± sample std
// (n) of every metric) and, per metric, one chart with each group's mean curve and its ± std
// (or min-max) band. Static HTML and SVG built here, so a report needs no script for it; every
// text from a workspace (labels are config values) is escaped.
import { groupCurve, type BandCurve } from './curves';
import type { Stats } from './stats';
import { METRIC_KEYS, METRIC_LABELS, describeValueMode, type ExperimentGroup, type MetricKey, type ValueMode } from './table';

export type BandKind = 'std' | 'minmax';

export interface GroupsSectionOptions {
  mode: ValueMode;
  /** Config keys allowed to differ inside a group (stated under the table). */
  except: readonly string[];
  /** Metrics drawn as band charts (default top-1 and few). */
  charts?: readonly MetricKey[];
  band?: BandKind;
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Distinct colours for up to 10 groups, then repeated (Tableau 10). */
export const GROUP_COLOURS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

function statsCell(st: Stats | undefined): string {
  if (!st) return '–';
  const mean = (st.mean * 100).toFixed(1);
  return st.std === null ? `${mean} <small>(${st.n})</small>` : `${mean} ± ${(st.std * 100).toFixed(1)} <small>(${st.n})</small>`;
}

const W = 640;
const H = 260;
const PAD = { left: 44, right: 12, top: 12, bottom: 30 };

/** One metric's chart: a band polygon and a mean polyline per group (`data-group` = its index). */
export function bandChartSvg(curves: readonly BandCurve[], metric: MetricKey, band: BandKind): string {
  const all = curves.flatMap((c) => c.epochs);
  if (all.length === 0) return `<p class="gpaco-groups-empty">no evaluations to draw for ${METRIC_LABELS[metric]}</p>`;
  const lo = (c: BandCurve, i: number) => (band === 'std' ? c.mean[i]! - (c.std[i] ?? 0) : c.min[i]!);
  const hi = (c: BandCurve, i: number) => (band === 'std' ? c.mean[i]! + (c.std[i] ?? 0) : c.max[i]!);
  const e0 = Math.min(...all);
  const e1 = Math.max(...all);
  let y0 = Math.min(...curves.flatMap((c) => c.epochs.map((_, i) => lo(c, i))));
  let y1 = Math.max(...curves.flatMap((c) => c.epochs.map((_, i) => hi(c, i))));
  y0 = Math.max(0, Math.floor(y0 * 20) / 20);
  y1 = Math.min(1, Math.ceil(y1 * 20) / 20);
  if (y1 <= y0) y1 = Math.min(1, y0 + 0.05);
  const x = (e: number) => PAD.left + (e1 === e0 ? 0.5 : (e - e0) / (e1 - e0)) * (W - PAD.left - PAD.right);
  const y = (v: number) => PAD.top + (1 - (v - y0) / (y1 - y0)) * (H - PAD.top - PAD.bottom);
  const f = (n: number) => n.toFixed(1);
  const parts: string[] = [];
  for (let t = 0; t <= 4; t++) {
    const v = y0 + ((y1 - y0) * t) / 4;
    parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${f(y(v))}" y2="${f(y(v))}" stroke="#8884" />`);
    parts.push(
      `<text x="${PAD.left - 4}" y="${f(y(v) + 4)}" text-anchor="end" font-size="11" fill="currentColor">${(v * 100).toFixed(0)}</text>`,
    );
  }
  parts.push(`<text x="${PAD.left}" y="${H - 8}" font-size="11" fill="currentColor">epoch ${e0}</text>`);
  parts.push(`<text x="${W - PAD.right}" y="${H - 8}" text-anchor="end" font-size="11" fill="currentColor">epoch ${e1}</text>`);
  curves.forEach((c, g) => {
    if (c.epochs.length === 0) return;
    const colour = GROUP_COLOURS[g % GROUP_COLOURS.length]!;
    const upper = c.epochs.map((e, i) => `${f(x(e))},${f(y(hi(c, i)))}`);
    const lower = c.epochs.map((e, i) => `${f(x(e))},${f(y(lo(c, i)))}`).reverse();
    parts.push(
      `<polygon class="gpaco-band" data-group="${g}" points="${[...upper, ...lower].join(' ')}" fill="${colour}" fill-opacity="0.2" stroke="none" />`,
    );
    const mean = c.epochs.map((e, i) => `${f(x(e))},${f(y(c.mean[i]!))}`).join(' ');
    parts.push(`<polyline class="gpaco-mean" data-group="${g}" points="${mean}" fill="none" stroke="${colour}" stroke-width="2" />`);
  });
  return `<svg class="gpaco-band-chart" data-metric="${metric}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${METRIC_LABELS[metric]}: mean and ${band === 'std' ? '± std' : 'min-max'} band of each group">${parts.join('')}</svg>`;
}

/** The section's HTML: the groups table, notes on groups kept apart, and one band chart per metric. */
export function groupsSectionHtml(groups: readonly ExperimentGroup[], options: GroupsSectionOptions): string {
  const band = options.band ?? 'std';
  const charts = options.charts ?? ['top1', 'few'];
  const mode = describeValueMode(options.mode);
  const head = ['', 'group', 'runs', 'classes', ...METRIC_KEYS.map((k) => `${METRIC_LABELS[k]} (${mode})`)]
    .map((h) => `<th>${escapeHtml(h)}</th>`)
    .join('');
  const rows = groups
    .map((g, i) => {
      const swatch = `<span class="gpaco-swatch" data-group="${i}"><svg width="12" height="12"><rect width="12" height="12" fill="${GROUP_COLOURS[i % GROUP_COLOURS.length]}" /></svg></span>`;
      const members = g.members.map((m) => m.summary.name).join(', ');
      const cells = METRIC_KEYS.map((k) => `<td class="num">${statsCell(g.metrics[k])}</td>`).join('');
      return `<tr data-group="${i}"><td>${swatch}</td><td title="${escapeHtml(members)}">${escapeHtml(g.label)}</td><td class="num">${g.n}</td><td class="num">${g.classes ?? '?'}</td>${cells}</tr>`;
    })
    .join('\n');
  const apart = groups.filter((g) => g.apart).map((g) => `<li>${escapeHtml(g.label)}: ${escapeHtml(g.apart!)}</li>`);
  const svgs = charts.map((m) => {
    const curves = groups.map((g) =>
      groupCurve(
        g.members.map((r) => r.summary),
        m,
      ),
    );
    return `<figure><figcaption>${escapeHtml(METRIC_LABELS[m])} by epoch: mean of each group with its ${band === 'std' ? '± sample std' : 'min–max'} band</figcaption>${bandChartSvg(curves, m, band)}</figure>`;
  });
  return `<section class="gpaco-groups" aria-label="groups">
<h2>Groups: runs with equal configs except ${escapeHtml(options.except.join(', ') || 'nothing')}</h2>
<p>Accuracy in %, mean ± sample standard deviation (n runs with a value), at the ${escapeHtml(mode)} evaluation. Runs with different numbers of classes are never in one group.</p>
<table class="gpaco-groups-table"><thead><tr>${head}</tr></thead><tbody>
${rows}
</tbody></table>
${apart.length ? `<ul class="gpaco-groups-apart">${apart.join('')}</ul>` : ''}
${svgs.join('\n')}
</section>`;
}

/** Styles of the section (inlined with the page's nonce). */
export const GROUPS_SECTION_CSS = `
.gpaco-groups { font: 13px system-ui, sans-serif; padding: 12px 16px; }
.gpaco-groups table { border-collapse: collapse; margin: 8px 0; }
.gpaco-groups th, .gpaco-groups td { padding: 3px 8px; border-bottom: 1px solid #8884; text-align: left; }
.gpaco-groups td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.gpaco-groups small { opacity: 0.7; }
.gpaco-groups figure { margin: 12px 0; }
.gpaco-groups figcaption { margin-bottom: 4px; }
`;
