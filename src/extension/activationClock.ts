// Imported first by extension.ts: the moment the bundle starts evaluating, for the activation
// time the API reports.
export const bundleStart = performance.now();

/** Set by activate() when it starts and ends (the API reports them). */
export const activationTimes = { activateStart: 0, activateEnd: 0 };
