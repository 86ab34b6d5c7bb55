// Messages between the decode pool (decodePool.ts) and its worker threads (decodeWorkerEntry.ts).

export interface DecodeWorkerInit {
  /** 0-based worker index. */
  index: number;
  /** Test hook: the worker exits (code 70) when asked for its job number `exitAtJob` (1-based). */
  exitAtJob?: number;
}

/** Decode `files` into `out` (a shared buffer), image k at byte `offset + k * size * size * channels`. */
export interface DecodeJob {
  kind: 'decode';
  id: number;
  files: string[];
  size: number;
  channels: 1 | 3;
  out: SharedArrayBuffer;
  offset: number;
}

export interface DecodeDone {
  kind: 'done';
  id: number;
  /** Images of the job that could not be read or decoded (k = index in `files`), left zero. */
  failed: { k: number; reason: string }[];
}
