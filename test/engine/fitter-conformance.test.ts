/**
 * One conformance suite for every fitter of the estimator, run the same way on each: the same seed
 * gives the same fit (and another seed, where the fitter is random, another fit); an abort before or
 * during the fit stops it promptly with an AbortError; progress never goes back and ends at 1; no
 * tfjs tensor outlives a fit, an abort or a scoring. The fitters: EM mixtures (diagonal, full,
 * tied, full by the shrunk fit), the density search with its refit, KNIFE, the MLP probe, the cross-fitted head with each
 * probe family and `auto`, a whole head (probe, cross-fit and calibration) and the out-of-fold
 * calibration on given logits. Fitter-specific behaviour stays in em.test.ts, density.test.ts,
 * knife.test.ts and heads.test.ts.
 *
 * The one timing check kept in the unit tests is here: an abort takes effect within 1.5 s, because
 * cancelling (the CLI's Ctrl+C, LSMI: Cancel Estimation) is a feature with a time limit. Speed is
 * measured by `npm run bench` and `npm run bench:panels`.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initBackend, tf } from '../../src/engine/compute/backend';
import { estimateDensity } from '../../src/engine/estimate/density';
import { fitGmm, gmmLogPdf } from '../../src/engine/estimate/density/em';
import { fitKnife } from '../../src/engine/estimate/density/knife';
import { crossCalibrate } from '../../src/engine/estimate/heads/calibration';
import { crossFitHead } from '../../src/engine/estimate/heads/crossfit';
import { estimateHead } from '../../src/engine/estimate/heads/index';
import { fitProbe, scoreLogits } from '../../src/engine/estimate/heads/mlp';
import { stratifiedFolds } from '../../src/engine/estimate/heads/rows';
import { DEFAULT_SETTINGS, resolveSettings } from '../../src/engine/estimate/settings';
import { denseMatrix, type Matrix } from '../../src/engine/io/matrix';
import { Rng } from '../../src/engine/random';
import { circuitModel, sample, toRun } from '../../src/engine/synthetic';

interface FitArgs {
  seed: number;
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
}

interface Fitter {
  name: string;
  /** Fits (and, where the fitter has one, scores) and returns what must be identical for one seed. */
  run(a: FitArgs): Promise<unknown>;
  /** Whether another seed must give another result (false for deterministic fitters such as LDA). */
  random: boolean;
  /** Whether the fitter reports progress (false: only an abort before the start is checked). */
  progress?: false;
}

function blobs(n: number, d: number, seed: number): Matrix {
  const rng = new Rng(seed);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j] = 4 * (i % 3) + rng.normal();
  return denseMatrix(n, d, x);
}

const X = blobs(6000, 4, 1);
/** KNIFE reports progress every 50 ms: a fit of a few hundred ms. */
const XK = blobs(4000, 24, 3);
const XOR_DATA = sample(circuitModel('xor'), 1500, 2);
const XOR = { x1: XOR_DATA.emb1, x2: XOR_DATA.emb2, labels: XOR_DATA.labels };
const EM = { ...DEFAULT_SETTINGS.em, tol: 0, maxIter: 30 };
/** XOR+NOT: four clusters per modality, for the density search; a run of it for the whole head. */
const CIRCUIT = sample(circuitModel('xor_not_a'), 2000, 29);
const RUN = toRun(CIRCUIT);
const ALL_XOR = Int32Array.from({ length: XOR.labels.length }, (_, i) => i);
/** Logits of a bad head (the XOR label read off x1 alone, over-confident) for the calibration. */
const LOGITS = denseMatrix(XOR.labels.length, 2, Float32Array.from({ length: 2 * XOR.labels.length }, (_, j) => 5 * XOR.x1.chunks[0].data[j]));

const FITTERS: Fitter[] = [
  ...(['diag', 'full', 'tied'] as const).map((covariance) => ({
    name: `EM mixture (${covariance})`,
    random: true,
    run: async ({ seed, signal, onProgress }: FitArgs) => {
      const p = await fitGmm(X, { K: 3, covariance, em: { ...EM, fitSubsample: 4000, diagFitSubsample: 4000 }, rng: new Rng(seed), signal, onProgress });
      return { p, scores: await gmmLogPdf(p, X, { signal }) };
    },
  })),
  {
    name: "EM mixture (full, em.fullFit 'shrunk': tied start, λ on held-out rows)",
    random: true,
    run: async ({ seed, signal, onProgress }: FitArgs) => {
      const p = await fitGmm(X, { K: 3, covariance: 'full', fullFit: 'shrunk', em: { ...EM, fitSubsample: 4000 }, rng: new Rng(seed), signal, onProgress });
      return { p, scores: await gmmLogPdf(p, X, { signal }) };
    },
  },
  {
    name: "density search ('auto' K and covariance) and refit",
    random: true,
    run: async ({ seed, signal, onProgress }: FitArgs) => {
      const fit = await estimateDensity(CIRCUIT.emb2, resolveSettings({ densitySearch: { ...DEFAULT_SETTINGS.densitySearch, candidates: [1, 2, 4], budgetSeconds: 1000 } }), { rng: new Rng(seed), signal, onProgress });
      return { logp: fit.logp, candidates: fit.report.search!.candidates.map((c) => c.heldOutLogLik) };
    },
  },
  {
    name: 'MLP probe',
    random: true,
    run: async ({ seed, signal, onProgress }: FitArgs) => {
      const settings = { ...DEFAULT_SETTINGS.mlp, epochs: 6, patience: 0 };
      const model = await fitProbe([XOR.x1, XOR.x2], XOR.labels, 2, ALL_XOR, { settings, rng: new Rng(seed), signal, onProgress });
      return Array.from(await scoreLogits(model, { inputs: [XOR.x1, XOR.x2], labels: XOR.labels, nClasses: 2 }, ALL_XOR, signal));
    },
  },
  {
    name: 'KNIFE (official fit)',
    random: true,
    run: async ({ seed, signal, onProgress }: FitArgs) =>
      (await fitKnife(XK, { K: 2, full: true, settings: { ...DEFAULT_SETTINGS.knife, epochs: 8, batchSize: 16 }, rng: new Rng(seed), signal, onProgress })).params,
  },
  ...(['lda', 'logistic', 'mlp', 'auto'] as const).map((probe) => ({
    name: `cross-fitted head, probe ${probe}`,
    random: probe !== 'lda', // LDA's fit has no randomness; its folds are drawn by foldRng, fixed here
    run: async ({ seed, signal, onProgress }: FitArgs) => {
      const settings = resolveSettings({ probe, mlp: { ...DEFAULT_SETTINGS.mlp, epochs: 4, patience: 0 } });
      const r = await crossFitHead({ inputs: [XOR.x1, XOR.x2], labels: XOR.labels, nClasses: 2 }, { folds: 3, settings, foldRng: new Rng(3), rng: new Rng(seed), signal, onProgress });
      return Array.from(r.logits.chunks[0].data);
    },
  })),
  {
    name: 'a whole head: probe auto, cross-fit, vector calibration',
    random: true,
    run: async ({ seed, signal, onProgress }: FitArgs) => {
      const settings = resolveSettings({ seed, folds: 3, calibrate: 'vector', mlp: { ...DEFAULT_SETTINGS.mlp, epochs: 4, patience: 0 } });
      const h = await estimateHead(RUN, '12', settings, { signal, onProgress: onProgress && ((f) => onProgress(f)) });
      return { logProb: h.logProb, calibration: h.report.calibration };
    },
  },
  ...(['temperature', 'bias', 'vector'] as const).map((method) => ({
    name: `calibration out of fold (${method})`,
    random: true,
    progress: false as const,
    run: async ({ seed, signal }: FitArgs) => {
      const fold = stratifiedFolds(ALL_XOR, XOR.labels, 2, new Rng(seed));
      const c = await crossCalibrate(LOGITS, XOR.labels, method, fold, 2, new Rng(seed), signal);
      return { logProb: c.logProb, report: c.report };
    },
  })),
];

const isAbort = (e: unknown) => (e as Error).name === 'AbortError';

before(async () => {
  await initBackend();
});

for (const f of FITTERS) {
  describe(`fitter conformance: ${f.name}`, () => {
    it(`the same seed gives the same result${f.random ? ', another seed another' : ''}`, async () => {
      const a = await f.run({ seed: 11 });
      assert.deepEqual(await f.run({ seed: 11 }), a);
      if (f.random) assert.notDeepEqual(await f.run({ seed: 12 }), a);
    });

    if (f.progress !== false) it('progress never goes back and ends at 1', async () => {
      const seen: number[] = [];
      await f.run({ seed: 13, onProgress: (x) => seen.push(x) });
      assert.ok(seen.length > 1, `only ${seen.length} progress reports`);
      for (let i = 1; i < seen.length; i++) assert.ok(seen[i] >= seen[i - 1], `progress went back: ${seen[i - 1]} → ${seen[i]}`);
      assert.ok(Math.abs(seen[seen.length - 1] - 1) < 1e-12, `ends at ${seen[seen.length - 1]}`);
      for (const x of seen) assert.ok(x >= 0 && x <= 1, `progress ${x} outside [0, 1]`);
    });

    it('an abort before or during the fit stops it promptly with an AbortError; no tensor outlives it', async () => {
      const tensors = tf.memory().numTensors;
      await assert.rejects(f.run({ seed: 14, signal: AbortSignal.abort() }), isAbort);
      if (f.progress === false) {
        assert.equal(tf.memory().numTensors, tensors, 'tensors left behind by the aborted fit');
        return;
      }
      const ac = new AbortController();
      let abortedAt = 0;
      let after = 0;
      const fit = f.run({
        seed: 15,
        signal: ac.signal,
        onProgress: (x) => {
          if (ac.signal.aborted) after++;
          else if (x > 0.2) {
            ac.abort();
            abortedAt = performance.now();
          }
        },
      });
      await assert.rejects(fit, isAbort);
      assert.ok(abortedAt > 0, 'never reached 20 % before finishing');
      assert.ok(performance.now() - abortedAt < 1500, `took ${(performance.now() - abortedAt).toFixed(0)} ms to stop`);
      assert.ok(after <= 2, `${after} progress reports after the abort`);
      assert.equal(tf.memory().numTensors, tensors, 'tensors left behind by the aborted fits');
    });

    it('no tensor outlives a fit', async () => {
      const tensors = tf.memory().numTensors;
      await f.run({ seed: 16 });
      assert.equal(tf.memory().numTensors, tensors);
    });
  });
}
