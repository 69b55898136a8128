import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initBackend, tf } from '../../src/engine/compute/backend';
import {
  Adam,
  fitKnife,
  initKnifeParams,
  knifeArrays,
  knifeLogPdf,
  knifeLossAndGrads,
  StepLR,
  type KnifeParams,
} from '../../src/engine/estimate/density/knife';
import { DEFAULT_SETTINGS, type KnifeSettings } from '../../src/engine/estimate/settings';
import { denseMatrix, matrixFromChunks } from '../../src/engine/io/matrix';
import { Rng } from '../../src/engine/random';

function randomParams(K: number, d: number, full: boolean, seed: number): KnifeParams {
  const rng = new Rng(seed);
  const p = initKnifeParams(K, d, rng, full);
  for (let i = 0; i < p.weigh.length; i++) p.weigh[i] = rng.normal();
  if (p.tri) for (let i = 0; i < p.tri.length; i++) p.tri[i] *= 0.5;
  return p;
}

function randomData(n: number, d: number, seed: number, offset = 0, scale = 1): Float32Array {
  const rng = new Rng(seed);
  const x = new Float32Array(n * d);
  for (let i = 0; i < x.length; i++) x[i] = offset + scale * rng.normal();
  return x;
}

/** −log p̂(x) per row by the float64 JS path (one-row batches). */
function nllRows(p: KnifeParams, x: Float32Array, useTanh: boolean): Float64Array {
  const n = x.length / p.d;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = knifeLossAndGrads(p, x.subarray(i * p.d, (i + 1) * p.d), 1, useTanh).loss;
  return out;
}

const fitSettings = (over: Partial<KnifeSettings> = {}): KnifeSettings => ({ ...DEFAULT_SETTINGS.knife, ...over });

before(async () => {
  await initBackend();
});

describe('KNIFE analytic gradients', () => {
  for (const full of [false, true]) {
    for (const useTanh of [true, false]) {
      it(`match central finite differences (float64): ${full ? 'full' : 'diagonal'}, tanh ${useTanh ? 'on' : 'off'}`, () => {
        const K = 3;
        const d = 4;
        const rows = 6;
        const p = randomParams(K, d, full, 11 + (full ? 1 : 0));
        if (!useTanh) for (let i = 0; i < p.logvar.length; i++) p.logvar[i] *= 0.3; // keep exp(logvar) moderate
        const x = randomData(rows, d, 5);
        const { grads } = knifeLossAndGrads(p, x, rows, useTanh);
        const ps = knifeArrays(p);
        const gs = knifeArrays(grads);
        let checked = 0;
        for (let a = 0; a < ps.length; a++) {
          const P = ps[a];
          for (let i = 0; i < P.length; i++) {
            const v0 = P[i];
            // The perturbed values are float32; divide by the step actually taken.
            P[i] = v0 + 1e-3;
            const vp = P[i];
            const lp = knifeLossAndGrads(p, x, rows, useTanh).loss;
            P[i] = v0 - 1e-3;
            const vm = P[i];
            const lm = knifeLossAndGrads(p, x, rows, useTanh).loss;
            P[i] = v0;
            const fd = (lp - lm) / (vp - vm);
            const g = gs[a][i];
            assert.ok(Math.abs(g - fd) <= 2e-6 + 1e-4 * Math.abs(fd), `param array ${a}, entry ${i}: analytic ${g}, finite difference ${fd}`);
            checked++;
          }
        }
        assert.equal(checked, K * d * 2 + (full ? K * d * d : 0) + K);
        if (grads.tri) {
          for (let k = 0; k < K; k++) {
            for (let i = 0; i < d; i++) for (let j = i; j < d; j++) assert.equal(grads.tri[(k * d + i) * d + j], 0, 'no gradient on or above the diagonal');
          }
        }
      });
    }
  }

  it('accumulate into given buffers (torch .backward semantics)', () => {
    const p = randomParams(2, 3, true, 3);
    const x = randomData(5, 3, 4);
    const once = knifeLossAndGrads(p, x, 5, true).grads;
    const twice = knifeLossAndGrads(p, x, 5, true, knifeLossAndGrads(p, x, 5, true).grads).grads;
    const a = knifeArrays(once);
    const b = knifeArrays(twice);
    for (let i = 0; i < a.length; i++) for (let j = 0; j < a[i].length; j++) assert.ok(Math.abs(b[i][j] - 2 * a[i][j]) < 1e-12);
  });
});

describe('Adam and StepLR', () => {
  it('Adam follows torch: the first step moves every parameter with a non-zero gradient by ≈ lr against its sign', () => {
    const P = Float32Array.from([1, 2, 3]);
    const adam = new Adam([P], { lr: 0.1 });
    adam.step([[0.5, -2, 0]]);
    assert.ok(Math.abs(P[0] - 0.9) < 1e-6 && Math.abs(P[1] - 2.1) < 1e-6);
    assert.equal(P[2], 3, 'a zero gradient leaves the parameter unchanged');
  });

  it('StepLR multiplies the learning rate by gamma every stepSize epochs', () => {
    const opt = { lr: 1 };
    const sched = new StepLR(opt, 2, 0.1);
    const lrs = [];
    for (let e = 0; e < 5; e++) {
      lrs.push(opt.lr);
      sched.step();
    }
    assert.deepEqual(lrs.map((v) => +v.toPrecision(6)), [1, 1, 0.1, 0.1, 0.01]);
  });
});

describe('KNIFE scoring on tfjs (GEMM form)', () => {
  for (const full of [false, true]) {
    it(`agrees with the float64 path, also for uncentred data, and leaks no tensor: ${full ? 'full' : 'diagonal'}`, async () => {
      const d = 6;
      const p = randomParams(4, d, full, 21);
      for (const offset of [0, 50]) {
        if (offset) for (let i = 0; i < p.means.length; i++) p.means[i] += offset;
        // Two chunks, so the chunked matrix path is exercised too.
        const x = randomData(300, d, 8, offset);
        const X = matrixFromChunks(d, [x.subarray(0, 120 * d), x.subarray(120 * d)]);
        const before = tf.memory().numTensors;
        const lp = await knifeLogPdf(p, X, true);
        assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
        const ref = nllRows(p, x, true);
        for (let i = 0; i < ref.length; i++) assert.ok(Math.abs(lp[i] + ref[i]) < 2e-4 * Math.max(1, Math.abs(ref[i])), `offset ${offset}, row ${i}: ${lp[i]} vs ${-ref[i]}`);
      }
    });
  }

  it('rejects data of the wrong width', async () => {
    await assert.rejects(knifeLogPdf(randomParams(2, 3, false, 1), denseMatrix(1, 2, new Float32Array(2)), true), /d=3/);
  });
});

describe('fitKnife', () => {
  // Two well-separated blobs in d = 3.
  const d = 3;
  const N = 400;
  const data = new Float32Array(N * d);
  const rng = new Rng(99);
  for (let i = 0; i < N; i++) for (let j = 0; j < d; j++) data[i * d + j] = (i % 2 ? 2 : -2) + 0.5 * rng.normal();
  const X = denseMatrix(N, d, data);

  for (const full of [false, true]) {
    it(`decreases the loss on simple data (${full ? 'full' : 'diagonal'}) and reports progress up to 1`, async () => {
      const progress: number[] = [];
      const settings = fitSettings({ epochs: 6, learningRate: 2e-2, stepSize: 4 });
      const { params, losses } = await fitKnife(X, { K: 3, full, settings, rng: new Rng(1), onProgress: (f) => progress.push(f) });
      assert.equal(losses.length, 6);
      assert.ok(losses[5] < losses[0] - 0.5, `losses ${losses.map((l) => l.toFixed(3)).join(' ')}`);
      const initial = initKnifeParams(3, d, new Rng(1), full);
      const nll = (lp: Float64Array) => -lp.reduce((a, b) => a + b, 0) / lp.length;
      const before = nll(await knifeLogPdf(initial, X, true));
      const after = nll(await knifeLogPdf(params, X, true));
      assert.ok(after < before - 0.5, `NLL ${before} → ${after}`);
      assert.equal(progress.at(-1), 1);
      for (let i = 1; i < progress.length; i++) assert.ok(progress[i] >= progress[i - 1]);
    });
  }

  it('is reproducible from its seed, follows a given batch order, and accumulates gradients when zeroGrad is false', async () => {
    const settings = fitSettings({ epochs: 2 });
    const a = await fitKnife(X, { K: 2, full: true, settings, rng: new Rng(5) });
    const b = await fitKnife(X, { K: 2, full: true, settings, rng: new Rng(5) });
    assert.deepEqual(a.params, b.params);
    const orderRng = new Rng(6);
    const batchOrder = [orderRng.permutation(N), orderRng.permutation(N)];
    const c = await fitKnife(X, { K: 2, full: true, settings, rng: new Rng(5), batchOrder });
    const e = await fitKnife(X, { K: 2, full: true, settings, rng: new Rng(5), batchOrder });
    assert.deepEqual(c.params, e.params);
    assert.notDeepEqual(c.params.means, a.params.means);
    const f = await fitKnife(X, { K: 2, full: true, settings: { ...settings, zeroGrad: false }, rng: new Rng(5), batchOrder });
    assert.notDeepEqual(f.params.means, c.params.means);
    await assert.rejects(fitKnife(X, { K: 2, full: true, settings, rng: new Rng(5), batchOrder: [batchOrder[0]] }), /batchOrder/);
  });


  it('initialises like the official MargKernel: all parameters ~ N(0, 1), weights 1, no tri when diagonal', () => {
    const p = initKnifeParams(5, 40, new Rng(3), true);
    assert.deepEqual(Array.from(p.weigh), [1, 1, 1, 1, 1]);
    for (const a of [p.means, p.logvar, p.tri!]) {
      const m = a.reduce((s, v) => s + v, 0) / a.length;
      const sd = Math.sqrt(a.reduce((s, v) => s + (v - m) ** 2, 0) / a.length);
      assert.ok(Math.abs(m) < 0.15 && Math.abs(sd - 1) < 0.1, `mean ${m}, sd ${sd}`);
    }
    assert.equal(initKnifeParams(5, 40, new Rng(3), false).tri, null);
  });
});
