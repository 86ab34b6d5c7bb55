// `--set key=value` overrides (CLI, sweeps): dotted paths into a config object.
import { isForbiddenKey } from './safeKeys';
import type { ConfigIssue } from './validate';

export interface Override {
  path: string[];
  value: unknown;
}

/** Parses `loss.alpha=0.01`; the value is JSON when it parses as JSON, else a string. */
export function parseOverride(text: string): Override | ConfigIssue {
  const eq = text.indexOf('=');
  if (eq <= 0) return { path: '', message: `--set expects key=value, got "${text}"` };
  const key = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1).trim();
  if (!/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/.test(key)) {
    return { path: key, message: `--set: "${key}" is not a dotted field path such as loss.alpha` };
  }
  const bad = key.split('.').find(isForbiddenKey);
  if (bad !== undefined) return { path: key, message: `--set: "${bad}" is not a config field` };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = raw;
  }
  return { path: key.split('.'), value };
}

export function isOverride(x: Override | ConfigIssue): x is Override {
  return Array.isArray((x as Override).path);
}

/** Returns a copy of `config` with the overrides applied (missing sections are created). */
export function applyOverrides(config: unknown, overrides: readonly Override[]): Record<string, unknown> {
  const out = structuredClone((config ?? {}) as Record<string, unknown>);
  for (const { path, value } of overrides) {
    // Overrides are checked when parsed; this guards every other caller too.
    const bad = path.find(isForbiddenKey);
    if (bad !== undefined) throw new Error(`"${bad}" is not a config field (in ${path.join('.')})`);
    let node: Record<string, unknown> = out;
    for (const seg of path.slice(0, -1)) {
      const next = node[seg];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) node[seg] = {};
      node = node[seg] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = value;
  }
  return out;
}
