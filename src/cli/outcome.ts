// What the CLI prints when a trainer child ends, and the exit code that follows from it.
import { summarizeRun } from '../core/catalog';
import type { EvalRecord, RunManifest } from '../core/contract';
import { groupSizes } from '../core/evalMath';
import { latestCheckpoint, readClassesFile, readRunManifest, runPaths, updateRunManifest } from '../core/runDirectory';
import type { ChildOutcome } from './follow';
import { EXIT, type Output } from './registry';
import { pct } from './render/format';
import { lastLines } from './trainerProcess';

/** Lines with top-1 / top-5 and many / medium / few (with class counts) of an evaluation. */
export function evalSummaryLines(rec: EvalRecord, dir: string): string[] {
  let sizes: Record<'many' | 'medium' | 'few', number> | undefined;
  try {
    const classes = readClassesFile(dir);
    if (classes) sizes = groupSizes(classes.groups.assignment);
  } catch {
    sizes = undefined;
  }
  const n = (g: 'many' | 'medium' | 'few') => (sizes ? ` (${sizes[g]} ${sizes[g] === 1 ? 'class' : 'classes'})` : '');
  return [
    `evaluation ${rec.tag} (epoch ${rec.epoch}):`,
    `  top-1 ${pct(rec.top1)}   top-5 ${pct(rec.top5)}`,
    `  many ${pct(rec.many)}${n('many')}   medium ${pct(rec.medium)}${n('medium')}   few ${pct(rec.few)}${n('few')}`,
  ];
}

function printLatestEval(dir: string, io: Output): void {
  const s = summarizeRun(dir);
  if (s.latestEval) for (const l of evalSummaryLines(s.latestEval, dir)) io.out(l);
  else io.out('no evaluation was recorded');
}

function printLogTail(dir: string, io: Output): void {
  const log = runPaths(dir).log;
  const lines = lastLines(log, 12);
  if (lines.length) {
    io.err(`last lines of ${log}:`);
    for (const l of lines) io.err(`  ${l}`);
  } else {
    io.err(`log: ${log}`);
  }
}

function readManifest(dir: string): RunManifest | undefined {
  try {
    return readRunManifest(dir);
  } catch {
    return undefined;
  }
}

/**
 * Reports how a `trainer.js run` child ended and returns the exit code: 0 completed or stopped,
 * 1 failed or killed, 2 when the trainer refused the config or data (its exit code 2).
 */
export function concludeRun(dir: string, outcome: ChildOutcome, io: Output, resumable = true): number {
  let m = readManifest(dir);
  const id = m?.id ?? dir;
  const paths = runPaths(dir);

  if (outcome.spawnError) {
    io.err(`could not start the trainer: ${outcome.spawnError.message}`);
    if (m && (m.status === 'queued' || m.status === 'running')) {
      updateRunManifest(dir, {
        status: 'failed',
        endedAt: new Date().toISOString(),
        error: { message: `could not start the trainer: ${outcome.spawnError.message}` },
      });
    }
    io.err(`run directory: ${dir}`);
    return EXIT.failed;
  }

  if (outcome.code === 0 && m && (m.status === 'completed' || m.status === 'stopped')) {
    if (m.status === 'stopped') {
      io.out(`stopped at epoch ${m.progress.epoch}/${m.progress.epochs}${resumable ? `; continue with: gpaco resume ${id}` : ''}`);
    } else {
      io.out(`completed ${m.progress.epoch}/${m.progress.epochs} epochs`);
    }
    printLatestEval(dir, io);
    io.out(`run directory: ${dir}`);
    return EXIT.ok;
  }

  if (outcome.signal && m?.status === 'queued') {
    // Ended before it took the run over: nothing to resume, and "queued" would stay forever.
    m = updateRunManifest(dir, {
      status: 'failed',
      endedAt: new Date().toISOString(),
      error: { message: `the trainer ended (${outcome.signal}) before it started the run` },
    });
    io.err(`run failed: ${m.error!.message}`);
    printLogTail(dir, io);
    io.err(`run directory: ${dir}`);
    return EXIT.failed;
  }

  if (outcome.signal) {
    // Killed from outside (SIGKILL, OOM killer): run.json still says running, so the catalog
    // shows the run as interrupted and it can be resumed from its last checkpoint.
    const cp = latestCheckpoint(dir);
    io.err(
      `the trainer was killed by ${outcome.signal}${m ? ` during epoch ${Math.min(m.progress.epoch + 1, m.progress.epochs)}/${m.progress.epochs}` : ''}`,
    );
    io.err(
      cp
        ? `the run is interrupted; continue from ${cp.tag} with: gpaco resume ${id}`
        : 'the run is interrupted and has no checkpoint to resume from',
    );
    printLogTail(dir, io);
    io.err(`run directory: ${dir}`);
    return EXIT.failed;
  }

  if (m && m.status !== 'failed') {
    // The trainer ended without recording an outcome (crashed before it could, or exited 0 too
    // early): record it, so the run does not stay "running" or "queued" forever.
    m = updateRunManifest(dir, {
      status: 'failed',
      exitCode: outcome.code,
      endedAt: new Date().toISOString(),
      error: { message: `the trainer exited with code ${outcome.code} without recording an outcome; see ${paths.log}` },
    });
  }
  io.err(`run failed: ${m?.error?.message ?? `the trainer exited with code ${outcome.code}`}`);
  printLogTail(dir, io);
  io.err(`run directory: ${dir}`);
  return outcome.code === EXIT.usage ? EXIT.usage : EXIT.failed;
}
