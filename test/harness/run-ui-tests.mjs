// Run Playwright UI tests against the real VS Code workbench (code-server) with the extension under test.
// Usage:
//   node run-ui-tests.mjs <extensionDevelopmentPath> <workspaceFolder> <testFile...>
//     the extension from a folder (development mode: the working tree or a staged copy of it)
//   node run-ui-tests.mjs --extensions-dir <dir> <workspaceFolder> <testFile...>
//     the extension as installed from a .vsix into <dir> (lib.installVsix); no development path at all, so the
//     only copy of the extension the workbench can load is the installed one
// A test file is an ESM module exporting
//   tests = [{ name, fn: async (ctx) => {}, theme?, timeout? }, ...]
// and optionally userSettings (merged into VS Code user settings), theme (default for its tests), timeout (ms),
// viewport ({width, height}). The tests of a file are grouped by theme (lib.THEMES.dark, the default, / .light / .hc
// or any theme label; groups in order of first appearance); each group shares one code-server + chromium + workbench
// page, so a test sees what earlier ones left open. ctx holds:
//   page, context, server, lib (all of lib.mjs), shotDir, workspace, devPath (undefined with --extensions-dir),
//   extensionsDir (undefined without), theme,
//   errors (lib.collectConsoleErrors of this page), shot(name), runCommand(title), webview(opts).
// Env: SHOT_DIR (screenshots; default <repo>/.test-output/screenshots), KEEP_TMP=1, CS_PORT.
import { pathToFileURL } from 'node:url';
import fs from 'node:fs';
import path from 'node:path';
import * as lib from './lib.mjs';

const args = process.argv.slice(2);
let extensionsDir;
if (args[0] === '--extensions-dir') extensionsDir = path.resolve(args.splice(0, 2)[1]);
if (args.length < (extensionsDir ? 2 : 3)) {
  console.error('usage: node run-ui-tests.mjs <extensionDevelopmentPath> <workspaceFolder> <testFile...>\n' +
    '       node run-ui-tests.mjs --extensions-dir <dir> <workspaceFolder> <testFile...>');
  process.exit(2);
}
const [devPath, workspace, ...files] = (extensionsDir ? [undefined, ...args] : args).map((p) => p && path.resolve(p));
console.log(extensionsDir
  ? `extension under test: installed in ${extensionsDir} (${fs.readdirSync(extensionsDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).join(', ')})`
  : `extension under test: development folder ${devPath}`);
const shotDir = lib.SHOT_DIR;
const t0 = Date.now();
const secs = (t) => `${((Date.now() - t) / 1000).toFixed(1)}s`;
let passed = 0, failed = 0;

const indent = (s) => String(s).split('\n').map((l) => `      ${l}`).join('\n');
function fail(name, err, shot) {
  failed++;
  console.log(`  ✖ ${name}\n${indent(err?.stack ?? err)}${shot ? `\n      failure screenshot: ${shot}` : ''}`);
}
function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([promise, new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`${what} timed out after ${ms} ms`)), ms); })])
    .finally(() => clearTimeout(timer));
}

async function runGroup(file, mod, theme, tests) {
  const base = path.basename(file).replace(/\.m?js$/, '');
  console.log(`\n${path.relative(process.cwd(), file)} [${theme}]`);
  let server, context, page, errors, setupError;
  try {
    const t = Date.now();
    server = await lib.startCodeServer({ workspace, theme, userSettings: mod.userSettings, extensionsDir });
    context = await lib.launchChromium(path.join(server.tmp, 'chromium-profile'), mod.viewport);
    page = context.pages()[0] ?? await context.newPage();
    errors = lib.collectConsoleErrors(page);
    await lib.openWorkbench(page, { server, workspace, devPath });
    console.log(`  (workbench up in ${secs(t)})`);
  } catch (e) { setupError = e; }
  for (const test of tests) {
    if (setupError) { fail(test.name, setupError); continue; }
    const t = Date.now();
    const ctx = {
      page, context, server, lib, shotDir, workspace, devPath, extensionsDir, theme, errors,
      shot: (name) => lib.screenshot(page, name, { dir: shotDir }),
      runCommand: (title, opts) => lib.runCommand(page, title, opts),
      webview: (opts) => lib.webviewFrame(page, opts),
    };
    try {
      await withTimeout(test.fn(ctx), test.timeout ?? mod.timeout ?? 120_000, `test "${test.name}"`);
      passed++;
      console.log(`  ✔ ${test.name} (${secs(t)})`);
    } catch (e) {
      const shot = await lib.screenshot(page, `${base}--${test.name}--failure`, { dir: shotDir }).catch(() => undefined);
      fail(`${test.name} (${secs(t)})`, e, shot);
    }
  }
  await context?.close().catch(() => {});
  await server?.stop();
}

for (const file of files) {
  let mod;
  try {
    mod = await import(pathToFileURL(file).href);
    if (!Array.isArray(mod.tests)) throw new Error(`${file} does not export an array "tests"`);
  } catch (e) { fail(path.basename(file), e); continue; }
  // group by theme, keeping the order in which themes first appear
  const groups = new Map();
  for (const test of mod.tests) {
    const theme = test.theme ?? mod.theme ?? lib.THEMES.dark;
    groups.set(theme, [...(groups.get(theme) ?? []), test]);
  }
  for (const [theme, tests] of groups) await runGroup(file, mod, theme, tests);
}
console.log(`\n(${secs(t0)}, screenshots in ${shotDir})`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
