import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { LsmiInputError } from '../../src/engine/errors';
import { readRun } from '../../src/engine/io';
import { fixture } from './fixtures';

interface Case {
  file: string;
  code: string;
  column?: string;
  rows?: number[];
  message: RegExp[];
}

/** Every malformed input has its own, specific message: which file, column, rows, what was expected. */
const CASES: Case[] = [
  { file: 'bad-missing-column.arrow', code: 'MISSING_COLUMN', column: 'emb_2', message: [/required column is missing/, /Columns found: sample_id, label, emb_1/, /--columns emb_2=/] },
  { file: 'bad-float-labels.arrow', code: 'WRONG_TYPE', column: 'label', message: [/has type Float64/, /integer class index/, /astype\("int64"\)/] },
  { file: 'bad-variable-list.arrow', code: 'WRONG_TYPE', column: 'emb_1', message: [/List<Float32>/, /fixed-size list/] },
  { file: 'bad-1d-emb.npz', code: 'WRONG_TYPE', column: 'emb_1', message: [/shape \(4,\)/, /2-D \(N, d\)/] },
  { file: 'bad-object.npz', code: 'WRONG_TYPE', column: 'sample_id', message: [/\|O/, /Object arrays are not supported/] },
  { file: 'bad-lengths.npz', code: 'LENGTH_MISMATCH', column: 'emb_2', message: [/has 9 rows but 'sample_id' has 10/] },
  { file: 'bad-nan-emb.arrow', code: 'NON_FINITE', column: 'emb_1', rows: [3, 17, 40], message: [/4 non-finite value\(s\)/, /in 3 row\(s\)/, /rows 3, 17, 40/] },
  { file: 'bad-inf-logits.arrow', code: 'NON_FINITE', column: 'logits_12', rows: [8], message: [/1 non-finite/, /row 8\b/, /Logits must be finite/] },
  { file: 'bad-label-range.arrow', code: 'LABEL_RANGE', column: 'label', rows: [5, 9], message: [/outside \[0, 4\)/, /rows 5, 9/, /first value 7/, /width of 'logits_1'/] },
  { file: 'bad-label-negative.arrow', code: 'LABEL_RANGE', column: 'label', rows: [11], message: [/negative/, /row 11/, /-1/] },
  { file: 'bad-logits-width.arrow', code: 'LOGITS_WIDTH', column: 'logits_2', message: [/width 5 but 'logits_1' has width 4/] },
  { file: 'bad-classnames-width.arrow', code: 'LOGITS_WIDTH', column: 'logits_1', message: [/width 4 but the metadata lists 3 class names/] },
  { file: 'bad-duplicate-id.arrow', code: 'DUPLICATE_ID', column: 'sample_id', rows: [42], message: [/1 duplicate/, /'s00007' \(rows 7 and 42\)/] },
  { file: 'bad-split.arrow', code: 'BAD_SPLIT', column: 'split', rows: [13], message: [/not one of train, val, test/, /row 13/, /'validation'/] },
  { file: 'bad-null-labels.arrow', code: 'NULLS', column: 'label', rows: [4, 6], message: [/2 null value\(s\)/, /rows 4, 6/] },
  { file: 'bad-metadata.arrow', code: 'BAD_METADATA', message: [/schema metadata 'lsmi'/, /not valid JSON/] },
  { file: 'bad-modality-names.arrow', code: 'BAD_METADATA', message: [/modality_names/, /exactly 2/] },
  { file: 'bad-sidecar.npz', code: 'BAD_METADATA', message: [/sidecar .*bad-sidecar\.json/, /class_names/] },
  { file: 'bad-empty-table.arrow', code: 'EMPTY', message: [/no rows/] },
  { file: 'bad-zero-bytes.arrow', code: 'EMPTY', message: [/0 bytes/] },
  { file: 'bad-not-arrow.arrow', code: 'NOT_ARROW', message: [/not an Arrow IPC file/, /first bytes: 73 61 6d/] },
  { file: 'bad-truncated.arrow', code: 'TRUNCATED', message: [/truncated/, /footer/] },
  { file: 'bad-truncated.npz', code: 'TRUNCATED', message: [/truncated/, /zip directory/] },
  { file: 'does-not-exist.arrow', code: 'NOT_FOUND', message: [/cannot open the file \(ENOENT\)/] },
];

describe('validation: every malformed input gets its own actionable error', () => {
  for (const c of CASES) {
    it(`${c.code}: ${c.file}`, async () => {
      const file = fixture(c.file);
      const before = fs.readdirSync(fixture('.')).length;
      await assert.rejects(readRun(file), (e: unknown) => {
        assert.ok(e instanceof LsmiInputError, `expected LsmiInputError, got ${e}`);
        assert.equal(e.code, c.code, e.message);
        assert.equal(e.file, file);
        assert.ok(e.message.startsWith(file), 'the message names the file first');
        if (c.column) {
          assert.equal(e.column, c.column);
          assert.match(e.message, new RegExp(`column '${c.column}'`));
        }
        if (c.rows) assert.deepEqual(e.rows, c.rows);
        for (const m of c.message) assert.match(e.message, m);
        return true;
      });
      assert.equal(fs.readdirSync(fixture('.')).length, before, 'reading wrote nothing');
    });
  }

  it('a corrupt body is rejected as an input error, never a crash', async () => {
    await assert.rejects(readRun(fixture('bad-corrupt.arrow')), LsmiInputError);
  });

  it('a mapped column that is missing says it was mapped', async () => {
    await assert.rejects(readRun(fixture('lz4-3batches.arrow'), { columns: { emb_1: 'image_emb' } }), (e: LsmiInputError) => {
      assert.equal(e.code, 'MISSING_COLUMN');
      assert.match(e.message, /column 'image_emb': required column is missing \(mapped from 'emb_1'\)/);
      return true;
    });
  });

  it('reports at most 10 rows and the total count', async () => {
    const { LsmiInputError: E, describeRows } = await import('../../src/engine/errors');
    assert.ok(E);
    assert.equal(describeRows([1, 2, 3], 3), 'rows 1, 2, 3');
    assert.equal(describeRows([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 25), 'rows 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ... (25 in all)');
    assert.equal(describeRows([4], 1), 'row 4');
  });
});
