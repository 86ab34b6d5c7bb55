// How an imported run looks to the editor and the dashboard: the tree's context value (no
// Resume / Evaluate menus), tooltip, checkpoint rows, and the snapshot the dashboard draws.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { importPacoLog } from '../../../src/core/import/pacoLogImport';
import { readCheckpointIndex, readRunManifest } from '../../../src/core/runDirectory';
import { buildReportData, buildRunSnapshot } from '../../../src/core/snapshot';
import { checkpointDescription, runContextValue, runTooltipLines } from '../../../src/extension/model/presentation';
import { canResume, ownCheckpoints, type RunView } from '../../../src/extension/model/runView';
import { tempDir } from '../../../test/shared/tmp';
import { generatePacoLog } from './pacoLogGenerator';

function importedRun(t: Parameters<typeof tempDir>[0]): { dir: string; log: string; view: RunView } {
  const root = tempDir(t);
  const log = path.join(root, 'x.log');
  fs.writeFileSync(log, generatePacoLog({ script: 'lt', epochs: 4, batches: 100, printFreq: 50, testBatches: 10 }).text);
  fs.writeFileSync(path.join(root, 'moco_ckpt.pth.tar'), Buffer.alloc(10));
  const r = importPacoLog({ logFile: log, runsDir: path.join(root, 'runs') });
  const manifest = readRunManifest(r.dir);
  const view: RunView = {
    dir: r.dir,
    id: r.id,
    root: path.join(root, 'runs'),
    status: 'completed',
    manifest,
    problem: null,
    epoch: 4,
    epochs: 4,
    latestEval: null,
    checkpoints: readCheckpointIndex(r.dir).checkpoints,
    pending: null,
    tags: [],
    metaProblem: null,
  };
  return { dir: r.dir, log, view };
}

test('tree: an imported run offers no Resume or Evaluate, and says where it came from', (t) => {
  const { log, view } = importedRun(t);
  assert.equal(view.checkpoints.length, 1);
  assert.equal(ownCheckpoints(view).length, 0);
  // The menus match `run:<status>:ckpt` for Resume / Evaluate: an external file must not count.
  assert.equal(runContextValue(view), 'run:completed:imported');
  assert.equal(canResume({ ...view, status: 'stopped' }), false, 'even a stopped imported run is not resumable');
  assert.ok(runTooltipLines(view).includes(`imported from ${log} (paco-log; read-only)`));
  assert.match(checkpointDescription(view.checkpoints[0]!), /external file, not evaluable here/);
});

test('dashboard snapshot: the origin, external checkpoint rows, nothing resumable, no selected matrix', (t) => {
  const { dir, log } = importedRun(t);
  const snap = buildRunSnapshot(dir);
  assert.deepEqual(snap.run.imported, { kind: 'paco-log', source: log, read: readRunManifest(dir).imported!.read, skipped: 0 });
  assert.deepEqual(
    snap.checkpoints.map((c) => [c.tag, c.external, c.hasCheckpoint, c.hasEval]),
    [['moco_ckpt.pth.tar', true, true, false]],
  );
  assert.equal(snap.run.canResume, false);
  assert.equal(snap.selected, null);
  assert.deepEqual(snap.evals.epoch, [1, 2, 3, 4]);
  const report = buildReportData([dir]);
  assert.deepEqual(report.runs[0]!.details, {}, 'a report inlines no matrix for it');
});
