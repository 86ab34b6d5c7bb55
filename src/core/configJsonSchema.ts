// The run-config JSON Schema file that the extension contributes through `jsonValidation`, so
// VS Code completes and checks experiment configs. Generated from the same TypeBox schema the
// validator uses; `scripts/emit-schema.ts` writes it and a unit test keeps the file current.
import { ConfigSchema } from './config/schema';

/** Where the generated file lives, relative to the repository root. */
export const RUN_CONFIG_SCHEMA_FILE = 'schemas/run-config.schema.json';

type SchemaNode = Record<string, unknown>;

const isNode = (v: unknown): v is SchemaNode => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Adapts the validator's schema for an editor:
 * - a field with a default is not `required` (the validator fills defaults before checking, so
 *   a user may leave it out; the editor must not flag it as missing);
 * - a union of constants becomes an `enum`, which editors complete and explain best.
 */
function forEditor(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(forEditor);
  if (!isNode(node)) return node;
  const out: SchemaNode = {};
  for (const [k, v] of Object.entries(node)) out[k] = forEditor(v);
  const anyOf = out.anyOf;
  if (Array.isArray(anyOf) && anyOf.length > 0 && anyOf.every((s) => isNode(s) && 'const' in s)) {
    const consts = anyOf.map((s) => (s as SchemaNode).const);
    delete out.anyOf;
    out.enum = consts;
    if (consts.every((c) => typeof c === typeof consts[0])) out.type = typeof consts[0] === 'number' ? 'number' : typeof consts[0];
  }
  const props = out.properties;
  if (Array.isArray(out.required) && isNode(props)) {
    const required = out.required.filter((k) => !(isNode(props[k as string]) && 'default' in (props[k as string] as SchemaNode)));
    if (required.length) out.required = required;
    else delete out.required;
  }
  return out;
}

/** The JSON Schema (draft-07, which VS Code's JSON language service reads). */
export function runConfigJsonSchema(): SchemaNode {
  // The JSON round trip drops TypeBox's symbol-keyed metadata, leaving plain JSON Schema.
  const plain = forEditor(JSON.parse(JSON.stringify(ConfigSchema))) as SchemaNode;
  return { $schema: 'http://json-schema.org/draft-07/schema#', ...plain };
}

/** The exact text of the committed file. */
export function runConfigJsonSchemaText(): string {
  return `${JSON.stringify(runConfigJsonSchema(), null, 2)}\n`;
}
