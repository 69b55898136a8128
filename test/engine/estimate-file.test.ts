/** The results file, reuse, the worker pool (progress, cancellation, errors) and `lsmi estimate`. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../src/cli/main';
import { WorkerPool } from '../../src/engine/compute/pool';
import { LsmiInputError } from '../../src/engine/errors';
import { estimateFile } from '../../src/engine/estimate/lsmi';
import { RESULT_COLUMNS, readResults, resultsPathFor } from '../../src/engine/io/results';
import { REPO, fixture } from './fixtures';

const WORKER = path.join(REPO, 'out', 'src', 'engine', 'compute', 'worker.js');
let dir: string;

/** A private copy of a run so each test owns the folder its results land in. */
function copyRun(src: string, name = path.basename(src)): string {
  const dst = path.join(dir, name);
  fs.copyFileSync(src, dst);
  return dst;
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lsmi-estimate-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const FAST = { folds: 2, mlp: { epochs: 3 }, components: 2 } as const;

describe('estimateFile', () => {
  it('writes <run>.lsmi.arrow with every per-sample column and self-describing metadata, then reuses it', async () => {
    const run = copyRun(path.join(REPO, 'examples', 'fashion-mnist', 'fmnist-late-fusion.arrow'));
    const events: number[] = [];
    const first = await estimateFile(run, { settings: { seed: 1 }, onProgress: (e) => events.push(e.fraction) });
    assert.equal(first.reused, false);
    assert.equal(first.out, resultsPathFor(run));
    assert.ok(fs.existsSync(first.out));
    assert.ok(events.length > 3 && events.at(-1) === 1, 'progress ends at 1');
    for (let i = 1; i < events.length; i++) assert.ok(events[i] >= events[i - 1] - 1e-9, 'progress never goes back');

    const back = await readResults(first.out);
    assert.equal(back.sampleIds.length, 2000);
    assert.deepEqual(back.sampleIds.slice(0, 2), ['fmnist-test-00000', 'fmnist-test-00001']);
    for (const c of RESULT_COLUMNS) {
      assert.equal(back.columns[c].length, 2000, c);
      assert.ok(back.columns[c].every(Number.isFinite), `${c} finite`);
    }
    // the decomposition's identities hold per sample
    const { r, u1, u2, s, i1, i2, i12 } = back.columns;
    for (let k = 0; k < 2000; k += 97) {
      assert.ok(Math.abs(r[k] + u1[k] - i1[k]) < 1e-9);
      assert.ok(Math.abs(r[k] + u2[k] - i2[k]) < 1e-9);
      assert.ok(Math.abs(r[k] + u1[k] + u2[k] + s[k] - i12[k]) < 1e-9);
    }
    const m = back.meta;
    assert.match(m.inputHash, /^sha256:[0-9a-f]{64}$/);
    assert.equal(m.settings.seed, 1);
    assert.equal(m.heads['12'].source, 'logits');
    assert.ok(['wasm', 'cpu'].includes(m.backend.name));
    assert.equal(m.perClass.length, 10);
    assert.ok(m.timings.total > 0);
    assert.equal(m.run.name, 'fmnist-late-fusion');

    const second = await estimateFile(run, { settings: { seed: 1 } });
    assert.equal(second.reused, true, 'same input and settings: reused');
    const third = await estimateFile(run, { settings: { seed: 2 } });
    assert.equal(third.reused, false, 'other settings: estimated again');
    copyRun(path.join(REPO, 'examples', 'fashion-mnist', 'fmnist-early-fusion.arrow'), path.basename(run)); // new content, same name
    const fourth = await estimateFile(run, { settings: { seed: 2 } });
    assert.equal(fourth.reused, false, 'other content: estimated again');
  });

  it('a bad run rejects with its input error and writes nothing', async () => {
    const bad = copyRun(fixture('bad-nan-emb.arrow'));
    await assert.rejects(estimateFile(bad), (e: LsmiInputError) => e.code === 'NON_FINITE');
    assert.equal(fs.existsSync(resultsPathFor(bad)), false);
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
  });
});

describe('WorkerPool', () => {
  it('estimates in a worker thread with progress, and surfaces input errors with their code', async () => {
    const pool = new WorkerPool({ size: 1, script: WORKER });
    try {
      const run = copyRun(path.join(REPO, 'examples', 'circuits', 'xor.arrow'));
      let progress = 0;
      const res = await pool.estimateFile(run, { settings: FAST }, { onProgress: () => progress++ });
      assert.ok(progress > 0);
      assert.equal(res.results.sampleIds.length, 4000);
      assert.ok(res.results.columns.s instanceof Float64Array);
      const bad = copyRun(fixture('bad-duplicate-id.arrow'));
      await assert.rejects(pool.estimateFile(bad), (e: LsmiInputError) => e.code === 'DUPLICATE_ID' && /s00007/.test(e.message));
    } finally {
      await pool.dispose();
    }
  });

  it('cancelling mid-run stops the worker and leaves no partial file', async () => {
    const pool = new WorkerPool({ size: 1, script: WORKER });
    try {
      const run = copyRun(path.join(REPO, 'examples', 'circuits', 'xor_not_a.arrow'), 'cancel-me.arrow');
      const controller = new AbortController();
      const p = pool.estimateFile(run, { settings: { folds: 5 } }, {
        signal: controller.signal,
        onProgress: (e) => e.stage.startsWith('probe') && controller.abort(),
      });
      await assert.rejects(p, (e: Error) => e.name === 'AbortError');
      assert.equal(fs.existsSync(resultsPathFor(run)), false);
      assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('.cancel-me')), []);
      // the pool still works after a cancellation
      const again = await pool.estimateFile(copyRun(path.join(REPO, 'examples', 'circuits', 'or.arrow')), { settings: FAST });
      assert.equal(again.results.sampleIds.length, 4000);
    } finally {
      await pool.dispose();
    }
  });
});

function sink(): { text: string; write(s: string): void } {
  return { text: '', write(s: string) { this.text += s; } };
}

describe('lsmi estimate', () => {
  it('--json prints dataset, perClass, top, settings, backend, timings and the results path', async () => {
    const run = copyRun(path.join(REPO, 'examples', 'fashion-mnist', 'fmnist-early-fusion.arrow'));
    const out = sink();
    const err = sink();
    const code = await main(['estimate', run, '--json', '--seed', '3', '--components', '3'], out, err);
    assert.equal(code, 0, err.text);
    const j = JSON.parse(out.text);
    for (const k of ['R', 'U1', 'U2', 'S']) {
      assert.equal(typeof j.dataset.adjusted[k], 'number');
      assert.equal(typeof j.dataset.raw[k], 'number');
    }
    assert.equal(typeof j.dataset.branch, 'string');
    assert.equal(typeof j.dataset.adj, 'number');
    assert.equal(j.perClass.length, 10);
    assert.deepEqual(Object.keys(j.perClass[0]).sort(), ['R', 'S', 'U1', 'U2', 'index', 'intervals', 'n', 'name', 'raw', 'surprisal']);
    for (const c of j.perClass) {
      for (const k of ['R', 'U1', 'U2', 'S']) {
        const { lo, hi } = c.intervals[k];
        assert.ok(lo <= c[k] && c[k] <= hi, `${c.name} ${k}: ${c[k]} outside [${lo}, ${hi}]`);
      }
      assert.ok(c.surprisal > 0);
    }
    for (const k of ['R', 'U1', 'U2', 'S']) {
      const { lo, hi } = j.dataset.intervals.adjusted[k];
      assert.ok(lo <= j.dataset.adjusted[k] + 1e-9 && j.dataset.adjusted[k] - 1e-9 <= hi, `${k} outside its interval`);
    }
    assert.equal(j.top.s.length, 10);
    assert.ok(j.top.s[0].value >= j.top.s[9].value);
    assert.equal(j.settings.components, 3);
    assert.ok(j.backend.name);
    assert.ok(j.timings.total > 0);
    assert.equal(j.results, resultsPathFor(run));
    const inspect = sink();
    assert.equal(await main(['inspect', j.results, '--json'], inspect, err), 0);
    assert.deepEqual(JSON.parse(inspect.text).dataset, j.dataset);
  });

  it('prints tables by default and errors to stderr with a non-zero code', async () => {
    const run = copyRun(path.join(REPO, 'examples', 'circuits', 'or.arrow'), 'or-cli.arrow');
    const out = sink();
    const err = sink();
    assert.equal(await main(['estimate', run, '--folds', '2', '--components', '2'], out, err), 0, err.text);
    assert.match(out.text, /R \(redundancy\)/);
    assert.match(out.text, /most synergistic samples/);
    assert.match(out.text, /results: .*or-cli\.lsmi\.arrow/);
    const bad = sink();
    assert.equal(await main(['estimate', fixture('bad-label-range.arrow')], sink(), bad), 1);
    assert.match(bad.text, /LABEL_RANGE/);
    assert.equal(await main(['estimate', run, '--mode', 'magic'], sink(), bad), 2);
  });
});
