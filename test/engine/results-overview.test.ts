/**
 * The results panel's overview payload (src/extension/resultsOverview.ts): the Discriminators section
 * from real results (probes chosen by 'auto', logits), from results of an older version (format 1,
 * the metadata LSMI Explorer 0.2.0 wrote: test/fixtures/results-meta-v1-xor.json), from hand-made
 * results without heads, and from metadata with numbers JSON cannot carry.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { estimateFile } from '../../src/engine/estimate/lsmi';
import { type HeadReport, type ResultsData, type ResultsMeta, readResults } from '../../src/engine/io/results';
import { backendRow, densityOverview, headOverview, overviewOf, warningsOf } from '../../src/extension/resultsOverview';
import { REPO } from './fixtures';
import { smallResults } from './results-fixtures';

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lsmi-overview-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function estimated(example: string): Promise<ResultsData> {
  const run = path.join(dir, path.basename(example));
  fs.copyFileSync(path.join(REPO, 'examples', example), run);
  const r = await estimateFile(run, {});
  return readResults(r.out);
}

/** Every number in the payload is finite (NaN and ±Infinity do not survive postMessage's JSON). */
function assertJsonSafe(x: unknown, where = 'overview'): void {
  if (typeof x === 'number') assert.ok(Number.isFinite(x), `${where} = ${x}`);
  else if (Array.isArray(x)) x.forEach((v, k) => assertJsonSafe(v, `${where}[${k}]`));
  else if (x && typeof x === 'object') for (const [k, v] of Object.entries(x)) assertJsonSafe(v, `${where}.${k}`);
}

describe('results overview: the Discriminators section', () => {
  it('XOR without logits: each head its probe family, the candidates with the used one marked, calibration, reliability, learning curve', async () => {
    const data = await estimated('circuits/xor.arrow');
    const o = overviewOf('xor.lsmi.arrow', data);
    assertJsonSafe(o);
    assert.deepEqual(o.heads.map((x) => x.head), ['1', '2', '12']);
    assert.equal(o.formatVersion, 2);
    const meta = data.meta;
    for (const x of o.heads) {
      const m = meta.heads[x.head];
      assert.equal(x.source, `${{ lda: 'LDA', logistic: 'logistic', mlp: 'MLP' }[m.family!]} probe (auto)`);
      assert.deepEqual(x.candidates?.map((c) => c.family), ['lda', 'logistic', 'mlp']);
      assert.deepEqual(x.candidates?.filter((c) => c.used).map((c) => c.family), [m.family]);
      assert.deepEqual(x.candidates?.map((c) => [c.logLoss, c.chosen]), m.candidates!.map((c) => [c.selectionLogLoss, c.chosen]));
      assert.equal(x.selections, m.selections);
      assert.equal(x.calibration?.method, 'temperature');
      assert.deepEqual(x.calibration?.temperatures, m.calibration!.temperatures);
      assert.equal(x.calibration?.logLossBefore, m.calibration!.logLossBefore);
      assert.equal(x.reliability?.before.bins.length, 10);
      assert.deepEqual(x.reliability?.after, m.reliability!.after);
      assert.deepEqual(x.learningCurve?.rows, m.learningCurve!.rows);
      assert.equal(x.learningCurve?.stillFalling, m.learningCurve!.stillFalling);
      // the fits, equal ones counted once, add up to the outer folds
      const fits = x.fits!.map((f) => Number(/ × (\d+)$/.exec(f)?.[1] ?? 1));
      assert.equal(fits.reduce((a, b) => a + b, 0), m.folds!.length);
    }
    // XOR: only the MLP fits the label from both modalities
    assert.equal(o.heads[2].source, 'MLP probe (auto)');
    assert.deepEqual(o.warnings, []);
    assert.deepEqual(o.density.map((d) => [d.modality, d.model, d.covariance, d.K]), [
      ['1', 'Gaussian mixture (EM)', meta.density['1'].covariance, meta.density['1'].K],
      ['2', 'Gaussian mixture (EM)', meta.density['2'].covariance, meta.density['2'].K],
    ]);
    assert.deepEqual(o.settings.find(([k]) => k === 'Probes'), ['Probes', 'auto, calibration temperature']);
  });

  it('a run with logits: the heads are the logits, calibrated, without probe selection or learning curve', async () => {
    const data = await estimated('fashion-mnist/fmnist-early-fusion.arrow');
    const o = overviewOf('early.lsmi.arrow', data);
    assertJsonSafe(o);
    assert.deepEqual(o.heads.map((x) => x.source), ['logits_1', 'logits_2', 'logits_12']);
    for (const x of o.heads) {
      assert.equal(x.candidates, undefined);
      assert.equal(x.learningCurve, undefined);
      assert.equal(x.fits, undefined);
      assert.ok(x.calibration && x.calibration.logLossBefore !== null && x.calibration.temperatures!.length > 0);
      assert.ok(x.reliability!.after.bins.filter((b) => b.n > 0).length >= 5);
    }
    // every head from logits: the probe setting played no part, so no "Probes" row
    assert.equal(o.settings.find(([k]) => k === 'Probes'), undefined, JSON.stringify(o.settings));
    assert.deepEqual(o.settings.find(([k]) => k === 'Heads'), ['Heads', 'from logits (logits_1, logits_2, logits_12), calibration temperature']);
  });

  it('the Backend row is one short line; the fallback paragraph goes to its detail', () => {
    const paragraph =
      'wasm (SIMD, 1 thread per worker); fallback to wasm: auto: no usable GPU backend: tensorflow-gpu: @tensorflow/tfjs-node-gpu is not installed (looked in /x/dist); ' +
      'it needs CUDA 11.2 and cuDNN 8.1: run `npm install @tensorflow/tfjs-node-gpu@4.22.0` in a folder and point lsmi.backendPath (or LSMI_BACKEND_PATH) at it; webgpu: webgpu: no GPU adapter: Dawn found no usable Vulkan/Metal/D3D12 device.';
    const r = backendRow({ name: 'wasm', detail: paragraph }, 7.84);
    assert.equal(r.backend, 'wasm (SIMD, 1 thread per worker) — GPU not used (auto: no usable GPU backend), 7.8 s');
    assert.equal(r.backendDetail, paragraph);
    assert.ok(r.backend.length < 100, r.backend);
    assert.deepEqual(backendRow({ name: 'wasm', detail: 'wasm (SIMD, 1 thread per worker); fallback to wasm: webgpu: no GPU adapter: Dawn found nothing' }, null), {
      backend: 'wasm (SIMD, 1 thread per worker) — GPU not used (webgpu: no GPU adapter)',
      backendDetail: 'wasm (SIMD, 1 thread per worker); fallback to wasm: webgpu: no GPU adapter: Dawn found nothing',
    });
    // a short detail stays as it is, with nothing to disclose
    assert.deepEqual(backendRow({ name: 'cpu', detail: 'cpu (requested)' }, 2), { backend: 'cpu (requested), 2.0 s' });
    assert.deepEqual(backendRow({ name: 'webgpu', detail: 'webgpu (NVIDIA; Dawn from /x); chosen by auto (tensorflow-gpu: not installed)' }, null).backend, 'webgpu (NVIDIA; Dawn from /x), chosen by auto');
    assert.deepEqual(backendRow(undefined, null), { backend: '—' });
  });

  it('results of LSMI Explorer 0.2.0 (format 1): what they record, nothing invented, no throw', () => {
    const meta = JSON.parse(fs.readFileSync(path.join(REPO, 'test', 'fixtures', 'results-meta-v1-xor.json'), 'utf8')) as ResultsMeta;
    const data = { ...smallResults({ ids: ['a', 'b'], labels: [0, 1], r: [0, 0], u1: [0, 0], u2: [0, 0], s: [0.7, 0.7], classNames: ['0', '1'] }), meta };
    const o = overviewOf('xor-v1.lsmi.arrow', data);
    assertJsonSafe(o);
    assert.equal(o.formatVersion, 1);
    assert.deepEqual(o.warnings, []);
    for (const x of o.heads) {
      const m = meta.heads[x.head];
      assert.equal(x.source, 'MLP probe');
      assert.equal(x.logLoss, m.logLoss);
      assert.equal(x.accuracy, m.accuracy);
      assert.equal(x.scheme, m.scheme);
      for (const k of ['calibration', 'reliability', 'candidates', 'selections', 'learningCurve', 'fits'] as const) assert.equal(x[k], undefined, `${x.head}.${k}`);
      assert.deepEqual(x.warnings, []);
    }
    assert.deepEqual(o.density.map((d) => [d.covariance, d.K, d.iterations, d.search]), [['diag', 5, 6, undefined], ['diag', 5, 6, undefined]]);
    assert.deepEqual(o.settings.find(([k]) => k === 'Probes'), ['Probes', 'MLP (hidden 64, 5 epochs), no calibration']);
    assert.deepEqual(o.settings.find(([k]) => k === 'Density'), ['Density', 'Gaussian mixture (EM), diag covariance, K = 5']);
  });

  it('hand-made results without heads or density: three empty heads, no density, no throw', () => {
    const o = overviewOf('x.lsmi.arrow', smallResults({ ids: ['a'], labels: [0], r: [1], u1: [0], u2: [0], s: [0] }));
    assertJsonSafe(o);
    assert.deepEqual(o.heads.map((x) => [x.head, x.source, x.logLoss, x.accuracy, x.meanMI, x.warnings]), [
      ['1', '—', null, null, null, []],
      ['2', '—', null, null, null, []],
      ['12', '—', null, null, null, []],
    ]);
    assert.deepEqual(o.density, []);
  });

  it('numbers JSON cannot carry become null; warnings fall back to the heads\'; the density search marks what was used', () => {
    const head = {
      source: 'probe',
      family: 'lda',
      folds: [{ family: 'lda', detail: 'shrinkage 1.00' }, { family: 'lda', detail: 'shrinkage 1.00' }, { family: 'mlp', detail: '3 epochs' }],
      candidates: [
        { family: 'lda', selectionLogLoss: 0.5, chosen: 1, detail: 'shrinkage 1.00', seconds: 0.1 },
        { family: 'mlp', selectionLogLoss: Number.POSITIVE_INFINITY, chosen: 1, seconds: 0.2 },
        { family: 'logistic', selectionLogLoss: null, chosen: 0, note: 'did not converge', seconds: 0 },
      ],
      selections: 2,
      logLoss: Number.NaN,
      meanMI: 0.1,
      calibration: { method: 'temperature', temperatures: [1.5, Number.NaN, 2], logLossBefore: 0.6, logLossAfter: 0.5 },
      reliability: { before: { bins: [{ lo: 0.9, hi: 1, n: 3, confidence: Number.NaN, accuracy: 1 }], ece: Number.NaN }, after: { bins: [], ece: 0.01 } },
      warnings: ['head 1: too few samples', 7],
    } as unknown as HeadReport;
    const x = headOverview('1', head);
    assertJsonSafe(x);
    assert.equal(x.source, 'LDA probe (auto)');
    assert.deepEqual(x.fits, ['LDA (shrinkage 1.00) × 2', 'MLP (3 epochs)']);
    assert.deepEqual(x.candidates!.map((c) => [c.family, c.logLoss, c.used, c.note]), [['lda', 0.5, true, undefined], ['mlp', null, false, undefined], ['logistic', null, false, 'did not converge']]);
    assert.equal(x.logLoss, null);
    assert.equal(x.accuracy, null);
    assert.deepEqual(x.calibration!.temperatures, [1.5, 2]);
    assert.deepEqual(x.reliability!.before, { bins: [{ lo: 0.9, hi: 1, n: 3, confidence: null, accuracy: 1 }], ece: null });
    assert.deepEqual(x.warnings, ['head 1: too few samples']);

    const meta = { heads: { '1': head, '2': { warnings: ['head 2: w'] } } } as unknown as ResultsMeta;
    assert.deepEqual(warningsOf(meta), ['head 1: too few samples', 'head 2: w']);
    assert.deepEqual(warningsOf({ ...meta, warnings: [] }), [], 'the results\' own list wins, even when empty');

    const d = densityOverview('2', {
      mode: 'em', covariance: 'full', K: 4, meanLogLik: -3, fitRows: 100,
      search: {
        candidates: [
          { covariance: 'diag', K: 4, heldOutLogLik: -3.5, seconds: 1 },
          { covariance: 'full', K: 4, heldOutLogLik: -3.1, seconds: 2 },
          { covariance: 'full', K: 8, heldOutLogLik: null, seconds: 0, skipped: 'over the time budget' },
        ],
        chosen: 1, fitRows: 80, valRows: 20, budgetSeconds: 20, seconds: 3,
      },
    });
    assert.deepEqual(d?.search?.candidates.map((c) => [c.covariance, c.K, c.chosen, c.skipped]), [
      ['diag', 4, false, undefined],
      ['full', 4, true, undefined],
      ['full', 8, false, 'over the time budget'],
    ]);
    assert.equal(densityOverview('1', undefined), undefined);
  });
});
