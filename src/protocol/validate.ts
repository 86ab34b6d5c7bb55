// Runtime checks for everything that arrives from a webview (messages and persisted state).
// A message that fails is never acted on: the caller logs the reason and drops it.
import { type Static, type TUnion, type TObject } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ExperimentsViewSchema, ExperimentsWebviewMessageSchema, type ExperimentsView } from './experiments';
import { CompareWebviewMessageSchema, PanelStateSchema, RunWebviewMessageSchema } from './messages';

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

function check<S extends TUnion<TObject[]>>(schema: S, key: string, input: unknown): Checked<Static<S>> {
  if (Value.Check(schema, input)) return { ok: true, value: input };
  return { ok: false, reason: describeFailure(schema, key, input) };
}

/**
 * One line naming what is wrong: the discriminator value and the first bad field of the union
 * member it selects (a bare union error would only say "expected union value").
 */
function describeFailure(schema: TUnion<TObject[]>, key: string, input: unknown): string {
  const tag = typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>)[key] : undefined;
  if (typeof tag !== 'string') return `${key} missing or not a string`;
  const shown = JSON.stringify(tag.slice(0, 40));
  const member = schema.anyOf.find((m) => m.properties[key]?.const === tag);
  if (!member) return `unknown ${key} ${shown}`;
  const first = Value.Errors(member, input).First();
  return `${key} ${shown}: ${first ? `${first.path || '/'} ${first.message}` : 'does not match'}`;
}

export const checkRunWebviewMessage = (input: unknown) => check(RunWebviewMessageSchema, 'type', input);
export const checkCompareWebviewMessage = (input: unknown) => check(CompareWebviewMessageSchema, 'type', input);
export const checkPanelState = (input: unknown) => check(PanelStateSchema, 'panel', input);
export const checkExperimentsWebviewMessage = (input: unknown) => check(ExperimentsWebviewMessageSchema, 'type', input);

/** A persisted view (workspaceState may hold one from an older version): valid, or undefined. */
export function checkExperimentsView(input: unknown): ExperimentsView | undefined {
  return Value.Check(ExperimentsViewSchema, input) ? input : undefined;
}
