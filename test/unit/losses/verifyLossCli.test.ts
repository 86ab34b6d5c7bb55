// `gpaco verify-loss` end to end: the real CLI bundle spawns the real trainer bundle, which runs
// the golden cases through the trainer's TF.js code on cpu and wasm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cli, repoRoot } from '../cli/harness';

const GOLDEN_FILE = path.join(repoRoot, 'test/fixtures/losses/gpaco_loss_cases.json');
const env = { GPACO_TRAINER: path.join(repoRoot, 'dist/trainer.js') };

for (const backend of ['cpu', 'wasm']) {
  test(`gpaco verify-loss passes the golden file on ${backend} and prints every quantity per case`, async () => {
    const r = await cli(['verify-loss', GOLDEN_FILE, '--backend', backend], { cwd: repoRoot, env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`on ${backend}`));
    assert.match(r.stdout, /loss\s+per-anchor\s+dq\s+dk\s+dh_q\s+dh_k\s+dW\s+db/);
    for (const name of ['paco_cifarlt_hp', 'gpaco_all_knobs', 'gpaco_single_view_no_positive'])
      assert.match(r.stdout, new RegExp(`${name}\\s.*ok`));
    assert.match(r.stdout, /all 10 cases within 0.0001/);
  });
}

test('gpaco verify-loss exits 1 on a corrupted copy and names the case, 2 on unusable input', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gpaco-verify-'));
  try {
    const golden = JSON.parse(fs.readFileSync(GOLDEN_FILE, 'utf8')) as {
      cases: { name: string; hyper: object; expected: { grad_W: number[][] } }[];
    };
    const victim = golden.cases[3]!;
    victim.expected.grad_W[1]![2]! += 1e-3;
    const bad = path.join(dir, 'corrupted.json');
    fs.writeFileSync(bad, JSON.stringify(golden));
    const r = await cli(['verify-loss', bad, '--backend', 'cpu'], { cwd: dir, env });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`${victim.name}\\s.*FAIL`));
    assert.match(r.stdout, new RegExp(`1 of 10 cases exceed 0.0001: ${victim.name}`));

    const broken = path.join(dir, 'broken.json');
    fs.writeFileSync(
      broken,
      JSON.stringify({ schema: 'gpaco-loss-golden/v1', cases: [{ ...golden.cases[0], hyper: { ...golden.cases[0]!.hyper, alpha: 'x' } }] }),
    );
    const u = await cli(['verify-loss', broken, '--backend', 'cpu'], { cwd: dir, env });
    assert.equal(u.code, 2);
    assert.match(u.stdout + u.stderr, /cases\[0\]\.hyper\.alpha: expected a finite number/);
    const missing = await cli(['verify-loss', path.join(dir, 'nope.json')], { cwd: dir, env });
    assert.equal(missing.code, 2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
