// Benchmarks of what the panels ask the extension host for: `npm run bench:panels`
// (node scripts/bench-panels.mjs [--n 1000000] [--compare-n 100000]).
// On the compiled engine and host code (out/, from `npm run compile-tests`), with seeded synthetic
// results in memory and written to a temporary results file: opening a results file, sorting and
// filtering the samples table, paging it, joining two runs, the movers ranking and the scatter.
// Each figure is the median of 5 runs after a warm-up, except first-time costs (marked "first").
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('--n', 1_000_000);
const NC = arg('--compare-n', 100_000);

if (!fs.existsSync(path.join(root, 'out', 'src', 'extension', 'rowsQuery.js'))) {
  console.log('compiling (npm run compile-tests)…');
  spawnSync('npx', ['tsc', '-p', 'tsconfig.test.json'], { cwd: root, stdio: 'inherit' });
}
const require = createRequire(import.meta.url);
const { readResults, writeResults, RESULT_COLUMNS } = require('../out/src/engine/io/results.js');
const compare = require('../out/src/engine/compare.js');
const { datasetIntervals } = require('../out/src/engine/uncertainty.js');
const { Rng } = require('../out/src/engine/random.js');
// rowsQuery.ts imports only the protocol's constants (no vscode), so it runs outside the host
const { RowsQuery } = require('../out/src/extension/rowsQuery.js');

function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function synthetic(n, seed, base) {
  const r = rng(seed);
  const columns = {};
  for (const c of RESULT_COLUMNS) columns[c] = base ? Float64Array.from(base.columns[c], (v) => v + (r() - 0.5) * 0.2) : Float64Array.from({ length: n }, () => r() * 4 - 1);
  const classNames = Array.from({ length: 10 }, (_, k) => `class-${k}`);
  const atoms = { R: 1, U1: 0.1, U2: 0.1, S: 0.2 };
  return {
    meta: {
      formatVersion: 1, toolVersion: 'bench', createdAt: new Date(0).toISOString(),
      run: { file: `run-${seed}.arrow`, name: `run-${seed}`, n, nClasses: 10, classNames, modalityNames: ['a', 'b'], fusion: seed === 1 ? 'early' : 'late' },
      inputHash: 'sha256:bench', settings: { mode: 'em', covariance: 'diag', components: 5, prior: 'empirical', folds: 5, seed: 0 },
      priorSource: 'uniform', logPrior: classNames.map(() => -Math.log(10)),
      backend: { name: 'wasm', detail: 'bench', versions: {} }, timings: {},
      dataset: { raw: atoms, adjusted: atoms, branch: 'none', adj: 0 },
      perClass: classNames.map((name, index) => ({ index, name, n: n / 10, adjusted: atoms, raw: atoms })),
      heads: { 1: { source: 'logits', logLoss: 1, meanMI: 1 }, 2: { source: 'logits', logLoss: 1, meanMI: 1 }, 12: { source: 'logits', logLoss: 1, meanMI: 1 } },
      density: {},
    },
    sampleIds: base ? base.sampleIds : Array.from({ length: n }, (_, i) => `sample-${String(i).padStart(7, '0')}`),
    labels: base ? base.labels : Int32Array.from({ length: n }, (_, i) => i % 10),
    paths1: base ? base.paths1 : Array.from({ length: n }, (_, i) => `images/${i}.png`),
    columns,
  };
}

const ms = (t0) => performance.now() - t0;
function median(fn, reps = 5) {
  fn();
  const xs = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    xs.push(ms(t0));
  }
  return xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}
const rows = [];
const note = (what, t) => (rows.push([what, t]), console.log(`${what.padEnd(72)} ${t.toFixed(1).padStart(9)} ms`));

// ---- the results panel on N samples
const data = synthetic(N, 7);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lsmi-bench-panels-'));
const file = path.join(tmp, 'big.lsmi.arrow');
let t0 = performance.now();
await writeResults(file, data);
note(`write a results file of ${N.toLocaleString('en-US')} samples (first)`, ms(t0));
t0 = performance.now();
const read = await readResults(file);
note(`open it: read the results file (first)`, ms(t0));
{
  // the 1e5-row panel open (goal ≤ 1 s, BENCHMARKS.md): the read, plus the first sort the table shows
  const small = synthetic(100_000, 9);
  const smallFile = path.join(tmp, 'small.lsmi.arrow');
  await writeResults(smallFile, small);
  t0 = performance.now();
  const d = await readResults(smallFile);
  new RowsQuery(d).rows({ sort: 's', desc: true });
  note('open a results file of 100,000 samples: read + first sort (first)', ms(t0));
}
const q = new RowsQuery(read);
t0 = performance.now();
q.rows({ sort: 's', desc: true });
note('samples table: first sort by s (then cached)', ms(t0));
note('samples table: page of 100 rows at the middle (sorted, cached)', median(() => {
  const o = q.rows({ sort: 's', desc: true });
  const out = [];
  for (let k = N / 2; k < N / 2 + 100; k++) out.push(read.sampleIds[o[k]]);
}));
let cls = 0;
note('samples table: filter by class (a new class each time)', median(() => q.rows({ sort: 's', desc: true, classFilter: cls++ % 10 })));
let lo = 0;
note('samples table: filter by a histogram bin (a new range each time)', median(() => q.rows({ sort: 's', desc: true, range: { col: 'r', lo: (lo++ % 10) / 10, hi: 1 } })));
let needle = 0;
note('samples table: search ids (a new substring each time)', median(() => q.rows({ sort: 's', desc: true, search: String(1000 + needle++) })));

// ---- uncertainty: the dataset atoms' bootstrap intervals on N samples (goal ≤ 1 s at 10⁶, BENCHMARKS.md)
const raw = { r: read.columns.r_raw, u1: read.columns.u1_raw, u2: read.columns.u2_raw, s: read.columns.s_raw };
t0 = performance.now();
datasetIntervals(raw, { replicates: 1000, level: 0.95, rng: Rng.derive(0, 'bootstrap') });
note(`intervals: bootstrap of the dataset atoms, 1000 replicates, ${N.toLocaleString('en-US')} samples (first)`, ms(t0));
note(`intervals: the same, again`, median(() => datasetIntervals(raw, { replicates: 1000, level: 0.95, rng: Rng.derive(0, 'bootstrap') })));

// ---- comparing two runs of NC samples
const a = synthetic(NC, 1);
const b = synthetic(NC, 2, a);
let cmp;
note(`compare: join two runs of ${NC.toLocaleString('en-US')} samples on sample_id (with the paired bootstrap, 1000 replicates)`, median(() => (cmp = compare.compareResults([{ file: 'a.lsmi.arrow', data: a }, { file: 'b.lsmi.arrow', data: b }]))));
note(`compare: the same join without the paired bootstrap (--bootstrap 0)`, median(() => compare.compareResults([{ file: 'a.lsmi.arrow', data: a }, { file: 'b.lsmi.arrow', data: b }], { bootstrap: { replicates: 0 } })));
note('compare: summary for the panel (means, shifts, Δ histograms, top movers)', median(() => compare.summarizeComparison(cmp, { top: 5, bins: 40 })));
const fresh = compare.compareResults([{ file: 'a.lsmi.arrow', data: a }, { file: 'b.lsmi.arrow', data: b }]);
t0 = performance.now();
compare.moversPage(fresh, { component: 'any', offset: 0, limit: 100 });
note('compare: biggest movers, first page (ranking computed, first)', ms(t0));
note('compare: biggest movers, a later page (ranking cached)', median(() => compare.moversPage(fresh, { component: 'any', offset: NC / 2, limit: 100 })));
note(`compare: scatter of s (${NC.toLocaleString('en-US')} samples → density grid + 3000 points)`, median(() => compare.scatter(cmp, { component: 's', maxPoints: 3000, grid: 48 })));
fs.rmSync(tmp, { recursive: true, force: true });

// Budgets at 100,000 compared samples (formerly timing asserts in test/engine/compare.test.ts):
// a missed one is printed and makes the exit code 1.
const BUDGETS = [
  [/^compare: join two runs/, 3000],
  [/^compare: scatter of s/, 1500],
  [/^compare: biggest movers, first page/, 3000],
  [/^compare: summary for the panel/, 3000],
];
if (NC === 100_000) {
  console.log('');
  for (const [re, budget] of BUDGETS) {
    const row = rows.find(([w]) => re.test(w));
    if (!row) continue;
    const met = row[1] <= budget;
    if (!met) process.exitCode = 1;
    console.log(`${met ? 'met' : 'NOT MET'}: ${row[0]}: ${row[1].toFixed(0)} ms (budget ${budget} ms)`);
  }
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
console.log(`\n${os.cpus().length} × ${cpu}, node ${process.version}; node scripts/bench-panels.mjs --n ${N} --compare-n ${NC}`);
console.log('\n| what | ms |\n| --- | ---: |\n' + rows.map(([w, t]) => `| ${w} | ${t.toFixed(1)} |`).join('\n'));
