// One hostile run folder must read the same everywhere: the CLI (ls, show), the Runs tree, the
// dashboard snapshot and the experiments summary all show the line of `runReadability`
// (docs/run-folder.md, "Reading run files").
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { readabilityLine, runReadability } from '../../../src/core/readability';
import { createRunDirectory, runPaths } from '../../../src/core/runDirectory';
import { buildRunSnapshot } from '../../../src/core/snapshot';
import { readRunSummary } from '../../../src/core/experiments/summary';
import { runReadability as treeReadability, runTooltipLines } from '../../../src/extension/model/presentation';
import { RunStore } from '../../../src/extension/watch/runStore';
import { presetConfig } from '../core/fixtures';
import { tempDir } from '../../../test/shared/tmp';
import { cli } from './harness';

function treeView(root: string, dir: string) {
  const store = new RunStore();
  try {
    store.setRoots([root]);
    const view = store.get(dir);
    assert.ok(view, 'the tree lists the run');
    return view;
  } finally {
    store.dispose();
  }
}

test('a partial config.json and a checkpoint index that is not JSON: the same "partly readable" line in every view', async (t) => {
  const cwd = tempDir(t);
  const root = path.join(cwd, 'runs');
  const run = createRunDirectory(root, { config: presetConfig(), name: 'hostile', now: new Date(2025, 0, 1, 9) });
  const p = runPaths(run.dir);
  fs.writeFileSync(p.config, '{"data": {"kind": "synth');
  fs.mkdirSync(p.checkpoints, { recursive: true });
  fs.writeFileSync(p.checkpointIndex, 'not json at all');

  const line = runReadability(run.dir);
  assert.ok(line, 'the run is partly readable');
  assert.match(line, /^partly readable: .*config\.json: .*; .*checkpoints\/index\.json: /);

  const ls = await cli(['ls'], { cwd });
  assert.equal(ls.code, 0, ls.stderr);
  assert.ok(ls.stderr.includes(`${run.id}: ${line}`), `gpaco ls names the run with the line:\n${ls.stderr}`);

  const show = await cli(['show', run.id], { cwd });
  assert.equal(show.code, 0, show.stderr);
  const files = /^files +(.*)$/m.exec(show.stdout);
  assert.equal(files?.[1], line, 'gpaco show');

  const view = treeView(root, run.dir);
  assert.equal(treeReadability(view), line, 'the Runs tree');
  assert.ok(runTooltipLines(view).includes(line), 'the tree tooltip');

  assert.equal(buildRunSnapshot(run.dir).run.readability, line, 'the dashboard header (and the report, drawn from it)');
  assert.equal(readRunSummary(run.dir).problem, line, 'the experiments table');
});

test('an unreadable run.json: the same "unreadable" line in the CLI, the tree, the experiments table and the dashboard notice', async (t) => {
  const cwd = tempDir(t);
  const root = path.join(cwd, 'runs');
  const run = createRunDirectory(root, { config: presetConfig(), name: 'broken', now: new Date(2025, 0, 1, 9) });
  fs.writeFileSync(runPaths(run.dir).run, '{"schema": 1, "id": ');

  const line = runReadability(run.dir);
  assert.match(line ?? '', /^unreadable: .*run\.json: /);

  const ls = await cli(['ls'], { cwd });
  assert.ok(ls.stderr.includes(`${run.id}: ${line}`), `gpaco ls:\n${ls.stderr}`);
  const show = await cli(['show', run.id], { cwd });
  assert.equal(/^files +(.*)$/m.exec(show.stdout)?.[1], line, `gpaco show:\n${show.stdout}\n${show.stderr}`);
  assert.equal(treeReadability(treeView(root, run.dir)), line, 'the Runs tree');
  assert.equal(readRunSummary(run.dir).problem, line, 'the experiments table');
  const report = await cli(['report', run.id, '--out', path.join(cwd, 'r.html')], { cwd });
  assert.equal(report.stderr.trim(), `gpaco report: ${run.id}: ${line}`, 'gpaco report');
  assert.equal(fs.existsSync(path.join(cwd, 'r.html')), false);
  // The dashboard cannot build a snapshot; its notice (dashboardPanel.failureText) words the error
  // with the same function.
  let thrown: Error | undefined;
  try {
    buildRunSnapshot(run.dir);
  } catch (err) {
    thrown = err as Error;
  }
  assert.ok(thrown, 'the snapshot builder refuses the run');
  assert.equal(readabilityLine('unreadable', [thrown.message]), line, 'the dashboard notice');
});
