/**
 * The LSMI pipeline on one run: discriminators → pointwise MI, densities → pointwise entropy,
 * decomposition → per-sample r, u1, u2, s (spec §1–6). `estimateRun` works on data in memory;
 * `estimateFile` adds reading, the content hash, reuse of a matching results file and the atomic
 * write. Runs anywhere Node runs (CLI, tests, worker threads); never imports vscode.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type BackendInfo, type BackendRequest, initBackend } from '../compute/backend';
import { readRun } from '../io';
import {
  type ClassSummary,
  type DensityReport,
  type HeadReport,
  type ResultsData,
  type ResultsMeta,
  RESULTS_FORMAT_VERSION,
  fileHash,
  readResults,
  resultsPathFor,
  writeResults,
} from '../io/results';
import type { ColumnMapping, Head, RunData } from '../io/run';
import { Rng } from '../random';
import { TOOL_VERSION } from '../version';
import { classMeans, decompose } from './decompose';
import { estimateDensity } from './density';
import { logPrior, pointwiseMI } from './pmi';
import { effectiveFolds, estimateHead } from './heads';
import { type EstimatorSettings, type SettingsInput, resolveSettings, validateSettings } from './settings';

export interface ProgressEvent {
  /** 'read', 'hash', 'probe 1', 'probe 2', 'probe 12', 'density 1', 'density 2', 'decompose', 'write' */
  stage: string;
  /** Overall progress in [0, 1]. */
  fraction: number;
  message: string;
}

export interface EstimateOptions {
  settings?: SettingsInput;
  backend?: BackendRequest;
  signal?: AbortSignal;
  onProgress?: (e: ProgressEvent) => void;
}

export interface EstimateFileOptions extends EstimateOptions {
  /** Results path (default: `<run>.lsmi.arrow` beside the run). */
  out?: string;
  columns?: ColumnMapping;
  /** Reuse an existing results file whose input hash, settings and tool version match (default true). */
  reuse?: boolean;
}

export interface EstimateFileResult {
  results: ResultsData;
  out: string;
  reused: boolean;
}

/** Relative cost of each stage, for one overall progress fraction. */
function plan(run: RunData, s: EstimatorSettings): { stage: string; weight: number }[] {
  const probe = (h: Head) => (run.logits[h] ? 0.05 : 3);
  const density = s.mode === 'knife' ? 4 : s.covariance === 'full' ? 3 : s.covariance === 'auto' || s.components === 'auto' ? 2 : 1;
  return [
    { stage: 'probe 1', weight: probe('1') },
    { stage: 'probe 2', weight: probe('2') },
    { stage: 'probe 12', weight: probe('12') },
    { stage: 'density 1', weight: density },
    { stage: 'density 2', weight: density },
    { stage: 'decompose', weight: 0.05 },
  ];
}

class Progress {
  private readonly offsets = new Map<string, { start: number; weight: number }>();
  private readonly total: number;
  constructor(stages: { stage: string; weight: number }[], private readonly sink?: (e: ProgressEvent) => void, private readonly span: [number, number] = [0, 1]) {
    let at = 0;
    for (const s of stages) {
      this.offsets.set(s.stage, { start: at, weight: s.weight });
      at += s.weight;
    }
    this.total = at;
  }
  report(stage: string, fraction: number, message: string): void {
    const o = this.offsets.get(stage);
    const local = o ? (o.start + o.weight * Math.min(1, Math.max(0, fraction))) / this.total : fraction;
    this.sink?.({ stage, fraction: this.span[0] + (this.span[1] - this.span[0]) * local, message });
  }
}

/**
 * Estimates per-sample interactions for a run in memory. `inputHash` identifies the input (the
 * file's content hash) and is recorded with the results.
 */
export async function estimateRun(run: RunData, inputHash: string, opts: EstimateOptions = {}, span?: [number, number]): Promise<ResultsData> {
  const settings = resolveSettings(opts.settings);
  validateSettings(settings, run);
  const signal = opts.signal;
  const timings: Record<string, number> = {};
  const progress = new Progress(plan(run, settings), opts.onProgress, span);
  const timed = async <T>(name: string, f: () => Promise<T> | T): Promise<T> => {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      timings[name] = (performance.now() - t0) / 1000;
    }
  };
  const backend: BackendInfo = await timed('backend', () => initBackend(opts.backend ?? 'auto'));

  // label prior
  const fromMeta = settings.prior === 'empirical' && run.meta.labelPrior;
  const lp = logPrior(run.labels, run.nClasses, settings.prior, fromMeta || undefined);
  const priorSource = settings.prior === 'uniform' ? 'uniform' : fromMeta ? 'empirical (run metadata)' : 'empirical (label frequencies)';

  // discriminators: the run's logits or out-of-sample probes, calibrated out of fold
  const logProb = {} as Record<Head, Float64Array>;
  const heads = {} as Record<Head, HeadReport>;
  for (const h of ['1', '2', '12'] as Head[]) {
    const stage = `probe ${h}`;
    signal?.throwIfAborted();
    progress.report(stage, 0, run.logits[h] ? `calibrating logits_${h}` : `training the probe for head ${h} (no logits_${h} in the run)`);
    const est = await timed(stage, () => estimateHead(run, h, settings, { signal, onProgress: (f, m) => progress.report(stage, f, `head ${h}: ${m}`) }));
    logProb[h] = est.logProb;
    heads[h] = est.report;
    progress.report(stage, 1, `head ${h} done`);
  }
  const i1 = pointwiseMI(logProb['1'], run.labels, lp);
  const i2 = pointwiseMI(logProb['2'], run.labels, lp);
  const i12 = pointwiseMI(logProb['12'], run.labels, lp);
  heads['1'].meanMI = mean(i1);
  heads['2'].meanMI = mean(i2);
  heads['12'].meanMI = mean(i12);

  // densities: h(x) = −log p̂(x) per modality
  // parity with the official loader: both modalities' KNIFE fits see the same batches
  const orderRng = Rng.derive(settings.seed, 'knife batches');
  const batchOrder = settings.mode === 'knife' ? Array.from({ length: settings.knife.epochs }, () => orderRng.permutation(run.n)) : undefined;
  const density = {} as Record<'1' | '2', DensityReport>;
  const h = {} as Record<'1' | '2', Float64Array>;
  for (const m of ['1', '2'] as const) {
    const stage = `density ${m}`;
    const X = m === '1' ? run.emb1 : run.emb2;
    const rng = Rng.derive(settings.seed, `density ${m}`);
    signal?.throwIfAborted();
    progress.report(stage, 0, `fitting the density of modality ${m}`);
    const fit = await timed(stage, () =>
      estimateDensity(X, settings, { rng, batchOrder, signal, onProgress: (f) => progress.report(stage, f, `density of modality ${m}`) }),
    );
    density[m] = fit.report;
    h[m] = negate(fit.logp);
    progress.report(stage, 1, `density of modality ${m} done`);
  }

  // decomposition and aggregates
  const t0 = performance.now();
  const dec = decompose({ i1, i2, i12, h1: h['1'], h2: h['2'] });
  const perClass: ClassSummary[] = [];
  const cm = (v: Float64Array) => classMeans(v, run.labels, run.nClasses);
  const [ar, au1, au2, as, rr, ru1, ru2, rs] = [dec.adjusted.r, dec.adjusted.u1, dec.adjusted.u2, dec.adjusted.s, dec.raw.r, dec.raw.u1, dec.raw.u2, dec.raw.s].map(cm);
  for (let c = 0; c < run.nClasses; c++) {
    perClass.push({
      index: c,
      name: run.meta.classNames[c] ?? String(c),
      n: ar.n[c],
      adjusted: { R: ar.mean[c], U1: au1.mean[c], U2: au2.mean[c], S: as.mean[c] },
      raw: { R: rr.mean[c], U1: ru1.mean[c], U2: ru2.mean[c], S: rs.mean[c] },
    });
  }
  timings.decompose = (performance.now() - t0) / 1000;
  progress.report('decompose', 1, 'decomposed');

  const meta: ResultsMeta = {
    formatVersion: RESULTS_FORMAT_VERSION,
    toolVersion: TOOL_VERSION,
    createdAt: new Date().toISOString(),
    run: {
      file: run.file,
      name: run.meta.runName,
      n: run.n,
      nClasses: run.nClasses,
      classNames: run.meta.classNames,
      modalityNames: run.meta.modalityNames,
      architecture: run.meta.architecture,
      fusion: run.meta.fusion,
    },
    inputHash,
    settings,
    priorSource,
    logPrior: Array.from(lp),
    backend: { name: backend.name, detail: backend.detail, versions: backend.versions },
    timings,
    dataset: { raw: dec.means.raw, adjusted: dec.means.adjusted, branch: dec.branch, adj: dec.adj },
    perClass,
    heads,
    density,
    effective: {
      folds: effectiveFolds(run, settings).folds,
      largeNSchedule: effectiveFolds(run, settings).largeN,
      probe: { '1': describeHead(heads['1']), '2': describeHead(heads['2']), '12': describeHead(heads['12']) },
      density: { '1': describeDensity(density['1']), '2': describeDensity(density['2']) },
    },
    warnings: [...(['1', '2', '12'] as Head[]).flatMap((h) => heads[h].warnings ?? [])],
  };
  return {
    meta,
    sampleIds: run.sampleIds,
    labels: run.labels,
    split: run.split,
    paths1: run.paths1,
    paths2: run.paths2,
    columns: {
      r: dec.adjusted.r, u1: dec.adjusted.u1, u2: dec.adjusted.u2, s: dec.adjusted.s,
      r_raw: dec.raw.r, u1_raw: dec.raw.u1, u2_raw: dec.raw.u2, s_raw: dec.raw.s,
      i1, i2, i12, h1: h['1'], h2: h['2'],
    },
  };
}

/**
 * Reads a run file, estimates and writes `<run>.lsmi.arrow` atomically — or returns the existing
 * results when their input hash, settings and tool version match (unless `reuse` is false).
 */
export async function estimateFile(file: string, opts: EstimateFileOptions = {}): Promise<EstimateFileResult> {
  const out = opts.out ?? resultsPathFor(file);
  const settings = resolveSettings(opts.settings);
  const t0 = performance.now();
  opts.onProgress?.({ stage: 'hash', fraction: 0, message: `hashing ${file}` });
  const inputHash = await fileHash(file).catch(() => undefined);
  const hashSeconds = (performance.now() - t0) / 1000;
  if (inputHash && opts.reuse !== false && fs.existsSync(out)) {
    const existing = await readResults(out).catch(() => undefined);
    if (existing && existing.meta.inputHash === inputHash && existing.meta.toolVersion === TOOL_VERSION && sameSettings(existing.meta.settings, settings)) {
      // the run was touched but its content is the same: mark the results as current again
      const now = new Date();
      await fs.promises.utimes(out, now, now).catch(() => undefined);
      opts.onProgress?.({ stage: 'write', fraction: 1, message: `reused ${out}` });
      return { results: existing, out, reused: true };
    }
  }
  opts.onProgress?.({ stage: 'read', fraction: 0.01, message: `reading ${file}` });
  const t1 = performance.now();
  const run = await readRun(file, { columns: opts.columns });
  const readSeconds = (performance.now() - t1) / 1000;
  const results = await estimateRun(run, inputHash ?? 'unknown', { ...opts, settings }, [0.02, 0.98]);
  results.meta.timings = { hash: hashSeconds, read: readSeconds, ...results.meta.timings };
  opts.onProgress?.({ stage: 'write', fraction: 0.98, message: `writing ${out}` });
  // `total` covers everything up to the write, which the file cannot time itself
  results.meta.timings.total = (performance.now() - t0) / 1000;
  await writeResults(out, rebasePaths(results, path.dirname(path.resolve(file)), path.dirname(path.resolve(out))), opts.signal);
  opts.onProgress?.({ stage: 'write', fraction: 1, message: `wrote ${out}` });
  return { results, out, reused: false };
}

/**
 * Sample paths in a results file are relative to the results file's folder. A run's relative
 * path_1 / path_2 are relative to the run's folder: when the results go elsewhere (--out), they are
 * rebased so they still point at the same files. Absolute paths stay as they are.
 */
export function rebasePaths(results: ResultsData, runDir: string, outDir: string): ResultsData {
  if (runDir === outDir || (!results.paths1 && !results.paths2)) return results;
  const rebase = (p: string | null) => (p === null || path.isAbsolute(p) ? p : path.relative(outDir, path.resolve(runDir, p)).split(path.sep).join('/'));
  return { ...results, paths1: results.paths1?.map(rebase), paths2: results.paths2?.map(rebase) };
}

function describeHead(h: HeadReport): string {
  if (h.source === 'logits') return `logits, calibration ${h.calibration?.method ?? 'none'}`;
  return `${h.family} probe${h.candidates ? ' (auto)' : ''}, calibration ${h.calibration?.method ?? 'none'}`;
}

function describeDensity(d: DensityReport): string {
  return `${d.mode} ${d.covariance} K=${d.K}${d.search ? ' (auto)' : ''}`;
}

export function sameSettings(a: EstimatorSettings, b: EstimatorSettings): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

function mean(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s / a.length;
}

function negate(a: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = -a[i];
  return out;
}
