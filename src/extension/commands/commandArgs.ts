// Commands are called from the tree (an item, or the clicked item plus the multi-selection),
// from the palette (no argument: a quick pick follows) and from tests / other extensions (run
// ids, run folders, option objects). This turns all of those into run references.

/** A run named by its id (folder name) or its absolute folder. */
export type RunRef = string;

interface HasDir {
  dir: string;
}
function hasDir(x: unknown): x is HasDir {
  return typeof x === 'object' && x !== null && typeof (x as HasDir).dir === 'string';
}
function hasRunId(x: unknown): x is { runId: string } {
  return typeof x === 'object' && x !== null && typeof (x as { runId: unknown }).runId === 'string';
}
function hasRunIds(x: unknown): x is { runIds: unknown[] } {
  return typeof x === 'object' && x !== null && Array.isArray((x as { runIds: unknown }).runIds);
}

/** Run references in `args`, in order, without duplicates. */
export function runRefsFromArgs(args: readonly unknown[]): RunRef[] {
  const out: RunRef[] = [];
  const visit = (a: unknown): void => {
    if (typeof a === 'string') out.push(a);
    else if (Array.isArray(a)) a.forEach(visit);
    else if (hasRunIds(a)) a.runIds.forEach(visit);
    else if (hasRunId(a)) out.push(a.runId);
    else if (hasDir(a)) out.push(a.dir);
  };
  // VS Code passes (clicked item, all selected items) for multi-select: the selection wins.
  if (args.length >= 2 && Array.isArray(args[1]) && args[1].length > 0) visit(args[1]);
  else args.forEach(visit);
  return [...new Set(out)];
}

/** An option object among the arguments (the first plain object that is not a run item). */
export function optionsFromArgs<T extends object>(args: readonly unknown[]): Partial<T> {
  for (const a of args) {
    if (typeof a === 'object' && a !== null && !Array.isArray(a) && !hasDir(a)) return a;
  }
  return {};
}
