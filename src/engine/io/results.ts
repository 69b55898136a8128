/**
 * The results file `<run>.lsmi.arrow`: one row per sample (docs/results-format.md) and, in the schema metadata key
 * `lsmi_results`, everything needed to trust and reproduce it: dataset means (raw and adjusted),
 * the adjustment branch, per-class means, settings, backend, timings, the input's content hash and
 * the tool version. Written atomically: a temporary file in the same folder, then a rename.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { AsyncByteQueue, type Data, Field, Float64, Int32, RecordBatch, RecordBatchFileWriter, Schema, Struct, Table, Utf8, makeData, vectorFromArray } from 'apache-arrow';
import type { AdjustBranch, Atoms } from '../estimate/decompose';
import type { Calibration, Covariance, EstimatorSettings, ProbeFamily } from '../estimate/settings';
import { LsmiInputError, describeRows, jsonErrorWhere } from '../errors';
import { MAX_CLASSES } from './validate';
import type { DatasetIntervals, Interval } from '../uncertainty';
import { readArrowColumns } from './arrow';
import { writeAtomic } from './atomic';
import { SPLITS } from './run';

export const RESULTS_FORMAT_VERSION = 2;
export const RESULTS_SUFFIX = '.lsmi.arrow';

/** Per-sample columns, in file order. */
export const RESULT_COLUMNS = ['r', 'u1', 'u2', 's', 'r_raw', 'u1_raw', 'u2_raw', 's_raw', 'i1', 'i2', 'i12', 'h1', 'h2'] as const;
export type ResultColumn = (typeof RESULT_COLUMNS)[number];
/** Optional per-sample columns: the standard deviation of r, u1, u2, s over the replicate fits (settings.replicates > 0). */
export const STABILITY_COLUMNS = ['r_sd', 'u1_sd', 'u2_sd', 's_sd'] as const;
export type StabilityColumn = (typeof STABILITY_COLUMNS)[number];

/** What the replicate fits record (settings.replicates > 0; see estimateRun). */
export interface StabilityMeta {
  /** Replicate fits besides the main one (the standard deviations are over 1 + replicates fits). */
  replicates: number;
  /** The seed of each replicate fit (forked from settings.seed). */
  seeds: number[];
  /** Standard deviation over the fits of the adjusted dataset means. */
  dataset: Atoms;
  /** Per class: standard deviation over the fits of the adjusted class means. */
  perClass: Atoms[];
  /** Mean over the samples of each per-sample standard deviation. */
  meanSampleSd: Atoms;
  seconds: number;
}

export interface ClassSummary {
  index: number;
  name: string;
  n: number;
  adjusted: Atoms;
  raw: Atoms;
  /** t intervals of the adjusted class means at `dataset.intervals.level` (null for n < 2); absent in results before 0.3. */
  intervals?: Record<keyof Atoms, Interval | null>;
  /**
   * −log p(y) of the class under the prior used: dividing a class mean (or interval) by it gives the
   * share of the label's information that is redundant, unique or synergistic (the normalised view).
   */
  surprisal?: number;
}

/** One probe family's showing in the selection of `probe: 'auto'` (spec: docs/heads.md). */
export interface CandidateReport {
  family: ProbeFamily;
  /**
   * Mean held-out log-loss (after temperature scaling) on the selection rows, over the selections it
   * took part in; null when it could not be fitted there (`note` says why).
   */
  selectionLogLoss: number | null;
  /** Selections (of `selections` in all) that chose this family. */
  chosen: number;
  /** e.g. 'λ = 1e-3', 'shrinkage 0.12', '14 epochs'. */
  detail?: string;
  note?: string;
  seconds: number;
}

/** A reliability diagram: equal-width bins of the top-class probability. */
export interface Reliability {
  bins: { lo: number; hi: number; n: number; confidence: number; accuracy: number }[];
  /** Expected calibration error: Σ n_b/N · |accuracy_b − confidence_b|. */
  ece: number;
}

export interface CalibrationReport {
  method: Calibration;
  /** Temperature per calibration fold (temperature and bias scaling); T > 1: the head was over-confident. */
  temperatures?: number[];
  /** Held-out log-loss before and after (both out of fold). */
  logLossBefore: number;
  logLossAfter: number;
}

/** Held-out log-loss of the head's probe refitted on shares of one fold's training rows. */
export interface LearningCurve {
  /** Shares of the training rows, e.g. [0.5, 0.75, 1]. */
  fractions: number[];
  rows: number[];
  /** Calibrated held-out log-loss on the same held-out rows, per share. */
  logLoss: number[];
  /** The log-loss's drop per doubling of the rows (least-squares slope against log2 rows; nats). */
  dropPerDoubling: number;
  stillFalling: boolean;
}

export interface HeadReport {
  /** 'logits' when the run gave them, else the probe fitted and scored out of sample. */
  source: 'logits' | 'probe';
  /** How the probe was cross-fitted, e.g. `5-fold stratified cross-fit`. */
  scheme?: string;
  /** The probe family used (for 'auto': the one most folds chose). */
  family?: ProbeFamily;
  /** Per outer fold, the family that scored it (and its detail). */
  folds?: { family: ProbeFamily; detail?: string }[];
  /** `probe: 'auto'`: every candidate's held-out log-loss in the selection. */
  candidates?: CandidateReport[];
  /** Selections run (the cross-fit's folds are chosen for in `selections` groups). */
  selections?: number;
  /** Mean −log p(y|x) over the analysed samples, after calibration (out of sample for probes). */
  logLoss: number;
  accuracy?: number;
  meanMI: number;
  calibration?: CalibrationReport;
  reliability?: { before: Reliability; after: Reliability };
  learningCurve?: LearningCurve;
  /** Plain-word warnings about this head (also in `ResultsMeta.warnings`). */
  warnings?: string[];
}

/** One candidate of the density search (`components` / `covariance` 'auto'). */
export interface DensityCandidate {
  covariance: Covariance;
  K: number;
  /** Mean log p̂(x) on the held-out rows; null when skipped (`skipped` says why). */
  heldOutLogLik: number | null;
  /** Wall time of its fit on the search's fit rows and its held-out scoring (0 when skipped). */
  seconds: number;
  /** What the cost model predicted for those seconds before running (or skipping) it. */
  predictedSeconds?: number;
  /** EM iterations of its fit, and components kept (≤ K). */
  iterations?: number;
  keptK?: number;
  skipped?: string;
}

/** The density search: every candidate considered, in the order considered, and the one chosen. */
export interface DensitySearch {
  candidates: DensityCandidate[];
  /**
   * Index in `candidates` of the one chosen and refitted on the usual fit rows: the fewest free
   * parameters within a standard error of the best held-out log-likelihood, or, when nothing was
   * fitted (its `skipped` says why), the cheapest, used as given.
   */
  chosen: number;
  /** Rows the candidates were fitted on, and held out to score them (a seeded split of a seeded subsample). */
  fitRows: number;
  valRows: number;
  budgetSeconds: number;
  /** Wall time of the search (candidates only; the refit and the scoring of every row come after). */
  seconds: number;
}

export interface DensityReport {
  mode: 'em' | 'knife';
  covariance: Covariance;
  K: number;
  iterations?: number;
  converged?: boolean;
  meanLogLik: number;
  fitRows: number;
  /** How 'auto' settings were resolved when that was not by a search (KNIFE parity, `em.fullFit`), in words. */
  auto?: string;
  /** Full covariance fitted from a tied start (`em.fullFit` 'shrunk'): the shrinkage λ toward the pooled covariance and the held-out log-likelihoods it was chosen by. */
  shrinkage?: { lambda: number; valRows: number; tried: { lambda: number; heldOutLogLik: number }[] };
  /** Present when K or the covariance was chosen by held-out log-likelihood. */
  search?: DensitySearch;
  /** Wall seconds of the search (when there was one), the fit and the scoring of every row. */
  seconds?: { search?: number; fit: number; score: number };
}

export interface ResultsMeta {
  formatVersion: number;
  toolVersion: string;
  createdAt: string;
  run: { file: string; name: string; n: number; nClasses: number; classNames: string[]; modalityNames: [string, string]; architecture?: string; fusion?: string };
  inputHash: string;
  settings: EstimatorSettings;
  /** 'empirical (label frequencies)', 'empirical (run metadata)' or 'uniform'. */
  priorSource: string;
  logPrior: number[];
  backend: { name: string; detail: string; versions: Record<string, string> };
  timings: Record<string, number>;
  dataset: { raw: Atoms; adjusted: Atoms; branch: AdjustBranch; adj: number; /** Bootstrap intervals (absent before 0.3, or with bootstrap.replicates 0). */ intervals?: DatasetIntervals };
  perClass: ClassSummary[];
  /** Per-sample stability over replicate fits (absent unless settings.replicates > 0). */
  stability?: StabilityMeta;
  heads: { '1': HeadReport; '2': HeadReport; '12': HeadReport };
  density: { '1': DensityReport; '2': DensityReport };
  /** What the settings resolved to for this run ('auto', the large-N schedule). */
  effective?: { folds: number; largeNSchedule: boolean; /** Threads the stages ran on (the results do not depend on it). */ threads?: number; probe: { '1': string; '2': string; '12': string }; density: { '1': string; '2': string } };
  /** Plain-word warnings for users (heads, calibration, sample size, density search). */
  warnings?: string[];
}

export interface ResultsData {
  meta: ResultsMeta;
  sampleIds: string[];
  labels: Int32Array;
  split?: Uint8Array;
  /**
   * The run's path_1 / path_2 (sample files; relative paths are relative to the results file's
   * folder, see rebasePaths); null where a sample has none. Absent when the run had no such column.
   */
  paths1?: (string | null)[];
  paths2?: (string | null)[];
  columns: Record<ResultColumn, Float64Array>;
  /** r_sd, u1_sd, u2_sd, s_sd when the results were estimated with replicates. */
  stability?: Record<StabilityColumn, Float64Array>;
}

export function resultsPathFor(runFile: string): string {
  return runFile.replace(/\.(arrow|feather|npz)$/i, '') + RESULTS_SUFFIX;
}

/** sha256 of a file's bytes, streamed (works for files of any size). */
export async function fileHash(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 4 << 20 })) h.update(chunk as Buffer);
  return `sha256:${h.digest('hex')}`;
}

/** Rows per record batch of a results file written by {@link writeResults}. */
export const RESULTS_BATCH_ROWS = 65536;

/** The schema of a results file: the columns `data` has, and its metadata. */
function resultsSchema(data: ResultsData): Schema {
  const fields: Field[] = [new Field('sample_id', new Utf8(), false), new Field('label', new Int32(), false)];
  if (data.split) fields.push(new Field('split', new Utf8(), false));
  for (const [name, values] of [['path_1', data.paths1], ['path_2', data.paths2]] as const) if (values) fields.push(new Field(name, new Utf8(), true));
  for (const c of RESULT_COLUMNS) fields.push(new Field(c, new Float64(), false));
  if (data.stability) for (const c of STABILITY_COLUMNS) fields.push(new Field(c, new Float64(), false));
  return new Schema(fields, new Map([['lsmi_results', JSON.stringify(data.meta)]]));
}

/** Rows [start, end) of the results as one record batch (the float columns are views, not copies). */
function resultsBatch(schema: Schema, data: ResultsData, start: number, end: number): RecordBatch {
  const n = end - start;
  const floats = (values: Float64Array) => makeData({ type: new Float64(), length: n, data: values.subarray(start, end) });
  const children: Data[] = [vectorFromArray(data.sampleIds.slice(start, end), new Utf8()).data[0], makeData({ type: new Int32(), length: n, data: data.labels.subarray(start, end) })];
  if (data.split) children.push(vectorFromArray(Array.from(data.split.subarray(start, end), (k) => SPLITS[k]), new Utf8()).data[0]);
  for (const values of [data.paths1, data.paths2]) if (values) children.push(vectorFromArray(values.slice(start, end), new Utf8()).data[0]);
  for (const c of RESULT_COLUMNS) children.push(floats(data.columns[c]));
  if (data.stability) for (const c of STABILITY_COLUMNS) children.push(floats(data.stability[c]));
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: n, children }));
}

/** The results as one in-memory table (one record batch). */
export function resultsTable(data: ResultsData): Table {
  const schema = resultsSchema(data);
  return new Table(schema, [resultsBatch(schema, data, 0, data.sampleIds.length)]);
}

/** Collects what apache-arrow's writer emits for one record batch, to be written before the next is built. */
class ChunkSink extends AsyncByteQueue {
  chunks: Uint8Array[] = [];
  override write(value: unknown): void {
    const v = value as ArrayBufferView;
    this.chunks.push(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  }
  take(): Uint8Array[] {
    const out = this.chunks;
    this.chunks = [];
    return out;
  }
}

/**
 * Writes the results atomically: a temporary file beside `out`, fsynced, then renamed over it. If
 * anything fails (or `signal` aborts first), the temporary file is removed and `out` is untouched.
 * The file is written record batch by record batch ({@link RESULTS_BATCH_ROWS} rows each, or
 * `batchRows`), so besides the results themselves only one batch's Arrow buffers (and its id
 * strings) are in memory at a time.
 */
export async function writeResults(out: string, data: ResultsData, signal?: AbortSignal, batchRows = RESULTS_BATCH_ROWS): Promise<void> {
  signal?.throwIfAborted();
  if (!(Number.isInteger(batchRows) && batchRows >= 1)) throw new RangeError(`batchRows must be a positive integer, got ${batchRows}`);
  const schema = resultsSchema(data);
  const n = data.sampleIds.length;
  await writeAtomic(
    out,
    async (write) => {
      const sink = new ChunkSink();
      const writer = new RecordBatchFileWriter();
      writer.reset(sink as never, schema);
      const flush = async () => {
        for (const chunk of sink.take()) await write(chunk);
      };
      // one batch at least, so that a results file of no rows still has its schema and metadata
      for (let start = 0; start < n || start === 0; start += batchRows) {
        writer.write(resultsBatch(schema, data, start, Math.min(n, start + batchRows)));
        await flush();
        if (n === 0) break;
      }
      writer.close();
      await flush();
    },
    signal,
  );
}

/** True when the file carries LSMI results metadata (cheap: reads the schema only). */
export function isResultsFile(file: string): boolean {
  return file.endsWith(RESULTS_SUFFIX);
}

/** Reads a results file written by {@link writeResults}. */
export async function readResults(file: string): Promise<ResultsData> {
  const raw = await readArrowColumns(file);
  const damaged = (column: string, what: string) =>
    new LsmiInputError('WRONG_TYPE', { file, column }, `${what}: the results file is damaged; estimate again.`);
  const metaText = raw.schemaMetadata?.get('lsmi_results');
  if (!metaText) {
    throw new LsmiInputError('BAD_METADATA', { file }, `not an LSMI results file (no 'lsmi_results' metadata). Results files end in ${RESULTS_SUFFIX}.`);
  }
  let meta: ResultsMeta;
  try {
    meta = JSON.parse(metaText) as ResultsMeta;
  } catch (e) {
    throw new LsmiInputError('BAD_METADATA', { file }, `the 'lsmi_results' metadata is not valid JSON (${jsonErrorWhere(e)}).`);
  }
  checkResultsMeta(meta, file);
  if (meta.formatVersion > RESULTS_FORMAT_VERSION) {
    throw new LsmiInputError('BAD_METADATA', { file }, `results format ${meta.formatVersion} is newer than this LSMI Explorer understands (${RESULTS_FORMAT_VERSION}). Update the extension.`);
  }
  const columns = {} as Record<ResultColumn, Float64Array>;
  for (const c of RESULT_COLUMNS) {
    const col = raw.columns.get(c);
    if (!col || col.kind !== 'floats') throw damaged(c, col ? `has type ${col.type}, expected float64` : 'column is missing');
    if (col.nullCount > 0) throw damaged(c, `row ${col.nullRows[0]} is null (${col.nullCount} in all)`);
    columns[c] = col.values;
  }
  let stability: Record<StabilityColumn, Float64Array> | undefined;
  if (STABILITY_COLUMNS.some((c) => raw.columns.has(c))) {
    stability = {} as Record<StabilityColumn, Float64Array>;
    for (const c of STABILITY_COLUMNS) {
      const col = raw.columns.get(c);
      if (!col || col.kind !== 'floats') throw damaged(c, col ? `has type ${col.type}, expected float64` : 'column is missing (the other stability columns are there)');
      if (col.nullCount > 0) throw damaged(c, `row ${col.nullRows[0]} is null`);
      stability[c] = col.values;
    }
  }
  const ids = raw.columns.get('sample_id');
  const labels = raw.columns.get('label');
  if (ids?.kind !== 'strings') throw damaged('sample_id', 'expected strings');
  if (labels?.kind !== 'ints') throw damaged('label', 'expected integers');
  // every column has one value per sample, no id or label is null, every label is a class
  const n = ids.length;
  for (const [name, col] of raw.columns) if (col.length !== n) throw damaged(name, `has ${col.length} rows, but sample_id has ${n}`);
  const nullId = ids.values.findIndex((v) => v === null);
  if (nullId >= 0) throw damaged('sample_id', `row ${nullId} is null`);
  if (labels.nullCount > 0) throw damaged('label', `row ${labels.nullRows[0]} is null`);
  const nClasses = meta.run.classNames.length;
  for (let i = 0; i < n; i++) {
    const v = labels.values[i];
    if (!(v >= 0 && v < nClasses && Number.isInteger(v))) throw damaged('label', `row ${i} has label ${labels.exact?.[i] ?? v}, but the run has ${nClasses} classes`);
  }
  if (meta.run.n !== n) throw damaged('sample_id', `has ${n} rows, but the metadata says the run has ${meta.run.n} samples`);
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const id = ids.values[i] as string;
    if (seen.has(id)) {
      const rows: number[] = [];
      for (let k = 0; k < n && rows.length < 10; k++) if (ids.values[k] === id) rows.push(k);
      throw new LsmiInputError('DUPLICATE_ID', { file, column: 'sample_id', rows }, `sample_id '${id}' occurs more than once (${describeRows(rows)}). A results file has one row per sample: estimate again.`);
    }
    seen.add(id);
  }
  const split = raw.columns.get('split');
  if (split) {
    if (split.kind !== 'strings') throw damaged('split', 'expected strings');
    for (let i = 0; i < n; i++) {
      const v = split.values[i];
      if (v === null || !(SPLITS as readonly string[]).includes(v)) throw damaged('split', `row ${i} is ${v === null ? 'null' : `'${v}'`}, not one of ${SPLITS.join(', ')}`);
    }
  }
  const pathsOf = (name: string) => {
    const col = raw.columns.get(name);
    return col?.kind === 'strings' ? col.values.map((v) => (v === '' ? null : v)) : undefined;
  };
  return {
    paths1: pathsOf('path_1'),
    paths2: pathsOf('path_2'),
    meta,
    sampleIds: ids.values as string[],
    labels: Int32Array.from(labels.values),
    split: split?.kind === 'strings' ? Uint8Array.from(split.values, (v) => (SPLITS as readonly string[]).indexOf(v ?? '')) : undefined,
    columns,
    stability,
  };
}

/**
 * The parts of the metadata that the CLI and the panels read without further checks: a results
 * file whose metadata was edited or damaged is refused here, with what is wrong, rather than
 * failing later in a panel.
 */
function checkResultsMeta(meta: unknown, file: string): asserts meta is ResultsMeta {
  const bad = (what: string) => new LsmiInputError('BAD_METADATA', { file }, `the 'lsmi_results' metadata is damaged: ${what}. Estimate again.`);
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const isNum = (v: unknown): v is number => typeof v === 'number';
  const atoms = (v: unknown, at: string) => {
    if (!isObj(v) || !['R', 'U1', 'U2', 'S'].every((k) => isNum(v[k]))) throw bad(`${at} is not a set of R, U1, U2, S numbers`);
  };
  if (!isObj(meta)) throw bad('it is not an object');
  if (!isNum(meta.formatVersion)) throw bad("'formatVersion' is not a number");
  const run = meta.run;
  if (!isObj(run)) throw bad("'run' is missing");
  if (!Array.isArray(run.classNames) || !run.classNames.every((c) => typeof c === 'string')) throw bad("'run.classNames' is not a list of names");
  if (run.classNames.length === 0 || run.classNames.length > MAX_CLASSES) throw bad(`'run.classNames' has ${run.classNames.length} classes (1 to ${MAX_CLASSES} are possible)`);
  if (run.nClasses !== run.classNames.length) throw bad(`'run.nClasses' (${String(run.nClasses)}) does not match the ${run.classNames.length} class names`);
  if (!Number.isSafeInteger(run.n) || (run.n as number) < 0) throw bad("'run.n' is not a sample count");
  if (typeof run.name !== 'string' || typeof run.file !== 'string') throw bad("'run.name' or 'run.file' is not text");
  if (!Array.isArray(run.modalityNames) || run.modalityNames.length !== 2 || !run.modalityNames.every((c) => typeof c === 'string')) throw bad("'run.modalityNames' is not two names");
  if (!isObj(meta.settings)) throw bad("'settings' is missing");
  const ds = meta.dataset;
  if (!isObj(ds)) throw bad("'dataset' is missing");
  atoms(ds.raw, "'dataset.raw'");
  atoms(ds.adjusted, "'dataset.adjusted'");
  if (!Array.isArray(meta.perClass) || meta.perClass.length !== run.classNames.length) throw bad("'perClass' does not have one entry per class");
  meta.perClass.forEach((c: unknown, i: number) => {
    if (!isObj(c) || !isNum(c.n)) throw bad(`'perClass[${i}]' has no sample count`);
    atoms(c.adjusted, `'perClass[${i}].adjusted'`);
    atoms(c.raw, `'perClass[${i}].raw'`);
  });
  if (!Array.isArray(meta.logPrior) || meta.logPrior.length !== run.classNames.length || !meta.logPrior.every(isNum)) throw bad("'logPrior' does not have one number per class");
  // heads, density, warnings: the readers of those (src/engine/report.ts, the overview) tolerate missing parts
  if (meta.heads !== undefined && !isObj(meta.heads)) throw bad("'heads' is not an object");
}
