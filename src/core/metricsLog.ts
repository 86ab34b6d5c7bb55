// metrics.jsonl (docs/run-folder.md): the trainer appends one whole line per record; viewers
// tail it, reading only the bytes appended since their last read.
import * as fs from 'node:fs';
import type { MetricKind, MetricRecord } from './contract';
import { RunFileError, openRunFile } from './runFile';
import { isValidTag } from './runSchema';

const NEWLINE = 0x0a;
const FRACTIONS = ['top1', 'top5', 'many', 'medium', 'few'] as const;

/**
 * Fields that must be finite numbers / strings for each record kind (others are ignored);
 * `nullable` ones may also be null: not recorded by the writer (docs/run-folder.md).
 */
const REQUIRED: Record<MetricKind, { numbers: readonly string[]; nullable: readonly string[]; strings: readonly string[] }> = {
  step: { numbers: ['epoch', 'step', 'loss', 'lr'], nullable: [], strings: [] },
  epoch: { numbers: ['epoch', 'loss'], nullable: ['accuracy', 'lr', 'seconds', 'imagesPerSecond'], strings: [] },
  eval: { numbers: ['epoch', 'top1'], nullable: ['top5', 'many', 'medium', 'few'], strings: ['tag'] },
  checkpoint: { numbers: ['epoch'], nullable: [], strings: ['tag'] },
  event: { numbers: [], nullable: [], strings: ['level', 'message'] },
};

const isFinite = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);

/**
 * A record when `value` has a known kind and the fields that kind needs; `undefined` otherwise.
 * JSON has no NaN: a NaN loss serialises as null and makes its record invalid (writers must
 * report divergence as an event instead).
 */
export function parseMetricRecord(value: unknown): MetricRecord | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const rec = value as Record<string, unknown>;
  const kind = rec.kind;
  if (typeof kind !== 'string' || !Object.hasOwn(REQUIRED, kind)) return undefined;
  const req = REQUIRED[kind as MetricKind];
  if (!req.numbers.every((k) => isFinite(rec[k]))) return undefined;
  // A nullable field must be present: null says "not recorded", a missing field is a broken record.
  if (!req.nullable.every((k) => rec[k] === null || isFinite(rec[k]))) return undefined;
  if (!req.strings.every((k) => typeof rec[k] === 'string')) return undefined;
  if (kind === 'event' && !['info', 'warn', 'error'].includes(rec.level as string)) return undefined;
  // Ranges: a viewer prints these as they are (accuracies as percentages, tags inside paths).
  if (!Number.isInteger(rec.epoch ?? 0) || ((rec.epoch as number | undefined) ?? 0) < 0) return undefined;
  if (req.strings.includes('tag') && !isValidTag(rec.tag)) return undefined;
  if (kind === 'eval' && !FRACTIONS.every((k) => (rec[k] as number) >= 0 && (rec[k] as number) <= 1)) return undefined;
  return rec as unknown as MetricRecord;
}

/**
 * Appends records to metrics.jsonl, one `write` per whole line (O_APPEND, so concurrent readers
 * never see two records interleaved). Close it when done.
 */
export class MetricsWriter {
  private fd: number | undefined;

  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'a');
    // A previous writer killed mid-line left a torn last line; end it so the first new record
    // starts on its own line instead of being glued to (and lost with) the fragment.
    const size = fs.fstatSync(this.fd).size;
    if (size > 0) {
      const last = Buffer.alloc(1);
      const rfd = fs.openSync(file, 'r');
      try {
        fs.readSync(rfd, last, 0, 1, size - 1);
      } finally {
        fs.closeSync(rfd);
      }
      if (last[0] !== NEWLINE) this.writeAll(Buffer.from('\n'));
    }
  }

  append(record: MetricRecord): void {
    this.writeAll(Buffer.from(`${JSON.stringify(record)}\n`, 'utf8'));
  }

  /** Flushes the file to disk (e.g. before a checkpoint is declared complete). */
  sync(): void {
    if (this.fd !== undefined) fs.fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd === undefined) return;
    fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private writeAll(buf: Buffer): void {
    if (this.fd === undefined) throw new Error(`MetricsWriter for ${this.file} is closed`);
    let off = 0;
    while (off < buf.length) off += fs.writeSync(this.fd, buf, off, buf.length - off);
  }
}

export interface TailBatch {
  records: MetricRecord[];
  /**
   * True when the file shrank or was replaced since the last read: the reader started over from
   * byte 0 and `records` are the new file's; discard what was read before.
   */
  restarted: boolean;
}

/**
 * Incremental reader of metrics.jsonl. Each `read()` opens the file, reads only the bytes after
 * the last complete line it returned, and closes it again (so the file can be replaced or deleted
 * by its writer on every platform). A last line without its newline is held back until it is
 * complete; malformed lines are skipped and counted in `malformed`.
 */
export class MetricsTail {
  private offset = 0;
  private pending: Buffer = Buffer.alloc(0);
  private identity: string | undefined;
  /** Complete lines skipped because they were not valid records (cumulative). */
  malformed = 0;
  /** How many times the reader started over because the file shrank or was replaced. */
  restarts = 0;

  /** Set by `onlyKinds`: lines that cannot be of these kinds are skipped before parsing. */
  private kindFilter: RegExp | undefined;

  constructor(
    readonly file: string,
    private readonly chunkBytes = 1 << 20,
  ) {}

  /**
   * Parse only records of these kinds (a cheap text test skips the other lines unparsed: a
   * long run's log is mostly step records that a summary does not need). Returns `this`.
   */
  onlyKinds(kinds: readonly MetricKind[]): this {
    this.kindFilter = new RegExp(`"kind"\\s*:\\s*"(?:${kinds.join('|')})"`);
    return this;
  }

  /** Records appended since the last call (see `readBatch` to learn about restarts). */
  read(): MetricRecord[] {
    return this.readBatch().records;
  }

  readBatch(): TailBatch {
    let fd: number;
    try {
      fd = openRunFile('tail', this.file).fd;
    } catch (err) {
      if (err instanceof RunFileError && err.problem === 'missing') {
        // Removed: whatever appears under this name next is a new file.
        const restarted = this.identity !== undefined;
        if (restarted) this.reset();
        return { records: [], restarted };
      }
      throw err;
    }
    try {
      const st = fs.fstatSync(fd);
      const identity = `${st.dev}:${st.ino}`;
      let restarted = false;
      if (this.identity !== undefined && (identity !== this.identity || st.size < this.offset)) {
        this.reset();
        restarted = true;
      }
      this.identity = identity;
      const records: MetricRecord[] = [];
      // Read up to the size seen now; bytes appended meanwhile are picked up next time.
      const end = st.size;
      const buf = Buffer.allocUnsafe(Math.min(this.chunkBytes, Math.max(0, end - this.offset)));
      while (this.offset < end) {
        const n = fs.readSync(fd, buf, 0, Math.min(buf.length, end - this.offset), this.offset);
        if (n === 0) break;
        this.offset += n;
        this.consume(buf.subarray(0, n), records);
      }
      return { records, restarted };
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Bytes read so far, including a held-back partial line. */
  get position(): number {
    return this.offset;
  }

  private reset(): void {
    this.offset = 0;
    this.pending = Buffer.alloc(0);
    this.identity = undefined;
    this.restarts++;
  }

  private consume(chunk: Buffer, out: MetricRecord[]): void {
    // Lines are split on bytes, not characters, so a UTF-8 sequence cut between two reads is
    // joined again before decoding.
    const data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    // Everything up to the last newline is whole lines (a newline byte never occurs inside a
    // UTF-8 sequence): decode it at once and split the text.
    const end = data.lastIndexOf(NEWLINE) + 1;
    if (end > 0) {
      const lines = data.toString('utf8', 0, end - 1).split('\n');
      for (const line of lines) this.parseLine(line, out);
    }
    // Copy: `chunk` is a reused read buffer.
    this.pending = Buffer.from(data.subarray(end));
  }

  private parseLine(line: string, out: MetricRecord[]): void {
    const text = line.trim();
    if (!text) return;
    if (this.kindFilter && !this.kindFilter.test(text)) return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.malformed++;
      return;
    }
    const rec = parseMetricRecord(value);
    // The text test can match a string inside another record; the parsed kind decides.
    if (rec && this.kindFilter && !this.kindFilter.test(`"kind":"${rec.kind}"`)) return;
    if (rec) out.push(rec);
    else this.malformed++;
  }
}

/** Every complete, valid record of the file (a torn last line and malformed lines are skipped). */
export function readAllMetrics(file: string): MetricRecord[] {
  return new MetricsTail(file).read();
}

/**
 * The last record of `kind` in the file, scanning backwards from the end in chunks and reading
 * at most `maxBytes`: what a catalog needs (latest eval) without reading a long log whole.
 * A missing file has none; one that is not a regular file throws `RunFileError`.
 */
export function findLastMetric<K extends MetricKind>(
  file: string,
  kind: K,
  maxBytes = 8 << 20,
): Extract<MetricRecord, { kind: K }> | undefined {
  let fd: number;
  let size: number;
  try {
    ({ fd, size } = openRunFile('tail', file));
  } catch (err) {
    if (err instanceof RunFileError && err.problem !== 'missing' && err.problem !== 'io') throw err;
    return undefined;
  }
  try {
    const chunk = 64 << 10;
    let end = size;
    let carry: Buffer = Buffer.alloc(0);
    // Cheap pre-filter before JSON.parse.
    const needle = new RegExp(`"kind"\\s*:\\s*"${kind}"`);
    // Bytes after the file's last newline are a torn line (or nothing): skip them.
    let seenNewline = false;
    while (end > 0 && size - end < maxBytes) {
      const start = Math.max(0, end - chunk);
      const buf = Buffer.allocUnsafe(end - start);
      fs.readSync(fd, buf, 0, buf.length, start);
      let data = carry.length ? Buffer.concat([buf, carry]) : buf;
      if (!seenNewline) {
        const lastNl = data.lastIndexOf(NEWLINE);
        if (lastNl === -1) {
          end = start;
          continue;
        }
        seenNewline = true;
        data = data.subarray(0, lastNl + 1);
      }
      // The first line of `data` is complete only when the chunk starts the file.
      const firstNl = start === 0 ? -1 : data.indexOf(NEWLINE);
      const lines = data
        .subarray(firstNl + 1)
        .toString('utf8')
        .split('\n');
      for (let i = lines.length - 1; i >= 0; i--) {
        const line = lines[i]!;
        if (!needle.test(line)) continue;
        try {
          const rec = parseMetricRecord(JSON.parse(line));
          if (rec && rec.kind === kind) return rec as Extract<MetricRecord, { kind: K }>;
        } catch {
          // malformed line: keep looking
        }
      }
      // The partial first line continues in the previous chunk: carry it there.
      carry = firstNl === -1 ? Buffer.alloc(0) : Buffer.from(data.subarray(0, firstNl + 1));
      end = start;
    }
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}
