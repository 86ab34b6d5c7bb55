// The webgpu backend's pure pieces, without a GPU: Dawn options from the environment, which
// adapters count as software emulation, the Vulkan driver pre-check, and the size check's
// messages for every kind of tensor that can be too large.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { validateConfig } from '../../../src/core/config/validate';
import type { Config } from '../../../src/core/config/schema';
import { BackendUnavailable } from '../../../src/trainer/backends/types';
import {
  type GpuAdapter,
  dawnCreateOptions,
  describeAdapter,
  vulkanDriverManifests,
  webgpuOptionsFromEnv,
} from '../../../src/trainer/backends/webgpuAdapter';
import { DeviceLimitError, checkBackendFits, checkDeviceLimits, estimateLargestTensors } from '../../../src/trainer/backends/webgpuLimits';
import { tempDir } from '../../../test/shared/tmp';

test('Dawn options come from GPACO_WEBGPU_*; a wrong value names the variable', () => {
  const o = webgpuOptionsFromEnv({
    GPACO_WEBGPU_BACKEND: 'Vulkan',
    GPACO_WEBGPU_ADAPTER: 'RTX 4090',
    GPACO_WEBGPU_DAWN_OPTIONS: 'enable-dawn-features=a, disable-dawn-features=b',
  });
  assert.deepEqual(dawnCreateOptions(o), ['backend=vulkan', 'adapter=RTX 4090', 'enable-dawn-features=a', 'disable-dawn-features=b']);
  assert.equal(o.powerPreference, 'high-performance');
  assert.deepEqual(dawnCreateOptions(webgpuOptionsFromEnv({})), []);
  assert.equal(webgpuOptionsFromEnv({ GPACO_WEBGPU_POWER: 'low-power' }).powerPreference, 'low-power');
  assert.throws(
    () => webgpuOptionsFromEnv({ GPACO_WEBGPU_BACKEND: 'cuda' }),
    (e: unknown) => e instanceof BackendUnavailable && /GPACO_WEBGPU_BACKEND="cuda" is not one of vulkan, metal, d3d12/.test(e.message),
  );
  assert.throws(() => webgpuOptionsFromEnv({ GPACO_WEBGPU_POWER: 'max' }), /GPACO_WEBGPU_POWER="max"/);
});

const adapter = (info: Record<string, unknown>): GpuAdapter => ({
  info,
  limits: { maxStorageBufferBindingSize: 2 ** 27, maxBufferSize: 2 ** 32 },
  features: new Set(),
});

test('software adapters are recognised (lavapipe, llvmpipe on GLES, SwiftShader, WARP); GPUs are not', () => {
  const cases: [string, Record<string, unknown>, boolean][] = [
    [
      'lavapipe',
      {
        vendor: 'mesa',
        architecture: 'software',
        device: 'llvmpipe-llvm-15',
        description: 'llvmpipe: Mesa 25.0.7',
        isFallbackAdapter: true,
      },
      true,
    ],
    [
      'GLES on llvmpipe',
      { vendor: 'mesa', architecture: '', device: 'llvmpipe-llvm-15-0-6-256-bits', description: 'OpenGL ES 3.2 Mesa 22.3.6' },
      true,
    ],
    [
      'SwiftShader',
      { vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader driver 5.0.0', isFallbackAdapter: true },
      true,
    ],
    ['WARP', { vendor: 'microsoft', architecture: '', description: 'Microsoft Basic Render Driver' }, true],
    ['NVIDIA', { vendor: 'nvidia', architecture: 'ampere', description: 'NVIDIA GeForce RTX 3080', isFallbackAdapter: false }, false],
    ['AMD radv', { vendor: 'amd', architecture: 'rdna-2', description: 'AMD Radeon RX 6800 (RADV NAVI21)' }, false],
    ['Apple', { vendor: 'apple', architecture: 'metal-3', description: 'Apple M2' }, false],
  ];
  for (const [name, info, emulated] of cases) {
    const f = describeAdapter(adapter(info));
    assert.equal(f.emulated, emulated, `${name}: ${f.emulationReason}`);
    assert.equal(f.emulationReason === '', !emulated, name);
    assert.equal(f.limits.maxStorageBufferBindingSize, 2 ** 27);
  }
});

test('the Vulkan driver pre-check finds manifests where the loader looks, or the variables', (t) => {
  const root = tempDir(t, 'gpaco-icd-');
  const env = { HOME: path.join(root, 'home'), XDG_DATA_DIRS: path.join(root, 'data'), XDG_CONFIG_DIRS: path.join(root, 'config') };
  // Fake system folders too (the real /etc and /usr/share may hold drivers).
  const system = { etc: path.join(root, 'etc'), share: path.join(root, 'usr-share') };
  const check = (e: NodeJS.ProcessEnv) => vulkanDriverManifests(e, system);
  assert.equal(check(env).found, false);
  fs.mkdirSync(path.join(root, 'data', 'vulkan', 'icd.d'), { recursive: true });
  assert.equal(check(env).found, false, 'an empty icd.d is no driver');
  fs.writeFileSync(path.join(root, 'data', 'vulkan', 'icd.d', 'nvidia_icd.json'), '{}');
  assert.deepEqual(check(env), { found: true, where: path.join(root, 'data', 'vulkan', 'icd.d') });
  assert.equal(check({ ...env, XDG_DATA_DIRS: '/nonexistent', VK_ICD_FILENAMES: '/x/lvp.json' }).found, true);
  assert.equal(check({ ...env, XDG_DATA_DIRS: '/nonexistent' }).found, false);
  fs.mkdirSync(path.join(root, 'home', '.local', 'share', 'vulkan', 'icd.d'), { recursive: true });
  fs.writeFileSync(path.join(root, 'home', '.local', 'share', 'vulkan', 'icd.d', 'radeon_icd.json'), '{}');
  assert.equal(check({ ...env, XDG_DATA_DIRS: '/nonexistent' }).found, true, 'the user data folder counts');
  fs.mkdirSync(path.join(system.etc, 'vulkan', 'icd.d'), { recursive: true });
  fs.writeFileSync(path.join(system.etc, 'vulkan', 'icd.d', 'intel_icd.x86_64.json'), '{}');
  assert.equal(check({ XDG_DATA_DIRS: '/nonexistent' }).found, true, '/etc/vulkan/icd.d counts');
});

function config(c: Record<string, unknown>): Config {
  const r = validateConfig(c, { checkPaths: false });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  return r.config;
}

const MiB = 2 ** 20;

test('size check: each kind of over-limit tensor gets its numbers and the setting to change', () => {
  const limits = { maxStorageBufferBindingSize: 128 * MiB, maxBufferSize: 4096 * MiB };
  const input = (c: Config) => ({
    config: c,
    inputShape: [c.data.imageSize, c.data.imageSize, c.data.channels] as const,
    numClasses: c.data.classes,
  });
  const refused = (c: Config): DeviceLimitError => {
    try {
      checkDeviceLimits(input(c), limits, '"test device"');
    } catch (e) {
      assert.ok(e instanceof DeviceLimitError);
      return e;
    }
    assert.fail('expected the configuration to be refused');
  };
  // Training batch: ResNet-32 at 32x32 is 64 KiB per image in stage 1 -> 2048 images fit.
  const train = refused(
    config({
      data: { imageSize: 32, channels: 3 },
      model: { arch: 'resnet32' },
      loss: { kind: 'ce' },
      optim: { batchSize: 4096 },
      eval: { batchSize: 64 },
    }),
  );
  assert.match(
    train.message,
    /"test device": its largest buffer binding is 128\.0 MiB \(maxStorageBufferBindingSize 134217728 bytes; maxBufferSize 4294967296\)/,
  );
  assert.match(
    train.message,
    /resnet32 stem \/ stage 1 activation \(training\) \[4096, 32, 32, 16\] float32 = 256\.0 MiB: lower optim\.batchSize to 2048 or less, or keep it and set optim\.microBatchSize to 2048 or less/,
  );
  assert.deepEqual(
    train.tooLarge.map((x) => x.scale),
    ['train batch'],
  );
  // Evaluation batch.
  const ev = refused(
    config({
      data: { imageSize: 32, channels: 3 },
      model: { arch: 'resnet32' },
      loss: { kind: 'ce' },
      optim: { batchSize: 64 },
      eval: { batchSize: 8192 },
    }),
  );
  assert.match(ev.message, /\(evaluation\) \[8192, 32, 32, 16\] float32 = 512\.0 MiB: lower eval\.batchSize to 2048 or less/);
  // With micro-batches the training passes fit; the contrastive block [2B, 2B + K] does not.
  const queue = refused(
    config({
      data: { imageSize: 8 },
      model: { arch: 'convnet', width: 4 },
      loss: { kind: 'gpaco', queueSize: 65536 },
      optim: { batchSize: 4096, microBatchSize: 64 },
    }),
  );
  assert.match(
    queue.message,
    /contrastive similarities \(anchors x \[batch views; queue\]\) \[8192, 73728\] float32 = 2304\.0 MiB: lower loss\.queueSize or optim\.batchSize/,
  );
  assert.doesNotMatch(queue.message, /\(training, per micro-batch\)/, 'micro-batches of 64 fit');
  // One image that does not fit: the image size (or width) must change.
  const tiny = { maxStorageBufferBindingSize: 2 * MiB, maxBufferSize: 2 * MiB };
  assert.throws(
    () =>
      checkDeviceLimits(
        input(
          config({
            data: { imageSize: 64, channels: 3 },
            model: { arch: 'convnet', width: 256 },
            loss: { kind: 'ce' },
            optim: { batchSize: 1 },
            eval: { batchSize: 1 },
          }),
        ),
        tiny,
        'x',
      ),
    /even one image needs 4\.0 MiB: lower data\.imageSize or model\.width/,
  );
  // A configuration that fits passes, and backends without limits are never checked.
  const fits = config({
    data: { imageSize: 28 },
    model: { arch: 'convnet', width: 32 },
    loss: { kind: 'gpaco' },
    optim: { batchSize: 128 },
  });
  assert.ok(checkDeviceLimits(input(fits), limits, 'x').length > 0);
  checkBackendFits({}, input(config({ optim: { batchSize: 4096 }, data: { imageSize: 64 }, model: { width: 256 } })));
  // Largest first, with per-image bytes for the batch-scaled ones.
  const est = estimateLargestTensors(input(fits));
  assert.ok(est.every((e, i) => i === 0 || est[i - 1]!.bytes >= e.bytes));
  assert.equal(est.find((e) => e.scale === 'train batch')!.perImage, 28 * 28 * 32 * 4);
});
