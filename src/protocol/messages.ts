// Typed host <-> webview messages, one discriminated union per panel and direction.
// Messages FROM a webview are untrusted: their schemas (TypeBox) are checked on arrival by
// validate.ts, and they carry only run ids and tags, never paths; the host checks those
// against what the panel shows. Messages TO a webview carry whole snapshots.
import { Type, type Static } from '@sinclair/typebox';
import type { CompareSnapshot, RunSnapshot } from './snapshot';

// ---- host -> webview ----------------------------------------------------------------------

export type Notice = { type: 'notice'; level: 'info' | 'error'; text: string };
export type RunHostMessage = { type: 'snapshot'; snapshot: RunSnapshot } | Notice;
export type CompareHostMessage = { type: 'snapshot'; snapshot: CompareSnapshot } | Notice;

// ---- webview -> host ----------------------------------------------------------------------

/** Run ids are folder names made by createRunDirectory; tags are `epoch-0012` style. No separators, no dots first. */
export const ID_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9._-]{0,199}$';
const RunId = Type.String({ pattern: ID_PATTERN, maxLength: 200 });
const Tag = Type.String({ pattern: ID_PATTERN, maxLength: 200 });
const strict = { additionalProperties: false } as const;

/** A bare file name suggested for the save dialog; the user picks the folder. */
export const EXPORT_NAME_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9 ._()-]{0,119}\\.(png|csv)$';
/** PNG data URLs and CSV text of a 1000-class matrix fit comfortably; anything larger is refused. */
export const EXPORT_MAX_CHARS = 64 * 1024 * 1024;

const Ready = Type.Object({ type: Type.Literal('ready') }, strict);
const Export = Type.Object(
  {
    type: Type.Literal('export'),
    format: Type.Union([Type.Literal('png'), Type.Literal('csv')]),
    fileName: Type.String({ pattern: EXPORT_NAME_PATTERN, maxLength: 124 }),
    /** PNG: a `data:image/png;base64,` URL; CSV: the text. */
    data: Type.String({ maxLength: EXPORT_MAX_CHARS }),
  },
  strict,
);
const Log = Type.Object(
  {
    type: Type.Literal('log'),
    level: Type.Union([Type.Literal('info'), Type.Literal('warn'), Type.Literal('error')]),
    text: Type.String({ maxLength: 4000 }),
  },
  strict,
);

export const RunWebviewMessageSchema = Type.Union([
  Ready,
  Type.Object({ type: Type.Literal('select'), runId: RunId, tag: Type.Union([Tag, Type.Null()]) }, strict),
  Type.Object({ type: Type.Literal('stop'), runId: RunId }, strict),
  Type.Object({ type: Type.Literal('resume'), runId: RunId }, strict),
  Type.Object({ type: Type.Literal('evaluate'), runId: RunId, tag: Tag }, strict),
  Export,
  Log,
]);
export type RunWebviewMessage = Static<typeof RunWebviewMessageSchema>;

export const CompareWebviewMessageSchema = Type.Union([Ready, Export, Log]);
export type CompareWebviewMessage = Static<typeof CompareWebviewMessageSchema>;

/**
 * What a webview keeps with `setState` so its panel comes back after a window reload. It
 * arrives back at the host through the serializer, so it is untrusted input too.
 */
export const PanelStateSchema = Type.Union([
  Type.Object({ panel: Type.Literal('run'), runId: RunId, tag: Type.Union([Tag, Type.Null()]), view: Type.Optional(Type.Unknown()) }),
  Type.Object({ panel: Type.Literal('compare'), runIds: Type.Array(RunId, { minItems: 2, maxItems: 8 }), view: Type.Optional(Type.Unknown()) }),
]);
export type PanelState = Static<typeof PanelStateSchema>;
