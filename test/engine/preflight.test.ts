/**
 * Input problems are named as input problems (docs/run-format.md, Validation): what made `lsmi estimate` stop with
 * "internal error" mid-computation is refused up front (src/engine/estimate/preflight.ts) with an
 * LsmiInputError naming the file, the column or setting, the rows, and what to do.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { estimateRun } from '../../src/engine/estimate/lsmi';
import { circuitModel, sample, toRun } from '../../src/engine/synthetic';

const run = (n: number, opts: Parameters<typeof toRun>[1] = {}) => toRun(sample(circuitModel('xor'), n, 3), opts);

async function refused(p: Promise<unknown>, code: string, message: RegExp, extra: { column?: string; rows?: number[]; setting?: string } = {}): Promise<void> {
  const e = (await p.then(() => assert.fail('accepted'), (x: unknown) => x)) as Error & { code: string; file: string; column?: string; rows?: number[]; setting?: string };
  assert.equal(e.name, 'LsmiInputError', e.stack);
  assert.equal(e.code, code, e.message);
  assert.match(e.file, /^<synthetic xor>$/);
  assert.match(e.message, message);
  for (const [k, v] of Object.entries(extra)) assert.deepEqual((e as unknown as Record<string, unknown>)[k], v, k);
}

describe('estimate preflight: input problems up front, as input problems', () => {
  it('values so large the fits overflow (3e38 made LDA fail: "not positive definite")', async () => {
    const r = run(200);
    r.emb1.chunks[0].data[2 * 7] = 3e38;
    await refused(estimateRun(r, 'test'), 'EXTREME_VALUES', /1 row\(s\) hold values beyond ±1e\+12 \(up to 3\.00e\+38\), at row 7\. .*standardise the embeddings/, { column: 'emb_1', rows: [7] });
  });

  it('too few samples for the folds: says which number of folds would do', async () => {
    await refused(estimateRun(run(12), 'test'), 'TOO_FEW_SAMPLES', /5-fold cross-fitting of the probes needs at least 5 samples per fold \(25 in all\), but the run has 12\. Use --folds 2 \(setting folds\)/, { setting: 'folds' });
    await refused(estimateRun(run(1), 'test'), 'TOO_FEW_SAMPLES', /A probe needs at least 10 samples; give logits for every head instead/);
    await refused(estimateRun(run(40), 'test', { settings: { folds: 20 } }), 'TOO_FEW_SAMPLES', /20-fold .* but the run has 40\. Use --folds 8 or fewer/);
  });

  it('a split without train samples', async () => {
    await refused(estimateRun(run(100, { split: new Uint8Array(100).fill(2) }), 'test'), 'BAD_SPLIT', /no sample has split 'train'/, { column: 'split' });
  });

  it('a class without samples under the empirical prior', async () => {
    const r = run(100);
    r.nClasses = 3;
    r.meta.classNames = ['0', '1', 'ghost'];
    await refused(estimateRun(r, 'test'), 'EMPTY_CLASS', /1 of the 3 classes has no sample: 2 \(ghost\)\. .*--prior uniform/, { column: 'label' });
  });

  it('a given label prior of 0 for a class that has samples (once a plain Error mid-estimate)', async () => {
    const r = run(100);
    r.meta.labelPrior = [1, 0];
    await refused(estimateRun(r, 'test'), 'BAD_METADATA', /label_prior gives probability 0 to 1 class\(es\) that have samples: 1 /);
  });
});
