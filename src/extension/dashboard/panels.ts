// What the dashboard loads on its first panel (index.ts imports it lazily): the panel classes,
// their HTML, and the validators of webview state.
export { ComparePanel } from './comparePanel';
export { DashboardPanel, type RunRef } from './dashboardPanel';
export { missingHtml, webviewOptions } from './html';
export { checkPanelState } from '../../protocol/validate';
