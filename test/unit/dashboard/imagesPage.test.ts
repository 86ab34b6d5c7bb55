// The host side of the thumbnails: the right test images for a cell / a class's mistakes /
// images wrongly predicted as a class, pixels equal to the source files, no path in the message.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { EVAL_SCHEMA_V1 } from '../../../src/core/contract';
import { denseFromSparse } from '../../../src/core/evalEncoding';
import { readEvalFile, runPaths } from '../../../src/core/runDirectory';
import { TestImageCache, imagesPage } from '../../../src/extension/dashboard/imagesPage';
import { THUMBNAIL_MAX_BYTES } from '../../../src/protocol/messages';
import { makeImageListRun } from '../../../test/shared/imageListRun';

test('a confusion cell gives its test images with the source pixels, never a path', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gpaco-thumbs-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const run = makeImageListRun(path.join(dir, 'runs'), dir);
  const cache = new TestImageCache();
  const m = await imagesPage(run.dir, 'epoch-0001', { kind: 'cell', true: 3, pred: 0 }, 0, cache);
  assert.equal(m.error, undefined);
  const expected = run.test.flatMap((im, i) => (im.label === 3 && im.pred === 0 ? [i] : []));
  assert.equal(m.total, 5);
  assert.deepEqual(
    m.items.map((x) => x.index),
    expected,
  );
  for (const item of m.items) {
    assert.equal(item.true, 3);
    assert.equal(item.pred, 0);
    assert.deepEqual(new Uint8Array(Buffer.from(item.pixels!, 'base64')), run.test[item.index]!.pixels, `image ${item.index}`);
    assert.ok(item.width * item.height * item.channels <= THUMBNAIL_MAX_BYTES);
  }
  assert.ok(!JSON.stringify(m).includes(dir), 'no file path goes to the webview');

  const mistakes = await imagesPage(run.dir, 'epoch-0001', { kind: 'mistakes', cls: 2 }, 0, cache);
  assert.deepEqual(
    mistakes.items.map((x) => [x.true, x.pred]),
    [
      [2, 1],
      [2, 1],
    ],
  );
  const wrongAs = await imagesPage(run.dir, 'epoch-0001', { kind: 'predictedAs', cls: 0 }, 0, cache);
  assert.equal(wrongAs.total, 5);
  assert.ok(wrongAs.items.every((x) => x.pred === 0 && x.true !== 0));
  const beyond = await imagesPage(run.dir, 'epoch-0001', { kind: 'cell', true: 3, pred: 0 }, 1, cache);
  assert.equal(beyond.total, 5);
  assert.deepEqual(beyond.items, []);
  const outOfRange = await imagesPage(run.dir, 'epoch-0001', { kind: 'cell', true: 9, pred: 0 }, 0, cache);
  assert.match(outOfRange.error ?? '', /class 9 is outside 0\.\.3/);

  // A missing source file: that thumbnail says why, the others still come.
  fs.rmSync(run.test[expected[0]!]!.file);
  const partial = await imagesPage(run.dir, 'epoch-0001', { kind: 'cell', true: 3, pred: 0 }, 0, new TestImageCache());
  assert.equal(partial.items[0]!.pixels, null);
  assert.match(partial.items[0]!.error ?? '', /cannot read/);
  assert.ok(partial.items.slice(1).every((x) => x.pixels !== null));

  // The same evaluation as a v1 file (no per-image predictions): the reply says so.
  const ev = readEvalFile(run.dir, 'epoch-0001');
  const { predictions: _p, ...figures } = ev;
  fs.writeFileSync(
    runPaths(run.dir).evalFile('epoch-0001'),
    JSON.stringify({ ...figures, schema: EVAL_SCHEMA_V1, confusion: denseFromSparse(ev.confusion) }),
  );
  const v1 = await imagesPage(run.dir, 'epoch-0001', { kind: 'cell', true: 3, pred: 0 }, 0, cache);
  assert.deepEqual(v1.items, []);
  assert.match(v1.error ?? '', /has no per-image predictions/);
});
