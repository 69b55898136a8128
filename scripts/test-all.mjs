// Runs the test suites one after another (2 cores: no parallel code-servers), streams their output,
// and ends with one total line `N passed, N failed`. A suite that dies without reporting counts as
// one failure.
// Usage: node scripts/test-all.mjs [--only engine,fuzz,fuzz-targeted,python,package,webgpu,gpu-check,host,ui] [--from-tree]
//
// The host and UI suites test the extension as users install it: the .vsix, installed with
// `code-server --install-extension` into a throwaway extensions folder that every code-server of the run
// uses. The .vsix is built once per run: the one the package suite built from a fresh copy of the
// checkout (it leaves it at .test-output/lsmi-explorer-<version>.vsix), else `npm run package` here, or
// LSMI_VSIX=<file> to test a given .vsix.
// --from-tree (or LSMI_TEST_FROM=tree): the fast development mode, which loads the extension from a
// staged copy of the working tree (after `npm run build`) with no packaging or install; ignored when CI is set.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? process.argv[onlyArg + 1].split(',') : null;
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

// where the host and UI suites take the extension from: 'vsix' (the default, and always under CI) or 'tree'
const CI = !!process.env.CI && !/^(0|false)$/i.test(process.env.CI);
let from = process.argv.includes('--from-tree') ? 'tree' : (process.env.LSMI_TEST_FROM || 'vsix');
if (!['vsix', 'tree'].includes(from)) {
  console.error(`LSMI_TEST_FROM=${from}: expected vsix or tree`);
  process.exit(2);
}
if (from === 'tree' && CI) {
  console.log('CI is set: --from-tree / LSMI_TEST_FROM=tree ignored, the host and UI suites run against the installed .vsix');
  from = 'vsix';
}
/** Where the package suite leaves the .vsix it built (LSMI_VSIX_OUT), for the host and UI suites to install. */
const builtVsix = path.join(root, '.test-output', `${pkg.name}-${pkg.version}.vsix`);

/** A throwaway copy of the example workspace, so tests may write into it. */
function exampleWorkspace() {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'lsmi-example-ws-'));
  fs.cpSync(path.join(root, 'examples'), ws, { recursive: true });
  return ws;
}

/**
 * The extension as VS Code loads it, staged in a throwaway folder: package.json, dist/, media/, the
 * compiled tests and a link to node_modules. The repository itself is not used as the development
 * extension: the test harness's 300 MB node_modules inside it slows the workbench's scan of the
 * extension enough that the configured colour theme loses a race (seen: light theme in every run).
 */
function stagedExtension() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lsmi-ext-'));
  for (const f of ['package.json', 'README.md', 'LICENSE']) fs.copyFileSync(path.join(root, f), path.join(dir, f));
  for (const d of ['dist', 'media']) fs.cpSync(path.join(root, d), path.join(dir, d), { recursive: true });
  for (const d of ['out', 'node_modules']) fs.symlinkSync(path.join(root, d), path.join(dir, d));
  return dir;
}

/**
 * The extension as users install it, once per run: the .vsix (LSMI_VSIX, else the package suite's, else built
 * now with `npm run package`) installed by `code-server --install-extension` into a throwaway extensions
 * folder (removed when this script ends; KEEP_TMP=1 keeps it). Returns that folder.
 */
let installing;
function installedExtension() {
  installing ??= (async () => {
    let vsix = process.env.LSMI_VSIX && path.resolve(process.env.LSMI_VSIX);
    let how = 'LSMI_VSIX';
    const t0 = Date.now();
    if (!vsix && fs.existsSync(builtVsix)) [vsix, how] = [builtVsix, 'built by the package suite of this run'];
    if (!vsix) {
      console.log(`[vsix] npm run package -- --out ${path.relative(root, builtVsix)}`);
      const { code } = await run('npm', ['run', 'package', '--', '--out', builtVsix]);
      if (code !== 0 || !fs.existsSync(builtVsix)) throw new Error(`npm run package failed (exit code ${code})`);
      [vsix, how] = [builtVsix, `built by npm run package in ${((Date.now() - t0) / 1000).toFixed(1)} s`];
    }
    if (!fs.existsSync(vsix)) throw new Error(`${vsix}: no such .vsix`);
    const lib = await import('../test/harness/lib.mjs');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lsmi-vsix-'));
    process.on('exit', () => (process.env.KEEP_TMP ? console.log(`[vsix] kept ${tmp}`) : fs.rmSync(tmp, { recursive: true, force: true })));
    const extensionsDir = path.join(tmp, 'extensions');
    const t1 = Date.now();
    const folder = lib.installVsix(vsix, extensionsDir);
    console.log(`[vsix] ${path.relative(root, vsix) || vsix} (${(fs.statSync(vsix).size / 1e6).toFixed(2)} MB, ${how}); ` +
      `code-server --install-extension: ${path.basename(folder)} in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
    return extensionsDir;
  })();
  return installing;
}

// UI_ONLY=results-panel runs only the UI files whose names contain it (while working on one panel)
const uiTests = () => fs.readdirSync(path.join(root, 'test', 'ui')).filter((f) => f.endsWith('.ui.mjs') && f.includes(process.env.UI_ONLY ?? '')).sort().map((f) => path.join('test', 'ui', f));

const suites = [
  {
    name: 'engine',
    cmd: () => ['bash', ['-c', 'npx tsc -p tsconfig.test.json && node --test --test-reporter=spec --test-reporter-destination=stdout --test-reporter=tap --test-reporter-destination=.test-output/engine.tap out/test/engine/']],
    counts: () => {
      const tap = fs.readFileSync(path.join(root, '.test-output', 'engine.tap'), 'utf8');
      const n = (k) => Number(new RegExp(`^# ${k} (\\d+)$`, 'm').exec(tap)?.[1]);
      return { passed: n('pass'), failed: n('fail') + (n('cancelled') || 0) };
    },
  },
  {
    // seeded malformed run and results files (scripts/fuzz/run.mjs): every outcome a clean error or an
    // acceptance pyarrow / numpy agree with; `npm run fuzz` runs more cases
    name: 'fuzz',
    cmd: () => ['bash', ['-c', 'npx tsc -p tsconfig.test.json && node scripts/fuzz/run.mjs --cases 2000 --seed 1']],
    counts: lastSummaryLine,
  },
  {
    // the targeted fuzz suite (scripts/fuzz/targeted.mjs): hostile files aimed at the IPC / zip structures
    // and the run format's rules, values compared with pyarrow / numpy, each read in a child process
    // under time and memory limits; 300 cases, seed 12, each one test; `npm run fuzz:targeted` runs more
    name: 'fuzz-targeted',
    cmd: () => ['bash', ['-c', 'npx tsc -p tsconfig.test.json && node scripts/fuzz/targeted.mjs --ci']],
    counts: lastSummaryLine,
  },
  { name: 'python', cmd: () => ['python3', ['-m', 'pytest', 'python', '-q', '-p', 'no:cacheprovider']], counts: pytestCounts },
  {
    // the packages people install (test/package): the .vsix (`npm run package`: size, every runtime
    // file, metadata, README links, its engine offline), the CLI tarball (`npm pack`, installed with
    // `npm install -g` into an empty prefix) and the exporter (`pip install ./python` in a new venv)
    name: 'package',
    env: { LSMI_VSIX_OUT: builtVsix },
    cmd: () => [
      'node',
      ['--test', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', '--test-reporter-destination=.test-output/package.tap', 'test/package/'],
    ],
    counts: () => tapCounts('package.tap'),
  },
  {
    // the engine on WebGPU: Dawn (npm `webgpu`) over Mesa lavapipe from scripts/setup-lavapipe.sh; webgpu.test.ts
    // (webgpu = wasm per sample, a fidelity subset, killing the webgpu process) and golden.test.ts with
    // LSMI_BACKEND=webgpu. Without .lavapipe this suite FAILS (loudly), it never passes silently.
    name: 'webgpu',
    cmd: () => [
      'bash',
      [
        '-c',
        'if [ ! -f .lavapipe/env.sh ]; then echo "webgpu suite: .lavapipe/env.sh is missing: run scripts/setup-lavapipe.sh (Debian, root)" >&2; exit 1; fi; ' +
          'source .lavapipe/env.sh && npx tsc -p tsconfig.test.json && LSMI_WEBGPU_SUITE=1 LSMI_BACKEND=webgpu node --test --test-reporter=spec --test-reporter-destination=stdout ' +
          '--test-reporter=tap --test-reporter-destination=.test-output/webgpu.tap out/test/engine/webgpu.test.js out/test/engine/golden.test.js',
      ],
    ],
    counts: () => tapCounts('webgpu.tap'),
  },
  {
    // the device check (scripts/gpu-check.sh) run here at small sizes on lavapipe: packs, unpacks and
    // runs the very script a GPU machine runs, so it is known to work before a device is lent
    name: 'gpu-check',
    cmd: () => ['bash', ['scripts/gpu-check.sh', '--local']],
    counts: lastSummaryLine,
  },

  {
    name: 'host',
    retries: 1,
    cmd: async () => {
      await compiledTests();
      if (from === 'tree') {
        const ext = stagedExtension();
        return ['node', ['test/harness/run-host-tests.mjs', ext, path.join(ext, 'out', 'test', 'host', 'index'), exampleWorkspace()]];
      }
      // the installed extension, and the mocha entry from the compiled tests (out/) of the working tree
      const ext = await installedExtension();
      return ['node', ['test/harness/run-host-tests.mjs', '--extensions-dir', ext, path.join(root, 'out', 'test', 'host', 'index'), exampleWorkspace()]];
    },
    counts: lastSummaryLine,
  },
  {
    name: 'ui',
    retries: 1,
    cmd: async () =>
      from === 'tree'
        ? ['node', ['test/harness/run-ui-tests.mjs', stagedExtension(), exampleWorkspace(), ...uiTests()]]
        : ['node', ['test/harness/run-ui-tests.mjs', '--extensions-dir', await installedExtension(), exampleWorkspace(), ...uiTests()]],
    counts: lastSummaryLine,
  },
];

function tapCounts(file) {
  const tap = fs.readFileSync(path.join(root, '.test-output', file), 'utf8');
  const n = (k) => Number(new RegExp(`^# ${k} (\\d+)$`, 'm').exec(tap)?.[1]);
  return { passed: n('pass'), failed: n('fail') + (n('cancelled') || 0) };
}

function pytestCounts(out) {
  const line = out.trim().split('\n').reverse().find((l) => /\d+ (passed|failed)/.test(l)) ?? '';
  const n = (k) => Number(new RegExp(`(\\d+) ${k}`).exec(line)?.[1] ?? 0);
  return line ? { passed: n('passed'), failed: n('failed') + n('error') } : undefined;
}

function lastSummaryLine(out) {
  const m = [...out.matchAll(/^(?:\S+: )?(\d+) passed, (\d+) failed/gm)].pop();
  return m ? { passed: Number(m[1]), failed: Number(m[2]) } : undefined;
}

/** The host suite's mocha entry, out/test/host/index.js, compiled unless a suite of this run compiled the tests. */
let compiling;
function compiledTests() {
  if (results.some((r) => ['engine', 'fuzz', 'fuzz-targeted', 'webgpu'].includes(r.name))) return;
  compiling ??= run('npx', ['tsc', '-p', 'tsconfig.test.json']).then(({ code }) => {
    if (code !== 0) throw new Error(`npx tsc -p tsconfig.test.json failed (exit code ${code})`);
  });
  return compiling;
}

function run(cmd, args, env = {}) {
  return new Promise((resolve) => {
    let out = '';
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    child.stdout.on('data', (d) => ((out += d), process.stdout.write(d)));
    child.stderr.on('data', (d) => ((out += d), process.stderr.write(d)));
    child.on('close', (code) => resolve({ code, out }));
  });
}

fs.mkdirSync(path.join(root, '.test-output'), { recursive: true });
fs.rmSync(builtVsix, { force: true }); // only a .vsix built by this run is tested
if (!only || only.includes('host') || only.includes('ui')) console.log(`host and UI suites: the extension from ${from === 'vsix' ? 'the installed .vsix' : 'the working tree (--from-tree)'}`);
const results = [];
for (const s of suites) {
  if (only && !only.includes(s.name)) continue;
  const t0 = Date.now();
  let counts;
  let note;
  // the real-browser suites get one retry: a workbench that loads slowly on a busy 2-core machine is
  // not a product failure; the first attempt's output stays in the log, and the summary says so
  for (let attempt = 1; attempt <= (s.retries ?? 0) + 1; attempt++) {
    console.log(`\n=== ${s.name}${attempt > 1 ? ` (retry ${attempt - 1})` : ''} ===`);
    let code, out;
    try {
      const [cmd, args] = await s.cmd();
      ({ code, out } = await run(cmd, args, s.env));
    } catch (e) {
      console.error(`${s.name}: ${e?.stack ?? e}`);
      [code, out] = [1, ''];
    }
    try {
      counts = s.counts(out);
    } catch {
      counts = undefined;
    }
    if (!counts || Number.isNaN(counts.passed) || Number.isNaN(counts.failed)) counts = { passed: 0, failed: 1, note: 'no test report' };
    if (code !== 0 && counts.failed === 0) counts = { ...counts, failed: 1, note: `exit code ${code}` };
    if (counts.failed === 0) break;
    note = `attempt ${attempt} had ${counts.failed} failure(s)`;
  }
  results.push({ name: s.name, seconds: (Date.now() - t0) / 1000, ...counts, note: [counts.note, counts.failed === 0 ? note : undefined].filter(Boolean).join('; ') || undefined });
}

console.log('\n=== summary ===');
for (const r of results) {
  console.log(`${r.name.padEnd(8)} ${String(r.passed).padStart(4)} passed ${String(r.failed).padStart(3)} failed  ${r.seconds.toFixed(0).padStart(4)} s${r.note ? `  (${r.note})` : ''}`);
}
const passed = results.reduce((a, r) => a + r.passed, 0);
const failed = results.reduce((a, r) => a + r.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
