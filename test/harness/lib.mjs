// Real VS Code for tests: code-server 4.100.3 (VS Code 1.100.3, a real Node extension host) driven by Debian
// chromium through playwright-core. Used by run-host-tests.mjs, run-ui-tests.mjs and the UI test modules.
// Background and measured timings: docs/testing.md. Run ./setup.sh first.
import { chromium } from 'playwright-core';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const CODE_SERVER = process.env.CODE_SERVER ?? path.join(HERE, 'node_modules', '.bin', 'code-server');
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const SHOT_DIR = path.resolve(process.env.SHOT_DIR ?? path.join(HERE, '..', '..', '.test-output', 'screenshots'));
export const THEMES = { dark: 'Default Dark Modern', light: 'Default Light Modern', hc: 'Default High Contrast' };
export const DEFAULT_SETTINGS = {
  'workbench.startupEditor': 'none', 'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false, 'extensions.autoUpdate': false, 'extensions.ignoreRecommendations': true,
  'workbench.enableExperiments': false, 'update.mode': 'none', 'git.enabled': false, 'workbench.tips.enabled': false,
  'window.autoDetectHighContrast': false, 'workbench.colorTheme': THEMES.dark,
};
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const tail = (file, n = 30) => { try { return fs.readFileSync(file, 'utf8').split('\n').slice(-n).join('\n'); } catch { return ''; } };
const rmrf = (dir) => { try { fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }); } catch {} };
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function freePort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

// Servers still running when node exits (crash, process.exit) are killed here, with their whole process group.
const live = new Set();
process.on('exit', () => { for (const s of live) s.killNow(); });
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => process.exit(128 + os.constants.signals[sig])); // runs the hook

/**
 * Install a .vsix as users do (`code-server --install-extension <vsix>`) into extensionsDir, with throwaway
 * user-data / XDG dirs. Returns the folder the extension was installed to (<extensionsDir>/<publisher>.<name>-<version>).
 * Servers started with startCodeServer({ extensionsDir }) then load that installed copy.
 */
export function installVsix(vsix, extensionsDir) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lsmi-cs-install-'));
  try {
    fs.mkdirSync(extensionsDir, { recursive: true });
    const r = spawnSync(CODE_SERVER, ['--user-data-dir', path.join(tmp, 'user-data'), '--extensions-dir', extensionsDir,
      '--install-extension', path.resolve(vsix)], {
      encoding: 'utf8', timeout: 120_000,
      env: { ...process.env, XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'), XDG_DATA_HOME: path.join(tmp, 'xdg-data') },
    });
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
    if (r.status !== 0 || !/successfully installed/i.test(out)) {
      throw new Error(`code-server --install-extension ${vsix} failed (${r.status ?? r.signal}):\n${out.slice(-3000)}`);
    }
    const installed = JSON.parse(fs.readFileSync(path.join(extensionsDir, 'extensions.json'), 'utf8'));
    // the one just installed: the newest installedTimestamp
    const entry = installed.reduce((a, e) => ((e.metadata?.installedTimestamp ?? 0) >= (a?.metadata?.installedTimestamp ?? 0) ? e : a), undefined);
    return path.join(extensionsDir, entry.relativeLocation ?? path.basename(entry.location.path));
  } finally {
    rmrf(tmp);
  }
}

/**
 * VS Code loads a test runner (extensionTestsPath) only in a window that has an extensionDevelopmentPath.
 * To run the host tests against an installed extension, the development path is this empty extension
 * (no code, no contributions, another id), so the extension under test is the installed one.
 */
export function testRunnerStub(dir) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({
    name: 'lsmi-host-test-runner', publisher: 'lsmi-test', version: '0.0.0', engines: { vscode: '*' },
    description: 'Stands in as the development extension so that VS Code loads the test runner; contributes nothing.',
  }, null, 2));
  return dir;
}

/**
 * Start code-server on 127.0.0.1 with throwaway XDG/user-data/extensions dirs (removed by stop(); KEEP_TMP=1 keeps
 * them). `theme` (e.g. THEMES.light) becomes workbench.colorTheme; `userSettings` are merged over DEFAULT_SETTINGS.
 * `extensionsDir`: use this extensions folder (extensions installed there by installVsix) instead of an empty one;
 * it is not removed. `env`: added to code-server's environment (its extension host inherits it).
 * Returns { host, port, tmp, userDataDir, extensionsDir, logFile, remote(absPath), url(payload?, folder?), stop() }.
 */
export async function startCodeServer({ port, workspace, userSettings = {}, theme, env = {}, extensionsDir, timeoutMs = 60_000 } = {}) {
  port = port || Number(process.env.CS_PORT) || await freePort();
  const host = `127.0.0.1:${port}`;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lsmi-cs-'));
  const userDataDir = path.join(tmp, 'user-data');
  const logFile = path.join(tmp, 'code-server.log');
  extensionsDir = path.resolve(extensionsDir ?? path.join(tmp, 'extensions'));
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(
    { ...DEFAULT_SETTINGS, ...(theme ? { 'workbench.colorTheme': theme } : {}), ...userSettings }, null, 2));
  const log = fs.openSync(logFile, 'w');
  // XDG_* keep code-server from writing ~/.config/code-server and ~/.local/share/code-server.
  // detached: own process group, so stop() also ends the extension host and the other children.
  const cs = spawn(CODE_SERVER, ['--auth', 'none', '--bind-addr', host, '--disable-telemetry', '--disable-update-check',
    '--disable-workspace-trust', '--disable-getting-started-override',
    '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir], {
    detached: true, stdio: ['ignore', log, log],
    env: { ...process.env, XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'), XDG_DATA_HOME: path.join(tmp, 'xdg-data'), ...env },
  });
  fs.closeSync(log);
  let exited = false;
  const exitP = new Promise((r) => cs.once('exit', () => { exited = true; r(); }));
  const cleanup = () => {
    if (process.env.KEEP_TMP) console.log(`[harness] kept ${tmp}`);
    else rmrf(tmp);
  };
  const server = {
    host, port, tmp, userDataDir, extensionsDir, logFile,
    remote: (p) => `vscode-remote://${host}${path.resolve(p)}`,
    /** Workbench URL. payload: [[key, value], ...] or {key: value}; absolute paths given for
     * extensionDevelopmentPath / extensionTestsPath are turned into vscode-remote:// URIs. */
    url(payload = [], folder = workspace) {
      const pairs = Array.isArray(payload) ? [...payload] : Object.entries(payload);
      const fixed = pairs.filter(([, v]) => v != null).map(([k, v]) =>
        /^extension(Development|Tests)Path$/.test(k) && v.startsWith('/') ? [k, server.remote(v)] : [k, String(v)]);
      if (!fixed.some(([k]) => k === 'skipWelcome')) fixed.push(['skipWelcome', 'true']);
      const q = folder ? `folder=${encodeURIComponent(path.resolve(folder))}&` : '';
      return `http://${host}/?${q}payload=${encodeURIComponent(JSON.stringify(fixed))}`;
    },
    killNow() { if (!exited) { try { process.kill(-cs.pid, 'SIGKILL'); } catch {} } live.delete(server); cleanup(); },
    async stop() {
      if (!live.has(server)) return;
      live.delete(server);
      if (!exited) {
        try { process.kill(-cs.pid, 'SIGTERM'); } catch {}
        await Promise.race([exitP, sleep(5_000)]);
        try { process.kill(-cs.pid, 'SIGKILL'); } catch {} // stragglers in the group (ext host, watchers)
      }
      cleanup();
    },
  };
  live.add(server);
  for (const end = Date.now() + timeoutMs; ;) {
    try { if ((await fetch(`http://${host}/healthz`)).ok) return server; } catch {}
    if (exited || Date.now() > end) {
      const why = `code-server did not start on ${host}${exited ? ` (exit code ${cs.exitCode})` : ''}:\n${tail(logFile)}`;
      await server.stop();
      throw new Error(why);
    }
    await sleep(200);
  }
}

/** Headless Debian chromium with a persistent profile (a fresh temp dir, removed on close, when profileDir is omitted). */
export async function launchChromium(profileDir, viewport = { width: 1280, height: 800 }) {
  const own = !profileDir;
  profileDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'lsmi-chromium-'));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM, headless: true, viewport, args: CHROMIUM_ARGS,
    // chromium's crash handler would otherwise create ~/.config/chromium/Crash Reports
    env: { ...process.env, XDG_CONFIG_HOME: path.join(profileDir, 'xdg-config') },
  });
  if (own) { // removed once close() has waited for chromium to exit (its 'close' event comes too early)
    const close = context.close.bind(context);
    context.close = async (...a) => { try { await close(...a); } finally { rmrf(profileDir); } };
  }
  return context;
}

/** Load the workbench with the extension under development (and, for host tests, its test entry point).
 * wait: wait until the status bar is rendered (the extension host comes up some 6-10 s later). */
export async function openWorkbench(page, { server, workspace, devPath, testsPath, payload = {}, wait = true, timeout = 90_000 }) {
  const url = server.url({ extensionDevelopmentPath: devPath && path.resolve(devPath),
    extensionTestsPath: testsPath && path.resolve(testsPath), ...payload }, workspace);
  await page.goto(url);
  if (wait) await page.locator('.monaco-workbench .statusbar').waitFor({ timeout });
  return url;
}

/** Run a command from the command palette by its full title ("Category: Title"). The palette's list is computed
 * when it opens, so it is re-opened until the (late-starting) extension host has contributed the command. */
export async function runCommand(page, title, { attempts = 30, timeout = 3_000 } = {}) {
  const input = page.locator('.quick-input-widget input');
  const row = page.locator('.quick-input-list .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRe(title)}\\s*$`) }) }).first();
  for (let attempt = 1; ; attempt++) {
    // keys typed while a webview has focus go to its iframe, so move focus back to the workbench first
    await page.evaluate(() => document.activeElement?.blur?.());
    await page.keyboard.press('F1');
    try {
      await input.waitFor({ timeout: 5_000 });
      await input.fill(`>${title}`);
      await row.waitFor({ timeout });
      break;
    } catch (e) {
      await page.keyboard.press('Escape');
      if (attempt >= attempts) throw new Error(`command "${title}" not found in the palette after ${attempts} tries: ${e.message}`);
      await page.waitForTimeout(1_000);
    }
  }
  await row.click();
}

/** The document inside a webview, as a FrameLocator: outer iframe.webview.ready -> inner iframe#active-frame.
 * Hidden webviews stay in the DOM, so only visible ones count. title: first activate the editor tab with this label.
 * nth: which visible webview, when several are (split editors, a webview view beside a panel). */
export async function webviewFrame(page, { title, nth = 0, timeout = 30_000 } = {}) {
  if (title) {
    const tab = page.locator('.tabs-container .tab').filter({ hasText: title }).first();
    await tab.click({ timeout });
    await page.locator('.tabs-container .tab.active').filter({ hasText: title }).waitFor({ timeout });
  }
  const outer = page.locator('iframe.webview.ready').filter({ visible: true }).nth(nth);
  await outer.waitFor({ timeout });
  return outer.contentFrame().frameLocator('iframe#active-frame');
}

const shotPath = (name, dir = SHOT_DIR) => {
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, `${name.replace(/[^\w.-]+/g, '_')}.png`);
};
/** Screenshot of the whole window to <dir>/<name>.png; returns the path. */
export async function screenshot(page, name, { dir } = {}) {
  const file = shotPath(name, dir);
  await page.screenshot({ path: file });
  return file;
}
/** Screenshot of just the visible webview (see webviewFrame for nth). */
export async function screenshotWebview(page, name, { dir, nth = 0 } = {}) {
  const file = shotPath(name, dir);
  await page.locator('iframe.webview.ready').filter({ visible: true }).nth(nth).screenshot({ path: file });
  return file;
}

// Browser errors every run produces that say nothing about the extension under test (matched against text + url).
export const CONSOLE_NOISE = [
  /open-vsx\.org/, // gallery query, offline: ERR_NAME_NOT_RESOLVED / getaddrinfo ENOTFOUND open-vsx.org
  /vsda/, // vsda.js / vsda_bg.wasm (Microsoft's signing module) are not shipped with code-server: 404
  /reading 'addBinding'/, // playwright's exposeFunction (host runner) in the workbench's sandboxed iframes
];
// Webview documents are written into .../webview/browser/pre/fake.html, so their inline scripts report no URL
// (stack frames read "<anonymous>"); their resources (asWebviewUri) load from *.vscode-resource.vscode-cdn.net.
const WEBVIEW_URL = /\/webview\/browser\/pre\/|vscode-resource|vscode-cdn\.net|^vscode-webview:/;

/** Collect console errors and uncaught exceptions of a page (its iframes, webviews included) from now on.
 * Each entry: { kind: 'console'|'pageerror', text, url, webview }, webview = it came from a webview document.
 * errors({ webviewOnly, includeNoise }) filters; assertNone(opts) throws listing what is left. */
export function collectConsoleErrors(page) {
  const entries = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const url = msg.location()?.url ?? '';
    entries.push({ kind: 'console', text: msg.text(), url, webview: url === '' || WEBVIEW_URL.test(url) });
  });
  page.on('pageerror', (err) => {
    const stack = err.stack ?? '';
    entries.push({ kind: 'pageerror', text: stack || `${err.name}: ${err.message}`, url: '',
      webview: WEBVIEW_URL.test(stack) || !/https?:\/\//.test(stack) });
  });
  const errors = ({ webviewOnly = false, includeNoise = false } = {}) => entries.filter((e) =>
    (!webviewOnly || e.webview) && (includeNoise || !CONSOLE_NOISE.some((re) => re.test(`${e.text} ${e.url}`))));
  return {
    entries, errors,
    clear() { entries.length = 0; },
    assertNone(opts) {
      const left = errors(opts);
      if (left.length) throw new Error(`${left.length} browser error(s):\n` + left.map((e) => `  [${e.kind}${e.webview ? ' webview' : ''}] ${e.text.split('\n')[0]} ${e.url}`).join('\n'));
    },
  };
}
