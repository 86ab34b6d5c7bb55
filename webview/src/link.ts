// The webview's link to its host. In VS Code: acquireVsCodeApi (postMessage, state). In a
// `gpaco report` file there is no host: exports become downloads, actions are not offered.
import type { CompareWebviewMessage, RunWebviewMessage } from '../../src/protocol/messages';

export type OutgoingMessage = RunWebviewMessage | CompareWebviewMessage;

export interface HostLink {
  /** False in a report: no stop / resume / evaluate, and no live updates. */
  readonly interactive: boolean;
  post(message: OutgoingMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare global {
  // Defined by VS Code in every webview; absent in a report file.
  var acquireVsCodeApi: (() => VsCodeApi) | undefined;
}

export function connect(): HostLink {
  if (typeof globalThis.acquireVsCodeApi === 'function') {
    const api = globalThis.acquireVsCodeApi();
    return { interactive: true, post: (m) => api.postMessage(m), getState: () => api.getState(), setState: (s) => api.setState(s) };
  }
  let state: unknown;
  return {
    interactive: false,
    post: (m) => {
      if (m.type === 'export') download(m.fileName, m.format, m.data);
      else if (m.type === 'log') console[m.level === 'info' ? 'log' : m.level](m.text);
    },
    getState: () => state,
    setState: (s) => (state = s),
  };
}

function download(fileName: string, format: 'png' | 'csv', data: string): void {
  const a = document.createElement('a');
  a.download = fileName;
  const url = format === 'png' ? data : URL.createObjectURL(new Blob([data], { type: 'text/csv' }));
  a.href = url;
  document.body.appendChild(a);
  a.click();
  a.remove();
  if (format === 'csv') setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
