// The fuzz suite (docs/run-format.md#limits): seeded malformed run files, each read by the real reader, each
// outcome classed. Good: a clean LsmiInputError (no raw JavaScript text in its message), or an
// acceptance that pyarrow / numpy agree with (scripts/fuzz/oracle.py). Bad: any other exception,
// a crash of the reading thread, a hang (over --timeout seconds), memory beyond --max-rss MiB, an
// unclear message, or garbage accepted (the reader accepts what pyarrow / numpy refuse).
//
//   node scripts/fuzz/run.mjs [--cases N] [--seed S] [--timeout SECONDS] [--keep DIR]
//   npm run fuzz            (3000 cases)      CI: scripts/test-all.mjs runs 400 with seed 1
//
// Reads run in a worker thread (the process survives what the worker does); a watchdog in the main
// thread stops a worker that takes too long. Failing cases are kept under .fuzz/ (or --keep) with a
// JSON report; the last line is `N passed, N failed`.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');

if (!isMainThread) {
  // the worker: read each file it is sent and report what happened
  const { readRun } = await import(path.join(ROOT, 'out', 'src', 'engine', 'io', 'index.js'));
  const { readResults } = await import(path.join(ROOT, 'out', 'src', 'engine', 'io', 'results.js'));
  parentPort.on('message', async (file) => {
    try {
      const run = file.endsWith('.lsmi.arrow') ? await readResults(file) : await readRun(file);
      parentPort.postMessage({ file, outcome: 'accepted', n: run.n ?? run.sampleIds.length });
    } catch (e) {
      parentPort.postMessage({ file, outcome: e?.name === 'LsmiInputError' ? 'error' : 'exception', code: e?.code, message: String(e?.message ?? e), stack: e?.name === 'LsmiInputError' ? undefined : String(e?.stack ?? '') });
    }
  });
} else {
  const arg = (name, dflt) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : dflt;
  };
  const CASES = Number(arg('--cases', 3000));
  const SEED = Number(arg('--seed', 1));
  const TIMEOUT_S = Number(arg('--timeout', 10));
  const MAX_RSS = Number(arg('--max-rss', 3072)) * 1024 ** 2;
  const KEEP = path.resolve(arg('--keep', path.join(ROOT, '.fuzz')));
  const RAW_JS = /Cannot read prop|undefined|is not a function|RangeError|TypeError|out of bounds|Invalid (typed )?array length|Maximum call stack|Unexpected token/;

  if (!fs.existsSync(path.join(ROOT, 'out', 'src', 'engine', 'io', 'index.js'))) {
    console.error('fuzz: out/ is missing: run `npx tsc -p tsconfig.test.json` first');
    process.exit(1);
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lsmi-fuzz-'));
  const seedDir = path.join(work, 'seeds');
  execFileSync('python3', [path.join(HERE, 'seeds.py'), seedDir], { stdio: ['ignore', 'ignore', 'inherit'] });
  // a results file too (the status bar and the panels read those), written by the engine's own writer
  {
    const { writeResults } = await import(path.join(ROOT, 'out', 'src', 'engine', 'io', 'results.js'));
    const { smallResults } = await import(path.join(ROOT, 'out', 'test', 'engine', 'results-fixtures.js'));
    const n = 30;
    const v = Array.from({ length: n }, (_, i) => Math.sin(i));
    await writeResults(path.join(seedDir, 'results.lsmi.arrow'), { ...smallResults({ ids: v.map((_, i) => `s${i}`), labels: v.map((_, i) => i % 3), r: v, u1: v, u2: v, s: v }), paths1: v.map((_, i) => `img/${i}.png`) });
  }
  const seeds = fs.readdirSync(seedDir).filter((f) => /\.(arrow|npz)$/.test(f)).sort().map((f) => ({ name: f, bytes: fs.readFileSync(path.join(seedDir, f)) }));

  // a seeded generator (mulberry32)
  let s = SEED >>> 0;
  const rnd = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(rnd() * n);
  const FAMILIES = {
    // cut anywhere, or at the tail (footers, zip directories)
    truncate: (b) => b.subarray(0, rnd() < 0.5 ? int(b.length) : Math.max(0, b.length - 1 - int(Math.min(b.length, 200)))),
    // one to four random bytes anywhere
    flip: (b) => {
      for (let k = 1 + int(4); k > 0; k--) b[int(b.length)] = int(256);
      return b;
    },
    // bytes in the metadata: the first 700 (schema message, local headers) or last 700 (footer, directory)
    metadata: (b) => {
      for (let k = 1 + int(3); k > 0; k--) {
        const p = rnd() < 0.5 ? int(Math.min(b.length, 700)) : b.length - 1 - int(Math.min(b.length, 700));
        b[p] = rnd() < 0.5 ? b[p] ^ (1 << int(8)) : int(256);
      }
      return b;
    },
    // a 32- or 64-bit integer set to an extreme value (lengths, offsets, counts, sizes)
    integer: (b) => {
      const p = int(Math.max(1, b.length - 8)) & ~3;
      const v = [0xffffffff, 0x7fffffff, 0x80000000, 0, 1, 0x10000, 0xfffffff0][int(7)];
      if (rnd() < 0.5) b.writeUInt32LE(v, p);
      else b.writeBigUInt64LE(BigInt(v) * 4294967296n + BigInt(v), p);
      return b;
    },
    // a block of bytes copied from elsewhere in the file (messages pointing at other messages)
    splice: (b) => {
      const n = 4 + int(60);
      const from = int(Math.max(1, b.length - n));
      const to = int(Math.max(1, b.length - n));
      b.copy(b, to, from, from + n);
      return b;
    },
  };
  const famNames = Object.keys(FAMILIES);

  const casesDir = path.join(work, 'cases');
  fs.mkdirSync(casesDir);
  const cases = [];
  for (let i = 0; i < CASES; i++) {
    const seed = seeds[int(seeds.length)];
    const family = famNames[int(famNames.length)];
    const out = FAMILIES[family](Buffer.from(seed.bytes));
    const name = `${String(i).padStart(5, '0')}-${family}-${seed.name}`;
    const file = path.join(casesDir, name);
    fs.writeFileSync(file, out);
    // npz seeds with a sidecar keep it (deflated.json → <case>.json)
    const side = path.join(seedDir, seed.name.replace(/\.npz$/, '.json'));
    if (seed.name.endsWith('.npz') && fs.existsSync(side)) fs.copyFileSync(side, file.replace(/\.npz$/, '.json'));
    cases.push({ name, file, family, seed: seed.name });
  }

  // read every case in a worker, one at a time, with a watchdog on time and memory
  const results = new Map();
  let worker;
  let current;
  let timer;
  let rssTimer;
  const t0 = Date.now();
  await new Promise((resolveAll) => {
    let next = 0;
    const start = () => {
      worker = new Worker(fileURLToPath(import.meta.url), { resourceLimits: { maxOldGenerationSizeMb: 2048 } });
      worker.on('message', (m) => {
        clearTimeout(timer);
        results.set(m.file, m);
        feed();
      });
      worker.on('error', (e) => fail(e?.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'oom' : 'crash', String(e?.message ?? e)));
      worker.on('exit', (code) => {
        if (current && !results.has(current.file)) fail('crash', `the reading thread exited (${code})`);
      });
      feed();
    };
    const fail = (outcome, message) => {
      if (!current || results.has(current.file)) return;
      clearTimeout(timer);
      results.set(current.file, { file: current.file, outcome, message });
      const w = worker;
      worker = undefined;
      void w?.terminate();
      if (next < cases.length) start();
      else finish();
    };
    const finish = () => {
      clearInterval(rssTimer);
      void worker?.terminate();
      resolveAll();
    };
    const feed = () => {
      if (next >= cases.length) return finish();
      current = cases[next++];
      timer = setTimeout(() => fail('hang', `no answer within ${TIMEOUT_S} s`), TIMEOUT_S * 1000);
      worker.postMessage(current.file);
    };
    rssTimer = setInterval(() => {
      if (process.memoryUsage.rss() > MAX_RSS) fail('memory', `the process exceeded ${MAX_RSS / 1024 ** 2} MiB`);
    }, 100);
    start();
  });

  // accepted files: does pyarrow / numpy accept them too?
  const accepted = cases.filter((c) => results.get(c.file)?.outcome === 'accepted');
  const oracle = {};
  for (let i = 0; i < accepted.length; i += 200) {
    Object.assign(oracle, JSON.parse(execFileSync('python3', [path.join(HERE, 'oracle.py'), ...accepted.slice(i, i + 200).map((c) => c.file)], { encoding: 'utf8', maxBuffer: 64 * 1024 ** 2 })));
  }

  const classes = {};
  const bad = [];
  for (const c of cases) {
    const r = results.get(c.file) ?? { outcome: 'crash', message: 'no result' };
    let cls = r.outcome;
    if (cls === 'error') cls = RAW_JS.test(r.message) || !r.message.includes(path.basename(c.file)) ? 'unclear' : 'clean-error';
    else if (cls === 'accepted') cls = oracle[c.file] === 'ok' ? 'accepted-exact' : 'accepted-garbage';
    classes[c.family] ??= {};
    classes[c.family][cls] = (classes[c.family][cls] ?? 0) + 1;
    if (cls !== 'clean-error' && cls !== 'accepted-exact') bad.push({ ...c, class: cls, message: r.message, code: r.code, stack: r.stack, oracle: oracle[c.file] });
  }
  const cols = ['clean-error', 'accepted-exact', 'accepted-garbage', 'unclear', 'exception', 'crash', 'hang', 'memory', 'oom'];
  console.log(`fuzz: ${CASES} cases from ${seeds.length} seeds, seed ${SEED}, ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  console.log(['family'.padEnd(10), ...cols.map((c) => c.padStart(16))].join(''));
  for (const f of famNames) console.log([f.padEnd(10), ...cols.map((c) => String(classes[f]?.[c] ?? 0).padStart(16))].join(''));
  if (bad.length) {
    fs.mkdirSync(KEEP, { recursive: true });
    for (const b of bad) fs.copyFileSync(b.file, path.join(KEEP, b.name));
    fs.writeFileSync(path.join(KEEP, 'report.json'), JSON.stringify(bad.map(({ file: _f, ...rest }) => rest), null, 2));
    console.log(`\n${bad.length} bad outcomes (files and report.json in ${KEEP}):`);
    for (const b of bad.slice(0, 20)) console.log(`  ${b.name}: ${b.class}: ${String(b.message ?? b.oracle ?? '').slice(0, 200)}`);
  }
  fs.rmSync(work, { recursive: true, force: true });
  console.log(`${CASES - bad.length} passed, ${bad.length} failed`);
  process.exit(bad.length ? 1 : 0);
}
