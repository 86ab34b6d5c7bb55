// Entry of the Experiments panel's bundle (dist/webview/experiments.js): mounts the table,
// forwards user actions to the host and applies its snapshots.
import type { ExperimentsHostMessage, ExperimentsView, ExperimentsWebviewMessage } from '../../src/protocol/experiments';
import { DEFAULT_EXPERIMENTS_VIEW } from '../../src/protocol/experiments';
import { h } from './dom';
import { ExperimentsTable } from './experiments/tableView';
import css from './styles.css';
import { onThemeChange, readTheme } from './theme';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare const acquireVsCodeApi: () => VsCodeApi;

function main(): void {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  const api = acquireVsCodeApi();
  const post = (m: ExperimentsWebviewMessage) => api.postMessage(m);
  const root = document.getElementById('app') ?? document.body.appendChild(h('main', { id: 'app' }));
  const bootEl = document.getElementById('gpaco-boot');
  const boot = JSON.parse(bootEl?.textContent ?? '{}') as { panel?: string; view?: ExperimentsView };
  const notice = h('div', { class: 'notice', role: 'status', hidden: true });
  let noticeTimer: number | undefined;
  const notify = (level: 'info' | 'error', text: string) => {
    notice.hidden = false;
    notice.dataset.level = level;
    notice.textContent = text;
    window.clearTimeout(noticeTimer);
    noticeTimer = window.setTimeout(() => (notice.hidden = true), level === 'error' ? 15000 : 6000);
  };
  const table = new ExperimentsTable(
    readTheme(),
    {
      viewChanged: (view, seq) => post({ type: 'view', view, seq }),
      compare: (items, band) => post({ type: 'compare', items, band }),
      editTags: (runIds) => post({ type: 'editTags', runIds }),
      editNote: (runId) => post({ type: 'editNote', runId }),
      open: (runId) => post({ type: 'open', runId }),
      exportCsv: () => post({ type: 'exportCsv' }),
    },
    boot.view ?? DEFAULT_EXPERIMENTS_VIEW,
  );
  root.append(notice, table.element);
  document.body.classList.add('experiments-page');
  onThemeChange(() => table.setTheme(readTheme()));
  window.addEventListener('message', (ev: MessageEvent<ExperimentsHostMessage>) => {
    const m = ev.data;
    if (typeof m !== 'object' || m === null) return;
    if (m.type === 'snapshot' && m.snapshot?.kind === 'experiments') {
      const t0 = performance.now();
      table.apply(m.snapshot);
      // First paint after this snapshot: the next frame after layout (read by tests and the benchmark).
      requestAnimationFrame(() => {
        document.body.dataset.paintMs = (performance.now() - t0).toFixed(2);
        document.body.dataset.state = 'ready';
        document.body.dataset.revision = m.snapshot.builtAt;
      });
    } else if (m.type === 'update') {
      table.applyUpdate(m.update);
      requestAnimationFrame(() => (document.body.dataset.revision = m.update.builtAt));
    } else if (m.type === 'notice') notify(m.level, m.text);
  });
  // The serializer brings the panel back after a reload; the view itself lives in workspaceState.
  api.setState({ panel: 'experiments' });
  post({ type: 'ready' });
}

try {
  main();
} catch (err) {
  document.body.append(`The experiments table could not start: ${(err as Error).message}`);
}
