// The short parity check: our trainer and its PyTorch twin (scripts/parity_torch.py, Debian's
// python3-torch) take the same first steps on tiny synthetic long-tailed data, with the same
// initial weights, data order, augmented views and schedule handed over from our side. The full
// comparison over splits, seeds and budgets is `npm run bench:parity` (hours; not a test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../src/core/config/validate';
import type { Config } from '../../src/core/config/schema';
import { loadDataset } from '../../src/data';
import { selectBackend } from '../../src/trainer/backends';
import { findPython } from '../../test/shared/python';
import { PARITY_METHODS, type ParityMethod, runParity } from '../../scripts/parity/lockstep';

function config(kind: ParityMethod): Config {
  const r = validateConfig(
    {
      seed: 3,
      data: {
        kind: 'synthetic',
        classes: 4,
        imageSize: 12,
        channels: 1,
        maxPerClass: 48,
        imbalanceFactor: 12,
        testPerClass: 8,
        splitSeed: 1,
      },
      model: { arch: 'convnet', width: 4, projectionDim: 8 },
      loss: { kind, queueSize: 32, temperature: 0.1, alpha: 0.05 },
      optim: { batchSize: 16, epochs: 2, lr: 0.05, warmupEpochs: 1, weightDecay: 0.01 },
      augment: { padding: 2, flip: true },
    },
    { checkPaths: false },
  );
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  return r.config;
}

for (const kind of PARITY_METHODS) {
  test(`parity with PyTorch: ${kind}, the first steps' losses agree`, async () => {
    await selectBackend('cpu');
    const c = config(kind);
    const dataset = await loadDataset(c);
    const r = await runParity(c, dataset, { maxSteps: 4, python: findPython('torch') });
    assert.equal(r.steps.length, 4);
    const first = r.steps[0]!;
    assert.ok(Number.isFinite(first.ours) && first.ours > 0, `our first loss ${first.ours}`);
    assert.ok(Math.abs(first.ours - first.torch) <= 1e-4, `first step: ours ${first.ours}, PyTorch ${first.torch}`);
    // Later steps depend on both sides' updates (SGD, weight decay, BN statistics, the queue):
    // they stay at float32 noise (~1e-6 here) only if those agree too. The large weight decay
    // above makes a twin that skipped it miss by ~1e-4 at step 2.
    for (const [i, s] of r.steps.entries())
      assert.ok(Math.abs(s.ours - s.torch) <= 2e-5, `step ${i + 1}: ours ${s.ours}, PyTorch ${s.torch}`);
    // The losses move: a twin that ignored the updates would fail above, not pass by luck.
    assert.notEqual(r.steps[3]!.ours, first.ours);
  });
}
