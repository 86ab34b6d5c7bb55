// Messages a user can act on for failures that surface from deep inside TensorFlow.js.

/** wasm32 caps the heap at 4 GiB; an allocation past it surfaces as one of these. */
const WASM_OOM = /memory access out of bounds|out of memory|Cannot allocate Wasm memory|Array buffer allocation failed/i;

export function explainError(e: unknown, batchSize?: number): string {
  const msg = e instanceof Error ? e.message : String(e);
  if (WASM_OOM.test(msg)) {
    const b = batchSize;
    return (
      `the wasm heap (at most 4 GiB) ran out${b ? ` at batch size ${b}` : ''}: lower optim.batchSize` +
      `${b ? ` (e.g. ${Math.max(1, Math.floor(b / 2))})` : ''} or set optim.microBatchSize to split each step (${msg})`
    );
  }
  return msg;
}
