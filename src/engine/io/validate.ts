/**
 * Turns the columns a reader found into a validated {@link RunData}, or throws an
 * {@link LsmiInputError} naming the file, the column and the first offending rows.
 * Shared by the Arrow and npz readers so both formats obey the same rules.
 */
import { basename, extname } from 'node:path';
import { LsmiInputError, MAX_ROWS_REPORTED, describeRows, jsonErrorWhere } from '../errors';
import type { Matrix } from './matrix';
import {
  type ColumnMapping,
  type Head,
  HEADS,
  type RunData,
  type RunMetadata,
  type RunSource,
  SPLITS,
  type StandardColumn,
  STANDARD_COLUMNS,
  columnName,
} from './run';

/** What a reader found in one column, before validation. */
export type RawColumn =
  | { kind: 'strings'; length: number; values: (string | null)[]; type: string }
  | {
      kind: 'ints';
      length: number;
      values: ArrayLike<number>;
      /** Every value's exact decimal text, present only when some 64-bit value is beyond ±2^53 (numbers would round it). */
      exact?: string[];
      nullRows: number[];
      nullCount: number;
      type: string;
    }
  | { kind: 'floats'; length: number; values: Float64Array; nullRows: number[]; nullCount: number; type: string }
  | { kind: 'matrix'; length: number; m: Matrix; nullRows: number[]; nullCount: number; type: string }
  | { kind: 'other'; length: number; type: string; hint?: string };

export interface RawRun {
  file: string;
  /** Every column in the file by its own name, in file order. */
  columns: Map<string, RawColumn>;
  /** Raw JSON text of the metadata, and where it came from (for messages). */
  metadata?: { text: string; where: string };
  /** Every schema metadata entry (Arrow only). */
  schemaMetadata?: Map<string, string>;
  source: RunSource;
}

/** Classes a run may have (labels, logits' width, class names): per-class arrays are sized by it. */
export const MAX_CLASSES = 100_000;

const REQUIRED: StandardColumn[] = ['sample_id', 'label', 'emb_1', 'emb_2'];

const EXPECTED: Record<StandardColumn, { kind: RawColumn['kind']; what: string }> = {
  sample_id: { kind: 'strings', what: 'strings (utf8), or integers in npz' },
  label: { kind: 'ints', what: 'an integer class index per row' },
  emb_1: { kind: 'matrix', what: 'a fixed-size list of floats per row (an (N, d) float array in npz)' },
  emb_2: { kind: 'matrix', what: 'a fixed-size list of floats per row (an (N, d) float array in npz)' },
  logits_1: { kind: 'matrix', what: 'a fixed-size list of C floats per row' },
  logits_2: { kind: 'matrix', what: 'a fixed-size list of C floats per row' },
  logits_12: { kind: 'matrix', what: 'a fixed-size list of C floats per row' },
  path_1: { kind: 'strings', what: 'strings (utf8), null where a sample has no file' },
  path_2: { kind: 'strings', what: 'strings (utf8), null where a sample has no file' },
  split: { kind: 'strings', what: `one of ${SPLITS.join(', ')}` },
};

export function validateRun(raw: RawRun, mapping?: ColumnMapping): RunData {
  const file = raw.file;
  const found = [...raw.columns.keys()];
  const get = (std: StandardColumn): RawColumn | undefined => raw.columns.get(columnName(std, mapping));
  const where = (std: StandardColumn) => ({ file, column: columnName(std, mapping) });

  for (const std of REQUIRED) {
    if (!get(std)) {
      const mapped = columnName(std, mapping) !== std ? ` (mapped from '${std}')` : '';
      throw new LsmiInputError(
        'MISSING_COLUMN',
        where(std),
        `required column is missing${mapped}. Columns found: ${found.length ? found.join(', ') : '(none)'}. ` +
          `If your file names it differently, map it with the setting lsmi.columns or the CLI flag --columns ${std}=<name>.`,
      );
    }
  }

  const n = get('sample_id')!.length;
  if (n === 0) throw new LsmiInputError('EMPTY', { file }, 'the run has no rows (0 samples). Export at least one sample.');

  for (const std of STANDARD_COLUMNS) {
    const col = get(std);
    if (!col) continue;
    const expected = EXPECTED[std];
    const intIds = std === 'sample_id' && col.kind === 'ints';
    if (col.kind !== expected.kind && !intIds) {
      const hint = ` ${wrongTypeHint(std, col)}`.trimEnd();
      throw new LsmiInputError('WRONG_TYPE', where(std), `has type ${col.type}; expected ${expected.what}.${hint}`);
    }
    if (col.length !== n) {
      throw new LsmiInputError(
        'LENGTH_MISMATCH',
        where(std),
        `has ${col.length} rows but '${columnName('sample_id', mapping)}' has ${n}. Every column must have one entry per sample.`,
      );
    }
  }

  for (const std of STANDARD_COLUMNS) {
    const col = get(std);
    if (!col || std === 'path_1' || std === 'path_2') continue;
    const nulls = nullRowsOf(col);
    if (nulls.count > 0) {
      throw new LsmiInputError(
        'NULLS',
        { ...where(std), rows: nulls.rows },
        `has ${nulls.count} null value(s), at ${describeRows(nulls.rows, nulls.count)}. Only path_1 and path_2 may be null.`,
      );
    }
  }

  const meta = parseMetadata(raw, file);

  const emb1 = (get('emb_1') as Extract<RawColumn, { kind: 'matrix' }>).m;
  const emb2 = (get('emb_2') as Extract<RawColumn, { kind: 'matrix' }>).m;
  for (const [std, m] of [['emb_1', emb1], ['emb_2', emb2]] as const) {
    if (m.cols === 0) throw new LsmiInputError('WRONG_TYPE', where(std), 'has width 0; an embedding needs at least one dimension.');
  }

  const logits: Partial<Record<Head, Matrix>> = {};
  let width: { std: StandardColumn; cols: number } | undefined;
  for (const head of HEADS) {
    const std = `logits_${head}` as StandardColumn;
    const col = get(std);
    if (!col) continue;
    const m = (col as Extract<RawColumn, { kind: 'matrix' }>).m;
    if (m.cols < 2) {
      throw new LsmiInputError('LOGITS_WIDTH', where(std), `has width ${m.cols}; logits need one value per class (at least 2 classes).`);
    }
    if (width && width.cols !== m.cols) {
      throw new LsmiInputError(
        'LOGITS_WIDTH',
        where(std),
        `has width ${m.cols} but '${columnName(width.std, mapping)}' has width ${width.cols}. All heads must give one logit per class.`,
      );
    }
    width ??= { std, cols: m.cols };
    logits[head] = m;
  }

  for (const std of ['emb_1', 'emb_2', 'logits_1', 'logits_2', 'logits_12'] as const) {
    const col = get(std);
    if (col) checkFinite((col as Extract<RawColumn, { kind: 'matrix' }>).m, where(std), std.startsWith('emb') ? 'Embeddings' : 'Logits');
  }

  const labelCol = get('label') as Extract<RawColumn, { kind: 'ints' }>;
  const labelText = (i: number) => labelCol.exact?.[i] ?? String(labelCol.values[i]);
  const labels = new Int32Array(n);
  let maxLabel = -1;
  const bad: number[] = [];
  let badCount = 0;
  let negative = 0;
  for (let i = 0; i < n; i++) {
    const v = labelCol.values[i];
    if (!(v >= 0) || !Number.isInteger(v) || v > MAX_CLASSES - 1) {
      badCount++;
      if (v < 0) negative++;
      if (bad.length < MAX_ROWS_REPORTED) bad.push(i);
      continue;
    }
    labels[i] = v;
    if (v > maxLabel) maxLabel = v;
  }
  if (badCount > 0) {
    const what = negative === badCount ? 'are negative' : negative === 0 ? `are above ${MAX_CLASSES - 1}, the largest class index supported (at most ${MAX_CLASSES} classes)` : `are negative or above ${MAX_CLASSES - 1}`;
    throw new LsmiInputError(
      'LABEL_RANGE',
      { ...where('label'), rows: bad },
      `${badCount} label(s) ${what}, at ${describeRows(bad, badCount)} (first value ${labelText(bad[0])}). Labels are class indices 0..C-1.`,
    );
  }

  let nClasses: number;
  let cameFrom: string;
  if (width) {
    nClasses = width.cols;
    cameFrom = `the width of '${columnName(width.std, mapping)}'`;
    if (meta.classNames.length > 0 && meta.classNames.length !== nClasses) {
      throw new LsmiInputError(
        'LOGITS_WIDTH',
        where(width.std),
        `has width ${nClasses} but the metadata lists ${meta.classNames.length} class names. They must agree.`,
      );
    }
  } else if (meta.classNames.length > 0) {
    nClasses = meta.classNames.length;
    cameFrom = `the ${nClasses} class names in the metadata`;
  } else {
    nClasses = maxLabel + 1;
    cameFrom = 'the largest label';
  }
  if (nClasses > MAX_CLASSES) {
    throw new LsmiInputError(
      width ? 'LOGITS_WIDTH' : 'BAD_METADATA',
      width ? where(width.std) : { file },
      `the run has ${nClasses} classes (from ${cameFrom}); at most ${MAX_CLASSES} are supported.`,
    );
  }
  if (maxLabel >= nClasses) {
    const rows: number[] = [];
    let count = 0;
    for (let i = 0; i < n; i++) {
      if (labels[i] >= nClasses) {
        count++;
        if (rows.length < MAX_ROWS_REPORTED) rows.push(i);
      }
    }
    throw new LsmiInputError(
      'LABEL_RANGE',
      { ...where('label'), rows },
      `${count} label(s) are outside [0, ${nClasses}), at ${describeRows(rows, count)} (first value ${labels[rows[0]]}); ` +
        `C = ${nClasses} comes from ${cameFrom}.`,
    );
  }
  if (meta.classNames.length === 0) meta.classNames = Array.from({ length: nClasses }, (_, i) => String(i));
  if (meta.labelPrior && meta.labelPrior.length !== nClasses) {
    throw new LsmiInputError(
      'BAD_METADATA',
      { file },
      `metadata field 'label_prior' has ${meta.labelPrior.length} entries but the run has ${nClasses} classes.`,
    );
  }

  const sampleIds = stringsOf(get('sample_id')!);
  const seen = new Map<string, number>();
  const dupRows: number[] = [];
  const dupIds: string[] = [];
  let dupCount = 0;
  for (let i = 0; i < n; i++) {
    const id = sampleIds[i];
    const first = seen.get(id);
    if (first === undefined) {
      seen.set(id, i);
      continue;
    }
    dupCount++;
    if (dupRows.length < MAX_ROWS_REPORTED) {
      dupRows.push(i);
      if (dupIds.length < 3) dupIds.push(`'${id}' (rows ${first} and ${i})`);
    }
  }
  if (dupCount > 0) {
    throw new LsmiInputError(
      'DUPLICATE_ID',
      { ...where('sample_id'), rows: dupRows },
      `${dupCount} duplicate sample_id value(s), e.g. ${dupIds.join(', ')}. sample_id must be unique: it joins runs.`,
    );
  }

  let split: Uint8Array | undefined;
  const splitCol = get('split');
  if (splitCol) {
    const values = stringsOf(splitCol);
    split = new Uint8Array(n);
    const badRows: number[] = [];
    let badSplit = 0;
    for (let i = 0; i < n; i++) {
      const k = (SPLITS as readonly string[]).indexOf(values[i]);
      if (k < 0) {
        badSplit++;
        if (badRows.length < MAX_ROWS_REPORTED) badRows.push(i);
      } else split[i] = k;
    }
    if (badSplit > 0) {
      throw new LsmiInputError(
        'BAD_SPLIT',
        { ...where('split'), rows: badRows },
        `${badSplit} value(s) are not one of ${SPLITS.join(', ')}, at ${describeRows(badRows, badSplit)} (first value ${values[badRows[0]] == null ? 'null' : `'${values[badRows[0]]}'`}).`,
      );
    }
  }

  const pathsOf = (std: 'path_1' | 'path_2') => {
    const col = get(std);
    return col ? (col as Extract<RawColumn, { kind: 'strings' }>).values.map((p) => (p === '' ? null : p)) : undefined;
  };

  return {
    file,
    n,
    nClasses,
    sampleIds,
    labels,
    emb1,
    emb2,
    logits,
    paths1: pathsOf('path_1'),
    paths2: pathsOf('path_2'),
    split,
    meta,
    source: raw.source,
  };
}

function wrongTypeHint(std: StandardColumn, col: RawColumn): string {
  if (col.kind === 'other' && col.hint) return col.hint;
  if (std === 'label') return 'Labels must be integer class indices: cast them with labels.astype("int64").';
  if (std.startsWith('emb_') || std.startsWith('logits_')) {
    return 'Store one fixed-size list of floats per row (pyarrow: pa.list_(pa.float32(), d); numpy: a 2-D (N, d) float array).';
  }
  if (std === 'split' || std.startsWith('path_')) return 'Store it as strings.';
  return '';
}

function nullRowsOf(col: RawColumn): { count: number; rows: number[] } {
  if (col.kind === 'strings') {
    const rows: number[] = [];
    let count = 0;
    col.values.forEach((v, i) => {
      if (v === null) {
        count++;
        if (rows.length < MAX_ROWS_REPORTED) rows.push(i);
      }
    });
    return { count, rows };
  }
  if (col.kind === 'ints' || col.kind === 'floats' || col.kind === 'matrix') return { count: col.nullCount, rows: col.nullRows };
  return { count: 0, rows: [] };
}

function stringsOf(col: RawColumn): string[] {
  if (col.kind === 'strings') return col.values as string[];
  if (col.kind === 'ints') return col.exact ?? Array.from(col.values, (v) => String(v));
  throw new Error(`not a string column: ${col.kind}`);
}

function checkFinite(m: Matrix, at: { file: string; column: string }, what: string): void {
  let count = 0;
  let rowCount = 0;
  const rows: number[] = [];
  for (const c of m.chunks) {
    const d = c.data;
    // fast path: NaN and ±Inf make the sum non-finite; scan rows only when a chunk is suspect
    let sum = 0;
    for (let i = 0; i < d.length; i++) sum += d[i] * 0;
    if (sum === 0) continue;
    for (let r = 0; r < c.rows; r++) {
      let inRow = 0;
      for (let j = r * m.cols, end = j + m.cols; j < end; j++) if (!Number.isFinite(d[j])) inRow++;
      if (inRow > 0) {
        count += inRow;
        rowCount++;
        if (rows.length < MAX_ROWS_REPORTED) rows.push(c.start + r);
      }
    }
  }
  if (count > 0) {
    throw new LsmiInputError(
      'NON_FINITE',
      { ...at, rows },
      `${count} non-finite value(s) (NaN or ±Inf) in ${rowCount} row(s), first at ${describeRows(rows, rowCount)}. ` +
        `${what} must be finite: check the model's outputs for these samples (fp16 overflow, division by zero, log of 0).`,
    );
  }
}

function parseMetadata(raw: RawRun, file: string): RunMetadata {
  const defaultName = basename(file, extname(file));
  const meta: RunMetadata = { runName: defaultName, modalityNames: ['modality 1', 'modality 2'], classNames: [] };
  if (!raw.metadata) return meta;
  const bad = (msg: string) => new LsmiInputError('BAD_METADATA', { file }, `${raw.metadata!.where}: ${msg}`);
  let obj: unknown;
  try {
    obj = JSON.parse(raw.metadata.text);
  } catch (e) {
    throw bad(`is not valid JSON (${jsonErrorWhere(e)}).`);
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw bad('must be a JSON object.');
  const o = obj as Record<string, unknown>;
  const str = (k: string): string | undefined => {
    const v = o[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw bad(`field '${k}' must be a string, got ${JSON.stringify(v)}.`);
    return v;
  };
  const strList = (k: string): string[] | undefined => {
    const v = o[k];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw bad(`field '${k}' must be a list of strings.`);
    return v as string[];
  };
  const fv = o.format_version;
  if (fv !== undefined && fv !== null) {
    if (typeof fv !== 'number' || !Number.isInteger(fv)) throw bad(`field 'format_version' must be an integer.`);
    if (fv > 1) throw bad(`format_version ${fv} is newer than this LSMI Explorer understands (1). Update the extension.`);
    meta.formatVersion = fv;
  }
  meta.runName = str('run_name') ?? defaultName;
  const modalities = strList('modality_names');
  if (modalities) {
    if (modalities.length !== 2) throw bad(`field 'modality_names' must name exactly 2 modalities, got ${modalities.length}.`);
    meta.modalityNames = [modalities[0], modalities[1]];
  }
  meta.classNames = strList('class_names') ?? [];
  meta.architecture = str('architecture');
  meta.fusion = str('fusion');
  meta.createdBy = str('created_by');
  const prior = o.label_prior;
  if (prior !== undefined && prior !== null) {
    if (!Array.isArray(prior) || prior.some((p) => typeof p !== 'number' || !(p >= 0))) {
      throw bad(`field 'label_prior' must be a list of non-negative numbers.`);
    }
    const sum = (prior as number[]).reduce((a, b) => a + b, 0);
    if (Math.abs(sum - 1) > 1e-6) throw bad(`field 'label_prior' must sum to 1, got ${sum}.`);
    meta.labelPrior = prior as number[];
  }
  const extra = o.extra;
  if (extra !== undefined && extra !== null) {
    if (typeof extra !== 'object' || Array.isArray(extra)) throw bad(`field 'extra' must be an object.`);
    meta.extra = extra as Record<string, unknown>;
  }
  return meta;
}
