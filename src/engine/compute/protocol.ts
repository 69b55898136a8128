/**
 * Messages between the engine's worker pool and its workers: the CPU worker threads (worker.ts) and
 * the GPU process (gpu-worker.ts, forked, over Node's IPC channel with `serialization: 'advanced'`)
 * speak the same protocol.
 */
import type { EstimateFileOptions, EstimateFileResult, ProgressEvent } from '../estimate/lsmi';

export type JobOptions = Omit<EstimateFileOptions, 'signal' | 'onProgress'> & {
  /** Why the job runs where it runs (e.g. a GPU fallback); appended to the results' backend detail. */
  backendNote?: string;
};

export type ToWorker = { type: 'estimate'; id: number; file: string; options: JobOptions };

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  file?: string;
  column?: string;
  rows?: number[];
  setting?: string;
}

export type FromWorker =
  | { type: 'progress'; id: number; event: ProgressEvent }
  /** The GPU process, every second while a job runs (the pool's hang detection). */
  | { type: 'heartbeat'; id: number }
  | { type: 'done'; id: number; result: EstimateFileResult }
  | { type: 'error'; id: number; error: SerializedError };

export function serializeError(e: unknown): SerializedError {
  const err = e as Error & { code?: string; file?: string; column?: string; rows?: number[]; setting?: string };
  return { name: err.name, message: err.message, stack: err.stack, code: err.code, file: err.file, column: err.column, rows: err.rows, setting: err.setting };
}
