/** Comparing runs (src/engine/compare.ts) and `lsmi compare`, on real results files. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

/** A copy of an example run in a fresh folder: no results beside it, whatever the checkout holds. */
function runWithoutResults(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lsmi-run-only-'));
  const run = path.join(dir, 'fmnist-late-fusion.arrow');
  fs.copyFileSync(path.join(__dirname, '..', '..', '..', 'examples', 'fashion-mnist', 'fmnist-late-fusion.arrow'), run);
  return run;
}
import {
  classShifts,
  compareResults,
  deltaHistogram,
  filterSamples,
  joinedSample,
  loadComparison,
  moversPage,
  sampleFiles,
  scatter,
  summarizeComparison,
  withBaseline,
} from '../../src/engine/compare';
import { LsmiInputError } from '../../src/engine/errors';
import { estimateFile, rebasePaths } from '../../src/engine/estimate/lsmi';
import { Rng } from '../../src/engine/random';
import { REPO } from './fixtures';
import { type SmallRun, smallResults, writeSmall } from './results-fixtures';
import { runCli } from './cli-run';

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lsmi-compare-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

// run A: samples a..d; run B: samples e, d, c, b (another order, a missing, e new)
const A: SmallRun = {
  name: 'late',
  fusion: 'late',
  architecture: 'two encoders, concatenation',
  ids: ['a', 'b', 'c', 'd'],
  labels: [0, 1, 1, 2],
  r: [1, 2, 3, 4],
  u1: [0.5, 0, -1, 0.25],
  u2: [0, 0, 0, 0],
  s: [0.1, 0.2, 0.3, 0.4],
  split: ['train', 'test', 'test', 'val'],
  paths1: ['img/a.png', 'img/b.png', null, 'img/d.png'],
};
const B: SmallRun = {
  name: 'early',
  fusion: 'early',
  architecture: 'one encoder on both inputs',
  ids: ['e', 'd', 'c', 'b'],
  labels: [0, 2, 1, 1],
  r: [9, 5, 1, 2.5],
  u1: [0, 0.25, 0, 0],
  u2: [1, 1, 1, 1],
  s: [0, 0, 1.3, 0.2],
};

async function rejects(p: Promise<unknown>, code: string, ...patterns: RegExp[]): Promise<LsmiInputError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof LsmiInputError, `expected LsmiInputError, got ${e}`);
    assert.equal(e.code, code, e.message);
    for (const re of patterns) assert.match(e.message, re);
    return e;
  }
  assert.fail(`expected ${code}`);
}

describe('loadComparison: the join', () => {
  it('keeps every sample (outer join), counts the missing ones and marks them NaN', async () => {
    const fa = await writeSmall(dir, A);
    const fb = await writeSmall(dir, B);
    const c = await loadComparison([fa, fb]);
    assert.equal(c.baseline, 0);
    assert.deepEqual(c.sampleIds, ['a', 'b', 'c', 'd', 'e'], 'baseline ids first, then the new ones');
    assert.equal(c.n, 5);
    assert.equal(c.nCommon, 3);
    assert.equal(c.nIncomplete, 2);
    assert.deepEqual(c.runs.map((r) => r.missing), [1, 1]);
    assert.deepEqual(c.runs.map((r) => r.n), [4, 4]);
    assert.deepEqual([...c.rows[0]], [0, 1, 2, 3, -1]);
    assert.deepEqual([...c.rows[1]], [-1, 3, 2, 1, 0]);
    assert.deepEqual([...c.labels], [0, 1, 1, 2, 0], "e's label comes from the run that has it");
    assert.ok(Number.isNaN(c.values[1].r[0]) && Number.isNaN(c.values[0].r[4]));
    assert.equal(c.values[1].r[3], 5);
    assert.equal(c.values[1].i12[3], 5 + 0.25 + 1 + 0);
    // Δ = run − baseline, NaN where either lacks the sample
    assert.deepEqual([...c.delta[1].r].map((x) => (Number.isNaN(x) ? null : x)), [null, 0.5, -2, 1, null]);
    assert.deepEqual([...c.delta[0].r].map((x) => (Number.isNaN(x) ? null : x)), [0, 0, 0, 0, null]);
    // means over the common samples b, c, d
    assert.deepEqual(c.runs[0].common, { R: 3, U1: (0 - 1 + 0.25) / 3, U2: 0, S: (0.2 + 0.3 + 0.4) / 3 });
    assert.deepEqual(c.runs[1].common, { R: (2.5 + 1 + 5) / 3, U1: 0.25 / 3, U2: 1, S: 1.5 / 3 });
    assert.ok(Math.abs(c.datasetDelta[1].R - ((2.5 + 1 + 5) / 3 - 3)) < 1e-12);
    assert.deepEqual(c.datasetDelta[0], { R: 0, U1: 0, U2: 0, S: 0 });
    assert.deepEqual(c.runs[0].dataset.adjusted.R, 2.5, 'the file dataset means are kept as they are');
    assert.match(c.warnings.join('\n'), /2 of 5 samples are missing from at least one run; differences use the 3 samples/);
    // split from the baseline, unknown where only B (no split column) has the sample
    assert.deepEqual(filterSamples(c, { split: 'test' }), Int32Array.from([1, 2]));
    assert.equal(joinedSample(c, 4).split, undefined);
  });

  it('warns when a sample has a different split in two runs, with the count and an example id', async () => {
    const fa = await writeSmall(dir, A);
    // B with splits: e new, d val (as in A), c train (test in A), b test (as in A)
    const fb = await writeSmall(dir, { ...B, name: 'early-split', split: ['train', 'val', 'train', 'test'] });
    const c = await loadComparison([fa, fb]);
    const w = c.warnings.filter((x) => /different split/.test(x));
    assert.equal(w.length, 1, c.warnings.join('\n'));
    assert.match(w[0], /^1 sample has a different split in different runs \(e\.g\. 'c': test in late, train in early-split\)/);
    // the joined split is the baseline's
    assert.deepEqual(filterSamples(c, { split: 'test' }), Int32Array.from([1, 2]));
    // the same splits: no warning; B without a split column: no warning
    const same = await writeSmall(dir, { ...B, name: 'early-same', split: ['train', 'val', 'test', 'test'] });
    assert.ok(!(await loadComparison([fa, same])).warnings.some((x) => /different split/.test(x)));
    assert.ok(!(await loadComparison([fa, await writeSmall(dir, B)])).warnings.some((x) => /different split/.test(x)));
    // more than one: counted, the first one (in the baseline's order) as the example
    const two = await writeSmall(dir, { ...B, name: 'early-two', split: ['train', 'train', 'train', 'val'] });
    assert.match((await loadComparison([fa, two])).warnings.join('\n'), /3 samples have a different split in different runs \(e\.g\. 'b': test in late, val in early-two\)/);
    // and `lsmi compare` prints it
    const r = await runCli('compare', fa, fb);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /warning: 1 sample has a different split in different runs \(e\.g\. 'c': test in late, train in early-split\)/);
  });

  it('labels runs by their metadata and makes labels unique', async () => {
    const fa = await writeSmall(dir, A);
    const fb = await writeSmall(dir, B);
    const c = await loadComparison([fa, fb]);
    assert.deepEqual(c.runs.map((r) => r.label), ['late', 'early']);
    assert.equal(c.runs[0].fusion, 'late');
    assert.equal(c.runs[1].architecture, 'one encoder on both inputs');
    assert.equal(c.runs[0].description, 'late fusion · two encoders, concatenation');
    const twin = await writeSmall(dir, { ...A, fusion: 'late' }, 'late-copy.lsmi.arrow');
    const d = await loadComparison([fa, twin, fb]);
    assert.deepEqual(d.runs.map((r) => r.label), ['late (late.lsmi.arrow)', 'late (late-copy.lsmi.arrow)', 'early']);
    const unnamed = compareResults([
      { file: '/x/one/m.lsmi.arrow', data: smallResults({ ...A, name: '' }) },
      { file: '/x/two/m.lsmi.arrow', data: smallResults({ ...A, name: '' }) },
    ]);
    assert.deepEqual(unnamed.runs.map((r) => r.label), ['m (m.lsmi.arrow) #1', 'm (m.lsmi.arrow) #2']);
  });

  it('rejects runs whose class sets differ, naming both files and the classes', async () => {
    const fa = await writeSmall(dir, A);
    const fewer = await writeSmall(dir, { ...B, name: 'fewer', classNames: ['cat', 'dog'], labels: [0, 1, 1, 1] });
    await rejects(loadComparison([fa, fewer]), 'CLASS_MISMATCH', /late\.lsmi\.arrow has 3 classes, .*fewer\.lsmi\.arrow has 2/, /only in the first: 'fish'/);
    const renamed = await writeSmall(dir, { ...B, name: 'renamed', classNames: ['cat', 'wolf', 'fish'] });
    const e = await rejects(loadComparison([fa, renamed]), 'CLASS_MISMATCH', /class 1: 'dog' vs 'wolf'/, /late\.lsmi\.arrow and .*renamed\.lsmi\.arrow/);
    assert.match(e.file, /renamed\.lsmi\.arrow$/);
  });

  it('rejects duplicate sample ids with the file, the id and the rows', async () => {
    const fa = await writeSmall(dir, A);
    const dup = await writeSmall(dir, { ...B, name: 'dup', ids: ['e', 'd', 'e', 'b'] });
    const e = await rejects(loadComparison([fa, dup]), 'DUPLICATE_ID', /dup\.lsmi\.arrow, column 'sample_id'/, /sample_id 'e' occurs more than once \(rows 0, 2\)/);
    assert.deepEqual(e.rows, [0, 2]);
  });

  it('rejects a sample whose label differs between runs', async () => {
    const fa = await writeSmall(dir, A);
    const other = await writeSmall(dir, { ...B, name: 'relabelled', labels: [0, 2, 0, 1] });
    await rejects(loadComparison([fa, other]), 'LABEL_MISMATCH', /relabelled\.lsmi\.arrow, column 'label'/, /'c': 0 here, 1 there/);
  });

  it('says to estimate first when given a run file, and checks the number of files', async () => {
    const run = runWithoutResults();
    const fa = await writeSmall(dir, A);
    await rejects(loadComparison([fa, run]), 'NOT_RESULTS', /not a results file/, /lsmi estimate/);
    await rejects(loadComparison([fa, path.join(dir, 'nope.lsmi.arrow')]), 'NOT_FOUND', /lsmi estimate/);
    await rejects(loadComparison([fa]), 'UNSUPPORTED', /2 to 8 results files, got 1/);
    await rejects(loadComparison(new Array(9).fill(fa)), 'UNSUPPORTED', /got 9/);
  });
});

describe('baseline, shifts, histograms, movers, scatter', () => {
  it('selects the baseline by index, label, run name or file, and rebases without reading again', async () => {
    const fa = await writeSmall(dir, A);
    const fb = await writeSmall(dir, B);
    for (const b of [1, 'early', fb, 'early.lsmi.arrow', '1']) {
      const c = await loadComparison([fa, fb], { baseline: b });
      assert.equal(c.baseline, 1, String(b));
      assert.deepEqual(c.sampleIds, ['e', 'd', 'c', 'b', 'a'], 'the baseline sets the order');
    }
    await rejects(loadComparison([fa, fb], { baseline: 'mid' }), 'UNSUPPORTED', /no compared run is called 'mid'; the runs are 'late', 'early'/);
    await rejects(loadComparison([fa, fb], { baseline: 2 }), 'UNSUPPORTED', /out of range/);
    const c = await loadComparison([fa, fb]);
    const d = withBaseline(c, 'early');
    assert.equal(d.baseline, 1);
    for (let j = 0; j < c.n; j++) {
      const x = c.delta[1].s[j];
      const y = d.delta[0].s[j];
      assert.ok(Number.isNaN(x) ? Number.isNaN(y) : x === -y);
    }
    assert.equal(withBaseline(c, 0), c);
  });

  it('per-class means over common samples and ranked shifts', async () => {
    const c = await loadComparison([await writeSmall(dir, A), await writeSmall(dir, B)]);
    // common: b (dog), c (dog), d (fish); cat has no common sample
    assert.deepEqual(c.perClass.map((p) => p.n), [0, 2, 1]);
    assert.deepEqual(c.perClass[1].means[0], { R: 2.5, U1: -0.5, U2: 0, S: 0.25 });
    assert.deepEqual(c.perClass[1].means[1], { R: 1.75, U1: 0, U2: 1, S: 0.75 });
    assert.deepEqual(c.perClass[1].delta[1], { R: -0.75, U1: 0.5, U2: 1, S: 0.5 });
    const sh = classShifts(c, 1);
    assert.deepEqual(sh.r.gained.map((x) => [x.name, x.delta]), [['fish', 1]]);
    assert.deepEqual(sh.r.lost.map((x) => [x.name, x.delta]), [['dog', -0.75]]);
    assert.deepEqual(sh.s.gained.map((x) => x.name), ['dog']);
    assert.deepEqual(sh.s.lost.map((x) => [x.name, x.delta]), [['fish', -0.4]]);
    assert.deepEqual(sh.u2.gained.map((x) => x.name), ['dog', 'fish']);
  });

  it('histograms of Δ: symmetric bins, every Δ counted once', async () => {
    const c = await loadComparison([await writeSmall(dir, A), await writeSmall(dir, B)]);
    const h = deltaHistogram(c, 'r', 4);
    // Δr over b, c, d = 0.5, −2, 1: nothing beyond Tukey's outer fences, so the full range ±2 (the
    // last edge just above 2, so that 2 is inside), the same edges for every run
    const run = h.runs[1];
    assert.equal(run.edges.length, 5);
    assert.equal(run.rule, 'full');
    assert.ok(run.edges[4] > 2 && run.edges[4] - 2 < 1e-15 && run.edges[0] === -run.edges[4]);
    assert.deepEqual(h.runs[0].edges, run.edges);
    // edges −2 − ε, −1 − ε, 0, 1 + ε, 2 + ε (ε: the last edge is the next double above 2): Δ = 1 is in [0, 1 + ε)
    assert.deepEqual(run.counts, [1, 0, 2, 0]);
    assert.equal(run.underflow, 0);
    assert.equal(run.overflow, 0);
    assert.equal(run.n, 3);
    assert.equal(run.missing, 2, 'a and e lack a Δ');
    assert.ok(Math.abs(h.mean[1] - -0.5 / 3) < 1e-12);
    assert.ok(Math.abs(h.meanAbs[1] - 3.5 / 3) < 1e-12);
    assert.deepEqual(h.runs[0].counts, [0, 0, 4, 0], 'the baseline: Δ = 0 for its 4 samples, in the bin that 0 opens');
  });

  it('moversPage ranks by |Δ|, gain or loss, for one component or any, filtered and paged', async () => {
    const c = await loadComparison([await writeSmall(dir, A), await writeSmall(dir, B)]);
    const ids = (p: ReturnType<typeof moversPage>) => p.rows.map((r) => r.sample_id);
    assert.deepEqual(ids(moversPage(c, { component: 'r' })), ['c', 'd', 'b']);
    assert.deepEqual(ids(moversPage(c, { component: 'r', order: 'gain' })), ['d', 'b', 'c']);
    assert.deepEqual(ids(moversPage(c, { component: 'r', order: 'loss' })), ['c', 'b', 'd']);
    const any = moversPage(c, {});
    // largest |Δ| per sample: b: u2 +1 (r 0.5, u1 0, s 0); c: r −2; d: r +1 / u2 +1 (first wins: r)
    assert.deepEqual(any.rows.map((r) => [r.sample_id, r.component, r.delta]), [['c', 'r', -2], ['b', 'u2', 1], ['d', 'r', 1]]);
    assert.equal(any.total, 3);
    assert.equal(any.missing, 2, 'a and e have no Δ');
    const row = any.rows[0];
    assert.deepEqual(row.deltas, { r: -2, u1: 1, u2: 1, s: 1 });
    assert.deepEqual(row.baseline, { r: 3, u1: -1, u2: 0, s: 0.3 });
    assert.equal(row.value.s, 1.3);
    assert.equal(row.class, 'dog');
    assert.equal(row.split, 'test');
    assert.equal(row.rank, 1);
    const page2 = moversPage(c, { component: 'r', offset: 1, limit: 1 });
    assert.deepEqual(page2.rows.map((r) => [r.rank, r.sample_id]), [[2, 'd']]);
    assert.equal(page2.total, 3);
    const fish = moversPage(c, { component: 'r', classes: [2, 0] });
    assert.deepEqual(ids(fish), ['d']);
    assert.equal(fish.missing, 2, 'a and e (cats) pass the filter but have no Δ');
    assert.deepEqual(ids(moversPage(c, { component: 's', search: 'B' })), ['b']);
    assert.throws(() => moversPage(c, { run: 5 }), RangeError);
  });

  it('sample details and files come from the baseline, resolved against its folder', async () => {
    const fa = await writeSmall(dir, A);
    const fb = await writeSmall(dir, { ...B, paths1: ['x/e.png', 'x/d.png', 'x/c.png', 'x/b.png'] });
    const c = await loadComparison([fa, fb]);
    assert.deepEqual(sampleFiles(c, 1), { path_1: 'img/b.png', path_2: undefined, resolved_1: path.join(dir, 'img/b.png'), resolved_2: undefined, base: dir, resultsFile: fa, run: 0 });
    assert.equal(sampleFiles(c, 2)?.path_1, 'x/c.png', "c has no file in the baseline: the next run's");
    assert.equal(sampleFiles(c, 4)?.run, 1);
    const d = joinedSample(c, 0);
    assert.equal(d.sample_id, 'a');
    assert.deepEqual(d.runs.map((r) => [r.present, r.row]), [[true, 0], [false, -1]]);
    assert.ok(Number.isNaN(d.runs[1].value.r));
    assert.equal(d.files?.path_1, 'img/a.png');
  });

  it('scatter at 1e5: at most maxPoints points, a density grid of every sample, the biggest movers kept (timings: npm run bench:panels)', () => {
    const n = 100_000;
    const rng = new Rng(7);
    const ids = Array.from({ length: n }, (_, i) => `s${i}`);
    const labels = Array.from({ length: n }, (_, i) => i % 3);
    const ra = Array.from({ length: n }, () => rng.normal());
    const rb = ra.map((x) => x + 0.1 * rng.normal());
    rb[12345] = 40; // an outlier
    const zeros = new Array(n).fill(0);
    const mk = (name: string, r: number[]) => ({ file: `${name}.lsmi.arrow`, data: smallResults({ name, ids, labels, r, u1: zeros, u2: zeros, s: zeros }) });
    const c = compareResults([mk('a', ra), mk('b', rb)]);
    const sc = scatter(c, { component: 'r', maxPoints: 2000, grid: 50 });
    assert.equal(sc.x, 0);
    assert.equal(sc.y, 1);
    assert.equal(sc.total, n);
    assert.ok(sc.sampled);
    assert.equal(sc.points.index.length, 2000);
    assert.equal(sc.grid.cells.length, 2500);
    assert.equal(sc.grid.cells.reduce((a, b) => a + b, 0), n);
    assert.ok(sc.points.index.includes(12345), 'the outlier is drawn');
    assert.equal(sc.max, 40);
    assert.ok(sc.pearson > 0.5);
    assert.equal(new Set(sc.points.index).size, 2000, 'no point twice');
    for (let p = 0; p < 2000; p += 97) assert.equal(sc.points.x[p], ra[sc.points.index[p]]);
    assert.deepEqual(scatter(c, { component: 'r', maxPoints: 2000, grid: 50 }).points.index, sc.points.index, 'deterministic');
    const few = scatter(c, { component: 'r', classes: [1], search: 's1234' });
    assert.equal(few.sampled, false);
    assert.deepEqual(few.points.index, few.points.index.slice().sort((a, b) => a - b));
    assert.ok(few.points.index.every((j) => labels[j] === 1 && ids[j].includes('s1234')));
    moversPage(c, { component: 'any', limit: 100 });
    moversPage(c, { component: 'any', offset: 50_000, limit: 100 });
    const h = summarizeComparison(c, { top: 10 });
    assert.ok(JSON.stringify(h).length < 200_000, 'the summary stays small');
  });
});

describe('the example runs: early vs late fusion of Fashion-MNIST', () => {
  it('estimates both and compares them on the same 2000 samples', async () => {
    const src = path.join(REPO, 'examples', 'fashion-mnist');
    const files: string[] = [];
    for (const name of ['fmnist-late-fusion', 'fmnist-early-fusion']) {
      fs.copyFileSync(path.join(src, `${name}.arrow`), path.join(dir, `${name}.arrow`));
      files.push((await estimateFile(path.join(dir, `${name}.arrow`), { backend: 'wasm' })).out);
    }
    const c = await loadComparison(files);
    assert.equal(c.n, 2000);
    assert.equal(c.nCommon, 2000);
    assert.deepEqual(c.runs.map((r) => [r.label, r.fusion]), [['fmnist-late-fusion', 'late'], ['fmnist-early-fusion', 'early']]);
    assert.match(c.runs[1].architecture ?? '', /early-fusion head/);
    assert.equal(c.classNames[6], 'Shirt');
    const s = summarizeComparison(c, { top: 5 });
    assert.equal(s.movers[0].page.rows.length, 5);
    assert.ok(Math.abs(s.movers[0].page.rows[0].delta) > 1, 'some samples move by more than a nat');
    assert.ok(s.hasFiles);
    const f = sampleFiles(c, s.movers[0].page.rows[0].index)!;
    assert.ok(fs.existsSync(path.join(src, f.path_1!)), `${f.path_1} exists in the example folder`);
    for (const comp of ['r', 'u1', 'u2', 's'] as const) assert.equal(s.histograms[comp].runs[1].n, 2000);
  });
});

describe('lsmi compare', () => {
  it('prints runs side by side, Δ vs the baseline, missing counts, class shifts and movers', async () => {
    const r = await runCli('compare', await writeSmall(dir, A), await writeSmall(dir, B), '--baseline', 'early', '--top', '2');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /2 runs, 5 samples \(3 in every run\), 3 classes; baseline: early/);
    assert.match(r.out, /warning: 2 of 5 samples are missing/);
    assert.match(r.out, /early \(baseline\) +early +4 +1 +2\.8333/);
    assert.match(r.out, /late +late +4 +1 +3\.0000/);
    assert.match(r.out, /Δ vs baseline \(run − baseline\), 95 % intervals \(paired bootstrap, 1,000 replicates, seed 0\)\nrun +ΔR.*\nlate +\+0\.1667 \[[−+]?\d\.\d{4}, [−+]?\d\.\d{4}\] ~/);
    assert.match(r.out, /late: moved beyond noise: U2 −1\.0000 \[−\d\.\d{4}, −\d\.\d{4}\]/, 'every sample lost 1 nat of U2 (paired), so the interval excludes 0');
    assert.match(r.out, /--replicates R to include the estimator's own seed-to-seed noise/);
    assert.match(r.out, /class shifts: late vs early/);
    assert.match(r.out, /biggest movers: late vs early \(top 2 of 3 .*; 2 samples without a Δ\)/);
    assert.match(r.out, /\nc +dog +r +\+2\.0000/);
  });

  it('--json prints the summary object', async () => {
    const r = await runCli('compare', await writeSmall(dir, A), await writeSmall(dir, B), '--json');
    assert.equal(r.code, 0, r.err);
    const s = JSON.parse(r.out);
    assert.equal(s.baseline, 0);
    assert.deepEqual(Object.keys(s).sort(), ['baseline', 'classNames', 'hasFiles', 'hasSplit', 'histograms', 'modalityNames', 'movers', 'n', 'nClasses', 'nCommon', 'nIncomplete', 'perClass', 'runs', 'shifts', 'significance', 'warnings']);
    assert.equal(s.significance.replicates, 1000);
    assert.ok(s.runs[1].deltaIntervals.R.lo <= s.runs[1].datasetDelta.R && s.runs[1].datasetDelta.R <= s.runs[1].deltaIntervals.R.hi);
    assert.deepEqual(s.runs.map((x: { label: string; missing: number; isBaseline: boolean }) => [x.label, x.missing, x.isBaseline]), [['late', 1, true], ['early', 1, false]]);
    assert.equal(s.runs[1].fusion, 'early');
    assert.ok(Math.abs(s.runs[1].datasetDelta.R - (8.5 / 3 - 3)) < 1e-12);
    assert.equal(s.runs[0].meta, undefined, 'no bulky metadata');
    assert.deepEqual(Object.keys(s.histograms), ['r', 'u1', 'u2', 's']);
    assert.equal(s.movers[0].page.rows[0].sample_id, 'c');
    assert.deepEqual(s.shifts[0].shifts.r.gained[0].name, 'fish');
  });

  it('exit codes: 2 for usage, 1 for bad input', async () => {
    const fa = await writeSmall(dir, A);
    for (const argv of [['compare'], ['compare', fa], ['compare', fa, fa, '--nope'], ['compare', fa, fa, '--top', '-1']]) {
      const r = await runCli(...argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.err, /Usage:/);
    }
    const run = runWithoutResults();
    let r = await runCli('compare', fa, run);
    assert.equal(r.code, 1);
    assert.match(r.err, /error \[NOT_RESULTS\] .*fmnist-late-fusion\.arrow: .*run `lsmi estimate/);
    r = await runCli('compare', fa, await writeSmall(dir, { ...B, name: 'fewer', classNames: ['cat', 'dog'], labels: [0, 1, 1, 1] }));
    assert.equal(r.code, 1);
    assert.match(r.err, /error \[CLASS_MISMATCH\]/);
    r = await runCli('compare', fa, await writeSmall(dir, B), '--baseline', 'mid');
    assert.equal(r.code, 1);
    assert.match(r.err, /no compared run is called 'mid'/);
  });
});

describe('results files: sample paths', () => {
  it('are rebased when the results go to another folder than the run, so they point at the same files', () => {
    const base = { paths1: ['img/a.png', null, '/abs/c.png'], paths2: undefined } as unknown as Parameters<typeof rebasePaths>[0];
    const same = rebasePaths(base, '/data/run', '/data/run');
    assert.equal(same, base);
    const moved = rebasePaths(base, '/data/run', '/data/run/out');
    assert.deepEqual(moved.paths1, ['../img/a.png', null, '/abs/c.png']);
    assert.equal(moved.paths2, undefined);
    assert.deepEqual(rebasePaths(base, '/data/run', '/elsewhere').paths1, ['../data/run/img/a.png', null, '/abs/c.png']);
  });
});
