/**
 * Reading and joining results files on sample_id, and everything that depends on the baseline
 * (differences, class means, intervals): see docs/compare-format.md.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Atoms } from '../estimate/decompose';
import { DEFAULT_SETTINGS, validateSetting } from '../estimate/settings';
import { LsmiInputError, describeRows, isInputError } from '../errors';
import { formatCount } from '../format';
import { type ResultsData, RESULTS_SUFFIX, readResults, resultsPathFor } from '../io/results';
import { SPLITS } from '../io/run';
import { type Interval, classIntervals, normalQuantile } from '../uncertainty';
import {
  ATOM_OF,
  type ClassComparison,
  COMPARE_COMPONENTS,
  type CompareComponent,
  type CompareOptions,
  type CompareSignificance,
  type ComparedRun,
  type Comparison,
  type ComparisonCaches,
  JOINED_COLUMNS,
  type JoinedColumn,
  MAX_COMPARE_RUNS,
  MIN_COMPARE_RUNS,
  NO_SPLIT,
  type Rebased,
  subAtoms,
} from './model';
import { pairedDeltaIntervals } from './significance';

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
  let splitConflicts = 0;
  let splitExample: { id: string; first: string; here: string } | undefined;
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
      if (split && data.split) {
        if (split[j] === NO_SPLIT) split[j] = data.split[row];
        else if (split[j] !== data.split[row]) {
          // the same sample in another split than in an earlier run: kept (the first run's split), counted
          splitConflicts++;
          if (!splitExample) {
            const from = order.find((o) => rows[o][j] >= 0 && inputs[o].data.split)!;
            splitExample = { id: ids[j], first: `${SPLITS[split[j]]} in ${labels[from]}`, here: `${SPLITS[data.split[row]]} in ${labels[k]}` };
          }
        }
      }
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
  else if (nCommon < n) warnings.push(`${formatCount(n - nCommon)} of ${formatCount(n)} samples are missing from at least one run; differences use the ${formatCount(nCommon)} samples every run has.`);
  if (splitConflicts && splitExample) {
    const e = splitExample;
    warnings.push(
      `${formatCount(splitConflicts)} sample${splitConflicts === 1 ? ' has' : 's have'} a different split in different runs (e.g. '${e.id}': ${e.first}, ${e.here}); ` +
        "the split filter uses the baseline's split (or that of the first run that has the sample). Check that the runs were evaluated on the same splits.",
    );
  }
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
  return rebase(partial, baseline, inputs.map((i) => i.data));
}

/** The same comparison against another baseline (no file is read again). */
export function withBaseline(cmp: Comparison, baseline: string | number): Comparison {
  const b = resolveBaseline(baseline, cmp.runs.map((r) => ({ label: r.label, name: r.name, file: r.file })));
  return b === cmp.baseline ? cmp : rebase(cmp, b, cmp.caches.sources);
}

/** The index of a compared run given by index, label, run name, file path or file name. */
export function resolveRun(cmp: Comparison, run: string | number): number {
  return resolveBaseline(run, cmp.runs.map((r) => ({ label: r.label, name: r.name, file: r.file })));
}

function rebase(c: Omit<Comparison, Rebased>, baseline: number, sources: ResultsData[]): Comparison {
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
  const out = { ...c, baseline, delta, datasetDelta, datasetDeltaIntervals, significance, perClass } as Comparison;
  const caches: ComparisonCaches = { sources, ranks: new Map(), anyKeys: new Map(), noise: new Map() };
  Object.defineProperty(out, 'caches', { value: caches, enumerable: false });
  return out;
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
