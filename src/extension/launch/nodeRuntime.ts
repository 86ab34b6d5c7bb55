// Finds the Node that runs the trainer (gpaco.nodePath, default `node` on the PATH) and checks
// its version. The editor's own runtime is never used: in desktop VS Code it is Electron, which
// cannot load native TensorFlow.js addons.
import { execFile } from 'node:child_process';
import { judgeNodeVersion, type NodeCheck } from '../model/nodeVersion';

const cache = new Map<string, Promise<NodeCheck>>();

export function checkNode(nodePath: string): Promise<NodeCheck> {
  let p = cache.get(nodePath);
  if (!p) {
    p = new Promise<NodeCheck>((resolve) => {
      execFile(nodePath, ['--version'], { timeout: 10_000, windowsHide: true }, (err, stdout) => {
        if (err) {
          const code = (err as NodeJS.ErrnoException).code;
          const why = code === 'ENOENT' ? 'was not found' : code === 'EACCES' ? 'is not executable' : `failed: ${err.message}`;
          resolve({
            ok: false,
            message: `The Node program "${nodePath}" ${why}. GPaCo Lab runs its trainer with it; set gpaco.nodePath to a Node 20.19 or newer.`,
          });
          return;
        }
        resolve(judgeNodeVersion(nodePath, stdout));
      });
    });
    cache.set(nodePath, p);
    // A failed check is not cached for long: the user may install Node and retry.
    void p.then((r) => {
      if (!r.ok) setTimeout(() => cache.delete(nodePath), 2000).unref();
    });
  }
  return p;
}
