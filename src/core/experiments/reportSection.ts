// The groups section of `gpaco report --group-by-config`: a table of every group (mean ± sample
// std (n) of every metric at the chosen value mode: last, best or at an epoch) and the groups
// kept apart because their class counts differ. The curves, bands, last-evaluation statistics and
// summed confusion matrices are the report's Compare tab (the compare panel's own view). Static
// HTML built here, so the table reads without a script; every text from a workspace (labels
// are config values) is escaped.
import type { Stats } from './stats';
import { METRIC_KEYS, METRIC_LABELS, describeValueMode, type ExperimentGroup, type ValueMode } from './table';

export interface GroupsSectionOptions {
  mode: ValueMode;
  /** Config keys allowed to differ inside a group (stated under the table). */
  except: readonly string[];
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function statsCell(st: Stats | undefined): string {
  if (!st) return '–';
  const mean = (st.mean * 100).toFixed(1);
  return st.std === null ? `${mean} <small>(${st.n})</small>` : `${mean} ± ${(st.std * 100).toFixed(1)} <small>(${st.n})</small>`;
}

/** The section's HTML: the groups table and notes on groups kept apart. */
export function groupsSectionHtml(groups: readonly ExperimentGroup[], options: GroupsSectionOptions): string {
  const mode = describeValueMode(options.mode);
  const head = ['group', 'runs', 'classes', ...METRIC_KEYS.map((k) => `${METRIC_LABELS[k]} (${mode})`)]
    .map((h) => `<th>${escapeHtml(h)}</th>`)
    .join('');
  const rows = groups
    .map((g, i) => {
      const members = g.members.map((m) => m.summary.name).join(', ');
      const cells = METRIC_KEYS.map((k) => `<td class="num">${statsCell(g.metrics[k])}</td>`).join('');
      return `<tr data-group="${i}"><td title="${escapeHtml(members)}">${escapeHtml(g.label)}</td><td class="num">${g.n}</td><td class="num">${g.classes ?? '?'}</td>${cells}</tr>`;
    })
    .join('\n');
  const apart = groups.filter((g) => g.apart).map((g) => `<li>${escapeHtml(g.label)}: ${escapeHtml(g.apart!)}</li>`);
  return `<section class="gpaco-groups" aria-label="groups">
<h2>Groups: runs with equal configs except ${escapeHtml(options.except.join(', ') || 'nothing')}</h2>
<p>Accuracy in %, mean ± sample standard deviation (n runs with a value), at the ${escapeHtml(mode)} evaluation. Runs with different numbers of classes are never in one group. The Compare tab draws each group's mean curves with their bands.</p>
<table class="gpaco-groups-table"><thead><tr>${head}</tr></thead><tbody>
${rows}
</tbody></table>
${apart.length ? `<ul class="gpaco-groups-apart">${apart.join('')}</ul>` : ''}
</section>`;
}

/** Styles of the section (inlined with the page's nonce). */
export const GROUPS_SECTION_CSS = `
.gpaco-groups { font: 13px system-ui, sans-serif; padding: 12px 16px; }
.gpaco-groups table { border-collapse: collapse; margin: 8px 0; }
.gpaco-groups th, .gpaco-groups td { padding: 3px 8px; border-bottom: 1px solid #8884; text-align: left; }
.gpaco-groups td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.gpaco-groups small { opacity: 0.7; }
`;
