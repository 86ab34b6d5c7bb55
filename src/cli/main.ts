// Entry of dist/cli.js (`gpaco`, see bin/gpaco.js).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { reportUnexpected } from './failure';
import { runCli } from './run';
import type { Output } from './registry';

const stdout = process.stdout;
// `gpaco ls | head`: the reader went away; stop quietly, as Unix tools do, instead of an
// unhandled EPIPE stack trace.
stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
const io: Output = {
  out: (line = '') => stdout.write(`${line}\n`),
  err: (line = '') => process.stderr.write(`${line}\n`),
  write: (text) => stdout.write(text),
  isTTY: stdout.isTTY === true,
  columns: stdout.columns || 100,
};

/** The package version from package.json one level above dist/ (repository or packaged extension). */
function packageVersion(): string | undefined {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : undefined;
  } catch {
    return undefined;
  }
}

runCli(process.argv.slice(2), { io, cwd: process.cwd(), env: process.env, bundleDir: __dirname, version: packageVersion() }).then(
  (code) => {
    // exitCode, not exit(): let stdout drain when it is a pipe.
    process.exitCode = code;
  },
  (err: unknown) => {
    // Commands catch their own errors, so this is a bug's last resort: one line (and the trace in
    // the run's trainer.log when a run was involved).
    reportUnexpected(io, process.argv[2] ?? '', err);
    process.exitCode = 1;
  },
);
