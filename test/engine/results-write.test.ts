/**
 * Results files written record batch by record batch (src/engine/io/results.ts: writeResults), and
 * the input hash taken while the run is read (src/engine/estimate/lsmi.ts: estimateFile): what is
 * read back is what was written, and the hash is the file's sha256 whichever way it was taken.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HashWhileReading, estimateFile } from '../../src/engine/estimate/lsmi';
import { readArrowColumns } from '../../src/engine/io/arrow';
import { RESULT_COLUMNS, STABILITY_COLUMNS, fileHash, readResults, writeResults } from '../../src/engine/io/results';
import { REPO } from './fixtures';
import { smallResults } from './results-fixtures';

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lsmi-results-write-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Ten samples with a split, sample paths (some missing) and stability columns. */
function tenSamples() {
  const n = 10;
  const ids = Array.from({ length: n }, (_, i) => `s-${i}`);
  const data = smallResults({
    ids,
    labels: ids.map((_, i) => i % 3),
    r: ids.map((_, i) => i * 0.5),
    u1: ids.map((_, i) => -i / 7),
    u2: ids.map((_, i) => (i % 2) * 0.25),
    s: ids.map((_, i) => Math.sin(i)),
    split: ids.map((_, i) => (['train', 'val', 'test'] as const)[i % 3]),
    paths1: ids.map((_, i) => (i % 4 === 0 ? null : `img/${i}.png`)),
    paths2: ids.map((_, i) => `txt/${i}.txt`),
  });
  data.stability = Object.fromEntries(STABILITY_COLUMNS.map((c, k) => [c, Float64Array.from(ids, (_, i) => i * 0.01 + k)])) as typeof data.stability;
  return data;
}

describe('results written batch by batch', () => {
  for (const batchRows of [3, 10, 65536]) {
    it(`${batchRows} rows per batch: every column reads back as written, in ${Math.ceil(10 / batchRows)} record batch(es)`, async () => {
      const data = tenSamples();
      const out = path.join(dir, `b${batchRows}.lsmi.arrow`);
      await writeResults(out, data, undefined, batchRows);
      const raw = await readArrowColumns(out);
      assert.equal(raw.source.batches, Math.ceil(10 / batchRows));
      const back = await readResults(out);
      assert.deepEqual(back.sampleIds, data.sampleIds);
      assert.deepEqual(Array.from(back.labels), Array.from(data.labels));
      assert.deepEqual(Array.from(back.split!), Array.from(data.split!));
      assert.deepEqual(back.paths1, data.paths1);
      assert.deepEqual(back.paths2, data.paths2);
      for (const c of RESULT_COLUMNS) assert.deepEqual(Array.from(back.columns[c]), Array.from(data.columns[c]), c);
      for (const c of STABILITY_COLUMNS) assert.deepEqual(Array.from(back.stability![c]), Array.from(data.stability![c]), c);
      assert.deepEqual(back.meta, JSON.parse(JSON.stringify(data.meta)));
      assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left');
    });
  }

  it('an aborted write leaves neither the file nor a temporary one', async () => {
    const out = path.join(dir, 'aborted.lsmi.arrow');
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(writeResults(out, tenSamples(), ac.signal, 3), (e: Error) => e.name === 'AbortError');
    assert.ok(!fs.existsSync(out));
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('.aborted')), []);
  });
});

describe('the input hash, taken while the run is read', () => {
  it('is the sha256 of the file, the same as a separate pass; a second estimate hashes first and reuses the results', async () => {
    const run = path.join(dir, 'run.arrow');
    fs.copyFileSync(path.join(REPO, 'examples', 'fashion-mnist', 'fmnist-late-fusion.arrow'), run);
    const expected = `sha256:${createHash('sha256').update(fs.readFileSync(run)).digest('hex')}`;
    assert.equal(await fileHash(run), expected);
    const settings = { components: 2, covariance: 'diag' as const, bootstrap: { replicates: 10 } };
    const first = await estimateFile(run, { settings, backend: 'wasm' });
    assert.equal(first.reused, false);
    assert.equal(first.results.meta.inputHash, expected);
    assert.ok(first.results.meta.timings.hash >= 0 && first.results.meta.timings.read > 0);
    const second = await estimateFile(run, { settings, backend: 'wasm' });
    assert.equal(second.reused, true);
  });

  it('gives no hash unless the bytes fed were exactly the whole file', () => {
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31) % 256);
    const whole = new HashWhileReading();
    whole.update(bytes.subarray(0, 400));
    whole.update(bytes.subarray(400));
    assert.equal(whole.digest(1000), `sha256:${createHash('sha256').update(bytes).digest('hex')}`);
    const part = new HashWhileReading();
    part.update(bytes.subarray(0, 400));
    assert.equal(part.digest(1000), undefined);
    assert.equal(new HashWhileReading().digest(1000), undefined, 'nothing fed (a streamed file): no hash');
  });
});
