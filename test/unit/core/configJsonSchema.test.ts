import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { PRESETS, resolvePreset } from '../../../src/core/config/presets';
import { LOSS_KINDS } from '../../../src/core/config/schema';
import { RUN_CONFIG_SCHEMA_FILE, runConfigJsonSchema, runConfigJsonSchemaText } from '../../../src/core/configJsonSchema';

const root = path.resolve(__dirname, '..', '..', '..');

test(`${RUN_CONFIG_SCHEMA_FILE} is current (regenerate: node --import tsx scripts/emit-schema.ts)`, () => {
  const committed = fs.readFileSync(path.join(root, RUN_CONFIG_SCHEMA_FILE), 'utf8');
  assert.equal(committed, runConfigJsonSchemaText());
});

type Node = {
  properties?: Record<string, Node>;
  anyOf?: Node[];
  const?: unknown;
  required?: string[];
  additionalProperties?: boolean;
  enum?: unknown[];
  type?: string;
};

test('the editor schema: strict objects, enums, nothing required that has a default', () => {
  const schema = runConfigJsonSchema() as Node & { $schema: string };
  assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
  assert.equal(schema.additionalProperties, false);
  assert.equal(schema.required, undefined, 'an empty config is valid, so nothing is required');
  const loss = schema.properties!.loss!;
  assert.equal(loss.additionalProperties, false);
  assert.deepEqual(loss.properties!.kind!.enum, [...LOSS_KINDS]);
  assert.equal(loss.properties!.kind!.type, 'string');
  assert.deepEqual(schema.properties!.data!.properties!.channels!.enum, [1, 3]);
});

test('every field of every resolved preset is described by the schema', () => {
  const schema = runConfigJsonSchema() as Node;
  const walk = (value: unknown, node: Node, at: string) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
    // A section told apart by `kind` (trainer): the member of that kind describes it.
    const member = node.anyOf?.find((m) => m.properties?.kind?.const === (value as { kind?: unknown }).kind);
    if (node.anyOf) assert.ok(member, `${at}kind selects a member of the schema's union`);
    if (member) node = member;
    for (const [k, v] of Object.entries(value)) {
      const child = node.properties?.[k];
      assert.ok(child, `${at}${k} is in the schema`);
      walk(v, child, `${at}${k}.`);
    }
  };
  for (const p of PRESETS) {
    const r = resolvePreset(p.name);
    assert.ok(r.ok);
    walk(r.config, schema, '');
  }
});
