// The PyTorch twin (scripts/parity_torch.py) as a child process: JSON lines with raw
// little-endian arrays after them, both ways (the protocol is described in that file).
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import * as path from 'node:path';

export const TWIN_SCRIPT = path.resolve(__dirname, '..', 'parity_torch.py');
/** Debian's interpreter by default: python3-torch is installed for it, not for a virtual environment. */
export const TWIN_PYTHON = process.env.GPACO_PYTHON ?? '/usr/bin/python3';

type JsonObject = Record<string, unknown>;

export class TwinProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffered = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private exited: string | null = null;
  private stderr = '';

  constructor(
    private readonly python: string,
    threads: number,
  ) {
    this.child = spawn(python, [TWIN_SCRIPT], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, OMP_NUM_THREADS: String(threads) },
    });
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.wake();
    });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
    this.child.on('error', (e) => {
      this.exited = `could not start ${this.python}: ${e.message}`;
      this.wake();
    });
    this.child.on('exit', (code, signal) => {
      this.exited = `the PyTorch twin exited (${signal ?? code})${this.stderr ? `: ${this.stderr.trim()}` : ''}`;
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** Sends a message and its arrays (written in order). */
  send(msg: JsonObject, arrays: readonly (Float32Array | Int32Array)[] = []): void {
    this.child.stdin.write(JSON.stringify(msg) + '\n');
    for (const a of arrays) this.child.stdin.write(Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  }

  private async take(ready: () => number): Promise<Buffer> {
    for (;;) {
      const n = ready();
      if (n >= 0) {
        const out = this.buffered.subarray(0, n);
        this.buffered = this.buffered.subarray(n);
        return out;
      }
      if (this.exited) throw new Error(this.exited);
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  /** The next JSON reply line. */
  async reply(): Promise<JsonObject> {
    const line = await this.take(() => {
      const i = this.buffered.indexOf(10);
      return i < 0 ? -1 : i + 1;
    });
    return JSON.parse(line.toString('utf8')) as JsonObject;
  }

  /** The next `count` float32 values after a reply line. */
  async floats(count: number): Promise<Float32Array> {
    const bytes = await this.take(() => (this.buffered.length >= 4 * count ? 4 * count : -1));
    const out = new Float32Array(count);
    Buffer.from(out.buffer).set(bytes);
    return out;
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.send({ op: 'quit' });
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await done;
    clearTimeout(timer);
  }
}
