// The extension bundle stays light to activate (< 50 ms, no TensorFlow.js: docs/architecture.md):
// it contains no TensorFlow.js, and of the modules esbuild wraps for lazy evaluation, those run
// at load time exclude config validation / TypeBox (loaded on first use by the commands).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

const bundle = path.resolve(__dirname, '..', '..', '..', 'dist', 'extension.js');

/** Lazily wrapped modules (`var init_x = __esm({...})`) that run when the bundle loads. */
function eagerModules(src: string): { eager: Set<string>; paths: Map<string, string> } {
  const deps = new Map<string, Set<string>>();
  const paths = new Map<string, string>();
  const roots = new Set<string>();
  let cur: string | null = null;
  for (const line of src.split('\n')) {
    const m = /^var (init_[\w$]+) = __esm\(\{/.exec(line);
    if (m) {
      cur = m[1]!;
      deps.set(cur, new Set());
      continue;
    }
    if (cur) {
      const p = /^ {2}"([^"]+)"\(\) \{/.exec(line);
      if (p) paths.set(cur, p[1]!);
      for (const c of line.matchAll(/\b(init_[\w$]+)\(\)/g)) deps.get(cur)!.add(c[1]!);
      if (line === '});') cur = null;
      continue;
    }
    const top = /^(init_[\w$]+)\(\);/.exec(line);
    if (top) roots.add(top[1]!);
  }
  const eager = new Set<string>();
  const stack = [...roots];
  while (stack.length) {
    const n = stack.pop()!;
    if (eager.has(n)) continue;
    eager.add(n);
    for (const d of deps.get(n) ?? []) stack.push(d);
  }
  return { eager, paths };
}

test('dist/extension.js has no TensorFlow.js and loads no config validation at activation', () => {
  assert.ok(fs.existsSync(bundle), 'dist/extension.js is not built (npm run build)');
  const src = fs.readFileSync(bundle, 'utf8');
  assert.equal(src.includes('@tensorflow/tfjs'), false);
  const { eager, paths } = eagerModules(src);
  const eagerPaths = [...eager].map((n) => paths.get(n) ?? n);
  assert.ok(paths.size > 50, `expected many lazily wrapped modules, found ${paths.size}`);
  const heavy = eagerPaths.filter((p) => /typebox|config\/(validate|schema|presets)|core\/sweep|dashboard\/panels|snapshot/.test(p));
  assert.deepEqual(heavy, [], `evaluated at load: ${eagerPaths.join(', ')}`);
});
