/**
 * Hostile files (the reproductions in docs/run-format.md#limits): each malformed run file, written by real pyarrow /
 * numpy and then damaged (test/fixtures/make_hostile.py), gets a clear LsmiInputError naming the
 * file (and the column and row where known), in bounded time: every read runs in a worker with a
 * time limit (src/engine/io/isolated.ts), so a reader that loops forever fails the test with
 * UNREADABLE instead of hanging it. Before these fixes the same files made the reader loop forever,
 * abort the process, allocate gigabytes, throw raw JavaScript errors or accept garbage.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { ByteBuffer } from 'flatbuffers';
import { Footer } from 'apache-arrow/fb/footer';
import { DataType, Float64, Table, Utf8, tableFromIPC, tableToIPC, vectorFromArray } from 'apache-arrow';
import { readResultsIsolated, readRunIsolated } from '../../src/engine/io/isolated';
import { writeResults } from '../../src/engine/io/results';
import { smallResults } from './results-fixtures';
import { REPO } from './fixtures';

let dir = '';
const file = (name: string) => path.join(dir, name);

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lsmi-hostile-'));
  execFileSync('python3', [path.join(REPO, 'test', 'fixtures', 'make_hostile.py'), dir], { stdio: ['ignore', 'ignore', 'inherit'] });
});

/** The JavaScript engine's own words, which must never reach a user. */
const RAW_JS = /Cannot read prop|undefined|is not a function|RangeError|TypeError|out of bounds|Invalid (typed )?array length|Maximum call stack/;

async function refused(name: string, code: string, message: RegExp, extra: { column?: string; rows?: number[] } = {}): Promise<void> {
  const t0 = performance.now();
  const e = (await readRunIsolated(file(name), {}, { timeoutMs: 30_000 }).then(
    () => assert.fail(`${name} was accepted`),
    (err: unknown) => err,
  )) as Error & { code: string; file: string; column?: string; rows?: number[] };
  assert.equal(e.name, 'LsmiInputError', `${name}: ${e.stack}`);
  assert.equal(e.code, code, `${name}: ${e.message}`);
  assert.equal(e.file.endsWith(name.replace(/\.npz$/, '.json')) || e.file.endsWith(name), true, `${name}: the error names the file (${e.file})`);
  assert.match(e.message, message);
  assert.doesNotMatch(e.message, RAW_JS, `${name}: a raw JavaScript error in the message`);
  if (extra.column) assert.equal(e.column, extra.column);
  if (extra.rows) assert.deepEqual(e.rows, extra.rows);
  assert.ok(performance.now() - t0 < 20_000, `${name}: took ${(performance.now() - t0).toFixed(0)} ms`);
}

describe('hostile files: a clear error in bounded time, never a hang, a crash or garbage', () => {
  it('the valid files the damage starts from are read', async () => {
    for (const name of ['ok.arrow', 'ok.npz']) assert.equal((await readRunIsolated(file(name))).n, 40);
  });

  it('text that is not UTF-8, or holds a code point above U+10FFFF, is named with its row', async () => {
    await refused('utf8-invalid.arrow', 'WRONG_TYPE', /row 17 is not valid UTF-8 text \(bytes 73 ff 37\)/, { column: 'sample_id', rows: [17] });
    await refused('utf8-above-10ffff.arrow', 'WRONG_TYPE', /row 17 is not valid UTF-8 text/, { column: 'sample_id', rows: [17] });
    await refused('codepoint.npz', 'NOT_NPZ', /row 39 holds the code point 0x110000, which is not a Unicode character/, { column: 'sample_id' });
  });

  it('broken string offsets and dictionary indices out of range are corruption, at their row', async () => {
    await refused('string-offsets.arrow', 'TRUNCATED', /the string offsets are corrupt at row 9/, { column: 'sample_id', rows: [9] });
    await refused('dict-index.arrow', 'TRUNCATED', /row 5 refers to dictionary entry 1000, but the dictionary has 40 entries/, { column: 'sample_id', rows: [5] });
  });

  it('64-bit ids beyond 2^53 are kept exactly (they used to round into duplicates)', async () => {
    const run = await readRunIsolated(file('int64-ids.arrow'));
    assert.deepEqual(run.sampleIds.slice(0, 3), ['9007199254740992', '9007199254740993', '9007199254740994']);
    assert.equal(new Set(run.sampleIds).size, 40);
  });

  it('labels that cannot be class indices: 2^31 − 1, 2^31 (once called "negative"), 5e7 (once 2 GB of class names)', async () => {
    for (const [name, v] of [['label-2e31m1.arrow', '2147483647'], ['label-2e31.arrow', '2147483648'], ['label-5e7.arrow', '50000000']]) {
      await refused(name, 'LABEL_RANGE', new RegExp(`1 label\\(s\\) are above 99999, the largest class index supported \\(at most 100000 classes\\), at row 39 \\(first value ${v}\\)`), { column: 'label', rows: [39] });
    }
  });

  it('a null inside an embedding row is refused, at its row', async () => {
    await refused('null-in-emb.arrow', 'NULLS', /1 row\(s\) have null values inside the list, at row 1/, { column: 'emb_1', rows: [1] });
  });

  it('a footer block pointing at the schema message (apache-arrow looped forever) and 2^32 + 37 rows are refused', async () => {
    await refused('footer-block-schema.arrow', 'TRUNCATED', /the footer's record batch 0 points at a Schema message, not a RecordBatch/);
    await refused('rows-2e32.arrow', 'TRUNCATED', /record batch 0 claims 4294967333 rows \(at most 2147483647 are supported\)/);
  });

  it('a corrupted child count in the schema (memory climbed to 3 GB) is refused', async () => {
    const bytes = fs.readFileSync(file('ok.arrow'));
    const len = bytes.readInt32LE(bytes.length - 10);
    const start = bytes.length - 10 - len;
    const bb = new ByteBuffer(new Uint8Array(bytes.buffer, bytes.byteOffset + start, len));
    const field = Footer.getRootAsFooter(bb).schema()!.fields(2)!; // emb_1: a fixed-size list with one child
    assert.equal(field.name(), 'emb_1');
    // the children vector (field 5 of the Field table: vtable slot 4 + 2·5) and its length before it
    const o = (field as unknown as { bb: ByteBuffer; bb_pos: number }).bb.__offset(field.bb_pos, 14);
    const vec = bb.__vector(field.bb_pos + o);
    assert.equal(bb.readInt32(vec - 4), 1);
    const out = Buffer.from(bytes);
    out.writeInt32LE(0x7fffffff, start + vec - 4);
    fs.writeFileSync(file('child-count.arrow'), out);
    await refused('child-count.arrow', 'TRUNCATED', /the footer is corrupt|has 2147483647 children|more than/);
  });

  it('npz damage: shorter than 4 bytes, negative or nan shapes, a CRC-32 mismatch, a bad extra field, huge zip64 sizes', async () => {
    await refused('short.npz', 'NOT_NPZ', /not a NumPy \.npz file \(only 2 bytes\)/);
    await refused('neg-shape.npz', 'NOT_NPZ', /the shape \(-5, 4\): dimension '-5' is not a non-negative integer/, { column: 'emb_1' });
    await refused('nan-shape.npz', 'NOT_NPZ', /the shape \(nan, 4\): dimension 'nan' is not a non-negative integer/, { column: 'emb_1' });
    await refused('crc.npz', 'TRUNCATED', /entry 'emb_1\.npy' fails its CRC-32 check/);
    await refused('extra-ffff.npz', 'TRUNCATED', /runs past the directory/);
    await refused('zip64-size-2e40.npz', 'TRUNCATED', /entry 'sample_id\.npy' is cut short \(1099511627776 bytes/);
    await refused('zip64-entry-2e32.npz', 'TRUNCATED', /entry 'sample_id\.npy' is cut short \(4294967301 bytes/);
  });

  it('a zip bomb (2 MB inflating to 2.2 GB) is refused before it inflates', async () => {
    const rss = process.memoryUsage().rss;
    await refused('bomb.npz', 'UNSUPPORTED', /inflate to more than 1\.0 GiB .*refused as a decompression bomb/, { column: 'emb_1' });
    assert.ok(process.memoryUsage().rss - rss < 512 * 1024 ** 2, 'no gigabytes allocated');
  });

  it('a metadata sidecar that is a folder is a metadata problem, not EISDIR', async () => {
    await refused('sidecar-dir.npz', 'BAD_METADATA', /the metadata sidecar of .*sidecar-dir\.npz is not a regular file/);
  });

  it('results files: a null value, a split that is not train/val/test, a duplicate sample_id are damage, not data', async () => {
    const base = path.join(dir, 'base.lsmi.arrow');
    await writeResults(base, { ...smallResults({ ids: ['a', 'b', 'c'], labels: [0, 1, 2], r: [1, 2, 3], u1: [0, 0, 0], u2: [0, 0, 0], s: [0, 0, 0] }), split: Uint8Array.from([0, 1, 2]) });
    const t = tableFromIPC(fs.readFileSync(base));
    const variant = async (name: string, column: string, values: unknown[], type: DataType) => {
      const f = path.join(dir, name);
      const cols = Object.fromEntries(t.schema.fields.map((fl) => [fl.name, fl.name === column ? vectorFromArray(values, type) : t.getChild(fl.name)!]));
      const out = new Table(cols);
      out.schema.metadata.set('lsmi_results', t.schema.metadata.get('lsmi_results')!);
      fs.writeFileSync(f, tableToIPC(out, 'file'));
      return f;
    };
    const cases: [string, RegExp, string][] = [
      [await variant('null-r.lsmi.arrow', 'r', [1, null, 3], new Float64()), /column 'r': row 1 is null/, 'WRONG_TYPE'],
      [await variant('bad-split.lsmi.arrow', 'split', ['train', 'dev', 'test'], new Utf8()), /column 'split': row 1 is 'dev', not one of train, val, test/, 'WRONG_TYPE'],
      [await variant('dup-id.lsmi.arrow', 'sample_id', ['a', 'b', 'a'], new Utf8()), /sample_id 'a' occurs more than once \(rows 0, 2\)/, 'DUPLICATE_ID'],
    ];
    for (const [f, message, code] of cases) {
      await assert.rejects(readResultsIsolated(f), (e: Error & { code: string }) => {
        assert.equal(e.code, code, e.message);
        assert.match(e.message, message);
        return true;
      });
    }
  });
});
