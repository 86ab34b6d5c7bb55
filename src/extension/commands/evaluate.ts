// gpaco.evaluateCheckpoint: `<node> dist/trainer.js eval <dir> --checkpoint <tag>`, output
// appended to the run's trainer.log, shown with progress; writes a new evals/<tag>.json entry.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { runPaths } from '../../core/runDirectory';

export interface EvalOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function runEvaluation(node: string, trainer: string, dir: string, tag: string, env: NodeJS.ProcessEnv, cancel?: { onCancellationRequested(fn: () => void): unknown }): Promise<EvalOutcome> {
  const log = fs.openSync(runPaths(dir).log, 'a');
  try {
    fs.writeSync(log, `\n[gpaco-lab] ${new Date().toISOString()} evaluating ${tag}: ${node} ${trainer} eval ${dir} --checkpoint ${tag}\n`);
    const child = spawn(node, [trainer, 'eval', dir, '--checkpoint', tag], { cwd: dir, stdio: ['ignore', log, log], env, shell: false, windowsHide: true });
    cancel?.onCancellationRequested(() => child.kill('SIGINT'));
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
  } finally {
    fs.closeSync(log);
  }
}
