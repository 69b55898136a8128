/**
 * The dataset-level BROJA PID of a run and the semi-supervised synergy bounds (docs/pid.md): each
 * modality's embeddings clustered (discretise.ts), the (c1, c2, y) table counted, the BROJA PID
 * solved (broja.ts) beside a label-permutation null (the plug-in bias of a sparse table), and the
 * bounds (bounds.ts). One seeded random stream per stage, derived from the settings' seed.
 */
import { LsmiInputError } from '../errors';
import type { RunData } from '../io/run';
import { Rng } from '../random';
import { GAP_WARN, type PidAtoms, broja } from './broja';
import { type SynergyBounds, headDisagreement, synergyBounds } from './bounds';
import { discretise, matrixRows } from './discretise';
import { type PidSettings, resolvePidSettings } from './settings';
import { type TableInfo, tableFromSamples } from './table';

export interface ClusteringReport {
  modality: 1 | 2;
  /** Non-empty clusters. */
  k: number;
  /** Embedding width and principal components used. */
  width: number;
  dims: number;
  /** Share of the scaled variance the components keep. */
  explained: number;
  inertia: number;
  iterations: number;
}

export interface SolverReport {
  gap: number;
  steps: number;
  converged: boolean;
  residual: number;
  /** The certified interval of I* = min I_Q(X1,X2;Y). */
  iStar: number;
  iStarLower: number;
}

export interface BoundsReport extends SynergyBounds {
  /** α̂ from the run's own heads (logits_1, logits_2) and the S_D it would give: an estimate, not a bound (the bound needs Bayes posteriors); absent without those logits. */
  heads?: { alpha: number; lowerDisagreement: number };
  seconds: number;
}

export interface DatasetPid {
  file: string;
  runName: string;
  n: number;
  nClasses: number;
  modalityNames: [string, string];
  settings: PidSettings;
  clustering: [ClusteringReport, ClusteringReport];
  /** Table size |C1| × |C2| × |Y| and its non-empty cells. */
  table: { n1: number; n2: number; ny: number; nonEmpty: number };
  atoms: PidAtoms;
  info: Pick<TableInfo, 'I1' | 'I2' | 'I12' | 'I1x2' | 'HY'>;
  solver: SolverReport;
  /** Mean (and sd) of the atoms over label permutations: what a table this sparse shows with no dependence on y. */
  null?: { shuffles: number; mean: PidAtoms; sd: PidAtoms };
  /** The plug-in bias of I(C1,C2;Y) to first order, (|C1||C2| − 1)(|Y| − 1)/(2N). */
  biasEstimate: number;
  bounds?: BoundsReport;
  warnings: string[];
  timings: { cluster: number; pid: number; null: number; bounds: number; total: number };
}

const KEYS = ['R', 'U1', 'U2', 'S'] as const;
/** Duality gap of the null's solves (nats). */
export const NULL_TOL = 1e-4;

/** Softmax of one logits matrix, rows as a Float64Array (N × C). */
export function softmaxRows(logits: Float64Array, n: number, c: number): Float64Array {
  const p = new Float64Array(n * c);
  for (let i = 0; i < n; i++) {
    let mx = -Infinity;
    for (let j = 0; j < c; j++) mx = Math.max(mx, logits[i * c + j]);
    let s = 0;
    for (let j = 0; j < c; j++) s += p[i * c + j] = Math.exp(logits[i * c + j] - mx);
    for (let j = 0; j < c; j++) p[i * c + j] /= s;
  }
  return p;
}

/**
 * The BROJA PID of cluster ids and labels, with the label-permutation null (`settings.shuffles`
 * shuffles of y, seeded from `settings.seed`).
 */
export function clusterPid(c1: Int32Array, c2: Int32Array, labels: Int32Array, k1: number, k2: number, nClasses: number, settings: PidSettings) {
  const t0 = performance.now();
  const table = tableFromSamples(c1, c2, labels, k1, k2, nClasses);
  const solverOpts = { tol: settings.tol, maxSteps: settings.maxSteps };
  const pid = broja(table, solverOpts);
  const t1 = performance.now();
  const warnings: string[] = [];
  if (!pid.converged) warnings.push(`the BROJA solver stopped after ${pid.steps} steps with a duality gap of ${pid.gap.toExponential(1)} nats (asked: ${settings.tol}); ${pid.gap > GAP_WARN ? 'the atoms are uncertain by up to that much' : 'small enough to read the atoms to 4 decimals'}`);
  let nullReport: DatasetPid['null'];
  if (settings.shuffles > 0) {
    const rng = Rng.derive(settings.seed, 'pid null');
    // the null's spread across shuffles (~1e-3 nats) dwarfs a 1e-4 gap
    const nullOpts = { ...solverOpts, tol: Math.max(settings.tol, NULL_TOL) };
    const vals: PidAtoms[] = [];
    const y = Int32Array.from(labels);
    for (let s = 0; s < settings.shuffles; s++) {
      rng.shuffle(y);
      vals.push(broja(tableFromSamples(c1, c2, y, k1, k2, nClasses), nullOpts).atoms);
    }
    const mean = Object.fromEntries(KEYS.map((k) => [k, vals.reduce((a, v) => a + v[k], 0) / vals.length])) as unknown as PidAtoms;
    const sd = Object.fromEntries(KEYS.map((k) => [k, Math.sqrt(vals.reduce((a, v) => a + (v[k] - mean[k]) ** 2, 0) / Math.max(1, vals.length - 1))])) as unknown as PidAtoms;
    nullReport = { shuffles: settings.shuffles, mean, sd };
    if (mean.S > 0.5 * pid.atoms.S && pid.atoms.S > 0) warnings.push(`synergy ${pid.atoms.S.toFixed(4)} is within a factor 2 of its label-permutation null ${mean.S.toFixed(4)}: mostly the plug-in bias of a ${k1}×${k2}×${nClasses} table on ${labels.length} samples; use fewer clusters or more samples`);
  }
  const t2 = performance.now();
  return { table, pid, null: nullReport, warnings, seconds: { pid: (t1 - t0) / 1000, null: (t2 - t1) / 1000 } };
}

export interface DatasetPidOptions {
  /** Compute the synergy bounds too (default true). */
  bounds?: boolean;
}

export function datasetPid(run: RunData, input?: Partial<PidSettings>, opts: DatasetPidOptions = {}): DatasetPid {
  const settings = resolvePidSettings(input);
  const t0 = performance.now();
  const n = run.n;
  if (n < 2 * settings.clusters) {
    throw new LsmiInputError('TOO_FEW_SAMPLES', { file: run.file }, `${n} samples are too few for ${settings.clusters} clusters per modality (at least 2 per cluster): use fewer clusters (--clusters)`);
  }
  const counts = new Int32Array(run.nClasses);
  for (let i = 0; i < n; i++) counts[run.labels[i]]++;
  if (counts.filter((c) => c > 0).length < 2) throw new LsmiInputError('TOO_FEW_CLASSES', { file: run.file, column: 'label' }, 'every sample has the same label: there is no information about y to decompose');
  const clustering = ([1, 2] as const).map((mod) => {
    const m = mod === 1 ? run.emb1 : run.emb2;
    const d = discretise(matrixRows(m), n, m.cols, { ...settings, rng: Rng.derive(settings.seed, `pid cluster ${mod}`) });
    return { d, report: { modality: mod, k: d.k, width: m.cols, dims: d.dims, explained: d.explained, inertia: d.inertia, iterations: d.iterations } as ClusteringReport };
  });
  const t1 = performance.now();
  const [c1, c2] = clustering.map((c) => c.d);
  const cp = clusterPid(c1.ids, c2.ids, run.labels, c1.k, c2.k, run.nClasses, settings);
  const { table, pid, warnings } = cp;
  const nullReport = cp.null;
  const t2 = t1 + cp.seconds.pid * 1000;
  const t3 = t2 + cp.seconds.null * 1000;
  let bounds: BoundsReport | undefined;
  if (opts.bounds !== false) {
    const b = synergyBounds(table, { pid, broja: { tol: settings.tol, maxSteps: settings.maxSteps } });
    const report: BoundsReport = { ...b, seconds: 0 };
    const l1 = run.logits['1'];
    const l2 = run.logits['2'];
    if (l1 && l2) {
      const C = run.nClasses;
      const alpha = headDisagreement(softmaxRows(matrixRows(l1), n, C), softmaxRows(matrixRows(l2), n, C), C);
      report.heads = { alpha, lowerDisagreement: alpha / 8 - Math.max(pid.iStar - pid.info.I2, pid.iStar - pid.info.I1) };
    }
    if (!b.ipf.converged) warnings.push(`the max-entropy fit of the redundancy bound stopped at a margin residual of ${b.ipf.residual.toExponential(1)} (the bound still holds; it may be loose)`);
    report.seconds = (performance.now() - t3) / 1000;
    bounds = report;
  }
  const t4 = performance.now();
  let nonEmpty = 0;
  for (const v of table.p) if (v > 0) nonEmpty++;
  return {
    file: run.file,
    runName: run.meta.runName,
    n,
    nClasses: run.nClasses,
    modalityNames: run.meta.modalityNames,
    settings,
    clustering: [clustering[0].report, clustering[1].report],
    table: { n1: table.n1, n2: table.n2, ny: table.ny, nonEmpty },
    atoms: pid.atoms,
    info: { I1: pid.info.I1, I2: pid.info.I2, I12: pid.info.I12, I1x2: pid.info.I1x2, HY: pid.info.HY },
    solver: { gap: pid.gap, steps: pid.steps, converged: pid.converged, residual: pid.residual, iStar: pid.iStar, iStarLower: pid.iStarLower },
    null: nullReport,
    biasEstimate: ((c1.k * c2.k - 1) * (run.nClasses - 1)) / (2 * n),
    bounds,
    warnings,
    timings: { cluster: (t1 - t0) / 1000, pid: (t2 - t1) / 1000, null: (t3 - t2) / 1000, bounds: (t4 - t3) / 1000, total: (t4 - t0) / 1000 },
  };
}
