// Terminal output while a run trains: permanent lines scroll up, and on a TTY one live line at
// the bottom is redrawn in place. Without a TTY only the permanent lines are written.
import type { Output } from './registry';
import { terminalSafe } from './render/terminalText';

const CLEAR_LINE = '\r\x1b[2K';

export class ProgressView {
  private live = '';

  constructor(private readonly io: Output) {}

  /** A line that stays (epoch, eval, event). */
  line(text: string): void {
    if (this.io.isTTY && this.live) this.io.write(CLEAR_LINE);
    this.io.out(text);
    if (this.io.isTTY && this.live) this.io.write(this.live);
  }

  /** The live line (ignored without a TTY). */
  status(raw: string): void {
    const text = terminalSafe(raw);
    if (!this.io.isTTY || text === this.live) return;
    this.live = text;
    this.io.write(`${CLEAR_LINE}${text}`);
  }

  /** Removes the live line. */
  close(): void {
    if (this.io.isTTY && this.live) this.io.write(CLEAR_LINE);
    this.live = '';
  }
}
