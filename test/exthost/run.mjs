// `node test/exthost/run.mjs [FILTER...]` (called by scripts/test.mjs): extension-host tests in
// a real VS Code (code-server). The runner is TypeScript; this only starts it under tsx.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, 'runner.ts'), ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
