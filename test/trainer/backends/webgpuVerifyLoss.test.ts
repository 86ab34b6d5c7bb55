// `verify-loss --backend webgpu`: the golden GPaCo / PaCo loss cases through the trainer bundle
// on the WebGPU backend (results read back asynchronously: WebGPU has no synchronous reads).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { releaseWebgpu } from '../../../src/trainer/backends/webgpu';
import { TRAINER } from '../harness';
import { REPO, requireWebgpu } from './webgpuTestEnv';

after(() => releaseWebgpu());

test('verify-loss --backend webgpu: every golden case within 1e-4', async (t) => {
  if (!(await requireWebgpu(t))) return;
  assert.ok(fs.existsSync(TRAINER), `${TRAINER} is missing: run \`npm run build\` first`);
  const cases = path.join(REPO, 'test/fixtures/losses/gpaco_loss_cases.json');
  const r = spawnSync(process.execPath, [TRAINER, 'verify-loss', cases, '--backend', 'webgpu'], { encoding: 'utf8', timeout: 300_000 });
  const out = `${r.stdout}${r.stderr}`;
  assert.equal(r.status, 0, out);
  assert.match(out, /verify-loss: \d+ cases from .* on webgpu on .* \(tfjs "webgpu"\), float32; tolerance 0\.0001 absolute/);
  assert.match(out, /verify-loss: all \d+ cases within 0\.0001/);
  assert.doesNotMatch(out, /FAIL/);
});
