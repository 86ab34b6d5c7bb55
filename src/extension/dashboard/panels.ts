// What the dashboard loads on its first panel (index.ts imports it lazily): the panel classes,
// their HTML, and the validators of webview state.
export { ComparePanel, type GroupRef } from './comparePanel';
export { DashboardPanel } from './dashboardPanel';
export type { RunRef } from './snapshotPanel';
export { missingHtml, webviewOptions } from './html';
export { checkPanelState } from '../../protocol/validate';
