// The benchmark suite: `npm run bench` (node scripts/bench.mjs [--only NAME,...] [--quick] [--no-wait] [--write]).
//
// 1. Bundles scripts/bench/*.ts with esbuild into dist-bench/ (wasm binaries copied to dist-bench/wasm).
// 2. Generates each case's data once (seeded; cached in .bench-data/<case>-n<N>-<hash>/: run.arrow
//    written batch by batch, oracle.json and r_raw.f64 from the exact oracle). Generation is never timed.
// 3. Runs each case in a fresh child process (end-to-end estimateFile, reuse off, results to a temp
//    file): wall time, CPU time, peak RSS, per-stage timings, error against the oracle.
// 4. Prints a table and writes BENCHMARKS.md (a full run) or .bench-data/BENCHMARKS.partial.md
//    (--quick / --only, unless --write).
//
// --generate-only builds and caches the data sets without running anything. --set '{"em":{"maxIter":50}}'
// merges settings into every selected case (for exploring; such a run never writes BENCHMARKS.md
// unless --write). --report-from .bench-data/results-latest.json rewrites the report from saved results.
// --merge (with --only) reruns some cases of the last full run (.bench-data/results-full.json),
// replaces them there and rewrites BENCHMARKS.md, saying which cases were rerun and when.
// Full runs wait for a quiet machine (1-minute load < 1.0) before each case; --no-wait skips that.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const DATA = path.join(root, '.bench-data');
const OUT = path.join(root, 'dist-bench');
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

// ------------------------------------------------------------------------------------------------
// Cases (BENCHMARKS.md, "Cases"). `quick` cases are the small ones run by --quick.

const gauss = (o) => ({ kind: 'gauss', sigma: 0.5, rho: 0.5, block: 1, mixSeed: 1, logits: false, batchRows: 8192, ...o });

const CASES = [
  {
    name: 'demo',
    quick: true,
    what: 'official Gaussian demo (C=2, ρ=0.5, noise 0.5, seed 42, 1600 train / 400 val split); default settings',
    data: { kind: 'demo', n: 2000, seed: 42, train: 1600 },
    settings: {},
  },
  { name: 'xor', quick: true, what: 'circuit XOR, σ=0.1', data: { kind: 'circuit', circuit: 'xor', n: 10000, seed: 11 }, settings: { components: 2 } },
  { name: 'or', quick: true, what: 'circuit OR, σ=0.1', data: { kind: 'circuit', circuit: 'or', n: 10000, seed: 12 }, settings: { components: 2 } },
  { name: 'xor_not_a', quick: true, what: 'circuit XOR+NOT (variant A), σ=0.1', data: { kind: 'circuit', circuit: 'xor_not_a', n: 10000, seed: 13 }, settings: { components: 4 } },
  {
    name: 'gauss-c10-d64',
    quick: true,
    what: 'Gaussian, class means e_y in 64 dims, isotropic noise σ=0.5, ρ=0.5',
    data: gauss({ C: 10, d: 64, n: 10000, seed: 21 }),
    settings: { components: 10 },
  },
  {
    name: 'demo-c64',
    quick: true,
    repeat: 5,
    what: 'the official demo generator at C = d = 64 (x_m = e_y + noise, ρ=0.5, noise 0.5), no logits; defaults (probes auto, calibration, density auto)',
    data: gauss({ C: 64, d: 64, n: 10000, seed: 22 }),
    settings: {},
  },
  {
    name: 'subspace-c10-d256',
    what: 'Gaussian classes in a random rotated 16-dim subspace of d=256 per modality, noise correlated across modalities (ρ=0.5), no logits; defaults',
    data: { kind: 'subspace', nClasses: 10, d: 256, k: 16, sep: 0.5, rho: 0.5, spread: 0, modelSeed: 1, n: 20000, seed: 2 },
    settings: {},
  },
  // the same two runs with the stages split over two threads (--threads 2): the comparison behind the
  // default of one thread (src/engine/estimate/lsmi.ts: planLanes)
  {
    name: 'demo-c64-threads2',
    dataName: 'demo-c64',
    repeat: 5,
    what: 'demo-c64 with --threads 2 (the heads and densities split over two threads)',
    data: gauss({ C: 64, d: 64, n: 10000, seed: 22 }),
    settings: {},
    threads: 2,
  },
  {
    name: 'subspace-c10-d256-threads2',
    dataName: 'subspace-c10-d256',
    what: 'subspace-c10-d256 with --threads 2',
    data: { kind: 'subspace', nClasses: 10, d: 256, k: 16, sep: 0.5, rho: 0.5, spread: 0, modelSeed: 1, n: 20000, seed: 2 },
    settings: {},
    threads: 2,
  },
  ...['auto', 'lda', 'logistic', 'mlp'].map((probe) => ({
    name: `probes-1e5-d512-${probe}`,
    dataName: 'probes-1e5-d512',
    what: `Gaussian, e_y in 512 dims, isotropic noise σ=0.5, ρ=0.5, no logits: probes, --probe ${probe}`,
    data: gauss({ C: 10, d: 512, n: 100000, seed: 32 }),
    settings: { probe },
  })),
  {
    name: 'diag-1e5-d512',
    what: 'Gaussian, e_y in 512 dims, isotropic noise σ=0.5, ρ=0.5; exact posteriors as logits',
    data: gauss({ C: 10, d: 512, n: 100000, seed: 31, logits: true }),
    settings: { components: 10 },
  },
  {
    name: 'full-1e5-d512',
    what: 'Gaussian, e_y in 512 dims, noise σ·B·w with B block-diagonal (random lower-triangular 8×8 blocks), ρ=0.5; exact posteriors as logits',
    data: gauss({ C: 10, d: 512, n: 100000, seed: 41, logits: true, block: 8, mixSeed: 7 }),
    settings: { components: 10, covariance: 'full', em: { fitSubsample: 20000 } },
  },
  // correlated noise (BENCHMARKS.md, "correlated noise at N = 1e5, d = 512") at N = 1e5, d = 512 the scalable way: the defaults (K and the
  // covariance by held-out likelihood: tied K = 1 here), and tied covariance at the data's K = 10
  {
    name: 'cov-1e5-d512',
    dataName: 'full-1e5-d512',
    what: 'the full-1e5-d512 data (block-correlated noise, exact posteriors as logits) with the default settings (K and covariance by held-out likelihood)',
    data: gauss({ C: 10, d: 512, n: 100000, seed: 41, logits: true, block: 8, mixSeed: 7 }),
    settings: {},
  },
  {
    name: 'tied-1e5-d512',
    dataName: 'full-1e5-d512',
    what: 'the full-1e5-d512 data with tied covariance (one full covariance shared by the components) at K = 10',
    data: gauss({ C: 10, d: 512, n: 100000, seed: 41, logits: true, block: 8, mixSeed: 7 }),
    settings: { components: 10, covariance: 'tied' },
  },
  {
    name: 'stream-1e6-d256',
    what: 'Gaussian, e_y in 256 dims, isotropic noise σ=0.5, ρ=0.5; exact posteriors as logits; ≥ 1 GiB file, read batch by batch',
    data: gauss({ C: 10, d: 256, n: 1000000, seed: 51, logits: true }),
    settings: { components: 10 },
  },
];

// The GPU benchmark (docs/compute.md, "The device check"): `npm run bench -- --gpu-large [--backend webgpu|tensorflow-gpu|wasm]`.
// Not part of the full run (8 GiB of data, and meant for a machine with a GPU). Results go to
// .bench-data/results-gpu-large.json and the console, never to BENCHMARKS.md by themselves.
// `--n N` shrinks it for a smoke test; `--set JSON` merges settings as for the other cases.
// Full covariance the scalable way (1e6 × 1024, fitted on a subsample): K = 10, em.fullFit
// 'auto' → the shrunk fit (a tied start on 20,000 rows, each component's covariance shrunk toward
// the pooled one by a held-out λ; λ = 1 continues as tied covariance on every row: docs/estimator.md,
// "Full covariance that scales"). `--set '{"covariance":"tied","components":"auto"}'` runs tied
// covariance with K by the search (K = 1 at this size, without a search).
const GPU_LARGE = {
  name: 'gpu-large',
  what: 'Gaussian, e_y in 1024 dims per modality, block-correlated noise (8×8 blocks), ρ=0.5; exact posteriors as logits; full covariance K = 10 (the shrunk fit)',
  data: gauss({ C: 10, d: 1024, n: 1000000, seed: 61, logits: true, block: 8, mixSeed: 7 }),
  settings: { components: 10, covariance: 'full' },
};

/** Seconds in the three heads (probes or calibration of given logits), from the results' timings. */
const headSeconds = (r) => ['probe 1', 'probe 2', 'probe 12'].reduce((a, k) => a + (r.timings[k] ?? 0), 0);

const TARGETS = [
  {
    name: 'demo-c64',
    text: 'the official demo generator at C = d = 64, N = 10k, no logits: end to end ≤ 3.8 s on 2 cores (≥ 10× the official code\'s 38.3 s), every adjusted atom within 0.25 nats of the oracle',
    check: (r) => ({
      met: r.wallSeconds <= 3.8 && r.errors.maxAtomAdjusted <= 0.25,
      value: `median ${r.wallSeconds.toFixed(2)} s${r.repeats ? ` of ${r.repeats.length} runs (${r.repeats.map((x) => (x === null ? 'failed' : x.toFixed(2))).join(', ')} s)` : ''}, max |Δatom| ${r.errors.maxAtomAdjusted.toFixed(3)}`,
    }),
  },
  {
    name: 'probes-1e5-d512-auto',
    text: 'N = 1e5, d = 512, probes: the default (auto) within 1.5× of the fastest single family (time in the heads; end to end in brackets)',
    check: (r, all) => {
      const fixed = all.filter((x) => /^probes-1e5-d512-(lda|logistic|mlp)$/.test(x.name) && !x.failed);
      if (fixed.length < 3) return { met: false, value: 'the single-family cases did not all run' };
      const fastest = fixed.reduce((a, b) => (headSeconds(a) <= headSeconds(b) ? a : b));
      const ratio = headSeconds(r) / headSeconds(fastest);
      return {
        met: ratio <= 1.5,
        value: `auto ${headSeconds(r).toFixed(1)} s (${r.wallSeconds.toFixed(1)} s) vs ${fastest.name.replace('probes-1e5-d512-', '')} ${headSeconds(fastest).toFixed(1)} s (${fastest.wallSeconds.toFixed(1)} s): ${ratio.toFixed(2)}×; ${fixed.map((x) => `${x.name.replace('probes-1e5-d512-', '')} ${headSeconds(x).toFixed(1)} s`).join(', ')}`,
      };
    },
  },
  {
    name: 'diag-1e5-d512',
    text: 'N=1e5, d=512, diagonal: end to end (estimateFile: hash, read, heads, densities, decomposition, write) ≤ 30 s on 2 cores',
    check: (r) => ({ met: r.wallSeconds <= 30, value: `${r.wallSeconds.toFixed(1)} s` }),
  },
  {
    name: 'cov-1e5-d512',
    text: 'N = 1e5, d = 512, block-correlated noise, logits given, default settings: end to end ≤ 60 s on 2 cores with per-sample r_raw Pearson ≥ 0.95 against the oracle',
    check: (r) => ({ met: r.wallSeconds <= 60 && r.errors.rRawPearson >= 0.95, value: `${r.wallSeconds.toFixed(1)} s (CPU ${r.cpuSeconds.toFixed(1)} s), Pearson ${r.errors.rRawPearson.toFixed(4)}, ${densityText(r)}` }),
  },
  {
    name: 'full-1e5-d512',
    text: 'the same data with full covariance at K = 10 (the case as first measured): ≤ 60 s with Pearson ≥ 0.95',
    check: (r) => ({ met: r.wallSeconds <= 60 && r.errors.rRawPearson >= 0.95, value: `${r.wallSeconds.toFixed(1)} s, Pearson ${r.errors.rRawPearson.toFixed(4)}: full covariance costs O(N·K·d²) per pass and K separate 512 × 512 covariances overfit; use the defaults or tied covariance (cov-1e5-d512, tied-1e5-d512)` }),
  },
  {
    name: 'cov-1e5-d512',
    text: 'N = 1e5, d = 512, logits given: peak RSS ≤ 2× the input file, in every such case',
    check: (r, all) => {
      const cases = all.filter((x) => !x.failed && x.n === 100000 && x.d1 === 512 && headsText(x) === '3 given');
      const worst = cases.reduce((a, b) => (a.peakRssBytes / a.fileBytes >= b.peakRssBytes / b.fileBytes ? a : b), r);
      return {
        met: cases.every((x) => x.peakRssBytes <= 2 * x.fileBytes),
        value: cases.map((x) => `${x.name} ${(x.peakRssBytes / x.fileBytes).toFixed(2)}×`).join(', ') + ` (highest: ${worst.name}, ${fmtBytes(worst.peakRssBytes)} for a ${fmtBytes(worst.fileBytes)} file)`,
      };
    },
  },
  {
    name: 'stream-1e6-d256',
    text: 'N=1e6, d=256, streamed: peak RSS ≤ 2× the input file size (and the file ≥ 1 GiB, so the streaming reader is used)',
    check: (r) => ({
      met: r.streamed && r.peakRssBytes <= 2 * r.fileBytes,
      value: `peak ${fmtBytes(r.peakRssBytes)} = ${(r.peakRssBytes / r.fileBytes).toFixed(2)}× the ${fmtBytes(r.fileBytes)} file${r.streamed ? ', streamed' : ', NOT streamed'}`,
    }),
  },
];

// ------------------------------------------------------------------------------------------------

function parseArgs(argv) {
  const o = { only: undefined, quick: false, wait: true, write: false, generateOnly: false, set: undefined, reportFrom: undefined, merge: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--no-wait') o.wait = false;
    else if (a === '--write') o.write = true;
    else if (a === '--generate-only') o.generateOnly = true;
    else if (a === '--set') o.set = JSON.parse(argv[++i]);
    else if (a === '--report-from') o.reportFrom = argv[++i];
    else if (a === '--merge') o.merge = true;
    else if (a === '--gpu-large') o.gpuLarge = true;
    else if (a === '--backend') o.backend = argv[++i];
    else if (a === '--n') o.n = Number(argv[++i]);
    else if (a === '--only') o.only = argv[++i]?.split(',').filter(Boolean);
    else if (a.startsWith('--only=')) o.only = a.slice(7).split(',').filter(Boolean);
    else if (a === '--help' || a === '-h') {
      console.log('usage: node scripts/bench.mjs [--only NAME,...] [--quick] [--no-wait] [--write] [--generate-only] [--set JSON] [--report-from results.json] [--merge] [--backend NAME]\n       node scripts/bench.mjs --gpu-large [--backend webgpu|tensorflow-gpu|wasm|cpu] [--n N] [--set JSON]\ncases: ' + CASES.map((c) => c.name).join(', '));
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (o.only) for (const n of o.only) if (!CASES.some((c) => c.name === n)) throw new Error(`unknown case ${n} (cases: ${CASES.map((c) => c.name).join(', ')})`);
  return o;
}

function fmtBytes(b) {
  return b >= GiB ? `${(b / GiB).toFixed(2)} GiB` : `${(b / MiB).toFixed(1)} MiB`;
}

function load1() {
  return Number(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitQuiet(maxSeconds, pollSeconds) {
  const t0 = Date.now();
  let l = load1();
  if (l < 1) return { load: l, waited: 0, quiet: true };
  process.stderr.write(`  waiting for a quiet machine (1-min load ${l.toFixed(2)}, need < 1.0; up to ${Math.round(maxSeconds / 60)} min)\n`);
  while ((Date.now() - t0) / 1000 < maxSeconds) {
    await sleep(pollSeconds * 1000);
    l = load1();
    if (l < 1) return { load: l, waited: (Date.now() - t0) / 1000, quiet: true };
  }
  process.stderr.write(`  still loaded (${l.toFixed(2)}) after ${Math.round(maxSeconds / 60)} min: running anyway\n`);
  return { load: l, waited: (Date.now() - t0) / 1000, quiet: false };
}

async function build(entries) {
  fs.mkdirSync(OUT, { recursive: true });
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: entries.map((f) => `scripts/bench/${f}`),
    outdir: OUT,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
  });
  // the second lane of an estimate (src/engine/estimate/stages.ts looks for stage-worker.js beside case.js)
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: { 'stage-worker': 'src/engine/compute/stage-worker.ts' },
    outdir: OUT,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
  });
  const wasmSrc = path.join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
  fs.mkdirSync(path.join(OUT, 'wasm'), { recursive: true });
  for (const f of fs.readdirSync(wasmSrc).filter((f) => f.endsWith('.wasm'))) fs.copyFileSync(path.join(wasmSrc, f), path.join(OUT, 'wasm', f));
}

/** The data cache key: the data's name (cases may share data), size, and a hash of the data spec and the generator's sources. */
function dataDir(c) {
  const h = createHash('sha256').update(JSON.stringify(c.data));
  for (const f of ['scripts/bench/generate.ts', 'scripts/bench/gauss.ts', 'scripts/bench/arrowWriter.ts', 'src/engine/synthetic.ts', 'src/engine/random.ts']) {
    h.update(fs.readFileSync(path.join(root, f)));
  }
  return path.join(DATA, `${c.dataName ?? c.name}-n${c.data.n}-${h.digest('hex').slice(0, 10)}`);
}

function dirBytes(dir) {
  let s = 0;
  if (!fs.existsSync(dir)) return 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    s += e.isDirectory() ? dirBytes(p) : fs.statSync(p).size;
  }
  return s;
}

function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], ...opts });
    let timer;
    if (opts.timeoutSeconds) {
      timer = setTimeout(() => {
        process.stderr.write(`  timed out after ${opts.timeoutSeconds} s: stopping pid ${child.pid}\n`);
        child.kill('SIGKILL');
      }, opts.timeoutSeconds * 1000);
    }
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

async function ensureData(c) {
  const dir = dataDir(c);
  if (fs.existsSync(path.join(dir, 'oracle.json'))) return dir;
  // stale versions of this case (other spec or generator) go first, to keep .bench-data small
  fs.mkdirSync(DATA, { recursive: true });
  for (const e of fs.readdirSync(DATA)) {
    if (e.startsWith(`${c.dataName ?? c.name}-n`) && path.join(DATA, e) !== dir) fs.rmSync(path.join(DATA, e), { recursive: true, force: true });
  }
  const est = c.data.kind === 'gauss' ? c.data.n * (2 * c.data.d * 4 + (c.data.logits ? 3 * c.data.C * 4 : 0) + 40) : 2 * MiB;
  const free = fs.statfsSync(root).bavail * fs.statfsSync(root).bsize;
  if (est > free - 2 * GiB) throw new Error(`${c.name}: needs about ${fmtBytes(est)} of disk, ${fmtBytes(free)} free`);
  if (dirBytes(DATA) + est > 6.5 * GiB) throw new Error(`${c.name}: .bench-data would exceed 6.5 GiB`);
  process.stderr.write(`generating ${c.name} (${c.data.n} rows, ~${fmtBytes(est)})\n`);
  const spec = path.join(DATA, `${c.name}.gen.json`);
  fs.writeFileSync(spec, JSON.stringify({ name: c.dataName ?? c.name, data: c.data }));
  const { code } = await run(process.execPath, [path.join(OUT, 'generate.js'), spec, dir]);
  fs.rmSync(spec, { force: true });
  if (code !== 0) throw new Error(`generating ${c.name} failed (exit ${code})`);
  return dir;
}

async function runCase(c, dir) {
  const tmp = fs.mkdtempSync(path.join(DATA, 'tmp-'));
  const caseFile = path.join(tmp, 'case.json');
  const resultFile = path.join(tmp, 'result.json');
  fs.writeFileSync(caseFile, JSON.stringify({ name: c.name, dataDir: dir, settings: c.settings, backend: c.backend, threads: c.threads, out: path.join(tmp, `${c.name}.lsmi.arrow`) }));
  const env = { ...process.env, LSMI_WASM_DIR: path.join(OUT, 'wasm') };
  const t0 = Date.now();
  const { code, signal } = await run(process.execPath, [path.join(OUT, 'case.js'), caseFile, resultFile], { env, timeoutSeconds: 3600 });
  const processSeconds = (Date.now() - t0) / 1000;
  let result;
  if (code === 0 && fs.existsSync(resultFile)) result = { ...JSON.parse(fs.readFileSync(resultFile, 'utf8')), processSeconds };
  else result = { name: c.name, failed: `exit ${code ?? signal}` };
  fs.rmSync(tmp, { recursive: true, force: true });
  return result;
}

// ------------------------------------------------------------------------------------------------
// Report

function machine(backend) {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  let osName = `${os.type()} ${os.release()}`;
  try {
    const rel = fs.readFileSync('/etc/os-release', 'utf8');
    const pretty = /PRETTY_NAME="?([^"\n]*)"?/.exec(rel)?.[1];
    if (pretty) osName = `${pretty} (kernel ${os.release()})`;
  } catch {}
  return {
    cpu: model,
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length,
    memory: fmtBytes(os.totalmem()),
    os: osName,
    node: process.version,
    backend: backend ? `${backend.detail}; ${Object.entries(backend.versions).map(([k, v]) => `${k} ${v}`).join(', ')}` : 'n/a',
  };
}

const f = (v, d = 3) => (v === undefined || v === null || Number.isNaN(v) ? '–' : v.toFixed(d));

function headsText(r) {
  const hs = ['1', '2', '12'].map((h) => r.heads[h].source);
  const given = hs.filter((s) => s === 'logits').length;
  return given === 3 ? '3 given' : given === 0 ? '3 probed' : `${given} given / ${3 - given} probed`;
}

function densityText(r) {
  const d = r.density['1'];
  return `${d.mode} ${d.covariance} K=${d.K}`;
}

function mainTable(results) {
  const rows = [
    '| case | N | d1, d2 | C | heads | density | wall s | CPU s | peak RSS | file | RSS / file | max \\|Δatom\\| | r_raw Pearson | r_raw MAE |',
    '| --- | ---: | --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of results) {
    if (r.failed) {
      rows.push(`| ${r.name} | FAILED (${r.failed}) | | | | | | | | | | | | |`);
      continue;
    }
    rows.push(
      `| ${r.name} | ${r.n.toLocaleString('en-US')} | ${r.d1}, ${r.d2} | ${r.C} | ${headsText(r)} | ${densityText(r)} | ${f(r.wallSeconds, 1)} | ${f(r.cpuSeconds, 1)} | ${fmtBytes(r.peakRssBytes)} | ${fmtBytes(r.fileBytes)}${r.streamed ? ' (streamed)' : ''} | ${r.fileBytes >= 64 * MiB ? f(r.peakRssBytes / r.fileBytes, 2) : '–'} | ${f(r.errors.maxAtomAdjusted, 4)} | ${Number.isFinite(r.errors.rRawPearson) ? f(r.errors.rRawPearson, 4) : 'n/a¹'} | ${f(r.errors.rRawMae, 4)} |`,
    );
  }
  if (results.some((r) => !r.failed && !Number.isFinite(r.errors.rRawPearson))) {
    rows.push('', '¹ the oracle\'s per-sample r_raw is constant (0 for every XOR sample: neither modality alone says anything about y), so a correlation is undefined; the MAE still applies.');
  }
  return rows.join('\n');
}

const STAGES = ['hash', 'read', 'backend', 'probe 1', 'probe 2', 'probe 12', 'density 1', 'density 2', 'decompose', 'write'];

function timingsTable(results) {
  const ok = results.filter((r) => !r.failed);
  const rows = [`| case | ${STAGES.join(' | ')} | wall |`, `| --- | ${STAGES.map(() => '---:').join(' | ')} | ---: |`];
  for (const r of ok) rows.push(`| ${r.name} | ${STAGES.map((s) => f(r.timings[s], 2)).join(' | ')} | ${f(r.wallSeconds, 2)} |`);
  return rows.join('\n');
}

function densityTable(results) {
  const ok = results.filter((r) => !r.failed && r.densityTimings?.length);
  const rows = ['| case | modality 1: search s, fit s, score s | modality 2: search s, fit s, score s | chosen (1 / 2) | EM iterations (1 / 2), converged | fit rows |', '| --- | --- | --- | --- | --- | ---: |'];
  for (const r of ok) {
    const t = r.densityTimings;
    const of = (what) => t.filter((x) => x.what === what);
    const [search, fits, scores] = [of('search'), of('fit'), of('score')];
    const d1 = r.density['1'];
    const d2 = r.density['2'];
    const chosen = (d) => `${d.covariance} K=${d.K}${d.search ? ' (auto)' : ''}`;
    rows.push(
      `| ${r.name} | ${f(search[0]?.seconds, 2)}, ${f(fits[0]?.seconds, 2)}, ${f(scores[0]?.seconds, 2)} | ${f(search[1]?.seconds, 2)}, ${f(fits[1]?.seconds, 2)}, ${f(scores[1]?.seconds, 2)} | ${chosen(d1)} / ${chosen(d2)} | ${d1.iterations ?? '–'} / ${d2.iterations ?? '–'}, ${d1.converged ?? '–'} / ${d2.converged ?? '–'} | ${d1.fitRows.toLocaleString('en-US')} |`,
    );
  }
  return rows.join('\n');
}

function atomsTable(results) {
  const ok = results.filter((r) => !r.failed);
  const rows = [
    '| case | estimate R, U1, U2, S (adjusted) | oracle R, U1, U2, S (adjusted) | branch (est / oracle) | max \\|Δ\\| raw atoms | heads: family or L (logits), held-out log-loss after calibration (accuracy) | density: iterations, converged, fit rows |',
    '| --- | --- | --- | --- | ---: | --- | --- |',
  ];
  const q = (a) => ['R', 'U1', 'U2', 'S'].map((k) => a[k].toFixed(4)).join(', ');
  for (const r of ok) {
    const heads = ['1', '2', '12'].map((h) => `${r.heads[h].source === 'logits' ? 'L' : r.heads[h].family ?? 'P'}${h} ${f(r.heads[h].logLoss, 3)} (${f(r.heads[h].accuracy, 3)})`).join('; ');
    const d = r.density['1'];
    const d2 = r.density['2'];
    rows.push(
      `| ${r.name} | ${q(r.estimate.adjusted)} | ${q(r.oracle.adjusted)} | ${r.estimate.branch} / ${r.oracle.branch} | ${f(r.errors.maxAtomRaw, 4)} | ${heads} | ${d.iterations ?? '–'}/${d2.iterations ?? '–'}, ${d.converged ?? '–'}/${d2.converged ?? '–'}, ${d.fitRows.toLocaleString('en-US')} |`,
    );
  }
  return rows.join('\n');
}

function memoryTable(results) {
  const ok = results.filter((r) => !r.failed && r.n >= 100000);
  if (!ok.length) return '';
  const rows = ['| case | RSS after load (before estimate) | highest RSS sampled per stage (at progress events) | peak RSS (maxRSS) |', '| --- | ---: | --- | ---: |'];
  for (const r of ok) {
    const stages = Object.entries(r.stageRssBytes).filter(([s]) => s !== 'start').map(([s, b]) => `${s} ${fmtBytes(b)}`).join('; ');
    rows.push(`| ${r.name} | ${fmtBytes(r.rssBeforeBytes)} | ${stages} | ${fmtBytes(r.peakRssBytes)} |`);
  }
  return rows.join('\n');
}

function targetLines(results) {
  return TARGETS.map((t) => {
    const r = results.find((x) => x.name === t.name);
    if (!r) return `- ${t.text}: not run`;
    if (r.failed) return `- ${t.text}: **NOT MET** (the case failed: ${r.failed})`;
    const { met, value } = t.check(r, results);
    return `- ${t.text}: **${met ? 'MET' : 'NOT MET'}** (${value})`;
  }).join('\n');
}

function topCosts(results) {
  const lines = [];
  for (const r of results.filter((x) => !x.failed)) {
    const st = Object.entries(r.timings).filter(([k]) => k !== 'total');
    const total = r.wallSeconds;
    st.sort((a, b) => b[1] - a[1]);
    lines.push(`- ${r.name}: ${st.slice(0, 3).map(([k, v]) => `${k} ${v.toFixed(2)} s (${((100 * v) / total).toFixed(0)} %)`).join(', ')}`);
  }
  return lines.join('\n');
}

// Everything from this marker to the end of BENCHMARKS.md is hand-written and kept when the file is regenerated.
const NOTES_BEGIN = '<!-- notes: everything below this line is hand-written and kept when the file is regenerated -->';
const OLD_NOTES_BEGIN = '<!-- notes:begin (kept when the file is regenerated) -->';

function report(results, meta) {
  const backend = results.find((r) => !r.failed)?.backend;
  const m = machine(backend);
  const caseLines = CASES.filter((c) => results.some((r) => r.name === c.name))
    .map((c) => `- **${c.name}**: ${c.what}; N = ${c.data.n.toLocaleString('en-US')}, data seed ${c.data.seed}; settings ${JSON.stringify(c.settings)}`)
    .join('\n');
  const loads = results.map((r) => `${r.name} ${r.load?.toFixed(2) ?? '–'}`).join(', ');
  let notes = `${NOTES_BEGIN}\n`;
  const prev = path.join(root, 'BENCHMARKS.md');
  if (fs.existsSync(prev)) {
    const text = fs.readFileSync(prev, 'utf8');
    const a = text.indexOf(NOTES_BEGIN);
    const old = text.indexOf(OLD_NOTES_BEGIN);
    if (a >= 0) notes = text.slice(a);
    else if (old >= 0) notes = `${NOTES_BEGIN}\n${text.slice(old + OLD_NOTES_BEGIN.length).replace('<!-- notes:end -->', '').replace(/^\n+/, '\n')}`;
  }
  return `# LSMI Explorer benchmarks

Generated by \`${meta.command}\` on ${meta.date} (${meta.elapsedMinutes.toFixed(1)} min including data generation).${(meta.reruns ?? []).map((x) => `\nRerun (replacing those cases): ${x.cases.join(', ')} by \`${x.command}\` on ${x.date}.`).join('')}

## Machine

| | |
| --- | --- |
| CPU | ${m.cpu} |
| cores | ${m.cores} |
| memory | ${m.memory} |
| OS | ${m.os} |
| Node | ${m.node} |
| tfjs backend (from the results metadata) | ${m.backend} |
| 1-minute load when each case started | ${loads}${meta.notQuiet.length ? ` (**not quiet** for ${meta.notQuiet.join(', ')}: the machine never dropped below 1.0 within the wait)` : ''} |

## Results

Each case runs in a fresh Node process: one \`estimateFile(run, { settings, reuse: false, out: <temp> })\`
call, end to end (content hash, read, heads, densities, decomposition, results write). **wall s** is
that call's wall time (cases with a time target on a few seconds run 5 times, each in a fresh
process, and report the run with the median wall time: on this machine one case's wall time varies
by ±15 % from run to run); **CPU s** the process's user + system CPU time over the same call (above wall
means more than one core was busy); **peak RSS** is \`process.resourceUsage().maxRSS\` read right
after the call (it includes Node, the bundle and the wasm heap); data generation is not timed. Errors
are against the exact oracle on the same samples: **max |Δatom|** is the largest absolute difference
of the dataset atoms R, U1, U2, S after the RUS adjustment (nats); **r_raw Pearson / MAE** compare the
per-sample redundancy before the adjustment.

${mainTable(results)}

Targets:

${targetLines(results)}

### Cases

${caseLines}

Every generated run carries its true label prior as \`label_prior\` in the run metadata, so the
estimator and the oracle use the same p(y); "3 given" means the exact posteriors log p(y|x) were
written as \`logits_1\`, \`logits_2\`, \`logits_12\` (then only the densities h1, h2 are estimated), "3
probed" means no logits, so the three probes are trained (cross-fitted) on the embeddings.

### Time per stage (s, from \`results.meta.timings\`; write = the rest of the call after \`timings.total\`)

${timingsTable(results)}

Largest stages per case:

${topCosts(results)}

Density stages split into the search for K and the covariance (when either is 'auto'), the EM fit
and the scoring of every row (\`density[m].seconds\` in the results). For full covariance the
iteration count is that of the full phase; a diagonal EM runs first on the same rows (its time is
inside "fit"):

${densityTable(results)}

### Dataset atoms and fit diagnostics

${atomsTable(results)}

${memoryTable(results) ? `### Memory of the large cases\n\n${memoryTable(results)}\n\nStage RSS values are sampled at progress events only, so they can miss short spikes; the peak is exact.\n` : ''}
### Method notes

- Running it: \`npm run bench\` runs every case and rewrites this file (the first run also generates
  the data, about 1.5 min and 2.9 GiB in \`.bench-data/\`); \`-- --quick\` runs the small cases,
  \`-- --only NAME,...\` some cases (both write \`.bench-data/BENCHMARKS.partial.md\` instead);
  \`-- --only NAME --merge\` reruns cases of the last full run and rewrites this file;
  \`-- --set JSON\` tries other settings; \`-- --report-from FILE\` rewrites a report from saved
  results; \`-- --no-wait\` skips waiting for a quiet machine.
- Data: \`scripts/bench/generate.ts\` (demo and circuits from \`src/engine/synthetic.ts\`; the d ≥ C
  Gaussians from \`scripts/bench/gauss.ts\`, whose oracle is self-tested against \`synthetic.ts\`'s
  and against a dense Gaussian log-density at every run). Files are uncompressed Arrow IPC written
  batch by batch with apache-arrow's \`RecordBatchFileWriter\` (8,192 rows per batch for the Gaussians,
  4,096 for the small sets), cached in \`.bench-data/\`.
- Files are read right after they are hashed, so the read stage finds them in the OS page cache;
  the hash stage may or may not (it depends on what ran before). No cache was dropped.
- The machine's other activity is not controlled beyond waiting for a 1-minute load below 1.0
  before each case.

${notes.trimEnd()}
`;
}

// ------------------------------------------------------------------------------------------------

function writeReport(results, meta, toBenchmarksMd) {
  console.log('\n' + mainTable(results) + '\n\nTargets:\n' + targetLines(results) + '\n\nTime per stage (s):\n' + timingsTable(results) + '\n\nDensities:\n' + densityTable(results) + '\n');
  const target = toBenchmarksMd ? path.join(root, 'BENCHMARKS.md') : path.join(DATA, 'BENCHMARKS.partial.md');
  fs.writeFileSync(target, report(results, meta));
  console.log(`wrote ${path.relative(root, target)}; data in .bench-data/ (${fmtBytes(dirBytes(DATA))})`);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.reportFrom) {
    const saved = JSON.parse(fs.readFileSync(opts.reportFrom, 'utf8'));
    for (const c of CASES) {
      const r = saved.results.find((x) => x.name === c.name);
      if (r?.settings) c.settings = r.settings;
    }
    writeReport(saved.results, saved.meta, saved.meta.full || opts.write);
    return;
  }
  if (opts.gpuLarge) return runGpuLarge(opts);
  const t0 = Date.now();
  const selected = CASES.filter((c) => (opts.only ? opts.only.includes(c.name) : opts.quick ? c.quick : true));
  const full = !opts.only && !opts.quick && !opts.set;
  const fullFile = path.join(DATA, 'results-full.json');
  if (opts.merge && (full || opts.set || !fs.existsSync(fullFile))) throw new Error('--merge needs --only (or --quick), no --set, and a previous full run in .bench-data/results-full.json');
  if (opts.set) {
    for (const c of selected) {
      const merged = { ...c.settings };
      for (const [k, v] of Object.entries(opts.set)) merged[k] = v && typeof v === 'object' && !Array.isArray(v) ? { ...(c.settings[k] ?? {}), ...v } : v;
      c.settings = merged;
    }
  }
  if (opts.backend) for (const c of selected) c.backend = opts.backend;
  await build(opts.generateOnly ? ['generate.ts'] : ['generate.ts', 'case.ts']);
  const st = await run(process.execPath, [path.join(OUT, 'generate.js'), '--selftest']);
  if (st.code !== 0) throw new Error('the generator self-test failed');

  const dirs = new Map();
  for (const c of selected) dirs.set(c.name, await ensureData(c));
  if (opts.generateOnly) {
    console.log(`data ready in .bench-data/ (${fmtBytes(dirBytes(DATA))})`);
    return;
  }

  const results = [];
  const notQuiet = [];
  for (const [i, c] of selected.entries()) {
    const q = opts.wait && (full || opts.merge) ? await waitQuiet(i === 0 ? 20 * 60 : 3 * 60, i === 0 ? 30 : 10) : { load: load1(), quiet: load1() < 1 };
    if (opts.wait && (full || opts.merge) && !q.quiet) notQuiet.push(c.name);
    process.stderr.write(`running ${c.name} (1-min load ${q.load.toFixed(2)})\n`);
    // short cases with a time target run `repeat` times in fresh processes; the run with the median
    // wall time is reported (this machine's timings vary by ±15 % from run to run), with every wall time
    const runs = [];
    for (let k = 0; k < (c.repeat ?? 1); k++) runs.push(await runCase(c, dirs.get(c.name)));
    const ok = runs.filter((x) => !x.failed).sort((a, b) => a.wallSeconds - b.wallSeconds);
    const r = ok.length ? ok[Math.floor((ok.length - 1) / 2)] : runs[0];
    if (runs.length > 1) r.repeats = runs.map((x) => (x.failed ? null : x.wallSeconds));
    r.load = q.load;
    r.ranAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    results.push(r);
    if (r.failed) process.stderr.write(`  ${c.name} FAILED: ${r.failed}\n`);
    else process.stderr.write(`  ${c.name}: ${r.wallSeconds.toFixed(1)} s, peak ${fmtBytes(r.peakRssBytes)}, max|Δatom| ${f(r.errors.maxAtomAdjusted, 4)}, r_raw Pearson ${f(r.errors.rRawPearson, 4)}\n`);
  }

  const args = process.argv.slice(2).join(' ');
  const meta = {
    command: args ? `npm run bench -- ${args}` : 'npm run bench',
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    elapsedMinutes: (Date.now() - t0) / 60000,
    notQuiet,
    full,
  };
  if (opts.merge) {
    const prev = JSON.parse(fs.readFileSync(fullFile, 'utf8'));
    const merged = prev.results.map((r) => results.find((x) => x.name === r.name) ?? r);
    const notQuietAll = [...new Set([...prev.meta.notQuiet.filter((n) => !results.some((x) => x.name === n)), ...notQuiet])];
    prev.meta.reruns = [...(prev.meta.reruns ?? []), { command: meta.command, date: meta.date, cases: results.map((r) => r.name) }];
    prev.meta.notQuiet = notQuietAll;
    fs.writeFileSync(fullFile, JSON.stringify({ ...prev, results: merged }, null, 2));
    writeReport(merged, prev.meta, true);
    return;
  }
  const saved = full ? fullFile : path.join(DATA, 'results-latest.json');
  fs.writeFileSync(saved, JSON.stringify({ meta, machine: machine(results.find((r) => !r.failed)?.backend), results }, null, 2));
  writeReport(results, meta, full || opts.write);
  if (results.some((r) => r.failed)) process.exitCode = 1;
}

async function runGpuLarge(opts) {
  const n = opts.n || GPU_LARGE.data.n;
  const c = { ...GPU_LARGE, name: n === GPU_LARGE.data.n ? GPU_LARGE.name : `${GPU_LARGE.name}-n${n}`, data: { ...GPU_LARGE.data, n }, backend: opts.backend ?? 'webgpu' };
  if (opts.set) c.settings = { ...c.settings, ...Object.fromEntries(Object.entries(opts.set).map(([k, v]) => [k, v && typeof v === 'object' && !Array.isArray(v) ? { ...(c.settings[k] ?? {}), ...v } : v])) };
  await build(opts.generateOnly ? ['generate.ts'] : ['generate.ts', 'case.ts']);
  const dir = await ensureData(c);
  if (opts.generateOnly) return;
  process.stderr.write(`running ${c.name} on ${c.backend} (N = ${n}, d = ${c.data.d}, ${c.settings.covariance} covariance, K = ${c.settings.components})\n`);
  const r = await runCase(c, dir);
  const file = path.join(DATA, 'results-gpu-large.json');
  fs.writeFileSync(file, JSON.stringify({ meta: { command: `npm run bench -- ${process.argv.slice(2).join(' ')}`, date: new Date().toISOString() }, machine: machine(r.backend), results: [r] }, null, 2));
  if (r.failed) {
    process.stderr.write(`${c.name} FAILED: ${r.failed}\n`);
    process.exitCode = 1;
    return;
  }
  const stages = Object.entries(r.timings).map(([k, v]) => `${k} ${Number(v).toFixed(1)} s`).join(', ');
  console.log(`${c.name}: ${r.wallSeconds.toFixed(1)} s wall, ${r.cpuSeconds.toFixed(1)} s CPU, peak ${fmtBytes(r.peakRssBytes)} (file ${fmtBytes(r.fileBytes)})`);
  console.log(`backend: ${r.backend.name}: ${r.backend.detail}`);
  console.log(`stages: ${stages}`);
  console.log(`max |Δatom| ${f(r.errors.maxAtomAdjusted, 4)}, r_raw Pearson ${f(r.errors.rRawPearson, 4)}, MAE ${f(r.errors.rRawMae, 4)}; saved ${path.relative(root, file)}`);
}

main().catch((e) => {
  console.error(e.stack ?? e);
  process.exit(1);
});
