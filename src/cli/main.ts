// Entry of dist/cli.js (`gpaco`, see bin/gpaco.js).
import { version } from '../../package.json';
import { runCli } from './run';
import type { Output } from './registry';

const stdout = process.stdout;
const io: Output = {
  out: (line = '') => stdout.write(`${line}\n`),
  err: (line = '') => process.stderr.write(`${line}\n`),
  write: (text) => stdout.write(text),
  isTTY: stdout.isTTY === true,
  columns: stdout.columns || 100,
};

runCli(process.argv.slice(2), { io, cwd: process.cwd(), env: process.env, bundleDir: __dirname, version }).then(
  (code) => {
    // exitCode, not exit(): let stdout drain when it is a pipe.
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`gpaco: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
