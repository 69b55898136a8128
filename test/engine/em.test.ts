import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initBackend, tf } from '../../src/engine/compute/backend';
import { fitGmm, gmmLogPdf, SHRINK_GRID, type GmmParams } from '../../src/engine/estimate/density/em';
import { resolveFullFit } from '../../src/engine/estimate/density/search';
import { fullStep } from '../../src/engine/estimate/density/full';
import { TransposedBlocks } from '../../src/engine/estimate/density/rows';
import { DEFAULT_SETTINGS, resolveSettings, type EmSettings } from '../../src/engine/estimate/settings';
import { denseMatrix, matrixFromChunks, type Matrix } from '../../src/engine/io/matrix';
import { Rng } from '../../src/engine/random';

const LOG_2PI = Math.log(2 * Math.PI);
const EM: EmSettings = DEFAULT_SETTINGS.em;

/** A Gaussian component x = μ + A·ε with A lower triangular (so Σ = A·Aᵀ is its Cholesky form). */
interface TrueComponent {
  weight: number;
  mean: number[];
  /** d×d row-major, lower triangular, positive diagonal. */
  A: number[];
}

function diagComponent(weight: number, mean: number[], sd: number[]): TrueComponent {
  const d = mean.length;
  const A = new Array<number>(d * d).fill(0);
  sd.forEach((s, j) => (A[j * d + j] = s));
  return { weight, mean, A };
}

function sample(comps: TrueComponent[], n: number, rng: Rng, offset = 0): Float32Array {
  const d = comps[0].mean.length;
  const out = new Float32Array(n * d);
  const eps = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    let u = rng.random();
    let c = comps[comps.length - 1];
    for (const comp of comps) {
      if (u < comp.weight) {
        c = comp;
        break;
      }
      u -= comp.weight;
    }
    for (let j = 0; j < d; j++) eps[j] = rng.normal();
    for (let a = 0; a < d; a++) {
      let v = c.mean[a] + offset;
      for (let b = 0; b <= a; b++) v += c.A[a * d + b] * eps[b];
      out[i * d + a] = v;
    }
  }
  return out;
}

/** Mean log-density of the rows under the true mixture, float64. */
function trueMeanLogLik(comps: TrueComponent[], x: Float32Array, d: number, offset = 0): number {
  const n = x.length / d;
  const z = new Float64Array(d);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const terms = comps.map((c) => {
      // solve A·z = x − μ
      let logDet = 0;
      let q = 0;
      for (let a = 0; a < d; a++) {
        let s = x[i * d + a] - offset - c.mean[a];
        for (let b = 0; b < a; b++) s -= c.A[a * d + b] * z[b];
        z[a] = s / c.A[a * d + a];
        q += z[a] * z[a];
        logDet += Math.log(c.A[a * d + a]);
      }
      return Math.log(c.weight) - logDet - 0.5 * q - 0.5 * d * LOG_2PI;
    });
    total += logSumExp(terms);
  }
  return total / n;
}

function logSumExp(v: number[]): number {
  const m = Math.max(...v);
  return m + Math.log(v.reduce((s, t) => s + Math.exp(t - m), 0));
}

/** Straightforward float64 evaluation of log p̂(x) for the given parameters. */
function referenceLogPdf(p: GmmParams, x: Float32Array): Float64Array {
  const d = p.d;
  const n = x.length / d;
  const out = new Float64Array(n);
  const r = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const terms: number[] = [];
    for (let k = 0; k < p.K; k++) {
      for (let j = 0; j < d; j++) r[j] = x[i * d + j] - p.center[j] - p.means[k * d + j];
      let q = 0;
      let logDet = 0;
      if (p.covariance === 'diag') {
        for (let j = 0; j < d; j++) {
          const v = p.variances![k * d + j];
          q += (r[j] * r[j]) / v;
          logDet += Math.log(v);
        }
      } else {
        const W = p.precisionChol!.subarray(k * d * d, (k + 1) * d * d);
        for (let b = 0; b < d; b++) {
          let z = 0;
          for (let a = 0; a <= b; a++) z += r[a] * W[a * d + b];
          q += z * z;
          logDet -= 2 * Math.log(W[b * d + b]);
        }
      }
      terms.push(p.logWeights[k] - 0.5 * logDet - 0.5 * q);
    }
    out[i] = logSumExp(terms) - 0.5 * d * LOG_2PI;
  }
  return out;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const tol = rel * Math.max(1, Math.abs(expected[i]));
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) assert.fail(`${what}[${i}] = ${actual[i]}, expected ${expected[i]} (±${tol})`);
  }
}

function mean(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  return s / v.length;
}

function assertFiniteParams(p: GmmParams): void {
  for (const [name, v] of Object.entries({ logWeights: p.logWeights, means: p.means, variances: p.variances, precisionChol: p.precisionChol, logDet: p.logDet })) {
    if (v) assert.ok(v.every(Number.isFinite), `${name} has non-finite values`);
  }
  assert.ok(Number.isFinite(p.meanLogLik), 'meanLogLik');
}

/** Splits a dense matrix into uneven chunks, as an Arrow file with several record batches would. */
function chunked(data: Float32Array, d: number, sizes: number[]): Matrix {
  const parts: Float32Array[] = [];
  let start = 0;
  for (const s of sizes) {
    parts.push(data.subarray(start * d, (start + s) * d));
    start += s;
  }
  parts.push(data.subarray(start * d));
  return matrixFromChunks(d, parts);
}

describe('EM Gaussian mixture', () => {
  before(async () => {
    await initBackend();
  });

  const threeBlobs = [
    diagComponent(0.5, [0, 0, 0, 0], [1, 0.5, 2, 1]),
    diagComponent(0.3, [6, -4, 3, 0], [0.7, 1, 1, 0.3]),
    diagComponent(0.2, [-5, 5, -6, 4], [1.5, 0.8, 0.5, 2]),
  ];

  it('recovers a known diagonal mixture (d=4, K=3) and its log-likelihood', async () => {
    const d = 4;
    const x = sample(threeBlobs, 6000, new Rng(1));
    const p = await fitGmm(denseMatrix(6000, d, x), { K: 3, covariance: 'diag', em: EM, rng: new Rng(2) });
    assert.equal(p.K, 3);
    assert.ok(p.converged, `not converged after ${p.iterations} iterations`);
    for (const c of threeBlobs) {
      // the fitted component nearest to the true mean (in uncentred coordinates)
      let best = 0;
      let bestDist = Infinity;
      for (let k = 0; k < p.K; k++) {
        let dist = 0;
        for (let j = 0; j < d; j++) dist += (p.means[k * d + j] + p.center[j] - c.mean[j]) ** 2;
        if (dist < bestDist) [best, bestDist] = [k, dist];
      }
      assert.ok(Math.abs(Math.exp(p.logWeights[best]) - c.weight) < 0.02, `weight ${Math.exp(p.logWeights[best])} vs ${c.weight}`);
      for (let j = 0; j < d; j++) {
        const sd = c.A[j * d + j];
        const mu = p.means[best * d + j] + p.center[j];
        assert.ok(Math.abs(mu - c.mean[j]) < 0.1 * sd, `mean ${mu} vs ${c.mean[j]}`);
        const v = p.variances![best * d + j];
        assert.ok(Math.abs(v / (sd * sd) - 1) < 0.15, `variance ${v} vs ${sd * sd}`);
      }
    }
    const truth = trueMeanLogLik(threeBlobs, x, d);
    assert.ok(Math.abs(p.meanLogLik - truth) < 0.02, `fitted ${p.meanLogLik} vs true ${truth}`);
    const scored = await gmmLogPdf(p, denseMatrix(6000, d, x));
    assert.ok(Math.abs(mean(scored) - p.meanLogLik) < 1e-4, `scored mean ${mean(scored)} vs fit ${p.meanLogLik}`);
  });

  it('scores like a float64 evaluation, far from the origin too (diag and full)', async () => {
    const d = 4;
    const offset = 1000;
    const n = 9000;
    const x = sample(threeBlobs, n, new Rng(3), offset);
    // append rows far from every component
    const far = new Float32Array((n + 20) * d);
    far.set(x);
    const rng = new Rng(4);
    for (let i = n * d; i < far.length; i++) far[i] = offset + 60 * rng.normal();
    for (const covariance of ['diag', 'full'] as const) {
      const p = await fitGmm(denseMatrix(n, d, x), { K: 3, covariance, em: EM, rng: new Rng(5) });
      assert.ok(Math.abs(p.center[0] - offset) < 10);
      const got = await gmmLogPdf(p, denseMatrix(n + 20, d, far));
      assertClose(got, referenceLogPdf(p, far), 1e-4, covariance);
      // the same rows in uneven chunks: blocks that span chunks, views into a chunk, a short tail
      const again = await gmmLogPdf(p, chunked(far, d, [1, 4095, 4100, 2]));
      assert.deepEqual(again, got, `${covariance}: chunked`);
    }
  });

  it('stays exact for a narrow component far from the centre', async () => {
    // centred coordinates: a component of width 1e-3 at distance 10, and a broad one at the origin
    const d = 3;
    const center = Float64Array.from([1000.25, -3.5, 7]);
    const means = Float64Array.from([10, -10, 10, 0, 0, 0]);
    const sds = [1e-3, 2e-3, 1.5e-3, 1, 1, 1];
    const rng = new Rng(6);
    const n = 200;
    const x = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const k = i % 2;
      for (let j = 0; j < d; j++) x[i * d + j] = center[j] + means[k * d + j] + sds[k * d + j] * 3 * rng.normal();
    }
    const common = { K: 2, d, center, logWeights: Float64Array.from([Math.log(0.4), Math.log(0.6)]), means, logDet: new Float64Array(2), iterations: 0, converged: true, meanLogLik: 0, fitRows: 0 };
    const diag: GmmParams = { ...common, covariance: 'diag', variances: Float64Array.from(sds, (s) => s * s) };
    assertClose(await gmmLogPdf(diag, denseMatrix(n, d, x)), referenceLogPdf(diag, x), 1e-4, 'diag');
    // full: W_k upper triangular with the same scales and some correlation
    const W = new Float64Array(2 * d * d);
    for (let k = 0; k < 2; k++) {
      for (let a = 0; a < d; a++) {
        W[k * d * d + a * d + a] = 1 / sds[k * d + a];
        for (let b = a + 1; b < d; b++) W[k * d * d + a * d + b] = 0.3 / sds[k * d + a];
      }
    }
    const full: GmmParams = { ...common, covariance: 'full', precisionChol: W };
    assertClose(await gmmLogPdf(full, denseMatrix(n, d, x)), referenceLogPdf(full, x), 1e-4, 'full');
  });

  it('full covariance fits correlated data (d=6) as well as the true density, and beats diagonal', async () => {
    const d = 6;
    const rng = new Rng(7);
    const lower = (scale: number): number[] => {
      const A = new Array<number>(d * d).fill(0);
      for (let a = 0; a < d; a++) {
        A[a * d + a] = scale * (0.3 + rng.random());
        for (let b = 0; b < a; b++) A[a * d + b] = scale * (rng.random() * 2 - 1);
      }
      return A;
    };
    const comps: TrueComponent[] = [
      { weight: 0.6, mean: [0, 0, 0, 0, 0, 0], A: lower(1) },
      { weight: 0.4, mean: [8, -8, 8, -8, 8, -8], A: lower(0.7) },
    ];
    const n = 6000;
    const x = sample(comps, n, rng);
    const X = denseMatrix(n, d, x);
    const full = await fitGmm(X, { K: 2, covariance: 'full', em: EM, rng: new Rng(8) });
    const diag = await fitGmm(X, { K: 2, covariance: 'diag', em: EM, rng: new Rng(8) });
    const truth = trueMeanLogLik(comps, x, d);
    assert.equal(full.fitRows, n);
    assert.ok(Math.abs(full.meanLogLik - truth) < 0.02, `full ${full.meanLogLik} vs true ${truth}`);
    assert.ok(full.meanLogLik > diag.meanLogLik + 0.1, `full ${full.meanLogLik} vs diag ${diag.meanLogLik}`);
    const scored = await gmmLogPdf(full, X);
    assert.ok(Math.abs(mean(scored) - full.meanLogLik) < 1e-4);
  });

  it('a constant dimension and duplicated rows give finite parameters and scores (variance floor)', async () => {
    const d = 5;
    const n = 2000;
    const rng = new Rng(9);
    const x = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) x[i * d + j] = j === 2 ? 3 : i < 0.4 * n ? [1, 2, 0, 4, 5][j] : rng.normal();
    }
    for (const covariance of ['diag', 'full'] as const) {
      const p = await fitGmm(denseMatrix(n, d, x), { K: 3, covariance, em: EM, rng: new Rng(10) });
      assertFiniteParams(p);
      const scores = await gmmLogPdf(p, denseMatrix(n, d, x));
      assert.ok(scores.every(Number.isFinite), `${covariance}: non-finite scores`);
      // the duplicated point is far more likely than the Gaussian rows
      assert.ok(scores[0] > scores[n - 1] + 5, `${covariance}: ${scores[0]} vs ${scores[n - 1]}`);
    }
    // fewer rows than components: starved components are dropped and EM carries on from there
    for (const n of [1, 2, 3, 7]) {
      const tiny = sample(threeBlobs, n, new Rng(30 + n));
      for (const covariance of ['diag', 'full'] as const) {
        const q = await fitGmm(denseMatrix(n, 4, tiny), { K: 5, covariance, em: EM, rng: new Rng(12) });
        assertFiniteParams(q);
        assert.ok(q.K <= Math.max(1, Math.floor(n / 2)), `${covariance}, ${n} rows: K = ${q.K}`);
        const scores = await gmmLogPdf(q, denseMatrix(n, 4, tiny));
        assert.ok(scores.every(Number.isFinite));
        if (covariance === 'diag' && n > 1) assert.ok(Math.min(...scores) > -50, `${n} rows: ${scores}`);
      }
    }
    // all rows identical: fewer distinct points than K
    const same = new Float32Array(50 * d).fill(2.5);
    const p = await fitGmm(denseMatrix(50, d, same), { K: 4, covariance: 'diag', em: EM, rng: new Rng(11) });
    assert.equal(p.K, 1);
    assertFiniteParams(p);
    assert.ok((await gmmLogPdf(p, denseMatrix(50, d, same))).every(Number.isFinite));
  });

  it('full covariance fits on a seeded subsample and scores every row', async () => {
    const d = 4;
    const n = 3000;
    const x = sample(threeBlobs, n, new Rng(12));
    const X = chunked(x, d, [700, 1300]);
    const p = await fitGmm(X, { K: 3, covariance: 'full', em: { ...EM, fitSubsample: 500 }, rng: new Rng(13) });
    assert.equal(p.fitRows, 500);
    const scores = await gmmLogPdf(p, X);
    assert.equal(scores.length, n);
    assert.ok(scores.every(Number.isFinite));
    // the subsample is representative: the held-in and all-rows log-likelihoods are close
    assert.ok(Math.abs(mean(scores) - p.meanLogLik) < 0.15, `all rows ${mean(scores)} vs fitted rows ${p.meanLogLik}`);
    // diagonal has its own limit, diagFitSubsample
    const diag = await fitGmm(X, { K: 3, covariance: 'diag', em: { ...EM, fitSubsample: 500 }, rng: new Rng(13) });
    assert.equal(diag.fitRows, n);
    const diagSub = await fitGmm(X, { K: 3, covariance: 'diag', em: { ...EM, diagFitSubsample: 800 }, rng: new Rng(13) });
    assert.equal(diagSub.fitRows, 800);
    const diagScores = await gmmLogPdf(diagSub, X);
    assert.equal(diagScores.length, n);
    assert.ok(Math.abs(mean(diagScores) - diagSub.meanLogLik) < 0.15, `all rows ${mean(diagScores)} vs fitted rows ${diagSub.meanLogLik}`);
  });


  it('full covariance: scatters summed over groups of small row blocks before read-back give the M-step of one read-back per block', async () => {
    const d = 4;
    const n = 5000;
    const X = denseMatrix(n, d, sample(threeBlobs, n, new Rng(14)));
    const p = await fitGmm(X, { K: 3, covariance: 'full', em: { ...EM, maxIter: 2 }, rng: new Rng(15) });
    const before = tf.memory().numTensors;
    // a model off the fit (covariances 2× too wide, means shifted), so that the M-step has work to do
    const model = { K: p.K, logWeights: p.logWeights, means: p.means.map((v) => v + 0.3), precisionChol: p.precisionChol!.map((v) => v / Math.SQRT2) };
    const next = async (rows: number) => {
      // rows 128: groups of 32 blocks (one whole group of 32 and a last one of 8); rows 4096: one block per read-back
      const step = fullStep({ X, center: p.center, floor: new Float64Array(d).fill(1e-6), rows, transposed: new TransposedBlocks(p.center, d, rows) });
      const { meanLogLik, next } = await step(model, true, () => {});
      return { meanLogLik, model: await next!() };
    };
    const grouped = await next(128);
    const single = await next(4096);
    assert.ok(Math.abs(grouped.meanLogLik - single.meanLogLik) < 1e-5);
    assert.equal(grouped.model.K, single.model.K);
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < single.model.precisionChol!.length; i++) {
      worst = Math.max(worst, Math.abs(grouped.model.precisionChol![i] - single.model.precisionChol![i]));
      scale = Math.max(scale, Math.abs(single.model.precisionChol![i]));
    }
    assert.ok(worst < 1e-4 * scale, `max |Δ precision factor| ${worst} (largest entry ${scale})`);
    // and they moved the model (the comparison is not of two no-ops)
    let moved = 0;
    for (let i = 0; i < model.precisionChol!.length; i++) moved = Math.max(moved, Math.abs(single.model.precisionChol![i] - model.precisionChol![i]));
    assert.ok(moved > 100 * worst, `the M-step moved the factor by ${moved}`);
    assert.equal(tf.memory().numTensors, before, 'no tensor left');
  });

  // determinism, aborts (and how promptly they stop), progress and tensor leaks of every fitter: fitter-conformance.test.ts
  it('aborts in the diagonal and the full-covariance phase and while scoring, leaving no tensors', async () => {
    const d = 8;
    const n = 40000;
    const x = sample([diagComponent(1, new Array(d).fill(0), new Array(d).fill(1))], n, new Rng(16));
    const X = denseMatrix(n, d, x);
    const before = tf.memory().numTensors;
    const isAbort = (e: unknown) => (e as Error).name === 'AbortError';

    await assert.rejects(fitGmm(X, { K: 3, covariance: 'diag', em: EM, rng: new Rng(17), signal: AbortSignal.abort() }), isAbort);

    // abort in the diagonal EM, and in the full-covariance phase (after the diagonal warm start)
    for (const [covariance, at] of [['diag', 0.05], ['full', 0.12]] as const) {
      const ac = new AbortController();
      let aborted = false;
      let afterAbort = 0;
      const fit = fitGmm(X, {
        K: 3,
        covariance,
        em: { ...EM, tol: 0, maxIter: 50 },
        rng: new Rng(18),
        signal: ac.signal,
        onProgress: (f) => {
          if (ac.signal.aborted) afterAbort++;
          else if (f > at) {
            ac.abort();
            aborted = true;
          }
        },
      });
      await assert.rejects(fit, isAbort);
      assert.ok(aborted, `${covariance}: never reached ${at}`);
      assert.ok(afterAbort <= 1, `${covariance}: ${afterAbort} progress reports after the abort`);
    }

    const p = await fitGmm(X, { K: 2, covariance: 'diag', em: { ...EM, maxIter: 2 }, rng: new Rng(19) });
    const ac = new AbortController();
    const scoring = gmmLogPdf(p, X, { signal: ac.signal, onProgress: () => ac.abort() });
    await assert.rejects(scoring, isAbort);
    assert.equal(tf.memory().numTensors, before);
  });


  /** d×d lower-triangular factor with random shear (a correlated covariance A·Aᵀ). */
  const shear = (d: number, scale: number, rng: Rng): number[] => {
    const A = new Array<number>(d * d).fill(0);
    for (let a = 0; a < d; a++) {
      A[a * d + a] = scale * (0.3 + rng.random());
      for (let b = 0; b < a; b++) A[a * d + b] = scale * (rng.random() * 2 - 1);
    }
    return A;
  };
  /** A shared factor repeated per component, for the float64 reference. */
  const expanded = (p: GmmParams): GmmParams => {
    const chol = new Float64Array(p.K * p.d * p.d);
    for (let k = 0; k < p.K; k++) chol.set(p.precisionChol!.subarray(0, p.d * p.d), k * p.d * p.d);
    return { ...p, precisionChol: chol };
  };

  it("full covariance 'shrunk': components sharing one correlated covariance give λ = 1, one factor, and the true density", async () => {
    const d = 8;
    const rng = new Rng(40);
    const A = shear(d, 1, rng);
    const comps: TrueComponent[] = [
      { weight: 0.5, mean: new Array(d).fill(0), A },
      { weight: 0.3, mean: new Array(d).fill(6), A },
      { weight: 0.2, mean: Array.from({ length: d }, (_, j) => (j % 2 ? 6 : -6)), A },
    ];
    const n = 8000;
    const X = denseMatrix(n, d, sample(comps, n, rng, 50));
    const p = await fitGmm(X, { K: 3, covariance: 'full', fullFit: 'shrunk', em: EM, rng: new Rng(41) });
    assert.equal(p.covariance, 'full');
    assert.equal(p.K, 3);
    assert.ok(p.shrinkage, 'the shrinkage is reported');
    assert.equal(p.shrinkage!.lambda, 1, JSON.stringify(p.shrinkage));
    assert.deepEqual(p.shrinkage!.tried.map((t) => t.lambda), SHRINK_GRID.slice(0, 2), 'the search stops at the first λ that is no better');
    assert.equal(p.shrinkage!.valRows, 800);
    assert.equal(p.precisionChol!.length, d * d, 'one shared factor');
    // λ = 1 continues as tied covariance on every row
    assert.equal(p.fitRows, n);
    assertFiniteParams(p);
    const fresh = sample(comps, 4000, new Rng(42), 50);
    const scores = await gmmLogPdf(p, denseMatrix(4000, d, fresh));
    assertClose(scores, referenceLogPdf(expanded(p), fresh), 2e-4, 'shared-factor scores');
    const truth = trueMeanLogLik(comps, fresh, d, 50);
    assert.ok(Math.abs(mean(scores) - truth) < 0.03, `fresh rows ${mean(scores)} vs true ${truth}`);
    // the same model as tied covariance fitted directly
    const tied = await fitGmm(X, { K: 3, covariance: 'tied', em: EM, rng: new Rng(41) });
    const tiedScores = await gmmLogPdf(tied, denseMatrix(4000, d, fresh));
    assert.ok(Math.abs(mean(scores) - mean(tiedScores)) < 0.01, `shrunk ${mean(scores)} vs tied ${mean(tiedScores)}`);
  });

  it("full covariance 'shrunk': components with their own covariances give λ < 1 and beat tied covariance on fresh rows", async () => {
    const d = 6;
    const rng = new Rng(43);
    const comps: TrueComponent[] = [
      { weight: 0.6, mean: [0, 0, 0, 0, 0, 0], A: shear(d, 1, rng) },
      { weight: 0.4, mean: [8, -8, 8, -8, 8, -8], A: shear(d, 0.7, rng) },
    ];
    const n = 6000;
    const X = denseMatrix(n, d, sample(comps, n, rng));
    const p = await fitGmm(X, { K: 2, covariance: 'full', fullFit: 'shrunk', em: EM, rng: new Rng(44) });
    assert.ok(p.shrinkage!.lambda < 0.5, JSON.stringify(p.shrinkage));
    assert.equal(p.precisionChol!.length, 2 * d * d);
    // λ < 1: fitted on the rows not held out
    assert.equal(p.fitRows, n - 600);
    const fresh = sample(comps, 4000, new Rng(45));
    const scores = await gmmLogPdf(p, denseMatrix(4000, d, fresh));
    assertClose(scores, referenceLogPdf(p, fresh), 2e-4, 'scores');
    const truth = trueMeanLogLik(comps, fresh, d);
    assert.ok(Math.abs(mean(scores) - truth) < 0.03, `fresh rows ${mean(scores)} vs true ${truth}`);
    const tied = await fitGmm(X, { K: 2, covariance: 'tied', em: EM, rng: new Rng(44) });
    const tiedScores = await gmmLogPdf(tied, denseMatrix(4000, d, fresh));
    assert.ok(mean(scores) > mean(tiedScores) + 0.1, `shrunk ${mean(scores)} vs tied ${mean(tiedScores)}`);
    // plain EM ('em') reaches the same density here
    const plain = await fitGmm(X, { K: 2, covariance: 'full', em: EM, rng: new Rng(44) });
    assert.equal(plain.shrinkage, undefined);
    assert.ok(Math.abs(mean(await gmmLogPdf(plain, denseMatrix(4000, d, fresh))) - mean(scores)) < 0.02);
  });

  it("em.fullFit 'auto': plain EM while its predicted cost fits the density budget, the shrunk fit beyond", () => {
    const at = (N: number, d: number, K: number, em: Partial<EmSettings> = {}) => resolveFullFit(resolveSettings({ em: { ...EM, ...em } }), N, d, K).fullFit;
    assert.equal(at(6000, 6, 2), 'em');
    assert.equal(at(10000, 64, 4), 'em');
    assert.equal(at(100000, 512, 10), 'shrunk');
    assert.equal(at(100000, 512, 10, { fullFit: 'em' }), 'em');
    assert.equal(at(6000, 6, 2, { fullFit: 'shrunk' }), 'shrunk');
  });

  // EM's speed is measured by `npm run bench` (cases at N = 1e5, d = 512; BENCHMARKS.md), not here
});
