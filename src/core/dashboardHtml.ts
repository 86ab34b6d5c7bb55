// The dashboard's HTML page, shared by the VS Code panels (script from the extension's files)
// and `gpaco report` (everything inlined into one file). Pure string building, no vscode.
import { randomBytes } from 'node:crypto';

/** A fresh nonce for the Content-Security-Policy of one page. */
export function makeNonce(): string {
  return randomBytes(18).toString('base64');
}

/**
 * JSON safe inside <script type="application/json">: `<` and `>` (so `</script>` or `<!--` in a
 * run name cannot end the element), `&`, and the two line separators JavaScript once disallowed.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export interface DashboardPageOptions {
  title: string;
  /** What the bundle mounts: { panel: 'run' | 'compare' | 'report', ... }. */
  boot: unknown;
  /** Inlined data (the report), read by the bundle from #gpaco-data. */
  data?: unknown;
  nonce: string;
  /** The Content-Security-Policy (a meta tag; webviews and files have no headers). */
  csp: string;
  /** The bundle: a URL (webview) or its text (report). */
  script: { src: string } | { inline: string };
  bodyClass?: string;
  /** Static HTML (built and escaped by our own code) shown above the dashboard, with its styles. */
  prelude?: { html: string; css: string };
}

export function dashboardPage(o: DashboardPageOptions): string {
  const script =
    'src' in o.script
      ? `<script type="module" nonce="${o.nonce}" src="${escapeAttr(o.script.src)}"></script>`
      : // An inlined bundle must not contain "</script" (it would end the element early); in JS
        // "<\/script" means the same inside strings and regular expressions.
        `<script type="module" nonce="${o.nonce}">${o.script.inline.replace(/<\/(script)/gi, '<\\/$1')}</script>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(o.csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeAttr(o.title)}</title>
${o.prelude ? `<style nonce="${o.nonce}">${o.prelude.css.replace(/<\//g, '<\\/')}</style>\n` : ''}</head>
<body${o.bodyClass ? ` class="${escapeAttr(o.bodyClass)}"` : ''}>
${o.prelude ? `${o.prelude.html}\n` : ''}<main id="app"></main>
<script type="application/json" id="gpaco-boot">${jsonForScript(o.boot)}</script>
${o.data === undefined ? '' : `<script type="application/json" id="gpaco-data">${jsonForScript(o.data)}</script>\n`}${script}
</body>
</html>
`;
}

/** CSP of a webview panel: only the extension's own files and this page's nonce. */
export function webviewCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data: blob:`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

/** CSP of a report file: nothing from the network at all. */
export function reportCsp(nonce: string): string {
  return ["default-src 'none'", 'img-src data: blob:', `style-src 'nonce-${nonce}'`, `script-src 'nonce-${nonce}'`].join('; ');
}
