/** Messages between the engine's worker pool and its worker threads. */
import type { EstimateFileOptions, EstimateFileResult, ProgressEvent } from '../estimate/lsmi';

export type JobOptions = Omit<EstimateFileOptions, 'signal' | 'onProgress'>;

export type ToWorker = { type: 'estimate'; id: number; file: string; options: JobOptions };

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  file?: string;
  column?: string;
  rows?: number[];
}

export type FromWorker =
  | { type: 'progress'; id: number; event: ProgressEvent }
  | { type: 'done'; id: number; result: EstimateFileResult }
  | { type: 'error'; id: number; error: SerializedError };
