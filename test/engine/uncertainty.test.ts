/**
 * Uncertainty (src/engine/uncertainty.ts, the significance in src/engine/compare.ts):
 * the bootstrap's coverage against a known population mean, t intervals and fair class rankings,
 * and Compare Runs' significance on real estimates of the example run.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compareResults, significantMoves, summarizeComparison } from '../../src/engine/compare';
import { type PointwiseAtoms, adjustment } from '../../src/engine/estimate/decompose';
import { estimateRun } from '../../src/engine/estimate/lsmi';
import { readRun } from '../../src/engine/io';
import { readResults, writeResults } from '../../src/engine/io/results';
import { denseMatrix, toDense } from '../../src/engine/io/matrix';
import { Rng } from '../../src/engine/random';
import {
  BlockSums,
  classIntervals,
  datasetIntervals,
  excludesZero,
  normalQuantile,
  rankClasses,
  tQuantile,
} from '../../src/engine/uncertainty';
import { REPO } from './fixtures';

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lsmi-uncertainty-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Per-sample atoms with known population means: r ~ 1 + N(0,1), u1 ~ Exp(1) − 0.7 (skewed), u2 ~ N(−0.5, 0.5), s ~ 0.2 + 0.6·Exp(1). */
function sampleAtoms(n: number, rng: Rng): PointwiseAtoms {
  const a = { r: new Float64Array(n), u1: new Float64Array(n), u2: new Float64Array(n), s: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    a.r[i] = 1 + rng.normal();
    a.u1[i] = -Math.log(1 - rng.random()) - 0.7;
    a.u2[i] = -0.5 + 0.5 * rng.normal();
    a.s[i] = 0.2 - 0.6 * Math.log(1 - rng.random());
  }
  return a;
}
const TRUTH_RAW = { R: 1, U1: 0.3, U2: -0.5, S: 0.8 };

describe('the bootstrap of the dataset atoms', () => {
  it('covers the population mean in 92–98 % of 500 repetitions, raw and adjusted (the adjustment inside every replicate)', () => {
    const reps = 500;
    const rng = new Rng(11);
    const { adj } = adjustment(TRUTH_RAW);
    assert.equal(adj, -0.5, 'the population is in the priority-2 branch: U2 < 0');
    const truthAdjusted = { R: TRUTH_RAW.R + adj, U1: TRUTH_RAW.U1 - adj, U2: TRUTH_RAW.U2 - adj, S: TRUTH_RAW.S + adj };
    const covered = { raw: { R: 0, U1: 0, U2: 0, S: 0 }, adjusted: { R: 0, U1: 0, U2: 0, S: 0 } };
    for (let k = 0; k < reps; k++) {
      const atoms = sampleAtoms(300, rng);
      const iv = datasetIntervals(atoms, { replicates: 400, level: 0.95, rng: rng.fork() });
      for (const a of ['R', 'U1', 'U2', 'S'] as const) {
        if (iv.raw[a].lo <= TRUTH_RAW[a] && TRUTH_RAW[a] <= iv.raw[a].hi) covered.raw[a]++;
        if (iv.adjusted[a].lo <= truthAdjusted[a] && truthAdjusted[a] <= iv.adjusted[a].hi) covered.adjusted[a]++;
      }
    }
    for (const kind of ['raw', 'adjusted'] as const) {
      for (const a of ['R', 'U1', 'S'] as const) {
        const c = covered[kind][a] / reps;
        assert.ok(c >= 0.92 && c <= 0.98, `${kind} ${a}: coverage ${c}`);
      }
    }
    // the adjusted U2 is 0 by construction in every replicate: its interval is [0, 0], which covers 0
    assert.equal(covered.adjusted.U2, reps);
    const c = covered.raw.U2 / reps;
    assert.ok(c >= 0.92 && c <= 0.98, `raw U2: coverage ${c}`);
  });

  it('with more samples than blocks, block sums give the same coverage (N = 20,000 in 2,000 blocks)', () => {
    const rng = new Rng(5);
    let covered = 0;
    const reps = 200;
    for (let k = 0; k < reps; k++) {
      const atoms = sampleAtoms(20_000, rng);
      const iv = datasetIntervals(atoms, { replicates: 300, level: 0.9, rng: rng.fork() });
      assert.equal(iv.blocks, 2000);
      if (iv.raw.S.lo <= TRUTH_RAW.S && TRUTH_RAW.S <= iv.raw.S.hi) covered++;
    }
    // 90 % intervals, 200 repetitions: binomial sd 2.1 %; 84–96 % is ±3 sd
    assert.ok(covered / reps >= 0.84 && covered / reps <= 0.96, `coverage ${covered / reps}`);
  });

  it('is seeded: the same seed gives the same intervals, another seed others', () => {
    const atoms = sampleAtoms(1000, new Rng(1));
    const a = datasetIntervals(atoms, { replicates: 200, level: 0.95, rng: new Rng(3) });
    const b = datasetIntervals(atoms, { replicates: 200, level: 0.95, rng: new Rng(3) });
    const c = datasetIntervals(atoms, { replicates: 200, level: 0.95, rng: new Rng(4) });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.raw.R, c.raw.R);
  });

  it('draws a replicate in O(blocks): weights on block sums, never a resampled array', () => {
    const n = 100_000;
    const x = new Float64Array(n).map((_, i) => i % 7);
    const sums = new BlockSums([x], new Rng(1));
    assert.equal(sums.blocks, 2000);
    assert.equal(sums.counts.reduce((s, v) => s + v, 0), n);
    assert.ok(Math.abs(sums.sums[0].reduce((s, v) => s + v, 0) - x.reduce((s, v) => s + v, 0)) < 1e-6);
    let k = 0;
    sums.replicate(10, new Rng(2), (m) => {
      k++;
      assert.ok(Math.abs(m[0] - 3) < 0.1, `replicate mean ${m[0]}`);
    });
    assert.equal(k, 10);
  });
});

describe('t intervals and class rankings', () => {
  it('quantiles: normal and t against tables', () => {
    assert.ok(Math.abs(normalQuantile(0.975) - 1.959964) < 1e-6);
    assert.ok(Math.abs(normalQuantile(0.05) + 1.644854) < 1e-6);
    // t_{0.975} for df = 1, 2, 5, 10, 30, 100 (R: qt(0.975, df))
    for (const [df, t] of [[1, 12.7062], [2, 4.3027], [5, 2.5706], [10, 2.2281], [30, 2.0423], [100, 1.984]] as const) {
      assert.ok(Math.abs(tQuantile(0.975, df) - t) < 2e-3 * t, `df ${df}: ${tQuantile(0.975, df)} vs ${t}`);
    }
  });

  it('ranking by the lower bound puts a 40-sample class below a 4,000-sample class with the same mean', () => {
    const rng = new Rng(9);
    const nA = 40;
    const nB = 4000;
    const labels = new Int32Array(nA + nB);
    const s = new Float64Array(nA + nB);
    // both classes: mean exactly 0.5, sd 0.6 (values standardised per class)
    const fill = (from: number, n: number, label: number) => {
      const z = Array.from({ length: n }, () => rng.normal());
      const m = z.reduce((a, b) => a + b, 0) / n;
      const sd = Math.sqrt(z.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1));
      for (let i = 0; i < n; i++) {
        labels[from + i] = label;
        s[from + i] = 0.5 + (0.6 * (z[i] - m)) / sd;
      }
    };
    fill(0, nA, 0);
    fill(nA, nB, 1);
    const ci = classIntervals([s, s, s, s], labels, 2, 0.95);
    const perClass = [0, 1].map((c) => ({
      index: c,
      name: c === 0 ? 'rare' : 'common',
      n: ci.n[c],
      adjusted: { R: ci.mean[0][c], U1: ci.mean[1][c], U2: ci.mean[2][c], S: ci.mean[3][c] },
      intervals: { R: ci.interval[0][c], U1: ci.interval[1][c], U2: ci.interval[2][c], S: ci.interval[3][c] },
    }));
    assert.ok(Math.abs(perClass[0].adjusted.S - perClass[1].adjusted.S) < 1e-12, 'same mean');
    // by the mean they tie (ties go by class index: the rare one first); by the lower bound the common one leads
    assert.deepEqual(rankClasses(perClass, 'S', { by: 'mean' }).rows.map((r) => r.name), ['rare', 'common']);
    assert.deepEqual(rankClasses(perClass, 'S', { by: 'lower' }).rows.map((r) => r.name), ['common', 'rare']);
    const rare = perClass[0].intervals.S!;
    const common = perClass[1].intervals.S!;
    assert.ok(rare.hi - rare.lo > 5 * (common.hi - common.lo), "the rare class's interval is much wider");
    // the minimum n leaves the rare class out, and says so
    const filtered = rankClasses(perClass, 'S', { minN: 50 });
    assert.deepEqual(filtered.rows.map((r) => r.name), ['common']);
    assert.equal(filtered.excluded, 1);
  });

  it('the normalised view divides by the surprisal −log p(y), so a rare label no longer wins on frequency alone', () => {
    // two classes whose samples carry the same share (40 %) of their label's information
    const pRare = 0.01;
    const pCommon = 0.5;
    const perClass = [
      { index: 0, name: 'rare', n: 100, adjusted: { R: 0, U1: 0, U2: 0, S: 0.4 * -Math.log(pRare) }, surprisal: -Math.log(pRare), intervals: { R: null, U1: null, U2: null, S: { lo: 1.7, hi: 2 } } },
      { index: 1, name: 'common', n: 5000, adjusted: { R: 0, U1: 0, U2: 0, S: 0.4 * -Math.log(pCommon) + 0.01 }, surprisal: -Math.log(pCommon), intervals: { R: null, U1: null, U2: null, S: { lo: 0.28, hi: 0.29 } } },
    ];
    assert.equal(rankClasses(perClass, 'S').rows[0].name, 'rare');
    const norm = rankClasses(perClass, 'S', { normalised: true }).rows;
    assert.equal(norm[0].name, 'common');
    assert.ok(Math.abs(norm[1].value - 0.4) < 1e-12);
    assert.ok(Math.abs(norm[1].interval!.lo - 1.7 / -Math.log(pRare)) < 1e-12);
  });

  it('excludesZero: an end within 1e-9 of 0 counts as 0', () => {
    assert.equal(excludesZero({ lo: 0.01, hi: 0.02 }), true);
    assert.equal(excludesZero({ lo: -0.02, hi: -0.01 }), true);
    assert.equal(excludesZero({ lo: -0.02, hi: 0.01 }), false);
    assert.equal(excludesZero({ lo: -0.0178, hi: -1e-17 }), false);
    assert.equal(excludesZero(null), false);
  });
});

describe('Compare Runs: significance on real estimates of the example run', () => {
  const RUN = path.join(REPO, 'examples', 'fashion-mnist', 'fmnist-late-fusion.arrow');

  it('the same model estimated with two seeds (other folds, calibration halves, density fits): no component moved; with replicate fits no class either', async () => {
    const run = await readRun(RUN);
    const a = await estimateRun(run, 'seed-0', { settings: { seed: 0, replicates: 3 }, backend: 'wasm' });
    const b = await estimateRun(run, 'seed-1', { settings: { seed: 1, replicates: 3 }, backend: 'wasm' });
    assert.equal(a.meta.stability!.replicates, 3);
    assert.equal(a.stability!.s_sd.length, run.n);
    assert.ok(a.meta.stability!.meanSampleSd.S > 0.01, 'the per-sample values do vary between fits');
    // the stability columns and metadata survive the results file
    const file = path.join(dir, 'with-sd.lsmi.arrow');
    await writeResults(file, a);
    const back = await readResults(file);
    assert.deepEqual(Array.from(back.stability!.u2_sd), Array.from(a.stability!.u2_sd));
    assert.deepEqual(back.meta.stability, a.meta.stability);

    // sampling noise only (the results without their replicate fits): no dataset component moved
    const plain = (d: typeof a) => ({ ...d, stability: undefined, meta: { ...d.meta, stability: undefined } });
    const cmp = compareResults([{ file: path.join(dir, 'seed0.lsmi.arrow'), data: plain(a) }, { file: path.join(dir, 'seed1.lsmi.arrow'), data: plain(b) }]);
    const iv = cmp.datasetDeltaIntervals[1]!;
    for (const k of ['R', 'U1', 'U2', 'S'] as const) {
      assert.ok(iv[k].lo <= cmp.datasetDelta[1][k] + 1e-12 && cmp.datasetDelta[1][k] <= iv[k].hi + 1e-12, `${k}: Δ inside its interval`);
    }
    assert.deepEqual(significantMoves(cmp, 1), [], `moves: ${JSON.stringify(significantMoves(cmp, 1))}; intervals ${JSON.stringify(iv)}`);
    assert.deepEqual(cmp.significance.seedNoise, [false, false]);
    let changed = 0;
    for (let j = 0; j < cmp.n; j++) if (Math.abs(cmp.delta[1].s[j]) > 1e-3) changed++;
    assert.ok(changed > cmp.n / 2, `${changed} samples changed: not the same estimate twice`);
    assert.equal(cmp.significance.replicates, 1000);
    assert.match(cmp.significance.classMethod, /Bonferroni-simultaneous over the 10 classes/);

    // with the estimator's seed-to-seed noise measured (replicate fits), no class shift is called a move either
    const full = compareResults([{ file: path.join(dir, 'seed0.lsmi.arrow'), data: a }, { file: path.join(dir, 'seed1.lsmi.arrow'), data: b }]);
    assert.deepEqual(full.significance.seedNoise, [false, true]);
    const s = summarizeComparison(full, { order: 'stable' });
    assert.deepEqual(s.runs[1].moved, []);
    for (const c of ['r', 'u1', 'u2', 's'] as const) {
      for (const d of ['gained', 'lost'] as const) assert.deepEqual(s.shifts[0].shifts[c][d].filter((x) => x.significant).map((x) => x.name), [], `${c} ${d}`);
    }
    // the intervals widened: each at least as wide as without the seed noise
    for (const k of ['R', 'U1', 'U2', 'S'] as const) {
      const w = full.datasetDeltaIntervals[1]![k];
      assert.ok(w.lo <= iv[k].lo + 1e-12 && w.hi >= iv[k].hi - 1e-12, `${k} widened`);
    }
    // movers by stability: |Δ| / √(sd² + sd²), descending, and every row says its noise
    const rows = s.movers[0].page.rows;
    assert.equal(s.movers[0].page.order, 'stable');
    const z = rows.map((r) => Math.abs(r.delta) / Math.max(1e-6, r.stability!));
    for (let i = 1; i < z.length; i++) assert.ok(z[i - 1] >= z[i] - 1e-12, `ranked by |Δ|/sd: ${z}`);
    assert.throws(() => summarizeComparison(cmp, { order: 'stable' }), /estimated without replicates \(lsmi estimate --replicates R/);
  });

  for (const [sign, label] of [[1, 'raised'], [-1, 'lowered']] as const) {
    it(`logits_12 ${label} for the true class: S moved by the known amount, with the right sign, and nothing else moved`, async () => {
      const run = await readRun(RUN);
      const settings = { seed: 0, calibrate: 'none' as const };
      const base = await estimateRun(run, 'base', { settings, backend: 'wasm' });
      // a known perturbation: +-0.3 on the true class's logit changes log p(y|x1,x2) by an amount computed here
      const l12 = run.logits['12']!;
      const C = run.nClasses;
      const perturbed = new Float32Array(toDense(l12));
      let known = 0;
      const logp = (row: ArrayLike<number>, y: number) => {
        let mx = -Infinity;
        for (let c = 0; c < C; c++) mx = Math.max(mx, row[c]);
        let z = 0;
        for (let c = 0; c < C; c++) z += Math.exp(row[c] - mx);
        return row[y] - mx - Math.log(z);
      };
      for (let i = 0; i < run.n; i++) {
        const y = run.labels[i];
        const before = logp(Array.from(perturbed.subarray(i * C, (i + 1) * C)), y);
        perturbed[i * C + y] += 0.3 * sign;
        known += logp(Array.from(perturbed.subarray(i * C, (i + 1) * C)), y) - before;
      }
      known /= run.n;
      const other = await estimateRun({ ...run, logits: { ...run.logits, '12': denseMatrix(run.n, C, perturbed) } }, 'perturbed', { settings, backend: 'wasm' });
      const cmp = compareResults([{ file: path.join(dir, 'base.lsmi.arrow'), data: base }, { file: path.join(dir, 'perturbed.lsmi.arrow'), data: other }]);
      const moves = significantMoves(cmp, 1);
      assert.deepEqual(moves.map((m) => m.atom), ['S']);
      assert.equal(Math.sign(moves[0].delta), sign);
      assert.ok(Math.abs(moves[0].delta - known) < 1e-4, `ΔS ${moves[0].delta} vs the known ${known}`);
      assert.ok(moves[0].interval.lo <= known && known <= moves[0].interval.hi);
      for (const k of ['R', 'U1', 'U2'] as const) assert.ok(Math.abs(cmp.datasetDelta[1][k]) < 1e-9, `Δ${k} ${cmp.datasetDelta[1][k]}`);
      const shifts = summarizeComparison(cmp).shifts[0].shifts.s[sign > 0 ? 'gained' : 'lost'];
      assert.ok(shifts.filter((x) => x.significant).length >= 8, 'most classes shifted beyond noise');
      for (const x of shifts) assert.ok(x.n >= 150 && x.interval, `${x.name}: n ${x.n} and an interval`);
    });
  }
});
