// The HTML of a dashboard webview: the shared page with the bundle loaded from the extension's
// dist/webview folder, a strict CSP with a fresh nonce, and the boot data.
import * as vscode from 'vscode';
import { dashboardPage, makeNonce, webviewCsp } from '../../core/dashboardHtml';

/** Webviews may load only the bundle and the media folder (localResourceRoots). */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')],
    enableFindWidget: true,
  };
}

export function panelHtml(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  title: string,
  boot: unknown,
  bundle: 'dashboard.js' | 'experiments.js' = 'dashboard.js',
): string {
  const nonce = makeNonce();
  return dashboardPage({
    title,
    boot,
    nonce,
    csp: webviewCsp(webview.cspSource, nonce),
    script: { src: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', bundle)).toString() },
  });
}

/** What a restored panel shows when its run is gone. */
export function missingHtml(message: string): string {
  const nonce = makeNonce();
  return dashboardPage({
    title: 'GPaCo Lab',
    boot: { panel: 'missing' },
    nonce,
    csp: "default-src 'none'",
    script: { inline: '' },
  }).replace('<main id="app"></main>', `<main id="app"><p>${message.replace(/[<>&]/g, (c) => `&#${c.charCodeAt(0)};`)}</p></main>`);
}
