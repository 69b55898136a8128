/**
 * Input problems are named as input problems (docs/run-format.md, Validation): what made `lsmi estimate` stop with
 * "internal error" mid-computation is refused up front (src/engine/estimate/preflight.ts) with an
 * LsmiInputError naming the file, the column or setting, the rows, and what to do.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LsmiInputError } from '../../src/engine/errors';
import { estimateFile, estimateRun } from '../../src/engine/estimate/lsmi';
import { MIN_SAMPLES } from '../../src/engine/estimate/preflight';
import { readRun } from '../../src/engine/io';
import { circuitModel, sample, toRun } from '../../src/engine/synthetic';
import { copyRun, lsmi, runFile } from './run-files';

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

// ---------------------------------------------------------------------------------------------
// Through the real command line, on files written by pyarrow (test/fixtures/make_preflight.py)

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lsmi-preflight-test-'));
  runFile('good'); // writes the files once
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const FAST = ['--bootstrap', '0', '--backend', 'wasm'];

interface Case {
  run: string;
  args?: string[];
  code: string;
  /** What the message must say (file and column are checked separately). */
  says: RegExp[];
  column?: string;
}

const CASES: Case[] = [
  { run: 'huge-emb', code: 'EXTREME_VALUES', column: 'emb_1', says: [/2 row\(s\) hold values beyond ±1e\+12 \(up to 3\.00e\+38\), at rows 5, 17\./, /standardise the embeddings/] },
  { run: 'huge-logits', code: 'EXTREME_VALUES', column: 'logits_1', says: [/1 row\(s\) hold values beyond ±1e\+12 .*, at row 4\./, /standardise the logits/] },
  { run: 'tiny-emb', code: 'EXTREME_VALUES', column: 'emb_2', says: [/vary by at most \d\.\d\de-\d+ in any dimension/, /standardise the embeddings/i] },
  { run: 'few', code: 'TOO_FEW_SAMPLES', says: [/but the run has 8\. A probe needs at least 10 samples/] },
  { run: 'few-logits', code: 'TOO_FEW_SAMPLES', says: [new RegExp(`the run has 8 sample\\(s\\); an estimate needs at least ${MIN_SAMPLES}`)] },
  { run: 'thirty', args: ['--folds', '7'], code: 'TOO_FEW_SAMPLES', says: [/7-fold cross-fitting of the probes needs at least 5 samples per fold \(35 in all\), but the run has 30\. Use --folds 6 or fewer/] },
  { run: 'few-train', code: 'TOO_FEW_SAMPLES', says: [/5 train samples per fold \(25 in all\), but the run has 6\. A probe needs at least 10 train samples/] },
  { run: 'no-train', code: 'BAD_SPLIT', column: 'split', says: [/no sample has split 'train'/, /drop the split column/] },
  { run: 'empty-class', code: 'EMPTY_CLASS', column: 'label', says: [/1 of the 4 classes has no sample: 3 \(fish\)/, /--prior uniform/, /label_prior/] },
  { run: 'all-equal', code: 'EMPTY_CLASS', column: 'label', says: [/1 of the 2 classes has no sample: 0 \(no\)/] },
  { run: 'one-class', code: 'TOO_FEW_CLASSES', column: 'label', says: [/a single class/] },
  { run: 'zero-prior', code: 'BAD_METADATA', says: [/label_prior gives probability 0 to 1 class\(es\) that have samples: 2 \(2\)/, /--prior uniform/] },
  { run: 'zero-prior-empty', code: 'BAD_METADATA', says: [/label_prior gives probability 0 to 1 class\(es\) without samples: 3 \(fish\)/, /--prior uniform/] },
  { run: 'thirty', args: ['--components', '31'], code: 'BAD_SETTINGS', says: [/'components' \(31\) exceeds the number of samples \(30\)/, /at most 30/] },
];

describe('lsmi estimate (a child process) on pyarrow files: exit 1, the code, file and column, before any fit, nothing written', () => {
  for (const c of CASES) {
    it(`${c.run}${c.args ? ' ' + c.args.join(' ') : ''} → ${c.code}`, async () => {
      const folder = fs.mkdtempSync(path.join(dir, `${c.run}-`));
      const file = copyRun(c.run, folder);
      const r = await lsmi('estimate', file, ...FAST, ...(c.args ?? []));
      assert.equal(r.code, 1, `exit 1, got ${r.code}: ${r.err}`);
      assert.equal(r.out, '');
      const line = r.err.trim();
      assert.ok(line.startsWith(`lsmi: error [${c.code}] ${file}${c.column ? `, column '${c.column}'` : ''}: `), line);
      for (const s of c.says) assert.match(line, s);
      assert.doesNotMatch(line, /internal error|please report|\n\s+at /i);
      assert.deepEqual(fs.readdirSync(folder), [path.basename(file)], 'nothing written: no results, temporary file or lock');
    });
  }

  it('the checks run before any fit (no stage reports progress)', async () => {
    const folder = fs.mkdtempSync(path.join(dir, 'order-'));
    const stages: string[] = [];
    await assert.rejects(estimateFile(copyRun('huge-emb', folder), { backend: 'wasm', onProgress: (e) => stages.push(e.stage) }), (e: LsmiInputError) => e.code === 'EXTREME_VALUES');
    assert.deepEqual([...new Set(stages)], ['hash', 'read']);
  });

  it('what the messages point to works: --prior uniform for an empty class, fewer folds, logits instead of probes without train samples', async () => {
    const folder = fs.mkdtempSync(path.join(dir, 'fixes-'));
    const uniform = await lsmi('estimate', copyRun('empty-class', folder), ...FAST, '--prior', 'uniform', '--json');
    assert.equal(uniform.code, 0, uniform.err);
    assert.equal(JSON.parse(uniform.out).perClass[3].n, 0);
    const logits = await lsmi('estimate', copyRun('no-train-logits', folder), ...FAST);
    assert.equal(logits.code, 0, logits.err);
    const folds = await lsmi('estimate', copyRun('thirty', folder), ...FAST, '--folds', '6');
    assert.equal(folds.code, 0, folds.err);
  });
});

describe('a fit that breaks down numerically is FIT_FAILED naming the stage, never NaN results', () => {
  it('a diverging KNIFE density (no tanh, learning rate 10; it wrote NaN results before) → FIT_FAILED for modality 1, nothing written', async () => {
    const folder = fs.mkdtempSync(path.join(dir, 'knife-'));
    const file = copyRun('good', folder);
    const settings = { mode: 'knife', knife: { learningRate: 10, useTanh: false }, bootstrap: { replicates: 0 } } as const;
    await assert.rejects(estimateFile(file, { backend: 'wasm', settings }), (e: LsmiInputError) => {
      assert.equal(e.name, 'LsmiInputError');
      assert.equal(e.code, 'FIT_FAILED');
      assert.equal(e.column, 'emb_1');
      assert.match(e.message, /the density fit of modality 1 failed numerically/);
      assert.match(e.message, /--mode em/);
      return true;
    });
    assert.deepEqual(fs.readdirSync(folder), [path.basename(file)]);
    // in memory too, with the user's column names
    const data = await readRun(file);
    await assert.rejects(estimateRun(data, 'x', { backend: 'wasm', settings, columns: { emb_1: 'image' } }), (e: LsmiInputError) => e.code === 'FIT_FAILED' && e.column === 'image');
  });
});
