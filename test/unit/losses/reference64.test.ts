// The float64 oracle against the golden file (docs/method.md: 1e-9 absolute), plus the
// reductions and invariances of docs/method.md at float64.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { GOLDEN_QUANTITIES, loadGoldenFile, maxAbsDiff } from '../../../src/trainer/losses/goldenCases';
import { logPrior64, methodLoss64, parametricContrastive64, type LossHyper } from '../../../src/trainer/losses/reference64';
import { Rng } from '../../../src/core/random';

// The golden cases of the loss (docs/method.md, "Gradients"), kept in the repository.
const GOLDEN_FILE = path.resolve(__dirname, '../../fixtures/losses/gpaco_loss_cases.json');

const cases = loadGoldenFile(GOLDEN_FILE);

test('the golden file has PaCo, GPaCo and single-view cases', () => {
  const variants = new Set(cases.map((c) => c.variant));
  assert.deepEqual([...variants].sort(), ['gpaco', 'gpaco_single_view', 'paco']);
});

for (const c of cases) {
  test(`float64 reference matches golden case ${c.name} to 1e-9`, () => {
    const r = methodLoss64(c.variant, c.inputs, c.hyper);
    for (const qname of GOLDEN_QUANTITIES) {
      const want = c.expected[qname];
      const got = r[qname];
      if (want === null) {
        assert.equal(got, null, qname);
        continue;
      }
      assert.ok(got !== null, qname);
      const err = maxAbsDiff(got, want);
      assert.ok(err <= 1e-9, `${c.name} ${qname}: max abs error ${err}`);
    }
    assert.deepEqual(r.positives, c.expected.positives);
    assert.ok(maxAbsDiff(r.centerLogits, c.expected.centerLogits!) <= 1e-12);
  });
}

function randomUnit(rng: Rng, n: number, d: number): number[][] {
  return Array.from({ length: n }, () => {
    const v = Array.from({ length: d }, () => rng.normal());
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
}

const baseHp: LossHyper = {
  alpha: 0,
  beta: 1,
  gamma: 0,
  temperature: 0.2,
  baseTemperature: 0.2,
  supt: 1,
  labelSmoothing: 0,
  usePrior: true,
  epsPrior: 1e-9,
  epsDen: 1e-12,
};

function crossEntropy(z: number[][], y: number[], shift: number[] | null): number {
  let s = 0;
  for (let a = 0; a < z.length; a++) {
    const u = z[a]!.map((v, c) => v + (shift ? shift[c]! : 0));
    const m = Math.max(...u);
    const lse = m + Math.log(u.reduce((t, v) => t + Math.exp(v - m), 0));
    s += lse - u[y[a]!]!;
  }
  return s / z.length;
}

test('alpha = gamma = 0 is Balanced Softmax (prior on) and plain CE (prior off), float64', () => {
  const rng = new Rng(7);
  const A = 12;
  const C = 6;
  const counts = [300, 120, 50, 20, 8, 3];
  const f = randomUnit(rng, A, 8);
  const queue = randomUnit(rng, 10, 8);
  const y = Array.from({ length: A }, () => rng.int(C));
  const z = Array.from({ length: A }, () => Array.from({ length: C }, () => 2 * rng.normal()));
  const input = {
    anchors: f,
    anchorLabels: y,
    contrast: [...f, ...queue],
    contrastLabels: [...y, ...queue.map(() => rng.int(C))],
    selfIndex: f.map((_, a) => a),
    centerLogits: z,
    classCounts: counts,
  };
  const bs = parametricContrastive64(input, baseHp);
  assert.ok(Math.abs(bs.loss - crossEntropy(z, y, logPrior64(counts))) < 1e-10, `${bs.loss}`);
  const ce = parametricContrastive64(input, { ...baseHp, usePrior: false });
  assert.ok(Math.abs(ce.loss - crossEntropy(z, y, null)) < 1e-10);
  // ... and gamma = 1 with alpha = 0 is NOT Balanced Softmax (docs/method.md, Pitfalls).
  const g1 = parametricContrastive64(input, { ...baseHp, gamma: 1 });
  assert.ok(Math.abs(g1.loss - bs.loss) > 1e-3);
});
