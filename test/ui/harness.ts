// The shared real-VS-Code test harness: code-server 4.100.3
// installed on demand into .cache/code-server, started in its own process group with a
// throw-away user-data dir, driven by Debian's Chromium through playwright-core. Used by the
// extension-host runner (test/exthost/runner.ts) and by every UI test (test/ui/**/*.test.ts).
//
//   const server = await startCodeServer({ extensionsDir });     // one per test file is fine
//   const wb = await openWorkbench(server, { folder: ws });       // a browser on the workbench
//   await runCommand(wb.page, 'GPaCo: Refresh Runs');             // through the command palette
//   const frame = webviewFrame(wb.page);                          // inside the active webview
//   await wb.close(); await server.stop();
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { format } from 'node:util';
import { chromium, type Browser, type FrameLocator, type Locator, type Page } from 'playwright-core';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const CHROMIUM = process.env.GPACO_CHROMIUM ?? '/usr/bin/chromium';

/** Installs code-server when missing (scripts/vscode-test-setup.mjs) and returns its binary. */
export function ensureCodeServer(): string {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'vscode-test-setup.mjs')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error('code-server could not be installed (see above)');
  return r.stdout.trim().split('\n').pop()!;
}

/** The VS Code user settings every test profile gets: no telemetry, updates, tips or prompts. */
export const BASE_SETTINGS: Record<string, unknown> = {
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'workbench.startupEditor': 'none',
  'workbench.enableExperiments': false,
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'security.workspace.trust.enabled': false,
  'files.hotExit': 'off',
  'git.enabled': false,
};

export interface CodeServerOptions {
  /** Extensions folder (e.g. with the packaged .vsix installed); default: an empty temporary one. */
  extensionsDir?: string;
  /** Extra user settings (merged over BASE_SETTINGS). */
  settings?: Record<string, unknown>;
  /** Workspace trust on (restricted-mode tests); default off like the recipe. */
  trust?: boolean;
  /** Extra environment for the server and so for its extension host. */
  env?: NodeJS.ProcessEnv;
  /** Where logs and the profile go; default: a new temporary folder. */
  workDir?: string;
}

export interface CodeServer {
  origin: string;
  port: number;
  workDir: string;
  userDataDir: string;
  extensionsDir: string;
  logFile: string;
  pid: number;
  /** Workbench URL for a folder, with an optional `payload` (extension development / tests). */
  url(folder: string, payload?: [string, string][]): string;
  /** A path on the server's disk as the workbench names it. */
  remoteUri(p: string): string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const live = new Set<ChildProcess>();
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    /* already gone */
  }
}
// Whatever happens to the test process, its servers' process groups go with it.
process.on('exit', () => live.forEach((c) => killGroup(c, 'SIGKILL')));
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    live.forEach((c) => killGroup(c, 'SIGKILL'));
    process.exit(130);
  });
}

export async function startCodeServer(options: CodeServerOptions = {}): Promise<CodeServer> {
  const bin = ensureCodeServer();
  // A folder made here is removed by stop() (GPACO_KEEP_TEST_DIRS=1 keeps it, for its logs).
  const ownWorkDir = options.workDir === undefined;
  const workDir = options.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'gpaco-cs-'));
  const userDataDir = path.join(workDir, 'user-data');
  const extensionsDir = options.extensionsDir ?? path.join(workDir, 'extensions');
  fs.rmSync(userDataDir, { recursive: true, force: true });
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  const settings = {
    ...BASE_SETTINGS,
    ...(options.trust
      ? {
          'security.workspace.trust.enabled': true,
          'security.workspace.trust.startupPrompt': 'never',
          'security.workspace.trust.banner': 'never',
        }
      : {}),
    ...options.settings,
  };
  fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  const port = await freePort();
  const config = path.join(workDir, 'config.yaml');
  // Own config file: without --config, code-server writes ~/.config/code-server/config.yaml.
  fs.writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const logFile = path.join(workDir, 'server.log');
  const log = fs.openSync(logFile, 'w');
  const args = [
    '--config',
    config,
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    ...(options.trust ? [] : ['--disable-workspace-trust']),
  ];
  // detached: its own process group, so stopping the group also ends its file watcher and
  // extension hosts (killing only the top pid leaves them running).
  const child = spawn(bin, args, { detached: true, stdio: ['ignore', log, log], env: { ...process.env, ...options.env } });
  fs.closeSync(log);
  live.add(child);
  const origin = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (!live.has(child)) return;
    killGroup(child, 'SIGTERM');
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      try {
        process.kill(-child.pid!, 0);
      } catch {
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    killGroup(child, 'SIGKILL');
    live.delete(child);
    if (ownWorkDir && !process.env.GPACO_KEEP_TEST_DIRS) fs.rmSync(workDir, { recursive: true, force: true });
  };
  // /healthz answers as soon as the server listens.
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`code-server exited (${child.exitCode}):\n${fs.readFileSync(logFile, 'utf8')}`);
    try {
      const r = await fetch(`${origin}/healthz`);
      if (r.ok) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not answer /healthz within 60 s; log: ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const host = new URL(origin).host;
  return {
    origin,
    port,
    workDir,
    userDataDir,
    extensionsDir,
    logFile,
    pid: child.pid!,
    remoteUri: (p) => `vscode-remote://${host}${p}`,
    url: (folder, payload) =>
      `${origin}/?folder=${encodeURIComponent(folder)}${payload ? `&payload=${encodeURIComponent(JSON.stringify(payload))}` : ''}`,
    stop,
  };
}

/** Installs a .vsix into a server's extensions folder (code-server's own CLI, offline). */
export function installVsix(vsix: string, extensionsDir: string): void {
  const bin = ensureCodeServer();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gpaco-vsix-'));
  try {
    fs.writeFileSync(path.join(tmp, 'config.yaml'), 'auth: none\ncert: false\n');
    const r = spawnSync(
      bin,
      [
        '--config',
        path.join(tmp, 'config.yaml'),
        '--user-data-dir',
        path.join(tmp, 'ud'),
        '--extensions-dir',
        extensionsDir,
        '--install-extension',
        vsix,
      ],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`installing ${vsix} failed:\n${r.stdout}\n${r.stderr}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * An extensions folder with GPaCo Lab installed from its packaged .vsix (what users get). The UI
 * runner makes it once per run and passes it in GPACO_UI_EXTENSIONS_DIR; a test file run on its
 * own packages and installs it here (dist/ must be built).
 */
export function packagedExtensionsDir(): string {
  const given = process.env.GPACO_UI_EXTENSIONS_DIR;
  if (given && fs.existsSync(given)) return given;
  const dir = path.join(repoRoot, '.cache', 'ui', `extensions-${process.pid}`);
  const vsix = packageVsix(path.join(repoRoot, '.cache', 'ui', `gpaco-lab-${process.pid}.vsix`));
  installVsix(vsix, dir);
  process.env.GPACO_UI_EXTENSIONS_DIR = dir;
  process.once('exit', () => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(vsix, { force: true });
  });
  return dir;
}

/** Packages the extension as it stands in dist/ (no rebuild) into `out` (scripts/package-vsix.mjs). */
export function packageVsix(out: string): string {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'package-vsix.mjs'), '--out', out], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`packaging the .vsix failed:\n${r.stdout}\n${r.stderr}`);
  return out;
}

export async function launchBrowser(): Promise<Browser> {
  // launch() uses a fresh temporary profile; the flags keep Chromium from phoning home.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface Workbench {
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

/** Opens the workbench on `folder` in a new headless Chromium and waits until it is rendered. */
export async function openWorkbench(
  server: CodeServer,
  opts: { folder: string; viewport?: { width: number; height: number }; verbose?: boolean },
): Promise<Workbench> {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: opts.viewport ?? { width: 1280, height: 800 } });
    page.on('pageerror', (e) => console.log('[pageerror]', e.message));
    if (opts.verbose ?? process.env.VERBOSE) page.on('console', (m) => console.log(`[browser ${m.type()}] ${m.text()}`));
    await page.goto(server.url(opts.folder));
    await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    return { browser, page, close: () => browser.close() };
  } catch (err) {
    await browser.close();
    throw err;
  }
}

/** Runs a command by its palette title (e.g. `GPaCo: Refresh Runs`). */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 30_000 });
  await page.keyboard.press('Enter');
}

/** The content of the active webview (two nested iframes: the host, then #active-frame). */
export function webviewFrame(page: Page, index = 0): FrameLocator {
  return page.frameLocator('iframe.webview.ready').nth(index).frameLocator('#active-frame');
}

/** A status-bar entry containing `text`. */
export function statusBarItem(page: Page, text: string | RegExp): Locator {
  return page.locator('.statusbar-item', { hasText: text }).first();
}

/** Opens a view container from the activity bar by its title (e.g. `GPaCo Lab`). */
export async function openViewContainer(page: Page, title: string): Promise<void> {
  const item = page.locator(`.activitybar .action-item a[aria-label^="${title}"]`).first();
  await item.waitFor({ timeout: 60_000 });
  const expanded = await item.getAttribute('aria-expanded');
  if (expanded !== 'true') await item.click();
}

/** A row of a tree view by its label. */
export function treeRow(page: Page, label: string | RegExp): Locator {
  return page.locator('.monaco-list-row', { has: page.locator('.label-name', { hasText: label }) }).first();
}

export interface ExtensionTestRun {
  exitCode: number;
  seconds: number;
}

/**
 * Runs a VS Code test module (`exports.run(): Promise`) inside the real extension host: the
 * web equivalent of `code --extensionDevelopmentPath --extensionTestsPath`, through the
 * workbench's `payload` URL parameter. The host's console goes to stdout.
 */
export async function runExtensionTests(
  server: CodeServer,
  opts: { folder: string; extensionDevelopmentPath: string; extensionTestsPath: string; timeoutMs?: number },
): Promise<ExtensionTestRun> {
  const t0 = Date.now();
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.log('[pageerror]', e.message));
    if (process.env.VERBOSE) page.on('console', (m) => console.log(`[browser ${m.type()}] ${m.text()}`));
    let onExit!: (code: number) => void;
    const exited = new Promise<number>((resolve) => (onExit = resolve));
    // Exposed before the workbench loads (exposeFunction survives navigation).
    await page.exposeFunction('codeAutomationLog', (_type: string, args: unknown[]) => console.log(format(...(args ?? []))));
    await page.exposeFunction('codeAutomationExit', (code: number) => onExit(Number(code)));
    await page.goto(
      server.url(opts.folder, [
        ['extensionDevelopmentPath', server.remoteUri(opts.extensionDevelopmentPath)],
        ['extensionTestsPath', server.remoteUri(opts.extensionTestsPath)],
      ]),
    );
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<number>((resolve) => (timer = setTimeout(() => resolve(124), opts.timeoutMs ?? 600_000)));
    const exitCode = await Promise.race([exited, timeout]);
    clearTimeout(timer);
    if (exitCode === 124) console.log(`[exthost] timed out after ${opts.timeoutMs ?? 600_000} ms`);
    return { exitCode, seconds: (Date.now() - t0) / 1000 };
  } finally {
    await browser.close();
  }
}

/**
 * Stops trainer processes still running for runs under `root` (they are detached from the
 * editor on purpose, so ending code-server does not end them): SIGINT, then SIGKILL.
 */
export async function stopTrainersUnder(root: string): Promise<number> {
  const pids: number[] = [];
  const walk = (dir: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && depth < 4 && e.name !== 'node_modules' && e.name !== 'checkpoints') walk(p, depth + 1);
      else if (e.name === 'run.json') {
        try {
          const m = JSON.parse(fs.readFileSync(p, 'utf8')) as { status?: string; pid?: number | null };
          if (m.status === 'running' && typeof m.pid === 'number' && m.pid > 0) {
            const cmd = fs.readFileSync(`/proc/${m.pid}/cmdline`, 'utf8');
            if (cmd.includes(dir)) pids.push(m.pid);
          }
        } catch {
          /* not running or not ours */
        }
      }
    }
  };
  walk(root, 0);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      /* gone */
    }
  }
  const deadline = Date.now() + 10_000;
  for (const pid of pids) {
    while (Date.now() < deadline) {
      try {
        process.kill(pid, 0);
      } catch {
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  return pids.length;
}
