/**
 * Generates one benchmark data set: a run file (Arrow IPC, written batch by batch) and the exact
 * oracle's answers beside it (`oracle.json`: dataset atoms; `r_raw.f64`: per-sample raw redundancy,
 * float64 little-endian). Usage:
 *
 *   node dist-bench/generate.js <data-spec.json> <out-dir>
 *   node dist-bench/generate.js --selftest
 *
 * The output folder is written under a temporary name and renamed when complete, so an interrupted
 * generation never leaves a half-written cache entry.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decompose } from '../../src/engine/estimate/decompose';
import { denseMatrix } from '../../src/engine/io/matrix';
import { Rng } from '../../src/engine/random';
import { type CircuitName, type LatentModel, type SubspaceSpec, circuitModel, gaussianModel, oracle, sample, sampleSubspace, truePrior } from '../../src/engine/synthetic';
import { RunFileWriter } from './arrowWriter';
import { GaussGenerator, type GaussSpec } from './gauss';

export type DataSpec =
  | { kind: 'demo'; n: number; seed: number; train: number }
  | ({ kind: 'subspace'; n: number; seed: number } & SubspaceSpec)
  | { kind: 'circuit'; circuit: CircuitName; n: number; seed: number }
  | ({ kind: 'gauss'; n: number; seed: number; logits: boolean; batchRows: number } & GaussSpec);

interface Terms {
  i1: Float64Array;
  i2: Float64Array;
  i12: Float64Array;
  h1: Float64Array;
  h2: Float64Array;
}

function toF32(rows: Float64Array[] | Float64Array, C: number, n: number): Float32Array {
  const out = new Float32Array(n * C);
  if (rows instanceof Float64Array) {
    for (let i = 0; i < out.length; i++) out[i] = Math.max(rows[i], -1e30);
  } else {
    rows.forEach((r, i) => r.forEach((v, k) => (out[i * C + k] = Math.max(v, -1e30))));
  }
  return out;
}

function ids(prefix: string, start: number, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}-${start + i}`);
}

async function generate(spec: DataSpec, outDir: string, name: string): Promise<void> {
  const t0 = performance.now();
  const tmp = `${outDir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  const runFile = path.join(tmp, 'run.arrow');
  const n = spec.n;
  const terms: Terms = { i1: new Float64Array(n), i2: new Float64Array(n), i12: new Float64Array(n), h1: new Float64Array(n), h2: new Float64Array(n) };
  let prior: number[];
  let bytes: number;
  let batches = 0;
  let d1: number;
  let d2: number;
  let C: number;

  if (spec.kind === 'gauss') {
    const gen = new GaussGenerator(spec);
    ({ C, d: d1 } = spec);
    d2 = spec.d;
    prior = new Array(C).fill(1 / C);
    const meta = {
      format_version: 1,
      run_name: name,
      modality_names: ['x1', 'x2'],
      class_names: Array.from({ length: C }, (_, k) => `class ${k}`),
      label_prior: prior,
      created_by: 'lsmi bench generator',
      extra: { generator: 'gauss', ...spec },
    };
    const writer = new RunFileWriter(runFile, { d1, d2, C, logits: spec.logits, split: false, meta });
    const rng = new Rng(spec.seed);
    for (let start = 0; start < n; start += spec.batchRows) {
      const rows = Math.min(spec.batchRows, n - start);
      const b = gen.batch(rows, rng);
      for (const k of ['i1', 'i2', 'i12', 'h1', 'h2'] as const) terms[k].set(b[k], start);
      writer.write({
        ids: ids(name, start, rows),
        labels: b.labels,
        emb1: b.x1,
        emb2: b.x2,
        logits: spec.logits ? { '1': toF32(b.logPost1, C, rows), '2': toF32(b.logPost2, C, rows), '12': toF32(b.logPost12, C, rows) } : undefined,
      });
      batches++;
      if (batches % 16 === 0) process.stderr.write(`  generated ${start + rows}/${n} rows\r`);
    }
    if (batches >= 16) process.stderr.write('\n');
    bytes = writer.close();
  } else {
    let data: { emb1: import('../../src/engine/io/matrix').Matrix; emb2: import('../../src/engine/io/matrix').Matrix; labels: Int32Array };
    let generator: string;
    if (spec.kind === 'subspace') {
      const sub = sampleSubspace(spec, n, spec.seed);
      data = sub;
      for (const k of ['i1', 'i2', 'i12', 'h1', 'h2'] as const) terms[k].set(sub.oracle[k]);
      C = spec.nClasses;
      d1 = d2 = spec.d;
      prior = sub.model.prior;
      generator = `subspace (sampleSubspace in src/engine/synthetic.ts)`;
    } else {
      const model: LatentModel = spec.kind === 'demo' ? gaussianModel(2, 0.5, 0.5) : circuitModel(spec.circuit);
      const sampled = sample(model, n, spec.seed);
      data = sampled;
      const exact = oracle(sampled);
      for (const k of ['i1', 'i2', 'i12', 'h1', 'h2'] as const) terms[k].set(exact[k]);
      C = model.nClasses;
      d1 = model.d1;
      d2 = model.d2;
      prior = truePrior(model);
      generator = spec.kind === 'demo' ? 'official demo (gaussianModel(2, 0.5, 0.5))' : `circuit ${spec.circuit}`;
    }
    const meta = {
      format_version: 1,
      run_name: name,
      modality_names: ['x1', 'x2'],
      class_names: Array.from({ length: C }, (_, k) => String(k)),
      label_prior: prior,
      created_by: 'lsmi bench generator',
      extra: { generator, ...spec },
    };
    const split = spec.kind === 'demo';
    const writer = new RunFileWriter(runFile, { d1, d2, C, logits: false, split, meta });
    const x1 = data.emb1.chunks[0].data;
    const x2 = data.emb2.chunks[0].data;
    const batchRows = 4096;
    for (let start = 0; start < n; start += batchRows) {
      const rows = Math.min(batchRows, n - start);
      writer.write({
        ids: ids(name, start, rows),
        labels: data.labels.slice(start, start + rows),
        emb1: x1.subarray(start * d1, (start + rows) * d1),
        emb2: x2.subarray(start * d2, (start + rows) * d2),
        split: split ? Array.from({ length: rows }, (_, i) => (start + i < (spec as { train: number }).train ? 'train' : 'val')) : undefined,
      });
      batches++;
    }
    bytes = writer.close();
  }

  const dec = decompose(terms);
  fs.writeFileSync(path.join(tmp, 'r_raw.f64'), new Uint8Array(dec.raw.r.buffer, dec.raw.r.byteOffset, dec.raw.r.byteLength));
  const genSeconds = (performance.now() - t0) / 1000;
  const info = {
    name,
    spec,
    n,
    d1,
    d2,
    C,
    prior,
    fileBytes: bytes,
    batches,
    genSeconds,
    atoms: { raw: dec.means.raw, adjusted: dec.means.adjusted, branch: dec.branch, adj: dec.adj },
    meanTerms: Object.fromEntries(Object.entries(terms).map(([k, v]) => [k, mean(v)])),
  };
  fs.writeFileSync(path.join(tmp, 'oracle.json'), JSON.stringify(info, null, 2));
  if (fs.statSync(runFile).size !== bytes) throw new Error(`wrote ${bytes} bytes but the file has ${fs.statSync(runFile).size}`);
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.renameSync(tmp, outDir);
  process.stderr.write(`  ${name}: ${n} rows, ${(bytes / 2 ** 20).toFixed(1)} MiB in ${batches} batches, ${genSeconds.toFixed(1)} s\n`);
}

function mean(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s / a.length;
}

// ---------------------------------------------------------------------------------------------
// Self-test of the Gaussian oracle: against synthetic.ts's oracle (isotropic noise) and against a
// brute-force dense Gaussian log-density (block-correlated noise).

function cholesky(A: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * n + j];
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      L[i * n + j] = i === j ? Math.sqrt(s) : s / L[j * n + j];
    }
  }
  return L;
}

function logNormalDense(x: Float64Array, mu: Float64Array, L: Float64Array, n: number): number {
  const z = new Float64Array(n);
  let logdet = 0;
  for (let i = 0; i < n; i++) {
    let s = x[i] - mu[i];
    for (let k = 0; k < i; k++) s -= L[i * n + k] * z[k];
    z[i] = s / L[i * n + i];
    logdet += Math.log(L[i * n + i]);
  }
  let q = 0;
  for (const v of z) q += v * v;
  return -0.5 * q - logdet - 0.5 * n * Math.log(2 * Math.PI);
}

function selftest(): void {
  let worst = 0;
  const check = (what: string, a: number, b: number) => {
    const err = Math.abs(a - b);
    worst = Math.max(worst, err);
    if (!(err < 1e-8 * Math.max(1, Math.abs(b)))) throw new Error(`selftest ${what}: ${a} vs ${b}`);
  };
  // 1. isotropic: same as synthetic.ts's oracle on the same rows
  {
    const spec: GaussSpec = { C: 4, d: 12, sigma: 0.5, rho: 0.5, block: 1, mixSeed: 1 };
    const gen = new GaussGenerator(spec);
    const b = gen.batch(300, new Rng(5));
    const e = (k: number) => Array.from({ length: spec.d }, (_, i) => (i === k ? 1 : 0));
    const model: LatentModel = { name: 't', nClasses: spec.C, d1: spec.d, d2: spec.d, sigma: spec.sigma, rho: spec.rho, latents: Array.from({ length: spec.C }, (_, y) => ({ prior: 1 / spec.C, y, mu1: e(y), mu2: e(y) })) };
    const ref = oracle({ model, emb1: denseMatrix(300, spec.d, b.x1), emb2: denseMatrix(300, spec.d, b.x2), labels: b.labels });
    for (let i = 0; i < 300; i++) for (const k of ['i1', 'i2', 'i12', 'h1', 'h2'] as const) check(`isotropic ${k}[${i}]`, b[k][i], ref[k][i]);
  }
  // 2. block-correlated: dense joint Gaussian of (x1, x2) given y, and of each modality
  {
    const spec: GaussSpec = { C: 3, d: 8, sigma: 0.7, rho: 0.4, block: 4, mixSeed: 3 };
    const { d, C, sigma, rho, block: bs } = spec;
    const gen = new GaussGenerator(spec);
    const b = gen.batch(200, new Rng(9));
    // Σ1 = σ² (I ⊗ B Bᵀ); joint = [[Σ1, ρΣ1], [ρΣ1, Σ1]]
    const S1 = new Float64Array(d * d);
    for (let blk = 0; blk < d; blk += bs) {
      for (let i = 0; i < bs; i++) {
        for (let j = 0; j < bs; j++) {
          let s = 0;
          for (let k = 0; k < bs; k++) s += gen.B[i * bs + k] * gen.B[j * bs + k];
          S1[(blk + i) * d + blk + j] = sigma * sigma * s;
        }
      }
    }
    const J = new Float64Array(4 * d * d);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        const v = S1[i * d + j];
        J[i * 2 * d + j] = v;
        J[(d + i) * 2 * d + d + j] = v;
        J[i * 2 * d + d + j] = rho * v;
        J[(d + i) * 2 * d + j] = rho * v;
      }
    }
    const L1 = cholesky(S1, d);
    const LJ = cholesky(J, 2 * d);
    const lse = (a: number[]) => {
      const m = Math.max(...a);
      return m + Math.log(a.reduce((s, v) => s + Math.exp(v - m), 0));
    };
    for (let i = 0; i < 200; i++) {
      const x1 = Float64Array.from(b.x1.subarray(i * d, (i + 1) * d));
      const x2 = Float64Array.from(b.x2.subarray(i * d, (i + 1) * d));
      const x12 = new Float64Array(2 * d);
      x12.set(x1);
      x12.set(x2, d);
      const l1: number[] = [];
      const l2: number[] = [];
      const l12: number[] = [];
      for (let y = 0; y < C; y++) {
        const mu = new Float64Array(d);
        mu[y] = 1;
        const mu12 = new Float64Array(2 * d);
        mu12[y] = 1;
        mu12[d + y] = 1;
        l1.push(Math.log(1 / C) + logNormalDense(x1, mu, L1, d));
        l2.push(Math.log(1 / C) + logNormalDense(x2, mu, L1, d));
        l12.push(Math.log(1 / C) + logNormalDense(x12, mu12, LJ, 2 * d));
      }
      const y = b.labels[i];
      check(`block h1[${i}]`, b.h1[i], -lse(l1));
      check(`block h2[${i}]`, b.h2[i], -lse(l2));
      check(`block i1[${i}]`, b.i1[i], l1[y] - lse(l1) - Math.log(1 / C));
      check(`block i2[${i}]`, b.i2[i], l2[y] - lse(l2) - Math.log(1 / C));
      check(`block i12[${i}]`, b.i12[i], l12[y] - lse(l12) - Math.log(1 / C));
    }
  }
  process.stderr.write(`generator self-test passed (largest difference ${worst.toExponential(2)})\n`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--selftest') return selftest();
  const [specFile, outDir] = args;
  const { name, data } = JSON.parse(fs.readFileSync(specFile, 'utf8')) as { name: string; data: DataSpec };
  await generate(data, outDir, name);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
