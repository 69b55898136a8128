/**
 * The LSMI pipeline on one run: discriminators → pointwise MI, densities → pointwise entropy,
 * decomposition → per-sample r, u1, u2, s (docs/estimator.md). `estimateRun` works on data in memory;
 * `estimateFile` adds reading, the content hash, reuse of a matching results file and the atomic
 * write. Runs anywhere Node runs (CLI, tests, worker threads); never imports vscode.
 */
import * as fs from 'node:fs';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { type BackendInfo, type BackendRequest, initBackend } from '../compute/backend';
import { readRun } from '../io';
import {
  type ClassSummary,
  type DensityReport,
  type HeadReport,
  type ResultsData,
  type ResultsMeta,
  type StabilityColumn,
  RESULTS_FORMAT_VERSION,
  fileHash,
  readResults,
  resultsPathFor,
  writeResults,
} from '../io/results';
import type { ColumnMapping, Head, RunData } from '../io/run';
import { TOOL_VERSION } from '../version';
import { type Atoms, decompose } from './decompose';
import { classIntervals, datasetIntervals } from '../uncertainty';
import { Rng } from '../random';
import { type StageJob, type StageName, type StageResult, MAX_LANE_COPY_BYTES, StageLane, laneBytes, runStage, stageWorkerScript } from './stages';
import { logPrior, pointwiseMI } from './pmi';
import { effectiveFolds } from './heads';
import { preflight } from './preflight';
import { NumericalError, isNumericalError } from './numerical';
import { LsmiInputError, describeRows } from '../errors';
import { isGpuBackend } from '../compute/backend-request';
import { checkOutputPath } from '../io/atomic';
import { acquireLock } from '../io/lock';
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
  /**
   * Threads for the estimate's stages: 'auto' (default; one, see planLanes), 1, or 2 (a second
   * lane in a worker thread when the backend is wasm and its copy of the data is small; see
   * stages.ts). The results are the same either way.
   */
  threads?: 1 | 2 | 'auto';
  backend?: BackendRequest;
  signal?: AbortSignal;
  onProgress?: (e: ProgressEvent) => void;
  /** The run's column mapping (reading a file; in memory, for the names in error messages). */
  columns?: ColumnMapping;
}

export interface EstimateFileOptions extends EstimateOptions {
  /** Results path (default: `<run>.lsmi.arrow` beside the run). */
  out?: string;
  /** Reuse an existing results file whose input hash, settings and tool version match (default true). */
  reuse?: boolean;
}

export interface EstimateFileResult {
  results: ResultsData;
  out: string;
  reused: boolean;
}

/**
 * Relative cost of a stage (for the progress fraction and to balance the lanes): a probe costs in
 * proportion to its input width (the joint head reads both modalities), calibrating given logits
 * almost nothing; a density in proportion to its width and to how many fits it tries.
 */
function stageWeight(run: RunData, s: EstimatorSettings, stage: StageName): number {
  const d = (run.emb1.cols + run.emb2.cols) / 2;
  const width = (m: '1' | '2') => (m === '1' ? run.emb1.cols : run.emb2.cols) / d;
  if (stage.startsWith('probe')) {
    const h = stage.slice(6) as Head;
    if (run.logits[h]) return 0.05;
    return 2 * (h === '12' ? width('1') + width('2') : width(h as '1' | '2'));
  }
  const m = stage.slice(8) as '1' | '2';
  const tries = s.mode === 'knife' ? 4 : s.covariance === 'full' ? 3 : s.covariance === 'auto' || s.components === 'auto' ? 1.5 : 1;
  return 0.6 * tries * width(m);
}

/**
 * Splits the stages over two lanes (longest first, each to the lane with less work; the worker
 * lane starts with a handicap for its start-up) when a second core, the stage worker and the wasm
 * backend are there, `threads` allows it, and the worker's copy of the run is small enough; else
 * one lane.
 */
function planLanes<J extends StageJob & { weight: number }>(run: RunData, jobs: J[], backend: string, threads: number | 'auto' = 'auto'): J[][] & { script?: string } {
  const one = Object.assign([jobs], { script: undefined });
  const script = stageWorkerScript();
  // 'auto' is one lane: measured on the 2-core reference machine, two lanes made every stage 1.6–2×
  // slower (the wasm kernels contend for memory bandwidth, and each isolate warms up its own JIT),
  // so the C = d = 64 demo took 3.0 s instead of 2.6 s while the larger rotated-subspace case took
  // 8.0 s instead of 10.1 s, with 1.7× the peak memory (BENCHMARKS.md: demo-c64-threads2,
  // subspace-c10-d256-threads2). `threads: 2` is there for larger runs and machines with more cores.
  if (threads !== 2 || !script || backend !== 'wasm') return one;
  const total = jobs.reduce((a, j) => a + j.weight, 0);
  const lanes: J[][] = [[], []];
  const load = [0, 0.05 * total];
  for (const j of [...jobs].sort((a, b) => b.weight - a.weight)) {
    const k = load[0] <= load[1] ? 0 : 1;
    lanes[k].push(j);
    load[k] += j.weight;
  }
  if (lanes[1].length === 0 || laneBytes(run, lanes[1]) > MAX_LANE_COPY_BYTES) return one;
  return Object.assign(lanes, { script });
}

/** One overall progress fraction from the stages' own fractions (stages may run at the same time). */
class Progress {
  private readonly weights = new Map<string, number>();
  private readonly done = new Map<string, number>();
  private readonly total: number;
  private last = 0;
  constructor(stages: { stage: string; weight: number }[], private readonly sink?: (e: ProgressEvent) => void, private readonly span: [number, number] = [0, 1], private readonly prefix = '') {
    let at = 0;
    for (const s of stages) {
      this.weights.set(s.stage, s.weight);
      at += s.weight;
    }
    this.total = at;
  }
  report(stage: string, fraction: number, message: string): void {
    const w = this.weights.get(stage);
    if (w !== undefined) this.done.set(stage, Math.max(this.done.get(stage) ?? 0, Math.min(1, Math.max(0, fraction))));
    let sum = 0;
    for (const [s, f] of this.done) sum += (this.weights.get(s) ?? 0) * f;
    this.last = Math.max(this.last, w === undefined ? fraction : sum / this.total);
    this.sink?.({ stage, fraction: this.span[0] + (this.span[1] - this.span[0]) * this.last, message: this.prefix + message });
  }
}

/**
 * Estimates per-sample interactions for a run in memory. `inputHash` identifies the input (the
 * file's content hash) and is recorded with the results.
 */
export async function estimateRun(run: RunData, inputHash: string, opts: EstimateOptions = {}, span: [number, number] = [0, 1]): Promise<ResultsData> {
  const settings = resolveSettings(opts.settings);
  validateSettings(settings, run);
  preflight(run, settings, { columns: opts.columns });
  const R = settings.replicates;
  if (R === 0) return estimateOnce(run, inputHash, settings, opts, span);
  // per-sample stability: the main fit, then R fits with forked seeds (folds, calibration halves,
  // density fits), each on its share of the progress bar
  const part = (k: number): [number, number] => [span[0] + ((span[1] - span[0]) * k) / (R + 1), span[0] + ((span[1] - span[0]) * (k + 1)) / (R + 1)];
  const main = await estimateOnce(run, inputHash, settings, opts, part(0));
  const t0 = performance.now();
  const fork = Rng.derive(settings.seed, 'replicates');
  const seeds = Array.from({ length: R }, () => fork.nextU32());
  const comps = ['r', 'u1', 'u2', 's'] as const;
  const atoms = ['R', 'U1', 'U2', 'S'] as const;
  // Welford over the fits: per sample, per class mean, dataset mean
  const n = run.n;
  const C = run.nClasses;
  const mean = comps.map((c) => Float64Array.from(main.columns[c]));
  const m2 = comps.map(() => new Float64Array(n));
  const dsMean = atoms.map((a) => main.meta.dataset.adjusted[a]);
  const dsM2 = atoms.map(() => 0);
  const clsMean = atoms.map((a) => Float64Array.from(main.meta.perClass, (pc) => pc.adjusted[a]));
  const clsM2 = atoms.map(() => new Float64Array(C));
  for (let k = 0; k < R; k++) {
    const rep = await estimateOnce(run, inputHash, { ...settings, seed: seeds[k], bootstrap: { ...settings.bootstrap, replicates: 0 } }, opts, part(k + 1), `replicate ${k + 1} of ${R}: `);
    const count = k + 2;
    comps.forEach((c, q) => {
      const x = rep.columns[c];
      const mu = mean[q];
      const M2 = m2[q];
      for (let i = 0; i < n; i++) {
        const d = x[i] - mu[i];
        mu[i] += d / count;
        M2[i] += d * (x[i] - mu[i]);
      }
    });
    atoms.forEach((a, q) => {
      const x = rep.meta.dataset.adjusted[a];
      const d = x - dsMean[q];
      dsMean[q] += d / count;
      dsM2[q] += d * (x - dsMean[q]);
      for (let c = 0; c < C; c++) {
        const xc = rep.meta.perClass[c].adjusted[a];
        if (!Number.isFinite(xc)) continue;
        const dc = xc - clsMean[q][c];
        clsMean[q][c] += dc / count;
        clsM2[q][c] += dc * (xc - clsMean[q][c]);
      }
    });
  }
  const sd = (M2: number) => Math.sqrt(M2 / R); // R + 1 fits, R degrees of freedom
  const stability = {} as Record<StabilityColumn, Float64Array>;
  const meanSampleSd = {} as Atoms;
  comps.forEach((c, q) => {
    const out = new Float64Array(n);
    let acc = 0;
    for (let i = 0; i < n; i++) acc += out[i] = sd(m2[q][i]);
    stability[`${c}_sd`] = out;
    meanSampleSd[atoms[q]] = n ? acc / n : NaN;
  });
  const atomsOf = (f: (q: number) => number) => ({ R: f(0), U1: f(1), U2: f(2), S: f(3) });
  main.meta.stability = {
    replicates: R,
    seeds,
    dataset: atomsOf((q) => sd(dsM2[q])),
    perClass: Array.from({ length: C }, (_, c) => atomsOf((q) => sd(clsM2[q][c]))),
    meanSampleSd,
    seconds: (performance.now() - t0) / 1000,
  };
  main.meta.timings.replicates = main.meta.stability.seconds;
  main.stability = stability;
  return main;
}

async function estimateOnce(run: RunData, inputHash: string, settings: EstimatorSettings, opts: EstimateOptions, span: [number, number], prefix = ''): Promise<ResultsData> {
  const signal = opts.signal;
  const timings: Record<string, number> = {};
  const stageNames: StageName[] = ['probe 1', 'probe 2', 'probe 12', 'density 1', 'density 2'];
  const progress = new Progress([...stageNames.map((stage) => ({ stage, weight: stageWeight(run, settings, stage) })), { stage: 'decompose', weight: 0.05 }], opts.onProgress, span, prefix);
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

  // The five independent stages: the heads (the run's logits or out-of-sample probes, calibrated out
  // of fold) and the densities h(x) = −log p̂(x), on this thread or split over two (stages.ts)
  const jobs: (StageJob & { weight: number })[] = [
    ...(['1', '2', '12'] as Head[]).map((head) => ({ stage: `probe ${head}` as const, head, weight: stageWeight(run, settings, `probe ${head}`) })),
    ...(['1', '2'] as const).map((modality) => ({ stage: `density ${modality}` as const, modality, weight: stageWeight(run, settings, `density ${modality}`) })),
  ];
  const lanes = planLanes(run, jobs, backend.name, opts.threads);
  const results = new Map<StageName, StageResult>();
  const runLane = async (lane: (StageJob & { weight: number })[], worker?: StageLane, laneSignal = signal) => {
    for (const job of lane) {
      laneSignal?.throwIfAborted();
      const what = 'head' in job ? (run.logits[job.head] ? `calibrating logits_${job.head}` : `training the probe for head ${job.head} (no logits_${job.head} in the run)`) : `fitting the density of modality ${job.modality}`;
      progress.report(job.stage, 0, what);
      const label = 'head' in job ? `head ${job.head}: ` : '';
      const onProgress = (f: number, m: string) => progress.report(job.stage, f, `${label}${m}`);
      const o = { signal: laneSignal, onProgress };
      let result: StageResult;
      try {
        result = await timed(job.stage, () => (worker ? worker.run(job, settings, o) : runStage(run, job, settings, o)));
        checkFinite(result);
      } catch (e) {
        // a fit that broke down numerically: the stage and column by name (on a GPU backend it stays
        // as it is, so the pool reruns the job on wasm)
        if (isNumericalError(e) && !isGpuBackend(backend.name)) throw fitFailed(run, job, settings, (e as Error).message, opts.columns, (e as NumericalError).rows);
        throw e;
      }
      results.set(job.stage, result);
      progress.report(job.stage, 1, 'head' in job ? `head ${job.head} done` : `density of modality ${job.modality} done`);
    }
  };
  if (lanes.length === 1 || !lanes.script) {
    await runLane(lanes.flat());
  } else {
    const worker = new StageLane(lanes.script, run, lanes[1]);
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      // either lane failing stops the other
      const guard = (p: Promise<void>) => p.catch((e) => (controller.abort(), Promise.reject(e)));
      const settled = await Promise.allSettled([guard(runLane(lanes[0], undefined, controller.signal)), guard(runLane(lanes[1], worker, controller.signal))]);
      const failure = settled.find((r) => r.status === 'rejected' && (r.reason as Error)?.name !== 'AbortError') ?? settled.find((r) => r.status === 'rejected');
      if (failure) throw (failure as PromiseRejectedResult).reason;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await worker.dispose();
    }
  }
  const head = (h: Head) => results.get(`probe ${h}`) as Extract<StageResult, { kind: 'head' }>;
  const dens = (m: '1' | '2') => results.get(`density ${m}`) as Extract<StageResult, { kind: 'density' }>;
  const heads = { '1': head('1').report, '2': head('2').report, '12': head('12').report };
  const i1 = pointwiseMI(head('1').logProb, run.labels, lp);
  const i2 = pointwiseMI(head('2').logProb, run.labels, lp);
  const i12 = pointwiseMI(head('12').logProb, run.labels, lp);
  heads['1'].meanMI = mean(i1);
  heads['2'].meanMI = mean(i2);
  heads['12'].meanMI = mean(i12);
  const density = { '1': dens('1').report, '2': dens('2').report };
  const h = { '1': negate(dens('1').logp), '2': negate(dens('2').logp) };

  // decomposition and aggregates
  const t0 = performance.now();
  for (const [name, a] of [['i1', i1], ['i2', i2], ['i12', i12]] as const) {
    const bad = nonFinite(a);
    if (bad.count) throw new LsmiInputError('FIT_FAILED', { file: run.file, rows: bad.rows }, `the pointwise mutual information ${name} is not finite for ${describeRows(bad.rows, bad.count)}; nothing was written. Please report this with the run.`);
  }
  const dec = decompose({ i1, i2, i12, h1: h['1'], h2: h['2'] });
  for (const [name, a] of [...Object.entries(dec.adjusted), ...Object.entries(dec.raw).map(([k, v]) => [`${k}_raw`, v] as const)]) {
    const bad = nonFinite(a);
    if (bad.count) throw new LsmiInputError('FIT_FAILED', { file: run.file, rows: bad.rows }, `the decomposition produced a non-finite ${name} for ${describeRows(bad.rows, bad.count)}; nothing was written. Please report this with the run.`);
  }
  // uncertainty: bootstrap intervals of the dataset atoms, t intervals of the class means
  const level = settings.bootstrap.level;
  const intervals = settings.bootstrap.replicates > 0 ? datasetIntervals(dec.raw, { replicates: settings.bootstrap.replicates, level, rng: Rng.derive(settings.seed, 'bootstrap') }) : undefined;
  const adjCls = classIntervals([dec.adjusted.r, dec.adjusted.u1, dec.adjusted.u2, dec.adjusted.s], run.labels, run.nClasses, level);
  const rawCls = classIntervals([dec.raw.r, dec.raw.u1, dec.raw.u2, dec.raw.s], run.labels, run.nClasses, level);
  const perClass: ClassSummary[] = [];
  for (let c = 0; c < run.nClasses; c++) {
    const at = (m: Float64Array[]) => ({ R: m[0][c], U1: m[1][c], U2: m[2][c], S: m[3][c] });
    const iv = adjCls.interval;
    perClass.push({
      index: c,
      name: run.meta.classNames[c] ?? String(c),
      n: adjCls.n[c],
      adjusted: at(adjCls.mean),
      raw: at(rawCls.mean),
      intervals: { R: iv[0][c], U1: iv[1][c], U2: iv[2][c], S: iv[3][c] },
      surprisal: -lp[c],
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
    dataset: { raw: dec.means.raw, adjusted: dec.means.adjusted, branch: dec.branch, adj: dec.adj, intervals },
    perClass,
    heads,
    density,
    effective: {
      folds: effectiveFolds(run, settings).folds,
      largeNSchedule: effectiveFolds(run, settings).largeN,
      threads: lanes.length === 2 && lanes.script ? 2 : 1,
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
  const reusable = (existing: ResultsData | undefined, hash: string) =>
    existing !== undefined && existing.meta.inputHash === hash && existing.meta.toolVersion === TOOL_VERSION && sameSettings(existing.meta.settings, settings);
  // the content hash: in a pass of its own only when a results file that might be reused is there
  // already (reuse then skips the read); otherwise it is computed from the bytes as they are read
  let inputHash: string | undefined;
  let hashSeconds = 0;
  const hashFirst = opts.reuse !== false && fs.existsSync(out);
  opts.onProgress?.({ stage: 'hash', fraction: 0, message: hashFirst ? `hashing ${file}` : `hashing ${file} while it is read` });
  if (hashFirst) {
    inputHash = await fileHash(file).catch(() => undefined);
    hashSeconds = (performance.now() - t0) / 1000;
    if (inputHash) {
      const existing = await readResults(out).catch(() => undefined);
      if (reusable(existing, inputHash)) {
        // the run was touched but its content is the same: mark the results as current again
        const now = new Date();
        await fs.promises.utimes(out, now, now).catch(() => undefined);
        opts.onProgress?.({ stage: 'write', fraction: 1, message: `reused ${out}` });
        return { results: existing!, out, reused: true };
      }
    }
  }
  // an output that is a folder is found now, not by the rename after the computation
  checkOutputPath(out);
  // one writer per results file; taking the lock also checks, before any work, that the folder is writable
  const lock = await acquireLock(out);
  try {
    // another writer may have finished while this one waited: its results are as good as ours
    if (opts.reuse !== false && fs.existsSync(out)) {
      const t = performance.now();
      inputHash ??= await fileHash(file).catch(() => undefined);
      hashSeconds += (performance.now() - t) / 1000;
      const existing = inputHash ? await readResults(out).catch(() => undefined) : undefined;
      if (inputHash && reusable(existing, inputHash)) {
        opts.onProgress?.({ stage: 'write', fraction: 1, message: `reused ${out}` });
        return { results: existing!, out, reused: true };
      }
    }
    opts.onProgress?.({ stage: 'read', fraction: 0.01, message: `reading ${file}` });
    const t1 = performance.now();
    // hashed during the read when the reader reads the file whole; else (a streamed or .npz file) in a pass of its own
    const hashing = inputHash === undefined ? new HashWhileReading() : undefined;
    const run = await readRun(file, { columns: opts.columns, onBytes: hashing?.update });
    let readSeconds = (performance.now() - t1) / 1000;
    if (hashing) {
      const size = await fs.promises.stat(file).then((st) => st.size).catch(() => -1);
      inputHash = hashing.digest(size);
      readSeconds -= hashing.seconds;
      hashSeconds += hashing.seconds;
      if (inputHash === undefined) {
        const t = performance.now();
        inputHash = await fileHash(file).catch(() => undefined);
        hashSeconds += (performance.now() - t) / 1000;
      }
    }
    const results = await estimateRun(run, inputHash ?? 'unknown', { ...opts, settings }, [0.02, 0.98]);
    results.meta.timings = { hash: hashSeconds, read: readSeconds, ...results.meta.timings };
    opts.onProgress?.({ stage: 'write', fraction: 0.98, message: `writing ${out}` });
    // `total` covers everything up to the write, which the file cannot time itself
    results.meta.timings.total = (performance.now() - t0) / 1000;
    await writeResults(out, rebasePaths(results, path.dirname(path.resolve(file)), path.dirname(path.resolve(out))), opts.signal);
    opts.onProgress?.({ stage: 'write', fraction: 1, message: `wrote ${out}` });
    return { results, out, reused: false };
  } finally {
    await lock.release();
  }
}

/**
 * sha256 of a file's bytes fed in order while it is read (ReadOptions.onBytes), in the format of
 * {@link fileHash}; `seconds` is the time spent hashing.
 */
export class HashWhileReading {
  private readonly h = createHash('sha256');
  private bytes = 0;
  seconds = 0;
  readonly update = (chunk: Uint8Array): void => {
    const t = performance.now();
    this.h.update(chunk);
    this.bytes += chunk.byteLength;
    this.seconds += (performance.now() - t) / 1000;
  };

  /** The hash, when the bytes fed were the whole file of `size` bytes; undefined otherwise. */
  digest(size: number): string | undefined {
    if (this.bytes === 0 && size !== 0) return undefined;
    if (this.bytes !== size) return undefined;
    return `sha256:${this.h.digest('hex')}`;
  }
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

/** The first rows (at most 10) and the count of non-finite values. */
function nonFinite(a: Float64Array): { rows: number[]; count: number } {
  const rows: number[] = [];
  let count = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isFinite(a[i])) continue;
    count++;
    if (rows.length < 10) rows.push(i);
  }
  return { rows, count };
}

/** The column a stage reads (by the user's name), and the stage in words. */
function stageInput(job: StageJob, run: RunData, columns?: ColumnMapping): { column?: string; what: string; reads: string } {
  const name = (c: string) => columns?.[c as keyof ColumnMapping] ?? c;
  if ('modality' in job) return { column: name(`emb_${job.modality}`), what: `the density fit of modality ${job.modality}`, reads: name(`emb_${job.modality}`) };
  const h = job.head;
  if (run.logits[h]) return { column: name(`logits_${h}`), what: `the calibration of head ${h}`, reads: name(`logits_${h}`) };
  const reads = h === '12' ? `${name('emb_1')} and ${name('emb_2')}` : name(`emb_${h}`);
  return { column: h === '12' ? undefined : name(`emb_${h}`), what: `the probe of head ${h}`, reads };
}

function fitFailed(run: RunData, job: StageJob, settings: EstimatorSettings, reason: string, columns?: ColumnMapping, rows?: { rows: number[]; count: number }): LsmiInputError {
  const { column, what, reads } = stageInput(job, run, columns);
  const where = rows ? ` for ${describeRows(rows.rows, rows.count)}` : '';
  const others = (all: string[], current: string) => all.filter((x) => x !== current).join(' or ');
  const alternatives =
    'modality' in job
      ? settings.mode === 'knife'
        ? 'the EM density (--mode em) or a smaller knife.learningRate'
        : `another covariance (--covariance ${others(['diag', 'tied', 'full'], settings.covariance)})`
      : run.logits[job.head]
        ? `another calibration (--calibrate ${others(['temperature', 'none'], settings.calibrate)})`
        : `another probe (--probe ${others(['logistic', 'lda', 'mlp'], settings.probe)})`;
  return new LsmiInputError(
    'FIT_FAILED',
    { file: run.file, column, rows: rows?.rows },
    `${what} failed numerically${where} (${reason}); nothing was written. This usually means extreme or degenerate values in ${reads}: ` +
      `check them, rescale them (e.g. standardise each dimension), or try ${alternatives}. If the values look fine, please report this with the run.`,
  );
}

/** A stage's output must be finite: log p(y|x) of a head, log p(x) of a density. */
function checkFinite(result: StageResult): void {
  const bad = nonFinite(result.kind === 'head' ? result.logProb : result.logp);
  if (bad.count) throw new NumericalError(result.kind === 'head' ? 'log p(y|x) is not finite' : 'log p(x) is not finite', bad);
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
