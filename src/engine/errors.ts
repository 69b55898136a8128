/**
 * Errors are values with a user-facing message (what, where, what to do) and a code tests can assert.
 * Every problem with a user's input is an {@link LsmiInputError}; anything else is a bug.
 */
export type InputErrorCode =
  | 'NOT_FOUND'
  | 'NOT_ARROW'
  | 'NOT_NPZ'
  | 'TRUNCATED'
  | 'EMPTY'
  | 'MISSING_COLUMN'
  | 'WRONG_TYPE'
  | 'NULLS'
  | 'LENGTH_MISMATCH'
  | 'NON_FINITE'
  | 'LABEL_RANGE'
  | 'LOGITS_WIDTH'
  | 'DUPLICATE_ID'
  | 'BAD_SPLIT'
  | 'BAD_METADATA'
  | 'UNSUPPORTED'
  // comparing runs (src/engine/compare.ts)
  | 'NOT_RESULTS'
  | 'CLASS_MISMATCH'
  | 'LABEL_MISMATCH'
  // estimator settings (src/engine/estimate/settings.ts: validateSettings)
  | 'BAD_SETTINGS'
  // a read that ran out of time or memory in its worker (src/engine/io/isolated.ts)
  | 'UNREADABLE'
  // what an estimate needs of a run (src/engine/estimate/preflight.ts)
  | 'EXTREME_VALUES'
  | 'TOO_FEW_SAMPLES'
  | 'TOO_FEW_CLASSES'
  | 'EMPTY_CLASS'
  // a fit that broke down numerically despite the preflight (src/engine/estimate/lsmi.ts), named by its stage
  | 'FIT_FAILED'
  // writing results (src/engine/io/atomic.ts, lock.ts)
  | 'NOT_WRITABLE'
  | 'LOCKED'
  // the ensemble (src/engine/pid/load.ts): logits scored on samples their heads were trained on
  | 'NOT_OUT_OF_SAMPLE'
  // saved slices (src/engine/slices.ts): a name that cannot be a file name, a name taken, a damaged slice file
  | 'BAD_SLICE_NAME'
  | 'SLICE_EXISTS'
  | 'BAD_SLICE';

export interface InputErrorDetails {
  /** The file at fault ('' for a setting). */
  file: string;
  /** The setting at fault, by its dotted path (e.g. `mlp.hidden`). */
  setting?: string;
  column?: string;
  /** First offending rows, 0-based, at most {@link MAX_ROWS_REPORTED}. */
  rows?: number[];
}

export const MAX_ROWS_REPORTED = 10;

export class LsmiInputError extends Error {
  override readonly name = 'LsmiInputError';
  readonly code: InputErrorCode;
  readonly file: string;
  readonly column?: string;
  readonly rows?: number[];
  readonly setting?: string;

  constructor(code: InputErrorCode, details: InputErrorDetails, message: string) {
    const where = details.column ? `${details.file}, column '${details.column}'` : details.file;
    super(where ? `${where}: ${message}` : message);
    this.code = code;
    this.file = details.file;
    this.column = details.column;
    this.rows = details.rows;
    this.setting = details.setting;
  }

  toJSON(): object {
    return { name: this.name, code: this.code, file: this.file, column: this.column, rows: this.rows, setting: this.setting, message: this.message };
  }

  /** The error {@link toJSON} described (across a worker or process boundary), message unchanged. */
  static fromJSON(o: Record<string, unknown>): LsmiInputError {
    const e = new LsmiInputError(o.code as InputErrorCode, { file: String(o.file ?? ''), column: o.column as string | undefined, rows: o.rows as number[] | undefined, setting: o.setting as string | undefined }, '');
    e.message = String(o.message ?? '');
    return e;
  }
}

export function isInputError(e: unknown): e is LsmiInputError {
  return e instanceof LsmiInputError || (typeof e === 'object' && e !== null && (e as { name?: string }).name === 'LsmiInputError');
}

/** "rows 3, 17 and 40" / "rows 3, 17, ... (12 in all)". */
export function describeRows(rows: readonly number[], total?: number): string {
  const shown = rows.slice(0, MAX_ROWS_REPORTED).join(', ');
  const count = total ?? rows.length;
  const noun = count === 1 ? 'row' : 'rows';
  return count > MAX_ROWS_REPORTED || (total !== undefined && total > rows.length)
    ? `${noun} ${shown}, ... (${count} in all)`
    : `${noun} ${shown}`;
}

/** Where JSON.parse stopped, in words for a user ("at position 45"), never the engine's own text. */
export function jsonErrorWhere(e: unknown): string {
  const m = /position (\d+)/.exec(String((e as Error)?.message ?? ''));
  return m ? `invalid JSON at character ${m[1]}` : 'invalid JSON';
}
