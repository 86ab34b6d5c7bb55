import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

// The CLI imports the data layer for preflight checks: it must never pull in TensorFlow.js.
test('src/data/index.ts reaches no TensorFlow.js module through its imports', () => {
  const root = path.resolve(__dirname, '../../../src/data/index.ts');
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm)) {
      const spec = (m[1] ?? m[2] ?? m[3])!;
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), `${spec}.ts`));
      else packages.add(spec);
    }
  };
  visit(root);
  assert.ok(seen.size > 8, `followed ${seen.size} files`);
  assert.ok(packages.has('pngjs') && packages.has('node:zlib'), [...packages].join(', '));
  const tf = [...packages].filter((p) => p.includes('tensorflow'));
  assert.deepEqual(tf, []);
});
