/** Staleness by content (src/engine/staleness.ts): mtimes only decide whether to hash. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileHash } from '../../src/engine/io/results';
import { StalenessCache, decideStaleness, runStaleness } from '../../src/engine/staleness';

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lsmi-stale-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A run file (any bytes: staleness reads none of its structure) and the stamp of results written `dt` ms after it. */
async function runAndResults(name: string, dt: number): Promise<{ run: string; hash: string; results: { mtimeMs: number; inputHash: string; toolVersion: string } }> {
  const run = path.join(dir, `${name}.arrow`);
  fs.writeFileSync(run, Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7919) % 251)));
  const st = fs.statSync(run);
  return { run, hash: await fileHash(run), results: { mtimeMs: st.mtimeMs + dt, inputHash: await fileHash(run), toolVersion: '0.3.0' } };
}

/** Sets a file's mtime to `ms` (milliseconds since the epoch, sub-millisecond parts kept). */
const setMtime = (file: string, ms: number) => fs.utimesSync(file, ms / 1000, ms / 1000);

describe('staleness by content', () => {
  it('a run not modified after its results is current, without hashing', async () => {
    const { run, results } = await runAndResults('older', 1000);
    const cache = new StalenessCache();
    assert.deepEqual(await runStaleness(run, results, '0.3.0', cache), { stale: false, by: 'mtime' });
    assert.equal(cache.hashed, 0);
  });

  it('a run touched after its results (same content) is current: hashed once, then cached until it changes', async () => {
    const { run, results } = await runAndResults('touched', 0);
    setMtime(run, results.mtimeMs + 60_000);
    const cache = new StalenessCache();
    assert.deepEqual(await runStaleness(run, results, '0.3.0', cache), { stale: false, by: 'hash' });
    assert.deepEqual(await runStaleness(run, results, '0.3.0', cache), { stale: false, by: 'hash' });
    assert.equal(cache.hashed, 1, 'the same file state is hashed once');
    setMtime(run, results.mtimeMs + 120_000);
    await runStaleness(run, results, '0.3.0', cache);
    assert.equal(cache.hashed, 2, 'a new mtime hashes again');
  });

  it('a run whose content changed after its results is stale, and says why', async () => {
    const { run, results } = await runAndResults('edited', 0);
    const bytes = fs.readFileSync(run);
    bytes[50_000] ^= 0xff; // same size, other content
    fs.writeFileSync(run, bytes);
    setMtime(run, results.mtimeMs + 1000);
    const s = await runStaleness(run, results, '0.3.0', new StalenessCache());
    assert.equal(s.stale, true);
    assert.equal(s.by, 'hash');
    assert.match(s.reason!, /content changed after its results were written/);
  });

  it('after copying a workspace (cp -r, rsync: mtimes preserved to the millisecond or not at all), results are not stale', async () => {
    const { run: made, results } = await runAndResults('original', 0);
    // a workspace folder: the run and its results file (whose real mtime is copied too)
    const ws = path.join(dir, 'workspace');
    fs.mkdirSync(ws);
    const run = path.join(ws, 'original.arrow');
    fs.renameSync(made, run);
    const out = path.join(ws, 'original.lsmi.arrow');
    fs.writeFileSync(out, 'results');
    setMtime(out, results.mtimeMs);
    setMtime(run, results.mtimeMs - 5);
    for (const preserve of [true, false]) {
      const copy = path.join(dir, `copy-${preserve}`);
      fs.cpSync(ws, copy, { recursive: true, preserveTimestamps: preserve });
      const copiedRun = path.join(copy, 'original.arrow');
      const copiedOut = path.join(copy, 'original.lsmi.arrow');
      // the copy's run lands 0.7 ms after its results (the order and precision of a copy)
      setMtime(copiedRun, fs.statSync(copiedOut).mtimeMs + 0.7);
      assert.ok(fs.statSync(copiedRun).mtimeMs > fs.statSync(copiedOut).mtimeMs, 'the copied run is newer than its results, by less than a millisecond');
      const cache = new StalenessCache();
      const s = await runStaleness(copiedRun, { ...results, mtimeMs: fs.statSync(copiedOut).mtimeMs }, '0.3.0', cache);
      assert.deepEqual(s, { stale: false, by: 'hash' }, `copy (preserveTimestamps: ${preserve})`);
      assert.equal(cache.hashed, 1);
    }
  });

  it('results of another tool version are stale whatever the content; results without a hash fall back to the mtimes', async () => {
    const { run, hash, results } = await runAndResults('versions', 1000);
    const st = fs.statSync(run);
    const never = async () => assert.fail('no hash needed');
    assert.deepEqual(await decideStaleness({ run: st, results: { ...results, toolVersion: '0.2.0' }, toolVersion: '0.3.0', hash: never }), {
      stale: true,
      by: 'version',
      reason: 'the results were written by LSMI Explorer 0.2.0 (this is 0.3.0)',
    });
    // no usable hash (hand-made results: 'sha256:test'; none at all)
    for (const inputHash of ['sha256:test', undefined, 'unknown']) {
      assert.equal((await decideStaleness({ run: st, results: { ...results, inputHash }, toolVersion: '0.3.0', hash: never })).stale, false, 'older run');
      const newer = await decideStaleness({ run: { ...st, mtimeMs: results.mtimeMs + 1 }, results: { ...results, inputHash }, toolVersion: '0.3.0', hash: never });
      assert.equal(newer.stale, true);
      assert.match(newer.reason!, /record no content hash/);
    }
    // a hash that differs from the recorded one
    const other = await decideStaleness({ run: { ...st, mtimeMs: results.mtimeMs + 1 }, results, toolVersion: '0.3.0', hash: async () => `sha256:${'0'.repeat(64)}` });
    assert.equal(other.stale, true);
    assert.equal((await decideStaleness({ run: { ...st, mtimeMs: results.mtimeMs + 1 }, results, toolVersion: '0.3.0', hash: async () => hash })).stale, false);
  });
});
