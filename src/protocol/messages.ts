// Typed host <-> webview messages, one discriminated union per panel and direction.
// Messages FROM a webview are untrusted: their schemas (TypeBox) are checked on arrival by
// validate.ts, and they carry only run ids and tags, never paths; the host checks those
// against what the panel shows. Messages TO a webview carry whole snapshots.
import { Type, type Static } from '@sinclair/typebox';
import type { CompareSnapshot, RunSnapshot } from './snapshot';

// ---- host -> webview ----------------------------------------------------------------------

export type Notice = { type: 'notice'; level: 'info' | 'error'; text: string };
export type RunHostMessage = { type: 'snapshot'; snapshot: RunSnapshot } | Notice | ImagesMessage;

/** Test images of one page of a selection (a confusion cell, a class's mistakes, ...). */
export const IMAGES_PAGE_SIZE = 64;
/** Largest thumbnail the host sends (bytes of pixels, before base64): 64 x 64 RGB. */
export const THUMBNAIL_MAX_BYTES = 64 * 64 * 3;

export interface Thumbnail {
  /** Index in the evaluated test set (the order of the eval file's predictions). */
  index: number;
  true: number;
  pred: number;
  width: number;
  height: number;
  channels: 1 | 3;
  /** Base64 of width * height * channels bytes (HWC); null when the image cannot be read now. */
  pixels: string | null;
  /** Why `pixels` is null. */
  error?: string;
}

/** Never a file path: the webview gets pixels and class indices only. */
export type ImagesMessage = {
  type: 'images';
  tag: string;
  selection: ImageSelectionMessage;
  page: number;
  /** Images the selection holds in all. */
  total: number;
  pageSize: number;
  items: Thumbnail[];
  /** Set when no images can be shown (no per-image predictions, data not found, ...). */
  error?: string;
};
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

const ClassIndex = Type.Integer({ minimum: 0, maximum: 1_000_000 });
export const ImageSelectionSchema = Type.Union([
  Type.Object({ kind: Type.Literal('cell'), true: ClassIndex, pred: ClassIndex }, strict),
  Type.Object({ kind: Type.Literal('mistakes'), cls: ClassIndex }, strict),
  Type.Object({ kind: Type.Literal('predictedAs'), cls: ClassIndex }, strict),
]);
export type ImageSelectionMessage = Static<typeof ImageSelectionSchema>;

export const RunWebviewMessageSchema = Type.Union([
  Ready,
  Type.Object({ type: Type.Literal('select'), runId: RunId, tag: Type.Union([Tag, Type.Null()]) }, strict),
  Type.Object({ type: Type.Literal('stop'), runId: RunId }, strict),
  Type.Object({ type: Type.Literal('resume'), runId: RunId }, strict),
  Type.Object({ type: Type.Literal('evaluate'), runId: RunId, tag: Tag }, strict),
  Type.Object(
    {
      type: Type.Literal('images'),
      runId: RunId,
      tag: Tag,
      selection: ImageSelectionSchema,
      page: Type.Integer({ minimum: 0, maximum: 100_000 }),
    },
    strict,
  ),
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
  Type.Object({
    panel: Type.Literal('compare'),
    runIds: Type.Array(RunId, { maxItems: 5000 }),
    /** Groups (from the Experiments table): a label and the member runs. */
    groups: Type.Optional(
      Type.Array(Type.Object({ label: Type.String({ maxLength: 300 }), runIds: Type.Array(RunId, { minItems: 1, maxItems: 5000 }) }), {
        maxItems: 1000,
      }),
    ),
    band: Type.Optional(Type.Union([Type.Literal('std'), Type.Literal('minmax')])),
    view: Type.Optional(Type.Unknown()),
  }),
  Type.Object({ panel: Type.Literal('experiments') }),
]);
export type PanelState = Static<typeof PanelStateSchema>;
