// "Which images are these?": the test images behind a confusion cell (or a class's mistakes, or
// the images wrongly predicted as a class), one page of up to 64 at a time, drawn from the pixels
// the host sends (ImagesMessage). Every message is checked before anything is drawn.
import {
  IMAGES_PAGE_SIZE,
  THUMBNAIL_MAX_BYTES,
  type ImageSelectionMessage,
  type ImagesMessage,
  type Thumbnail,
} from '../../../src/protocol/messages';
import { h, setText } from '../dom';
import { button } from './controls';

/** Shown at this many CSS pixels on the longer side, whatever the image size (pixelated). */
const SHOWN = 72;

function base64Bytes(b64: string): Uint8Array | null {
  try {
    const s = atob(b64);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

/** The pixels of a thumbnail, or null when the message's sizes do not add up. */
export function thumbnailPixels(t: Thumbnail): Uint8Array | null {
  if (t.pixels === null) return null;
  const ok =
    Number.isInteger(t.width) && Number.isInteger(t.height) && t.width > 0 && t.height > 0 && (t.channels === 1 || t.channels === 3);
  if (!ok || t.width * t.height * t.channels > THUMBNAIL_MAX_BYTES) return null;
  const bytes = base64Bytes(t.pixels);
  return bytes && bytes.length === t.width * t.height * t.channels ? bytes : null;
}

function drawThumbnail(t: Thumbnail, px: Uint8Array): HTMLCanvasElement {
  const canvas = h('canvas', { width: t.width, height: t.height, class: 'thumb-canvas' });
  const scale = SHOWN / Math.max(t.width, t.height);
  canvas.style.width = `${Math.round(t.width * scale)}px`;
  canvas.style.height = `${Math.round(t.height * scale)}px`;
  const ctx = canvas.getContext('2d');
  if (ctx) {
    const img = ctx.createImageData(t.width, t.height);
    for (let i = 0; i < t.width * t.height; i++) {
      const r = px[i * t.channels]!;
      img.data[i * 4] = r;
      img.data[i * 4 + 1] = t.channels === 3 ? px[i * 3 + 1]! : r;
      img.data[i * 4 + 2] = t.channels === 3 ? px[i * 3 + 2]! : r;
      img.data[i * 4 + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }
  return canvas;
}

export interface ThumbnailHooks {
  /** Asks the host for a page of a selection of the evaluation `tag`. */
  request(tag: string, selection: ImageSelectionMessage, page: number): void;
}

export class ThumbnailsView {
  readonly element: HTMLElement;
  private readonly title = h('h3', { 'data-field': 'title' });
  private readonly status = h(
    'p',
    { class: 'note', 'data-field': 'status' },
    'Click a cell of the confusion matrix to see its test images.',
  );
  private readonly grid = h('div', { class: 'thumb-grid', 'data-testid': 'thumbnails' });
  private readonly pager = h('div', { class: 'toolbar' });
  private readonly classButtons = h('div', { class: 'toolbar' });
  private names: string[] = [];
  private current: { tag: string; selection: ImageSelectionMessage; page: number } | null = null;

  constructor(private readonly hooks: ThumbnailHooks) {
    this.element = h(
      'section',
      { class: 'thumbnails', 'data-testid': 'thumbnails-view' },
      this.title,
      this.classButtons,
      this.status,
      this.grid,
      this.pager,
    );
  }

  setClassNames(names: string[]): void {
    this.names = names;
  }

  private name(label: number): string {
    return this.names[label] ?? String(label);
  }

  private describe(sel: ImageSelectionMessage): string {
    switch (sel.kind) {
      case 'cell':
        return `True ${this.name(sel.true)}, predicted ${this.name(sel.pred)}`;
      case 'mistakes':
        return `Mistakes of ${this.name(sel.cls)} (true ${this.name(sel.cls)}, predicted otherwise)`;
      case 'predictedAs':
        return `Wrongly predicted as ${this.name(sel.cls)}`;
      default: {
        const never: never = sel;
        return JSON.stringify(never);
      }
    }
  }

  /** Asks for the first page of a selection (a click on a cell, a confused pair, a class). */
  show(tag: string, selection: ImageSelectionMessage, page = 0): void {
    this.current = { tag, selection, page };
    setText(this.title, `${this.describe(selection)} · ${tag}`);
    setText(this.status, 'Loading…');
    this.grid.replaceChildren();
    this.pager.replaceChildren();
    const cls = selection.kind === 'cell' ? [selection.true, selection.pred] : [selection.cls];
    this.classButtons.replaceChildren(
      button(`${this.name(cls[0]!)}’s mistakes`, () => this.show(tag, { kind: 'mistakes', cls: cls[0]! }), { 'data-action': 'mistakes' }),
      button(
        `Wrongly predicted as ${this.name(cls[cls.length - 1]!)}`,
        () => this.show(tag, { kind: 'predictedAs', cls: cls[cls.length - 1]! }),
        { 'data-action': 'predicted-as' },
      ),
    );
    this.hooks.request(tag, selection, page);
  }

  /** A reply from the host; replies to an older request are dropped. */
  apply(m: ImagesMessage): void {
    const c = this.current;
    if (!c || m.tag !== c.tag || m.page !== c.page || JSON.stringify(m.selection) !== JSON.stringify(c.selection)) return;
    if (!Array.isArray(m.items) || m.items.length > IMAGES_PAGE_SIZE) return;
    this.grid.replaceChildren(
      ...m.items.map((t) => {
        const px = thumbnailPixels(t);
        const picture = px ? drawThumbnail(t, px) : h('div', { class: 'thumb-missing' }, t.error ?? 'unreadable');
        return h(
          'figure',
          { class: 'thumb', 'data-index': t.index, 'data-true': t.true, 'data-pred': t.pred },
          picture,
          h('figcaption', {}, h('span', { class: 'thumb-index' }, `#${t.index}`), ` ${this.name(t.true)} → ${this.name(t.pred)}`),
        );
      }),
    );
    const pages = Math.max(1, Math.ceil(m.total / IMAGES_PAGE_SIZE));
    const first = m.page * IMAGES_PAGE_SIZE;
    setText(
      this.status,
      m.error ??
        (m.total === 0
          ? 'No test images.'
          : `Images ${first + 1}–${first + m.items.length} of ${m.total}${pages > 1 ? ` (page ${m.page + 1} of ${pages})` : ''}`),
    );
    this.status.dataset.total = String(m.total);
    if (pages > 1) {
      const prev = button('Previous', () => this.show(c.tag, c.selection, c.page - 1), { 'data-action': 'previous-page' });
      const next = button('Next', () => this.show(c.tag, c.selection, c.page + 1), { 'data-action': 'next-page' });
      if (c.page === 0) prev.setAttribute('disabled', '');
      if (c.page + 1 >= pages) next.setAttribute('disabled', '');
      this.pager.replaceChildren(prev, next);
    }
    this.element.dataset.state = 'ready';
  }
}
