// Run an extension's mocha suite (@vscode/test-electron contract: extensionTestsPath exports run()) inside
// code-server's REAL Node extension host. The extension and the test entry go in the workbench URL's `payload`;
// the host's console output comes back through window.codeAutomationLog and its exit code through
// window.codeAutomationExit, which the workbench calls when they exist (Playwright's exposeFunction provides them).
// Usage:
//   node run-host-tests.mjs <extensionDevelopmentPath> <extensionTestsPath> <workspaceFolder>
//     the extension from a folder (development mode: the working tree or a staged copy of it)
//   node run-host-tests.mjs --extensions-dir <dir> <extensionTestsPath> <workspaceFolder>
//     the extension as installed from a .vsix into <dir> (lib.installVsix). VS Code loads a test runner only
//     with a development path, so an empty stand-in extension (lib.testRunnerStub) is that path.
// The extension host gets LSMI_TEST_FROM (tree | vsix) and LSMI_TEST_EXTENSION_ROOT (the folder the extension
// under test must be loaded from), which test/host checks.
// Env: TEST_TIMEOUT_MS (default 300000), VERBOSE=1 (workbench noise + browser errors), KEEP_TMP=1, CS_PORT.
import { format } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import { startCodeServer, launchChromium, openWorkbench, testRunnerStub } from './lib.mjs';

const args = process.argv.slice(2);
let extensionsDir;
if (args[0] === '--extensions-dir') extensionsDir = path.resolve(args.splice(0, 2)[1]);
if (args.length !== (extensionsDir ? 2 : 3)) {
  console.error('usage: node run-host-tests.mjs <extensionDevelopmentPath> <extensionTestsPath> <workspaceFolder>\n' +
    '       node run-host-tests.mjs --extensions-dir <dir> <extensionTestsPath> <workspaceFolder>');
  process.exit(2);
}
let [devPath, testsPath, workspace] = (extensionsDir ? [undefined, ...args] : args).map((p) => p && path.resolve(p));
const TIMEOUT_MS = Number(process.env.TEST_TIMEOUT_MS ?? 300_000);
const VERBOSE = !!process.env.VERBOSE;
const NOISE = /^(Resolving connection token|Resolved connection token|Creating a socket|\[Service Worker\]|Updating additional builtin|ChatSessionStore|Creation of workbench contribution|getaddrinfo ENOTFOUND)/;
const t0 = Date.now();
const lap = (m) => console.log(`[host-tests ${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);

let exitCode = 1, reported = false, server, browser;
try {
  server = await startCodeServer({ workspace, extensionsDir, env: {
    LSMI_TEST_FROM: extensionsDir ? 'vsix' : 'tree', LSMI_TEST_EXTENSION_ROOT: extensionsDir ?? devPath } });
  lap(`code-server up on ${server.host}`);
  if (extensionsDir) {
    devPath = testRunnerStub(path.join(server.tmp, 'test-runner-stub'));
    lap(`extension under test: installed in ${extensionsDir} (${fs.readdirSync(extensionsDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).join(', ')})`);
  } else lap(`extension under test: development folder ${devPath}`);
  browser = await launchChromium(path.join(server.tmp, 'chromium-profile'));
  const page = browser.pages()[0] ?? await browser.newPage();
  let resolveDone;
  const done = new Promise((resolve) => { resolveDone = resolve; });
  // awaited before page.goto: exposed while the page loads, codeAutomationExit was never called (tests hung)
  await page.exposeFunction('codeAutomationLog', (type, logArgs) => {
    const line = format(...logArgs);
    if (/^\d+ passed, \d+ failed/m.test(line)) reported = true;
    if (!VERBOSE && NOISE.test(line)) return;
    (type === 'error' ? console.error : console.log)(line);
  });
  await page.exposeFunction('codeAutomationExit', (code) => resolveDone(code));
  if (VERBOSE) {
    page.on('pageerror', (e) => console.log('[pageerror]', e.message));
    page.on('console', (m) => m.type() === 'error' && console.log('[console.error]', m.text()));
  }
  await openWorkbench(page, { server, workspace, devPath, testsPath, wait: false });
  lap('workbench opened, tests running in the extension host');
  let timer;
  exitCode = await Promise.race([done, new Promise((_, rej) => {
    timer = setTimeout(() => rej(new Error(`no result after ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
  })]);
  clearTimeout(timer);
  lap(`extension host exited with code ${exitCode}`);
} catch (e) {
  console.error('[host-tests] error:', e?.stack ?? e);
  if (server) console.error(`--- code-server log (tail) ---\n${fs.readFileSync(server.logFile, 'utf8').split('\n').slice(-30).join('\n')}`);
  exitCode = 1;
} finally {
  await browser?.close().catch(() => {});
  await server?.stop();
}
if (!reported) {
  console.log('0 passed, 1 failed'); // the suite never printed its summary (crash, timeout, module not found)
  if (exitCode === 0) exitCode = 1;
}
process.exit(exitCode);
