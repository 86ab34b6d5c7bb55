// Imported first by extension.ts: the moment the bundle starts evaluating, for the activation
// time the API reports.
export const bundleStart = performance.now();
