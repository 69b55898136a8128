// Runs the test suites one after another (2 cores: no parallel code-servers), streams their output,
// and ends with one total line `N passed, N failed`. A suite that dies without reporting counts as
// one failure. Usage: node scripts/test-all.mjs [--only engine,fuzz,fuzz-targeted,python,package,webgpu,gpu-check,host,ui]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? process.argv[onlyArg + 1].split(',') : null;

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
    cmd: () => {
      const ext = stagedExtension();
      return ['node', ['test/harness/run-host-tests.mjs', ext, path.join(ext, 'out', 'test', 'host', 'index'), exampleWorkspace()]];
    },
    counts: lastSummaryLine,
  },
  {
    name: 'ui',
    retries: 1,
    cmd: () => ['node', ['test/harness/run-ui-tests.mjs', stagedExtension(), exampleWorkspace(), ...uiTests()]],
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

function run(cmd, args) {
  return new Promise((resolve) => {
    let out = '';
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d) => ((out += d), process.stdout.write(d)));
    child.stderr.on('data', (d) => ((out += d), process.stderr.write(d)));
    child.on('close', (code) => resolve({ code, out }));
  });
}

fs.mkdirSync(path.join(root, '.test-output'), { recursive: true });
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
    const [cmd, args] = s.cmd();
    const { code, out } = await run(cmd, args);
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
