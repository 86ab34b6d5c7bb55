// The long-tailed presets (docs/method.md): each resolves with every loss.kind, and
// alpha * |P| of the largest class sits in the published range (~0.5-5) for its own data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LOSS_KINDS } from '../../../src/core/config/schema';
import { applyOverrides } from '../../../src/core/config/overrides';
import { findPreset, resolvePreset } from '../../../src/core/config/presets';
import { validateConfig } from '../../../src/core/config/validate';
import { longTailCounts } from '../../../src/core/longTail';
import { expectedHeadPositives, PUBLISHED_ALPHA_P } from '../../../src/trainer/losses/alphaScale';

const CLASSES: Record<string, number> = { 'cifar100-lt': 100, 'cifar10-lt': 10, 'fashion-mnist-lt': 10, 'mnist-lt': 10 };

for (const [name, classes] of Object.entries(CLASSES)) {
  test(`${name}: every loss kind resolves; alpha*|P| of the largest class is in the published range`, () => {
    const preset = findPreset(name)!;
    for (const kind of LOSS_KINDS) {
      const r = validateConfig(applyOverrides(preset.config, [{ path: ['loss', 'kind'], value: kind }]), { checkPaths: false });
      assert.ok(r.ok, `${name} with loss.kind ${kind}`);
      assert.equal(r.config.loss.kind, kind);
    }
    const r = resolvePreset(name);
    assert.ok(r.ok);
    const c = r.config;
    assert.equal(c.loss.kind, 'gpaco');
    assert.equal(c.data.imbalanceFactor, 100);
    const counts = longTailCounts(c.data.maxPerClass!, c.data.imbalanceFactor, classes);
    const aP = c.loss.alpha * expectedHeadPositives('gpaco', c.optim.batchSize, c.loss.queueSize, counts);
    assert.ok(aP >= PUBLISHED_ALPHA_P[0] * 0.9 && aP <= PUBLISHED_ALPHA_P[1], `${name}: alpha*|P| = ${aP.toFixed(2)}`);
  });
}

test('the CIFAR presets carry the ResNet-32 recipe; the small-image presets the small-image recipe', () => {
  for (const name of ['cifar100-lt', 'cifar10-lt']) {
    const r = resolvePreset(name);
    assert.ok(r.ok);
    const { model, loss, optim, augment } = r.config;
    assert.deepEqual([model.arch, model.projectionDim], ['resnet32', 32]);
    assert.deepEqual(
      [optim.batchSize, optim.lr, optim.weightDecay, optim.schedule, optim.warmupEpochs, optim.epochs],
      [128, 0.05, 5e-4, 'cifar-step', 10, 400],
    );
    assert.deepEqual([loss.queueSize, loss.views, loss.classPrior, augment.strongSecondView], [1024, 2, true, true]);
  }
  for (const name of ['fashion-mnist-lt', 'mnist-lt']) {
    const r = resolvePreset(name);
    assert.ok(r.ok);
    assert.equal(r.config.data.maxPerClass, 500);
    assert.deepEqual(longTailCounts(500, 100, 10), [500, 299, 179, 107, 64, 38, 23, 13, 8, 5]);
    assert.equal(r.config.model.width * 4, 128, 'F = 128');
  }
});
