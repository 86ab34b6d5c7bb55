// The protocol's runtime checks and the matrix wire format.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeMatrix, decodeSparse, encodeMatrix } from '../../../src/protocol/matrixCodec';
import { DEFAULT_EXPERIMENTS_VIEW } from '../../../src/protocol/experiments';
import {
  checkCompareWebviewMessage,
  checkExperimentsView,
  checkExperimentsWebviewMessage,
  checkPanelState,
  checkRunWebviewMessage,
} from '../../../src/protocol/validate';

describe('messages from the webview', () => {
  it('accepts the well-formed ones', () => {
    for (const m of [
      { type: 'ready' },
      { type: 'select', runId: '20260102-030405-demo', tag: 'epoch-0003' },
      { type: 'select', runId: 'r', tag: null },
      { type: 'stop', runId: 'r' },
      { type: 'resume', runId: 'r' },
      { type: 'evaluate', runId: 'r', tag: 'epoch-0001' },
      { type: 'export', format: 'csv', fileName: 'confusion epoch-0003.csv', data: 'a,b\n' },
      { type: 'export', format: 'png', fileName: 'loss.png', data: 'data:image/png;base64,AAAA' },
      { type: 'log', level: 'error', text: 'boom' },
    ]) {
      const r = checkRunWebviewMessage(m);
      assert.ok(r.ok, `${JSON.stringify(m)}: ${r.ok ? '' : r.reason}`);
    }
    assert.ok(checkCompareWebviewMessage({ type: 'ready' }).ok);
  });

  it('rejects malformed, unknown and path-carrying messages with a reason', () => {
    const cases: [unknown, RegExp][] = [
      [null, /type missing/],
      ['ready', /type missing/],
      [{ type: 'launchMissiles' }, /unknown type "launchMissiles"/],
      [{ type: 'select', runId: '../../etc', tag: null }, /runId/],
      [{ type: 'select', runId: 'r', tag: '/etc/passwd' }, /tag/],
      [{ type: 'select', runId: 'r', tag: 'epoch-0001', path: '/tmp/x' }, /path/],
      [{ type: 'evaluate', runId: 'r' }, /tag/],
      [{ type: 'export', format: 'csv', fileName: '../evil.csv', data: '' }, /fileName/],
      [{ type: 'export', format: 'csv', fileName: '/abs/evil.csv', data: '' }, /fileName/],
      [{ type: 'export', format: 'csv', fileName: 'evil.sh', data: '' }, /fileName/],
      [{ type: 'stop', runId: 'a/b' }, /runId/],
      [{ type: 'stop', runId: '..' }, /runId/],
    ];
    for (const [m, why] of cases) {
      const r = checkRunWebviewMessage(m);
      assert.equal(r.ok, false, JSON.stringify(m));
      if (!r.ok) assert.match(r.reason, why, JSON.stringify(m));
    }
    assert.equal(checkCompareWebviewMessage({ type: 'stop', runId: 'r' }).ok, false, 'compare panels cannot stop runs');
  });

  it('checks persisted panel state', () => {
    assert.ok(checkPanelState({ panel: 'run', runId: 'r', tag: null }).ok);
    assert.ok(checkPanelState({ panel: 'compare', runIds: ['a', 'b'] }).ok);
    // Groups from the Experiments table: one run and a group is a comparison too.
    assert.ok(
      checkPanelState({ panel: 'compare', runIds: ['a'], groups: [{ label: 'loss.kind=ce', runIds: ['b', 'c'] }], band: 'minmax' }).ok,
    );
    assert.equal(checkPanelState({ panel: 'compare', runIds: ['a'], groups: [{ label: 'x', runIds: [] }] }).ok, false);
    assert.equal(checkPanelState({ panel: 'compare', runIds: ['a', '../b'] }).ok, false);
    assert.ok(checkPanelState({ panel: 'experiments' }).ok);
    assert.equal(checkPanelState({ panel: 'run', runId: '../x', tag: null }).ok, false);
  });
});

describe('experiments panel messages', () => {
  it('accepts view changes, compare requests with groups, tag and note edits and CSV export', () => {
    for (const m of [
      { type: 'ready' },
      {
        type: 'view',
        seq: 3,
        view: {
          ...DEFAULT_EXPERIMENTS_VIEW,
          value: { kind: 'best', by: 'few' },
          groupBy: { except: ['seed'] },
          sort: { column: 'metric:few', descending: true },
        },
      },
      {
        type: 'compare',
        items: [
          { kind: 'run', runId: 'r1' },
          { kind: 'group', label: 'loss.kind=gpaco', runIds: ['r2', 'r3'] },
        ],
        band: 'std',
      },
      { type: 'editTags', runIds: ['r1', 'r2'] },
      { type: 'editNote', runId: 'r1' },
      { type: 'exportCsv' },
    ]) {
      const r = checkExperimentsWebviewMessage(m);
      assert.ok(r.ok, `${JSON.stringify(m)}: ${r.ok ? '' : r.reason}`);
    }
  });

  it('refuses paths, unknown columns, bad value modes and extra fields', () => {
    const cases: [unknown, RegExp][] = [
      [{ type: 'editNote', runId: '../../etc' }, /runId/],
      [{ type: 'compare', items: [{ kind: 'run', runId: '/tmp/x' }], band: 'std' }, /items/],
      [{ type: 'view', seq: 1, view: { ...DEFAULT_EXPERIMENTS_VIEW, sort: { column: 'rm -rf', descending: true } } }, /sort/],
      [{ type: 'view', seq: 1, view: { ...DEFAULT_EXPERIMENTS_VIEW, value: { kind: 'best', by: 'loss' } } }, /value/],
      [{ type: 'view', seq: 1, view: { ...DEFAULT_EXPERIMENTS_VIEW, configColumns: ['a b'] } }, /configColumns/],
      [{ type: 'exportCsv', path: '/tmp/evil.csv' }, /path|additional|exportCsv/i],
      [{ type: 'launch' }, /unknown type/],
    ];
    for (const [m, why] of cases) {
      const r = checkExperimentsWebviewMessage(m);
      assert.equal(r.ok, false, JSON.stringify(m));
      if (!r.ok) assert.match(r.reason, why, JSON.stringify(m));
    }
    assert.equal(
      checkExperimentsView({ ...DEFAULT_EXPERIMENTS_VIEW, band: 'wide' }),
      undefined,
      'a stale persisted view falls back to the default',
    );
    assert.deepEqual(checkExperimentsView(DEFAULT_EXPERIMENTS_VIEW), DEFAULT_EXPERIMENTS_VIEW);
  });
});

describe('matrix codec', () => {
  it('round-trips sparse and dense matrices and picks the shorter form', () => {
    const sparse = new Float64Array(100);
    sparse[0] = 3;
    sparse[57] = 1;
    sparse[99] = 12;
    const e = encodeMatrix(sparse, 10);
    assert.equal(e.encoding, 'gaps');
    assert.deepEqual(e.data, [1, 3, 57, 1, 42, 12]);
    assert.deepEqual([...decodeMatrix(e)], [...sparse]);
    const csr = decodeSparse(e);
    assert.deepEqual([...csr.rowStart], [0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3], 'row offsets, empty rows included');
    assert.deepEqual([...csr.col], [0, 7, 9]);
    assert.deepEqual([...csr.value], [3, 1, 12]);
    const dense = Array.from({ length: 9 }, (_, i) => i + 1);
    const d = encodeMatrix(dense, 3);
    assert.equal(d.encoding, 'dense');
    assert.deepEqual([...decodeMatrix(d)], dense);
    assert.deepEqual([...decodeSparse(d).rowStart], [0, 3, 6, 9]);
    assert.deepEqual([...decodeSparse(d).value], dense);
  });

  it('refuses data that does not fit the size', () => {
    assert.throws(() => decodeMatrix({ size: 2, encoding: 'dense', data: [1, 2, 3] }), /3 cells/);
    assert.throws(() => decodeMatrix({ size: 2, encoding: 'gaps', data: [5, 1] }), /outside/);
    assert.throws(() => decodeMatrix({ size: 2, encoding: 'gaps', data: [0, 1] }), /outside/);
    assert.throws(() => decodeSparse({ size: 2, encoding: 'gaps', data: [5, 1] }), /outside/);
    assert.throws(() => decodeSparse({ size: 2, encoding: 'gaps', data: [1, 1, 0, 1] }), /outside/);
    assert.throws(() => decodeSparse({ size: 2, encoding: 'dense', data: [1] }), /1 cells/);
    assert.throws(() => encodeMatrix([1, 2], 2), /2 cells/);
  });
});
