// `node dist/trainer.js verify-loss <file> [--backend B] [--tolerance T]`: evaluates every case
// of a golden loss file (schema gpaco-loss-golden/v1) on the chosen backend through the same
// TF.js code the trainer uses, prints the largest absolute error of each quantity per case, and
// exits 1 if any exceeds the tolerance (default 1e-4), 2 for unusable input.
import * as tf from '@tensorflow/tfjs';
import { BACKENDS, type BackendName } from '../core/config/schema';
import { describeAttempt, selectBackend } from './backends';
import { GOLDEN_QUANTITIES, GoldenFormatError, loadGoldenFile, type GoldenQuantity } from './losses/goldenCases';
import { compareCase, evaluateCaseTfAsync, type CaseReport } from './losses/verifyGolden';

export const VERIFY_TOLERANCE = 1e-4;

export const VERIFY_USAGE = 'usage: verify-loss <cases.json> [--backend auto|tensorflow-gpu|webgpu|tensorflow|wasm|cpu] [--tolerance 1e-4]';

interface VerifyArgs {
  file: string;
  backend: BackendName;
  tolerance: number;
}

export class UsageError extends Error {}

export function parseVerifyArgs(argv: readonly string[]): VerifyArgs {
  let file: string | undefined;
  let backend: BackendName = 'auto';
  let tolerance = VERIFY_TOLERANCE;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--backend' || a === '--tolerance') {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      if (a === '--backend') {
        if (!(BACKENDS as readonly string[]).includes(v))
          throw new UsageError(`--backend: unknown backend "${v}"; one of ${BACKENDS.join(', ')}`);
        backend = v as BackendName;
      } else {
        tolerance = Number(v);
        if (!(tolerance > 0)) throw new UsageError(`--tolerance: expected a positive number, got "${v}"`);
      }
    } else if (a.startsWith('--')) {
      throw new UsageError(`unknown option ${a}`);
    } else if (file === undefined) {
      file = a;
    } else {
      throw new UsageError(`unexpected argument "${a}"`);
    }
  }
  if (file === undefined) throw new UsageError('the cases file is missing');
  return { file, backend, tolerance };
}

const LABELS: Record<GoldenQuantity, string> = {
  loss: 'loss',
  perAnchor: 'per-anchor',
  gradQ: 'dq',
  gradK: 'dk',
  gradHQ: 'dh_q',
  gradHK: 'dh_k',
  gradW: 'dW',
  gradB: 'db',
};

export function formatReport(reports: readonly CaseReport[], tolerance: number): string[] {
  const nameWidth = Math.max(4, ...reports.map((r) => r.name.length));
  const cols = GOLDEN_QUANTITIES.map((q) => LABELS[q].padStart(9));
  const lines = [`${'case'.padEnd(nameWidth)}  ${cols.join(' ')}  result`];
  for (const r of reports) {
    const cells = GOLDEN_QUANTITIES.map((q) => {
      const e = r.errors[q];
      return (e === null ? '-' : e.toExponential(1)).padStart(9);
    });
    lines.push(`${r.name.padEnd(nameWidth)}  ${cells.join(' ')}  ${r.worst <= tolerance ? 'ok' : 'FAIL'}`);
  }
  return lines;
}

/** Runs the mode; resolves to the process exit code. */
export async function runVerifyLoss(argv: readonly string[], out: (line: string) => void = console.log): Promise<number> {
  let args: VerifyArgs;
  try {
    args = parseVerifyArgs(argv);
  } catch (e) {
    out(`verify-loss: ${(e as Error).message}\n${VERIFY_USAGE}`);
    return 2;
  }
  let cases;
  try {
    cases = loadGoldenFile(args.file);
  } catch (e) {
    const msg = e instanceof GoldenFormatError ? e.message : `${args.file}: ${(e as Error).message}`;
    out(`verify-loss: ${msg}`);
    return 2;
  }
  let backend;
  try {
    backend = await selectBackend(args.backend);
  } catch (e) {
    out(`verify-loss: ${(e as Error).message}`);
    return 2;
  }
  for (const a of backend.attempts.filter((x) => !x.ok)) out(`backend ${describeAttempt(a)}`);
  out(
    `verify-loss: ${cases.length} case${cases.length === 1 ? '' : 's'} from ${args.file} on ${backend.detail} (tfjs "${tf.getBackend()}"), float32; tolerance ${args.tolerance} absolute`,
  );
  // Read back asynchronously: WebGPU cannot read synchronously.
  const reports: CaseReport[] = [];
  for (const c of cases) reports.push(compareCase(c, await evaluateCaseTfAsync(c)));
  for (const line of formatReport(reports, args.tolerance)) out(line);
  const failed = reports.filter((r) => !(r.worst <= args.tolerance));
  const worst = reports.reduce((m, r) => (r.worst > m || Number.isNaN(r.worst) ? r.worst : m), 0);
  out(
    failed.length === 0
      ? `verify-loss: all ${reports.length} cases within ${args.tolerance} (largest error ${worst.toExponential(2)})`
      : `verify-loss: ${failed.length} of ${reports.length} cases exceed ${args.tolerance}: ${failed.map((r) => r.name).join(', ')}`,
  );
  return failed.length === 0 ? 0 : 1;
}
