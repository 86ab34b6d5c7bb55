// Writing an imported run (docs/run-folder.md, "Imported runs"): an ordinary run folder whose
// run.json says where it came from (`imported`), so every viewer shows it like any run and every
// action that would train, resume or evaluate it refuses. The source is only read.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { writeFileAtomic, writeJsonAtomic } from '../atomicWrite';
import {
  RUN_SCHEMA,
  type CheckpointEntry,
  type ClassesFile,
  type ForeignConfig,
  type ImportKind,
  type ImportRecord,
  type MetricRecord,
  type RunManifest,
} from '../contract';
import { claimRunFolder, runPaths, writeCheckpointIndex, writeClassesFile } from '../runDirectory';

/** Problems kept in run.json; all of them go to the run's trainer.log. */
export const STORED_PROBLEMS = 50;

export interface ImportedRunSpec {
  kind: ImportKind;
  /** Absolute path of what was read. */
  source: string;
  name: string;
  /** What the source says about its training (any JSON object). */
  config: ForeignConfig;
  classes: ClassesFile | null;
  records: MetricRecord[];
  /** External checkpoint files (entries with `external: true`). */
  checkpoints: CheckpointEntry[];
  progress: { epoch: number; epochs: number };
  /** Lines or records used. */
  read: number;
  /** Every problem, formatted `file:line: reason` (or `file@offset: reason`). */
  problems: string[];
  /** Extra lines for the log, e.g. "resumed at epoch 41 (line 1234)". */
  notes?: string[];
  runsDir: string;
  now?: Date;
}

/** One line for a run's description: `imported from <file> (paco-log)`. */
export function importedText(record: ImportRecord): string {
  return `imported from ${record.source} (${record.kind}; read-only)`;
}

/** Why an imported run refuses `what` (resume, evaluate, ...); undefined for other runs. */
export function readOnlyReason(manifest: Pick<RunManifest, 'imported' | 'id'>, what: string): string | undefined {
  const imp = manifest.imported;
  if (!imp) return undefined;
  return `run ${manifest.id} cannot ${what}: it was imported from ${imp.source} and is read-only (its training happened elsewhere; nothing here can continue or evaluate it)`;
}

/** Creates the run folder; run.json is written last, so a half-written import is never a run. */
export function writeImportedRun(spec: ImportedRunSpec): { id: string; dir: string; manifest: RunManifest } {
  const now = spec.now ?? new Date();
  const { id, dir } = claimRunFolder(spec.runsDir, spec.name, now);
  const paths = runPaths(dir);
  const imported: ImportRecord = {
    kind: spec.kind,
    source: spec.source,
    importedAt: now.toISOString(),
    read: spec.read,
    skipped: spec.problems.length,
    problems: spec.problems.slice(0, STORED_PROBLEMS),
  };
  const manifest: RunManifest = {
    schema: RUN_SCHEMA,
    id,
    name: spec.name,
    createdAt: now.toISOString(),
    status: 'completed',
    pid: null,
    host: os.hostname(),
    backend: null,
    startedAt: null,
    endedAt: now.toISOString(),
    exitCode: null,
    error: null,
    progress: spec.progress,
    config: spec.config,
    imported,
  };
  try {
    writeJsonAtomic(paths.config, spec.config);
    if (spec.classes) writeClassesFile(dir, spec.classes);
    writeFileAtomic(paths.metrics, spec.records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    if (spec.checkpoints.length) writeCheckpointIndex(dir, { checkpoints: spec.checkpoints });
    const log = [
      `[gpaco-lab] ${now.toISOString()} imported ${spec.source} (${spec.kind})`,
      `read ${spec.read}, skipped ${spec.problems.length}`,
      ...(spec.notes ?? []),
      ...spec.problems.map((p) => `skipped ${p}`),
    ];
    writeFileAtomic(paths.log, `${log.join('\n')}\n`);
    writeJsonAtomic(paths.run, manifest);
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return { id, dir, manifest };
}
