// Entry of the dashboard bundle (dist/webview/dashboard.js). One bundle serves three pages:
// the run panel and the compare panel inside VS Code, and the self-contained `gpaco report`
// file. The page says which in <script type="application/json" id="gpaco-boot">.
import uplotCss from 'uplot/dist/uPlot.min.css';
import type { CompareHostMessage, PanelState, RunHostMessage } from '../../src/protocol/messages';
import type { CompareSnapshot, ReportData, RunSnapshot } from '../../src/protocol/snapshot';
import { h } from './dom';
import { connect, type HostLink } from './link';
import css from './styles.css';
import { onThemeChange, readTheme } from './theme';
import { CompareView } from './views/compareView';
import { RunView, type RunViewState } from './views/runView';

type Boot =
  | { panel: 'run'; runId: string }
  | { panel: 'compare'; runIds: string[]; groups?: { label: string; runIds: string[] }[]; band?: 'std' | 'minmax' }
  | { panel: 'report' };

function readJson<T>(id: string): T {
  const el = document.getElementById(id);
  if (!el?.textContent) throw new Error(`the page has no #${id}`);
  return JSON.parse(el.textContent) as T;
}

function adoptStyles(): void {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(`${uplotCss}\n${css}`);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}

function noticeArea(): (level: 'info' | 'error', text: string) => void {
  const el = h('div', { class: 'notice', role: 'status', hidden: true });
  document.body.prepend(el);
  let timer: number | undefined;
  return (level, text) => {
    el.hidden = false;
    el.dataset.level = level;
    el.textContent = text;
    window.clearTimeout(timer);
    timer = window.setTimeout(() => (el.hidden = true), level === 'error' ? 15000 : 6000);
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function mountRun(link: HostLink, boot: { runId: string }, root: HTMLElement): void {
  const saved = link.getState() as (Partial<PanelState> & { view?: RunViewState }) | undefined;
  let tag: string | null = saved?.panel === 'run' ? (saved.tag ?? null) : null;
  const save = (view: RunViewState) => link.setState({ panel: 'run', runId: boot.runId, tag, view } satisfies PanelState);
  let viewState: RunViewState = saved?.view ?? { values: 'row', log: false };
  const notify = noticeArea();
  const view = new RunView(
    readTheme(),
    {
      interactive: true,
      select: (t) => {
        tag = t;
        save(viewState);
        link.post({ type: 'select', runId: boot.runId, tag: t });
      },
      stop: () => link.post({ type: 'stop', runId: boot.runId }),
      resume: () => link.post({ type: 'resume', runId: boot.runId }),
      evaluate: (t) => link.post({ type: 'evaluate', runId: boot.runId, tag: t }),
      exportFile: (format, fileName, data) => link.post({ type: 'export', format, fileName, data }),
      viewChanged: (v) => save((viewState = v)),
      images: (t, selection, page) => link.post({ type: 'images', runId: boot.runId, tag: t, selection, page }),
    },
    viewState,
  );
  root.append(view.element);
  onThemeChange(() => view.setTheme(readTheme()));
  window.addEventListener('message', (ev: MessageEvent<RunHostMessage>) => {
    const m = ev.data;
    if (!isObject(m)) return;
    if (m.type === 'snapshot' && isObject(m.snapshot) && m.snapshot.kind === 'run') {
      tag = m.snapshot.pinned ? m.snapshot.selectedTag : null;
      view.apply(m.snapshot);
      save(viewState);
      document.body.dataset.state = 'ready';
    } else if (m.type === 'images' && isObject(m.selection)) view.applyImages(m);
    else if (m.type === 'notice') notify(m.level, m.text);
  });
  save(viewState);
  link.post({ type: 'ready' });
}

function mountCompare(link: HostLink, boot: Extract<Boot, { panel: 'compare' }>, root: HTMLElement): void {
  const notify = noticeArea();
  const view = new CompareView(readTheme(), {
    exportFile: (format, fileName, data) => link.post({ type: 'export', format, fileName, data }),
  });
  root.append(view.element);
  onThemeChange(() => view.setTheme(readTheme()));
  window.addEventListener('message', (ev: MessageEvent<CompareHostMessage>) => {
    const m = ev.data;
    if (!isObject(m)) return;
    if (m.type === 'snapshot' && isObject(m.snapshot) && m.snapshot.kind === 'compare') {
      view.apply(m.snapshot);
      document.body.dataset.state = 'ready';
    } else if (m.type === 'notice') notify(m.level, m.text);
  });
  link.setState({
    panel: 'compare',
    runIds: boot.runIds,
    ...(boot.groups ? { groups: boot.groups } : {}),
    ...(boot.band ? { band: boot.band } : {}),
  } satisfies PanelState);
  link.post({ type: 'ready' });
}

/** A report: one tab per run (every inlined evaluation selectable) and a compare tab. */
function mountReport(link: HostLink, root: HTMLElement): void {
  const data = readJson<ReportData>('gpaco-data');
  document.title = data.title;
  const tabs = h('vscode-tabs', { 'selected-index': 0 });
  const theme = readTheme();
  const views: { setTheme(t: ReturnType<typeof readTheme>): void }[] = [];
  const exportFile = (format: 'png' | 'csv', fileName: string, d: string) => link.post({ type: 'export', format, fileName, data: d });
  for (const run of data.runs) {
    // Selecting an evaluation in a report swaps in its inlined detail; there is no host to ask.
    const show = (tag: string | null) => {
      const s = run.snapshot;
      const t = tag ?? s.selectedTag;
      view.apply({ ...s, selectedTag: t, pinned: tag !== null, selected: t ? (run.details[t] ?? null) : null } satisfies RunSnapshot);
    };
    const view = new RunView(theme, {
      interactive: false,
      select: show,
      stop: () => {},
      resume: () => {},
      evaluate: () => {},
      exportFile,
      viewChanged: () => {},
    });
    tabs.append(
      h('vscode-tab-header', { slot: 'header', 'data-run': run.snapshot.run.id }, run.snapshot.run.name),
      h('vscode-tab-panel', {}, view.element),
    );
    view.apply(run.snapshot);
    views.push(view);
  }
  if (data.compare) {
    const compare = new CompareView(theme, { exportFile });
    tabs.append(
      h('vscode-tab-header', { slot: 'header', 'data-compare': '' }, data.compare.groups?.length ? 'Compare groups' : 'Compare'),
      h('vscode-tab-panel', {}, compare.element),
    );
    compare.apply(data.compare satisfies CompareSnapshot);
    views.push(compare);
  }
  root.append(
    h('p', { class: 'report-meta' }, `${data.title} · generated ${new Date(data.generatedAt).toLocaleString()} by gpaco report`),
    data.runs.length === 1 && !data.compare
      ? views.length
        ? (tabs.querySelector('vscode-tab-panel')?.firstElementChild ?? tabs)
        : tabs
      : tabs,
  );
  onThemeChange(() => views.forEach((v) => v.setTheme(readTheme())));
  document.body.dataset.state = 'ready';
}

function main(): void {
  adoptStyles();
  const link = connect();
  const root = document.getElementById('app') ?? document.body.appendChild(h('main', { id: 'app' }));
  try {
    const boot = readJson<Boot>('gpaco-boot');
    switch (boot.panel) {
      case 'run':
        return mountRun(link, boot, root);
      case 'compare':
        return mountCompare(link, boot, root);
      case 'report':
        return mountReport(link, root);
    }
  } catch (err) {
    root.append(h('p', { class: 'error' }, `The dashboard could not start: ${(err as Error).message}`));
    link.post({ type: 'log', level: 'error', text: `dashboard start: ${(err as Error).stack ?? String(err)}`.slice(0, 4000) });
  }
}

main();
