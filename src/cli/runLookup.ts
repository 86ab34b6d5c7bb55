// Finding the run a user named on the command line.
import * as path from 'node:path';
import { findRun } from '../core/catalog';
import { readOnlyReason } from '../core/import/importedRun';
import { readRunManifest } from '../core/runDirectory';
import { noteRunFolder } from './failure';
import { UsageError, type CommandContext } from './registry';

/** `--runs-dir` (default ./runs) as an absolute path. */
export function runsDirOf(ctx: CommandContext): string {
  return path.resolve(ctx.cwd, ctx.string('runs-dir') ?? 'runs');
}

/** The folder of RUN (an id under --runs-dir, a unique part of one, or a path); else a UsageError listing close ids. */
export function locateRun(ctx: CommandContext, ref: string): string {
  const root = runsDirOf(ctx);
  const looksLikePath = ref.includes('/') || ref.includes(path.sep) || ref.startsWith('.');
  const found = findRun(root, looksLikePath ? path.resolve(ctx.cwd, ref) : ref);
  if (found.ok) {
    noteRunFolder(found.dir);
    return found.dir;
  }
  if (looksLikePath) throw new UsageError(`${path.resolve(ctx.cwd, ref)} is not a run folder (it has no run.json)`);
  const hint = found.suggestions.length
    ? `\ndid you mean:\n${found.suggestions.map((s) => `  ${s}`).join('\n')}`
    : '\n`gpaco ls` lists the runs';
  throw new UsageError(`${found.message}${hint}`);
}

/** Throws a UsageError when the run is imported (read-only) and so cannot `what` ("be resumed"). */
export function refuseReadOnly(dir: string, what: string): void {
  let reason: string | undefined;
  try {
    reason = readOnlyReason(readRunManifest(dir), what);
  } catch {
    return; // an unreadable run.json is reported by the command's own checks
  }
  if (reason) throw new UsageError(reason);
}
