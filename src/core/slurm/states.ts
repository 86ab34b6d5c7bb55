// Slurm job states and reasons, and what they mean for a run (squeue(1), sacct(1) JOB STATE CODES).
import type { DisplayStatus, RunManifest, SlurmLaunchRecord } from '../contract';

/** What a job state means for its run. */
export type JobStateClass = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled' | 'timeout' | 'lost';

/** Pseudo-state recorded when Slurm no longer knows a job and nothing else told how it ended. */
export const LOST_STATE = 'LOST';

const CLASSES: Record<string, JobStateClass> = {
  PENDING: 'pending',
  REQUEUED: 'pending',
  REQUEUE_HOLD: 'pending',
  REQUEUE_FED: 'pending',
  RESV_DEL_HOLD: 'pending',
  CONFIGURING: 'running',
  RUNNING: 'running',
  // After scancel or the end of the script: processes may still be alive, so not the end yet.
  COMPLETING: 'running',
  SUSPENDED: 'running',
  STOPPED: 'running',
  RESIZING: 'running',
  SIGNALING: 'running',
  STAGE_OUT: 'running',
  SPECIAL_EXIT: 'failed',
  COMPLETED: 'completed',
  FAILED: 'failed',
  OUT_OF_MEMORY: 'failed',
  NODE_FAIL: 'failed',
  BOOT_FAIL: 'failed',
  DEADLINE: 'failed',
  TIMEOUT: 'timeout',
  CANCELLED: 'cancelled',
  PREEMPTED: 'cancelled',
  REVOKED: 'cancelled',
  [LOST_STATE]: 'lost',
};

/** States this module has never heard of (a newer Slurm) are treated as still active. */
export function classifyJobState(state: string): JobStateClass {
  return CLASSES[state.toUpperCase()] ?? 'running';
}

/** True once the job is over and none of its processes can still write (COMPLETING is not). */
export function isJobFinished(state: string | undefined): boolean {
  if (!state) return false;
  const c = classifyJobState(state);
  return c !== 'pending' && c !== 'running';
}

/** Pending reasons that will not go away by waiting: the job must be changed or cancelled. */
const STUCK_REASONS: Record<string, string> = {
  PartitionConfig: 'the request (CPUs, GPUs, memory or nodes) exceeds what the partition offers: it will never start',
  PartitionTimeLimit: 'the time limit exceeds the partition\u2019s maximum: it will never start',
  PartitionNodeLimit: 'the node count is outside the partition\u2019s limits: it will never start',
  PartitionDown: 'the partition is down',
  PartitionInactive: 'the partition is inactive',
  DependencyNeverSatisfied: 'a job it depends on failed: it will never start',
  BadConstraints: 'no node has the requested features: it will never start',
  InvalidAccount: 'the account is invalid',
  InvalidQOS: 'the QoS is invalid',
  QOSMaxWallDurationPerJobLimit: 'the time limit exceeds the QoS maximum: it will never start',
  JobHeldUser: 'held by its user (scontrol release JOBID starts it)',
  JobHeldAdmin: 'held by an administrator',
  ReqNodeNotAvail: 'the requested nodes are unavailable (down, drained or reserved)',
};

const WAITING_REASONS: Record<string, string> = {
  Priority: 'waiting for higher-priority jobs',
  Resources: 'waiting for free resources',
  Dependency: 'waiting for the jobs it depends on',
  BeginTime: 'waiting for its begin time (after a requeue Slurm waits about 2 minutes)',
  None: 'waiting to be scheduled',
  AssocGrpCpuLimit: 'waiting: the account\u2019s CPU limit is reached',
  AssocGrpGRES: 'waiting: the account\u2019s GPU limit is reached',
  QOSMaxJobsPerUserLimit: 'waiting: the per-user job limit of the QoS is reached',
  JobArrayTaskLimit: 'waiting: the array\u2019s limit of tasks at once is reached',
};

/** A pending reason in words, and whether waiting will ever help. */
export function explainPendingReason(reason: string | undefined): { text: string; stuck: boolean } {
  const r = (reason ?? 'None').trim() || 'None';
  if (r in STUCK_REASONS) return { text: STUCK_REASONS[r]!, stuck: true };
  if (r in WAITING_REASONS) return { text: WAITING_REASONS[r]!, stuck: false };
  return { text: `pending: ${r}`, stuck: false };
}

/** The Slurm record of a run, if it is a Slurm run. */
export function slurmLaunchOf(manifest: RunManifest): SlurmLaunchRecord | undefined {
  const l = manifest.launch;
  return l && l.kind === 'slurm' ? l : undefined;
}

/**
 * Display status of a Slurm run from its files alone. `base` is the status the catalog gives
 * any run (a `running` run whose pid is dead on this host is already `interrupted`). On top:
 * - `running` but the job is over (killed at its time limit, node failure, ...): interrupted;
 * - `stopped` by its time limit (the batch script's warning signal, or Slurm's TIMEOUT):
 *   interrupted, since the user did not stop it and it should be resumed.
 */
export function slurmDisplayStatus(manifest: RunManifest, base: DisplayStatus): DisplayStatus {
  const l = slurmLaunchOf(manifest);
  if (!l) return base;
  if (manifest.status === 'running' && isJobFinished(l.state)) return 'interrupted';
  if (manifest.status === 'stopped' && l.timeLimit === true) return 'interrupted';
  return base;
}

/** One line describing the job for trees, tables and tooltips, e.g. `slurm 12 · PENDING (PartitionConfig)`. */
export function describeJob(l: SlurmLaunchRecord, runStatus: RunManifest['status'] | DisplayStatus): string {
  if (l.jobId === null) return 'slurm (not submitted)';
  const base = `slurm ${l.jobId}`;
  if (!l.state) return base;
  // A recorded state that is not final is from before the trainer started: only news while queued.
  if (runStatus !== 'queued' && !isJobFinished(l.state)) return base;
  const reason = l.reason && l.reason !== 'None' ? ` (${l.reason})` : '';
  if (l.timeLimit) return `${base} · time limit reached`;
  return `${base} · ${l.state}${reason}`;
}
