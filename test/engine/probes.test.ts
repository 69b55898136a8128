import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { initBackend, tf } from '../../src/engine/compute/backend';
import { denseMatrix, matrixFromChunks, type Matrix } from '../../src/engine/io/matrix';
import { Rng } from '../../src/engine/random';
import {
  crossFitLogProb,
  fitProbe,
  probeGradients,
  probeLogProbOfLabel,
  type ProbeModel,
  type ProbeParams,
} from '../../src/engine/estimate/probes';
import { DEFAULT_SETTINGS, type MlpSettings as ProbeSettings } from '../../src/engine/estimate/settings';

const SETTINGS: ProbeSettings = { ...DEFAULT_SETTINGS.mlp, epochs: 5, patience: 0 };
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

/** Spec §7 XOR circuit: x1 = e_a, x2 = e_b plus σ·N(0, I), y = a ⊕ b. */
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

describe('probes', () => {
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
      mean: new Float32Array(dIn),
      scale: new Float32Array(dIn).fill(1),
      params,
      trainRows: 0,
    };
    const scored = await probeLogProbOfLabel(model, [denseMatrix(B, dIn, x)], labels, Int32Array.from([4, 0, 2]));
    const want = referenceForward(params, x, labels, C).logProb;
    [4, 0, 2].forEach((r, j) => assert.ok(Math.abs(scored[j] - want[r]) < 1e-5, `row ${r}: ${scored[j]} vs ${want[r]}`));
  });

  it('XOR circuit (σ = 0.1, N = 4000): the joint probe is near-certain, the unimodal ones know nothing', async () => {
    const { x1, x2, labels } = xorCircuit(4000, 0.1, 1);
    const opts = { folds: 5, settings: SETTINGS, seed: 3 };
    const joint = await crossFitLogProb([x1, x2], labels, 2, opts);
    const only1 = await crossFitLogProb([x1], labels, 2, opts);
    const only2 = await crossFitLogProb([x2], labels, 2, opts);
    assert.ok(mean(joint.logProb) > -0.01, `mean log p(y|x1,x2) = ${mean(joint.logProb)}`);
    assert.ok(joint.heldOutAccuracy > 0.999, `joint accuracy ${joint.heldOutAccuracy}`);
    for (const [name, r] of [['x1', only1], ['x2', only2]] as const) {
      assert.ok(Math.abs(mean(r.logProb) - LOG_HALF) < 0.01, `mean log p(y|${name}) = ${mean(r.logProb)}, expected log ½`);
      assert.ok(Math.abs(r.heldOutLogLoss + mean(r.logProb)) < 1e-12);
    }
    assert.equal(joint.scheme, '5-fold stratified cross-fit');
  });

  it('two Gaussian classes with equal covariance: per-sample log p(y|x) tracks the logistic truth, whatever the units', async () => {
    const n = 2000;
    const rng = new Rng(5);
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
    const r = await crossFitLogProb([denseMatrix(n, 2, x)], labels, 2, { folds: 5, settings: SETTINGS, seed: 1 });
    const rho = pearson(r.logProb, truth);
    assert.ok(rho >= 0.95, `Pearson ${rho}`);
    assert.ok(r.heldOutLogLoss - -mean(truth) < 0.02, `held-out log-loss ${r.heldOutLogLoss} vs Bayes ${-mean(truth)}`);

    // Standardisation makes the fit unit-free: a shifted and rescaled copy gives the same values.
    const moved = x.map((v, i) => (i % 2 ? 0.001 : 1000) * (v + 5));
    const r2 = await crossFitLogProb([denseMatrix(n, 2, moved)], labels, 2, { folds: 5, settings: SETTINGS, seed: 1 });
    let diff = 0;
    for (let i = 0; i < n; i++) diff = Math.max(diff, Math.abs(r2.logProb[i] - r.logProb[i]));
    assert.ok(diff < 0.01, `max |Δ log p| after a change of units: ${diff}`);
  });

  it('every value is out-of-sample: pure-noise labels give a held-out log-loss no better than the label entropy', async () => {
    const { x, labels } = noise(500, 8, 2);
    const H = labelEntropy(labels, 2);
    const split = new Uint8Array(500).map((_, i) => [0, 0, 0, 1, 2][i % 5]);
    for (const opts of [{}, { split }]) {
      const r = await crossFitLogProb([x], labels, 2, { folds: 5, settings: SETTINGS, seed: 4, ...opts });
      assert.ok(Math.abs(r.heldOutLogLoss - H) < 0.01, `${r.scheme}: held-out log-loss ${r.heldOutLogLoss}, H = ${H}`);
    }

    // A probe that memorises its training rows makes leakage unmissable: scored in-sample (the official
    // defect) the noise looks informative, scored out-of-sample it is worse than knowing nothing.
    const memorise = { ...SETTINGS, epochs: 20, learningRate: 1e-2, stepSize: 20 };
    const small = noise(300, 8, 3);
    const H3 = labelEntropy(small.labels, 2);
    const model = await fitProbe([small.x], small.labels, 2, allRows(300), { settings: memorise, rng: new Rng(1) });
    const inSample = -mean(await probeLogProbOfLabel(model, [small.x], small.labels, allRows(300)));
    assert.ok(inSample < H3 - 0.2, `in-sample log-loss ${inSample}, H = ${H3}`);
    for (const opts of [{}, { split: split.subarray(0, 300) }]) {
      const r = await crossFitLogProb([small.x], small.labels, 2, { folds: 5, settings: memorise, seed: 4, ...opts });
      assert.ok(r.heldOutLogLoss > H3 + 0.1, `${r.scheme}: held-out log-loss ${r.heldOutLogLoss}, H = ${H3}`);
    }
  });

  it('with a split: val/test are scored by one probe fitted on all train rows, train rows are cross-fitted', async () => {
    const { x1, x2, labels } = xorCircuit(600, 0.1, 8);
    const split = new Uint8Array(600).map((_, i) => [0, 0, 0, 1, 2][i % 5]);
    const r = await crossFitLogProb([x1, x2], labels, 2, { split, folds: 3, settings: SETTINGS, seed: 9 });
    assert.equal(r.scheme, 'fit on train (360), score val/test (240); 3-fold stratified cross-fit within train');

    // Seeding contract: Rng(seed)'s first fork draws the folds, the next one seeds the train-only fit.
    const rng = new Rng(9);
    rng.fork();
    const train = allRows(600).filter((i) => split[i] === 0);
    const rest = allRows(600).filter((i) => split[i] !== 0);
    const model = await fitProbe([x1, x2], labels, 2, train, { settings: SETTINGS, rng: rng.fork() });
    const want = await probeLogProbOfLabel(model, [x1, x2], labels, rest);
    rest.forEach((row, j) => assert.equal(r.logProb[row], want[j]));
    assert.equal(model.trainRows, 360);
    // The train rows are not scored by that probe.
    const inSample = await probeLogProbOfLabel(model, [x1, x2], labels, train);
    assert.ok(train.some((row, j) => r.logProb[row] !== inSample[j]));

    const trainOnly = await crossFitLogProb([x1], labels, 2, { split: new Uint8Array(600), folds: 3, settings: SETTINGS, seed: 9 });
    assert.equal(trainOnly.scheme, '3-fold stratified cross-fit (the split has train samples only)');
  });

  it('is deterministic for a seed, reads chunked matrices like dense ones, and reports monotone progress', async () => {
    const { x1, labels } = xorCircuit(300, 0.3, 4);
    const settings = { ...SETTINGS, epochs: 2 };
    const progress: number[] = [];
    const a = await crossFitLogProb([x1], labels, 2, { folds: 3, settings, seed: 7, onProgress: (f) => progress.push(f) });
    const data = x1.chunks[0].data;
    const chunked = matrixFromChunks(2, [data.subarray(0, 2 * 7), data.subarray(2 * 7, 2 * 200), data.subarray(2 * 200)]);
    const b = await crossFitLogProb([chunked], labels, 2, { folds: 3, settings, seed: 7 });
    assert.deepEqual(b.logProb, a.logProb);
    const c = await crossFitLogProb([x1], labels, 2, { folds: 3, settings, seed: 8 });
    assert.notDeepEqual(c.logProb, a.logProb);

    assert.ok(progress.length > 0);
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i] >= progress[i - 1], `progress went back: ${progress}`);
    assert.ok(Math.abs(progress[progress.length - 1] - 1) < 1e-12);
  });

  it('stops on abort, leaving no tensors behind', async () => {
    await initBackend();
    const before = tf.memory().numTensors;
    const { x1, x2, labels } = xorCircuit(2000, 0.1, 6);
    const controller = new AbortController();
    await assert.rejects(
      crossFitLogProb([x1, x2], labels, 2, { folds: 5, settings: SETTINGS, seed: 1, signal: controller.signal, onProgress: () => controller.abort() }),
      { name: 'AbortError' },
    );
    await assert.rejects(fitProbe([x1], labels, 2, allRows(2000), { settings: SETTINGS, rng: new Rng(1), signal: AbortSignal.abort() }), {
      name: 'AbortError',
    });
    assert.equal(tf.memory().numTensors, before);

    await crossFitLogProb([x1], labels, 2, { folds: 2, settings: { ...SETTINGS, epochs: 1 }, seed: 1 });
    const model = await fitProbe([x1], labels, 2, allRows(100), { settings: SETTINGS, rng: new Rng(1) });
    await probeLogProbOfLabel(model, [x1], labels, allRows(2000));
    assert.equal(tf.memory().numTensors, before);
  });

  it('rejects unusable folds, splits, labels and inputs with a clear message', async () => {
    const { x, labels } = noise(40, 2, 1);
    const opts = { folds: 5, settings: SETTINGS, seed: 0 };
    await assert.rejects(crossFitLogProb([x], labels, 2, { ...opts, folds: 1 }), /folds ≥ 2 \(got 1\)/);
    await assert.rejects(crossFitLogProb([x], labels, 2, { ...opts, folds: 2.5 }), /integer number of folds/);
    await assert.rejects(crossFitLogProb([x], labels, 2, { ...opts, folds: 10 }), /at least 5 samples per fold \(50 in all\), but there are 40: use fewer folds/);
    const fewTrain = new Uint8Array(40).map((_, i) => (i < 20 ? 0 : 1));
    await assert.rejects(crossFitLogProb([x], labels, 2, { ...opts, split: fewTrain }), /at least 5 train samples per fold \(25 in all\), but there are 20/);
    await assert.rejects(crossFitLogProb([x], labels, 2, { ...opts, split: new Uint8Array(40).fill(1) }), /no train samples/);
    await assert.rejects(crossFitLogProb([x], labels, 2, { ...opts, split: new Uint8Array(40).fill(3) }), /split value 3 at sample 0/);
    await assert.rejects(crossFitLogProb([x], labels, 2, { ...opts, split: new Uint8Array(39) }), /39 entries for 40 samples/);
    await assert.rejects(crossFitLogProb([x], labels.map(() => 2), 2, opts), /label 2 at sample 0 is outside \[0, 2\)/);
    await assert.rejects(crossFitLogProb([denseMatrix(39, 2, new Float32Array(78))], labels, 2, opts), /39 rows but there are 40 labels/);
    await assert.rejects(crossFitLogProb([x], labels, 2, { ...opts, settings: { ...SETTINGS, batchSize: 0 } }), /'batchSize' must be a positive integer/);
    await assert.rejects(fitProbe([x], labels, 2, new Int32Array(0), { settings: SETTINGS, rng: new Rng(0) }), /at least one training row/);
    const model = await fitProbe([x], labels, 2, allRows(40), { settings: { ...SETTINGS, epochs: 1 }, rng: new Rng(0) });
    await assert.rejects(probeLogProbOfLabel(model, [x, x], labels, allRows(40)), /trained on inputs of widths \[2\], not \[2, 2\]/);
  });
});
