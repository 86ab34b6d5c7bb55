// Text from run files (names, hosts, errors, class names, log lines) must not drive the terminal:
// an ESC ] 52 sequence sets the clipboard, cursor moves fake output. Every line the CLI prints
// passes through `terminalSafe`.
import type { Output } from '../registry';

// C0 controls except tab and newline, DEL, and the C1 controls (U+0080..U+009F, one of which,
// CSI U+009B, starts a sequence on its own in some terminals).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** `text` with each control character replaced by a visible U+FFFD; tab and newline stay. */
export function terminalSafe(text: string): string {
  return text.replace(CONTROL, '\uFFFD');
}

/**
 * `io` whose `out` and `err` lines are made terminal-safe. `write` stays raw: it carries the
 * progress view's own redraw codes around text that view has made safe itself.
 */
export function terminalSafeOutput(io: Output): Output {
  return {
    out: (line = '') => io.out(terminalSafe(line)),
    err: (line = '') => io.err(terminalSafe(line)),
    write: (text) => io.write(text),
    isTTY: io.isTTY,
    columns: io.columns,
  };
}
