// Colours for canvases, read from the --vscode-* variables the editor (or the report's
// fallback palette) defines, so charts follow light, dark and high-contrast themes.
import { parseColor, type RGB } from './matrix/colors';

export interface Theme {
  kind: 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';
  background: string;
  foreground: string;
  muted: string;
  grid: string;
  border: string;
  focus: string;
  font: string;
  /** Series colours, in order (runs in the compare panel). */
  series: string[];
  groups: { many: string; medium: string; few: string; overall: string };
  matrixZero: RGB;
  matrixFull: RGB;
  diffNegative: RGB;
  diffPositive: RGB;
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  const v = style.getPropertyValue(name).trim();
  return v || fallback;
}

function rgb(css: string, fallback: RGB): RGB {
  return parseColor(css) ?? fallback;
}

export function readTheme(): Theme {
  // The body, not the root: the report defines its fallback palette on body.gpaco-report.
  const style = getComputedStyle(document.body);
  const body = document.body;
  const kind: Theme['kind'] = body.classList.contains('vscode-high-contrast-light')
    ? 'high-contrast-light'
    : body.classList.contains('vscode-high-contrast')
      ? 'high-contrast'
      : body.classList.contains('vscode-light')
        ? 'light'
        : body.classList.contains('vscode-dark')
          ? 'dark'
          : window.matchMedia('(prefers-color-scheme: dark)').matches
            ? 'dark'
            : 'light';
  const dark = kind === 'dark' || kind === 'high-contrast';
  const v = (name: string, fallback: string) => cssVar(style, name, fallback);
  const background = v('--vscode-editor-background', dark ? '#1e1e1e' : '#ffffff');
  const foreground = v('--vscode-editor-foreground', dark ? '#cccccc' : '#333333');
  const blue = v('--vscode-charts-blue', dark ? '#3794ff' : '#1a85ff');
  const red = v('--vscode-charts-red', dark ? '#f14c4c' : '#e51400');
  const green = v('--vscode-charts-green', dark ? '#89d185' : '#388a34');
  const orange = v('--vscode-charts-orange', dark ? '#d18616' : '#d18616');
  const purple = v('--vscode-charts-purple', dark ? '#b180d7' : '#652d90');
  const yellow = v('--vscode-charts-yellow', dark ? '#cca700' : '#bf8803');
  return {
    kind,
    background,
    foreground,
    muted: v('--vscode-descriptionForeground', dark ? '#9d9d9d' : '#717171'),
    grid: v('--vscode-editorWidget-border', dark ? '#454545' : '#c8c8c8'),
    border: v('--vscode-panel-border', dark ? '#2b2b2b' : '#e5e5e5'),
    focus: v('--vscode-focusBorder', blue),
    font: v('--vscode-font-family', 'system-ui, sans-serif'),
    series: [
      blue,
      orange,
      green,
      purple,
      red,
      yellow,
      v('--vscode-terminal-ansiCyan', '#11a8cd'),
      v('--vscode-terminal-ansiMagenta', '#bc3fbc'),
    ],
    groups: { many: blue, medium: orange, few: red, overall: green },
    matrixZero: rgb(background, dark ? [30, 30, 30] : [255, 255, 255]),
    matrixFull: rgb(blue, [55, 148, 255]),
    diffNegative: rgb(red, [241, 76, 76]),
    diffPositive: rgb(blue, [55, 148, 255]),
  };
}

/** Calls `fn` when the editor switches theme (VS Code changes the body's classes). */
export function onThemeChange(fn: () => void): () => void {
  const obs = new MutationObserver(fn);
  obs.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-kind'] });
  const mq = window.matchMedia('(prefers-color-scheme: dark)');
  mq.addEventListener('change', fn);
  return () => {
    obs.disconnect();
    mq.removeEventListener('change', fn);
  };
}
