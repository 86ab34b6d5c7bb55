// gpaco show RUN --confused TRUE:PRED on a split-list run (paths) and an IDX run (positions).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { validateConfig } from '../../../src/core/config/validate';
import { EVAL_SCHEMA_V1 } from '../../../src/core/contract';
import { denseFromSparse } from '../../../src/core/evalEncoding';
import { assignShotGroups, buildEvalFile } from '../../../src/core/evalMath';
import { createRunDirectory, writeClassesFile, writeEvalFile } from '../../../src/core/runDirectory';
import { tempDir } from '../../../test/shared/tmp';
import { solidJpeg, writeTree } from '../data/writers';
import { cli } from './harness';

test('show --confused lists the test images of a cell by path; v1 evaluations say they cannot', async (t) => {
  const dir = tempDir(t);
  const root = path.join(dir, 'img');
  // 3 classes, 4 test images each, listed class by class; one test image the run skipped.
  const testLines: string[] = [];
  const files: Record<string, Uint8Array> = {};
  for (let c = 0; c < 3; c++) {
    for (let k = 0; k < 4; k++) {
      files[`c${c}/${k}.jpg`] = solidJpeg(4, 4, [c * 80, 10, 10]);
      testLines.push(`c${c}/${k}.jpg ${c}`);
    }
  }
  writeTree(root, files);
  fs.writeFileSync(path.join(dir, 'train.txt'), testLines.join('\n'));
  fs.writeFileSync(path.join(dir, 'test.txt'), testLines.join('\n'));
  const r = validateConfig(
    { name: 'lt', data: { kind: 'list', root: 'img', train: 'train.txt', test: 'test.txt', imageSize: 8, channels: 3 } },
    { baseDir: dir },
  );
  assert.ok(r.ok);
  const runs = path.join(dir, 'runs');
  const run = createRunDirectory(runs, { config: r.config, id: 'lt-run' });
  fs.writeFileSync(path.join(run.dir, 'split.json'), JSON.stringify({ testSkipped: ['c0/1.jpg'] }));
  writeClassesFile(run.dir, {
    names: ['cat', 'dog', 'cow'],
    trainCounts: [4, 4, 4],
    testCounts: [3, 4, 4],
    groups: { rule: { kind: 'terciles' }, assignment: assignShotGroups([4, 4, 4], { kind: 'terciles' }) },
  });
  // 11 evaluated images (c0/1.jpg skipped): index 0 = c0/0, 1 = c0/2, 2 = c0/3, 3 = c1/0, ...
  const labels = [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2];
  const preds = [0, 2, 0, 1, 0, 1, 1, 2, 2, 0, 2];
  const scores = preds.flatMap((p) => [0, 1, 2].map((j) => (j === p ? 1 : 0)));
  const ev = buildEvalFile({ tag: 'epoch-0001', epoch: 1, numClasses: 3, labels, scores, assignment: ['many', 'medium', 'few'] });
  writeEvalFile(run.dir, ev);

  const byName = await cli(['show', 'lt-run', '--runs-dir', runs, '--confused', 'cow:cat'], { cwd: dir });
  assert.equal(byName.code, 0, byName.stderr);
  const lines = byName.stdout.trim().split('\n');
  assert.equal(lines[0], 'test images of true class 2 (cow) predicted as 0 (cat) at epoch-0001: 1 of 11');
  assert.match(
    lines[3]!,
    new RegExp(`^ +9 +${path.join(root, 'c2', '2.jpg').replace(/[.]/g, '\\.')}$`),
    'index 9 is c2/2.jpg, the skipped file left out',
  );
  const byNumber = await cli(['show', 'lt-run', '--runs-dir', runs, '--confused', '0:2'], { cwd: dir });
  assert.match(byNumber.stdout, new RegExp(`^ +1 +${path.join(root, 'c0', '2.jpg').replace(/[.]/g, '\\.')}$`, 'm'));
  const bad = await cli(['show', 'lt-run', '--runs-dir', runs, '--confused', 'cat'], { cwd: dir });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /expected TRUE:PRED/);
  const unknown = await cli(['show', 'lt-run', '--runs-dir', runs, '--confused', 'cat:horse'], { cwd: dir });
  assert.match(unknown.stderr, /predicted class: no class named "horse"/);

  // The same evaluation as a v1 file: no per-image predictions, and the command says so.
  const { predictions: _p, ...figures } = ev;
  fs.writeFileSync(
    path.join(run.dir, 'evals', 'epoch-0002.json'),
    JSON.stringify({ ...figures, tag: 'epoch-0002', schema: EVAL_SCHEMA_V1, confusion: denseFromSparse(ev.confusion) }),
  );
  const v1 = await cli(['show', 'lt-run', '--runs-dir', runs, '--confused', '2:0'], { cwd: dir });
  assert.equal(v1.code, 1);
  assert.match(v1.stderr, /evaluation epoch-0002 has no per-image predictions/);
  const older = await cli(['show', 'lt-run', '--runs-dir', runs, '--confused', '2:0', '--tag', 'epoch-0001'], { cwd: dir });
  assert.equal(older.code, 0);
});
