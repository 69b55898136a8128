import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { initBackend, tf } from '../../src/engine/compute/backend';
import { denseMatrix, matrixFromChunks, type Matrix } from '../../src/engine/io/matrix';
import { Rng } from '../../src/engine/random';
import { fitProbe, probeGradients, probeLogProbOfLabel, type ProbeModel, type ProbeParams } from '../../src/engine/estimate/heads/mlp';
import { type CrossFitOptions, crossFitHead, plan } from '../../src/engine/estimate/heads/crossfit';
import { crossCalibrate, fitCalibration, temperatureFit, calibrateRow, ReliabilityAccumulator } from '../../src/engine/estimate/heads/calibration';
import { minimizeLbfgs } from '../../src/engine/estimate/heads/lbfgs';
import { LdaFamily } from '../../src/engine/estimate/heads/lda';
import { LogisticFamily } from '../../src/engine/estimate/heads/logistic';
import { type HeadData, labelsOf, stratifiedFolds } from '../../src/engine/estimate/heads/rows';
import { DEFAULT_SETTINGS, type EstimatorSettings, type MlpSettings, type ProbeFamily, resolveSettings } from '../../src/engine/estimate/settings';

const MLP_FIXED: MlpSettings = { ...DEFAULT_SETTINGS.mlp, epochs: 5, patience: 0 };
const SETTINGS = MLP_FIXED;
const LOG_HALF = Math.log(0.5);
const PARAM_NAMES = ['w1', 'b1', 'w2', 'b2', 'w3', 'b3'] as const;

function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s / a.length;
}

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ma = mean(a);
  const mb = mean(b);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

function allRows(n: number): Int32Array {
  return new Int32Array(n).map((_, i) => i);
}

/** Entropy (nats) of the empirical label distribution: the log-loss of the best constant predictor. */
function labelEntropy(labels: Int32Array, nClasses: number): number {
  const counts = new Array<number>(nClasses).fill(0);
  for (const y of labels) counts[y]++;
  return -counts.reduce((s, c) => (c ? s + (c / labels.length) * Math.log(c / labels.length) : s), 0);
}

/** The XOR circuit (docs/estimator.md, "Synthetic data with known answers"): x1 = e_a, x2 = e_b plus σ·N(0, I), y = a ⊕ b. */
function xorCircuit(n: number, sigma: number, seed: number): { x1: Matrix; x2: Matrix; labels: Int32Array } {
  const rng = new Rng(seed);
  const x1 = new Float32Array(n * 2);
  const x2 = new Float32Array(n * 2);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const a = rng.int(2);
    const b = rng.int(2);
    labels[i] = a ^ b;
    x1[i * 2 + a] = 1;
    x2[i * 2 + b] = 1;
    for (let k = 0; k < 2; k++) {
      x1[i * 2 + k] += sigma * rng.normal();
      x2[i * 2 + k] += sigma * rng.normal();
    }
  }
  return { x1: denseMatrix(n, 2, x1), x2: denseMatrix(n, 2, x2), labels };
}

/** Features drawn independently of balanced labels: nothing to learn. */
function noise(n: number, d: number, seed: number): { x: Matrix; labels: Int32Array } {
  const rng = new Rng(seed);
  const x = new Float32Array(n * d).map(() => rng.normal());
  return { x: denseMatrix(n, d, x), labels: new Int32Array(n).map(() => rng.int(2)) };
}

/** Float64 reference forward pass: mean cross-entropy and per-row log-softmax at the label. */
function referenceForward(p: ProbeParams, x: ArrayLike<number>, labels: Int32Array, nClasses: number) {
  const h = p.b1.length;
  const dIn = p.w1.length / h;
  const logProb: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    const layer = (input: number[], w: ArrayLike<number>, b: ArrayLike<number>, out: number, relu: boolean) =>
      Array.from({ length: out }, (_, j) => {
        let z = b[j];
        for (let k = 0; k < input.length; k++) z += input[k] * w[k * out + j];
        return relu ? Math.max(0, z) : z;
      });
    const row = Array.from({ length: dIn }, (_, k) => x[i * dIn + k]);
    const z = layer(layer(layer(row, p.w1, p.b1, h, true), p.w2, p.b2, h, true), p.w3, p.b3, nClasses, false);
    const m = Math.max(...z);
    logProb.push(z[labels[i]] - m - Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0)));
  }
  return { loss: -mean(logProb), logProb };
}

describe('probes: the MLP', () => {
  it('the explicit backward pass matches finite differences of a float64 reference, and scoring matches its forward pass', async () => {
    await initBackend();
    const rng = new Rng(11);
    const dIn = 3;
    const h = 6;
    const C = 3;
    const B = 5;
    const rand = (n: number) => new Float32Array(n).map(() => rng.uniform(-1, 1));
    const params: ProbeParams = { w1: rand(dIn * h), b1: rand(h), w2: rand(h * h), b2: rand(h), w3: rand(h * C), b3: rand(C) };
    const x = rand(B * dIn);
    const labels = Int32Array.from([0, 2, 1, 2, 0]);

    const tensors = tf.memory().numTensors;
    const grads = await probeGradients(params, C, x, labels);
    assert.equal(tf.memory().numTensors, tensors);
    const eps = 1e-6;
    for (const name of PARAM_NAMES) {
      const p64 = Object.fromEntries(PARAM_NAMES.map((n) => [n, Float64Array.from(params[n])])) as unknown as ProbeParams;
      for (let i = 0; i < params[name].length; i++) {
        const v = p64[name][i];
        p64[name][i] = v + eps;
        const up = referenceForward(p64, x, labels, C).loss;
        p64[name][i] = v - eps;
        const down = referenceForward(p64, x, labels, C).loss;
        p64[name][i] = v;
        const fd = (up - down) / (2 * eps);
        assert.ok(Math.abs(grads[name][i] - fd) <= 1e-5 + 1e-3 * Math.abs(fd), `d loss / d ${name}[${i}]: analytic ${grads[name][i]}, finite difference ${fd}`);
      }
    }

    const model: ProbeModel = {
      inputCols: [dIn],
      nClasses: C,
      hidden: h,
      mean: new Float64Array(dIn),
      scale: new Float64Array(dIn).fill(1),
      params,
      trainRows: 0,
      epochs: 0,
    };
    const scored = await probeLogProbOfLabel(model, [denseMatrix(B, dIn, x)], labels, Int32Array.from([4, 0, 2]));
    const want = referenceForward(params, x, labels, C).logProb;
    [4, 0, 2].forEach((r, j) => assert.ok(Math.abs(scored[j] - want[r]) < 1e-5, `row ${r}: ${scored[j]} vs ${want[r]}`));
  });

});

/** crossFitHead options for one family (or auto) with the estimator's defaults otherwise. */
function opts(probe: EstimatorSettings['probe'], extra: Partial<CrossFitOptions> = {}, settings: Parameters<typeof resolveSettings>[0] = {}): CrossFitOptions {
  return { folds: 5, settings: resolveSettings({ probe, ...settings }), foldRng: new Rng(3), rng: new Rng(4), ...extra };
}

/** Per-sample log softmax at the label of a logits matrix. */
function logProbOf(logits: Matrix, labels: Int32Array): Float64Array {
  const C = logits.cols;
  const z = logits.chunks[0].data;
  return Float64Array.from(labels, (y, i) => {
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, z[i * C + c]);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(z[i * C + c] - m);
    return z[i * C + y] - m - Math.log(s);
  });
}

/** Two Gaussian classes with equal covariance, and the exact log p(y|x) (logistic in x). */
function twoGaussians(n: number, seed: number): { x: Matrix; labels: Int32Array; truth: Float64Array } {
  const rng = new Rng(seed);
  const mu = [0.8, -0.5];
  const x = new Float32Array(n * 2);
  const labels = new Int32Array(n);
  const truth = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = rng.int(2);
    const s = 2 * labels[i] - 1;
    let dot = 0;
    for (let k = 0; k < 2; k++) {
      x[i * 2 + k] = s * mu[k] + rng.normal();
      dot += mu[k] * x[i * 2 + k];
    }
    truth[i] = -Math.log1p(Math.exp(-2 * s * dot)); // log σ(2 s μ·x)
  }
  return { x: denseMatrix(n, 2, x), labels, truth };
}

describe('probe families', () => {
  it('XOR circuit (σ = 0.1, N = 4000): the MLP makes the joint head near-certain, the unimodal heads know nothing', async () => {
    const { x1, x2, labels } = xorCircuit(4000, 0.1, 1);
    const data = (inputs: Matrix[]): HeadData => ({ inputs, labels, nClasses: 2 });
    const joint = await crossFitHead(data([x1, x2]), opts('mlp'));
    assert.ok(mean(logProbOf(joint.logits, labels)) > -0.01, `mean log p(y|x1,x2) = ${mean(logProbOf(joint.logits, labels))}`);
    assert.equal(joint.scheme, '5-fold stratified cross-fit');
    assert.equal(joint.family, 'mlp');
    assert.ok(joint.fits.every((f) => /epochs? \(early stopping\)/.test(f.detail)), JSON.stringify(joint.fits));
    for (const inputs of [[x1], [x2]]) {
      const r = await crossFitHead(data(inputs), opts('mlp'));
      assert.ok(Math.abs(mean(logProbOf(r.logits, labels)) - LOG_HALF) < 0.01, `mean log p(y|x) = ${mean(logProbOf(r.logits, labels))}, expected log ½`);
    }
    // a linear family cannot do XOR: the joint head stays at log ½
    const linear = await crossFitHead(data([x1, x2]), opts('lda'));
    assert.ok(Math.abs(mean(logProbOf(linear.logits, labels)) - LOG_HALF) < 0.01);
  });

  for (const family of ['lda', 'logistic', 'mlp'] as ProbeFamily[]) {
    it(`${family}: two Gaussian classes with equal covariance: per-sample log p(y|x) tracks the exact posterior, whatever the units`, async () => {
      const { x, labels, truth } = twoGaussians(2000, 5);
      const r = await crossFitHead({ inputs: [x], labels, nClasses: 2 }, opts(family));
      const lp = logProbOf(r.logits, labels);
      assert.ok(pearson(lp, truth) >= 0.97, `Pearson ${pearson(lp, truth)}`);
      assert.ok(-mean(lp) - -mean(truth) < 0.02, `held-out log-loss ${-mean(lp)} vs Bayes ${-mean(truth)}`);
      // standardisation makes every family unit-free: a shifted and rescaled copy gives the same values
      const moved = x.chunks[0].data.map((v, i) => (i % 2 ? 0.001 : 1000) * (v + 5));
      const r2 = await crossFitHead({ inputs: [denseMatrix(2000, 2, moved)], labels, nClasses: 2 }, opts(family));
      const lp2 = logProbOf(r2.logits, labels);
      let diff = 0;
      let sum = 0;
      for (let i = 0; i < lp.length; i++) {
        diff = Math.max(diff, Math.abs(lp2[i] - lp[i]));
        sum += Math.abs(lp2[i] - lp[i]);
      }
      // LDA is closed form; the iterative fits agree up to rounding, which can flip a near-tie between
      // two penalties (logistic) in one fold, so they are held to the mean difference
      if (family === 'lda') assert.ok(diff < 1e-3, `max |Δ log p| after a change of units: ${diff}`);
      assert.ok(sum / lp.length < 0.005, `mean |Δ log p| after a change of units: ${sum / lp.length}`);
    });
  }

  it('LDA is exact for Gaussian classes with a shared covariance: C = 8, d = 16, N = 20000 against the exact posterior', async () => {
    const { sampleSubspace } = await import('../../src/engine/synthetic');
    const set = sampleSubspace({ nClasses: 8, d: 16, k: 8, sep: 0.7, rho: 0.5, spread: 1, modelSeed: 7 }, 20000, 8);
    const r = await crossFitHead({ inputs: [set.emb1], labels: set.labels, nClasses: 8 }, opts('lda'));
    const lp = logProbOf(r.logits, set.labels);
    const exact = Float64Array.from(set.labels, (y, i) => set.oracle.logPost1[i][y]);
    assert.ok(pearson(lp, exact) > 0.99, `Pearson ${pearson(lp, exact)}`);
    assert.ok(Math.abs(mean(lp) - mean(exact)) < 0.01, `mean log p ${mean(lp)} vs exact ${mean(exact)}`);
  });

  it('every value is out of sample: pure-noise labels give a held-out log-loss no better than the label entropy, for every family and auto', async () => {
    const { x, labels } = noise(600, 8, 2);
    const H = labelEntropy(labels, 2);
    const split = new Uint8Array(600).map((_, i) => [0, 0, 0, 1, 2][i % 5]);
    for (const probe of ['lda', 'logistic', 'mlp', 'auto'] as const) {
      for (const extra of [{}, { split }]) {
        const r = await crossFitHead({ inputs: [x], labels, nClasses: 2 }, opts(probe, extra));
        const loss = -mean(logProbOf(r.logits, labels));
        assert.ok(loss > H - 0.01, `${probe}, ${r.scheme}: held-out log-loss ${loss}, H = ${H}`);
      }
    }
    // A probe that memorises its training rows makes leakage unmissable: scored in-sample (the official
    // defect) the noise looks informative, scored out of sample it is worse than knowing nothing.
    const memorise = { ...SETTINGS, epochs: 20, learningRate: 1e-2, stepSize: 20 };
    const small = noise(300, 8, 3);
    const H3 = labelEntropy(small.labels, 2);
    const model = await fitProbe([small.x], small.labels, 2, allRows(300), { settings: memorise, rng: new Rng(1) });
    const inSample = -mean(await probeLogProbOfLabel(model, [small.x], small.labels, allRows(300)));
    assert.ok(inSample < H3 - 0.2, `in-sample log-loss ${inSample}, H = ${H3}`);
    const r = await crossFitHead({ inputs: [small.x], labels: small.labels, nClasses: 2 }, opts('mlp', {}, { mlp: memorise }));
    assert.ok(-mean(logProbOf(r.logits, small.labels)) > H3 + 0.1);
  });

  it('early stopping keeps the best held-out epoch and stops on the second plateau', async () => {
    const { x, labels } = noise(400, 8, 9);
    const train = allRows(300);
    const val = Int32Array.from({ length: 100 }, (_, i) => 300 + i);
    const s = { ...DEFAULT_SETTINGS.mlp, epochs: 40, learningRate: 1e-2 };
    const model = await fitProbe([x], labels, 2, train, { settings: s, rng: new Rng(2), valRows: val });
    // noise: the held-out loss is best early; training stops long before 40 epochs
    assert.ok(model.epochs < 10, `kept epoch ${model.epochs}`);
    const again = -mean(await probeLogProbOfLabel(model, [x], labels, val));
    assert.ok(Math.abs(again - model.valLogLoss!) < 1e-5, `the kept weights score ${again}, reported ${model.valLogLoss}`);
  });
});

describe('the cross-fit', () => {
  it('no fit scores a row it trained on, and a selection never sees the rows of the folds it chooses for', () => {
    const { x, labels } = noise(503, 3, 1);
    const split = new Uint8Array(503).map((_, i) => [0, 0, 0, 1, 2][i % 5]);
    for (const extra of [{}, { split }]) {
      for (const folds of [2, 3, 5]) {
        const p = plan({ inputs: [x], labels, nClasses: 2 }, opts('auto', { ...extra, folds }));
        const scored = new Int32Array(503);
        for (const f of p.fits) {
          const train = new Set(f.rows);
          for (const r of f.score) {
            assert.ok(!train.has(r));
            scored[r]++;
          }
          // the fit's rows are exactly the union of its blocks
          assert.deepEqual(Array.from(f.rows), Array.from(Int32Array.from(f.blocks.flatMap((b) => Array.from(p.blocks[b]))).sort()));
          const sel = new Set(p.selectionRows[f.group]);
          for (const r of f.score) assert.ok(!sel.has(r), `selection ${f.group} saw scored row ${r}`);
        }
        assert.ok(scored.every((c) => c === 1), 'every sample is scored exactly once');
        assert.ok(p.blocks.length >= folds && p.fits[p.curveFit].blocks.length >= 4);
      }
    }
  });

  it('auto: LDA for Gaussian classes, the MLP for XOR; every candidate reported; the learning curve has three points', async () => {
    const { x1, x2, labels } = xorCircuit(3000, 0.1, 2);
    const xor = await crossFitHead({ inputs: [x1, x2], labels, nClasses: 2 }, opts('auto'));
    assert.equal(xor.family, 'mlp');
    assert.deepEqual(xor.candidates!.map((c) => c.family), ['lda', 'logistic', 'mlp']);
    assert.equal(xor.selections, 2);
    assert.equal(xor.candidates!.find((c) => c.family === 'mlp')!.chosen, 2);
    const g = twoGaussians(3000, 3);
    const lin = await crossFitHead({ inputs: [g.x], labels: g.labels, nClasses: 2 }, opts('auto'));
    assert.equal(lin.family, 'lda', JSON.stringify(lin.candidates));
    const lc = lin.learningCurve!;
    assert.deepEqual(lc.fractions.map((f) => Math.round(f * 100)), [50, 75, 100]);
    assert.equal(lc.logLoss.length, 3);
    assert.ok(!lc.stillFalling, `a 2-class, 2-d problem at 2400 rows is well sampled: ${JSON.stringify(lc)}`);
  });

  // determinism for a seed, progress, abort and tensor leaks of every probe: fitter-conformance.test.ts
  it('reads chunked matrices like dense ones', async () => {
    const { x1, labels } = xorCircuit(300, 0.3, 4);
    const a = await crossFitHead({ inputs: [x1], labels, nClasses: 2 }, opts('auto', { folds: 3 }));
    const data = x1.chunks[0].data;
    const chunked = matrixFromChunks(2, [data.subarray(0, 2 * 7), data.subarray(2 * 7, 2 * 200), data.subarray(2 * 200)]);
    const b = await crossFitHead({ inputs: [chunked], labels, nClasses: 2 }, opts('auto', { folds: 3 }));
    assert.deepEqual(b.logits.chunks[0].data, a.logits.chunks[0].data);
  });

  it('rejects unusable folds, splits, labels and inputs with a clear message', async () => {
    const { x, labels } = noise(40, 2, 1);
    const data: HeadData = { inputs: [x], labels, nClasses: 2 };
    await assert.rejects(crossFitHead(data, opts('lda', { folds: 1 })), /folds ≥ 2 \(got 1\)/);
    await assert.rejects(crossFitHead(data, opts('lda', { folds: 2.5 })), /integer number of folds/);
    await assert.rejects(crossFitHead(data, opts('lda', { folds: 10 })), /at least 5 samples per fold \(50 in all\), but there are 40: use fewer folds/);
    const fewTrain = new Uint8Array(40).map((_, i) => (i < 20 ? 0 : 1));
    await assert.rejects(crossFitHead(data, opts('lda', { split: fewTrain })), /at least 5 train samples per fold \(25 in all\), but there are 20/);
    await assert.rejects(crossFitHead(data, opts('lda', { split: new Uint8Array(40).fill(1) })), /no train samples/);
    await assert.rejects(crossFitHead(data, opts('lda', { split: new Uint8Array(40).fill(3) })), /split value 3 at sample 0/);
    await assert.rejects(crossFitHead(data, opts('lda', { split: new Uint8Array(39) })), /39 entries for 40 samples/);
    await assert.rejects(crossFitHead({ ...data, labels: labels.map(() => 2) }, opts('lda')), /label 2 at sample 0 is outside \[0, 2\)/);
    await assert.rejects(crossFitHead({ ...data, inputs: [denseMatrix(39, 2, new Float32Array(78))] }, opts('lda')), /39 rows but there are 40 labels/);
    await assert.rejects(fitProbe([x], labels, 2, new Int32Array(0), { settings: SETTINGS, rng: new Rng(0) }), /at least one training row/);
    const model = await fitProbe([x], labels, 2, allRows(40), { settings: { ...SETTINGS, epochs: 1 }, rng: new Rng(0) });
    await assert.rejects(probeLogProbOfLabel(model, [x, x], labels, allRows(40)), /trained on inputs of widths \[2\], not \[2, 2\]/);
  });
});

describe('calibration', () => {
  /** Logits c·log p for a known 3-class posterior: a head over-confident by a factor c. */
  function scaledPosterior(n: number, c: number, seed: number, priorShift = [0, 0, 0]) {
    const rng = new Rng(seed);
    const z = new Float32Array(n * 3);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const logit = [rng.normal() * 1.5, rng.normal() * 1.5, rng.normal() * 1.5];
      const m = Math.max(...logit);
      const p = logit.map((v) => Math.exp(v - m));
      const s = p[0] + p[1] + p[2];
      const u = rng.random() * s;
      labels[i] = u < p[0] ? 0 : u < p[0] + p[1] ? 1 : 2;
      for (let k = 0; k < 3; k++) z[i * 3 + k] = c * logit[k] + priorShift[k];
    }
    return { z, labels };
  }

  it('temperature scaling recovers an over-confidence factor; bias scaling also a shift of the label prior', async () => {
    for (const c of [0.5, 1, 3]) {
      const { z, labels } = scaledPosterior(20000, c, 1);
      const t = temperatureFit(z, labels, 3);
      assert.ok(Math.abs(1 / t.beta - c) < 0.05 * c, `T = ${1 / t.beta}, want ${c}`);
    }
    const shifted = scaledPosterior(20000, 2, 2, [1.5, 0, -1]);
    const bias = await fitCalibration('bias', shifted.z, shifted.labels, 3);
    assert.ok(Math.abs(bias.beta - 0.5) < 0.03, `β = ${bias.beta}`);
    // the bias undoes the shift up to a common constant
    const b = bias.bias!;
    assert.ok(Math.abs(b[0] - b[1] - -0.75) < 0.1 && Math.abs(b[2] - b[1] - 0.5) < 0.1, `bias ${Array.from(b)}`);
    const vector = await fitCalibration('vector', shifted.z, shifted.labels, 3);
    for (let k = 0; k < 3; k++) assert.ok(Math.abs(vector.scale![k] - 0.5) < 0.05, `scale ${Array.from(vector.scale!)}`);
    const out = new Float64Array(3);
    calibrateRow(vector, shifted.z, 0, 3, out);
    assert.ok(out.every(Number.isFinite));
  });

  it("out of fold: a row's calibrated value never depends on its own label; log-loss before/after and reliability are reported", async () => {
    const { z, labels } = scaledPosterior(3000, 3, 3);
    const logits = denseMatrix(3000, 3, z);
    const fold = stratifiedFolds(allRows(3000), labels, 5, new Rng(1));
    const a = await crossCalibrate(logits, labels, 'temperature', fold, 5, new Rng(2));
    assert.ok(a.report.logLossAfter < a.report.logLossBefore - 0.1, JSON.stringify(a.report));
    assert.equal(a.report.temperatures!.length, 5);
    for (const t of a.report.temperatures!) assert.ok(Math.abs(t - 3) < 0.3, `T ${t}`);
    // change one row's label: its fold's temperature is fitted without it, so only its own value moves
    const flipped = Int32Array.from(labels);
    flipped[10] = (labels[10] + 1) % 3;
    const b = await crossCalibrate(logits, flipped, 'temperature', fold, 5, new Rng(2));
    const mine = fold[10];
    assert.equal(b.report.temperatures![mine], a.report.temperatures![mine]);
    for (let i = 0; i < 3000; i++) if (fold[i] === mine && i !== 10) assert.equal(b.logProb[i], a.logProb[i]);
    // reliability diagrams count every sample; calibration brings confidence to accuracy
    for (const r of [a.reliability.before, a.reliability.after]) assert.equal(r.bins.reduce((s, x) => s + x.n, 0), 3000);
    assert.ok(a.reliability.after.ece < a.reliability.before.ece / 2, `ECE ${a.reliability.before.ece} → ${a.reliability.after.ece}`);
    const none = await crossCalibrate(logits, labels, 'none', fold, 5, new Rng(2));
    assert.equal(none.report.logLossAfter, none.report.logLossBefore);
  });

  it('the reliability diagram: bins, mean confidence, accuracy and ECE by hand', () => {
    const acc = new ReliabilityAccumulator();
    acc.add(0.95, true);
    acc.add(0.95, false);
    acc.add(0.35, true);
    const r = acc.result();
    assert.equal(r.bins[9].n, 2);
    assert.equal(r.bins[9].accuracy, 0.5);
    assert.equal(r.bins[3].n, 1);
    assert.ok(Math.abs(r.ece - ((2 / 3) * 0.45 + (1 / 3) * 0.65)) < 1e-12);
  });

  it('L-BFGS minimises an ill-conditioned quadratic and the Rosenbrock function', async () => {
    const quad = (x: Float64Array) => {
      let value = 0;
      const grad = new Float64Array(x.length);
      for (let i = 0; i < x.length; i++) {
        const a = 10 ** (i % 4);
        value += 0.5 * a * (x[i] - 1) ** 2;
        grad[i] = a * (x[i] - 1);
      }
      return { value, grad };
    };
    const q = await minimizeLbfgs(quad, new Float64Array(20), { maxIter: 200, tol: 1e-10 });
    assert.ok(q.x.every((v) => Math.abs(v - 1) < 1e-4), Array.from(q.x).join(' '));
    const rosen = (x: Float64Array) => ({
      value: 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2,
      grad: Float64Array.from([-400 * x[0] * (x[1] - x[0] ** 2) - 2 * (1 - x[0]), 200 * (x[1] - x[0] ** 2)]),
    });
    const r = await minimizeLbfgs(rosen, Float64Array.from([-1.2, 1]), { maxIter: 500, tol: 1e-12 });
    assert.ok(Math.abs(r.x[0] - 1) < 1e-3 && Math.abs(r.x[1] - 1) < 1e-3, `${r.x}`);
  });
});

describe('logistic regression and LDA internals', () => {
  it('logistic: a fixed penalty fits and beats a constant predictor on held-out rows', async () => {
    const g = twoGaussians(500, 12);
    const data: HeadData = { inputs: [g.x], labels: g.labels, nClasses: 2 };
    const fam = new LogisticFamily(data);
    const ctx = { settings: resolveSettings({ logistic: { penalties: [1e-3] } }), rng: new Rng(1) };
    const fit = await fam.fit({ rows: allRows(400) }, undefined, ctx);
    assert.equal(fit.detail, 'λ = 1e-3');
    const z = await fit.score(Int32Array.from({ length: 100 }, (_, i) => 400 + i));
    const y = labelsOf(g.labels, Int32Array.from({ length: 100 }, (_, i) => 400 + i));
    const loss = -mean(Float64Array.from(y, (c, i) => z[i * 2 + c] - Math.max(z[i * 2], z[i * 2 + 1]) - Math.log(Math.exp(z[i * 2] - Math.max(z[i * 2], z[i * 2 + 1])) + Math.exp(z[i * 2 + 1] - Math.max(z[i * 2], z[i * 2 + 1])))));
    assert.ok(loss < labelEntropy(y, 2) - 0.2, `held-out loss ${loss}`);
  });

  it('LDA: fits from block moments equal fits from the rows themselves', async () => {
    const g = twoGaussians(1000, 13);
    const data: HeadData = { inputs: [g.x], labels: g.labels, nClasses: 2 };
    const blocks = [0, 1, 2, 3].map((b) => Int32Array.from({ length: 250 }, (_, i) => b * 250 + i));
    const fam = new LdaFamily(data);
    const ctx = { settings: resolveSettings({ lda: { shrinkage: 0.1 } }), rng: new Rng(1) };
    await fam.prepare(blocks, ctx);
    const rows = Int32Array.from({ length: 750 }, (_, i) => i);
    const fromBlocks = await fam.fit({ rows, blocks: [0, 1, 2] }, undefined, ctx);
    const fromRows = await new LdaFamily(data).fit({ rows }, undefined, ctx);
    const a = await fromBlocks.score(blocks[3]);
    const b = await fromRows.score(blocks[3]);
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-3, `logit ${i}: ${a[i]} vs ${b[i]}`);
  });
});
