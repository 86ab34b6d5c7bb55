// gpaco.evaluateCheckpoint: `<node> dist/trainer.js eval <dir> --checkpoint <tag>`, output
// appended to the run's trainer.log, shown with progress; writes a new evals/<tag>.json entry.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { runPaths } from '../../core/runDirectory';
import { trainerNodeArgs } from '../../core/trainerFlags';
import type { Lab } from '../lab';
import { runLabel } from '../model/presentation';
import { isImported, ownCheckpoints, type RunView } from '../model/runView';
import { nativeModulesPath } from '../settings';
import type { TreeNode } from '../views/runsTree';
import type { CommandResult, LabCommand } from './command';
import { optionsFromArgs } from './commandArgs';
import { refuseImported } from './readOnly';
import { pickRuns } from './runPicker';
import { requireTrust } from './trust';

export interface EvalOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function runEvaluation(
  node: string,
  trainer: string,
  dir: string,
  tag: string,
  env: NodeJS.ProcessEnv,
  cancel?: { onCancellationRequested(fn: () => void): unknown },
): Promise<EvalOutcome> {
  const log = fs.openSync(runPaths(dir).log, 'a');
  try {
    const args = trainerNodeArgs(trainer, ['eval', dir, '--checkpoint', tag]);
    fs.writeSync(log, `\n[gpaco-lab] ${new Date().toISOString()} evaluating ${tag}: ${node} ${args.join(' ')}\n`);
    const child = spawn(node, args, {
      cwd: dir,
      stdio: ['ignore', log, log],
      env,
      shell: false,
      windowsHide: true,
    });
    cancel?.onCancellationRequested(() => child.kill('SIGINT'));
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
  } finally {
    fs.closeSync(log);
  }
}

async function evaluateCheckpoint(lab: Lab, ...args: unknown[]): Promise<CommandResult> {
  const blocked = requireTrust(lab, 'evaluate a checkpoint');
  if (blocked) return blocked;
  const { store, launcher, notifier } = lab;
  const ckptArg = args.find((a): a is TreeNode => typeof a === 'object' && a !== null && (a as TreeNode).kind === 'checkpoint') as
    { kind: 'checkpoint'; dir: string; tag: string } | undefined;
  const opts = optionsFromArgs<{ tag?: string }>(args.filter((a) => a !== ckptArg));
  const [v] = ckptArg
    ? [store.get(ckptArg.dir)].filter((x): x is RunView => !!x)
    : await pickRuns(lab, args, 'Evaluate Checkpoint', (x) => ownCheckpoints(x).length > 0 && !isImported(x));
  if (!v) return { ok: false, reason: 'no-run', message: 'no run given' };
  const readOnly = refuseImported(lab, [v], 'be evaluated');
  if (readOnly) return readOnly;
  const name = runLabel(v);
  // External files (listed by an imported or Python-written run) are not ours to read.
  const checkpoints = ownCheckpoints(v);
  let tag = ckptArg?.tag ?? opts.tag ?? (typeof args[1] === 'string' ? args[1] : undefined);
  if (!tag) {
    const pick = await vscode.window.showQuickPick(
      [...checkpoints].reverse().map((c) => ({ label: c.tag, description: `epoch ${c.epoch}` })),
      { title: `Evaluate a checkpoint of ${name}` },
    );
    if (!pick) return { ok: false, reason: 'cancelled', message: 'cancelled' };
    tag = pick.label;
  }
  if (!checkpoints.some((c) => c.tag === tag))
    return { ok: false, reason: 'no-checkpoint', message: `run ${v.id} has no complete checkpoint ${tag}` };
  let node: string;
  try {
    node = await launcher.preflight();
  } catch (err) {
    void notifier.showLaunchError(err as Error);
    return { ok: false, reason: 'node', message: (err as Error).message };
  }
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  if (nativeModulesPath()) env.GPACO_NATIVE_MODULES = nativeModulesPath();
  const outcome = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Evaluating ${name} at ${tag}`, cancellable: true },
    (_progress, token) => runEvaluation(node, launcher.trainer, v.dir, tag, env, token),
  );
  store.reload(v.dir);
  if (outcome.code === 0) {
    void notifier.show('info', `Evaluated ${name} at ${tag}: evals/${tag}.json written.`, ['Open Dashboard'], v.dir);
    return { ok: true, detail: `evals/${tag}.json` };
  }
  const message = `Evaluating ${tag} of ${name} failed (${outcome.signal ?? `exit code ${outcome.code}`}).`;
  void notifier.show('error', message, ['Show Log'], v.dir);
  return { ok: false, reason: 'eval-failed', message };
}

export const evaluateCheckpointCommand: LabCommand = { id: 'gpaco.evaluateCheckpoint', run: evaluateCheckpoint };
