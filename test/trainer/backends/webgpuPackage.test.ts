// Packaging of Dawn (scripts/package-webgpu.mjs): each platform-specific .vsix carries only its
// platform's binaries, laid out so the packaged trainer finds them (dist/node_modules/webgpu),
// and a trainer staged that way, outside this repository, really runs on WebGPU.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { releaseWebgpu } from '../../../src/trainer/backends/webgpu';
import { tempDir } from '../../../test/shared/tmp';
import { TRAINER } from '../harness';
import { REPO, requireWebgpu } from './webgpuTestEnv';

after(() => releaseWebgpu());

interface PackageWebgpu {
  DAWN_DIRS: Record<string, string | null>;
  hostTarget: () => string;
  stageDawn: (root: string, stage: string, target: string) => number;
}
const load = async () => (await import(path.join(REPO, 'scripts/package-webgpu.mjs'))) as PackageWebgpu;

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

test('each target stages its own Dawn build only, and the staged manifest packs it', async (t) => {
  const { DAWN_DIRS, stageDawn } = await load();
  for (const [target, dir] of Object.entries(DAWN_DIRS)) {
    const stage = tempDir(t, 'gpaco-stage-');
    fs.writeFileSync(path.join(stage, 'package.json'), JSON.stringify({ name: 'x', files: ['dist/*.js'] }));
    const bytes = stageDawn(REPO, stage, target);
    const files = listFiles(path.join(stage, 'dist', 'node_modules', 'webgpu')).sort();
    if (!dir) {
      assert.equal(bytes, 0, `${target}: no Dawn`);
      assert.deepEqual(files, []);
      continue;
    }
    assert.ok(files.includes(path.join('dist', dir, 'dawn.node')), `${target}: ${files.join(', ')}`);
    assert.deepEqual(
      [...new Set(files.filter((f) => f.startsWith('dist')).map((f) => f.split(path.sep)[1]))],
      [dir],
      `${target}: only ${dir} binaries`,
    );
    if (target.startsWith('win32'))
      assert.ok(files.includes(path.join('dist', dir, 'dxcompiler.dll')), 'the DirectX shader compiler ships with Windows builds');
    const pkg = JSON.parse(fs.readFileSync(path.join(stage, 'dist', 'node_modules', 'webgpu', 'package.json'), 'utf8')) as {
      type: string;
      main: string;
    };
    assert.deepEqual([pkg.type, pkg.main], ['module', 'index.js']);
    const manifest = JSON.parse(fs.readFileSync(path.join(stage, 'package.json'), 'utf8')) as { files: string[] };
    assert.ok(manifest.files.includes('dist/node_modules/webgpu/**'));
  }
});

test('a trainer staged like the host package, outside the repository, runs on WebGPU', async (t) => {
  if (!(await requireWebgpu(t))) return;
  const { hostTarget, stageDawn } = await load();
  assert.ok(fs.existsSync(TRAINER), `${TRAINER} is missing: run \`npm run build\` first`);
  const stage = tempDir(t, 'gpaco-vsix-');
  fs.mkdirSync(path.join(stage, 'dist'));
  fs.writeFileSync(path.join(stage, 'package.json'), '{}');
  fs.copyFileSync(TRAINER, path.join(stage, 'dist', 'trainer.js'));
  assert.ok(stageDawn(REPO, stage, hostTarget()) > 1e6, 'the host platform has a Dawn build');
  const cases = path.join(REPO, 'test/fixtures/losses/gpaco_loss_cases.json');
  // cwd and GPACO_NATIVE_MODULES outside the repository: only the staged copy can be found.
  const env = { ...process.env, GPACO_NATIVE_MODULES: '' };
  const r = spawnSync(process.execPath, [path.join(stage, 'dist', 'trainer.js'), 'verify-loss', cases, '--backend', 'webgpu'], {
    cwd: stage,
    env,
    encoding: 'utf8',
    timeout: 300_000,
  });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /on webgpu on .* \(tfjs "webgpu"\)/);
});
