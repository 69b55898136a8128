/**
 * Reading a run or a results file in a worker thread, so that nothing a file holds can block or
 * crash the thread that asked (the VS Code extension host: panels, the status bar, hovers, the runs
 * tree). The worker has a time limit that grows with the file's size and a JavaScript heap limit;
 * the readers themselves bound what a file can make them allocate (src/engine/io/ipc.ts, npz.ts).
 * A worker that runs out of time or memory, or dies, is reported as a problem with the file
 * ({@link LsmiInputError} `UNREADABLE`), never as an internal error, and the caller goes on.
 * The data comes back by transfer (no copy of the typed arrays).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { LsmiInputError, isInputError } from '../errors';
import type { ResultsData } from './results';
import type { ReadOptions, RunData } from './run';

export interface IsolationLimits {
  /** Milliseconds before the read is abandoned (default: 20 s + 60 s per GiB of file). */
  timeoutMs?: number;
  /** The worker's JavaScript heap limit in MiB (default 4096). */
  maxHeapMb?: number;
}

export type IsolatedRequest = { kind: 'run'; file: string; options?: ReadOptions } | { kind: 'results'; file: string };

/** The worker script: read-worker.js beside this module (dist/ in bundles, out/src/engine/io in tests). */
export function readWorkerScript(): string {
  for (const p of [path.join(__dirname, 'read-worker.js'), path.join(__dirname, 'io', 'read-worker.js')]) if (fs.existsSync(p)) return p;
  return path.join(__dirname, 'read-worker.js');
}

export function readRunIsolated(file: string, options: ReadOptions = {}, limits: IsolationLimits = {}): Promise<RunData> {
  return readIsolated({ kind: 'run', file, options }, limits) as Promise<RunData>;
}

export function readResultsIsolated(file: string, limits: IsolationLimits = {}): Promise<ResultsData> {
  return readIsolated({ kind: 'results', file }, limits) as Promise<ResultsData>;
}

async function readIsolated(req: IsolatedRequest, limits: IsolationLimits): Promise<unknown> {
  let size = 0;
  try {
    size = (await fs.promises.stat(req.file)).size;
  } catch {
    // the worker reports a missing file in the readers' own words
  }
  const timeoutMs = limits.timeoutMs ?? 20_000 + (60_000 * size) / 1024 ** 3;
  const worker = new Worker(readWorkerScript(), { workerData: req, resourceLimits: { maxOldGenerationSizeMb: limits.maxHeapMb ?? 4096 } });
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
      void worker.terminate();
    };
    const unreadable = (why: string) =>
      new LsmiInputError('UNREADABLE', { file: req.file }, `${why}. The file may be corrupt or far larger than it looks; check it with \`lsmi inspect\` in a terminal.`);
    const timer = setTimeout(() => finish(() => reject(unreadable(`reading it took more than ${Math.round(timeoutMs / 1000)} s and was stopped`))), timeoutMs);
    worker.on('message', (m: { ok: true; data: unknown } | { ok: false; error: Record<string, unknown>; input: boolean }) => {
      if (m.ok) finish(() => resolve(m.data));
      else if (m.input) finish(() => reject(LsmiInputError.fromJSON(m.error)));
      else finish(() => reject(Object.assign(new Error(String(m.error.message)), { stack: String(m.error.stack ?? '') })));
    });
    worker.on('error', (e) => {
      const oom = (e as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
      finish(() => reject(isInputError(e) ? e : unreadable(oom ? 'reading it needed more memory than allowed and was stopped' : 'the reader stopped unexpectedly')));
    });
    worker.on('exit', (code) => finish(() => reject(unreadable(`the reader stopped (exit code ${code})`))));
  });
}
