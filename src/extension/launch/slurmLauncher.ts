// The Slurm launcher: a run whose config says `launch.kind: "slurm"` is submitted as a
// batch job (core/slurm), and followed with one batched squeue per poll. The run directory stays
// the only channel for metrics: the follower only adds the job's state (pending reason, the
// controller unreachable -> `unknown`, the job's end) to what the Runs tree shows.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DisplayStatus, RunManifest } from '../../core/contract';
import { Emitter } from '../../core/emitter';
import { readRunManifest } from '../../core/runDirectory';
import { SlurmClient } from '../../core/slurm/exec';
import { SlurmFollower } from '../../core/slurm/follow';
import { cancelRun, resolveExecutable, submitArray, submitRun, type SlurmSubmitContext } from '../../core/slurm/launch';
import type { SlurmDefaults } from '../../core/slurm/options';
import { isJobFinished, slurmLaunchOf } from '../../core/slurm/states';
import type { RunView } from '../model/runView';
import { LaunchError, type LaunchMode, type LaunchTarget, type Launcher, type TrainerExit } from './launcher';

const SECTION = 'gpaco';

/** `gpaco.slurm.*` (defaults under each run config's `launch.slurm`) and the shared-FS polling. */
export interface SlurmLauncherSettings {
  defaults: SlurmDefaults;
  /** Node on the compute nodes; '' = gpaco.nodePath resolved to an absolute path here. */
  nodePath: string;
  /** dist/trainer.js as the compute nodes see it; '' = this extension's own bundle. */
  trainerPath: string;
  nativeModulesPath: string;
  pollSeconds: number;
  commandTimeoutSeconds: number;
  /** gpaco.pollIntervalMs > 0: the runs folder is on a shared file system. */
  sharedFileSystem: boolean;
}

function str(c: vscode.WorkspaceConfiguration, key: string): string | undefined {
  const v = c.get<string>(key, '');
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

function num(c: vscode.WorkspaceConfiguration, key: string): number | undefined {
  const v = c.get<number | null>(key, null);
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function readSlurmSettings(): SlurmLauncherSettings {
  const c = vscode.workspace.getConfiguration(`${SECTION}.slurm`);
  const root = vscode.workspace.getConfiguration(SECTION);
  const defaults: SlurmDefaults = {};
  const set = <K extends keyof SlurmDefaults>(k: K, v: SlurmDefaults[K] | undefined) => {
    if (v !== undefined) defaults[k] = v;
  };
  set('partition', str(c, 'partition'));
  set('time', str(c, 'time'));
  set('cpus', num(c, 'cpus'));
  set('mem', str(c, 'mem'));
  set('gpus', num(c, 'gpus'));
  set('account', str(c, 'account'));
  set('qos', str(c, 'qos'));
  set('signalSeconds', num(c, 'signalSeconds'));
  const extra = c.get<string[]>('extraDirectives', []);
  if (Array.isArray(extra) && extra.length) defaults.extra = extra.filter((x) => typeof x === 'string' && x.trim());
  const setup = c.get<string[]>('setup', []);
  if (Array.isArray(setup) && setup.length) defaults.setup = setup.filter((x) => typeof x === 'string');
  return {
    defaults,
    nodePath: str(c, 'nodePath') ?? '',
    trainerPath: str(c, 'trainerPath') ?? '',
    nativeModulesPath: str(root, 'nativeModulesPath') ?? '',
    pollSeconds: Math.max(1, num(c, 'pollSeconds') ?? 15),
    commandTimeoutSeconds: Math.max(1, num(c, 'commandTimeoutSeconds') ?? 20),
    sharedFileSystem: (num(root, 'pollIntervalMs') ?? 0) > 0,
  };
}

export function isSlurmRun(view: Pick<RunView, 'manifest'>): boolean {
  return view.manifest?.launch?.kind === 'slurm';
}

export class SlurmLauncher implements Launcher {
  readonly kind = 'slurm' as const;
  private client: SlurmClient;
  private follower: SlurmFollower;
  private readonly exits = new Emitter<TrainerExit>();
  readonly onDidExit = this.exits.event;
  private readonly jobChanges = new Emitter<string[]>();
  /** Fires with run folders whose job state changed (the tree re-reads them). */
  readonly onDidChangeJobs = this.jobChanges.event;
  private key = '';

  constructor(
    /** This extension's dist/trainer.js. */
    private readonly ownTrainer: string,
    private readonly settings: () => SlurmLauncherSettings,
    /** gpaco.nodePath (the local launcher's Node), resolved here when gpaco.slurm.nodePath is empty. */
    private readonly localNode: () => string,
  ) {
    ({ client: this.client, follower: this.follower } = this.build());
  }

  /** (Re)creates the client and follower when the settings that shape them change. */
  private build(): { client: SlurmClient; follower: SlurmFollower } {
    const s = this.settings();
    this.key = `${s.pollSeconds}|${s.commandTimeoutSeconds}|${s.sharedFileSystem}`;
    const client = new SlurmClient({ timeoutMs: s.commandTimeoutSeconds * 1000 });
    const follower = new SlurmFollower(client, { pollMs: s.pollSeconds * 1000, settleMs: s.sharedFileSystem ? 60_000 : 0 });
    follower.onDidChange((dirs) => this.onFollowerChange(dirs));
    return { client, follower };
  }

  /** Applies changed settings (keeps following the same runs). */
  refreshSettings(): void {
    const s = this.settings();
    if (`${s.pollSeconds}|${s.commandTimeoutSeconds}|${s.sharedFileSystem}` === this.key) return;
    const runs = this.follower.tracked;
    this.follower.dispose();
    ({ client: this.client, follower: this.follower } = this.build());
    for (const d of runs) this.follower.track(d, { soon: true });
  }

  /** Squeue / sbatch calls made so far (the cost of following). */
  get calls(): SlurmClient['counts'] {
    return this.client.counts;
  }

  private onFollowerChange(dirs: string[]): void {
    this.jobChanges.fire(dirs);
    for (const dir of dirs) {
      if (this.follower.isTracked(dir)) continue;
      // Its end is recorded: tell listeners as the local launcher does when a trainer exits.
      const obs = this.follower.observation(dir);
      const target = { dir, id: path.basename(dir) };
      this.exits.fire({ target, code: obs?.job?.exitCode ? Number(obs.job.exitCode.split(':')[0]) : null, signal: null });
    }
  }

  /** Follows every Slurm run whose job may not be over (runs found on disk, submitted by anyone). */
  notice(views: readonly RunView[]): void {
    for (const v of views) {
      const m = v.manifest;
      const l = m ? slurmLaunchOf(m) : undefined;
      if (!m || !l?.jobId || this.follower.isTracked(v.dir)) continue;
      if (m.status === 'queued' || !isJobFinished(l.state)) this.follower.track(v.dir);
    }
  }

  /** The status the tree shows for a Slurm run (`unknown` while the controller does not answer). */
  displayStatus(dir: string, manifest: RunManifest, base: DisplayStatus): DisplayStatus {
    return this.follower.displayStatus(dir, manifest, base);
  }

  private context(): SlurmSubmitContext {
    const s = this.settings();
    const nodeSetting = s.nodePath || this.localNode();
    const nodePath = resolveExecutable(nodeSetting);
    if (!nodePath) {
      throw new LaunchError(
        `The Node program "${nodeSetting}" for Slurm jobs was not found here; set gpaco.slurm.nodePath to the absolute path of a Node 20.19+ that the compute nodes can run.`,
        {
          label: 'Open Setting',
          setting: 'gpaco.slurm.nodePath',
        },
      );
    }
    const trainerPath = s.trainerPath || this.ownTrainer;
    if (!path.isAbsolute(trainerPath))
      throw new LaunchError(`gpaco.slurm.trainerPath must be an absolute path (got "${trainerPath}").`, {
        label: 'Open Setting',
        setting: 'gpaco.slurm.trainerPath',
      });
    if (!s.trainerPath && !fs.existsSync(trainerPath))
      throw new LaunchError(`The trainer bundle ${trainerPath} is missing: build the extension (npm run build).`);
    return {
      client: this.client,
      nodePath,
      trainerPath,
      defaults: s.defaults,
      ...(s.nativeModulesPath ? { env: { GPACO_NATIVE_MODULES: s.nativeModulesPath } } : {}),
    };
  }

  async start(run: LaunchTarget, mode: LaunchMode = 'start'): Promise<void> {
    const r = await submitRun(run.dir, this.context(), mode);
    if (!r.ok) {
      switch (r.reason) {
        case 'rejected':
          throw new LaunchError(
            `Slurm refused run ${run.id}: ${r.message}. The run is marked failed; fix launch.slurm in its config (or the gpaco.slurm settings) and start a new run.`,
            {
              label: 'Open Settings',
              setting: 'gpaco.slurm',
            },
          );
        case 'invalid-options':
          throw new LaunchError(`Run ${run.id} was not submitted: ${r.message}.`, { label: 'Open Settings', setting: 'gpaco.slurm' });
        case 'unreachable':
        case 'missing':
        case 'not-submittable':
          throw new LaunchError(`Run ${run.id} was not submitted: ${r.message}.`);
      }
    }
    this.follower.track(run.dir, { soon: true });
  }

  /** Submits several runs (a sweep) as one job array; returns its job id. */
  async startArray(dirs: readonly string[], sweepDir: string, name: string): Promise<string> {
    const r = await submitArray(dirs, sweepDir, this.context(), { name });
    if (!r.ok)
      throw new LaunchError(
        `The sweep was not submitted: ${r.reason === 'rejected' ? `sbatch rejected the job array: ${r.message} (its runs are marked failed)` : r.message}.`,
      );
    for (const d of dirs) this.follower.track(d, { soon: true });
    return r.jobId;
  }

  /** Graceful: the trainer checkpoints and stops (scancel --batch -s TERM); force: plain scancel. */
  async stop(run: LaunchTarget, options: { force?: boolean } = {}): Promise<void> {
    const r = await cancelRun(run.dir, this.client, { force: options.force === true, waitMs: 2000 });
    this.follower.track(run.dir, { soon: true });
    if (!r.ok && r.reason !== 'no-job') throw new LaunchError(`Could not stop run ${run.id}: ${r.message}`);
  }

  isAlive(run: LaunchTarget): boolean {
    let m: RunManifest;
    try {
      m = readRunManifest(run.dir);
    } catch {
      return false;
    }
    const l = slurmLaunchOf(m);
    if (!l?.jobId) return false;
    const obs = this.follower.observation(run.dir);
    if (obs && obs.jobId === l.jobId && obs.reachable) return obs.job !== undefined && !isJobFinished(obs.job.state);
    return !isJobFinished(l.state) && (m.status === 'queued' || m.status === 'running');
  }

  /** Jobs keep running on the cluster; only this window's following ends. */
  dispose(): void {
    this.follower.dispose();
    this.exits.dispose();
    this.jobChanges.dispose();
  }
}
