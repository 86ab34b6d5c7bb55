// The Python the tests run the writer and the PyTorch example with: GPACO_PYTHON when set, else
// the first of python3 on the PATH and Debian's /usr/bin/python3 that can import torch (a
// version manager's python3 often shadows the system one that python3-torch installs into).
import { spawnSync } from 'node:child_process';

let found: string | undefined;

export function findPython(): string {
  if (found !== undefined) return found;
  const candidates = process.env.GPACO_PYTHON ? [process.env.GPACO_PYTHON] : ['python3', '/usr/bin/python3'];
  for (const c of candidates) {
    const r = spawnSync(c, ['-c', 'import torch, numpy'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return (found = c);
  }
  throw new Error(`no Python with torch and numpy among ${candidates.join(', ')}: install Debian's python3-torch (or set GPACO_PYTHON)`);
}
