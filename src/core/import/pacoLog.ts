// Parser of the text log written by the official GPaCo / PaCo training scripts (paco_lt.py,
// paco_cifar.py, paco_fp16_places.py). Their `<mark>.log` holds only three kinds of lines
// (docs/run-folder.md, "Imported runs"):
//   Epoch: [e][ i/N]<TAB>Time ...<TAB>Loss v (avg)<TAB>Acc@1 v (avg)<TAB>Acc@5 v (avg)   training progress (e from 0)
//   Test: [ i/N]<TAB>...                                                                    validation progress
//    * Acc@1 x Acc@5 y                                                                      validation result, percent
//   Many_acc: 0.x, Medium_acc: 0.x Low_acc: 0.x                                            shot groups, fractions (not cifar)
// The script appends to the log, so a run continued with --resume (or restarted from its
// moco_ckpt.pth.tar) repeats the epochs after its last checkpoint: the later lines win.
// Pure: text in, facts out; every line that is neither of these is reported with its number.

export interface LogProblem {
  /** 1-based line number. */
  line: number;
  reason: string;
  /** The start of the line, for the message. */
  text: string;
}

export interface PacoLogEpoch {
  /** 1-based, as in our runs: upstream's `Epoch: [0]` is epoch 1. */
  epoch: number;
  /** The epoch's running mean loss at its last progress line. */
  loss: number;
  /** Running mean training top-1 at that line, 0..1. */
  accuracy: number | null;
  /** Mean batch time x batches: the epoch's training seconds (null without a Time meter). */
  seconds: number | null;
  batches: number;
  line: number;
}

export interface PacoLogEval {
  /** The epoch whose training preceded it (0 when the log starts with an evaluation: `--evaluate`). */
  epoch: number;
  top1: number;
  top5: number;
  many: number | null;
  medium: number | null;
  few: number | null;
  line: number;
}

export interface PacoLogResume {
  /** Line of the first progress line after the restart. */
  line: number;
  /** The epoch training restarted at (1-based). */
  epoch: number;
}

export interface PacoLogParse {
  epochs: PacoLogEpoch[];
  evals: PacoLogEval[];
  resumes: PacoLogResume[];
  /** Lines in the file (a last line without its newline counts). */
  lines: number;
  /** Lines recognised (progress, result and group lines). */
  recognised: number;
  /** Unparsable lines, in order (all of them: callers decide how many to show). */
  problems: LogProblem[];
}

const NUM = String.raw`[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)`;
const TRAIN = /^Epoch: \[(\d+)\]\[\s*(\d+)\/(\d+)\]$/;
const TEST = /^Test: \[\s*(\d+)\/(\d+)\]$/;
const METER = new RegExp(String.raw`^(\S+)\s+(${NUM})\s+\(\s*(${NUM})\)$`);
const RESULT = new RegExp(String.raw`^ \* Acc@1 (${NUM}) Acc@5 (${NUM})$`);
const GROUPS = new RegExp(String.raw`^Many_acc: (${NUM}), Medium_acc: (${NUM}) Low_acc: (${NUM})$`);

const excerpt = (s: string) => (s.length > 80 ? `${s.slice(0, 77)}...` : s);

function meters(fields: string[]): Map<string, { val: number; avg: number }> | string {
  const out = new Map<string, { val: number; avg: number }>();
  for (const f of fields) {
    const m = METER.exec(f.trim());
    if (!m) return `unreadable meter "${excerpt(f.trim())}"`;
    out.set(m[1]!, { val: Number(m[2]), avg: Number(m[3]) });
  }
  return out;
}

/** Parses the whole text of a log. Never throws: what it cannot use is in `problems`. */
export function parsePacoLog(text: string): PacoLogParse {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const epochs = new Map<number, PacoLogEpoch>();
  const evals = new Map<number, PacoLogEval>();
  const resumes: PacoLogResume[] = [];
  const problems: LogProblem[] = [];
  let recognised = 0;
  /** Last training position (0-based epoch, batch), to see a restart. */
  let last: { epoch: number; batch: number } | null = null;
  /** The epoch (1-based) of the training seen last; 0 before any. */
  let trainedEpoch = 0;
  let lastEval: PacoLogEval | null = null;

  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    const problem = (reason: string) => problems.push({ line: lineNo, reason, text: excerpt(line) });
    const fields = line.split('\t');
    const head = fields[0]!;

    const train = TRAIN.exec(head);
    if (train) {
      const e0 = Number(train[1]);
      const batch = Number(train[2]);
      const batches = Number(train[3]);
      const ms = meters(fields.slice(1));
      if (typeof ms === 'string') return problem(ms);
      const loss = ms.get('Loss');
      if (!loss) return problem('progress line without a Loss meter');
      if (!Number.isFinite(loss.avg)) return problem(`loss is ${loss.avg}`);
      if (last && (e0 < last.epoch || (e0 === last.epoch && batch <= last.batch))) {
        resumes.push({ line: lineNo, epoch: e0 + 1 });
        // Epochs from the restart on are trained again: drop what the earlier attempt logged.
        for (const k of [...epochs.keys()]) if (k > e0) epochs.delete(k);
        for (const k of [...evals.keys()]) if (k > e0) evals.delete(k);
      }
      last = { epoch: e0, batch };
      trainedEpoch = e0 + 1;
      const acc = ms.get('Acc@1');
      const time = ms.get('Time');
      epochs.set(trainedEpoch, {
        epoch: trainedEpoch,
        loss: loss.avg,
        accuracy: acc && Number.isFinite(acc.avg) ? acc.avg / 100 : null,
        seconds: time && Number.isFinite(time.avg) ? time.avg * batches : null,
        batches,
        line: lineNo,
      });
      recognised++;
      return;
    }
    if (TEST.exec(head)) {
      const ms = meters(fields.slice(1));
      if (typeof ms === 'string') return problem(ms);
      recognised++;
      return;
    }
    const result = RESULT.exec(line);
    if (result) {
      const top1 = Number(result[1]) / 100;
      const top5 = Number(result[2]) / 100;
      if (!(top1 >= 0 && top1 <= 1 && top5 >= 0 && top5 <= 1)) return problem('accuracy outside 0..100%');
      lastEval = { epoch: trainedEpoch, top1, top5, many: null, medium: null, few: null, line: lineNo };
      evals.set(trainedEpoch, lastEval);
      recognised++;
      return;
    }
    const groups = GROUPS.exec(line);
    if (groups) {
      const [many, medium, few] = [groups[1], groups[2], groups[3]].map(Number) as [number, number, number];
      if (!lastEval || lastEval.many !== null) return problem('group accuracies without a " * Acc@1" line before them');
      if (![many, medium, few].every((v) => v >= 0 && v <= 1)) return problem('group accuracy outside 0..1');
      Object.assign(lastEval, { many, medium, few });
      recognised++;
      return;
    }
    problem(/^(Epoch|Test): \[/.test(line) ? 'unreadable progress line' : 'not a line of a PaCo / GPaCo log');
  });

  return {
    epochs: [...epochs.values()].sort((a, b) => a.epoch - b.epoch),
    evals: [...evals.values()].sort((a, b) => a.epoch - b.epoch),
    resumes,
    lines: lines.length,
    recognised,
    problems,
  };
}
