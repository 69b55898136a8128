/**
 * The five independent stages of an estimate (heads 1, 2, 12 and the densities of modalities 1 and
 * 2), and a second lane that runs some of them in a worker thread while this thread runs the others.
 *
 * Why: the wasm backend computes on one thread, and many machines have cores to spare. Every stage
 * draws its random numbers from a stream derived from the root seed and the stage's name
 * (`Rng.derive`), and tfjs on wasm is deterministic, so the results are the same, bit for bit,
 * whichever lane runs a stage and in whatever order (tested in test/engine/stages.test.ts).
 *
 * The worker gets a compact copy of the arrays its stages read (a structured clone of a view copies
 * its whole buffer, so views are sliced first), which costs memory: a second lane is used only when
 * that copy is at most {@link MAX_LANE_COPY_BYTES}. It is opt-in (`threads: 2`): on the 2-core
 * reference machine the two lanes slowed each other's wasm kernels down by 1.6–2×: slower on small
 * runs, about 20 % faster on larger ones (see lsmi.ts:
 * planLanes and BENCHMARKS.md).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { abortError, deserializeError } from '../compute/gpu-process';
import type { SerializedError } from '../compute/protocol';
import { type Matrix, matrixFromChunks } from '../io/matrix';
import type { DensityReport, HeadReport } from '../io/results';
import type { Head, RunData } from '../io/run';
import { Rng } from '../random';
import { estimateDensity } from './density';
import { estimateHead } from './heads';
import type { EstimatorSettings } from './settings';

export type StageName = 'probe 1' | 'probe 2' | 'probe 12' | 'density 1' | 'density 2';

export type StageJob = { stage: 'probe 1' | 'probe 2' | 'probe 12'; head: Head } | { stage: 'density 1' | 'density 2'; modality: '1' | '2' };

export type StageResult = { kind: 'head'; logProb: Float64Array; report: HeadReport } | { kind: 'density'; logp: Float64Array; report: DensityReport };

/** Bytes of run data a second lane may copy at most (above it, stages run one after another). */
export const MAX_LANE_COPY_BYTES = 128 * 2 ** 20;

export interface StageOptions {
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

/** Runs one stage on this thread. */
export async function runStage(run: RunData, job: StageJob, settings: EstimatorSettings, opts: StageOptions = {}): Promise<StageResult> {
  if ('head' in job) {
    const est = await estimateHead(run, job.head, settings, { signal: opts.signal, onProgress: opts.onProgress });
    return { kind: 'head', logProb: est.logProb, report: est.report };
  }
  const m = job.modality;
  // KNIFE parity: both modalities' fits see the same batches (as the official loader), from one stream
  const batchOrder = settings.mode === 'knife' ? knifeBatchOrder(run.n, settings) : undefined;
  const fit = await estimateDensity(m === '1' ? run.emb1 : run.emb2, settings, {
    rng: Rng.derive(settings.seed, `density ${m}`),
    batchOrder,
    signal: opts.signal,
    onProgress: opts.onProgress && ((f) => opts.onProgress!(f, `density of modality ${m}`)),
  });
  return { kind: 'density', logp: fit.logp, report: fit.report };
}

function knifeBatchOrder(n: number, s: EstimatorSettings): Int32Array[] {
  const rng = Rng.derive(s.seed, 'knife batches');
  return Array.from({ length: s.knife.epochs }, () => rng.permutation(n));
}

/** The matrices a stage reads. */
function inputsOf(run: RunData, job: StageJob): Matrix[] {
  if ('modality' in job) return [job.modality === '1' ? run.emb1 : run.emb2];
  const logits = run.logits[job.head];
  if (logits) return [logits];
  return job.head === '1' ? [run.emb1] : job.head === '2' ? [run.emb2] : [run.emb1, run.emb2];
}

function matrixBytes(m: Matrix): number {
  return m.rows * m.cols * 4;
}

/** Bytes a worker needs for these stages: the distinct matrices they read, labels and split. */
export function laneBytes(run: RunData, jobs: StageJob[]): number {
  const mats = new Set<Matrix>();
  for (const j of jobs) for (const m of inputsOf(run, j)) mats.add(m);
  let b = run.n * 4 + (run.split ? run.n : 0);
  for (const m of mats) b += matrixBytes(m);
  return b;
}

/**
 * A compact copy of the parts of a run these stages read (one dense buffer per matrix); matrices
 * they do not read become empty stand-ins of the same shape (a head checks only whether its logits
 * exist).
 */
function compactRun(run: RunData, jobs: StageJob[]): RunData {
  const needed = new Set<Matrix>();
  for (const j of jobs) for (const m of inputsOf(run, j)) needed.add(m);
  const copy = (m: Matrix): Matrix => {
    if (!needed.has(m)) return { rows: m.rows, cols: m.cols, chunks: [] };
    const out = new Float32Array(m.rows * m.cols);
    for (const c of m.chunks) out.set(c.data, c.start * m.cols);
    return matrixFromChunks(m.cols, [out]);
  };
  const logits: RunData['logits'] = {};
  for (const h of ['1', '2', '12'] as Head[]) {
    const l = run.logits[h];
    if (l) logits[h] = copy(l);
  }
  return {
    ...run,
    sampleIds: [],
    paths1: undefined,
    paths2: undefined,
    labels: Int32Array.from(run.labels),
    split: run.split ? Uint8Array.from(run.split) : undefined,
    emb1: copy(run.emb1),
    emb2: copy(run.emb2),
    logits,
  };
}

/** The stage worker's script: beside this module in bundles (dist/), in ../compute in tsc output (out/). */
export function stageWorkerScript(): string | undefined {
  for (const p of [path.join(__dirname, 'stage-worker.js'), path.join(__dirname, '..', 'compute', 'stage-worker.js')]) if (fs.existsSync(p)) return p;
  return undefined;
}

export type ToStageWorker = { type: 'init'; run: RunData } | { type: 'stage'; id: number; job: StageJob; settings: EstimatorSettings };
export type FromStageWorker =
  | { type: 'progress'; id: number; fraction: number; message: string }
  | { type: 'done'; id: number; result: StageResult }
  | { type: 'error'; id: number; error: SerializedError };

/** A second lane: a worker thread running stages on its copy of the run, one at a time. */
export class StageLane {
  private readonly worker: Worker;
  private nextId = 0;
  private pending?: { id: number; resolve: (r: StageResult) => void; reject: (e: Error) => void; onProgress?: StageOptions['onProgress'] };
  private failed?: Error;

  constructor(script: string, run: RunData, jobs: StageJob[]) {
    this.worker = new Worker(script);
    this.worker.on('message', (m: FromStageWorker) => {
      const p = this.pending;
      if (!p || m.id !== p.id) return;
      if (m.type === 'progress') p.onProgress?.(m.fraction, m.message);
      else {
        this.pending = undefined;
        if (m.type === 'done') p.resolve(m.result);
        else p.reject(deserializeError(m.error));
      }
    });
    const fail = (e: Error) => {
      this.failed = e;
      this.pending?.reject(e);
      this.pending = undefined;
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the stage worker exited (code ${code})`)));
    const compact = compactRun(run, jobs);
    const transfer = new Set<ArrayBuffer>();
    for (const m of [compact.emb1, compact.emb2, ...Object.values(compact.logits)]) for (const c of m!.chunks) if (c.data.byteLength) transfer.add(c.data.buffer as ArrayBuffer);
    this.worker.postMessage({ type: 'init', run: compact } satisfies ToStageWorker, [...transfer]);
  }

  run(job: StageJob, settings: EstimatorSettings, opts: StageOptions = {}): Promise<StageResult> {
    if (this.failed) return Promise.reject(this.failed);
    if (opts.signal?.aborted) return Promise.reject(abortError());
    return new Promise((resolve, reject) => {
      const id = ++this.nextId;
      const onAbort = () => {
        void this.worker.terminate();
        reject(abortError());
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const done = <T>(f: (v: T) => void) => (v: T) => {
        opts.signal?.removeEventListener('abort', onAbort);
        f(v);
      };
      this.pending = { id, resolve: done(resolve), reject: done(reject), onProgress: opts.onProgress };
      this.worker.postMessage({ type: 'stage', id, job, settings } satisfies ToStageWorker);
    });
  }

  async dispose(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}
