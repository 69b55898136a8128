import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fixture } from './fixtures';
import { runCli } from './cli-run';

describe('lsmi CLI', () => {
  it('inspect prints a summary table', async () => {
    const r = await runCli('inspect', fixture('lz4-3batches.arrow'));
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Run fixture/);
    assert.match(r.out, /samples: 1,000 {3}classes: 4/);
    assert.match(r.out, /3 record batches, lz4/);
    assert.match(r.out, /logits_12 \(both\)/);
    assert.match(r.out, /fish/);
  });

  it('inspect --json prints one JSON object', async () => {
    const r = await runCli('inspect', fixture('lz4-3batches.arrow'), '--json');
    assert.equal(r.code, 0, r.err);
    const s = JSON.parse(r.out);
    assert.equal(s.n, 1000);
    assert.deepEqual(s.dims, [16, 8]);
    assert.equal(s.heads.length, 3);
    assert.equal(s.classCounts.reduce((a: number, b: number) => a + b, 0), 1000);
    assert.deepEqual(s.splitCounts, { train: 334, val: 333, test: 333 });
  });

  it('inspect --columns maps names', async () => {
    const r = await runCli('inspect', fixture('lz4-3batches.arrow'), '--json', '--columns', 'emb_1=emb_2,emb_2=emb_1');
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(r.out).dims, [8, 16]);
  });

  it('a bad input prints the error to stderr and exits 1', async () => {
    const r = await runCli('inspect', fixture('bad-nan-emb.arrow'));
    assert.equal(r.code, 1);
    assert.equal(r.out, '');
    assert.match(r.err, /error \[NON_FINITE\] .*bad-nan-emb\.arrow, column 'emb_1'/);
  });

  it('usage errors exit 2 with the usage text', async () => {
    for (const argv of [['frobnicate'], ['inspect'], ['inspect', 'a', '--nope'], ['inspect', 'a', '--columns', 'bogus=x']]) {
      const r = await runCli(...argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.err, /Usage:/);
    }
  });
});
