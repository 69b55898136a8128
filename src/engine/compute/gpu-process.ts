/**
 * The pool's handle on the GPU process (gpu-worker.ts): forks it on first use, runs one job at a
 * time over the worker protocol, and turns everything that can go wrong there into an outcome the
 * pool can act on instead of an exception in the caller's process:
 *   done        the results
 *   error       the job's own fault (bad input, invalid settings, cancelled): no rerun would help
 *   unavailable the backend could not load (no package, no adapter, missing CUDA 11.2 library)
 *   failed      the process crashed, hung (no message for hangTimeoutMs) or the backend failed
 * The process stays up between jobs (loading a GPU backend costs seconds) and is killed on dispose.
 */
import { type ChildProcess, fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LsmiInputError } from '../errors';
import type { EstimateFileResult } from '../estimate/lsmi';
import { resultsPathFor } from '../io/results';
import type { FromWorker, JobOptions, SerializedError, ToWorker } from './protocol';

export type GpuOutcome =
  | { kind: 'done'; result: EstimateFileResult }
  | { kind: 'error'; error: Error }
  | { kind: 'unavailable'; reason: string }
  | { kind: 'failed'; reason: string };

export interface GpuProcessOptions {
  script: string;
  backendPath?: string;
  hangTimeoutMs: number;
  /** No progress event for this long fails the job (default 4 × hangTimeoutMs). */
  stallTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface GpuJobControl {
  signal?: AbortSignal;
  onProgress?: (e: import('../estimate/lsmi').ProgressEvent) => void;
}

/** Dawn prints these on every device creation; they are noise in an error message. */
const NOISE = /artificially reduced from|XDG_RUNTIME_DIR/;

export class GpuProcess {
  private child: ChildProcess | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private stderr = '';
  private disposed = false;

  constructor(private readonly opts: GpuProcessOptions) {}

  /** The process id of the running GPU process, if any (tests kill it). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  run(id: number, file: string, options: JobOptions, control: GpuJobControl): Promise<GpuOutcome> {
    const queued = this.chain.then(() => this.runNow(id, file, options, control));
    this.chain = queued.catch(() => undefined);
    // a job cancelled while it waits for the one before it settles at once (runNow then sees the
    // aborted signal and does nothing)
    const signal = control.signal;
    if (!signal) return queued;
    const cancelled = new Promise<GpuOutcome>((resolve) => {
      if (signal.aborted) resolve({ kind: 'error', error: abortError() });
      else signal.addEventListener('abort', () => resolve({ kind: 'error', error: abortError() }), { once: true });
    });
    return Promise.race([queued, cancelled]);
  }

  dispose(): void {
    this.disposed = true;
    const c = this.child;
    this.child = undefined;
    if (c && c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }

  private spawn(): ChildProcess {
    const env: NodeJS.ProcessEnv = { ...process.env, ...this.opts.env, ELECTRON_RUN_AS_NODE: '1' };
    delete env.LSMI_BACKEND; // the job says what to load
    if (this.opts.backendPath) env.LSMI_BACKEND_PATH = this.opts.backendPath;
    const child = fork(this.opts.script, [], { execArgv: [], serialization: 'advanced', stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env });
    this.stderr = '';
    child.stdout?.on('data', () => undefined); // drained; the GPU process has nothing to say there
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      this.stderr = (this.stderr + d).slice(-8000);
    });
    child.on('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    child.on('error', () => undefined); // reported through 'exit' / the job
    return child;
  }

  private stderrTail(): string {
    const lines = this.stderr.split('\n').filter((l) => l.trim() && !NOISE.test(l));
    const tail = lines.slice(-6).join(' | ').slice(-600);
    return tail ? `; its stderr: ${tail}` : '';
  }

  private runNow(id: number, file: string, options: JobOptions, control: GpuJobControl): Promise<GpuOutcome> {
    const backend = options.backend ?? 'auto';
    const label = backend === 'auto' ? 'the GPU process' : `the ${backend} process`;
    if (this.disposed) return Promise.resolve({ kind: 'error', error: new Error('the worker pool was disposed') });
    if (control.signal?.aborted) return Promise.resolve({ kind: 'error', error: abortError() });
    if (!fs.existsSync(this.opts.script)) return Promise.resolve({ kind: 'unavailable', reason: `${this.opts.script} is missing (GPU process script)` });
    let child: ChildProcess;
    try {
      child = this.child ??= this.spawn();
    } catch (e) {
      return Promise.resolve({ kind: 'unavailable', reason: `the GPU process could not be started: ${(e as Error).message}` });
    }
    return new Promise<GpuOutcome>((resolve) => {
      let stage = 'start';
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      let stall: NodeJS.Timeout | undefined;
      const finish = (o: GpuOutcome) => {
        if (settled) return;
        settled = true;
        // a crashed, hung or killed process leaves its temporary file and lock behind (the pool
        // reruns the job on wasm at once, and that run takes the lock)
        if (o.kind === 'failed' && child.pid !== undefined) removeTemporaries(options.out ?? resultsPathFor(file), child.pid);
        if (timer) clearTimeout(timer);
        if (stall) clearTimeout(stall);
        child.off('message', onMessage);
        child.off('exit', onExit);
        control.signal?.removeEventListener('abort', onAbort);
        resolve(o);
      };
      const kill = () => {
        if (this.child === child) this.child = undefined;
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      };
      const arm = () => {
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => {
          kill();
          finish({ kind: 'failed', reason: `${label} sent nothing for ${(this.opts.hangTimeoutMs / 1000).toFixed(1)} s during '${stage}' (hung) and was killed` });
        }, this.opts.hangTimeoutMs);
      };
      // heartbeats prove the process is alive, not that the job moves: a GPU wait that never
      // returns (device lost) keeps the heartbeat going, so progress has its own, longer limit
      const stallMs = this.opts.stallTimeoutMs ?? 4 * this.opts.hangTimeoutMs;
      const armStall = () => {
        if (stall) clearTimeout(stall);
        stall = setTimeout(() => {
          kill();
          finish({ kind: 'failed', reason: `${label} made no progress for ${(stallMs / 1000).toFixed(1)} s during '${stage}' (stalled) and was killed` });
        }, stallMs);
      };
      const onMessage = (m: FromWorker) => {
        if (!m || m.id !== id) return;
        arm();
        if (m.type === 'heartbeat') return;
        if (m.type === 'progress') {
          armStall();
          stage = m.event.stage;
          control.onProgress?.(m.event);
          return;
        }
        if (m.type === 'done') return finish({ kind: 'done', result: m.result });
        const e = m.error;
        if (e.name === 'BackendUnavailableError') return finish({ kind: 'unavailable', reason: e.message });
        if (e.name === 'LsmiInputError' || e.name === 'RangeError' || e.name === 'AbortError') return finish({ kind: 'error', error: deserializeError(e) });
        finish({ kind: 'failed', reason: `${label} failed during '${stage}': ${e.message}` });
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        // let the last stderr chunk arrive before quoting it
        setTimeout(() => finish({ kind: 'failed', reason: `${label} exited unexpectedly (${signal ? `signal ${signal}` : `code ${code}`}) during '${stage}'${this.stderrTail()}` }), 50);
      };
      const onAbort = () => {
        const pid = child.pid;
        kill();
        removeTemporaries(options.out ?? resultsPathFor(file), pid);
        finish({ kind: 'error', error: abortError() });
      };
      child.on('message', onMessage);
      child.on('exit', onExit);
      control.signal?.addEventListener('abort', onAbort, { once: true });
      arm();
      armStall();
      child.send({ type: 'estimate', id, file, options } satisfies ToWorker, (err) => {
        if (err) {
          kill();
          finish({ kind: 'failed', reason: `${label} could not be reached: ${err.message}${this.stderrTail()}` });
        }
      });
    });
  }
}

/** Removes `.<name>.<random>.tmp` files that writeResults may have left when its worker was killed. */
export function removeTemporaries(out: string, owner: number = process.pid): void {
  const dir = path.dirname(out);
  const prefix = `.${path.basename(out)}.`;
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const f of entries) if (f.startsWith(prefix) && f.endsWith('.tmp')) fs.rmSync(path.join(dir, f), { force: true });
  // the results file's lock (src/engine/io/lock.ts), when `owner` (this process, or the GPU process
  // it killed) holds it: a terminated worker never reached its release
  const lock = `${out}.lock`;
  try {
    if ((JSON.parse(fs.readFileSync(lock, 'utf8')) as { pid?: number }).pid === owner) fs.rmSync(lock, { force: true });
  } catch {
    // no lock, or another process's
  }
}

export function abortError(): Error {
  const e = new Error('the estimation was cancelled');
  e.name = 'AbortError';
  return e;
}

export function deserializeError(s: SerializedError): Error {
  if (s.name === 'LsmiInputError' && s.code && s.file !== undefined) {
    const e = new LsmiInputError(s.code as LsmiInputError['code'], { file: s.file, column: s.column, rows: s.rows, setting: s.setting }, '');
    Object.defineProperty(e, 'message', { value: s.message });
    return e;
  }
  const e = new Error(s.message);
  e.name = s.name;
  e.stack = s.stack;
  return e;
}
