/**
 * Comparing runs (issue #5): 2 to 8 results files of different models on the same samples, joined
 * on `sample_id`, with one run pinned as the baseline. Everything a compare view needs is computed
 * here, on the engine side, so a panel receives only small data: dataset and per-class means per
 * run, their differences to the baseline, per-class shifts, histograms of per-sample differences,
 * paged "biggest movers" and a bounded scatter of one component in run A against run B.
 *
 * Sign convention: Δ = run − baseline, per sample and per mean. Semantics: docs/compare-format.md.
 * Pure TypeScript; never imports vscode.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Atoms, adjustment, topK } from './estimate/decompose';
import { DEFAULT_SETTINGS, validateSetting } from './estimate/settings';
import { LsmiInputError, describeRows, isInputError } from './errors';
import { type ResultsData, type ResultsMeta, RESULTS_SUFFIX, readResults, resultsPathFor } from './io/results';
import { SPLITS, type Split } from './io/run';
import { Rng } from './random';
import { type AtomIntervals, BlockSums, type Interval, classIntervals, excludesZero, normalQuantile, percentileIntervals, quantileSorted } from './uncertainty';

export const MIN_COMPARE_RUNS = 2;
export const MAX_COMPARE_RUNS = 8;

/** The per-sample interaction components compared (after the RUS adjustment). */
export const COMPARE_COMPONENTS = ['r', 'u1', 'u2', 's'] as const;
export type CompareComponent = (typeof COMPARE_COMPONENTS)[number];
/** Per-sample columns carried into the join. */
export const JOINED_COLUMNS = ['r', 'u1', 'u2', 's', 'i1', 'i2', 'i12'] as const;
export type JoinedColumn = (typeof JOINED_COLUMNS)[number];

const ATOM_OF: Record<CompareComponent, keyof Atoms> = { r: 'R', u1: 'U1', u2: 'U2', s: 'S' };
/** Split code for a joined sample whose runs have no split column. */
export const NO_SPLIT = 255;

export interface ComparedRun {
  index: number;
  /** Unique among the compared runs: the run name, disambiguated when two runs share it. */
  label: string;
  /** The run's name from its metadata (`run_name`; default the run file's name). */
  name: string;
  /** The results file. */
  file: string;
  architecture?: string;
  fusion?: string;
  /** "late fusion · two MLP encoders ..." (for tooltips and legends). */
  description: string;
  /** Samples in this run's results file. */
  n: number;
  /** Joined samples this run lacks. */
  missing: number;
  /** Dataset means from the results file (all of this run's samples; adjusted and raw, with the adjustment). */
  dataset: ResultsMeta['dataset'];
  /** Adjusted means over the samples every compared run has (what the differences use). */
  common: Atoms;
  modalityNames: [string, string];
  toolVersion: string;
  settings: ResultsMeta['settings'];
  meta: ResultsMeta;
}

export interface ClassComparison {
  index: number;
  name: string;
  /** Samples of this class that every run has. */
  n: number;
  /** Adjusted means per run (index = run index) over those samples. */
  means: Atoms[];
  /** means[k] − means[baseline], per run. */
  delta: Atoms[];
  /**
   * Per run: the interval of each Δ (t interval of the mean per-sample difference, simultaneous
   * over the classes: see {@link CompareSignificance}); null for the baseline, for n < 2 and
   * without a bootstrap.
   */
  deltaIntervals: (Record<keyof Atoms, Interval | null> | null)[];
}

/** How the differences' intervals were computed (recorded so a rerun gives the same intervals). */
export interface CompareSignificance {
  /** Paired bootstrap replicates for the dataset Δ (0: no intervals). */
  replicates: number;
  /** Coverage, e.g. 0.95. */
  level: number;
  seed: number;
  /** Blocks the common samples were dealt into (see src/engine/uncertainty.ts). */
  blocks: number;
  /** 'paired percentile bootstrap (Poisson weights), RUS adjustment in every replicate' */
  method: string;
  /** Class shifts: t intervals of the mean per-sample Δ, Bonferroni-simultaneous over the classes. */
  classMethod: string;
  /** The per-class coverage that makes the class intervals simultaneous at `level`. */
  classLevel: number;
  /**
   * Per run: whether its intervals also include the estimator's own seed-to-seed noise (both it
   * and the baseline were estimated with replicates: their variances over the fits are added in
   * quadrature). Without replicates the intervals cover the sampling noise of the samples only.
   */
  seedNoise: boolean[];
}

export interface Comparison {
  runs: ComparedRun[];
  /** Index of the baseline run. */
  baseline: number;
  /** Joined samples: the union of every run's sample ids (in first-seen order, baseline first). */
  n: number;
  /** Joined samples present in every run. */
  nCommon: number;
  /** Joined samples absent from at least one run. */
  nIncomplete: number;
  nClasses: number;
  classNames: string[];
  modalityNames: [string, string];
  sampleIds: string[];
  labels: Int32Array;
  /** Index into SPLITS, or {@link NO_SPLIT}; absent when no run has a split column. */
  split?: Uint8Array;
  /** Per run: the row in its results file of each joined sample, −1 where the run lacks it. */
  rows: Int32Array[];
  /** Per run: the joined per-sample values, NaN where the run lacks the sample. */
  values: Record<JoinedColumn, Float64Array>[];
  /**
   * Per run: each joined sample's standard deviation of r, u1, u2, s over the run's replicate fits
   * (NaN where the run lacks the sample); undefined for a run estimated without replicates.
   */
  sd: (Record<CompareComponent, Float64Array> | undefined)[];
  /** Per run: values − baseline values (NaN where either lacks the sample; zeros for the baseline). */
  delta: Record<CompareComponent, Float64Array>[];
  /** 1 where every run has the sample. */
  common: Uint8Array;
  /** Per run: common means − baseline's common means. */
  datasetDelta: Atoms[];
  /** Per run: the paired bootstrap interval of each Δ (null for the baseline, or without a bootstrap). */
  datasetDeltaIntervals: (AtomIntervals | null)[];
  significance: CompareSignificance;
  /** The bootstrap settings the comparison was made with (kept for a change of baseline). */
  bootstrap: { replicates: number; level: number; seed: number };
  perClass: ClassComparison[];
  warnings: string[];
}

export interface CompareOptions {
  /** The baseline: a run index (0-based, in file order), or a label, run name, file path or file name. Default 0. */
  baseline?: string | number;
  /** The paired bootstrap of the differences (defaults: 1000 replicates, 95 %, seed 0). */
  bootstrap?: { replicates?: number; level?: number; seed?: number };
}

/** Reads 2 to 8 results files and compares them (see {@link compareResults}). */
export async function loadComparison(resultFiles: string[], opts: CompareOptions = {}): Promise<Comparison> {
  checkCount(resultFiles.length);
  const data: ResultsData[] = [];
  for (const f of resultFiles) data.push(await readResultsForCompare(f));
  return compareResults(resultFiles.map((file, k) => ({ file, data: data[k] })), opts);
}

/**
 * Reads a results file; a run file (or anything else) gets a message that says to estimate first.
 */
export async function readResultsForCompare(file: string): Promise<ResultsData> {
  if (!fs.existsSync(file)) {
    throw new LsmiInputError('NOT_FOUND', { file }, `no such results file.${hintEstimate(file)}`);
  }
  try {
    return await readResults(file);
  } catch (e) {
    if (isInputError(e) && e.code === 'BAD_METADATA' && /not an LSMI results file/.test(e.message)) {
      throw new LsmiInputError('NOT_RESULTS', { file }, `this is not a results file (it has no 'lsmi_results' metadata).${hintEstimate(file)}`);
    }
    throw e;
  }
}

function hintEstimate(file: string): string {
  if (file.endsWith(RESULTS_SUFFIX)) return ' Run `lsmi estimate <run>` to write it.';
  const results = resultsPathFor(file);
  if (/\.(arrow|feather|npz)$/i.test(file) && fs.existsSync(results)) return ` Its results are in ${results}: compare that file.`;
  return ` If it is a run file, run \`lsmi estimate ${file}\` first and compare the ${RESULTS_SUFFIX} file it writes.`;
}

function checkCount(n: number): void {
  if (n < MIN_COMPARE_RUNS || n > MAX_COMPARE_RUNS) {
    throw new LsmiInputError('UNSUPPORTED', { file: '(compare)' }, `compare takes ${MIN_COMPARE_RUNS} to ${MAX_COMPARE_RUNS} results files, got ${n}.`);
  }
}

/** Compares results already in memory: joins them on sample_id and computes every difference. */
export function compareResults(inputs: { file: string; data: ResultsData }[], opts: CompareOptions = {}): Comparison {
  checkCount(inputs.length);
  const boot = {
    replicates: opts.bootstrap?.replicates ?? DEFAULT_SETTINGS.bootstrap.replicates,
    level: opts.bootstrap?.level ?? DEFAULT_SETTINGS.bootstrap.level,
    seed: opts.bootstrap?.seed ?? 0,
  };
  validateSetting('bootstrap.replicates', boot.replicates);
  validateSetting('bootstrap.level', boot.level);
  validateSetting('seed', boot.seed);
  for (const { file, data } of inputs) checkUniqueIds(file, data.sampleIds);
  checkClasses(inputs);
  const labels = uniqueLabels(inputs);
  const baseline = resolveBaseline(opts.baseline, inputs.map(({ file, data }, k) => ({ label: labels[k], name: data.meta.run.name, file })));

  // the join: the baseline's ids first, then each other run's new ids, in file order
  const order = [baseline, ...inputs.map((_, k) => k).filter((k) => k !== baseline)];
  const index = new Map<string, number>();
  const ids: string[] = [];
  for (const k of order) for (const id of inputs[k].data.sampleIds) if (!index.has(id)) index.set(id, ids.push(id) - 1);
  const n = ids.length;
  const rows = inputs.map(({ data }) => {
    const r = new Int32Array(n).fill(-1);
    data.sampleIds.forEach((id, row) => (r[index.get(id)!] = row));
    return r;
  });

  // per joined sample: label, split and sample files from the baseline or the first run that has it
  const base = inputs[baseline];
  const joinedLabels = new Int32Array(n).fill(-1);
  const anySplit = inputs.some(({ data }) => data.split);
  const split = anySplit ? new Uint8Array(n).fill(NO_SPLIT) : undefined;
  for (const k of order) {
    const { file, data } = inputs[k];
    const r = rows[k];
    let conflicts: number[] | undefined;
    let conflictCount = 0;
    let firstConflict = -1;
    for (let j = 0; j < n; j++) {
      const row = r[j];
      if (row < 0) continue;
      const y = data.labels[row];
      if (joinedLabels[j] < 0) joinedLabels[j] = y;
      else if (joinedLabels[j] !== y) {
        conflictCount++;
        if (firstConflict < 0) firstConflict = j;
        (conflicts ??= []).length < 10 && conflicts.push(row);
      }
      if (split && data.split && split[j] === NO_SPLIT) split[j] = data.split[row];
    }
    if (conflicts) {
      const j = firstConflict;
      const other = order.find((o) => rows[o][j] >= 0 && inputs[o].data.labels[rows[o][j]] === joinedLabels[j])!;
      throw new LsmiInputError(
        'LABEL_MISMATCH',
        { file, column: 'label', rows: conflicts },
        `${conflictCount} sample${conflictCount === 1 ? ' has' : 's have'} a different label than in ${inputs[other].file} ` +
          `(${describeRows(conflicts, conflictCount)}; e.g. '${ids[j]}': ${data.labels[r[j]]} here, ${joinedLabels[j]} there). ` +
          'Compared runs must be evaluated on the same samples with the same labels.',
      );
    }
  }

  const values = inputs.map(({ data }, k) => {
    const v = {} as Record<JoinedColumn, Float64Array>;
    for (const c of JOINED_COLUMNS) {
      const out = new Float64Array(n).fill(NaN);
      const src = data.columns[c];
      const r = rows[k];
      for (let j = 0; j < n; j++) if (r[j] >= 0) out[j] = src[r[j]];
      v[c] = out;
    }
    return v;
  });
  const sd = inputs.map(({ data }, k) => {
    const st = data.stability;
    if (!st) return undefined;
    const v = {} as Record<CompareComponent, Float64Array>;
    for (const c of COMPARE_COMPONENTS) {
      const out = new Float64Array(n).fill(NaN);
      const src = st[`${c}_sd`];
      const r = rows[k];
      for (let j = 0; j < n; j++) if (r[j] >= 0) out[j] = src[r[j]];
      v[c] = out;
    }
    return v;
  });
  const common = new Uint8Array(n);
  let nCommon = 0;
  for (let j = 0; j < n; j++) {
    let all = 1;
    for (const r of rows) if (r[j] < 0) all = 0;
    common[j] = all;
    nCommon += all;
  }

  const meta0 = base.data.meta.run;
  const nClasses = meta0.nClasses;
  const classNames = Array.from({ length: nClasses }, (_, c) => meta0.classNames[c] ?? String(c));
  const runs: ComparedRun[] = inputs.map(({ file, data }, k) => {
    const m = data.meta;
    let missing = 0;
    for (let j = 0; j < n; j++) if (rows[k][j] < 0) missing++;
    return {
      index: k,
      label: labels[k],
      name: m.run.name,
      file,
      architecture: m.run.architecture,
      fusion: m.run.fusion,
      description: [m.run.fusion && `${m.run.fusion} fusion`, m.run.architecture].filter(Boolean).join(' · ') || m.run.name,
      n: data.sampleIds.length,
      missing,
      dataset: m.dataset,
      common: commonMeans(values[k], common, nCommon),
      modalityNames: m.run.modalityNames,
      toolVersion: m.toolVersion,
      settings: m.settings,
      meta: m,
    };
  });

  const warnings: string[] = [];
  if (nCommon === 0) warnings.push('no sample is present in every run: the runs were evaluated on different samples, so no difference can be computed.');
  else if (nCommon < n) warnings.push(`${n - nCommon} of ${n} samples are missing from at least one run; differences use the ${nCommon} samples every run has.`);
  const names = new Set(runs.map((r) => JSON.stringify(r.modalityNames)));
  if (names.size > 1) warnings.push(`the runs name their modalities differently (${runs.map((r) => `${r.label}: ${r.modalityNames.join(' / ')}`).join('; ')}).`);
  const settingsKeys = new Set(runs.map((r) => JSON.stringify({ mode: r.settings.mode, covariance: r.settings.covariance, components: r.settings.components, prior: r.settings.prior })));
  if (settingsKeys.size > 1) warnings.push('the runs were estimated with different settings (density mode, covariance, components or prior): differences mix model and estimator effects.');

  const partial: Omit<Comparison, Rebased> = {
    runs,
    baseline,
    n,
    nCommon,
    nIncomplete: n - nCommon,
    nClasses,
    classNames,
    modalityNames: base.data.meta.run.modalityNames,
    sampleIds: ids,
    labels: joinedLabels,
    split,
    rows,
    values,
    sd,
    common,
    warnings,
    bootstrap: boot,
  };
  resultsByComparison.set(rows, inputs.map((i) => i.data));
  return rebase(partial, baseline);
}

/** The same comparison against another baseline (no file is read again). */
export function withBaseline(cmp: Comparison, baseline: string | number): Comparison {
  const b = resolveBaseline(baseline, cmp.runs.map((r) => ({ label: r.label, name: r.name, file: r.file })));
  return b === cmp.baseline ? cmp : rebase(cmp, b);
}

/** The index of a compared run given by index, label, run name, file path or file name. */
export function resolveRun(cmp: Comparison, run: string | number): number {
  return resolveBaseline(run, cmp.runs.map((r) => ({ label: r.label, name: r.name, file: r.file })));
}

/** What {@link rebase} computes for a baseline. */
type Rebased = 'delta' | 'datasetDelta' | 'datasetDeltaIntervals' | 'significance' | 'perClass';

function rebase(c: Omit<Comparison, Rebased>, baseline: number): Comparison {
  const { n, values, runs } = c;
  const bv = values[baseline];
  const delta = values.map((v) => {
    const d = {} as Record<CompareComponent, Float64Array>;
    for (const comp of COMPARE_COMPONENTS) {
      const out = new Float64Array(n);
      const a = v[comp];
      const b = bv[comp];
      for (let j = 0; j < n; j++) out[j] = a[j] - b[j];
      d[comp] = out;
    }
    return d;
  });
  const datasetDelta = runs.map((r) => subAtoms(r.common, runs[baseline].common));
  // per class, over the samples every run has
  const count = new Array<number>(c.nClasses).fill(0);
  for (let j = 0; j < n; j++) if (c.common[j]) count[c.labels[j]]++;
  const perClass: ClassComparison[] = c.classNames.map((name, index) => ({ index, name, n: count[index], means: [], delta: [], deltaIntervals: [] }));
  for (let k = 0; k < runs.length; k++) {
    const sums = COMPARE_COMPONENTS.map(() => new Float64Array(c.nClasses));
    for (let j = 0; j < n; j++) {
      if (!c.common[j]) continue;
      const y = c.labels[j];
      COMPARE_COMPONENTS.forEach((comp, q) => (sums[q][y] += values[k][comp][j]));
    }
    for (const pc of perClass) {
      const m = {} as Atoms;
      COMPARE_COMPONENTS.forEach((comp, q) => (m[ATOM_OF[comp]] = pc.n > 0 ? sums[q][pc.index] / pc.n : NaN));
      pc.means.push(m);
    }
  }
  for (const pc of perClass) pc.delta = pc.means.map((m) => subAtoms(m, pc.means[baseline]));

  // significance: a paired bootstrap of the dataset Δ, t intervals of the class Δ
  const { replicates, level, seed } = c.bootstrap;
  const testable = count.filter((m) => m >= 2).length;
  const classLevel = 1 - (1 - level) / Math.max(1, testable);
  const paired = replicates > 0 && c.nCommon > 0 ? pairedDeltaIntervals(c, baseline, datasetDelta) : undefined;
  const datasetDeltaIntervals = runs.map((_, k) => (k === baseline || !paired ? null : paired.intervals[k]));
  for (let k = 0; k < runs.length; k++) {
    if (k === baseline || replicates === 0) {
      for (const pc of perClass) pc.deltaIntervals.push(null);
      continue;
    }
    const ci = classIntervals(COMPARE_COMPONENTS.map((comp) => delta[k][comp]), c.labels, c.nClasses, classLevel, c.common);
    for (const pc of perClass) {
      const iv = {} as Record<keyof Atoms, Interval | null>;
      COMPARE_COMPONENTS.forEach((comp, q) => (iv[ATOM_OF[comp]] = ci.interval[q][pc.index]));
      pc.deltaIntervals.push(iv);
    }
  }
  // the estimator's own noise, where both runs measured it (replicate fits): added in quadrature
  const seedNoise = runs.map((r, k) => k !== baseline && replicates > 0 && !!r.meta.stability && !!runs[baseline].meta.stability);
  const widen = (iv: Interval | null, center: number, variance: number, z: number): Interval | null =>
    iv && Number.isFinite(variance)
      ? { lo: center - Math.sqrt((center - iv.lo) ** 2 + z * z * variance), hi: center + Math.sqrt((iv.hi - center) ** 2 + z * z * variance) }
      : iv;
  const zData = normalQuantile((1 + level) / 2);
  const zClass = normalQuantile((1 + classLevel) / 2);
  for (let k = 0; k < runs.length; k++) {
    if (!seedNoise[k]) continue;
    const a = runs[k].meta.stability!;
    const b = runs[baseline].meta.stability!;
    const iv = datasetDeltaIntervals[k];
    for (const atom of ['R', 'U1', 'U2', 'S'] as const) {
      if (iv) iv[atom] = widen(iv[atom], datasetDelta[k][atom], a.dataset[atom] ** 2 + b.dataset[atom] ** 2, zData)!;
      for (const pc of perClass) {
        const civ = pc.deltaIntervals[k];
        if (civ) civ[atom] = widen(civ[atom], pc.delta[k][atom], (a.perClass[pc.index]?.[atom] ?? NaN) ** 2 + (b.perClass[pc.index]?.[atom] ?? NaN) ** 2, zClass);
      }
    }
  }
  const significance: CompareSignificance = {
    replicates,
    level,
    seed,
    blocks: paired?.blocks ?? 0,
    method: 'paired percentile bootstrap (Poisson weights), RUS adjustment in every replicate',
    classMethod: `t interval of the mean per-sample Δ, Bonferroni-simultaneous over the ${testable} classes`,
    classLevel,
    seedNoise,
  };
  return { ...c, baseline, delta, datasetDelta, datasetDeltaIntervals, significance, perClass };
}

const SIGN: Record<CompareComponent, number> = { r: 1, u1: -1, u2: -1, s: 1 };

/**
 * The paired bootstrap of the dataset Δ over the samples every run has: every replicate weighs the
 * same samples in every run (Poisson weights on blocks, see src/engine/uncertainty.ts), takes each
 * run's raw means (adjusted value ∓ the run's adjustment), applies the RUS adjustment to those
 * means (it depends on them) and differences the adjusted means against the baseline's. The
 * percentile interval is then shifted by (shown Δ − the same recipe on all common samples), which
 * is 0 when every run has every sample (the results file's adjustment is this recipe's on all its
 * samples); with missing samples it centres the interval on the Δ the tables show.
 */
function pairedDeltaIntervals(c: Omit<Comparison, Rebased>, baseline: number, shown: Atoms[]): { intervals: AtomIntervals[]; blocks: number } {
  const { runs, values } = c;
  const series: Float64Array[] = [];
  for (let k = 0; k < runs.length; k++) {
    const adj = runs[k].dataset.adj;
    for (const comp of COMPARE_COMPONENTS) {
      const v = values[k][comp];
      const out = new Float64Array(v.length);
      const shift = SIGN[comp] * adj;
      for (let j = 0; j < v.length; j++) out[j] = c.common[j] ? v[j] - shift : 0;
      series.push(out);
    }
  }
  const adjustedDelta = (m: ArrayLike<number>, out: Float64Array, at: number) => {
    const adjusted: Atoms[] = [];
    for (let k = 0; k < runs.length; k++) {
      const raw = { R: m[4 * k], U1: m[4 * k + 1], U2: m[4 * k + 2], S: m[4 * k + 3] };
      const { adj } = adjustment(raw);
      adjusted.push({ R: raw.R + adj, U1: raw.U1 - adj, U2: raw.U2 - adj, S: raw.S + adj });
    }
    for (let k = 0; k < runs.length; k++) {
      out[at + 4 * k] = adjusted[k].R - adjusted[baseline].R;
      out[at + 4 * k + 1] = adjusted[k].U1 - adjusted[baseline].U1;
      out[at + 4 * k + 2] = adjusted[k].U2 - adjusted[baseline].U2;
      out[at + 4 * k + 3] = adjusted[k].S - adjusted[baseline].S;
    }
  };
  const rng = Rng.derive(c.bootstrap.seed, 'compare-bootstrap');
  const sums = new BlockSums(series, rng.fork(), c.common);
  const stats = 4 * runs.length;
  const reps = new Float64Array(c.bootstrap.replicates * stats);
  sums.replicate(c.bootstrap.replicates, rng.fork(), (m, k) => adjustedDelta(m, reps, k * stats));
  // the recipe on all common samples, to centre the intervals on the shown Δ
  const full = new Float64Array(series.length);
  for (let q = 0; q < series.length; q++) {
    let acc = 0;
    for (let j = 0; j < series[q].length; j++) acc += series[q][j];
    full[q] = acc / c.nCommon;
  }
  const recipe = new Float64Array(stats);
  adjustedDelta(full, recipe, 0);
  const iv = percentileIntervals(reps, c.bootstrap.replicates, stats, c.bootstrap.level);
  const intervals = runs.map((_, k) => {
    const out = {} as AtomIntervals;
    (['R', 'U1', 'U2', 'S'] as const).forEach((a, q) => {
      const shift = shown[k][a] - recipe[4 * k + q];
      const x = iv[4 * k + q];
      out[a] = { lo: x.lo + shift, hi: x.hi + shift };
    });
    return out;
  });
  return { intervals, blocks: sums.blocks };
}

/** The components whose Δ interval excludes 0, largest |Δ| first (the compare headline names only these). */
export function significantMoves(cmp: Pick<Comparison, 'datasetDelta' | 'datasetDeltaIntervals'>, run: number): { atom: keyof Atoms; delta: number; interval: Interval }[] {
  const iv = cmp.datasetDeltaIntervals[run];
  if (!iv) return [];
  return (['R', 'U1', 'U2', 'S'] as const)
    .filter((a) => excludesZero(iv[a]))
    .map((a) => ({ atom: a, delta: cmp.datasetDelta[run][a], interval: iv[a] }))
    .sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta));
}

function subAtoms(a: Atoms, b: Atoms): Atoms {
  return { R: a.R - b.R, U1: a.U1 - b.U1, U2: a.U2 - b.U2, S: a.S - b.S };
}

function commonMeans(v: Record<JoinedColumn, Float64Array>, common: Uint8Array, nCommon: number): Atoms {
  const m = { R: 0, U1: 0, U2: 0, S: 0 };
  if (nCommon === 0) return { R: NaN, U1: NaN, U2: NaN, S: NaN };
  for (const comp of COMPARE_COMPONENTS) {
    let s = 0;
    const a = v[comp];
    for (let j = 0; j < a.length; j++) if (common[j]) s += a[j];
    m[ATOM_OF[comp]] = s / nCommon;
  }
  return m;
}

function checkUniqueIds(file: string, ids: string[]): void {
  const seen = new Map<string, number>();
  let dupId: string | undefined;
  let dupCount = 0;
  for (let i = 0; i < ids.length; i++) {
    if (seen.has(ids[i])) {
      dupCount++;
      dupId ??= ids[i];
    } else seen.set(ids[i], i);
  }
  if (dupId === undefined) return;
  const rows: number[] = [];
  for (let i = 0; i < ids.length && rows.length < 10; i++) if (ids[i] === dupId) rows.push(i);
  throw new LsmiInputError(
    'DUPLICATE_ID',
    { file, column: 'sample_id', rows },
    `sample_id '${dupId}' occurs more than once (${describeRows(rows)})${dupCount > 1 ? `; ${dupCount} rows repeat an earlier id in all` : ''}. ` +
      'Runs are joined on sample_id, so each results file needs one row per sample.',
  );
}

function checkClasses(inputs: { file: string; data: ResultsData }[]): void {
  const a = inputs[0];
  const ca = a.data.meta.run;
  for (const b of inputs.slice(1)) {
    const cb = b.data.meta.run;
    const namesA = ca.classNames ?? [];
    const namesB = cb.classNames ?? [];
    let what: string | undefined;
    if (ca.nClasses !== cb.nClasses) {
      what = `${a.file} has ${ca.nClasses} classes, ${b.file} has ${cb.nClasses}`;
      const onlyA = namesA.filter((x) => !namesB.includes(x));
      const onlyB = namesB.filter((x) => !namesA.includes(x));
      if (onlyA.length || onlyB.length) {
        what += ` (only in the first: ${onlyA.map((x) => `'${x}'`).join(', ') || 'none'}; only in the second: ${onlyB.map((x) => `'${x}'`).join(', ') || 'none'})`;
      }
    } else if (namesA.length && namesB.length) {
      const diffs: string[] = [];
      for (let c = 0; c < ca.nClasses; c++) if ((namesA[c] ?? '') !== (namesB[c] ?? '')) diffs.push(`class ${c}: '${namesA[c] ?? ''}' vs '${namesB[c] ?? ''}'`);
      if (diffs.length) what = `the class names differ between ${a.file} and ${b.file} (${diffs.slice(0, 5).join('; ')}${diffs.length > 5 ? `; ${diffs.length} in all` : ''})`;
    }
    if (what) {
      throw new LsmiInputError('CLASS_MISMATCH', { file: b.file }, `runs with different class sets cannot be compared: ${what}.`);
    }
  }
}

function uniqueLabels(inputs: { file: string; data: ResultsData }[]): string[] {
  const base = inputs.map(({ file, data }) => data.meta.run.name || path.basename(file, RESULTS_SUFFIX));
  const count = (xs: string[], x: string) => xs.filter((y) => y === x).length;
  let labels = base.map((b, k) => (count(base, b) > 1 ? `${b} (${path.basename(inputs[k].file)})` : b));
  labels = labels.map((l, k) => (count(labels, l) > 1 ? `${l} #${k + 1}` : l));
  return labels;
}

function resolveBaseline(baseline: string | number | undefined, runs: { label: string; name: string; file: string }[]): number {
  if (baseline === undefined) return 0;
  if (typeof baseline === 'number') {
    if (Number.isInteger(baseline) && baseline >= 0 && baseline < runs.length) return baseline;
    throw new LsmiInputError('UNSUPPORTED', { file: '(compare)' }, `run index ${baseline} is out of range: ${runs.length} runs are compared (0 to ${runs.length - 1}).`);
  }
  const tests: ((r: (typeof runs)[number]) => boolean)[] = [
    (r) => r.label === baseline,
    (r) => r.name === baseline,
    (r) => path.resolve(r.file) === path.resolve(baseline),
    (r) => path.basename(r.file) === baseline || path.basename(r.file, RESULTS_SUFFIX) === baseline,
  ];
  for (const t of tests) {
    const hits = runs.map((r, k) => (t(r) ? k : -1)).filter((k) => k >= 0);
    if (hits.length === 1) return hits[0];
    if (hits.length > 1) throw new LsmiInputError('UNSUPPORTED', { file: '(compare)' }, `'${baseline}' matches ${hits.length} runs; use one of the labels: ${runs.map((r) => `'${r.label}'`).join(', ')}.`);
  }
  if (/^\d+$/.test(baseline)) return resolveBaseline(Number(baseline), runs);
  throw new LsmiInputError('UNSUPPORTED', { file: '(compare)' }, `no compared run is called '${baseline}'; the runs are ${runs.map((r) => `'${r.label}'`).join(', ')}.`);
}

// ---------------------------------------------------------------------------------------------
// Class shifts

export interface ClassShift {
  index: number;
  name: string;
  n: number;
  baseline: number;
  value: number;
  /** value − baseline. */
  delta: number;
  /** The Δ's interval (simultaneous over the classes; null for n < 2 or without a bootstrap). */
  interval: Interval | null;
  /** The interval excludes 0: a shift beyond noise. */
  significant: boolean;
}

/** Per component: classes whose mean rose (`gained`, largest first) and fell (`lost`, largest drop first). */
export type ClassShifts = Record<CompareComponent, { gained: ClassShift[]; lost: ClassShift[] }>;

export function classShifts(cmp: Comparison, run: number, top = Infinity): ClassShifts {
  checkRun(cmp, run);
  const out = {} as ClassShifts;
  for (const comp of COMPARE_COMPONENTS) {
    const a = ATOM_OF[comp];
    const all = cmp.perClass
      .filter((pc) => pc.n > 0)
      .map((pc) => {
        const interval = pc.deltaIntervals[run]?.[a] ?? null;
        return { index: pc.index, name: pc.name, n: pc.n, baseline: pc.means[cmp.baseline][a], value: pc.means[run][a], delta: pc.delta[run][a], interval, significant: excludesZero(interval) };
      });
    out[comp] = {
      gained: all.filter((x) => x.delta > 0).sort((x, y) => y.delta - x.delta || x.index - y.index).slice(0, top),
      lost: all.filter((x) => x.delta < 0).sort((x, y) => x.delta - y.delta || x.index - y.index).slice(0, top),
    };
  }
  return out;
}

function checkRun(cmp: Comparison, run: number): void {
  if (!(Number.isInteger(run) && run >= 0 && run < cmp.runs.length)) throw new RangeError(`run ${run} is out of range (0 to ${cmp.runs.length - 1})`);
}

function defaultRun(cmp: Comparison): number {
  return cmp.baseline === 0 ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Histograms of Δ

export interface DeltaHistogram {
  component: CompareComponent;
  /** bins + 1 edges, symmetric around 0: [−lim, lim]. */
  edges: number[];
  /** Per run (index = run index; the baseline's entry is all zeros). */
  counts: number[][];
  /** Per run: samples with Δ below the first edge / above the last. */
  underflow: number[];
  overflow: number[];
  /** Per run: samples with a Δ (present in the run and the baseline). */
  n: number[];
  /** Per run: mean Δ, mean |Δ| and standard deviation of Δ. */
  mean: number[];
  meanAbs: number[];
  std: number[];
}

/**
 * Histogram of Δ = run − baseline of one component, every non-baseline run on the same bins. The
 * range is ±(99.5th percentile of |Δ| over those runs), so a few extreme samples do not flatten it;
 * they are counted in `underflow` / `overflow`.
 */
export function deltaHistogram(cmp: Comparison, component: CompareComponent, bins = 40): DeltaHistogram {
  const pooled: number[] = [];
  cmp.runs.forEach((_, k) => {
    if (k === cmp.baseline) return;
    for (const x of cmp.delta[k][component]) if (Number.isFinite(x)) pooled.push(Math.abs(x));
  });
  const abs = Float64Array.from(pooled).sort();
  let lim = abs.length ? quantileSorted(abs, 0.995) : 0;
  if (!(lim > 0)) lim = abs.length ? abs[abs.length - 1] : 0;
  if (!(lim > 0)) lim = 1e-6;
  const width = (2 * lim) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, b) => -lim + b * width);
  edges[bins] = lim;
  const h: DeltaHistogram = { component, edges, counts: [], underflow: [], overflow: [], n: [], mean: [], meanAbs: [], std: [] };
  cmp.runs.forEach((_, k) => {
    const counts = new Array<number>(bins).fill(0);
    let under = 0;
    let over = 0;
    let cnt = 0;
    let sum = 0;
    let sumAbs = 0;
    let sum2 = 0;
    for (const x of cmp.delta[k][component]) {
      if (!Number.isFinite(x)) continue;
      cnt++;
      sum += x;
      sumAbs += Math.abs(x);
      sum2 += x * x;
      if (x < -lim) under++;
      else if (x > lim) over++;
      else counts[Math.min(bins - 1, Math.floor((x + lim) / width))]++;
    }
    const mean = cnt ? sum / cnt : NaN;
    h.counts.push(counts);
    h.underflow.push(under);
    h.overflow.push(over);
    h.n.push(cnt);
    h.mean.push(mean);
    h.meanAbs.push(cnt ? sumAbs / cnt : NaN);
    h.std.push(cnt ? Math.sqrt(Math.max(0, sum2 / cnt - mean * mean)) : NaN);
  });
  return h;
}

export { quantileSorted };

// ---------------------------------------------------------------------------------------------
// Samples filter, biggest movers

export interface SampleFilter {
  /** Keep these classes (indices). */
  classes?: number[];
  split?: Split;
  /** Case-insensitive substring of sample_id. */
  search?: string;
}

/** Joined-sample indices that pass the filter, ascending. */
export function filterSamples(cmp: Pick<Comparison, 'n' | 'labels' | 'split' | 'sampleIds'>, f: SampleFilter = {}): Int32Array {
  const classes = f.classes?.length ? new Set(f.classes) : undefined;
  const split = f.split !== undefined ? SPLITS.indexOf(f.split) : -1;
  const needle = f.search?.trim().toLowerCase() || undefined;
  const out = new Int32Array(cmp.n);
  let m = 0;
  for (let j = 0; j < cmp.n; j++) {
    if (classes && !classes.has(cmp.labels[j])) continue;
    if (split >= 0 && (!cmp.split || cmp.split[j] !== split)) continue;
    if (needle && !cmp.sampleIds[j].toLowerCase().includes(needle)) continue;
    out[m++] = j;
  }
  return out.slice(0, m);
}

export type MoverComponent = CompareComponent | 'any';
/**
 * `abs`: largest |Δ| first; `gain`: largest Δ first; `loss`: most negative Δ first; `stable`: largest
 * |Δ| relative to the samples' stability, |Δ| / √(sd_run² + sd_baseline²) (both runs estimated with
 * replicates), so a sample that moves by more than its own seed-to-seed noise leads.
 */
export type MoverOrder = 'abs' | 'gain' | 'loss' | 'stable';
export const MOVER_ORDERS: readonly MoverOrder[] = ['abs', 'gain', 'loss', 'stable'];

export interface MoversQuery extends SampleFilter {
  /** Ranked by Δ of this component, or `any`: the component with the largest |Δ| per sample (default). */
  component?: MoverComponent;
  /** The run compared with the baseline (default: the first non-baseline run). */
  run?: number;
  order?: MoverOrder;
  offset?: number;
  /** Rows per page (default 50, at most 1000). */
  limit?: number;
}

export interface MoverRow {
  /** 1-based rank within the filtered ranking. */
  rank: number;
  /** Joined-sample index (for {@link sampleDetail}). */
  index: number;
  sample_id: string;
  label: number;
  class: string;
  split?: string;
  /** The component the row is ranked by (for `any`: the one with the largest |Δ|) and its Δ. */
  component: CompareComponent;
  delta: number;
  /** Δ of every component, the baseline's values and the run's values. */
  deltas: Record<CompareComponent, number>;
  baseline: Record<CompareComponent, number>;
  value: Record<CompareComponent, number>;
  /** √(sd_run² + sd_baseline²) of the ranked component (both runs estimated with replicates). */
  stability?: number;
}

export interface MoversPage {
  component: MoverComponent;
  run: number;
  order: MoverOrder;
  offset: number;
  /** Samples that pass the filter and have a Δ (present in the run and the baseline). */
  total: number;
  /** Samples that pass the filter but lack a Δ (missing from the run or the baseline). */
  missing: number;
  rows: MoverRow[];
}

const resultsByComparison = new WeakMap<object, ResultsData[]>();
const rankCache = new WeakMap<Comparison, Map<string, Int32Array>>();

/** The sort key per joined sample for a ranking (NaN: no Δ). */
const anyKeyCache = new WeakMap<Comparison, Map<number, { key: Float64Array; comp: Uint8Array }>>();

function moverKey(cmp: Comparison, run: number, component: MoverComponent): { key: Float64Array; comp: Uint8Array | undefined } {
  const d = cmp.delta[run];
  if (component !== 'any') return { key: d[component], comp: undefined };
  let cache = anyKeyCache.get(cmp);
  if (!cache) anyKeyCache.set(cmp, (cache = new Map()));
  const hit = cache.get(run);
  if (hit) return hit;
  const made = anyMoverKey(cmp, d);
  cache.set(run, made);
  return made;
}

/** For `any`: per sample, the Δ of the component with the largest |Δ|, and which component it is. */
function anyMoverKey(cmp: Comparison, d: Record<CompareComponent, Float64Array>): { key: Float64Array; comp: Uint8Array } {
  const key = new Float64Array(cmp.n);
  const comp = new Uint8Array(cmp.n);
  for (let j = 0; j < cmp.n; j++) {
    let best = NaN;
    let which = 0;
    COMPARE_COMPONENTS.forEach((c, q) => {
      const x = d[c][j];
      if (Number.isFinite(x) && !(Math.abs(x) <= Math.abs(best))) (best = x), (which = q);
    });
    key[j] = best;
    comp[j] = which;
  }
  return { key, comp };
}

/** Whether a run and the baseline both carry per-sample stability (replicate fits). */
export function hasPairStability(cmp: Pick<Comparison, 'sd' | 'baseline'>, run: number): boolean {
  return !!cmp.sd[run] && !!cmp.sd[cmp.baseline];
}

const noiseCache = new WeakMap<Comparison, Map<number, Record<CompareComponent, Float64Array>>>();

/** Per joined sample and component: √(sd_run² + sd_baseline²), the noise of its Δ. */
function pairNoise(cmp: Comparison, run: number): Record<CompareComponent, Float64Array> {
  if (!hasPairStability(cmp, run)) {
    const without = [run, cmp.baseline].filter((k) => !cmp.sd[k]).map((k) => cmp.runs[k].label);
    throw new LsmiInputError('BAD_SETTINGS', { file: cmp.runs[run].file, setting: 'order' },
      `ranking movers by stability needs per-sample standard deviations in both runs; ${without.join(' and ')} ${without.length === 1 ? 'was' : 'were'} estimated without replicates (lsmi estimate --replicates R, or the lsmi.estimator.replicates setting).`);
  }
  let cache = noiseCache.get(cmp);
  if (!cache) noiseCache.set(cmp, (cache = new Map()));
  const hit = cache.get(run);
  if (hit) return hit;
  const a = cmp.sd[run]!;
  const b = cmp.sd[cmp.baseline]!;
  const out = {} as Record<CompareComponent, Float64Array>;
  for (const c of COMPARE_COMPONENTS) out[c] = a[c].map((x, j) => Math.sqrt(x * x + b[c][j] * b[c][j]));
  cache.set(run, out);
  return out;
}

/** Every joined sample with a Δ, ranked (cached per comparison, run, component and order). */
function ranking(cmp: Comparison, run: number, component: MoverComponent, order: MoverOrder): Int32Array {
  let cache = rankCache.get(cmp);
  if (!cache) rankCache.set(cmp, (cache = new Map()));
  const id = `${run}/${component}/${order}`;
  const hit = cache.get(id);
  if (hit) return hit;
  const { key, comp } = moverKey(cmp, run, component);
  const idx: number[] = [];
  for (let j = 0; j < cmp.n; j++) if (Number.isFinite(key[j])) idx.push(j);
  let score: (j: number) => number;
  if (order === 'stable') {
    const noise = pairNoise(cmp, run);
    const sdOf = (j: number) => noise[comp ? COMPARE_COMPONENTS[comp[j]] : (component as CompareComponent)][j];
    // a sample with no measured noise at all (sd 0 in both runs) ranks by |Δ| / a floor of 1e-6
    score = (j: number) => Math.abs(key[j]) / Math.max(1e-6, sdOf(j));
  } else score = order === 'abs' ? (j: number) => Math.abs(key[j]) : order === 'gain' ? (j: number) => key[j] : (j: number) => -key[j];
  idx.sort((a, b) => score(b) - score(a) || a - b);
  const out = Int32Array.from(idx);
  cache.set(id, out);
  return out;
}

/**
 * Every joined sample of a movers query, in its ranking (the filtered ranking a movers table pages
 * through): one pass, for exports of the whole view.
 */
export function moversRanking(cmp: Comparison, q: MoversQuery = {}): Int32Array {
  const run = q.run ?? defaultRun(cmp);
  checkRun(cmp, run);
  const ranked = ranking(cmp, run, q.component ?? 'any', q.order ?? 'abs');
  if (!(q.classes?.length || q.split !== undefined || q.search?.trim())) return ranked;
  const pass = new Uint8Array(cmp.n);
  for (const j of filterSamples(cmp, q)) pass[j] = 1;
  return ranked.filter((j) => pass[j] === 1);
}

export function moversPage(cmp: Comparison, q: MoversQuery = {}): MoversPage {
  const run = q.run ?? defaultRun(cmp);
  checkRun(cmp, run);
  const component = q.component ?? 'any';
  const order = q.order ?? 'abs';
  const offset = Math.max(0, Math.floor(q.offset ?? 0));
  const limit = Math.min(1000, Math.max(0, Math.floor(q.limit ?? 50)));
  const ranked = ranking(cmp, run, component, order);
  const filtered = q.classes?.length || q.split !== undefined || q.search?.trim();
  let keep: Int32Array = ranked;
  let missing = 0;
  if (filtered) {
    const pass = new Uint8Array(cmp.n);
    const sel = filterSamples(cmp, q);
    for (const j of sel) pass[j] = 1;
    keep = ranked.filter((j) => pass[j] === 1);
    missing = sel.length - keep.length;
  } else missing = cmp.n - ranked.length;
  const { key, comp } = moverKey(cmp, run, component);
  const noise = hasPairStability(cmp, run) ? pairNoise(cmp, run) : undefined;
  const rows: MoverRow[] = [];
  for (let p = offset; p < Math.min(keep.length, offset + limit); p++) {
    const j = keep[p];
    const c = comp ? COMPARE_COMPONENTS[comp[j]] : (component as CompareComponent);
    rows.push({ rank: p + 1, ...sampleCore(cmp, j), component: c, delta: key[j], ...sampleValues(cmp, j, run), ...(noise ? { stability: noise[c][j] } : {}) });
  }
  return { component, run, order, offset, total: keep.length, missing, rows };
}

function sampleCore(cmp: Comparison, j: number): { index: number; sample_id: string; label: number; class: string; split?: string } {
  const y = cmp.labels[j];
  return {
    index: j,
    sample_id: cmp.sampleIds[j],
    label: y,
    class: cmp.classNames[y] ?? String(y),
    split: cmp.split && cmp.split[j] !== NO_SPLIT ? SPLITS[cmp.split[j]] : undefined,
  };
}

function sampleValues(cmp: Comparison, j: number, run: number): Pick<MoverRow, 'deltas' | 'baseline' | 'value'> {
  const pick = (f: (c: CompareComponent) => number) => Object.fromEntries(COMPARE_COMPONENTS.map((c) => [c, f(c)])) as Record<CompareComponent, number>;
  return {
    deltas: pick((c) => cmp.delta[run][c][j]),
    baseline: pick((c) => cmp.values[cmp.baseline][c][j]),
    value: pick((c) => cmp.values[run][c][j]),
  };
}

export interface SampleFiles {
  /** As written in the run (relative to `base`), and resolved. */
  path_1?: string;
  path_2?: string;
  resolved_1?: string;
  resolved_2?: string;
  /** The folder relative paths are resolved against: the folder of `resultsFile`. */
  base: string;
  /** The results file (run) the paths were taken from: the baseline's when it has them, else the first run's that does. */
  resultsFile: string;
  run: number;
}

export interface SampleDetail {
  index: number;
  sample_id: string;
  label: number;
  class: string;
  split?: string;
  /** Per run: whether it has the sample, its row, values (NaN where absent) and Δ vs the baseline. */
  runs: { run: number; label: string; present: boolean; row: number; value: Record<JoinedColumn, number>; delta: Record<CompareComponent, number> }[];
  files?: SampleFiles;
}

/** Everything about one joined sample (for inline inspection), with its sample files. */
export function sampleDetail(cmp: Comparison, index: number): SampleDetail {
  if (!(Number.isInteger(index) && index >= 0 && index < cmp.n)) throw new RangeError(`sample index ${index} is out of range (0 to ${cmp.n - 1})`);
  const core = sampleCore(cmp, index);
  const runs = cmp.runs.map((r, k) => ({
    run: k,
    label: r.label,
    present: cmp.rows[k][index] >= 0,
    row: cmp.rows[k][index],
    value: Object.fromEntries(JOINED_COLUMNS.map((c) => [c, cmp.values[k][c][index]])) as Record<JoinedColumn, number>,
    delta: Object.fromEntries(COMPARE_COMPONENTS.map((c) => [c, cmp.delta[k][c][index]])) as Record<CompareComponent, number>,
  }));
  return { ...core, runs, files: sampleFiles(cmp, index) };
}

/** The ResultsData a comparison was built from (kept for sample paths; shared, not copied). */
export function resultsOf(cmp: Comparison): ResultsData[] | undefined {
  return resultsByComparison.get(cmp.rows);
}

/** The sample files of a joined sample: from the baseline when it has them, else the first run that does. */
export function sampleFiles(cmp: Comparison, index: number): SampleFiles | undefined {
  const data = resultsOf(cmp);
  if (!data) return undefined;
  const order = [cmp.baseline, ...cmp.runs.map((r) => r.index).filter((k) => k !== cmp.baseline)];
  for (const k of order) {
    const row = cmp.rows[k][index];
    if (row < 0) continue;
    const p1 = data[k].paths1?.[row] ?? undefined;
    const p2 = data[k].paths2?.[row] ?? undefined;
    if (!p1 && !p2) continue;
    const base = path.dirname(path.resolve(cmp.runs[k].file));
    return {
      path_1: p1,
      path_2: p2,
      resolved_1: p1 ? path.resolve(base, p1) : undefined,
      resolved_2: p2 ? path.resolve(base, p2) : undefined,
      base,
      resultsFile: cmp.runs[k].file,
      run: k,
    };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Scatter of one component, run A against run B

export interface ScatterQuery extends SampleFilter {
  component: CompareComponent;
  /** x axis run (default: the baseline), y axis run (default: the first non-baseline run). */
  x?: number;
  y?: number;
  /** Points returned at most (default 4000). */
  maxPoints?: number;
  /** Density grid cells per axis (default 64). */
  grid?: number;
  seed?: number;
}

export interface Scatter {
  component: CompareComponent;
  x: number;
  y: number;
  /** Samples that pass the filter and are in both runs. */
  total: number;
  /** Samples that pass the filter but lack a value in x or y. */
  missing: number;
  /** Shared axis range (both axes: the same component): min and max over the plotted samples. */
  min: number;
  max: number;
  /** Density of every plotted sample: cells[gy * size + gx], gy from min (bottom) to max. */
  grid: { size: number; cells: number[]; maxCount: number };
  /**
   * At most maxPoints samples drawn as points: the half with the largest |y − x| (the movers, so
   * outliers are never hidden), the rest a seeded uniform sample of the others. All when total ≤ maxPoints.
   */
  points: { index: number[]; x: number[]; y: number[]; label: number[] };
  /** True when points is a subset. */
  sampled: boolean;
  pearson: number;
}

export function scatter(cmp: Comparison, q: ScatterQuery): Scatter {
  const xr = q.x ?? cmp.baseline;
  const yr = q.y ?? (xr === cmp.baseline ? defaultRun(cmp) : cmp.baseline);
  checkRun(cmp, xr);
  checkRun(cmp, yr);
  const maxPoints = Math.max(0, Math.floor(q.maxPoints ?? 4000));
  const size = Math.max(1, Math.min(512, Math.floor(q.grid ?? 64)));
  const xs = cmp.values[xr][q.component];
  const ys = cmp.values[yr][q.component];
  const sel = filterSamples(cmp, q);
  const idx: number[] = [];
  for (const j of sel) if (Number.isFinite(xs[j]) && Number.isFinite(ys[j])) idx.push(j);
  const total = idx.length;
  let min = Infinity;
  let max = -Infinity;
  let sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  for (const j of idx) {
    const a = xs[j];
    const b = ys[j];
    min = Math.min(min, a, b);
    max = Math.max(max, a, b);
    sx += a, sy += b, sxx += a * a, syy += b * b, sxy += a * b;
  }
  if (!total) (min = 0), (max = 1);
  if (max === min) (min -= 0.5), (max += 0.5);
  const cov = sxy / total - (sx / total) * (sy / total);
  const vx = sxx / total - (sx / total) ** 2;
  const vy = syy / total - (sy / total) ** 2;
  const pearson = total > 1 && vx > 0 && vy > 0 ? cov / Math.sqrt(vx * vy) : NaN;
  const cells = new Array<number>(size * size).fill(0);
  const cell = (v: number) => Math.min(size - 1, Math.floor(((v - min) / (max - min)) * size));
  for (const j of idx) cells[cell(ys[j]) * size + cell(xs[j])]++;
  let maxCount = 0;
  for (const c of cells) maxCount = Math.max(maxCount, c);

  let chosen: number[];
  const sampled = total > maxPoints;
  if (!sampled) chosen = idx;
  else {
    const half = Math.floor(maxPoints / 2);
    const move = Float64Array.from(idx, (j) => Math.abs(ys[j] - xs[j]));
    const top = topK(move, half, 'desc'); // positions in idx, O(N log half)
    const taken = new Uint8Array(total);
    for (const p of top) taken[p] = 1;
    const movers = Array.from(top, (p) => idx[p]);
    const rest: number[] = [];
    for (let p = 0; p < total; p++) if (!taken[p]) rest.push(idx[p]);
    const rng = new Rng(q.seed ?? 0);
    // partial Fisher–Yates: the first (maxPoints − half) entries of rest become a uniform sample
    const need = maxPoints - half;
    for (let i = 0; i < need; i++) {
      const k = i + rng.int(rest.length - i);
      const t = rest[i];
      rest[i] = rest[k];
      rest[k] = t;
    }
    chosen = movers.concat(rest.slice(0, need)).sort((a, b) => a - b);
  }
  return {
    component: q.component,
    x: xr,
    y: yr,
    total,
    missing: sel.length - total,
    min,
    max,
    grid: { size, cells, maxCount },
    points: { index: chosen, x: chosen.map((j) => xs[j]), y: chosen.map((j) => ys[j]), label: chosen.map((j) => cmp.labels[j]) },
    sampled,
    pearson,
  };
}

// ---------------------------------------------------------------------------------------------
// A JSON-ready summary: what `lsmi compare --json` prints and a compare panel starts from

export interface ComparisonSummary {
  baseline: number;
  runs: (Omit<ComparedRun, 'meta' | 'settings'> & {
    settings: Pick<ResultsMeta['settings'], 'mode' | 'covariance' | 'components' | 'prior' | 'seed'>;
    datasetDelta: Atoms;
    /** The paired bootstrap interval of each Δ (null for the baseline or without a bootstrap). */
    deltaIntervals: AtomIntervals | null;
    /** The components whose Δ interval excludes 0, largest |Δ| first. */
    moved: (keyof Atoms)[];
    /** Per-sample standard deviations over replicate fits are in this run's results (movers can rank by stability). */
    hasStability: boolean;
    isBaseline: boolean;
  })[];
  /** How the intervals were computed. */
  significance: CompareSignificance;
  n: number;
  nCommon: number;
  nIncomplete: number;
  nClasses: number;
  classNames: string[];
  modalityNames: [string, string];
  hasSplit: boolean;
  hasFiles: boolean;
  perClass: ClassComparison[];
  /** Per non-baseline run (keyed by run index): class shifts, top `top` per direction. */
  shifts: { run: number; label: string; shifts: ClassShifts }[];
  histograms: Record<CompareComponent, DeltaHistogram>;
  /** Per non-baseline run: the `top` biggest movers (any component, |Δ|). */
  movers: { run: number; label: string; page: MoversPage }[];
  warnings: string[];
}

export function summarizeComparison(cmp: Comparison, opts: { top?: number; bins?: number; order?: MoverOrder } = {}): ComparisonSummary {
  const top = opts.top ?? 10;
  const others = cmp.runs.filter((r) => r.index !== cmp.baseline);
  const data = resultsOf(cmp);
  return {
    baseline: cmp.baseline,
    runs: cmp.runs.map((r) => {
      const { meta: _meta, settings, ...rest } = r;
      return {
        ...rest,
        settings: { mode: settings.mode, covariance: settings.covariance, components: settings.components, prior: settings.prior, seed: settings.seed },
        datasetDelta: cmp.datasetDelta[r.index],
        deltaIntervals: cmp.datasetDeltaIntervals[r.index],
        moved: significantMoves(cmp, r.index).map((m) => m.atom),
        hasStability: !!cmp.sd[r.index],
        isBaseline: r.index === cmp.baseline,
      };
    }),
    significance: cmp.significance,
    n: cmp.n,
    nCommon: cmp.nCommon,
    nIncomplete: cmp.nIncomplete,
    nClasses: cmp.nClasses,
    classNames: cmp.classNames,
    modalityNames: cmp.modalityNames,
    hasSplit: !!cmp.split,
    hasFiles: !!data?.some((d) => d.paths1 || d.paths2),
    perClass: cmp.perClass,
    shifts: others.map((r) => ({ run: r.index, label: r.label, shifts: classShifts(cmp, r.index, top) })),
    histograms: Object.fromEntries(COMPARE_COMPONENTS.map((c) => [c, deltaHistogram(cmp, c, opts.bins)])) as Record<CompareComponent, DeltaHistogram>,
    movers: others.map((r) => ({ run: r.index, label: r.label, page: moversPage(cmp, { run: r.index, component: 'any', order: opts.order ?? 'abs', limit: top }) })),
    warnings: cmp.warnings,
  };
}
