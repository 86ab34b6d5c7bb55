// The CLI and the editor take a config through the same pipeline (core/config/pipeline.ts): the
// same bad inputs give the same problem lines from `gpaco train` / `gpaco sweep` (the real CLI
// bundle) and from the editor's adapter behind New Run / New Sweep.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { prepareInEditor } from '../../../src/extension/commands/prepare';
import { tempDir } from '../../../test/shared/tmp';
import { cli } from './harness';

interface Case {
  name: string;
  file: string;
  text: string;
  sets?: string[];
  grid?: string[];
  /** A piece of the problem lines, so a case cannot pass by both sides printing nothing. */
  expect: RegExp;
}

const CASES: Case[] = [
  { name: 'invalid JSON', file: 'broken.json', text: '{\n  "seed": 1\n  "backend": "cpu"\n}', expect: /broken\.json:3:3: invalid JSON/ },
  {
    name: 'schema problems',
    file: 'schema.json',
    text: '{\n  "loss": { "alpah": 1 },\n  "optim": { "epochs": "ten" }\n}',
    expect: /schema\.json:2:\d+: loss\.alpah: unknown field/,
  },
  { name: 'a bad --set', file: 'ok.json', text: '{}', sets: ['optim.lr=-1'], expect: /optim\.lr: .*\(from --set optim\.lr=-1\)/ },
  {
    name: 'Slurm options',
    file: 'slurm.json',
    text: '{ "launch": { "kind": "slurm", "slurm": { "time": "soon", "mem": "lots" } } }',
    expect: /launch\.slurm\.time: "soon" is not a Slurm time limit/,
  },
  { name: 'data the preflight refuses', file: 'data.json', text: '{ "data": { "kind": "mnist", "path": "empty" } }', expect: /empty/ },
  {
    name: 'an invalid grid point',
    file: 'grid.json',
    text: '{}',
    grid: ['optim.lr=0.1,-1'],
    expect: /^grid point 2 \(lr=-1\): .*optim\.lr/,
  },
];

test('the same bad inputs give the same messages from the CLI and from the editor', async (t) => {
  const dir = tempDir(t);
  fs.mkdirSync(path.join(dir, 'empty'));
  for (const c of CASES) {
    const file = path.join(dir, c.file);
    fs.writeFileSync(file, c.text);
    const args = c.grid ? ['sweep', c.file, ...c.grid.flatMap((g) => ['--grid', g])] : ['train', '--config', c.file];
    const r = await cli([...args, ...(c.sets ?? []).flatMap((s) => ['--set', s])], { cwd: dir });
    assert.equal(r.code, 2, `${c.name}: CLI exit code\n${r.stderr}`);
    const lines = r.stderr.split('\n');
    const head = lines.findIndex((l) => / nothing was started:$/.test(l));
    assert.ok(head >= 0, `${c.name}: ${r.stderr}`);
    const cliTitle = lines[head]!.replace(/^gpaco \w+: /, '').replace(/:$/, '');
    const cliLines = lines
      .slice(head + 1)
      .filter((l) => l.startsWith('  '))
      .map((l) => l.slice(2));

    const e = await prepareInEditor({
      source: { kind: 'file', path: file },
      cwd: dir,
      sets: c.sets ?? [],
      ...(c.grid ? { grid: c.grid } : {}),
    });
    assert.equal(e.ok, false, `${c.name}: the editor accepted it`);
    if (e.ok) continue;
    assert.deepEqual(e.errors, cliLines, c.name);
    assert.equal(e.title.toLowerCase(), cliTitle.toLowerCase(), c.name);
    assert.ok(
      e.errors.some((l) => c.expect.test(l)),
      `${c.name}: ${e.errors.join(' | ')}`,
    );
  }
  assert.equal(fs.existsSync(path.join(dir, 'runs')), false, 'nothing was created');
});
