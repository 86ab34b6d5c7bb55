// Field names that reach an object's prototype when used as a key (`node[seg] = ...`): a config
// path such as `__proto__.polluted` would change Object.prototype for the whole process (the
// CLI, or the extension host shared with other extensions). They are never config fields.
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

export function isForbiddenKey(key: string): boolean {
  return FORBIDDEN.has(key);
}

/** Dotted paths of every forbidden key inside `value` (own properties, any depth). */
export function forbiddenKeyPaths(value: unknown, prefix: string[] = [], out: string[] = [], depth = 0): string[] {
  if (typeof value !== 'object' || value === null || depth > 64) return out;
  for (const key of Object.keys(value)) {
    const p = [...prefix, key];
    if (isForbiddenKey(key)) out.push(p.join('.'));
    else forbiddenKeyPaths((value as Record<string, unknown>)[key], p, out, depth + 1);
  }
  return out;
}
