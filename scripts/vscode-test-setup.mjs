// Installs code-server 4.100.3 (VS Code 1.100.3, the newest whose engines accept Node 20) into the
// git-ignored `.cache/code-server` of this repository, offline apart from the npm registry, with the
// fixes for running it headless (below). Idempotent; safe to run from several test
// processes at once (a lock folder; the install happens in a temporary folder renamed into place).
//   node scripts/vscode-test-setup.mjs          prints the path of the code-server binary
// Needs the Debian packages: chromium (tests), libkrb5-dev + pkg-config (native `kerberos`), ripgrep.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.100.3';
// code-server 4.100.3's lib/vscode/npm-shrinkwrap.json pins @vscode/ripgrep 1.15.11, whose postinstall
// downloads ripgrep v13.0.0-10 from GitHub unless its cache holds the tarball: Debian's rg is 13.0.0 too.
const RG_WRAPPER_VERSION = '1.15.11';
const RG_TAG = 'v13.0.0-10';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const cacheDir = path.join(root, '.cache');
export const installDir = path.join(cacheDir, 'code-server');
export const codeServerBin = path.join(installDir, 'node_modules', '.bin', 'code-server');

function installedVersion() {
  try {
    return JSON.parse(fs.readFileSync(path.join(installDir, 'node_modules', 'code-server', 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

function which(cmd) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}

function seedRipgrep() {
  const rg = which('rg');
  if (!rg)
    throw new Error(
      'ripgrep (`rg`) is not on the PATH: install Debian\u2019s ripgrep package (code-server\u2019s install would try to download it)',
    );
  const target = { x64: 'x86_64-unknown-linux-musl', arm64: 'aarch64-unknown-linux-musl' }[process.arch];
  if (!target) throw new Error(`unsupported architecture ${process.arch}`);
  const dir = path.join(os.tmpdir(), `vscode-ripgrep-cache-${RG_WRAPPER_VERSION}`);
  const tarball = path.join(dir, `ripgrep-${RG_TAG}-${target}.tar.gz`);
  if (fs.existsSync(tarball)) return;
  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${tarball}.${process.pid}.tmp`;
  const r = spawnSync('tar', ['czf', tmp, '-C', path.dirname(rg), path.basename(rg)], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('could not pack rg for the ripgrep download cache');
  fs.renameSync(tmp, tarball);
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/** A lock folder holding the owner's pid; a lock whose owner died is taken over. */
async function withLock(fn) {
  const lock = path.join(cacheDir, 'code-server.lock');
  fs.mkdirSync(cacheDir, { recursive: true });
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let owner = NaN;
      try {
        owner = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8'));
      } catch {
        /* being created */
      }
      if (Number.isFinite(owner) && owner > 0 && !pidAlive(owner)) fs.rmSync(lock, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** Returns the code-server binary, installing code-server first when it is missing. */
export async function ensureCodeServer({ log = (m) => console.error(m) } = {}) {
  if (installedVersion() === CODE_SERVER_VERSION) return codeServerBin;
  return withLock(async () => {
    if (installedVersion() === CODE_SERVER_VERSION) return codeServerBin;
    const started = Date.now();
    log(`[code-server] installing code-server@${CODE_SERVER_VERSION} into ${path.relative(root, installDir)} (about a minute)...`);
    seedRipgrep();
    const tmp = path.join(cacheDir, `code-server.install-${process.pid}`);
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp, { recursive: true });
    fs.writeFileSync(path.join(tmp, 'package.json'), JSON.stringify({ name: 'gpaco-code-server', private: true, version: '0.0.0' }));
    const logFile = path.join(cacheDir, 'code-server-install.log');
    const out = fs.openSync(logFile, 'w');
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const r = spawnSync(
      npm,
      ['install', '--no-audit', '--no-fund', '--no-save', '--loglevel=error', `code-server@${CODE_SERVER_VERSION}`],
      {
        cwd: tmp,
        stdio: ['ignore', out, out],
        env: {
          ...process.env,
          // code-server's postinstall refuses to run as root without it (npm 11 only warns it is unknown).
          npm_config_unsafe_perm: 'true',
          // node-pty's postinstall runs `npx node-gyp`, which aborts under the home .npmrc's yes=false.
          npm_config_yes: 'true',
        },
      },
    );
    fs.closeSync(out);
    if (r.status !== 0) {
      const tail = fs.readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n');
      fs.rmSync(tmp, { recursive: true, force: true });
      throw new Error(`npm install code-server@${CODE_SERVER_VERSION} failed (full log: ${logFile}):\n${tail}`);
    }
    const rgBin = path.join(tmp, 'node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg');
    if (!fs.existsSync(rgBin)) throw new Error(`code-server installed without ripgrep (${rgBin} missing); see ${logFile}`);
    fs.rmSync(installDir, { recursive: true, force: true });
    fs.renameSync(tmp, installDir);
    log(`[code-server] installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return codeServerBin;
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  ensureCodeServer().then(
    (bin) => console.log(bin),
    (err) => {
      console.error(err.message);
      process.exit(1);
    },
  );
}
