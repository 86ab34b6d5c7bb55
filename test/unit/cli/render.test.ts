import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MetricRecord } from '../../../src/core/contract';
import { ProgressView } from '../../../src/cli/progressView';
import type { Output } from '../../../src/cli/registry';
import { renderConfusion } from '../../../src/cli/render/confusion';
import { bytes, duration, localTime, num, pct, truncate } from '../../../src/cli/render/format';
import {
  bar,
  initialProgress,
  progressFraction,
  reduceProgress,
  renderProgressLine,
  renderRecordLine,
  withManifestProgress,
} from '../../../src/cli/render/progress';
import { renderFields, renderTable } from '../../../src/cli/render/table';

const T = '2025-01-01T00:00:00.000Z';

test('number, time and size formats', () => {
  assert.equal(pct(0.4517), '45.2%');
  assert.equal(pct(1), '100.0%');
  assert.equal(pct(null), '-');
  assert.equal(pct(Number.NaN), '-');
  assert.equal(num(1.23456), '1.235');
  assert.equal(num(0.05), '0.05');
  assert.equal(num(0.0001234), '1.23e-4');
  assert.equal(num(2), '2');
  assert.equal(duration(2.46), '2.5 s');
  assert.equal(duration(45), '45 s');
  assert.equal(duration(185), '3 min 05 s');
  assert.equal(duration(7620), '2 h 07 min');
  assert.equal(bytes(512), '512 B');
  assert.equal(bytes(1536), '1.5 KiB');
  assert.equal(bytes(12 * 1024 * 1024), '12.0 MiB');
  assert.equal(truncate('abcdef', 4), 'abc…');
  assert.equal(truncate('abc', 4), 'abc');
  const d = new Date(2025, 0, 2, 13, 4, 5);
  assert.equal(localTime(d.toISOString()), '2025-01-02 13:04');
  assert.equal(localTime(d.toISOString(), true), '2025-01-02 13:04:05');
  assert.equal(localTime(null), '-');
});

test('tables align columns, right-align numbers and have no trailing spaces', () => {
  const lines = renderTable(
    [{ header: 'ID' }, { header: 'TOP-1', align: 'right' }, { header: 'NOTE' }],
    [
      ['a', '5.0%', ''],
      ['long-id', '45.2%', 'best'],
    ],
  );
  assert.deepEqual(lines, ['ID       TOP-1  NOTE', '-------  -----  ----', 'a         5.0%', 'long-id  45.2%  best']);
  assert.deepEqual(
    renderFields([
      ['run', 'x'],
      ['directory', '/d'],
    ]),
    ['run        x', 'directory  /d'],
  );
});

test('progress state follows records and run.json, and the live line shows it', () => {
  let s = initialProgress({ epoch: 0, epochs: 12 });
  assert.equal(progressFraction(s), 0);
  s = reduceProgress(s, { kind: 'step', epoch: 1, step: 5, loss: 2.5, lr: 0.1, time: T });
  s = withManifestProgress(s, { epoch: 3, epochs: 12, step: 19, stepsPerEpoch: 38 });
  assert.equal(progressFraction(s), 3.5 / 12);
  s = reduceProgress(s, {
    kind: 'eval',
    epoch: 3,
    tag: 'epoch-0003',
    top1: 0.452,
    top5: 0.9,
    many: 0.8,
    medium: 0.4,
    few: 0.1,
    file: 'f',
    time: T,
  });
  assert.equal(renderProgressLine(s, 200), `epoch 4/12 ${bar(3.5 / 12, 20)} 29%  step 19/38  loss 2.5  top-1 45.2%  few 10.0%`);
  assert.equal(bar(0.5, 10), '[#####.....]');
  assert.ok(renderProgressLine(s, 40).length <= 39, 'cut to the terminal width');
  s = reduceProgress(s, { kind: 'epoch', epoch: 12, loss: 0.5, accuracy: 0.9, lr: 0, seconds: 3, imagesPerSecond: 800, time: T });
  assert.equal(progressFraction(s), 1);
  assert.match(renderProgressLine(s, 200), /^epoch 12\/12 \[#{20}\] 100%/);
});

test('one plain line per epoch, eval, checkpoint and event; none per step', () => {
  const recs: MetricRecord[] = [
    { kind: 'step', epoch: 1, step: 1, loss: 1, lr: 0.1, time: T },
    { kind: 'epoch', epoch: 2, loss: 0.8123, accuracy: 0.5, lr: 0.05, seconds: 12.3, imagesPerSecond: 812.4, time: T },
    { kind: 'eval', epoch: 2, tag: 'epoch-0002', top1: 0.5, top5: 0.9, many: 0.7, medium: 0.45, few: 0.1, file: 'f', time: T },
    { kind: 'checkpoint', epoch: 2, tag: 'epoch-0002', time: T },
    { kind: 'event', level: 'warn', message: 'backend tensorflow skipped: not installed', time: T },
    { kind: 'event', level: 'info', message: 'backend wasm', time: T },
  ];
  assert.deepEqual(
    recs.map((r) => renderRecordLine(r, 12)),
    [
      undefined,
      'epoch 2/12  loss 0.8123  train acc 50.0%  lr 0.05  12 s  812 img/s',
      'eval epoch-0002  top-1 50.0%  top-5 90.0%  many 70.0%  medium 45.0%  few 10.0%',
      'checkpoint epoch-0002',
      'warn: backend tensorflow skipped: not installed',
      'backend wasm',
    ],
  );
});

function capture(isTTY: boolean): Output & { text: () => string } {
  let buf = '';
  return {
    out: (l = '') => (buf += `${l}\n`),
    err: (l = '') => (buf += `${l}\n`),
    write: (t) => (buf += t),
    isTTY,
    columns: 80,
    text: () => buf,
  };
}

test('the progress view redraws its live line on a TTY and prints only lines otherwise', () => {
  const tty = capture(true);
  const v = new ProgressView(tty);
  v.status('epoch 1/3');
  v.status('epoch 1/3'); // unchanged: not redrawn
  v.line('epoch 1/3 done');
  v.status('epoch 2/3');
  v.close();
  assert.equal(tty.text(), '\r\x1b[2Kepoch 1/3\r\x1b[2Kepoch 1/3 done\nepoch 1/3\r\x1b[2Kepoch 2/3\r\x1b[2K');
  const plain = capture(false);
  const p = new ProgressView(plain);
  p.status('epoch 1/3');
  p.line('epoch 1/3 done');
  p.close();
  assert.equal(plain.text(), 'epoch 1/3 done\n');
});

test('the text confusion matrix: head-to-tail order, % of row, group boundaries, column shares', () => {
  // Label order is not head-to-tail: class 2 is the head, class 0 the tail.
  const lines = renderConfusion({
    confusion: [
      [1, 0, 3], // tail: 1 of 4 right, 3 went to the head
      [0, 5, 5],
      [0, 0, 10],
    ],
    names: ['cat', 'dog', 'airplane'],
    trainCounts: [5, 50, 500],
    assignment: ['few', 'medium', 'many'],
  });
  assert.deepEqual(lines.slice(1), [
    '                     2 |   1 |   0',
    'M 2 airplane       100 |   . |   .',
    '-----------------------|-----|----',
    'm 1 dog             50 |  50 |   .',
    '-----------------------|-----|----',
    'f 0 cat             75 |   . |  25',
    '-----------------------|-----|----',
    'predicted %         75 |  21 |   4',
  ]);
});
