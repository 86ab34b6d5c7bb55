// The configured Node must be new enough for the trainer bundle (package.json engines.node).

export const MIN_NODE: readonly [number, number, number] = [20, 19, 0];

/** `v20.19.2` -> [20, 19, 2]; undefined for anything else. */
export function parseNodeVersion(text: string): [number, number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

export function isAtLeast(v: readonly number[], min: readonly number[] = MIN_NODE): boolean {
  for (let i = 0; i < 3; i++) {
    const a = v[i] ?? 0;
    const b = min[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

export type NodeCheck = { ok: true; version: string } | { ok: false; message: string };

/** Judges the output of `<node> --version`. */
export function judgeNodeVersion(nodePath: string, output: string): NodeCheck {
  const v = parseNodeVersion(output);
  if (!v) return { ok: false, message: `"${nodePath} --version" printed "${output.trim().slice(0, 80)}", not a Node version` };
  const version = v.join('.');
  if (!isAtLeast(v)) {
    return {
      ok: false,
      message: `Node ${version} at "${nodePath}" is too old: GPaCo Lab's trainer needs Node ${MIN_NODE.join('.')} or newer`,
    };
  }
  return { ok: true, version };
}
