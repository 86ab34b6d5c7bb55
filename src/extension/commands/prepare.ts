// The editor side of the config pipeline (core/config/pipeline.ts), shared by New Run and New
// Sweep. No `vscode` here (a unit test runs it beside the CLI's adapter): the callers pass the
// settings that apply (gpaco.backend, gpaco.slurm.*). A refusal carries the same problem lines
// as `gpaco train` / `gpaco sweep` print.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PrepareRequest, PreparedConfig } from '../../core/config/pipeline';
import { readRunText } from '../../core/runFile';

export interface EditorRefusal {
  ok: false;
  /** Notification title, e.g. "Invalid config from /w/exp.json (2 problems); nothing was started". */
  title: string;
  errors: string[];
  file?: string;
}

/** Runs the pipeline with src/data's preflight (both loaded on use: activation stays light). */
export async function prepareInEditor(req: Omit<PrepareRequest, 'preflight'>): Promise<PreparedConfig | EditorRefusal> {
  const { prepareConfig, refusalLines } = await import('../../core/config/pipeline');
  const { preflightData } = await import('../../data/index');
  const r = await prepareConfig({ ...req, preflight: preflightData });
  if (r.ok) return r;
  return {
    ok: false,
    title: `${r.title.charAt(0).toUpperCase()}${r.title.slice(1)}; nothing was started`,
    errors: refusalLines(r),
    ...(r.file ? { file: r.file } : {}),
  };
}

/**
 * A preset becomes a file in the workspace (experiments/<preset>.json, an identical file is
 * reused) so it can be edited and versioned; New Run and New Sweep both start from that file.
 * `backend` is left out unless the preset sets it, so the gpaco.backend setting applies.
 */
export async function writePresetConfig(folder: string, preset: string): Promise<{ ok: true; file: string } | EditorRefusal> {
  const { findPreset, resolvePreset } = await import('../../core/config/presets');
  const { formatIssue } = await import('../../core/config/validate');
  const resolved = resolvePreset(preset, folder);
  if (!resolved.ok) return { ok: false, title: 'Unknown preset; nothing was started', errors: resolved.errors.map(formatIssue) };
  const config: Record<string, unknown> = { ...resolved.config };
  if (!('backend' in (findPreset(preset)?.config ?? {}))) delete config.backend;
  const dir = path.join(folder, 'experiments');
  fs.mkdirSync(dir, { recursive: true });
  const text = `${JSON.stringify(config, null, 2)}\n`;
  for (let n = 1; n < 1000; n++) {
    const file = path.join(dir, n === 1 ? `${preset}.json` : `${preset}-${n}.json`);
    if (!fs.existsSync(file)) {
      fs.writeFileSync(file, text);
      return { ok: true, file };
    }
    try {
      if (readRunText('config', file) === text) return { ok: true, file };
    } catch {
      // not a readable regular file: try the next name
    }
  }
  return { ok: false, title: 'Cannot write the preset; nothing was started', errors: [`too many copies of preset ${preset} in ${dir}`] };
}
