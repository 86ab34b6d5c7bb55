// Extension-host tests: mocha suites bundled by esbuild and run INSIDE code-server's real
// extension host (the real `vscode` API), one session per workspace scenario:
//   fresh       an empty workspace: lazy activation, first run, faults, launching real trainers
//   existing    a workspace with fixture runs (activation by workspaceContains, tree contents)
//   restricted  workspace trust on and the folder untrusted: view-only
//   bench       (only when asked: `node test/exthost/run.mjs bench`) figures for the report
// Each session gets its own workspace under .cache/exthost/<pid>/ and its test files
// (test/exthost/<session>/*.test.ts). Prints "N passed, N failed" per session and in total.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot, runExtensionTests, startCodeServer, stopTrainersUnder, type CodeServer } from '../ui/harness';
import { statusFixtureSpecs, writeFixtureRuns } from '../../test/shared/fixtureRuns';

interface Session {
  name: string;
  trust: boolean;
  /** Only when named on the command line (benchmarks: `node test/exthost/run.mjs bench`). */
  onlyWhenAsked?: boolean;
  prepare(ws: string): void;
}

const SESSIONS: Session[] = [
  {
    name: 'fresh',
    trust: false,
    prepare: (ws) => fs.writeFileSync(path.join(ws, 'README.md'), '# a workspace without runs\n'),
  },
  {
    name: 'existing',
    trust: false,
    prepare: (ws) => writeFixtureRuns(path.join(ws, 'runs'), statusFixtureSpecs()),
  },
  {
    name: 'restricted',
    trust: true,
    prepare: (ws) => {
      writeFixtureRuns(path.join(ws, 'runs'), statusFixtureSpecs().slice(0, 2));
      // A hostile repository naming a program to run: machine-scoped settings must ignore it.
      fs.mkdirSync(path.join(ws, '.vscode'), { recursive: true });
      fs.writeFileSync(
        path.join(ws, '.vscode', 'settings.json'),
        JSON.stringify({ 'gpaco.nodePath': '/evil/node', 'gpaco.nativeModulesPath': '/evil/modules' }),
      );
    },
  },
  {
    name: 'bench',
    trust: false,
    onlyWhenAsked: true,
    prepare: (ws) => fs.writeFileSync(path.join(ws, 'README.md'), '# benchmark workspace\n'),
  },
];

async function bundleTests(outDir: string): Promise<string[]> {
  const entries: { in: string; out: string }[] = [{ in: 'test/exthost/index.ts', out: 'index' }];
  for (const s of SESSIONS) {
    const dir = path.join(repoRoot, 'test/exthost', s.name);
    if (!fs.existsSync(dir)) continue;
    for (const f of fs
      .readdirSync(dir)
      .filter((n) => n.endsWith('.test.ts'))
      .sort()) {
      entries.push({ in: `test/exthost/${s.name}/${f}`, out: `${s.name}/${f.replace(/\.ts$/, '')}` });
    }
  }
  fs.rmSync(outDir, { recursive: true, force: true });
  await esbuild.build({
    absWorkingDir: repoRoot,
    entryPoints: entries,
    outdir: outDir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    external: ['vscode', 'mocha'],
    logLevel: 'warning',
  });
  return entries.map((e) => e.out);
}

async function main(): Promise<number> {
  const filters = process.argv.slice(2);
  if (!fs.existsSync(path.join(repoRoot, 'dist', 'extension.js'))) {
    console.error('dist/extension.js is missing: run `npm run build` first');
    return 1;
  }
  const work = path.join(repoRoot, '.cache', 'exthost', String(process.pid));
  fs.rmSync(work, { recursive: true, force: true });
  // Bundled tests live inside the repository so `require('mocha')` resolves from node_modules.
  const outDir = path.join(work, 'bundle');
  await bundleTests(outDir);
  const servers = new Map<boolean, CodeServer>();
  let failed = 0;
  const totals = { passed: 0, failed: 0 };
  try {
    for (const s of SESSIONS) {
      const asked = filters.some((f) => s.name.includes(f) || f.includes(s.name));
      if ((filters.length || s.onlyWhenAsked) && !asked) continue;
      const testDir = path.join(outDir, s.name);
      if (!fs.existsSync(testDir)) continue;
      let server = servers.get(s.trust);
      if (!server) {
        server = await startCodeServer({ trust: s.trust, workDir: path.join(work, s.trust ? 'server-trust' : 'server') });
        servers.set(s.trust, server);
      }
      const ws = path.join(work, 'ws', s.name);
      fs.mkdirSync(ws, { recursive: true });
      s.prepare(ws);
      // The in-host runner reads which files to load and where to report from here.
      const resultFile = path.join(work, `${s.name}.result.json`);
      fs.writeFileSync(
        path.join(outDir, 'session.json'),
        JSON.stringify({
          session: s.name,
          files: fs
            .readdirSync(testDir)
            .filter((f) => f.endsWith('.js'))
            .map((f) => path.join(testDir, f)),
          resultFile,
          repoRoot,
          grep: process.env.GPACO_TEST_GREP ?? '',
        }),
      );
      console.log(`\n== extension host: ${s.name} (${ws})`);
      const r = await runExtensionTests(server, {
        folder: ws,
        extensionDevelopmentPath: repoRoot,
        extensionTestsPath: path.join(outDir, 'index.js'),
        timeoutMs: 15 * 60_000,
      });
      const stopped = await stopTrainersUnder(ws);
      if (stopped) console.log(`[exthost] stopped ${stopped} trainer(s) left running by the ${s.name} session`);
      let result = { passed: 0, failed: 1 };
      try {
        result = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as typeof result;
      } catch {
        console.log(`[exthost] ${s.name}: no result file (exit code ${r.exitCode})`);
      }
      totals.passed += result.passed;
      totals.failed += result.failed;
      console.log(`[exthost] ${s.name}: exit code ${r.exitCode} after ${r.seconds.toFixed(1)} s`);
      if (r.exitCode !== 0) failed++;
    }
  } finally {
    for (const server of servers.values()) await server.stop();
  }
  console.log(`\nexthost: ${totals.passed} passed, ${totals.failed} failed`);
  if (totals.passed + totals.failed === 0) {
    // A filter that names no session (or a grep that matches no test) must not read as a pass.
    console.error(`[exthost] no test ran: sessions are ${SESSIONS.map((s) => s.name).join(', ')}; GPACO_TEST_GREP filters tests`);
    return 1;
  }
  if (failed === 0) fs.rmSync(work, { recursive: true, force: true });
  else console.log(`[exthost] logs and workspaces kept in ${work}`);
  return failed === 0 && totals.failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
