import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { readRun } from '../../src/engine/io';
import { readResultsIsolated, readRunIsolated } from '../../src/engine/io/isolated';
import { toDense } from '../../src/engine/io/matrix';
import { readResults, writeResults } from '../../src/engine/io/results';
import { smallResults } from './results-fixtures';
import { REPO } from './fixtures';

const EXAMPLE = path.join(REPO, 'examples', 'fashion-mnist', 'fmnist-late-fusion.arrow');

describe('reading in a worker (src/engine/io/isolated.ts)', () => {
  it('gives the same run as reading on this thread, typed arrays included', async () => {
    const [here, there] = await Promise.all([readRun(EXAMPLE), readRunIsolated(EXAMPLE)]);
    assert.equal(there.n, here.n);
    assert.deepEqual(there.sampleIds, here.sampleIds);
    assert.ok(there.labels instanceof Int32Array);
    assert.deepEqual(Array.from(there.labels), Array.from(here.labels));
    assert.deepEqual(toDense(there.emb1), toDense(here.emb1));
    assert.deepEqual(toDense(there.logits['12']!), toDense(here.logits['12']!));
    assert.deepEqual(there.meta, here.meta);
  });

  it('gives the same results file, and the readers\' own input errors (code, file, column, message)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lsmi-isolated-'));
    const file = path.join(dir, 'r.lsmi.arrow');
    await writeResults(file, smallResults({ ids: ['a', 'b', 'c'], labels: [0, 1, 2], r: [1, 2, 3], u1: [0, 0, 1], u2: [0, 1, 0], s: [0.5, 0, 0] }));
    const there = await readResultsIsolated(file);
    assert.deepEqual(there.sampleIds, ['a', 'b', 'c']);
    assert.ok(there.columns.r instanceof Float64Array);
    assert.deepEqual(Array.from(there.columns.r), [1, 2, 3]);
    assert.deepEqual(there.meta, (await readResults(file)).meta);

    const broken = path.join(dir, 'broken.lsmi.arrow');
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(broken, bytes.subarray(0, bytes.length >> 1));
    type Err = Error & { code: string; file: string };
    const direct = (await readResults(broken).then(() => assert.fail('must fail'), (e: unknown) => e)) as Err;
    const isolated = (await readResultsIsolated(broken).then(() => assert.fail('must fail'), (e: unknown) => e)) as Err;
    assert.equal(isolated.name, 'LsmiInputError');
    assert.equal(isolated.code, direct.code);
    assert.equal(isolated.message, direct.message);
    assert.equal(isolated.file, broken);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a read that runs out of its time is stopped and reported as a problem with the file', async () => {
    const e = await readRunIsolated(EXAMPLE, {}, { timeoutMs: 1 }).then(
      () => assert.fail('must time out'),
      (err: Error & { code: string }) => err,
    );
    assert.equal(e.name, 'LsmiInputError');
    assert.equal(e.code, 'UNREADABLE');
    assert.match(e.message, /fmnist-late-fusion\.arrow: reading it took more than 0 s and was stopped/);
  });

  it('a read that runs out of memory is stopped, and this thread goes on', async () => {
    // 200,000 distinct ids need far more than a 4 MiB heap
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lsmi-isolated-'));
    const file = path.join(dir, 'big.lsmi.arrow');
    const n = 200_000;
    const z = new Array<number>(n).fill(0);
    await writeResults(file, smallResults({ ids: Array.from({ length: n }, (_, i) => `sample-${i}`), labels: z.map((_, i) => i % 3), r: z, u1: z, u2: z, s: z }));
    const e = await readResultsIsolated(file, { maxHeapMb: 4 }).then(
      () => assert.fail('must run out of memory'),
      (err: Error & { code: string }) => err,
    );
    assert.equal(e.code, 'UNREADABLE');
    assert.match(e.message, /more memory than allowed|stopped/);
    // and the same file reads fine with the default limits
    assert.equal((await readResultsIsolated(file)).sampleIds.length, n);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
