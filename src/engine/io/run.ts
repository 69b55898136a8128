/** The in-memory form of a run: what every reader produces and every later stage consumes. */
import type { Matrix } from './matrix';

export const STANDARD_COLUMNS = [
  'sample_id',
  'label',
  'emb_1',
  'emb_2',
  'logits_1',
  'logits_2',
  'logits_12',
  'path_1',
  'path_2',
  'split',
] as const;
export type StandardColumn = (typeof STANDARD_COLUMNS)[number];

/** Maps a standard column name to the name used in a user's file. */
export type ColumnMapping = Partial<Record<StandardColumn, string>>;

export const SPLITS = ['train', 'val', 'test'] as const;
export type Split = (typeof SPLITS)[number];
export const isSplit = (x: unknown): x is Split => typeof x === 'string' && (SPLITS as readonly string[]).includes(x);

export type Head = '1' | '2' | '12';
export const HEADS: readonly Head[] = ['1', '2', '12'];

export interface RunMetadata {
  formatVersion?: number;
  runName: string;
  modalityNames: [string, string];
  classNames: string[];
  architecture?: string;
  fusion?: string;
  labelPrior?: number[];
  createdBy?: string;
  extra?: Record<string, unknown>;
}

export interface RunSource {
  format: 'arrow' | 'npz';
  bytes: number;
  /** Record batches (Arrow) or 1 (npz). */
  batches: number;
  /** 'lz4', 'zstd', 'uncompressed', 'deflate' (npz), 'stored' (npz). */
  compression: string;
  /** The element type each matrix column had in the file before conversion to float32. */
  dtypes: Partial<Record<StandardColumn, string>>;
}

export interface RunData {
  file: string;
  n: number;
  nClasses: number;
  sampleIds: string[];
  labels: Int32Array;
  emb1: Matrix;
  emb2: Matrix;
  logits: Partial<Record<Head, Matrix>>;
  paths1?: (string | null)[];
  paths2?: (string | null)[];
  /** Index into {@link SPLITS} per sample. */
  split?: Uint8Array;
  meta: RunMetadata;
  source: RunSource;
}

export interface ReadOptions {
  columns?: ColumnMapping;
  /** Arrow files at least this many bytes are streamed batch by batch (default 1 GiB). */
  streamThreshold?: number;
  /**
   * Given every byte of the file, in order, as it is read, when the file is read whole (Arrow files
   * below the stream threshold): e.g. to hash the content during the read instead of in a second
   * pass. Not called for streamed Arrow files or `.npz` files (the caller can tell by the byte count).
   */
  onBytes?: (chunk: Uint8Array) => void;
}

export function columnName(std: StandardColumn, mapping?: ColumnMapping): string {
  return mapping?.[std] ?? std;
}
