/**
 * A pool of worker threads for estimations, so the caller's thread (the CLI's progress bar, the
 * VS Code extension host) never blocks. Each job runs in one worker; cancelling terminates that
 * worker at once and removes any temporary results file, so no partial output is ever left.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { LsmiInputError } from '../errors';
import type { EstimateFileResult, ProgressEvent } from '../estimate/lsmi';
import { resultsPathFor } from '../io/results';
import type { FromWorker, JobOptions, SerializedError, ToWorker } from './protocol';

export interface PoolOptions {
  /** Worker threads (default: available cores − 1, at least 1). */
  size?: number;
  /** The worker script (default: worker.js beside this module: dist/ in bundles, out/ in tests). */
  script?: string;
}

export interface JobControl {
  signal?: AbortSignal;
  onProgress?: (e: ProgressEvent) => void;
}

interface Job {
  id: number;
  file: string;
  options: JobOptions;
  control: JobControl;
  resolve: (r: EstimateFileResult) => void;
  reject: (e: Error) => void;
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

  constructor(opts: PoolOptions = {}) {
    this.size = Math.max(1, Math.floor(opts.size ?? defaultPoolSize()));
    this.script = opts.script ?? path.join(__dirname, 'worker.js');
  }

  /** Estimates a run file in a worker; resolves with the results, rejects with the worker's error. */
  estimateFile(file: string, options: JobOptions = {}, control: JobControl = {}): Promise<EstimateFileResult> {
    if (this.disposed) return Promise.reject(new Error('the worker pool is disposed'));
    return new Promise((resolve, reject) => {
      const job: Job = { id: this.nextId++, file, options, control, resolve, reject };
      if (control.signal?.aborted) return reject(abortError());
      control.signal?.addEventListener('abort', () => this.cancel(job), { once: true });
      this.queue.push(job);
      this.pump();
    });
  }

  /** Terminates every worker; pending jobs are rejected. */
  async dispose(): Promise<void> {
    this.disposed = true;
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

/** Removes `.<name>.<random>.tmp` files that writeResults may have left when its worker was killed. */
export function removeTemporaries(out: string): void {
  const dir = path.dirname(out);
  const prefix = `.${path.basename(out)}.`;
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const f of entries) if (f.startsWith(prefix) && f.endsWith('.tmp')) fs.rmSync(path.join(dir, f), { force: true });
}

function abortError(): Error {
  const e = new Error('the estimation was cancelled');
  e.name = 'AbortError';
  return e;
}

function deserializeError(s: SerializedError): Error {
  if (s.name === 'LsmiInputError' && s.code && s.file) {
    const e = new LsmiInputError(s.code as LsmiInputError['code'], { file: s.file, column: s.column, rows: s.rows }, '');
    Object.defineProperty(e, 'message', { value: s.message });
    return e;
  }
  const e = new Error(s.message);
  e.name = s.name;
  e.stack = s.stack;
  return e;
}
