// The Python the tests run the writer and the PyTorch example with: GPACO_PYTHON when set, else
// the first of python3 on the PATH and Debian's /usr/bin/python3 that can import torch (a
// version manager's python3 often shadows the system one that python3-torch installs into).
import { spawnSync } from 'node:child_process';

const found = new Map<string, string>();

/** `needs: 'stdlib'` for the writer alone (Python 3.9+, nothing installed). */
export function findPython(needs: 'torch' | 'stdlib' = 'torch'): string {
  const known = found.get(needs);
  if (known !== undefined) return known;
  const candidates = process.env.GPACO_PYTHON ? [process.env.GPACO_PYTHON] : ['python3', '/usr/bin/python3'];
  const probe = needs === 'torch' ? 'import torch, numpy' : 'import sys; assert sys.version_info >= (3, 9)';
  for (const c of candidates) {
    const r = spawnSync(c, ['-c', probe], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) {
      found.set(needs, c);
      return c;
    }
  }
  throw new Error(
    needs === 'torch'
      ? `no Python with torch and numpy among ${candidates.join(', ')}: install Debian's python3-torch (or set GPACO_PYTHON)`
      : `no Python 3.9+ among ${candidates.join(', ')}: install python3 (or set GPACO_PYTHON)`,
  );
}
