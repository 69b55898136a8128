/**
 * Fidelity of the whole estimator against exact answers (docs/estimator.md, "Synthetic data with known answers", "What decides fidelity"): dataset atoms on the paper's
 * circuits, the official uniform-prior bias, and per-sample agreement with an exact-density oracle.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decompose } from '../../src/engine/estimate/decompose';
import { estimateRun } from '../../src/engine/estimate/lsmi';
import type { ResultsData } from '../../src/engine/io/results';
import { type CircuitName, circuitModel, gaussianModel, mae, oracle, pearson, sample, toRun, truePrior } from '../../src/engine/synthetic';

const POPULATION: Record<CircuitName, [number, number, number, number]> = {
  xor: [0, 0, 0, 0.6931],
  or: [0.2151, 0, 0.0005, 0.3466],
  xor_not_a: [0, 0, 0.3466, 0.3465],
  xor_not_b: [0, 0, 0.3466, 0.3466],
};

const atoms = (r: ResultsData) => {
  const a = r.meta.dataset.adjusted;
  return [a.R, a.U1, a.U2, a.S];
};

/** Components K matched to the clusters per modality (docs/estimator.md, "What decides fidelity": K must fit the data): what the density search should find. */
const K_FOR: Record<string, number> = { xor: 2, or: 2, xor_not_a: 4, xor_not_b: 4, 'gaussian-C2': 2 };

describe('fidelity: the paper circuits at σ = 0.1, N = 10000, probes trained (no logits)', () => {
  for (const name of ['xor', 'or', 'xor_not_a', 'xor_not_b'] as CircuitName[]) {
    it(`${name}: every atom within 0.01 nats of the oracle on the same samples and 0.02 of the population truth`, async () => {
      const data = sample(circuitModel(name), 10000, 11);
      const exact = oracle(data);
      const truth = decompose(exact).means.adjusted;
      const results = await estimateRun(toRun(data), 'test', { settings: { seed: 1 } });
      const got = atoms(results);
      const want = [truth.R, truth.U1, truth.U2, truth.S];
      console.log(`      ${name}: estimate ${got.map((v) => v.toFixed(4)).join(' ')} | oracle ${want.map((v) => v.toFixed(4)).join(' ')}`);
      got.forEach((v, k) => assert.ok(Math.abs(v - want[k]) <= 0.01, `atom ${'R U1 U2 S'.split(' ')[k]}: ${v} vs oracle ${want[k]}`));
      got.forEach((v, k) => assert.ok(Math.abs(v - POPULATION[name][k]) <= 0.02, `atom ${k}: ${v} vs population ${POPULATION[name][k]}`));
    });
  }

  it('OR with the uniform prior shows the official bias (R ≈ 0.35 instead of 0.215)', async () => {
    const data = sample(circuitModel('or'), 10000, 12);
    const results = await estimateRun(toRun(data), 'test', { settings: { components: 2, prior: 'uniform', seed: 1 } });
    const R = results.meta.dataset.adjusted.R;
    console.log(`      OR, uniform prior: R = ${R.toFixed(4)}`);
    assert.ok(Math.abs(R - 0.35) <= 0.02, `R = ${R}`);
  });
});

describe('fidelity: per-sample agreement with the exact-density oracle', () => {
  const cases: [string, () => ReturnType<typeof sample>][] = [
    ['xor', () => sample(circuitModel('xor'), 4000, 21)],
    ['or', () => sample(circuitModel('or'), 4000, 22)],
    ['xor_not_a', () => sample(circuitModel('xor_not_a'), 4000, 23)],
    ['gaussian-C2', () => sample(gaussianModel(2, 0.5, 0.5), 4000, 24)],
  ];
  for (const [name, make] of cases) {
    for (const given of [true, false]) {
      it(`${name}, ${given ? 'exact posteriors given as logits' : 'probes trained'}: Pearson(r) ≥ 0.95 and MAE(r) ≤ 0.05`, async () => {
        const data = make();
        const exact = oracle(data);
        const truth = decompose(exact);
        const run = toRun(data, { logits: given ? exact : undefined, labelPrior: truePrior(data.model) });
        const results = await estimateRun(run, 'test', { settings: { seed: 3 } });
        // the density search (defaults) finds at least the clusters each modality has
        for (const m of ['1', '2'] as const) assert.ok(results.meta.density[m].K >= K_FOR[name], `density ${m}: K = ${results.meta.density[m].K}, the data has ${K_FOR[name]} clusters`);
        // per-sample r compared raw (the adjustment shifts every sample by one scalar)
        const p = pearson(results.columns.r_raw, truth.raw.r);
        const err = mae(results.columns.r_raw, truth.raw.r);
        console.log(`      ${name} ${given ? 'logits' : 'probes'}: pearson ${p.toFixed(4)}, MAE ${err.toFixed(4)}`);
        if (Number.isFinite(p)) assert.ok(p >= 0.95, `pearson ${p}`);
        assert.ok(err <= 0.05, `MAE ${err}`);
      });
    }
  }
});

describe('other density settings run end to end', () => {
  it('--mode knife (official KNIFE fit, a short schedule) and --covariance full give finite, consistent results', async () => {
    const data = sample(circuitModel('or'), 1500, 31);
    const exact = oracle(data);
    const run = toRun(data, { logits: exact, labelPrior: truePrior(data.model) });
    for (const settings of [
      { mode: 'knife' as const, components: 2, knife: { epochs: 3 } },
      { mode: 'em' as const, covariance: 'full' as const, components: 2 },
    ]) {
      const r = await estimateRun(run, 'test', { settings });
      const { r: rr, u1, i1 } = r.columns;
      assert.ok(rr.every(Number.isFinite));
      for (let k = 0; k < rr.length; k += 50) assert.ok(Math.abs(rr[k] + u1[k] - i1[k]) < 1e-9);
      assert.equal(r.meta.density['1'].mode, settings.mode);
      // with exact logits and the true prior, the dataset atoms depend on the mean MIs only (docs/estimator.md, "The RUS adjustment"), whatever the density
      const want = decompose(exact).means.adjusted;
      assert.ok(Math.abs(r.meta.dataset.adjusted.R - want.R) < 1e-6, `${settings.mode}: R ${r.meta.dataset.adjusted.R} vs ${want.R}`);
    }
  });
});
