// LR schedules against the papers' released scripts (and their lr_cifar_step /
// lr_warmup_cosine), epochs 0-based.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolvePreset } from '../../../src/core/config/presets';
import { learningRate, lrCifarStep, lrStep, lrWarmupCosine } from '../../../src/trainer/schedule';

const near = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test('warm-up + cosine: base*(e+1)/w during warm-up, then base*0.5*(1+cos(pi*(e-w+1)/(E-w+1)))', () => {
  const base = 0.04;
  const E = 400;
  const w = 10;
  for (let e = 0; e < w; e++) near(lrWarmupCosine(e, base, E, w), (base * (e + 1)) / w, `e=${e}`);
  near(lrWarmupCosine(10, base, E, w), base * 0.5 * (1 + Math.cos((Math.PI * 1) / 391)), 'e=10');
  near(lrWarmupCosine(200, base, E, w), base * 0.5 * (1 + Math.cos((Math.PI * 191) / 391)), 'e=200');
  // the last epoch is not 0: (E-w)/(E-w+1) of the way down
  near(lrWarmupCosine(399, base, E, w), base * 0.5 * (1 + Math.cos((Math.PI * 390) / 391)), 'e=399');
  assert.ok(lrWarmupCosine(399, base, E, w) > 0);
  // monotone after the warm-up
  for (let e = w; e < E - 1; e++) assert.ok(lrWarmupCosine(e + 1, base, E, w) < lrWarmupCosine(e, base, E, w));
  // no warm-up: epoch 0 already decays
  near(lrWarmupCosine(0, 1, 10, 0), 0.5 * (1 + Math.cos(Math.PI / 11)), 'w=0');
});

test('CIFAR step schedule: warm-up while e <= w (epoch 10 at 1.1x), x0.1 after 320, x0.01 after 360', () => {
  const base = 0.05;
  near(lrCifarStep(0, base, 10), 0.005, 'e=0');
  near(lrCifarStep(9, base, 10), 0.05, 'e=9');
  near(lrCifarStep(10, base, 10), 0.055, 'e=10 (docs/method.md, Pitfalls)');
  near(lrCifarStep(11, base, 10), 0.05, 'e=11');
  near(lrCifarStep(320, base, 10), 0.05, 'e=320');
  near(lrCifarStep(321, base, 10), 0.005, 'e=321');
  near(lrCifarStep(360, base, 10), 0.005, 'e=360');
  near(lrCifarStep(361, base, 10), 0.0005, 'e=361');
  near(lrCifarStep(399, base, 10), 0.0005, 'e=399');
  // a 100-epoch run decays at 80 and 90 (the same fractions of the run)
  near(lrCifarStep(80, base, 5, 100), base, 'E=100 e=80');
  near(lrCifarStep(81, base, 5, 100), base * 0.1, 'E=100 e=81');
  near(lrCifarStep(91, base, 5, 100), base * 0.01, 'E=100 e=91');
});

test('generic step and constant schedules; learningRate dispatches on optim.schedule', () => {
  near(lrStep(0, 1, [3, 6], 0.1, 0), 1, 'e=0');
  near(lrStep(2, 1, [3, 6], 0.1, 0), 1, 'e=2');
  near(lrStep(3, 1, [3, 6], 0.1, 0), 0.1, 'e=3');
  near(lrStep(6, 1, [3, 6], 0.1, 0), 0.01, 'e=6');
  near(lrStep(0, 1, [3], 0.1, 2), 0.5, 'warm-up');
  const r = resolvePreset('cifar100-lt');
  assert.ok(r.ok);
  const o = r.config.optim;
  near(learningRate(o, 10), lrCifarStep(10, o.lr, o.warmupEpochs, o.epochs), 'cifar-step');
  near(learningRate({ ...o, schedule: 'cosine' }, 50), lrWarmupCosine(50, o.lr, o.epochs, o.warmupEpochs), 'cosine');
  near(learningRate({ ...o, schedule: 'constant' }, 399), o.lr, 'constant');
  near(learningRate({ ...o, schedule: 'step', stepEpochs: [5], stepGamma: 0.5, warmupEpochs: 0 }, 7), o.lr * 0.5, 'step');
});
