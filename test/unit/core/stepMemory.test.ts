// One training step's memory estimate (src/core/memory/stepMemory.ts): every built-in preset fits
// every backend of a modest machine; a step that cannot fit is refused naming its fields and the
// estimate against the limit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BACKENDS, type Config } from '../../../src/core/config/schema';
import { PRESETS, resolvePreset } from '../../../src/core/config/presets';
import { backendMemoryLimit, estimateStepMemory, stepMemoryProblem, WASM_HEAP_BYTES } from '../../../src/core/memory/stepMemory';

const GiB = 1024 ** 3;

function preset(name: string): Config {
  const r = resolvePreset(name);
  assert.ok(r.ok, name);
  return r.config;
}

test('every built-in preset fits every backend of an 8 GiB machine', () => {
  for (const p of PRESETS) {
    for (const backend of BACKENDS) {
      const config = { ...preset(p.name), backend };
      const problem = stepMemoryProblem(config, backendMemoryLimit(backend, 8 * GiB));
      assert.equal(problem, null, `${p.name} on ${backend}: ${problem?.message}`);
    }
  }
});

test('the estimate grows with the batch, the image size and the queue', () => {
  const plain = preset('synthetic-lt');
  const base: Config = { ...plain, loss: { ...plain.loss, kind: 'gpaco' } };
  const at = (patch: (c: Config) => Config) => estimateStepMemory(patch(structuredClone(base))).bytes;
  const b0 = at((c) => c);
  assert.ok(at((c) => ({ ...c, optim: { ...c.optim, batchSize: c.optim.batchSize * 4 } })) > b0);
  assert.ok(at((c) => ({ ...c, data: { ...c.data, imageSize: 64 } })) > b0);
  assert.ok(at((c) => ({ ...c, loss: { ...c.loss, queueSize: c.loss.queueSize + 100_000 } })) > b0);
});

test('a step that cannot fit is one line naming the fields and the estimate against the limit', () => {
  const base = preset('synthetic-lt');
  const huge: Config = {
    ...base,
    backend: 'wasm',
    optim: { ...base.optim, batchSize: 4096 },
    loss: { ...base.loss, kind: 'gpaco', queueSize: 1_000_000 },
  };
  const p = stepMemoryProblem(huge);
  assert.ok(p);
  assert.equal(p.path, 'optim.batchSize');
  assert.match(
    p.message,
    /^one training step needs at least ~[\d.]+ GiB, more than the wasm heap \(4\.0 GiB\); lower optim\.batchSize \/ data\.imageSize.* \/ loss\.queueSize$/,
  );
  assert.ok(estimateStepMemory(huge, 1).bytes > WASM_HEAP_BYTES);
  assert.doesNotMatch(p.message, /\n/);
});
