/**
 * The interaction-guided ensemble against hand-computed values (cases E1–E5 of docs/pid.md, "Test cases") and
 * through the `lsmi ensemble` / `pid` / `bounds` commands on real run files.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { interactionEnsemble, labelFreeInteractions, lsmiRuleWeights, poolScores, stratifiedFolds, weightedEnsembleWeights, assertOutOfSample } from '../../src/engine/pid';
import { Rng } from '../../src/engine/random';
import { circuitModel, gaussianModel, oracle, sample, toRun } from '../../src/engine/synthetic';
import { runCli } from './cli-run';
import { fixture } from './fixtures';

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

describe('interaction-guided ensemble (docs/pid.md E1–E5)', () => {
  it('E1: label-free interactions, the LSMI-rule weights and pool', () => {
    const lp = (p: number[]) => p.map(Math.log);
    const p1 = [0.8, 0.2], p2 = [0.6, 0.4], p12 = [0.9, 0.1];
    const [r, u1, u2, s] = labelFreeInteractions(lp(p1), lp(p2), lp(p12), 1, 2, lp([0.5, 0.5]));
    close(r, 0.331374, 1e-6, 'r̄');
    close(u1, 0, 1e-12, 'ū1');
    close(u2, -0.189599, 1e-6, 'ū2');
    close(s, 0.226289, 1e-6, 's̄');
    const w = lsmiRuleWeights(1, u1, u2, s, [1, 2, 12]);
    [0.324546, 0.268494, 0.40696].forEach((v, k) => close(w[k], v, 1e-6, `w${k}`));
    const pool = [0, 1].map((c) => w[0] * p1[c] + w[1] * p2[c] + w[2] * p12[c]);
    close(pool[0], 0.786997, 1e-6, 'pool 0');
    close(pool[1], 0.213003, 1e-6, 'pool 1');
    const w0 = lsmiRuleWeights(0, u1, u2, s, [1, 2, 12]);
    close(w0[0] * p1[0] + w0[1] * p2[0] + w0[2] * p12[0], 0.766667, 1e-6, 'τ = 0 is Additive');
  });

  it('E2: Additive of two members', () => {
    const r = poolScores([Float64Array.from([0.7, 0.3, 0.4, 0.6]), Float64Array.from([0.2, 0.8, 0.9, 0.1])], [0.5, 0.5], Int32Array.from([1, 0]), 2);
    [0.45, 0.55, 0.65, 0.35].forEach((v, k) => close(r.probs[k], v, 1e-12, `p${k}`));
    assert.equal(r.accuracy, 1);
    close(r.logLoss, 0.51431, 1e-6, 'log-loss');
  });

  it('E3: Weighted moves all weight to the member that is always right with .9', () => {
    const n = 100;
    const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
    const a = new Float64Array(n * 2);
    const b = new Float64Array(n * 2).fill(Math.log(0.5));
    for (let i = 0; i < n; i++) for (let c = 0; c < 2; c++) a[i * 2 + c] = Math.log(c === labels[i] ? 0.9 : 0.1);
    const w = weightedEnsembleWeights([a, b], labels, 2, Array.from({ length: n }, (_, i) => i), 5000, 0);
    close(w[0], 1, 1e-3, 'w_A');
    const r = poolScores([a.map(Math.exp), b.map(Math.exp)], Array.from(w), labels, 2);
    close(r.logLoss, 0.105361, 1e-3, 'log-loss');
  });

  /** Two "runs" of exact posteriors (the official demo's Gaussian classes, C = 3), the second over-confident (logits × 3). */
  function input(seed: number) {
    const data = sample(gaussianModel(3, 0.5, 1), 600, seed);
    const t = oracle(data);
    const N = data.labels.length;
    const C = 3;
    const flat = (rows: Float64Array[]) => {
      const out = new Float64Array(N * C);
      rows.forEach((r, i) => out.set(r, i * C));
      return out;
    };
    const lsm = (z: Float64Array) => {
      const out = new Float64Array(z.length);
      for (let i = 0; i < N; i++) {
        const row = Array.from(z.subarray(i * C, i * C + C));
        const m = Math.max(...row);
        const l = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
        for (let c = 0; c < C; c++) out[i * C + c] = z[i * C + c] - l;
      }
      return out;
    };
    const run = (label: string, scale: number) => ({
      label,
      logp1: lsm(flat(t.logPost1).map((v) => v * scale)),
      logp2: lsm(flat(t.logPost2).map((v) => v * scale)),
      logp12: lsm(flat(t.logPost12).map((v) => v * scale)),
      h1: Float64Array.from(t.h1),
      h2: Float64Array.from(t.h2),
    });
    return { labels: data.labels, nClasses: C, classNames: ['0', '1', '2'], runs: [run('a', 1), run('b', 3)] };
  }

  it('E4: permuting the held-out labels of a fold leaves its weights and predictions bit-identical', async () => {
    const inp = input(1);
    const folds = stratifiedFolds(inp.labels, 3, 5, new Rng(9));
    const a = await interactionEnsemble({ ...inp, folds }, { bootstrap: 0 });
    const labels = Int32Array.from(inp.labels);
    const held = [...labels.keys()].filter((i) => folds[i] === 0);
    const perm = new Rng(4).permutation(held.length);
    const shuffled = Int32Array.from(labels);
    held.forEach((i, j) => (shuffled[i] = labels[held[perm[j]]]));
    assert.notDeepEqual(shuffled, labels);
    const b = await interactionEnsemble({ ...inp, labels: shuffled, folds }, { bootstrap: 0 });
    assert.deepEqual(b.folds[0], a.folds[0]);
    for (let v = 0; v < a.oof.length; v++) {
      for (const i of held) {
        assert.equal(b.oof[v].pred[i], a.oof[v].pred[i]);
        for (let c = 0; c < 3; c++) assert.ok(Object.is(b.oof[v].logProbs[i * 3 + c], a.oof[v].logProbs[i * 3 + c]), `variant ${v} sample ${i}`);
      }
    }
  });

  it('E5: every variant is scored on the same N samples, out of fold; calibrated members beat an over-confident copy; intervals bracket the scores', async () => {
    const inp = input(2);
    const r = await interactionEnsemble(inp, { bootstrap: 300 });
    assert.equal(r.variants.length, 6 + 4);
    for (const o of r.oof) {
      assert.equal(o.pred.length, r.n);
      assert.ok(o.logProbs.every(Number.isFinite), 'a prediction for every sample and class');
    }
    for (const v of r.variants) {
      assert.ok(v.intervals!.logLoss.lo <= v.logLoss && v.logLoss <= v.intervals!.logLoss.hi, v.name);
      const n = r.classCounts.reduce((s, c) => s + c, 0);
      assert.equal(n, r.n);
    }
    const byName = (s: string) => r.variants.find((v) => v.name.startsWith(s))!;
    // Weighted never does worse in log-loss on its own training folds than a single member; out of
    // fold it should still beat the over-confident copy's fused head
    assert.ok(byName('Weighted').logLoss < byName('b · head 12').logLoss);
    assert.equal(r.bestHead, 'a · head 12');
    // non-OOF member logits are refused: no split column and no declaration
    const data = sample(circuitModel('xor'), 50, 1);
    const run = toRun(data, { logits: oracle(data) });
    assert.throws(() => assertOutOfSample(run), (e: Error & { code?: string }) => e.code === 'NOT_OUT_OF_SAMPLE');
    assertOutOfSample({ ...run, meta: { ...run.meta, extra: { logits_out_of_sample: true } } });
  });
});

describe('lsmi pid / bounds / ensemble', () => {
  it('ensemble: two results files of runs with logits and a split; train samples left out; --json; refusals', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lsmi-ens-'));
    try {
      const files: string[] = [];
      for (const name of ['a', 'b']) {
        const run = path.join(dir, `${name}.npz`);
        fs.copyFileSync(fixture('run-compressed.npz'), run);
        fs.copyFileSync(fixture('run-compressed.json'), path.join(dir, `${name}.json`));
        const e = await runCli('estimate', run, '--probe', 'lda', '--covariance', 'diag', '--components', '2', '--bootstrap', '0');
        assert.equal(e.code, 0, e.err);
        files.push(path.join(dir, `${name}.lsmi.arrow`));
      }
      const r = await runCli('ensemble', ...files, '--bootstrap', '200', '--folds', '3');
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /200 samples out of sample in every run \(left out: 100 train, 0 not in every run\)/);
      assert.match(r.out, /LSMI-gate/);
      assert.match(r.out, /per class/);
      const j = JSON.parse((await runCli('ensemble', ...files, '--bootstrap', '0', '--json')).out);
      assert.equal(j.n, 200);
      assert.equal(j.variants.length, 10);
      assert.equal(j.oof, undefined);
      // one file, a run file, a run without logits: refused
      assert.equal((await runCli('ensemble', files[0])).code, 2);
      const notResults = await runCli('ensemble', path.join(dir, 'a.npz'), files[1]);
      assert.equal(notResults.code, 1);
      assert.match(notResults.err, /\[NOT_RESULTS\]/);
      assert.equal((await runCli('ensemble', ...files, '--folds', '1')).code, 2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('pid and bounds on a run file: text and --json, exact identities, settings recorded, bad settings are usage errors', async () => {
    const f = fixture('run-compressed.npz');
    const r = await runCli('pid', f, '--clusters', '4', '--shuffles', '3');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /BROJA PID of .*300 samples; clusters 4 × 4/);
    assert.match(r.out, /null \(3 label shuffles\)/);
    assert.match(r.out, /duality gap .* \(converged\)/);
    const j = JSON.parse((await runCli('pid', f, '--clusters', '4', '--shuffles', '0', '--json')).out);
    assert.equal(j.settings.clusters, 4);
    assert.equal(j.settings.seed, 0);
    close(j.atoms.R + j.atoms.U1 + j.atoms.U2 + j.atoms.S, j.info.I12, 1e-8, 'sum');
    assert.equal(j.bounds, undefined);
    const b = JSON.parse((await runCli('bounds', f, '--clusters', '4', '--json')).out);
    assert.ok(b.bounds.lower <= b.bounds.brojaS + 1e-6 && b.bounds.brojaS <= b.bounds.upper + 1e-6);
    assert.equal(b.null, undefined);
    assert.ok(b.bounds.heads && b.bounds.heads.alpha > 0, 'α̂ from the run\'s logits');
    const bt = await runCli('bounds', f, '--clusters', '4');
    assert.match(bt.out, /S_R \(redundancy, 3 margins\)/);
    assert.match(bt.out, /S_U \(upper\)/);
    for (const bad of [['--clusters', '1'], ['--scale', 'cubic'], ['--tol', '0'], ['--seed', '-1']]) {
      const e = await runCli('pid', f, ...bad);
      assert.equal(e.code, 2, bad.join(' '));
    }
    const few = await runCli('pid', f, '--clusters', '200');
    assert.equal(few.code, 1);
    assert.match(few.err, /\[TOO_FEW_SAMPLES\]/);
  });
});
