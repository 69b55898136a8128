'use strict';
/**
 * Reads one file with LSMI's real readers (the tsc output in out/src, the same code the CLI and the
 * extension bundle) and answers with what came of it: the hashes of the values LSMI uses, or the
 * error. Used by the targeted fuzz suite (scripts/fuzz/targeted.mjs, server mode: cases arrive over
 * IPC, one at a time, in a child process, so an abort or a native crash is observed, not suffered),
 * and by hand: `node scripts/fuzz/reader-child.cjs <file> [run|results]` prints one JSON line.
 *
 * A run is read like `lsmi inspect`: readRun, then summarizeRun; a results file like
 * `lsmi inspect x.lsmi.arrow`: readResults, then resultsReport. The hashes (sha256, hex) use the
 * canonical encoding of scripts/fuzz/verdict.py, so the runner can compare them with pyarrow's/numpy's:
 *   strings: per value 'N' (null) or 'S' + uint32le(byte length) + UTF-8 bytes
 *   labels:  int64le per value;  matrices: uint32le(rows) uint32le(cols) + float32le values, row-major
 *   float64 columns: float64le values, NaN as 0x7ff8000000000000;  split: as strings (the split names)
 */
const crypto = require('node:crypto');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = process.env.LSMI_FUZZ_OUT ?? path.join(ROOT, 'out', 'src');

let engine;
function load() {
  if (engine) return engine;
  engine = {
    io: require(path.join(OUT, 'engine', 'io', 'index.js')),
    results: require(path.join(OUT, 'engine', 'io', 'results.js')),
    matrix: require(path.join(OUT, 'engine', 'io', 'matrix.js')),
    summary: require(path.join(OUT, 'engine', 'summary.js')),
    report: require(path.join(OUT, 'engine', 'report.js')),
  };
  return engine;
}

const SPLITS = ['train', 'val', 'test'];

function hashStrings(values) {
  const h = crypto.createHash('sha256');
  const len = Buffer.alloc(4);
  for (const v of values) {
    if (v === null || v === undefined) {
      h.update('N');
      continue;
    }
    const b = Buffer.from(String(v), 'utf8');
    len.writeUInt32LE(b.length, 0);
    h.update('S');
    h.update(len);
    h.update(b);
  }
  return h.digest('hex');
}

function hashInts(values) {
  const b = Buffer.alloc(8 * values.length);
  for (let i = 0; i < values.length; i++) b.writeBigInt64LE(BigInt(values[i]), 8 * i);
  return crypto.createHash('sha256').update(b).digest('hex');
}

function hashMatrix(m) {
  const { toDense } = load().matrix;
  const h = crypto.createHash('sha256');
  const head = Buffer.alloc(8);
  head.writeUInt32LE(m.rows >>> 0, 0);
  head.writeUInt32LE(m.cols >>> 0, 4);
  h.update(head);
  const d = toDense(m);
  h.update(Buffer.from(d.buffer, d.byteOffset, d.byteLength));
  return h.digest('hex');
}

/** float64le values, every NaN written as the one quiet NaN 0x7ff8000000000000 (payloads differ by converter). */
function hashFloat64(values) {
  const b = Buffer.alloc(8 * values.length);
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i])) b.writeBigUInt64LE(0x7ff8000000000000n, 8 * i);
    else b.writeDoubleLE(values[i], 8 * i);
  }
  return crypto.createHash('sha256').update(b).digest('hex');
}

const nullEmpty = (p) => (p ? p.map((x) => (x === '' || x === undefined ? null : x)) : undefined);

function runHashes(run) {
  const h = {
    n: run.n,
    nClasses: run.nClasses,
    sample_id: hashStrings(run.sampleIds),
    label: hashInts(run.labels),
    emb_1: hashMatrix(run.emb1),
    emb_2: hashMatrix(run.emb2),
    class_names: hashStrings(run.meta.classNames),
  };
  for (const head of ['1', '2', '12']) if (run.logits[head]) h[`logits_${head}`] = hashMatrix(run.logits[head]);
  if (run.paths1) h.path_1 = hashStrings(nullEmpty(run.paths1));
  if (run.paths2) h.path_2 = hashStrings(nullEmpty(run.paths2));
  if (run.split) h.split = hashStrings(Array.from(run.split, (k) => SPLITS[k] ?? `?${k}`));
  return h;
}

function resultsHashes(data) {
  const { RESULT_COLUMNS, STABILITY_COLUMNS } = load().results;
  const h = { n: data.sampleIds.length, sample_id: hashStrings(data.sampleIds), label: hashInts(data.labels) };
  if (data.split) h.split = hashStrings(Array.from(data.split, (k) => SPLITS[k] ?? `?${k}`));
  if (data.paths1) h.path_1 = hashStrings(nullEmpty(data.paths1));
  if (data.paths2) h.path_2 = hashStrings(nullEmpty(data.paths2));
  for (const c of RESULT_COLUMNS) h[c] = hashFloat64(data.columns[c]);
  if (data.stability) for (const c of STABILITY_COLUMNS) h[c] = hashFloat64(data.stability[c]);
  return h;
}

function describeError(e) {
  if (e && typeof e === 'object') {
    return {
      name: String(e.name ?? ''),
      code: e.code === undefined ? undefined : String(e.code),
      file: e.file === undefined ? undefined : String(e.file),
      column: e.column,
      rows: Array.isArray(e.rows) ? e.rows.slice(0, 20) : undefined,
      message: String(e.message ?? e),
      stack: typeof e.stack === 'string' ? e.stack.split('\n').slice(0, 8).join('\n') : undefined,
    };
  }
  return { name: typeof e, message: String(e) };
}

/** Reads one file the way `lsmi inspect` does; resolves to a plain answer, never rejects. */
async function readOne(file, kind) {
  const t0 = process.hrtime.bigint();
  try {
    const e = load();
    let hashes;
    if (kind === 'results') {
      const data = await e.results.readResults(file);
      hashes = resultsHashes(data);
      JSON.stringify(e.report.resultsReport(data, file, { top: 5 }));
    } else {
      const run = await e.io.readRun(file);
      hashes = runHashes(run);
      JSON.stringify(e.summary.summarizeRun(run));
    }
    return { ok: true, hashes, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
  } catch (err) {
    return { ok: false, error: describeError(err), ms: Number(process.hrtime.bigint() - t0) / 1e6 };
  }
}

if (process.send && process.argv[2] === '--server') {
  // server mode: { id, file, kind } in, { id, ...answer } out; an uncaught error answers for the case in flight
  let current;
  const fatal = (err) => {
    if (current !== undefined) process.send({ id: current, ok: false, uncaught: true, error: describeError(err) });
    setTimeout(() => process.exit(3), 50);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  process.on('message', async (msg) => {
    if (msg && msg.quit) process.exit(0);
    current = msg.id;
    const answer = await readOne(msg.file, msg.kind);
    current = undefined;
    process.send({ id: msg.id, ...answer });
  });
  process.send({ ready: true });
} else if (process.argv[2] && process.argv[2] !== '--server') {
  readOne(process.argv[2], process.argv[3] === 'results' ? 'results' : 'run').then((answer) => {
    process.stdout.write(JSON.stringify(answer) + '\n', () => process.exit(0));
  });
}

module.exports = { readOne, hashStrings };
