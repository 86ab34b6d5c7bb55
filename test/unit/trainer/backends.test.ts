// Backend choice: the auto order with a reason and an install hint for every skipped backend,
// a native package that is installed but broken, a forced failure (the next backend is used),
// and a named backend that cannot load (a clear error, no silent fallback).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { AUTO_ORDER, NoBackendError, nativeSearchDirs, selectBackend } from '../../../src/trainer/backends';
import { convGradientMode } from '../../../src/trainer/backends/convGradient';

function fakeBrokenNative(t: { after(fn: () => void): void }): string {
  // What npm leaves when tfjs-node's install script failed under --ignore-scripts: the JS is
  // there, the addon is not, and requiring it throws the message tfjs-node prints.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gpaco-native-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const pkg = path.join(dir, 'node_modules', '@tensorflow', 'tfjs-node');
  fs.mkdirSync(pkg, { recursive: true });
  fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs-node', version: '4.22.0', main: 'index.js' }));
  fs.writeFileSync(
    path.join(pkg, 'index.js'),
    "throw new Error('The Node.js native addon module (tfjs_binding.node) can not be found at path: ' + __dirname + '/lib/napi-v8/tfjs_binding.node.');\n",
  );
  return dir;
}

test('native search folders: GPACO_NATIVE_MODULES first, then the workspace, then the trainer', () => {
  const dirs = nativeSearchDirs({ GPACO_NATIVE_MODULES: `/opt/a${path.delimiter}/opt/b` }, '/work/ws', '/ext/dist');
  assert.deepEqual(dirs, ['/opt/a', '/opt/b', '/work/ws', '/ext/dist']);
  assert.deepEqual(nativeSearchDirs({}, '/w', '/w'), ['/w']);
});

test('auto skips the native packages (not installed here) with the reason and how to install, then uses wasm', async () => {
  const skipped: string[] = [];
  const s = await selectBackend('auto', { failBackends: [], onSkip: (a) => skipped.push(a.id) });
  assert.equal(s.id, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.match(s.detail, /^wasm \((SIMD|no SIMD), \d+ threads?\)$/);
  assert.deepEqual(
    s.attempts.map((a) => a.id),
    AUTO_ORDER.slice(0, AUTO_ORDER.indexOf('wasm') + 1),
  );
  const gpu = s.attempts.find((a) => a.id === 'tensorflow-gpu')!;
  assert.equal(gpu.ok, false);
  assert.match(gpu.reason!, /@tensorflow\/tfjs-node-gpu is not installed \(looked in: /);
  assert.match(gpu.hint!, /CUDA 11\.2 and cuDNN 8\.1/);
  const cpuNative = s.attempts.find((a) => a.id === 'tensorflow')!;
  assert.match(cpuNative.reason!, /@tensorflow\/tfjs-node is not installed/);
  assert.match(cpuNative.hint!, /npm install @tensorflow\/tfjs-node@4\.22\.0/);
  assert.deepEqual(skipped, ['tensorflow-gpu', 'webgpu', 'tensorflow']);
  // wasm has no Conv2DBackpropFilter: the override is in, with dx as a forward conv too
  assert.equal(convGradientMode(), 'conv');
});

test('an installed native package without its addon is skipped with that reason', async (t) => {
  const dir = fakeBrokenNative(t);
  await assert.rejects(selectBackend('tensorflow', { searchDirs: [dir], failBackends: [] }), (e: unknown) => {
    assert.ok(e instanceof NoBackendError);
    assert.match(e.message, /backend "tensorflow" could not be loaded/);
    assert.match(e.message, /installed at .*tfjs-node.* but its native addon is missing/);
    assert.equal(e.attempts.length, 1);
    return true;
  });
});

test('a backend that fails to initialise: the next one is tried and the reason kept', async () => {
  const s = await selectBackend('auto', { failBackends: ['wasm'], searchDirs: [] });
  assert.equal(s.id, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  const wasm = s.attempts.find((a) => a.id === 'wasm')!;
  assert.equal(wasm.ok, false);
  assert.match(wasm.reason!, /forced failure/);
  // cpu gets dW as a forward conv (its stock filter gradient is unusably slow), stock dx
  assert.equal(convGradientMode(), 'native');
});

test('a named backend that cannot load fails clearly, without falling back', async () => {
  await assert.rejects(selectBackend('tensorflow-gpu', { searchDirs: [], failBackends: [] }), (e: unknown) => {
    assert.ok(e instanceof NoBackendError);
    assert.match(
      e.message,
      /backend "tensorflow-gpu" could not be loaded: tensorflow-gpu: skipped, @tensorflow\/tfjs-node-gpu is not installed/,
    );
    return true;
  });
  await assert.rejects(selectBackend('cpu', { failBackends: ['cpu'] }), /backend "cpu" could not be loaded: cpu: skipped, forced failure/);
});
