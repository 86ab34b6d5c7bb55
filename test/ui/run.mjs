// `node test/ui/run.mjs [FILTER...]` (called by scripts/test.mjs): UI tests in a real browser on
// a real VS Code (code-server + Chromium). The runner is TypeScript; this only starts it under tsx.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, 'runner.ts'), ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
