// The targeted fuzz suite, beside scripts/fuzz/run.mjs (random damage, pyarrow's accept/refuse). It
// aims at the structures and rules the reader must check and compares values, not only verdicts:
//   - scripts/fuzz/generate.py writes seeded cases (one Python process per batch), each named
//     family/seed/index and reproducible alone: byte flips anywhere and inside flatbuffer metadata,
//     truncation at message / buffer / footer / zip boundaries, patched message and schema integers
//     (row counts such as 2^32 + 37, node lengths, buffer offsets, child counts, list sizes), footer
//     blocks (pointing at the schema, out of range, negative), semantic breakage written by pyarrow
//     (invalid UTF-8, broken offsets, nulls inside rows, short FixedSizeList children, dictionary
//     indices, ids beyond 2^53, extreme labels, bad metadata), crafted npz/zip damage (negative and nan
//     shapes, CRC-32, zip64 sizes, 4 GiB entries, a zip bomb, sidecars) and damaged results files;
//   - scripts/fuzz/verdict.py says what pyarrow / numpy make of each case, which rules of
//     docs/run-format.md it breaks, and the hashes of the values LSMI uses (ids, labels, embeddings,
//     logits, class names, paths, split; the per-sample columns of results);
//   - scripts/fuzz/reader-child.cjs reads each case in a child process (readRun + summarizeRun, or
//     readResults + resultsReport, as `lsmi inspect` does) under a wall-time and a resident-memory
//     limit, so an abort (e.g. an assertion in fs.read) or a V8 heap OOM is an outcome, not a crash.
//
//   node scripts/fuzz/targeted.mjs [--cases N] [--seed S] [--families a,b] [--only family/seed/index,...]
//                                  [--jobs 2] [--timeout-ms 10000] [--rss-mb 1536] [--batch 500] [--keep-all]
//   node scripts/fuzz/targeted.mjs --ci        the bounded CI subset: 300 cases, seed 12
//
// Outcomes. Good: clean-error (an LsmiInputError with a code, naming the file, no raw JavaScript error
// text), accepted-exact (accepted, and every value LSMI uses equals pyarrow's / numpy's). Bad:
// accepted-garbage (accepted while pyarrow/numpy refuse the file or it breaks the run format's rules
// or limits, or values differ), unclear-error (an LsmiInputError that quotes raw JavaScript error
// text, names no file, or misnames the problem: DUPLICATE_ID for unique ids, "negative" for a
// positive label), exception (anything else thrown: exit code 3 of the CLI), abort (killed by a
// signal: exit 134), hang (over the time limit), oom (over the memory limit). Failing cases stay
// under .fuzz/targeted-<seed>/ with .fuzz/targeted-report-<seed>.json; the last line is `N passed, N failed`.
import { spawn, fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');

export const GOOD = ['clean-error', 'accepted-exact'];
export const BAD = ['accepted-garbage', 'unclear-error', 'exception', 'abort', 'hang', 'oom'];
const OUTCOMES = [...GOOD, ...BAD, 'unverified'];

/** Raw JavaScript / Node error text that must never reach a user (docs/run-format.md: messages say what is wrong in words). */
export const RAW_JS_TEXT = [
  /Cannot read propert/i,
  /Cannot set propert/i,
  /\bundefined\b/,
  /\bRangeError\b/,
  /\bTypeError\b/,
  /\bReferenceError\b/,
  /offset is out of bounds/i,
  /is not a function/,
  /is not iterable/,
  /Invalid typed array length/,
  /Invalid array length/,
  /Array buffer allocation failed/,
  /Maximum call stack/,
  /Attempt to access memory outside buffer bounds/,
  /\bERR_[A-Z_]{3,}\b/,
  /The value of "[^"]+" is out of range/,
  /Invalid code point/,
  /\bNaN rows\b/,
  /\[object Object\]/,
  /Unexpected end of JSON input/,
];

function parseArgs(argv) {
  const a = { cases: 3000, seed: 1, jobs: 2, timeoutMs: 10_000, rssMb: 1536, batch: 500, families: undefined, only: undefined, keepAll: false, out: path.join(ROOT, '.fuzz') };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => argv[++i];
    if (k === '--ci') Object.assign(a, { cases: 300, seed: 12, ci: true });
    else if (k === '--cases') a.cases = Number(v());
    else if (k === '--seed') a.seed = Number(v());
    else if (k === '--jobs') a.jobs = Math.max(1, Math.min(2, Number(v())));
    else if (k === '--timeout-ms') a.timeoutMs = Number(v());
    else if (k === '--rss-mb') a.rssMb = Number(v());
    else if (k === '--batch') a.batch = Number(v());
    else if (k === '--families') a.families = v();
    else if (k === '--only') a.only = v();
    else if (k === '--keep-all') a.keepAll = true;
    else if (k === '--out') a.out = path.resolve(v());
    else if (k === '--help' || k === '-h') {
      console.log(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).map((l) => l.slice(3)).join('\n'));
      process.exit(0);
    } else throw new Error(`unknown option ${k}`);
  }
  return a;
}

function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** The results seed: `lsmi estimate` on a small run, once per generator and tool version. */
async function resultsSeed(cache) {
  const version = fs.readFileSync(path.join(ROOT, 'out', 'src', 'engine', 'version.js'));
  const key = createHash('sha256').update(fs.readFileSync(path.join(HERE, 'generate.py'))).update(version).digest('hex').slice(0, 12);
  const file = path.join(cache, `results-seed-${key}.lsmi.arrow`);
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(cache, { recursive: true });
  const runFile = path.join(cache, `results-seed-${key}.arrow`);
  let r = await run('python3', [path.join(HERE, 'generate.py'), '--results-run', runFile]);
  if (r.code !== 0) throw new Error(`could not write the results seed's run:\n${r.out}`);
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli.js'))) await run(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs')]);
  const tmp = `${file}.${process.pid}.tmp.lsmi.arrow`;
  r = await run(process.execPath, [path.join(ROOT, 'bin', 'lsmi.js'), 'estimate', runFile, '--out', tmp, '--bootstrap', '0', '--backend', 'wasm', '--force']);
  if (r.code !== 0) throw new Error(`lsmi estimate on the results seed's run failed:\n${r.out}`);
  fs.renameSync(tmp, file);
  return file;
}

function rssMbOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** One reader child, reused across cases, replaced after a kill or a crash. */
class Slot {
  constructor(opts) {
    this.opts = opts;
    this.child = undefined;
    this.served = 0;
  }

  async start() {
    this.stderr = '';
    this.served = 0;
    const child = fork(path.join(HERE, 'reader-child.cjs'), ['--server'], {
      cwd: ROOT,
      execArgv: [`--max-old-space-size=${this.opts.rssMb}`],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    child.stderr.on('data', (d) => (this.stderr = (this.stderr + d).slice(-4000)));
    this.child = child;
    await new Promise((resolve, reject) => {
      const onMsg = (m) => m && m.ready && (child.off('message', onMsg), resolve());
      child.on('message', onMsg);
      child.once('exit', (code) => reject(new Error(`reader child exited at start (${code}): ${this.stderr}`)));
    });
  }

  stop() {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    this.child = undefined;
  }

  /** Reads one case: { answer } | { timeout } | { rss } | { exit, code, signal, stderr }, with ms and peak RSS. */
  async read(c) {
    if (!this.child || this.served >= 200) {
      this.stop();
      await this.start();
    }
    this.served++;
    const child = this.child;
    const t0 = Date.now();
    let peak = 0;
    const id = `${c.name}#${t0}`;
    const result = await new Promise((resolve) => {
      let done = false;
      const finish = (r) => {
        if (done) return;
        done = true;
        clearInterval(poll);
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(r);
      };
      const onMessage = (m) => {
        if (m && m.id === id) finish({ answer: m });
      };
      const onExit = (code, signal) => finish({ exit: true, code, signal });
      const poll = setInterval(() => {
        const mb = rssMbOf(child.pid);
        peak = Math.max(peak, mb);
        if (mb > this.opts.rssMb) {
          child.kill('SIGKILL');
          finish({ rss: mb });
        }
      }, 50);
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        finish({ timeout: true });
      }, this.opts.timeoutMs);
      child.on('message', onMessage);
      child.on('exit', onExit);
      child.send({ id, file: c.file, kind: c.kind });
    });
    result.ms = Date.now() - t0;
    result.peakMb = Math.round(peak);
    if (!result.answer || result.answer.uncaught) {
      // the child is dead or dying: give it a moment to write its last words, then replace it
      await new Promise((r) => setTimeout(r, 60));
      result.stderr = this.stderr.slice(-1500);
      this.stop();
    }
    return result;
  }
}

const basename = (f) => (f ? path.basename(f) : '');

/** The outcome class of one case and a short reason. */
export function classify(c, r) {
  const v = c.verdict;
  if (r.timeout) return { outcome: 'hang', detail: `no answer within ${r.ms} ms` };
  if (r.rss) return { outcome: 'oom', detail: `resident memory ${Math.round(r.rss)} MB above the limit` };
  if (r.exit) {
    if (/heap out of memory|Reached heap limit|Allocation failed - JavaScript heap/.test(r.stderr ?? '')) return { outcome: 'oom', detail: 'V8 heap limit reached' };
    if (r.signal || r.code === 134) return { outcome: 'abort', detail: `killed by ${r.signal ?? `exit ${r.code}`}: ${(r.stderr ?? '').trim().split('\n').slice(0, 3).join(' | ')}` };
    return { outcome: 'exception', detail: `reader exited with code ${r.code}: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}` };
  }
  const a = r.answer;
  if (!a.ok) {
    const e = a.error;
    if (a.uncaught || e.name !== 'LsmiInputError') return { outcome: 'exception', detail: `${a.uncaught ? 'uncaught ' : ''}${e.name}: ${e.message}`.slice(0, 300) };
    const raw = RAW_JS_TEXT.find((re) => re.test(e.message));
    if (raw) return { outcome: 'unclear-error', detail: `[${e.code}] quotes raw error text (${raw}): ${e.message}`.slice(0, 400) };
    if (!e.code || !e.file) return { outcome: 'unclear-error', detail: `no code or file: ${e.message}`.slice(0, 300) };
    if (!e.message.includes(basename(c.file)) && !(c.sidecar && e.message.includes(basename(c.sidecar)))) {
      return { outcome: 'unclear-error', detail: `the message does not name the file: ${e.message}`.slice(0, 300) };
    }
    const facts = v.status === 'accepted' ? v.facts ?? {} : {};
    if (e.code === 'DUPLICATE_ID' && facts.uniqueIds === true) return { outcome: 'unclear-error', detail: `DUPLICATE_ID for ids that are unique: ${e.message}`.slice(0, 300) };
    if (/are negative/.test(e.message) && typeof facts.minLabel === 'number' && facts.minLabel >= 0) {
      return { outcome: 'unclear-error', detail: `calls non-negative labels negative: ${e.message}`.slice(0, 300) };
    }
    return { outcome: 'clean-error', detail: `[${e.code}] ${e.message}`.slice(0, 300) };
  }
  if (v.status === 'oracle-error') return { outcome: 'unverified', detail: v.reason };
  if (v.status === 'rejected') return { outcome: 'accepted-garbage', detail: `accepted, but ${v.reason}` };
  if (v.problems.length) return { outcome: 'accepted-garbage', detail: `accepted, but: ${v.problems.map((p) => `${p.code} (${p.what})`).join('; ')}`.slice(0, 400) };
  const want = v.hashes;
  const got = a.hashes;
  const differ = [...new Set([...Object.keys(want), ...Object.keys(got)])].filter((k) => want[k] !== got[k]);
  if (differ.length) {
    const show = differ.map((k) => (typeof want[k] === 'number' || typeof got[k] === 'number' ? `${k} ${got[k]} ≠ ${want[k]}` : k));
    return { outcome: 'accepted-garbage', detail: `values differ from pyarrow/numpy: ${show.join(', ')}` };
  }
  return { outcome: 'accepted-exact', detail: '' };
}

function removeCase(c) {
  for (const f of [c.file, c.sidecar]) if (f) fs.rmSync(f, { recursive: true, force: true });
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const t0 = Date.now();
  if (!fs.existsSync(path.join(ROOT, 'out', 'src', 'engine', 'io', 'index.js'))) {
    console.error('fuzz: out/src is missing: run `npm run compile-tests` first');
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  const runDir = path.join(a.out, a.only ? 'targeted-only' : `targeted-${a.seed}`);
  fs.rmSync(runDir, { recursive: true, force: true });
  fs.mkdirSync(runDir, { recursive: true });
  const cache = path.join(a.out, 'cache');
  const rseed = await resultsSeed(cache);
  const slots = Array.from({ length: a.jobs }, () => new Slot(a));
  const counts = {};
  const failures = [];
  const slow = [];
  let total = 0;
  let genSeconds = 0;
  const batches = a.only ? [{ start: 0, count: a.only.split(',').length }] : Array.from({ length: Math.ceil(a.cases / a.batch) }, (_, k) => ({ start: k * a.batch, count: Math.min(a.batch, a.cases - k * a.batch) }));
  for (const [k, b] of batches.entries()) {
    const dir = path.join(runDir, `batch-${k}`);
    const g0 = Date.now();
    const args = [path.join(HERE, 'generate.py'), '--out', dir, '--seed', String(a.seed), '--cases', String(b.count), '--start', String(b.start), '--results-seed', rseed, '--cache', cache];
    if (a.families) args.push('--families', a.families);
    if (a.only) args.push('--only', a.only);
    const g = await run('python3', args);
    genSeconds += (Date.now() - g0) / 1000;
    if (g.code !== 0) {
      console.error(`fuzz: the generator failed:\n${g.out}`);
      console.log(`${total - failures.length} passed, ${failures.length + 1} failed`);
      process.exit(1);
    }
    const cases = JSON.parse(fs.readFileSync(path.join(dir, 'cases.json'), 'utf8'));
    let next = 0;
    await Promise.all(
      slots.map(async (slot) => {
        while (next < cases.length) {
          const c = cases[next++];
          const r = await slot.read(c);
          const { outcome, detail } = classify(c, r);
          counts[c.family] ??= {};
          counts[c.family][outcome] = (counts[c.family][outcome] ?? 0) + 1;
          total++;
          if (r.ms > 2000 && !BAD.includes(outcome)) slow.push({ name: c.name, ms: r.ms, outcome });
          if (BAD.includes(outcome)) {
            failures.push({
              name: c.name,
              family: c.family,
              variant: c.variant,
              note: c.note,
              kind: c.kind,
              file: path.relative(ROOT, c.file),
              sidecar: c.sidecar ? path.relative(ROOT, c.sidecar) : undefined,
              outcome,
              detail,
              ms: r.ms,
              peakMb: r.peakMb,
              error: r.answer && !r.answer.ok ? r.answer.error : undefined,
              verdict: c.verdict.status === 'accepted' ? { status: 'accepted', problems: c.verdict.problems } : c.verdict,
            });
          } else if (!a.keepAll) removeCase(c);
        }
      }),
    );
    fs.rmSync(path.join(dir, 'seeds'), { recursive: true, force: true });
  }
  for (const s of slots) s.stop();

  // the table: family × outcome
  const fams = Object.keys(counts);
  const cols = OUTCOMES.filter((o) => fams.some((f) => counts[f][o]));
  const rows = [['family', ...cols, 'total'], ...fams.map((f) => [f, ...cols.map((o) => String(counts[f][o] ?? 0)), String(Object.values(counts[f]).reduce((x, y) => x + y, 0))])];
  rows.push(['all', ...cols.map((o) => String(fams.reduce((x, f) => x + (counts[f][o] ?? 0), 0))), String(total)]);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log(`fuzz (targeted): seed ${a.seed}, ${total} cases, ${a.jobs} reader(s), limits ${a.timeoutMs} ms and ${a.rssMb} MB`);
  for (const r of rows) console.log(r.map((x, i) => (i === 0 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join('  '));
  const seconds = (Date.now() - t0) / 1000;
  const report = { seed: a.seed, cases: total, seconds, generatorSeconds: genSeconds, limits: { timeoutMs: a.timeoutMs, rssMb: a.rssMb }, counts, slow, failures };
  const reportFile = path.join(a.out, a.only ? 'targeted-report-only.json' : `targeted-report-${a.seed}.json`);
  fs.writeFileSync(reportFile, JSON.stringify(report, null, 2) + '\n');
  if (failures.length) {
    console.log(`\nfailures (${failures.length}; files kept under ${path.relative(ROOT, runDir)}/, all in ${path.relative(ROOT, reportFile)}):`);
    const shown = new Map();
    for (const f of failures) {
      const key = `${f.outcome} ${f.family}`;
      shown.set(key, (shown.get(key) ?? 0) + 1);
      if (shown.get(key) <= 3) console.log(`  ${f.outcome.padEnd(16)} ${f.name.padEnd(22)} ${f.variant}: ${f.note}\n  ${''.padEnd(16)} ${f.detail.slice(0, 220)}`);
    }
  }
  console.log(`\nfuzz: ${seconds.toFixed(1)} s (generator ${genSeconds.toFixed(1)} s); reproduce one case: node scripts/fuzz/targeted.mjs --only <name> --keep-all`);
  console.log(`${total - failures.length} passed, ${failures.length} failed`);
  process.exit(failures.length ? 1 : 0);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`fuzz: ${e.stack ?? e}`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  });
}
