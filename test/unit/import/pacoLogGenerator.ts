// Writes logs in the exact formats of the official PaCo / GPaCo scripts (paco_lt.py and
// paco_fp16_places.py: Time / Data / Loss :.4e meters and shot-group lines; paco_cifar.py: Loss
// :.4f, Acc@1, Acc@5 only, no group lines), with restarts as --resume leaves them, and returns
// what a parser must find (values as printed, so rounding is the script's).

export type Script = 'lt' | 'cifar';

export interface Restart {
  /** The run died in this epoch (0-based, as the log prints it) after logging batch `atBatch`, and restarted at its start. */
  epoch: number;
  atBatch: number;
}

export interface LogSpec {
  script: Script;
  epochs: number;
  batches: number;
  printFreq: number;
  testBatches: number;
  restarts?: Restart[];
  /** Lines that are none of the formats, inserted after these 1-based line numbers of the clean log. */
  junkAfter?: number[];
}

export interface ExpectedEpoch {
  epoch: number;
  loss: number;
  accuracy: number;
  seconds: number | null;
}
export interface ExpectedEval {
  epoch: number;
  top1: number;
  top5: number;
  many: number | null;
  medium: number | null;
  few: number | null;
}

export interface GeneratedLog {
  text: string;
  epochs: ExpectedEpoch[];
  evals: ExpectedEval[];
  /** 1-based numbers of the junk lines. */
  junkLines: number[];
  /** 1-based line of the first progress line after each restart. */
  restartLines: number[];
}

// Python's format specs used by the scripts.
const f = (x: number, digits: number, width = 0) => x.toFixed(digits).padStart(width);
const e4 = (x: number) => x.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2');

class Meter {
  private sum = 0;
  private count = 0;
  val = 0;
  constructor(
    readonly name: string,
    readonly fmt: (x: number) => string,
  ) {}
  update(v: number): void {
    this.val = v;
    this.sum += v;
    this.count++;
  }
  get avg(): number {
    return this.sum / this.count;
  }
  toString(): string {
    return `${this.name} ${this.fmt(this.val)} (${this.fmt(this.avg)})`;
  }
}

const batchField = (i: number, n: number) => `[${String(i).padStart(String(n).length)}/${n}]`;

export function generatePacoLog(spec: LogSpec): GeneratedLog {
  const lines: string[] = [];
  const epochs = new Map<number, ExpectedEpoch>();
  const evals = new Map<number, ExpectedEval>();
  const restartLines: number[] = [];
  const lossFmt = spec.script === 'lt' ? e4 : (x: number) => f(x, 4);
  const restarts = [...(spec.restarts ?? [])];
  let restarted = false;
  /** Tries of the current epoch: a restarted epoch logs other numbers, so a test sees which try won. */
  let attempt = 0;

  for (let e = 0; e < spec.epochs; e++) {
    const restart = restarts.find((r) => r.epoch === e);
    const time = new Meter('Time', (x) => f(x, 3, 6));
    const data = new Meter('Data', (x) => f(x, 3, 6));
    const loss = new Meter('Loss', lossFmt);
    const top1 = new Meter('Acc@1', (x) => f(x, 2, 6));
    const top5 = new Meter('Acc@5', (x) => f(x, 2, 6));
    let last = '';
    for (let i = 0; i < spec.batches; i++) {
      time.update(0.2 + 0.01 * ((i * 7 + e) % 5));
      data.update(0.01 * ((i + e) % 3));
      loss.update(4 * Math.exp(-e / 80) + 0.3 + 0.05 * Math.sin(i + e) + 0.5 * attempt);
      top1.update(Math.min(99, 10 + e * 0.2 + ((i * 3) % 7)));
      top5.update(Math.min(100, 30 + e * 0.15 + ((i * 5) % 11)));
      if (i % spec.printFreq !== 0) continue;
      const meters = spec.script === 'lt' ? [time, data, loss, top1, top5] : [loss, top1, top5];
      last = [`Epoch: [${e}]${batchField(i, spec.batches)}`, ...meters.map(String)].join('\t');
      if (restarted) {
        restartLines.push(lines.length + 1);
        restarted = false;
      }
      lines.push(last);
      if (restart && i >= restart.atBatch) break;
    }
    if (restart) {
      // Killed mid-epoch: the restart trains epoch e again from its first batch.
      restarts.splice(restarts.indexOf(restart), 1);
      restarted = true;
      attempt++;
      e--;
      continue;
    }
    attempt = 0;
    const fields = last.split('\t');
    const avgOf = (name: string) => Number(/\(\s*(\S+)\)$/.exec(fields.find((x) => x.startsWith(`${name} `))!)![1]);
    epochs.set(e + 1, {
      epoch: e + 1,
      loss: avgOf('Loss'),
      accuracy: avgOf('Acc@1') / 100,
      seconds: spec.script === 'lt' ? avgOf('Time') * spec.batches : null,
    });
    const tloss = new Meter('Loss', lossFmt);
    const t1 = new Meter('Acc@1', (x) => f(x, 2, 6));
    const t5 = new Meter('Acc@5', (x) => f(x, 2, 6));
    const tt = new Meter('Time', (x) => f(x, 3, 6));
    for (let i = 0; i < spec.testBatches; i++) {
      tt.update(0.1);
      tloss.update(2 + Math.cos(i + e));
      t1.update(Math.min(95, 20 + e * 0.1 + (i % 9)));
      t5.update(Math.min(99, 45 + e * 0.1 + (i % 13)));
      if (i % spec.printFreq === 0)
        lines.push(
          [`Test: ${batchField(i, spec.testBatches)}`, ...(spec.script === 'lt' ? [tt, tloss, t1, t5] : [tloss, t1, t5]).map(String)].join(
            '\t',
          ),
        );
    }
    const a1 = f(t1.avg, 3);
    const a5 = f(t5.avg, 3);
    lines.push(` * Acc@1 ${a1} Acc@5 ${a5}`);
    const ev: ExpectedEval = { epoch: e + 1, top1: Number(a1) / 100, top5: Number(a5) / 100, many: null, medium: null, few: null };
    if (spec.script === 'lt') {
      const [many, medium, few] = [0.6 + e / 2000, 0.4 + e / 2500, 0.1 + e / 3000].map((x) => f(Math.min(x, 1), 5));
      lines.push(`Many_acc: ${many}, Medium_acc: ${medium} Low_acc: ${few}`);
      Object.assign(ev, { many: Number(many), medium: Number(medium), few: Number(few) });
    }
    evals.set(e + 1, ev);
  }

  const junkLines: number[] = [];
  const junk = [...(spec.junkAfter ?? [])].sort((a, b) => b - a);
  for (const after of junk) lines.splice(after, 0, `Traceback (most recent call last): junk after line ${after}`);
  // Line numbers of the junk in the final text (inserted from the end, so earlier ones do not shift later ones).
  [...junk].reverse().forEach((after, k) => junkLines.push(after + k + 1));
  const shift = (line: number) => line + junk.filter((a) => a < line).length;
  return {
    text: `${lines.join('\n')}\n`,
    epochs: [...epochs.values()],
    evals: [...evals.values()],
    junkLines,
    restartLines: restartLines.map(shift),
  };
}
