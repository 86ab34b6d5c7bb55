// Prototype keys in overrides, grid axes and config files: refused before they touch an object,
// so Object.prototype of the process (the extension host is shared) stays clean.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyOverrides, isOverride, parseOverride } from '../../../src/core/config/overrides';
import { parseConfigText, validateConfig } from '../../../src/core/config/validate';
import { isGridAxis, parseGridAxis } from '../../../src/core/sweep';

const polluted = () => (({}) as Record<string, unknown>).polluted;

test('overrides and grid axes with __proto__ / constructor / prototype segments are refused', () => {
  for (const text of ['__proto__.polluted=1', 'loss.__proto__.polluted=1', 'constructor.prototype.polluted=1', 'optim.prototype=1']) {
    const o = parseOverride(text);
    assert.equal(isOverride(o), false, text);
    assert.match(!isOverride(o) ? o.message : '', /is not a config field/);
    const g = parseGridAxis(text.replace('=1', '=1,2'));
    assert.equal(isGridAxis(g), false, text);
  }
  assert.throws(() => applyOverrides({}, [{ path: ['__proto__', 'polluted'], value: 1 }]), /"__proto__" is not a config field/);
  assert.equal(polluted(), undefined);
});

test('a "__proto__" key in a config file is an unknown field, at any depth', () => {
  const text = '{\n  "__proto__": { "polluted": 1 },\n  "loss": { "constructor": { "prototype": 1 } }\n}';
  const parsed = parseConfigText(text, 'c.json');
  assert.ok(parsed.ok);
  const r = validateConfig(parsed.value, { file: 'c.json', text, checkPaths: false });
  assert.equal(r.ok, false);
  const errors = !r.ok ? r.errors.map((e) => `${e.line}:${e.path}: ${e.message}`) : [];
  assert.deepEqual(errors, ['2:__proto__: unknown field', '3:loss.constructor: unknown field']);
  // JSON.parse makes "__proto__" an own key too: the same answer.
  const r2 = validateConfig(JSON.parse('{"__proto__": {"polluted": 1}}'));
  assert.equal(r2.ok, false);
  assert.equal(polluted(), undefined);
});
