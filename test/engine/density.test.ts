/**
 * The density model behind estimateDensity (src/engine/estimate/density/): tied covariance against a
 * direct float64 evaluation, and the 'auto' search (held-out log-likelihood, within a budget) on data
 * whose exact densities are known (src/engine/synthetic.ts).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initBackend, tf } from '../../src/engine/compute/backend';
import { LsmiInputError } from '../../src/engine/errors';
import { decompose } from '../../src/engine/estimate/decompose';
import { estimateDensity, type DensityFit } from '../../src/engine/estimate/density';
import { fitGmm, gmmLogPdf, prepareFitRows, type GmmParams } from '../../src/engine/estimate/density/em';
import { SEED_ROWS } from '../../src/engine/estimate/density/init';
import { resolveSettings, type SettingsInput } from '../../src/engine/estimate/settings';
import { denseMatrix, matrixRow, type Matrix } from '../../src/engine/io/matrix';
import { Rng } from '../../src/engine/random';
import { circuitModel, gaussianModel, oracle, pearson, sample, sampleSubspace, type OracleTerms } from '../../src/engine/synthetic';

const LOG_2PI = Math.log(2 * Math.PI);

/** log p̂(x) of a tied mixture, straight from its parameters in float64: Σ⁻¹ = W·Wᵀ shared, z = (x − c − μ_k)·W. */
function tiedReference(p: GmmParams, X: Matrix): Float64Array {
  const { d, K } = p;
  const W = p.precisionChol!;
  assert.equal(W.length, d * d, 'a tied mixture has one d×d factor');
  let logDetPrec = 0;
  for (let j = 0; j < d; j++) logDetPrec += Math.log(W[j * d + j]);
  const out = new Float64Array(X.rows);
  const r = new Float64Array(d);
  for (let i = 0; i < X.rows; i++) {
    const x = matrixRow(X, i);
    const terms: number[] = [];
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < d; j++) r[j] = x[j] - p.center[j] - p.means[k * d + j];
      let q = 0;
      for (let m = 0; m < d; m++) {
        let z = 0;
        for (let j = 0; j < d; j++) z += r[j] * W[j * d + m];
        q += z * z;
      }
      terms.push(p.logWeights[k] + logDetPrec - 0.5 * q - 0.5 * d * LOG_2PI);
    }
    const top = Math.max(...terms);
    out[i] = top + Math.log(terms.reduce((s, t) => s + Math.exp(t - top), 0));
  }
  return out;
}

/** Rows x = μ_y + A·ε (+ offset), three clusters sharing one random full covariance A·Aᵀ (anisotropic, rotated). */
function tiedData(n: number, d: number, seed: number, offset = 0): { X: Matrix; trueLogPdf: Float64Array } {
  const rng = new Rng(seed);
  const A = new Float64Array(d * d);
  for (let a = 0; a < d; a++) for (let b = 0; b <= a; b++) A[a * d + b] = a === b ? Math.exp(rng.uniform(-1, 1)) : 0.8 * rng.normal();
  const means = Array.from({ length: 3 }, () => Float64Array.from({ length: d }, () => 4 * rng.normal()));
  const weights = [0.5, 0.3, 0.2];
  const x = new Float32Array(n * d);
  const eps = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const u = rng.random();
    const k = u < 0.5 ? 0 : u < 0.8 ? 1 : 2;
    for (let j = 0; j < d; j++) eps[j] = rng.normal();
    for (let a = 0; a < d; a++) {
      let v = means[k][a] + offset;
      for (let b = 0; b <= a; b++) v += A[a * d + b] * eps[b];
      x[i * d + a] = v;
    }
  }
  // the true density, in float64: solve A·z = x − μ_k
  let logDetA = 0;
  for (let j = 0; j < d; j++) logDetA += Math.log(A[j * d + j]);
  const trueLogPdf = new Float64Array(n);
  const z = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const terms = means.map((mu, k) => {
      let q = 0;
      for (let a = 0; a < d; a++) {
        let s = x[i * d + a] - offset - mu[a];
        for (let b = 0; b < a; b++) s -= A[a * d + b] * z[b];
        z[a] = s / A[a * d + a];
        q += z[a] * z[a];
      }
      return Math.log(weights[k]) - logDetA - 0.5 * q - 0.5 * d * LOG_2PI;
    });
    const top = Math.max(...terms);
    trueLogPdf[i] = top + Math.log(terms.reduce((s, t) => s + Math.exp(t - top), 0));
  }
  return { X: denseMatrix(n, d, x), trueLogPdf };
}

const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;

/** Estimated densities of both modalities with the given settings; per-sample r_raw against the oracle's (exact MIs, so only h is estimated). */
async function fidelity(data: { emb1: Matrix; emb2: Matrix }, exact: OracleTerms, input: SettingsInput): Promise<{ pearson: number; fits: DensityFit[] }> {
  const settings = resolveSettings(input);
  const fits = [await estimateDensity(data.emb1, settings, { rng: new Rng(1) }), await estimateDensity(data.emb2, settings, { rng: new Rng(2) })];
  const h = fits.map((f) => f.logp.map((v) => -v));
  const est = decompose({ i1: exact.i1, i2: exact.i2, i12: exact.i12, h1: h[0], h2: h[1] });
  return { pearson: pearson(est.raw.r, decompose(exact).raw.r), fits };
}

const describeSearch = (f: DensityFit) =>
  (f.report.search?.candidates ?? []).map((c) => `${c.covariance} K=${c.K}: ${c.heldOutLogLik?.toFixed(3) ?? c.skipped}`).join('; ');

describe('tied covariance', () => {
  before(async () => {
    await initBackend();
  });

  it('scores like a direct float64 evaluation (also far from the origin), and its fit log-likelihood is that of its fit rows', async () => {
    // a large variance floor too, so that the floor's share of the closed-form trace is visible
    for (const [offset, varFloor] of [[0, 1e-6], [1000, 1e-6], [0, 0.2]]) {
      const { X } = tiedData(3000, 6, 3, offset);
      const p = await fitGmm(X, { K: 3, covariance: 'tied', em: { ...resolveSettings().em, varFloor }, rng: new Rng(4) });
      assert.equal(p.covariance, 'tied');
      const got = await gmmLogPdf(p, X);
      const want = tiedReference(p, X);
      let worst = 0;
      for (let i = 0; i < X.rows; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
      assert.ok(worst < 2e-4, `offset ${offset}: max |tfjs − float64| = ${worst}`);
      // the E-step's closed-form mean of x·Σ⁻¹·xᵀ (see tied.ts) gives the same mean log-likelihood as scoring
      assert.ok(Math.abs(mean(got) - p.meanLogLik) < 1e-3, `offset ${offset}: fit ${p.meanLogLik} vs scored ${mean(got)}`);
      // the reported log-determinant is that of the shared covariance, for every component
      const logDet = -2 * Array.from({ length: 6 }, (_, j) => Math.log(p.precisionChol![j * 6 + j])).reduce((s, v) => s + v, 0);
      for (const v of p.logDet) assert.ok(Math.abs(v - logDet) < 1e-9);
    }
  });

  it('fits shared rotated anisotropic noise as well as the true density, far better than diagonal, and starts from given parameters', async () => {
    const { X, trueLogPdf } = tiedData(4000, 6, 5);
    const em = resolveSettings().em;
    const tied = await fitGmm(X, { K: 3, covariance: 'tied', em, rng: new Rng(7) });
    const diag = await fitGmm(X, { K: 3, covariance: 'diag', em, rng: new Rng(7) });
    assert.ok(tied.converged);
    // in-sample, against the true density of the same rows (K·d + d(d+1)/2 parameters for 4000 rows: little optimism)
    assert.ok(Math.abs(tied.meanLogLik - mean(trueLogPdf)) < 0.05, `tied ${tied.meanLogLik} vs true ${mean(trueLogPdf)}`);
    assert.ok(tied.meanLogLik > diag.meanLogLik + 0.5, `tied ${tied.meanLogLik} vs diag ${diag.meanLogLik}`);
    // warm start: from its own fit, EM has (almost) nothing left to do
    const again = await fitGmm(X, { K: 3, covariance: 'tied', em, rng: new Rng(8), init: tied });
    assert.ok(again.iterations <= 2, `${again.iterations} iterations from a converged start`);
    assert.ok(Math.abs(again.meanLogLik - tied.meanLogLik) < 1e-3);
  });

  it('fitted on a subsample, continues on every row: the maximum-likelihood fit of all rows (K = 1: the sample covariance), not of the subsample', async () => {
    const n = 6000;
    const d = 8;
    const { X } = tiedData(n, d, 21);
    const em = resolveSettings().em;
    const sub = { ...em, diagFitSubsample: 1500 };
    const one = await fitGmm(X, { K: 1, covariance: 'tied', em: sub, rng: new Rng(22) });
    assert.equal(one.fitRows, n, 'every row is fitted');
    // the oracle: the Gaussian with the sample mean and covariance (divisor n) of all rows, in float64
    const x = (i: number, j: number) => X.chunks[0].data[i * d + j];
    const mu = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mu[j] += x(i, j) / n;
    const L = new Float64Array(d * d);
    for (let i = 0; i < n; i++) for (let a = 0; a < d; a++) for (let b = 0; b <= a; b++) L[a * d + b] += ((x(i, a) - mu[a]) * (x(i, b) - mu[b])) / n;
    for (let j = 0; j < d; j++) {
      for (let k = 0; k < j; k++) L[j * d + j] -= L[j * d + k] ** 2;
      L[j * d + j] = Math.sqrt(L[j * d + j]);
      for (let i = j + 1; i < d; i++) {
        for (let k = 0; k < j; k++) L[i * d + j] -= L[i * d + k] * L[j * d + k];
        L[i * d + j] /= L[j * d + j];
      }
    }
    let logDet = 0;
    for (let j = 0; j < d; j++) logDet += 2 * Math.log(L[j * d + j]);
    const got = await gmmLogPdf(one, X);
    const z = new Float64Array(d);
    let worst = 0;
    for (let i = 0; i < n; i++) {
      let q = 0;
      for (let a = 0; a < d; a++) {
        let t = x(i, a) - mu[a];
        for (let b = 0; b < a; b++) t -= L[a * d + b] * z[b];
        z[a] = t / L[a * d + a];
        q += z[a] ** 2;
      }
      worst = Math.max(worst, Math.abs(got[i] - (-0.5 * (d * LOG_2PI + logDet + q))));
    }
    // (the variance floor, 1e-6 of each dimension's variance, moves this correlated density by a few 1e-3 nats)
    assert.ok(worst < 1e-2, `max |refined fit − sample-covariance Gaussian| = ${worst}`);
    // the same as fitting every row from the start; a fit of the subsample alone is visibly another density
    const whole = await gmmLogPdf(await fitGmm(X, { K: 1, covariance: 'tied', em, rng: new Rng(22) }), X);
    const rows = prepareFitRows(X, 1500, SEED_ROWS, em.varFloor, new Rng(22));
    const alone = await gmmLogPdf(await fitGmm(rows.X, { K: 1, covariance: 'tied', em, rng: new Rng(22), rows }), X);
    let same = 0;
    let apart = 0;
    for (let i = 0; i < n; i++) {
      same = Math.max(same, Math.abs(got[i] - whole[i]));
      apart = Math.max(apart, Math.abs(alone[i] - whole[i]));
    }
    assert.ok(same < 5e-3, `refined vs fitted on every row: ${same}`); // the floors differ (from the subsample's seed rows)
    assert.ok(apart > 20 * Math.max(same, worst), `the subsample's own fit is ${apart} from the fit of every row`);
    // K = 3: the same optimum as a fit on every row from the start
    const three = await fitGmm(X, { K: 3, covariance: 'tied', em: sub, rng: new Rng(23) });
    const all = await fitGmm(X, { K: 3, covariance: 'tied', em, rng: new Rng(23) });
    assert.equal(three.fitRows, n);
    assert.equal(all.fitRows, n);
    assert.ok(three.converged);
    assert.ok(Math.abs(three.meanLogLik - all.meanLogLik) < 2e-3, `refined ${three.meanLogLik} vs fitted on every row ${all.meanLogLik}`);
    const a = await gmmLogPdf(three, X);
    const b = await gmmLogPdf(all, X);
    let diff = 0;
    for (let i = 0; i < n; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
    assert.ok(diff < 0.05, `max per-row difference ${diff}`);
  });

  it('aborts while continuing on every row, with an AbortError and no tensor left', async () => {
    const { X } = tiedData(6000, 8, 24);
    const before = tf.memory().numTensors;
    const ac = new AbortController();
    let seen = 0;
    await assert.rejects(
      fitGmm(X, {
        K: 3,
        covariance: 'tied',
        em: { ...resolveSettings().em, diagFitSubsample: 1500 },
        rng: new Rng(25),
        signal: ac.signal,
        onProgress: (f) => {
          seen = Math.max(seen, f);
          // past the subsample's share of the progress (0.5): the passes over every row
          if (f > 0.6) ac.abort();
        },
      }),
      (e: Error) => e.name === 'AbortError',
    );
    assert.ok(seen > 0.6 && seen < 1, `aborted at progress ${seen}`);
    assert.equal(tf.memory().numTensors, before);
  });

});

describe("density search ('auto' K and covariance, by held-out log-likelihood)", () => {
  before(async () => {
    await initBackend();
  });

  it('circuit XOR+NOT (4 clusters per modality): picks K ≥ 4, and per-sample r follows the oracle', async () => {
    const data = sample(circuitModel('xor_not_a'), 4000, 13);
    const { pearson: p, fits } = await fidelity(data, oracle(data), {});
    for (const f of fits) assert.ok(f.report.K >= 4, `K = ${f.report.K} (${describeSearch(f)})`);
    assert.ok(p > 0.99, `Pearson ${p}`);
  });

  it('rotated anisotropic noise (no diagonal density fits it): picks tied or full covariance, and beats diagonal K = 5 per sample', async () => {
    const data = sampleSubspace({ nClasses: 4, d: 24, k: 4, sep: 0.5, rho: 0.5, spread: 1, modelSeed: 1 }, 4000, 2);
    const auto = await fidelity(data, data.oracle, {});
    for (const f of auto.fits) {
      assert.ok(f.report.covariance === 'tied' || f.report.covariance === 'full', `${f.report.covariance} K=${f.report.K} (${describeSearch(f)})`);
      // diagonal mixtures gain little per doubling of K, far below tied: the search stops trying them
      const diagTried = f.report.search!.candidates.filter((c) => c.covariance === 'diag' && c.heldOutLogLik !== null);
      assert.ok(diagTried.length <= 3, describeSearch(f));
      assert.ok(f.report.search!.candidates.some((c) => c.covariance === 'diag' && /diag covariance stopped/.test(c.skipped ?? '')), describeSearch(f));
    }
    const diag = await fidelity(data, data.oracle, { covariance: 'diag', components: 5 });
    assert.ok(auto.pearson > diag.pearson + 0.05, `auto ${auto.pearson} vs diag K=5 ${diag.pearson}`);
    assert.ok(auto.pearson > 0.97, `auto ${auto.pearson}`);
  });

  it('isotropic Gaussian classes (the demo generator, C = d = 32): no huge K, and no worse per sample than a fixed K = 5', async () => {
    const data = sample(gaussianModel(32, 0.5, 0.5), 4000, 7);
    const exact = oracle(data);
    const auto = await fidelity(data, exact, {});
    for (const f of auto.fits) {
      assert.ok(f.report.K <= 4, `K = ${f.report.K} (${describeSearch(f)})`);
      // once more components stop helping, no larger K is fitted
      const fitted = f.report.search!.candidates.filter((c) => c.heldOutLogLik !== null);
      assert.ok(Math.max(...fitted.map((c) => c.K)) <= 8, describeSearch(f));
      assert.ok(f.report.search!.candidates.some((c) => /stopped: at K = \d+ its held-out log-likelihood was not significantly above/.test(c.skipped ?? '')), describeSearch(f));
    }
    const big = await fidelity(data, exact, { covariance: 'diag', components: 32 });
    const five = await fidelity(data, exact, { covariance: 'diag', components: 5 });
    assert.ok(auto.pearson > big.pearson, `auto ${auto.pearson} vs K=32 ${big.pearson}`);
    assert.ok(auto.pearson >= five.pearson - 0.002, `auto ${auto.pearson} vs K=5 ${five.pearson}`);
  });

  it('reports every candidate, with its held-out log-likelihood or why it was skipped, and the choice', async () => {
    const data = sample(circuitModel('xor_not_a'), 3000, 17);
    const settings = resolveSettings({ densitySearch: { candidates: [8, 1, 2, 4], maxRows: 2500, valFraction: 0.25 } });
    const seen: number[] = [];
    const fit = await estimateDensity(data.emb1, settings, { rng: new Rng(3), onProgress: (f) => seen.push(f) });
    const s = fit.report.search!;
    assert.ok(s, 'a search report');
    // every K × covariance, K ascending, diag / tied / full within a K
    assert.deepEqual(
      s.candidates.map((c) => `${c.covariance} ${c.K}`),
      [1, 2, 4, 8].flatMap((K) => ['diag', 'tied', 'full'].map((c) => `${c} ${K}`)),
    );
    assert.equal(s.valRows, 625);
    assert.equal(s.fitRows, 1875);
    assert.equal(s.budgetSeconds, settings.densitySearch.budgetSeconds);
    assert.ok(s.seconds > 0);
    for (const c of s.candidates) {
      assert.ok((c.heldOutLogLik === null) === (c.skipped !== undefined), `${c.covariance} K=${c.K}: exactly one of a held-out value and a reason`);
      if (c.heldOutLogLik !== null) {
        assert.ok(Number.isFinite(c.heldOutLogLik) && c.seconds > 0 && c.predictedSeconds! > 0 && c.iterations! >= 0 && c.keptK! <= c.K);
      } else {
        assert.equal(c.seconds, 0);
      }
    }
    assert.equal(s.candidates.find((c) => c.covariance === 'full' && c.K === 1)!.skipped, 'the same model as tied covariance at K = 1');
    const chosen = s.candidates[s.chosen];
    assert.equal(chosen.covariance, fit.report.covariance);
    assert.ok(chosen.heldOutLogLik !== null);
    // the choice is the best held-out value or within reach of it with fewer parameters (one-SE rule); K = 1 and 2 are far off
    const bestLl = Math.max(...s.candidates.map((c) => c.heldOutLogLik ?? -Infinity));
    assert.ok(chosen.heldOutLogLik! > bestLl - 0.05, `chosen ${chosen.heldOutLogLik} vs best ${bestLl}`);
    assert.ok(chosen.K >= 4);
    // refitted on the usual rows (all 3000 here) from the search's fit, every row scored
    assert.equal(fit.report.fitRows, 3000);
    assert.equal(fit.logp.length, 3000);
    assert.ok(fit.logp.every(Number.isFinite));
    assert.ok(Math.abs(mean(fit.logp) - fit.report.meanLogLik) < 1e-3);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i] >= seen[i - 1], 'progress never decreases');
    assert.equal(seen[seen.length - 1], 1);
  });

  it('with the covariance fixed searches K only, and with K fixed the covariance only', async () => {
    const data = sample(circuitModel('xor_not_a'), 2000, 19);
    const small = { densitySearch: { candidates: [1, 2, 4, 8] } };
    const kOnly = await estimateDensity(data.emb1, resolveSettings({ ...small, covariance: 'diag' }), { rng: new Rng(1) });
    const s1 = kOnly.report.search!;
    assert.deepEqual(
      s1.candidates.map((c) => `${c.covariance} ${c.K}`),
      ['diag 1', 'diag 2', 'diag 4', 'diag 8'],
    );
    assert.equal(kOnly.report.covariance, 'diag');
    assert.ok(kOnly.report.K >= 4);
    const covOnly = await estimateDensity(data.emb1, resolveSettings({ ...small, components: 4 }), { rng: new Rng(1) });
    const s2 = covOnly.report.search!;
    assert.deepEqual(
      s2.candidates.map((c) => `${c.covariance} ${c.K}`),
      ['diag 4', 'tied 4', 'full 4'],
    );
    // each of the three fitted (no candidate stops another at the same K)
    for (const c of s2.candidates) assert.ok(c.heldOutLogLik !== null, `${c.covariance}: ${c.skipped}`);
    assert.equal(covOnly.report.K, 4);
    // both fixed: no search
    const fixed = await estimateDensity(data.emb1, resolveSettings({ components: 4, covariance: 'tied' }), { rng: new Rng(1) });
    assert.equal(fixed.report.search, undefined);
    assert.equal(fixed.report.covariance, 'tied');
  });

  it('skips, and reports, what the budget does not allow; with no room for a comparison, uses the cheapest candidate without a search', async () => {
    const data = sample(circuitModel('xor_not_a'), 2000, 23);
    // the budget is spent in predicted seconds: a budget just above what the two cheapest candidates
    // and a refit are predicted to take leaves room for little more
    const { searchDensity } = await import('../../src/engine/estimate/density/search');
    const full = await searchDensity(data.emb1, resolveSettings({ densitySearch: { candidates: [1, 2, 4] } }), { rng: new Rng(1) });
    const predicted = full.report.candidates.filter((c) => c.heldOutLogLik !== null).map((c) => c.predictedSeconds!);
    const budget = predicted[0] + predicted[1] + 0.05;
    const settings = resolveSettings({ densitySearch: { budgetSeconds: budget, candidates: [1, 2, 4] } });
    const r = await searchDensity(data.emb1, settings, { rng: new Rng(1) });
    const fitted = r.report.candidates.filter((c) => c.heldOutLogLik !== null);
    const over = r.report.candidates.filter((c) => c.skipped?.startsWith('over budget'));
    assert.ok(fitted.length >= 1 && fitted.length < full.report.candidates.filter((c) => c.heldOutLogLik !== null).length, `${fitted.length} fitted`);
    assert.ok(over.length >= 1, r.report.candidates.map((c) => c.skipped).join('; '));
    for (const c of over) assert.ok(c.predictedSeconds! > 0 && /left of/.test(c.skipped!), c.skipped);
    // the same search again makes the same choices (the budget never reads a clock)
    const again = await searchDensity(data.emb1, settings, { rng: new Rng(1) });
    assert.deepEqual(again.report.candidates.map((c) => [c.heldOutLogLik, c.skipped]), r.report.candidates.map((c) => [c.heldOutLogLik, c.skipped]));
    // a budget below any two candidates: no search, the cheapest (diagonal K = 1) as given
    const none = await estimateDensity(data.emb1, resolveSettings({ densitySearch: { budgetSeconds: 1e-6 } }), { rng: new Rng(1) });
    const s = none.report.search!;
    assert.ok(s.candidates.every((c) => c.heldOutLogLik === null));
    assert.equal(s.candidates[s.chosen].covariance, 'diag');
    assert.equal(s.candidates[s.chosen].K, 1);
    assert.match(s.candidates[s.chosen].skipped!, /chosen without a search: the budget affords no comparison/);
    assert.equal(none.report.K, 1);
    assert.ok(none.logp.every(Number.isFinite));
  });

  it('works on a handful of rows (no room for a held-out split, or for more than one component)', async () => {
    const data = sample(circuitModel('xor_not_a'), 5, 37);
    for (const n of [1, 2, 5]) {
      const X = denseMatrix(n, 4, Float32Array.from({ length: n * 4 }, (_, i) => matrixRow(data.emb1, Math.floor(i / 4))[i % 4]));
      const fit = await estimateDensity(X, resolveSettings(), { rng: new Rng(1) });
      assert.equal(fit.logp.length, n);
      assert.ok(fit.logp.every(Number.isFinite), `${n} rows: ${fit.logp}`);
      const s = fit.report.search!;
      assert.ok(s.candidates[s.chosen], `${n} rows: a choice`);
      if (n === 1) assert.match(s.candidates[s.chosen].skipped!, /too few rows \(1\)/);
    }
  });

});

describe("KNIFE parity and 'auto'", () => {
  it("'auto' resolves to the official K = 5 and diagonal covariance, with no search, and says so", async () => {
    const data = sample(circuitModel('or'), 300, 31);
    const fit = await estimateDensity(data.emb1, resolveSettings({ mode: 'knife', knife: { epochs: 1 } }), { rng: new Rng(1) });
    assert.equal(fit.report.mode, 'knife');
    assert.equal(fit.report.K, 5);
    assert.equal(fit.report.covariance, 'diag');
    assert.equal(fit.report.search, undefined);
    assert.match(fit.report.auto!, /K = 5/);
    assert.match(fit.report.auto!, /diag/);
    assert.ok(fit.logp.every(Number.isFinite));
    assert.ok(Math.abs(mean(fit.logp) - fit.report.meanLogLik) < 1e-9);
    // given values are kept, and nothing is said about 'auto'
    const given = await estimateDensity(data.emb1, resolveSettings({ mode: 'knife', components: 3, covariance: 'full', knife: { epochs: 1 } }), { rng: new Rng(1) });
    assert.equal(given.report.K, 3);
    assert.equal(given.report.covariance, 'full');
    assert.equal(given.report.auto, undefined);
    // KNIFE has no tied covariance: a settings error, not a silent substitute
    // (the settings table rejects it before any work; estimateDensity also refuses it if called directly)
    assert.throws(() => resolveSettings({ mode: 'knife', covariance: 'tied' }), (e: unknown) => e instanceof LsmiInputError && e.code === 'BAD_SETTINGS');
    await assert.rejects(estimateDensity(data.emb1, { ...resolveSettings({ mode: 'knife' }), covariance: 'tied' }, { rng: new Rng(1) }), (e: unknown) => e instanceof LsmiInputError && e.code === 'BAD_SETTINGS');
  });
});
