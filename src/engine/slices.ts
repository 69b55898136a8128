/**
 * Saved slices (README: "Saved slices" in the results panel, `lsmi slice`): a samples-table query of one results file (classes, split, a value
 * range, an id search, the sort) saved by name beside the results, in `lsmi-exports/slices/`:
 *
 * - `<name>.slice.json`: the definition (the results file relative to the slice file, the run, the
 *   query, the results' identity when saved) and a manifest (the columns of the table, counts per
 *   class and split, the range's thresholds, min / mean / max of each value);
 * - `<name>.slice.arrow`: the selected rows in the panel's order (sample_id, label, class, split,
 *   r, u1, u2, s, i1, i2, i12), written by the export code (src/engine/export.ts).
 *
 * Reading a slice validates its JSON and re-applies the query to the current results, saying what
 * changed since it was saved. Python reads both files: `lsmi_export.load_slice` (python/). Every file
 * is written atomically. Pure TypeScript; never imports vscode.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LsmiInputError } from './errors';
import { type SamplesView, resultsView, writeView } from './export';
import { writeFileAtomic } from './io/atomic';
import { RESULTS_SUFFIX, type ResultsData, readResults } from './io/results';
import { SPLITS } from './io/run';
import { type RowsQueryInput, RowsQuery } from './rowsQuery';
import { TOOL_VERSION } from './version';
import { type RangeFilter, type SamplesQuery, SORT_COLUMNS, type SortColumn } from '../protocol/messages';

export const SLICE_FORMAT_VERSION = 1;
export const SLICE_SUFFIX = '.slice.json';
export const SLICE_TABLE_SUFFIX = '.slice.arrow';
/** Where slices live, relative to the results file's folder. */
export const SLICES_FOLDER = path.join('lsmi-exports', 'slices');
export const MAX_SLICE_NAME = 80;
/** The value columns of a slice's table (after sample_id, label, class and split). */
export const SLICE_VALUE_COLUMNS = ['r', 'u1', 'u2', 's', 'i1', 'i2', 'i12'] as const;

/** The query of a slice: the samples table's filters and sort (the protocol's SamplesQuery), validated. */
export type SliceQuery = SamplesQuery;

/** Which results a slice was taken from: a later estimate (or another run) differs here. */
export interface ResultsIdentity {
  createdAt: string;
  /** sha256 of the run file the results were estimated from. */
  inputHash: string;
  n: number;
  toolVersion: string;
}

export interface SliceManifest {
  /** The slice's Arrow table (beside the definition). */
  table: string;
  columns: string[];
  rows: number;
  /** Per class present in the slice: its label, name and count. */
  classes: { label: number; name: string; count: number }[];
  splits?: Record<string, number>;
  /** The value range filtered on (samples with lo ≤ value < hi; a null end is open), or null. */
  range: (RangeFilter & { rule: string }) | null;
  /** min / mean / max of each value over the slice (null when the slice is empty). */
  values: Record<string, { min: number; mean: number; max: number } | null>;
}

export interface SliceDefinition {
  kind: 'lsmi-slice';
  formatVersion: number;
  name: string;
  /** The results file, relative to the slice file's folder, with `/` separators. */
  results: string;
  /** The run's name (as the results record it). */
  run: string;
  query: SliceQuery;
  /** Samples the query selected when the slice was saved. */
  n: number;
  createdAt: string;
  toolVersion: string;
  resultsIdentity: ResultsIdentity;
  manifest: SliceManifest;
}

// ---------------------------------------------------------------------------------------------- names and places

/**
 * A slice name, trimmed, or an LsmiInputError (BAD_SLICE_NAME): letters, digits, `-`, `_`, `.` and
 * spaces, at most 80 characters, not starting or ending with `.`, no path separators, not a device
 * name Windows reserves.
 */
export function validateSliceName(raw: unknown): string {
  const name = typeof raw === 'string' ? raw.trim() : '';
  const bad = (why: string) => new LsmiInputError('BAD_SLICE_NAME', { file: '' }, `slice name ${JSON.stringify(raw)}: ${why}`);
  if (!name) throw bad('give the slice a name.');
  if (name.length > MAX_SLICE_NAME) throw bad(`at most ${MAX_SLICE_NAME} characters (this one has ${name.length}).`);
  if (/[/\\]/.test(name)) throw bad('no path separators (/ or \\): a slice is saved beside its results.');
  if (!/^[A-Za-z0-9 _.-]+$/.test(name)) throw bad('use letters, digits, "-", "_", "." and spaces only.');
  if (name.startsWith('.') || name.endsWith('.')) throw bad('it may not start or end with ".".');
  if (/^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i.test(name)) throw bad('that is a device name on Windows.');
  return name;
}

/** The folder of a results file's slices: `<results folder>/lsmi-exports/slices`. */
export function slicesDir(resultsFile: string): string {
  return path.join(path.dirname(resultsFile), SLICES_FOLDER);
}

export function slicePaths(resultsFile: string, name: string): { definition: string; table: string } {
  const dir = slicesDir(resultsFile);
  return { definition: path.join(dir, name + SLICE_SUFFIX), table: path.join(dir, name + SLICE_TABLE_SUFFIX) };
}

export function isSliceFile(file: string): boolean {
  return file.endsWith(SLICE_SUFFIX);
}

// ---------------------------------------------------------------------------------------------- queries

const isNumOrNull = (x: unknown): x is number | null => x === null || (typeof x === 'number' && Number.isFinite(x));

/**
 * The query a slice keeps, from a samples-table query (validated like the host validates the
 * webview's: an unknown sort falls back to `s`, classes outside the results are dropped). With
 * `data`, classes and the stability columns are checked against those results.
 */
export function sliceQueryOf(q: Partial<RowsQueryInput>, data?: ResultsData): SliceQuery {
  const { sort, desc } = RowsQuery.sortOf({ sort: q.sort ?? 's', desc: q.desc ?? true } as RowsQueryInput, data);
  const out: SliceQuery = { sort, desc };
  const cls = RowsQuery.classesOf(q.classes, data ? data.meta.run.classNames.length : Number.MAX_SAFE_INTEGER);
  if (cls) out.classes = [...cls].sort((a, b) => a - b);
  if (typeof q.split === 'string' && (SPLITS as readonly string[]).includes(q.split)) out.split = q.split;
  const r = q.range;
  if (r && typeof r === 'object' && (SORT_COLUMNS as readonly string[]).includes(r.col) && isNumOrNull(r.lo) && isNumOrNull(r.hi)) out.range = { col: r.col, lo: r.lo, hi: r.hi };
  if (typeof q.search === 'string' && q.search.trim()) out.search = q.search.trim();
  return out;
}

/** The results rows a slice's query selects, in its order. */
export function sliceRows(data: ResultsData, query: SliceQuery, rq = new RowsQuery(data)): ArrayLike<number> {
  return rq.rows(query);
}

export function resultsIdentity(data: ResultsData): ResultsIdentity {
  return { createdAt: data.meta.createdAt, inputHash: data.meta.inputHash, n: data.sampleIds.length, toolVersion: data.meta.toolVersion };
}

// ---------------------------------------------------------------------------------------------- the table and the manifest

/** The slice's table: sample_id, label, class, split (when the run has splits), r … i12, in the slice's order. */
export function sliceView(data: ResultsData, rows: ArrayLike<number>, meta: Record<string, unknown>): SamplesView {
  const full = resultsView(data, { rows });
  const keep = new Set<string>(['sample_id', 'label', 'class', 'split', ...SLICE_VALUE_COLUMNS]);
  return { columns: full.columns.filter((c) => keep.has(c.name)), rows: full.rows, metadata: { kind: 'slice', toolVersion: TOOL_VERSION, ...meta } };
}

function manifestOf(data: ResultsData, view: SamplesView, query: SliceQuery, table: string): SliceManifest {
  const rows = view.rows;
  const names = data.meta.run.classNames;
  const perClass = new Map<number, number>();
  const perSplit: Record<string, number> = {};
  for (let p = 0; p < rows.length; p++) {
    const j = rows[p];
    perClass.set(data.labels[j], (perClass.get(data.labels[j]) ?? 0) + 1);
    if (data.split) perSplit[SPLITS[data.split[j]]] = (perSplit[SPLITS[data.split[j]]] ?? 0) + 1;
  }
  const values: SliceManifest['values'] = {};
  for (const c of SLICE_VALUE_COLUMNS) {
    const v = data.columns[c];
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    let k = 0;
    for (let p = 0; p < rows.length; p++) {
      const x = v[rows[p]];
      if (Number.isNaN(x)) continue;
      min = Math.min(min, x);
      max = Math.max(max, x);
      sum += x;
      k++;
    }
    values[c] = k ? { min, mean: sum / k, max } : null;
  }
  return {
    table,
    columns: view.columns.map((c) => c.name),
    rows: rows.length,
    classes: [...perClass.entries()].sort(([a], [b]) => a - b).map(([label, count]) => ({ label, name: names[label] ?? String(label), count })),
    ...(data.split ? { splits: perSplit } : {}),
    range: query.range ? { ...query.range, rule: 'lo <= value < hi; a null end is open' } : null,
    values,
  };
}

// ---------------------------------------------------------------------------------------------- writing

export interface WrittenSlice {
  definition: string;
  table: string;
  slice: SliceDefinition;
}

const toPosix = (p: string) => p.split(path.sep).join('/');

/**
 * Saves a slice of `resultsFile` (whose data is `data`) under `name`: its Arrow table first, then
 * the definition (a slice exists once its definition does). A name already taken is refused
 * (SLICE_EXISTS) unless `overwrite`.
 */
export async function writeSlice(
  resultsFile: string,
  data: ResultsData,
  rawName: string,
  q: Partial<RowsQueryInput>,
  opts: { overwrite?: boolean; signal?: AbortSignal; rows?: ArrayLike<number> } = {},
): Promise<WrittenSlice> {
  const name = validateSliceName(rawName);
  const paths = slicePaths(resultsFile, name);
  if (!opts.overwrite && (fs.existsSync(paths.definition) || fs.existsSync(paths.table))) {
    throw new LsmiInputError('SLICE_EXISTS', { file: paths.definition }, `a slice named '${name}' exists already; overwrite it or choose another name.`);
  }
  const query = sliceQueryOf(q, data);
  const rows = opts.rows ?? sliceRows(data, query);
  const createdAt = new Date().toISOString();
  const identity = resultsIdentity(data);
  const view = sliceView(data, rows, { name, createdAt, run: data.meta.run.name, query, results: identity });
  const manifest = manifestOf(data, view, query, path.basename(paths.table));
  const slice: SliceDefinition = {
    kind: 'lsmi-slice',
    formatVersion: SLICE_FORMAT_VERSION,
    name,
    results: toPosix(path.relative(path.dirname(paths.definition), resultsFile)),
    run: data.meta.run.name,
    query,
    n: rows.length,
    createdAt,
    toolVersion: TOOL_VERSION,
    resultsIdentity: identity,
    manifest,
  };
  await fs.promises.mkdir(path.dirname(paths.definition), { recursive: true });
  await writeView(paths.table, view, 'arrow', opts.signal);
  await writeFileAtomic(paths.definition, JSON.stringify(slice, null, 2) + '\n', opts.signal);
  return { ...paths, slice };
}

// ---------------------------------------------------------------------------------------------- reading

/** Parses and validates a slice definition (`<name>.slice.json`); BAD_SLICE (or NOT_FOUND, UNSUPPORTED) otherwise. */
export function parseSliceDefinition(text: string, file: string): SliceDefinition {
  const bad = (why: string) => new LsmiInputError('BAD_SLICE', { file }, `${why} Save the slice again from the results panel.`);
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (e) {
    throw bad(`not a slice: the file is not valid JSON (${(e as Error).message}).`);
  }
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw bad('not a slice: the file holds no JSON object.');
  const d = o as Record<string, unknown>;
  if (d.kind !== 'lsmi-slice') throw bad(`not a slice: "kind" is ${JSON.stringify(d.kind)}, not "lsmi-slice".`);
  if (typeof d.formatVersion !== 'number' || !Number.isInteger(d.formatVersion)) throw bad('"formatVersion" is missing.');
  if (d.formatVersion > SLICE_FORMAT_VERSION) {
    throw new LsmiInputError('UNSUPPORTED', { file }, `slice format version ${d.formatVersion}; this LSMI Explorer (${TOOL_VERSION}) reads version ${SLICE_FORMAT_VERSION}. Update LSMI Explorer.`);
  }
  for (const k of ['name', 'results', 'run', 'createdAt', 'toolVersion'] as const) if (typeof d[k] !== 'string' || !d[k]) throw bad(`"${k}" must be a non-empty string.`);
  if (typeof d.n !== 'number' || !Number.isInteger(d.n) || d.n < 0) throw bad('"n" must be a count of samples.');
  const q = d.query as Record<string, unknown> | undefined;
  if (!q || typeof q !== 'object' || Array.isArray(q)) throw bad('"query" is missing.');
  if (!(SORT_COLUMNS as readonly string[]).includes(String(q.sort))) throw bad(`"query.sort" ${JSON.stringify(q.sort)} is none of ${SORT_COLUMNS.join(', ')}.`);
  if (typeof q.desc !== 'boolean') throw bad('"query.desc" must be true or false.');
  if (q.classes !== undefined && !(Array.isArray(q.classes) && q.classes.every((k) => Number.isInteger(k) && (k as number) >= 0))) throw bad('"query.classes" must be a list of class indices.');
  if (q.split !== undefined && !(SPLITS as readonly string[]).includes(String(q.split))) throw bad(`"query.split" must be one of ${SPLITS.join(', ')}.`);
  if (q.search !== undefined && typeof q.search !== 'string') throw bad('"query.search" must be a string.');
  if (q.range !== undefined) {
    const r = q.range as Record<string, unknown> | null;
    if (!r || typeof r !== 'object' || !(SORT_COLUMNS as readonly string[]).includes(String(r.col)) || !isNumOrNull(r.lo) || !isNumOrNull(r.hi)) {
      throw bad('"query.range" must be { col, lo, hi } with numbers or null.');
    }
  }
  const id = d.resultsIdentity as Record<string, unknown> | undefined;
  if (!id || typeof id !== 'object' || typeof id.createdAt !== 'string' || typeof id.inputHash !== 'string' || typeof id.n !== 'number') throw bad('"resultsIdentity" is missing.');
  if (!d.manifest || typeof d.manifest !== 'object') throw bad('"manifest" is missing.');
  try {
    validateSliceName(d.name);
  } catch (e) {
    throw bad(`"name": ${(e as Error).message}.`);
  }
  return d as unknown as SliceDefinition;
}

export function readSliceDefinition(file: string): SliceDefinition {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new LsmiInputError('NOT_FOUND', { file }, 'no such slice file.');
    throw new LsmiInputError('BAD_SLICE', { file }, `cannot read the slice (${(e as Error).message}).`);
  }
  return parseSliceDefinition(text, file);
}

/** The results file a slice was taken from (absolute). */
export function sliceResultsFile(sliceFile: string, def: SliceDefinition): string {
  return path.resolve(path.dirname(sliceFile), def.results.split('/').join(path.sep));
}

/** What differs between the results a slice was saved from and the current ones (plain words; empty: nothing). */
export function sliceChanges(def: SliceDefinition, data: ResultsData, rows: ArrayLike<number>): string[] {
  const was = def.resultsIdentity;
  const now = resultsIdentity(data);
  const out: string[] = [];
  if (was.inputHash !== now.inputHash) out.push('the run file changed since the slice was saved (its content hash differs)');
  else if (was.createdAt !== now.createdAt) out.push(`the results were estimated again since the slice was saved (${was.createdAt} → ${now.createdAt})`);
  if (was.n !== now.n) out.push(`the results have ${now.n} samples, ${was.n} when the slice was saved`);
  if (rows.length !== def.n) out.push(`the query selects ${rows.length} samples now, ${def.n} when the slice was saved`);
  return out;
}

export interface OpenedSlice {
  file: string;
  slice: SliceDefinition;
  resultsFile: string;
  data: ResultsData;
  /** The rows the query selects in the current results, in order. */
  rows: ArrayLike<number>;
  /** What changed since the slice was saved (empty: the same results, the same selection). */
  changes: string[];
}

/** Reads a slice and re-applies its query to the current results (read unless `data` is given). */
export async function openSlice(file: string, load: (resultsFile: string) => Promise<ResultsData> = readResults): Promise<OpenedSlice> {
  const slice = readSliceDefinition(file);
  const resultsFile = sliceResultsFile(file, slice);
  if (!resultsFile.endsWith(RESULTS_SUFFIX)) throw new LsmiInputError('BAD_SLICE', { file }, `"results" names ${slice.results}, not a results file (${RESULTS_SUFFIX}).`);
  if (!fs.existsSync(resultsFile)) throw new LsmiInputError('NOT_FOUND', { file }, `the slice's results ${resultsFile} are gone; estimate the run '${slice.run}' again.`);
  const data = await load(resultsFile);
  const query = sliceQueryOf(slice.query, data);
  const rows = sliceRows(data, query);
  return { file, slice: { ...slice, query }, resultsFile, data, rows, changes: sliceChanges(slice, data, rows) };
}

export type ListedSlice = { file: string; slice: SliceDefinition } | { file: string; error: LsmiInputError };

/** The slices saved for a results file (by name); slice files that cannot be read are listed with their error. */
export async function listSlices(resultsFile: string): Promise<ListedSlice[]> {
  const dir = slicesDir(resultsFile);
  let names: string[];
  try {
    names = await fs.promises.readdir(dir);
  } catch {
    return [];
  }
  const out: ListedSlice[] = [];
  for (const n of names.filter(isSliceFile).sort((a, b) => a.localeCompare(b))) {
    const file = path.join(dir, n);
    try {
      const slice = readSliceDefinition(file);
      if (sliceResultsFile(file, slice) === path.resolve(resultsFile)) out.push({ file, slice });
    } catch (e) {
      out.push({ file, error: e instanceof LsmiInputError ? e : new LsmiInputError('BAD_SLICE', { file }, (e as Error).message) });
    }
  }
  return out;
}

/** A slice's query in a few words, e.g. `s ↓ · classes dog, fish · split test · u1 ≥ 3 · id contains "b"`. */
export function describeSliceQuery(q: SliceQuery, classNames: (k: number) => string = String): string {
  const parts = [`${q.sort} ${q.desc ? '↓' : '↑'}`];
  if (q.classes?.length) parts.push(`${q.classes.length === 1 ? 'class' : 'classes'} ${q.classes.map(classNames).join(', ')}`);
  if (q.split) parts.push(`split ${q.split}`);
  const r = q.range;
  if (r) parts.push(r.lo !== null && r.hi !== null ? `${r.lo} ≤ ${r.col} < ${r.hi}` : r.lo !== null ? `${r.col} ≥ ${r.lo}` : r.hi !== null ? `${r.col} < ${r.hi}` : `${r.col} any`);
  if (q.search) parts.push(`id contains ${JSON.stringify(q.search)}`);
  return parts.join(' · ');
}
