import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readRun } from '../../src/engine/io';
import { toDense } from '../../src/engine/io/matrix';
import type { RunData } from '../../src/engine/io/run';
import { expected, fixture } from './fixtures';

/** Bitwise equality of float32 arrays (NaN-safe, distinguishes -0). */
function assertSameFloats(actual: Float32Array, want: Float32Array, what: string): void {
  assert.equal(actual.length, want.length, `${what}: length`);
  const a = new Uint32Array(actual.buffer.slice(actual.byteOffset, actual.byteOffset + actual.byteLength));
  const b = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) assert.fail(`${what}: value ${i} is ${actual[i]}, expected ${want[i]}`);
}

function assertMatchesExpected(run: RunData, name: string): void {
  const want = expected(name);
  assert.equal(run.n, want.ids.length);
  assert.deepEqual(run.sampleIds, want.ids);
  assert.deepEqual(Array.from(run.labels), want.labels);
  const byColumn: Record<string, ReturnType<typeof toDense> | undefined> = {
    emb_1: toDense(run.emb1),
    emb_2: toDense(run.emb2),
    logits_1: run.logits['1'] && toDense(run.logits['1']),
    logits_2: run.logits['2'] && toDense(run.logits['2']),
    logits_12: run.logits['12'] && toDense(run.logits['12']),
  };
  for (const [col, values] of Object.entries(want.matrices)) {
    assert.ok(byColumn[col], `${name}: column ${col} missing`);
    assertSameFloats(byColumn[col]!, values, `${name}.${col}`);
  }
  for (const col of ['logits_1', 'logits_2', 'logits_12']) {
    if (!want.matrices[col]) assert.equal(byColumn[col], undefined, `${name}: unexpected ${col}`);
  }
  if (want.strings.path_1) assert.deepEqual(run.paths1, want.strings.path_1);
  if (want.strings.path_2) assert.deepEqual(run.paths2, want.strings.path_2);
  if (want.strings.split) {
    const names = ['train', 'val', 'test'];
    assert.deepEqual(Array.from(run.split!, (k) => names[k]), want.strings.split);
  }
}

describe('Arrow reader on files written by pyarrow', () => {
  it('reads an LZ4 Feather file with three record batches exactly (the pyarrow default)', async () => {
    const run = await readRun(fixture('lz4-3batches.arrow'));
    assertMatchesExpected(run, 'lz4-3batches');
    assert.equal(run.source.compression, 'lz4');
    assert.equal(run.source.batches, 3);
    assert.equal(run.emb1.chunks.length, 3, 'one matrix chunk per record batch, no concatenation');
    assert.equal(run.nClasses, 4);
    assert.deepEqual(run.meta.classNames, ['cat', 'dog', 'bird', 'fish']);
    assert.deepEqual(run.meta.modalityNames, ['image', 'text']);
    assert.equal(run.meta.runName, 'fixture');
    assert.equal(run.meta.fusion, 'late');
    assert.deepEqual(run.meta.labelPrior, [0.25, 0.25, 0.25, 0.25]);
    assert.deepEqual(run.meta.extra, { seed: 7 });
  });

  it('reads ZSTD with a dictionary-encoded split column', async () => {
    const run = await readRun(fixture('zstd-2batches.feather'));
    assertMatchesExpected(run, 'zstd-2batches');
    assert.equal(run.source.compression, 'zstd');
    assert.equal(run.source.batches, 2);
  });

  it('reads uncompressed float32 embeddings as zero-copy views on the file buffer', async () => {
    const run = await readRun(fixture('uncompressed.arrow'));
    assertMatchesExpected(run, 'uncompressed');
    assert.equal(run.source.compression, 'uncompressed');
    const a = run.emb1.chunks[0].data;
    const b = run.emb2.chunks[0].data;
    assert.equal(a.buffer, b.buffer, 'both embeddings view the same underlying file buffer');
    assert.ok(a.buffer.byteLength > a.byteLength + b.byteLength);
  });

  it('converts float16 and float64 embeddings to float32 exactly as numpy does', async () => {
    assertMatchesExpected(await readRun(fixture('float16.arrow')), 'float16');
    const f64 = await readRun(fixture('float64.arrow'));
    assertMatchesExpected(f64, 'float64');
    assert.match(f64.source.dtypes.emb_1 ?? '', /Float64/);
  });

  it('reads many small batches with an int32 label', async () => {
    const run = await readRun(fixture('many-batches.arrow'));
    assertMatchesExpected(run, 'many-batches');
    assert.equal(run.source.batches, 17);
  });

  it('reads a minimal file: required columns only, integer ids, no metadata', async () => {
    const run = await readRun(fixture('minimal-intids.arrow'));
    assertMatchesExpected(run, 'minimal-intids');
    assert.equal(run.meta.runName, 'minimal-intids');
    assert.deepEqual(run.meta.classNames, ['0', '1', '2']);
    assert.deepEqual(run.logits, {});
    assert.equal(run.paths1, undefined);
  });

  it('gives the same values when streaming batch by batch through a file handle (the > 2 GiB path)', async () => {
    for (const [file, name] of [['lz4-3batches.arrow', 'lz4-3batches'], ['uncompressed.arrow', 'uncompressed']]) {
      const run = await readRun(fixture(file), { streamThreshold: 0 });
      assertMatchesExpected(run, name);
    }
  });

  it('maps column names the user configured', async () => {
    const run = await readRun(fixture('lz4-3batches.arrow'), { columns: { emb_1: 'emb_2', emb_2: 'emb_1' } });
    assert.equal(run.emb1.cols, 8);
    assert.equal(run.emb2.cols, 16);
  });
});

describe('npz reader on files written by numpy', () => {
  it('reads np.savez_compressed with unicode ids and a JSON sidecar', async () => {
    const run = await readRun(fixture('run-compressed.npz'));
    assertMatchesExpected(run, 'run-compressed');
    assert.equal(run.source.compression, 'deflate');
    assert.equal(run.meta.runName, 'fixture');
    assert.equal(run.paths1, undefined);
  });

  it('reads np.savez with integer ids, int8 labels, a Fortran-order array, float16 and float64', async () => {
    const run = await readRun(fixture('run-plain.npz'));
    assertMatchesExpected(run, 'run-plain');
    assert.equal(run.source.compression, 'stored');
    assert.equal(run.nClasses, 2);
  });
});

describe('runs written by the Python exporter (python/lsmi_export)', () => {
  it('round-trips an Arrow run with every column exactly', async () => {
    const run = await readRun(fixture('exporter.arrow'));
    assertMatchesExpected(run, 'exporter');
    assert.equal(run.source.batches, 3);
    assert.equal(run.meta.runName, 'exporter');
    assert.match(run.meta.createdBy ?? '', /^lsmi_export /);
  });

  it('round-trips an npz run with its sidecar', async () => {
    const run = await readRun(fixture('exporter.npz'));
    assertMatchesExpected(run, 'exporter-npz');
    assert.equal(run.meta.runName, 'exporter-npz');
  });
});
