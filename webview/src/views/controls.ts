// Controls from @vscode-elements/elements (the maintained successor of the webview UI toolkit),
// registered once here; only the ones the dashboard uses, to keep the bundle small.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import { h } from '../dom';

export function button(label: string, onClick: () => void, attrs: Record<string, string | boolean> = {}): HTMLElement {
  const b = h('vscode-button', { secondary: true, ...attrs }, label);
  b.addEventListener('click', () => {
    if (!b.hasAttribute('disabled')) onClick();
  });
  return b;
}

export function setDisabled(el: HTMLElement, disabled: boolean): void {
  el.toggleAttribute('disabled', disabled);
}

export function checkbox(
  label: string,
  checked: boolean,
  onChange: (checked: boolean) => void,
  attrs: Record<string, string> = {},
): HTMLElement {
  const c = h('vscode-checkbox', { label, ...attrs, ...(checked ? { checked: true } : {}) }) as HTMLElement & { checked: boolean };
  c.addEventListener('change', () => onChange(c.checked));
  return c;
}

export function select(
  options: { value: string; label: string }[],
  value: string,
  onChange: (value: string) => void,
  attrs: Record<string, string> = {},
): HTMLElement & { value: string } {
  const s = h(
    'vscode-single-select',
    attrs,
    ...options.map((o) => h('vscode-option', { value: o.value, ...(o.value === value ? { selected: true } : {}) }, o.label)),
  ) as HTMLElement & {
    value: string;
  };
  s.addEventListener('change', () => onChange(s.value));
  return s;
}
