import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { EVAL_SCHEMA, EVAL_SCHEMA_V1 } from '../../../src/core/contract';
import {
  confusionCell,
  decodePredictions,
  denseFromSparse,
  encodePredictions,
  selectImages,
  sparseConfusionOf,
  sparseFromDense,
} from '../../../src/core/evalEncoding';
import { EvalAccumulator, buildEvalFile, topClasses } from '../../../src/core/evalMath';
import { RunFileError, parseEvalFile, readEvalFile, runPaths, writeEvalFile, createRunDirectory } from '../../../src/core/runDirectory';
import { Rng } from '../../../src/core/random';
import { evalFile, presetConfig } from './fixtures';
import { tempDir } from '../../../test/shared/tmp';

function randomEval(c: number, n: number, seed: number, top5 = false) {
  const rng = new Rng(seed);
  const labels = Array.from({ length: n }, () => rng.int(c));
  const scores = Float32Array.from({ length: n * c }, () => rng.normal());
  const acc = new EvalAccumulator(c, { top5Predictions: top5 });
  acc.add(labels, scores);
  return { labels, scores, ev: acc.toEvalFile({ tag: 'epoch-0001', epoch: 1, assignment: new Array(c).fill('many') }) };
}

test('v1 and v2 files of the same evaluation read the same, side by side', (t) => {
  const { dir } = createRunDirectory(tempDir(t), { config: presetConfig(), now: new Date(Date.UTC(2026, 0, 1)) });
  const { ev } = randomEval(6, 200, 1);
  writeEvalFile(dir, ev);
  const dense = denseFromSparse(ev.confusion);
  const v1 = evalFile('epoch-0000', 1, dense, {
    top1: ev.top1,
    top5: ev.top5,
    perClassAccuracy: ev.perClassAccuracy,
    groupAccuracy: ev.groupAccuracy,
    n: ev.n,
  });
  writeEvalFile(dir, v1);
  const raw2 = JSON.parse(fs.readFileSync(runPaths(dir).evalFile('epoch-0001'), 'utf8')) as { schema: string; confusion: unknown };
  const raw1 = JSON.parse(fs.readFileSync(runPaths(dir).evalFile('epoch-0000'), 'utf8')) as { schema: string; confusion: unknown };
  assert.equal(raw2.schema, EVAL_SCHEMA, 'trainers write v2');
  assert.equal(raw1.schema, EVAL_SCHEMA_V1);
  assert.ok(Array.isArray(raw1.confusion) && !Array.isArray(raw2.confusion));
  const a = readEvalFile(dir, 'epoch-0000');
  const b = readEvalFile(dir, 'epoch-0001');
  assert.deepEqual(a.confusion, b.confusion);
  assert.equal(a.schema, b.schema, 'both read as the current in-memory form');
  assert.equal(a.predictions, undefined, 'v1 has no per-image predictions');
  assert.ok(b.predictions);
  for (let t2 = 0; t2 < 6; t2++) for (let p = 0; p < 6; p++) assert.equal(confusionCell(b.confusion, t2, p), dense[t2]![p]);
});

test('predictions: 2 bytes an image up to 65,536 classes, 4 above; top-5 optional', () => {
  const { labels, scores, ev } = randomEval(9, 50, 2, true);
  const p = decodePredictions(ev.predictions!, 9);
  assert.equal(ev.predictions!.type, 'uint16');
  assert.equal(Buffer.from(ev.predictions!.top1, 'base64').length, 50 * 2);
  assert.deepEqual([...p.true], labels);
  for (let i = 0; i < 50; i++) {
    const row = Array.from(scores.subarray(i * 9, i * 9 + 9));
    const sorted = row
      .map((v, j) => [v, j] as const)
      .sort((x, y) => y[0] - x[0] || x[1] - y[1])
      .slice(0, 5)
      .map(([, j]) => j);
    assert.deepEqual([...p.top5!.subarray(i * 5, i * 5 + 5)], sorted, `image ${i}`);
    assert.equal(p.top1[i], sorted[0]);
  }
  const big = encodePredictions(70_000, [69_999, 3], [0, 69_998]);
  assert.equal(big.type, 'uint32');
  assert.deepEqual([...decodePredictions(big, 70_000).top1], [0, 69_998]);
  assert.deepEqual(topClasses([1, 3, 2], 0, 3, 5), [1, 2, 0, 0, 0], 'fewer classes than 5: padded');
});

test("the images of a confusion cell, of a class's mistakes, wrongly predicted as a class, in test-set order", () => {
  const labels = [0, 1, 1, 2, 1, 0];
  const preds = [0, 2, 2, 2, 1, 2];
  const p = decodePredictions(encodePredictions(3, labels, preds), 3);
  assert.deepEqual(selectImages(p, { kind: 'cell', true: 1, pred: 2 }), [1, 2]);
  assert.deepEqual(selectImages(p, { kind: 'cell', true: 0, pred: 2 }), [5]);
  assert.deepEqual(selectImages(p, { kind: 'cell', true: 2, pred: 0 }), []);
  assert.deepEqual(selectImages(p, { kind: 'mistakes', cls: 1 }), [1, 2]);
  assert.deepEqual(selectImages(p, { kind: 'predictedAs', cls: 2 }), [1, 2, 5]);
  assert.deepEqual(
    sparseConfusionOf(labels, preds, 3),
    sparseFromDense([
      [1, 0, 1],
      [0, 1, 2],
      [0, 0, 1],
    ]),
  );
});

test('bad v1 / v2 confusion and predictions fields are refused with what is wrong', () => {
  const ev = buildEvalFile({
    tag: 't',
    epoch: 1,
    numClasses: 2,
    labels: [0, 1, 1],
    scores: [1, 0, 0, 1, 1, 0],
    assignment: ['many', 'few'],
  });
  const file = '/x/evals/t.json';
  const bad = (patch: Record<string, unknown>, re: RegExp) => {
    const v = JSON.parse(JSON.stringify(ev)) as Record<string, unknown>;
    Object.assign(v, patch);
    assert.throws(
      () => parseEvalFile(v, file),
      (e: unknown) => e instanceof RunFileError && re.test(e.message) && e.message.startsWith(file),
    );
  };
  assert.deepEqual(parseEvalFile(JSON.parse(JSON.stringify(ev)), file), ev);
  bad({ schema: 'gpaco-eval/3' }, /"gpaco-eval\/2" or "gpaco-eval\/1"/);
  bad(
    {
      confusion: [
        [1, 0],
        [0, 2],
      ],
    },
    /confusion must be an object/,
  );
  bad({ confusion: { layout: 'dense', classes: 2, cells: [] } }, /layout must be "sparse"/);
  bad({ confusion: { layout: 'sparse', classes: 3, cells: [] } }, /classes must be 2/);
  bad({ confusion: { layout: 'sparse', classes: 2, cells: [0, 0] } }, /triplets/);
  bad({ confusion: { layout: 'sparse', classes: 2, cells: [0, 2, 1] } }, /0\.\.1/);
  bad({ confusion: { layout: 'sparse', classes: 2, cells: [0, 0, 0] } }, /positive integer/);
  bad({ confusion: { layout: 'sparse', classes: 2, cells: [1, 0, 1, 0, 0, 1] } }, /sorted/);
  bad({ predictions: { ...ev.predictions, n: 4 } }, /predictions\.n must equal n \(3\)/);
  bad({ predictions: { ...ev.predictions, top1: 'AAAA' } }, /predictions\.top1 holds 3 bytes, expected 6/);
  bad({ predictions: { ...ev.predictions, top1: Buffer.from([0, 0, 9, 0, 1, 0]).toString('base64') } }, /top1\[1\] is 9/);
  bad({ predictions: { ...ev.predictions, true: 'not base64!' } }, /base64 string/);
  bad(
    {
      schema: EVAL_SCHEMA_V1,
      confusion: [
        [1, 0],
        [0, -1],
      ],
    },
    /confusion\[1\]\[1\] must be a non-negative integer/,
  );
  bad({ schema: EVAL_SCHEMA_V1, confusion: [[1, 0]] }, /confusion must be 2 x 2/);
});
