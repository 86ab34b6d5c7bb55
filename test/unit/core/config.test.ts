import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { applyOverrides, isOverride, parseOverride, type Override } from '../../../src/core/config/overrides';
import { DEFAULT_PRESET, PRESETS, findPreset, resolvePreset } from '../../../src/core/config/presets';
import { prepareConfig, type PipelineResult } from '../../../src/core/config/pipeline';
import { formatIssue, validateConfig, type ConfigIssue } from '../../../src/core/config/validate';
import { tempDir } from '../../../test/shared/tmp';

function errorsOf(r: ReturnType<typeof validateConfig> | PipelineResult): ConfigIssue[] {
  assert.equal(r.ok, false, 'expected the config to be refused');
  if (r.ok) return [];
  return 'errors' in r ? r.errors : r.issues;
}

/** The config pipeline up to validation (no data preflight) on a file. */
const loadConfigFile = (file: string) =>
  prepareConfig({ source: { kind: 'file', path: file }, cwd: path.dirname(file), preflight: () => Promise.resolve([]) });

test('an empty config is valid and gets every default', () => {
  const r = validateConfig({});
  assert.ok(r.ok);
  assert.equal(r.config.data.kind, 'synthetic');
  assert.equal(r.config.loss.kind, 'gpaco');
  assert.equal(r.config.eval.manyThreshold, 100);
  assert.equal(r.config.eval.fewThreshold, 20);
  assert.equal(r.config.backend, 'auto');
});

test('every problem is reported at once, each with its dotted path', () => {
  const errors = errorsOf(
    validateConfig({
      colour: 'red', // unknown top-level key
      loss: { kind: 'gpaco', alpah: 0.1, temperature: 0 }, // unknown nested key; temperature must be > 0
      optim: { epochs: 'ten', batchSize: 0 }, // wrong type; out of range
      backend: 'tpu', // not in the enum
    }),
  );
  const byPath = new Map(errors.map((e) => [e.path, e.message]));
  assert.deepEqual([...byPath.keys()].sort(), ['backend', 'colour', 'loss.alpah', 'loss.temperature', 'optim.batchSize', 'optim.epochs']);
  assert.match(byPath.get('colour')!, /unknown field/);
  assert.match(byPath.get('loss.alpah')!, /unknown field/);
  assert.match(byPath.get('optim.epochs')!, /integer/i);
  assert.match(byPath.get('optim.batchSize')!, /greater or equal to 1/i);
  assert.match(byPath.get('loss.temperature')!, /greater than 0/i);
  assert.match(byPath.get('backend')!, /must be one of "auto", "tensorflow-gpu", "webgpu", "tensorflow", "wasm", "cpu" \(got "tpu"\)/);
});

test('a config file error names the file, line and column of the field', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'exp.json');
  const text = [
    '{',
    '  // comments are allowed',
    '  "loss": {',
    '    "kind": "gpaco",',
    '    "alpha": -1,',
    '  },',
    '  "model": { "arch": "vgg" },',
    '  "extra": true',
    '}',
  ].join('\n');
  fs.writeFileSync(file, text);
  const r = await loadConfigFile(file);
  const errors = errorsOf(r);
  const alpha = errors.find((e) => e.path === 'loss.alpha')!;
  assert.equal(alpha.file, file);
  assert.equal(alpha.line, 5);
  assert.equal(alpha.column, 5);
  assert.equal(formatIssue(alpha).startsWith(`${file}:5:5: loss.alpha: `), true);
  assert.equal(errors.find((e) => e.path === 'model.arch')?.line, 7);
  assert.equal(errors.find((e) => e.path === 'extra')?.line, 8);
});

test('invalid JSON is reported with its position; an unreadable file with its reason', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'bad.json');
  fs.writeFileSync(file, '{\n  "seed": 1\n  "backend": "cpu"\n}');
  const [e] = errorsOf(await loadConfigFile(file));
  assert.match(formatIssue(e!), new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:3: invalid JSON`));
  const [missing] = errorsOf(await loadConfigFile(path.join(dir, 'none.json')));
  assert.match(missing!.message, /cannot read/);
});

test('data paths: required for file data sets, must exist, relative to the config file', async (t) => {
  const dir = tempDir(t);
  fs.mkdirSync(path.join(dir, 'data', 'mnist'), { recursive: true });
  const file = path.join(dir, 'exp.json');
  fs.writeFileSync(file, JSON.stringify({ data: { kind: 'mnist', path: 'data/mnist' } }));
  const ok = await loadConfigFile(file);
  assert.ok(ok.ok);
  assert.equal(ok.config.data.path, path.join(dir, 'data', 'mnist'));

  fs.writeFileSync(file, JSON.stringify({ data: { kind: 'cifar10', path: 'data/cifar-missing' } }));
  const [notThere] = errorsOf(await loadConfigFile(file));
  assert.equal(notThere!.path, 'data.path');
  assert.match(notThere!.message, /does not exist: .*cifar-missing/);

  const [required] = errorsOf(validateConfig({ data: { kind: 'cifar100' } }));
  assert.equal(required!.path, 'data.path');
  assert.match(required!.message, /required/);

  fs.writeFileSync(path.join(dir, 'afile'), 'x');
  const [notDir] = errorsOf(validateConfig({ data: { kind: 'mnist', path: 'afile' } }, { baseDir: dir }));
  assert.match(notDir!.message, /is not a folder/);
  assert.ok(validateConfig({ data: { kind: 'mnist', path: 'nowhere' } }, { checkPaths: false }).ok);
});

test('rules across fields: thresholds, micro-batch, step order; warm-up warning', () => {
  const errs = errorsOf(validateConfig({ eval: { manyThreshold: 10, fewThreshold: 50 }, optim: { batchSize: 8, microBatchSize: 16 } }));
  assert.deepEqual(errs.map((e) => e.path).sort(), ['eval.fewThreshold', 'optim.microBatchSize']);
  const [order] = errorsOf(validateConfig({ optim: { schedule: 'step', stepEpochs: [20, 10] } }));
  assert.equal(order!.path, 'optim.stepEpochs');
  const warm = validateConfig({ optim: { epochs: 3, warmupEpochs: 5 } });
  assert.ok(warm.ok);
  assert.equal(warm.warnings[0]?.path, 'optim.warmupEpochs');
});

test('--set overrides parse JSON values, fall back to strings, and reject bad keys', () => {
  const parse = (s: string): Override => {
    const o = parseOverride(s);
    assert.ok(isOverride(o), `${s} parses`);
    return o;
  };
  assert.deepEqual(parse('loss.alpha=0.01'), { path: ['loss', 'alpha'], value: 0.01 });
  assert.deepEqual(parse('augment.flip=false'), { path: ['augment', 'flip'], value: false });
  assert.deepEqual(parse('optim.stepEpochs=[5,8]'), { path: ['optim', 'stepEpochs'], value: [5, 8] });
  assert.deepEqual(parse('loss.kind=paco'), { path: ['loss', 'kind'], value: 'paco' });
  assert.deepEqual(parse('name = my run '), { path: ['name'], value: 'my run' });
  for (const bad of ['noequals', '=3', 'loss..alpha=1', '1x=2']) assert.equal(isOverride(parseOverride(bad)), false, bad);
});

test('applyOverrides copies, creates missing sections, and validation names the overridden path', () => {
  const base = { loss: { kind: 'ce' } };
  const out = applyOverrides(base, [parse('optim.epochs=3'), parse('loss.kind=paco')]);
  assert.deepEqual(out, { loss: { kind: 'paco' }, optim: { epochs: 3 } });
  assert.deepEqual(base, { loss: { kind: 'ce' } }, 'the input is not changed');
  const [e] = errorsOf(validateConfig(applyOverrides(base, [parse('optim.lr=-1')])));
  assert.equal(e!.path, 'optim.lr');
  function parse(s: string): Override {
    const o = parseOverride(s);
    assert.ok(isOverride(o));
    return o;
  }
});

test('every preset resolves to a full valid config; the default preset exists', () => {
  assert.ok(findPreset(DEFAULT_PRESET));
  assert.deepEqual(
    PRESETS.map((p) => p.name),
    ['synthetic-lt', 'fashion-mnist-lt', 'mnist-lt', 'cifar10-lt', 'cifar100-lt', 'imagenet-lt', 'inaturalist18', 'places-lt'],
  );
  for (const p of PRESETS) {
    const r = resolvePreset(p.name);
    assert.ok(r.ok, `${p.name}: ${r.ok ? '' : r.errors.map(formatIssue).join('; ')}`);
    assert.equal(r.config.name, p.name);
    // Round trip: a resolved preset is itself a valid config (what `gpaco train` writes).
    assert.ok(validateConfig(JSON.parse(JSON.stringify(r.config)), { checkPaths: false }).ok);
  }
  const cifar = resolvePreset('cifar100-lt');
  assert.ok(cifar.ok);
  assert.equal(cifar.config.model.arch, 'resnet32');
  assert.equal(cifar.config.optim.epochs, 400);
  for (const name of ['imagenet-lt', 'inaturalist18', 'places-lt']) {
    const r = resolvePreset(name, '/proj');
    assert.ok(r.ok);
    assert.equal(r.config.data.kind, 'list');
    assert.match(r.config.data.root!, /^\/proj\/data\//, `${name}: data.root resolved against the base folder`);
    assert.equal(r.config.loss.queueSize, 8192, `${name}: the papers' K`);
  }
  const unknown = resolvePreset('imagenet');
  assert.ok(!unknown.ok);
  assert.match(unknown.errors[0]!.message, /unknown preset "imagenet"; presets: synthetic-lt, fashion-mnist-lt/);
});
