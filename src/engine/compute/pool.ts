/**
 * A pool of worker threads for estimations, so the caller's thread (the CLI's progress bar, the
 * VS Code extension host) never blocks. Each job runs in one worker; cancelling terminates that
 * worker at once and removes any temporary results file, so no partial output is ever left.
 *
 * GPU jobs (backend `webgpu` / `tensorflow-gpu`, or `auto` when a GPU package is installed) run in
 * a separate process (gpu-process.ts) with the same protocol. When that process cannot load its
 * backend, crashes, hangs (no message for `gpuHangTimeoutMs`) or fails, the job is rerun here on
 * the wasm worker threads, and the reason is reported (JobControl.onFallback, a progress message,
 * and the results' backend detail). Nothing native from a GPU stack is ever loaded in this process.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { EstimateFileResult, ProgressEvent } from '../estimate/lsmi';
import { resultsPathFor } from '../io/results';
import { type BackendRequest, envBackendRequest, isGpuBackend } from './backend-request';
import { GpuProcess, abortError, deserializeError, removeTemporaries } from './gpu-process';
import { installedGpuBackends } from './gpu-locate';
import type { FromWorker, JobOptions, ToWorker } from './protocol';

export interface PoolOptions {
  /** Worker threads (default: available cores − 1, at least 1). */
  size?: number;
  /** The worker script (default: worker.js beside this module: dist/ in bundles, out/ in tests). */
  script?: string;
  /** The GPU process's script (default: gpu-worker.js beside this module). */
  gpuScript?: string;
  /** A folder with the optional GPU packages installed (the `lsmi.backendPath` setting). */
  backendPath?: string;
  /**
   * Milliseconds without any message (progress or the 1 s heartbeat) after which the GPU process is
   * considered hung, killed, and its job rerun on wasm. Default: LSMI_GPU_HANG_TIMEOUT_MS or 300000.
   */
  gpuHangTimeoutMs?: number;
  /**
   * Backend requests that run in the separate process (default: webgpu, tensorflow-gpu). Tests add
   * `cpu` to exercise the isolation on machines without any GPU stack.
   */
  processBackends?: BackendRequest[];
  /** Extra environment for the GPU process (e.g. VK_ICD_FILENAMES). */
  gpuEnv?: NodeJS.ProcessEnv;
}

export interface JobControl {
  signal?: AbortSignal;
  onProgress?: (e: ProgressEvent) => void;
  /** The job left the GPU process and is rerun on wasm; `reason` says why (also in the results). */
  onFallback?: (reason: string) => void;
}

interface Job {
  id: number;
  file: string;
  options: JobOptions;
  control: JobControl;
  resolve: (r: EstimateFileResult) => void;
  reject: (e: Error) => void;
}

/**
 * Why `auto` found no usable GPU, per GPU configuration, for this process's lifetime: the GPU process
 * is started once to find out, not for every job (the extension host and tests create many pools).
 */
const autoGpuUnavailable = new Map<string, string>();

function gpuConfigKey(backendPath: string | undefined): string {
  const e = process.env;
  return JSON.stringify([backendPath, e.LSMI_BACKEND_PATH, e.VK_ICD_FILENAMES, e.LD_LIBRARY_PATH, e.LSMI_DAWN_OPTIONS]);
}

export function defaultPoolSize(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, cores - 1);
}

export class WorkerPool {
  readonly size: number;
  private readonly script: string;
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Job>();
  private readonly queue: Job[] = [];
  private nextId = 1;
  private disposed = false;
  private readonly opts: PoolOptions;
  private gpu: GpuProcess | undefined;

  constructor(opts: PoolOptions = {}) {
    this.opts = opts;
    this.size = Math.max(1, Math.floor(opts.size ?? defaultPoolSize()));
    this.script = opts.script ?? path.join(__dirname, 'worker.js');
  }

  /**
   * Estimates a run file in a worker (or the GPU process); resolves with the results, rejects with
   * the worker's error. A GPU job that fails for a reason other than its input is rerun on wasm.
   */
  estimateFile(file: string, options: JobOptions = {}, control: JobControl = {}): Promise<EstimateFileResult> {
    if (this.disposed) return Promise.reject(new Error('the worker pool is disposed'));
    let request: BackendRequest;
    try {
      request = options.backend && options.backend !== 'auto' ? options.backend : (envBackendRequest() ?? 'auto');
    } catch (e) {
      return Promise.reject(e);
    }
    const processBackends = this.opts.processBackends ?? ['webgpu', 'tensorflow-gpu'];
    if (processBackends.includes(request) || isGpuBackend(request)) return this.onGpu(file, { ...options, backend: request }, control);
    let backendNote: string | undefined;
    if (request === 'auto') {
      const known = autoGpuUnavailable.get(gpuConfigKey(this.opts.backendPath));
      if (known) backendNote = `auto: ${known}`;
      else if (installedGpuBackends(this.opts.backendPath).length) return this.onGpu(file, { ...options, backend: 'auto' }, control);
      else backendNote = 'auto: no GPU backend installed';
    }
    return this.onThreads(file, { ...options, backend: request, backendNote }, control);
  }

  private onThreads(file: string, options: JobOptions, control: JobControl): Promise<EstimateFileResult> {
    return new Promise((resolve, reject) => {
      const job: Job = { id: this.nextId++, file, options, control, resolve, reject };
      if (control.signal?.aborted) return reject(abortError());
      control.signal?.addEventListener('abort', () => this.cancel(job), { once: true });
      this.queue.push(job);
      this.pump();
    });
  }

  private async onGpu(file: string, options: JobOptions, control: JobControl): Promise<EstimateFileResult> {
    if (control.signal?.aborted) throw abortError();
    const requested = options.backend ?? 'auto';
    this.gpu ??= new GpuProcess({
      script: this.opts.gpuScript ?? path.join(__dirname, 'gpu-worker.js'),
      backendPath: this.opts.backendPath,
      hangTimeoutMs: this.opts.gpuHangTimeoutMs ?? (Number(process.env.LSMI_GPU_HANG_TIMEOUT_MS) || 300_000),
      env: this.opts.gpuEnv,
    });
    const outcome = await this.gpu.run(this.nextId++, file, options, control);
    if (outcome.kind === 'done') return outcome.result;
    if (outcome.kind === 'error') throw outcome.error;
    // the GPU process could not load its backend, crashed, hung or failed: rerun on wasm
    // under auto, a GPU that could not load, crashed or hung is not tried again in this process
    // (a hang would cost the whole hang timeout on every estimation); a requested backend is
    if (requested === 'auto') {
      autoGpuUnavailable.set(gpuConfigKey(this.opts.backendPath), outcome.kind === 'unavailable' ? outcome.reason : `the GPU process failed earlier (${outcome.reason})`);
    }
    const reason = requested === 'auto' ? `auto: ${outcome.reason}` : outcome.reason;
    removeTemporaries(options.out ?? resultsPathFor(file));
    control.onFallback?.(reason);
    control.onProgress?.({ stage: 'backend', fraction: 0, message: `GPU backend not used (${reason}); computing on wasm` });
    if (this.disposed) throw new Error('the worker pool was disposed');
    return this.onThreads(file, { ...options, backend: 'auto', backendNote: `fallback to wasm: ${reason}` }, control);
  }

  /** The GPU process's id while it runs (tests kill it to check the fallback). */
  get gpuPid(): number | undefined {
    return this.gpu?.pid;
  }

  /** Terminates every worker and the GPU process; pending jobs are rejected. */
  async dispose(): Promise<void> {
    this.disposed = true;
    this.gpu?.dispose();
    this.gpu = undefined;
    for (const job of this.queue.splice(0)) job.reject(new Error('the worker pool was disposed'));
    const all = [...this.idle.splice(0), ...this.busy.keys()];
    for (const [, job] of this.busy) job.reject(new Error('the worker pool was disposed'));
    this.busy.clear();
    await Promise.all(all.map((w) => w.terminate()));
  }

  private pump(): void {
    while (this.queue.length && (this.idle.length || this.busy.size < this.size)) {
      const job = this.queue.shift()!;
      const worker = this.idle.pop() ?? this.spawn();
      this.busy.set(worker, job);
      worker.postMessage({ type: 'estimate', id: job.id, file: job.file, options: job.options } satisfies ToWorker);
    }
  }

  private spawn(): Worker {
    const w = new Worker(this.script);
    w.on('message', (m: FromWorker) => this.onMessage(w, m));
    w.on('error', (e) => this.onCrash(w, e));
    w.on('exit', (code) => {
      if (this.busy.has(w)) this.onCrash(w, new Error(`the estimation worker exited unexpectedly (code ${code})`));
      const i = this.idle.indexOf(w);
      if (i >= 0) this.idle.splice(i, 1);
    });
    return w;
  }

  private onMessage(w: Worker, m: FromWorker): void {
    const job = this.busy.get(w);
    if (!job || job.id !== m.id) return;
    if (m.type === 'progress') {
      job.control.onProgress?.(m.event);
      return;
    }
    if (m.type === 'heartbeat') return;
    this.busy.delete(w);
    this.idle.push(w);
    if (m.type === 'done') job.resolve(m.result);
    else job.reject(deserializeError(m.error));
    this.pump();
  }

  private onCrash(w: Worker, e: Error): void {
    const job = this.busy.get(w);
    this.busy.delete(w);
    void w.terminate();
    if (job) {
      removeTemporaries(job.options.out ?? resultsPathFor(job.file));
      job.reject(e);
    }
    this.pump();
  }

  private cancel(job: Job): void {
    const queued = this.queue.indexOf(job);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      job.reject(abortError());
      return;
    }
    for (const [w, j] of this.busy) {
      if (j !== job) continue;
      this.busy.delete(w);
      void w.terminate().then(() => {
        removeTemporaries(job.options.out ?? resultsPathFor(job.file));
        job.reject(abortError());
        this.pump();
      });
      return;
    }
  }
}

export { removeTemporaries };
