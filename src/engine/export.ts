/**
 * Exports (README, "`lsmi export`"): a filtered, sorted view of a samples table (one results file, or a
 * comparison) as CSV (RFC 4180) or Arrow IPC; partitions of the samples by a component's quantiles
 * as sample_id lists; per-sample interaction weights for training code. Every file is written
 * atomically. Formats: docs/compare-format.md. Pure TypeScript; never imports vscode.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Data, Field, Float64, Int32, RecordBatch, Schema, Struct, Table, Utf8, makeData, tableToIPC, vectorFromArray } from 'apache-arrow';
import {
  COMPARE_COMPONENTS,
  type CompareComponent,
  type Comparison,
  JOINED_COLUMNS,
  NO_SPLIT,
  type SampleFilter,
  filterSamples,
  resultsOf,
} from './compare';
import { LsmiInputError } from './errors';
import { writeFileAtomic } from './io/atomic';
import { RESULT_COLUMNS, type ResultsData } from './io/results';
import { SPLITS } from './io/run';
import { type SamplesTable, quantileSorted } from './select';
import { TOOL_VERSION } from './version';

export type ViewColumn =
  | { name: string; kind: 'string'; values: ArrayLike<string | null | undefined> }
  | { name: string; kind: 'int'; values: ArrayLike<number> }
  /** NaN is a missing value: an empty CSV field, an Arrow null. */
  | { name: string; kind: 'float'; values: ArrayLike<number> };

/** A table view: columns over all samples, and which rows (in order) the view shows. */
export interface SamplesView {
  columns: ViewColumn[];
  rows: ArrayLike<number>;
  /** Stored in the Arrow file's schema metadata key `lsmi_export` (JSON). */
  metadata?: Record<string, unknown>;
}

export type ExportFormat = 'csv' | 'arrow';

export interface ViewQuery extends SampleFilter {
  /**
   * Sort by a column of the view (e.g. `r`, `s_raw`, `r.<run>`, `delta_s.<run>`); for a comparison
   * also a component (`r`, `u1`, `u2`, `s`) meaning its Δ in `run`. Default: file order.
   */
  sort?: string;
  /** `desc` (default for numbers), `asc`, or `abs` (largest |value| first). Missing values sort last. */
  order?: 'asc' | 'desc' | 'abs';
  /** Keep the first `top` rows after sorting. */
  top?: number;
  /** Exactly these rows (a host's current filtered view), in this order; filter and sort still apply when given. */
  rows?: ArrayLike<number>;
}

const splitName = (k: number | undefined) => (k === undefined || k === NO_SPLIT ? null : SPLITS[k]);

/** The samples of one results file: sample_id, label, class, split, path_1/2, every result column. */
export function resultsView(data: ResultsData, q: ViewQuery = {}, source?: string): SamplesView {
  const names = data.meta.run.classNames;
  const columns: ViewColumn[] = [
    { name: 'sample_id', kind: 'string', values: data.sampleIds },
    { name: 'label', kind: 'int', values: data.labels },
    { name: 'class', kind: 'string', values: Array.from(data.labels, (y) => names[y] ?? String(y)) },
  ];
  if (data.split) columns.push({ name: 'split', kind: 'string', values: Array.from(data.split, (k) => splitName(k)) });
  if (data.paths1) columns.push({ name: 'path_1', kind: 'string', values: data.paths1 });
  if (data.paths2) columns.push({ name: 'path_2', kind: 'string', values: data.paths2 });
  for (const c of RESULT_COLUMNS) columns.push({ name: c, kind: 'float', values: data.columns[c] });
  const rows = viewRows(data, columns, q);
  return { columns, rows, metadata: exportMeta('results', { source, run: data.meta.run.name, query: describeQuery(q) }) };
}

/**
 * The joined samples of a comparison: sample_id, label, class, split, path_1/2 (from the run
 * {@link sampleFiles} picks, as written there), then per run `<column>.<label>` for r, u1, u2, s,
 * i1, i2, i12 and, for runs other than the baseline, `delta_<component>.<label>` (run − baseline).
 */
export function comparisonView(cmp: Comparison, q: ViewQuery & { run?: number } = {}): SamplesView {
  const columns: ViewColumn[] = [
    { name: 'sample_id', kind: 'string', values: cmp.sampleIds },
    { name: 'label', kind: 'int', values: cmp.labels },
    { name: 'class', kind: 'string', values: Array.from(cmp.labels, (y) => cmp.classNames[y] ?? String(y)) },
  ];
  if (cmp.split) columns.push({ name: 'split', kind: 'string', values: Array.from(cmp.split, (k) => splitName(k)) });
  const data = resultsOf(cmp);
  if (data?.some((d) => d.paths1 || d.paths2)) {
    const p1 = new Array<string | null>(cmp.n).fill(null);
    const p2 = new Array<string | null>(cmp.n).fill(null);
    const order = [cmp.baseline, ...cmp.runs.map((r) => r.index).filter((k) => k !== cmp.baseline)];
    for (let j = 0; j < cmp.n; j++) {
      for (const k of order) {
        const row = cmp.rows[k][j];
        if (row < 0) continue;
        const a = data[k].paths1?.[row] ?? null;
        const b = data[k].paths2?.[row] ?? null;
        if (a || b) {
          (p1[j] = a), (p2[j] = b);
          break;
        }
      }
    }
    if (data.some((d) => d.paths1)) columns.push({ name: 'path_1', kind: 'string', values: p1 });
    if (data.some((d) => d.paths2)) columns.push({ name: 'path_2', kind: 'string', values: p2 });
  }
  for (const r of cmp.runs) for (const c of JOINED_COLUMNS) columns.push({ name: `${c}.${r.label}`, kind: 'float', values: cmp.values[r.index][c] });
  for (const r of cmp.runs) {
    if (r.index === cmp.baseline) continue;
    for (const c of COMPARE_COMPONENTS) columns.push({ name: `delta_${c}.${r.label}`, kind: 'float', values: cmp.delta[r.index][c] });
  }
  let query = q;
  if (q.sort && (COMPARE_COMPONENTS as readonly string[]).includes(q.sort)) {
    const run = q.run ?? (cmp.baseline === 0 ? 1 : 0);
    const label = cmp.runs[run]?.label;
    if (label === undefined || run === cmp.baseline) throw new LsmiInputError('UNSUPPORTED', { file: '(export)' }, `sorting by Δ${q.sort} needs a run other than the baseline.`);
    query = { ...q, sort: `delta_${q.sort}.${label}`, order: q.order ?? 'abs' };
  }
  const rows = viewRows(cmp, columns, query);
  return {
    columns,
    rows,
    metadata: exportMeta('comparison', {
      runs: cmp.runs.map((r) => ({ label: r.label, file: r.file, fusion: r.fusion, architecture: r.architecture })),
      baseline: cmp.runs[cmp.baseline].label,
      query: describeQuery(query),
    }),
  };
}

function exportMeta(kind: string, extra: Record<string, unknown>): Record<string, unknown> {
  return { kind, toolVersion: TOOL_VERSION, createdAt: new Date().toISOString(), ...extra };
}

function describeQuery(q: ViewQuery): Record<string, unknown> {
  const { rows, ...rest } = q;
  return rows ? { ...rest, rows: rows.length } : rest;
}

/** The view's rows: the query's rows (or every row) that pass its filter (src/engine/select.ts), sorted, the top kept. */
function viewRows(t: SamplesTable & Partial<Pick<Comparison, 'values' | 'delta'>>, columns: ViewColumn[], q: ViewQuery): Int32Array {
  let rows = filterSamples(t, q, q.rows);
  if (q.sort) {
    const col = columns.find((c) => c.name === q.sort);
    if (!col) {
      throw new LsmiInputError('UNSUPPORTED', { file: '(export)' }, `cannot sort by '${q.sort}': no such column. Columns: ${columns.map((c) => c.name).join(', ')}.`);
    }
    const order = q.order ?? (col.kind === 'string' ? 'asc' : 'desc');
    const arr = Array.from(rows);
    if (col.kind === 'string') {
      const v = col.values;
      arr.sort((a, b) => {
        const x = v[a] ?? '';
        const y = v[b] ?? '';
        const c = x < y ? -1 : x > y ? 1 : 0;
        return (order === 'desc' ? -c : c) || a - b;
      });
    } else {
      const v = col.values;
      const key = (j: number) => (order === 'abs' ? -Math.abs(v[j]) : order === 'desc' ? -v[j] : v[j]);
      arr.sort((a, b) => {
        const x = key(a);
        const y = key(b);
        const nx = Number.isNaN(x);
        const ny = Number.isNaN(y);
        if (nx || ny) return nx && ny ? a - b : nx ? 1 : -1;
        return x - y || a - b;
      });
    }
    rows = Int32Array.from(arr);
  }
  if (q.top !== undefined) rows = rows.slice(0, Math.max(0, Math.floor(q.top)));
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Writing views

export function formatFromPath(file: string): ExportFormat | undefined {
  const ext = path.extname(file).toLowerCase();
  return ext === '.csv' ? 'csv' : ext === '.arrow' || ext === '.feather' || ext === '.ipc' ? 'arrow' : undefined;
}

/**
 * One CSV field, quoted as RFC 4180 requires (a comma, a double quote, CR or LF inside). Text that
 * starts with `=`, `+`, `-`, `@`, a tab or a carriage return would run as a formula in a
 * spreadsheet (CSV injection): unless `raw`, it gets a leading `'` (OWASP's rule), which spreadsheets
 * show as text and do not display. Numbers are written as numbers, never escaped.
 */
export function csvField(s: string, raw = false): string {
  const safe = !raw && /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/**
 * The view as CSV text: a header row, then one row per sample; records end with CRLF (RFC 4180).
 * Floats are written in the shortest form that reads back to the same float64; missing values
 * (NaN, null) are empty fields, which pandas reads as NaN.
 */
export function viewToCsv(view: SamplesView, opts: { raw?: boolean } = {}): string {
  const raw = opts.raw === true;
  const out: string[] = [view.columns.map((c) => csvField(c.name, raw)).join(',')];
  const { rows } = view;
  for (let p = 0; p < rows.length; p++) {
    const j = rows[p];
    out.push(
      view.columns
        .map((c) => {
          if (c.kind === 'string') {
            const v = c.values[j];
            return v == null ? '' : csvField(v, raw);
          }
          const v = c.values[j];
          return Number.isNaN(v) ? '' : String(v);
        })
        .join(','),
    );
  }
  return out.join('\r\n') + '\r\n';
}

/** The view as an Arrow table: utf8 (nullable), int32, float64 (nullable: NaN becomes null). */
export function viewToTable(view: SamplesView): Table {
  const rows = view.rows;
  const n = rows.length;
  const fields: Field[] = [];
  const children: Data[] = [];
  for (const c of view.columns) {
    if (c.kind === 'string') {
      const v = Array.from({ length: n }, (_, p) => c.values[rows[p]] ?? null);
      const nullable = v.some((x) => x === null);
      fields.push(new Field(c.name, new Utf8(), nullable));
      children.push(vectorFromArray(v, new Utf8()).data[0]);
    } else if (c.kind === 'int') {
      const v = new Int32Array(n);
      for (let p = 0; p < n; p++) v[p] = c.values[rows[p]];
      fields.push(new Field(c.name, new Int32(), false));
      children.push(makeData({ type: new Int32(), length: n, data: v }));
    } else {
      const v = new Float64Array(n);
      const bitmap = new Uint8Array((n + 7) >> 3);
      let nulls = 0;
      for (let p = 0; p < n; p++) {
        const x = c.values[rows[p]];
        if (Number.isNaN(x)) nulls++;
        else {
          v[p] = x;
          bitmap[p >> 3] |= 1 << (p & 7);
        }
      }
      fields.push(new Field(c.name, new Float64(), nulls > 0));
      children.push(nulls ? makeData({ type: new Float64(), length: n, data: v, nullBitmap: bitmap, nullCount: nulls }) : makeData({ type: new Float64(), length: n, data: v }));
    }
  }
  const meta = new Map<string, string>();
  if (view.metadata) meta.set('lsmi_export', JSON.stringify(view.metadata));
  const schema = new Schema(fields, meta);
  const batch = new RecordBatch(schema, makeData({ type: new Struct(fields), length: n, children }));
  return new Table(schema, [batch]);
}

export interface WrittenView {
  file: string;
  format: ExportFormat;
  rows: number;
  columns: string[];
}

/** Writes the view atomically as CSV or Arrow IPC (format: given, else from the extension, else CSV). */
export async function writeView(file: string, view: SamplesView, format?: ExportFormat, signal?: AbortSignal, opts: { csvRaw?: boolean } = {}): Promise<WrittenView> {
  const fmt = format ?? formatFromPath(file) ?? 'csv';
  const bytes = fmt === 'csv' ? viewToCsv(view, { raw: opts.csvRaw }) : tableToIPC(viewToTable(view), 'file');
  await writeFileAtomic(file, bytes, signal);
  return { file, format: fmt, rows: view.rows.length, columns: view.columns.map((c) => c.name) };
}

// ---------------------------------------------------------------------------------------------
// Quantile partitions

export interface PartitionGroup {
  name: string;
  /** The group holds samples with lo < value ≤ hi (lo null: no lower bound; hi null: no upper bound). */
  lo: number | null;
  hi: number | null;
  count: number;
  ids: string[];
}

export interface Partition {
  /** What was partitioned, e.g. `r`, `s.<run>`, `delta_r.<run>`. */
  value: string;
  quantiles: number[];
  /** The value at each quantile (linear interpolation between order statistics, numpy's default). */
  thresholds: number[];
  groups: PartitionGroup[];
  /** Samples considered (after any filter). */
  total: number;
  /** Samples left out because their value is missing (NaN). */
  excluded: number;
}

export function parseQuantiles(text: string): number[] {
  const q = text.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (!q.length || q.some((x) => !(x > 0 && x < 1))) throw new RangeError(`quantiles must be numbers strictly between 0 and 1, got '${text}'`);
  for (let i = 1; i < q.length; i++) if (!(q[i] > q[i - 1])) throw new RangeError(`quantiles must increase, got '${text}'`);
  return q;
}

function groupNames(k: number, quantiles: number[]): string[] {
  if (k === 2) return ['low', 'high'];
  if (k === 3) return ['low', 'mid', 'high'];
  const pct = (x: number) => String(Math.round(x * 100)).padStart(2, '0');
  const bounds = [0, ...quantiles, 1];
  return Array.from({ length: k }, (_, g) => `q${pct(bounds[g])}-q${pct(bounds[g + 1])}`);
}

/**
 * Splits samples by the quantiles of `values`: with thresholds t1 < … < tm, group 0 holds value ≤ t1,
 * group g holds t_g < value ≤ t_{g+1}, the last holds value > tm. Names: low/high (one quantile),
 * low/mid/high (two), else qAA-qBB. Ids keep file order within a group.
 */
export function partitionByQuantiles(ids: ArrayLike<string>, values: ArrayLike<number>, quantiles: number[], value: string, rows?: ArrayLike<number>): Partition {
  const sel = rows ? Array.from(rows) : Array.from({ length: ids.length }, (_, j) => j);
  const finite = sel.filter((j) => !Number.isNaN(values[j]));
  const sorted = Float64Array.from(finite, (j) => values[j]).sort();
  const thresholds = quantiles.map((q) => quantileSorted(sorted, q));
  const names = groupNames(quantiles.length + 1, quantiles);
  const groups: PartitionGroup[] = names.map((name, g) => ({
    name,
    lo: g === 0 ? null : thresholds[g - 1],
    hi: g === thresholds.length ? null : thresholds[g],
    count: 0,
    ids: [],
  }));
  for (const j of finite) {
    const v = values[j];
    let g = 0;
    while (g < thresholds.length && v > thresholds[g]) g++;
    groups[g].ids.push(ids[j]);
    groups[g].count++;
  }
  return { value, quantiles, thresholds, groups, total: sel.length, excluded: sel.length - finite.length };
}

export interface WrittenPartition {
  dir: string;
  manifest: string;
  files: { name: string; file: string; count: number }[];
}

/**
 * Writes one text file per group, `<prefix>-<group>.txt` (one sample_id per line, LF), and a manifest
 * `<prefix>-partition.json` with the thresholds, bounds, counts and file names. `prefix` defaults to
 * the partitioned value with characters unsafe in file names replaced.
 */
export async function writePartition(dir: string, part: Partition, opts: { prefix?: string; source?: unknown } = {}): Promise<WrittenPartition> {
  for (const g of part.groups) {
    const bad = g.ids.find((id) => /[\r\n]/.test(id));
    if (bad !== undefined) throw new LsmiInputError('UNSUPPORTED', { file: dir }, `sample_id ${JSON.stringify(bad)} contains a line break, so it cannot be written one id per line; export CSV or Arrow instead.`);
  }
  await fs.promises.mkdir(dir, { recursive: true });
  const prefix = (opts.prefix ?? part.value).replace(/[^A-Za-z0-9._-]+/g, '_');
  const files = part.groups.map((g) => ({ name: g.name, file: `${prefix}-${g.name}.txt`, count: g.count }));
  for (let g = 0; g < part.groups.length; g++) {
    const ids = part.groups[g].ids;
    await writeFileAtomic(path.join(dir, files[g].file), ids.length ? ids.join('\n') + '\n' : '');
  }
  const manifestName = `${prefix}-partition.json`;
  const manifest = {
    kind: 'partition',
    toolVersion: TOOL_VERSION,
    createdAt: new Date().toISOString(),
    value: part.value,
    quantiles: part.quantiles,
    thresholds: part.thresholds,
    total: part.total,
    excluded: part.excluded,
    rule: 'group 0: value <= t1; group g: t_g < value <= t_{g+1}; last group: value > t_m',
    groups: part.groups.map((g, k) => ({ name: g.name, file: files[k].file, lo: g.lo, hi: g.hi, count: g.count })),
    source: opts.source,
  };
  await writeFileAtomic(path.join(dir, manifestName), JSON.stringify(manifest, null, 2) + '\n');
  return { dir, manifest: path.join(dir, manifestName), files: files.map((f) => ({ ...f, file: path.join(dir, f.file) })) };
}

// ---------------------------------------------------------------------------------------------
// Interaction weights for training code

/**
 * Per-sample interaction weights: sample_id, label, split, r, u1, u2, s, i1, i2, i12 and the shares
 * `share_<c>` = max(c, 0) / (max(r, 0) + max(u1, 0) + max(u2, 0) + max(s, 0)) (all 0 when no
 * component is positive): how much of the sample's positive interaction is redundant, unique or
 * synergistic. Write it with {@link writeView} (CSV or Arrow).
 */
export function weightsView(data: ResultsData, q: ViewQuery = {}, source?: string): SamplesView {
  const n = data.sampleIds.length;
  const columns: ViewColumn[] = [
    { name: 'sample_id', kind: 'string', values: data.sampleIds },
    { name: 'label', kind: 'int', values: data.labels },
  ];
  if (data.split) columns.push({ name: 'split', kind: 'string', values: Array.from(data.split, (k) => splitName(k)) });
  for (const c of ['r', 'u1', 'u2', 's', 'i1', 'i2', 'i12'] as const) columns.push({ name: c, kind: 'float', values: data.columns[c] });
  const shares = COMPARE_COMPONENTS.map(() => new Float64Array(n));
  for (let j = 0; j < n; j++) {
    let total = 0;
    for (const c of COMPARE_COMPONENTS) total += Math.max(0, data.columns[c][j]);
    COMPARE_COMPONENTS.forEach((c, q) => (shares[q][j] = total > 0 ? Math.max(0, data.columns[c][j]) / total : 0));
  }
  COMPARE_COMPONENTS.forEach((c: CompareComponent, q) => columns.push({ name: `share_${c}`, kind: 'float', values: shares[q] }));
  const rows = viewRows(data, columns, q);
  return { columns, rows, metadata: exportMeta('weights', { source, run: data.meta.run.name, query: describeQuery(q) }) };
}
