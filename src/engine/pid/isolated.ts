/**
 * The dataset PID, the bounds and the ensembles in a worker thread (the panels' way to compute them
 * without blocking the extension host): one worker per job, ended when it answers or is cancelled.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { LsmiInputError } from '../errors';
import type { PidAtoms } from './broja';
import type { DatasetPid } from './dataset';
import type { EnsembleResult } from './ensemble';
import type { EnsembleSettings, PidSettings } from './settings';

export type PidJob = { kind: 'pid'; file: string; settings?: Partial<PidSettings> } | { kind: 'ensemble'; files: string[]; settings?: Partial<EnsembleSettings> };

/** What the results panel shows: the PID and bounds of the run, with LSMI's adjusted dataset atoms. */
export type PanelPid = DatasetPid & { lsmi: PidAtoms | null; notes: string[] };
/** What the compare panel shows (the out-of-fold arrays stay in the worker). */
export type PanelEnsemble = Omit<EnsembleResult, 'oof'> & { files: string[]; dropped: { train: number; missing: number }; notes: string[] };

/** The worker script: pid-worker.js beside this module (dist/ in bundles), or worker.js (out/src/engine/pid in tests). */
export function pidWorkerScript(): string {
  const candidates = [path.join(__dirname, 'pid-worker.js')];
  if (path.basename(__dirname) === 'pid') candidates.push(path.join(__dirname, 'worker.js'));
  for (const p of candidates) if (fs.existsSync(p)) return p;
  return path.join(__dirname, 'pid-worker.js');
}

export function runPidJob(job: { kind: 'pid'; file: string; settings?: Partial<PidSettings> }, signal?: AbortSignal): Promise<PanelPid>;
export function runPidJob(job: { kind: 'ensemble'; files: string[]; settings?: Partial<EnsembleSettings> }, signal?: AbortSignal): Promise<PanelEnsemble>;
export function runPidJob(job: PidJob, signal?: AbortSignal): Promise<unknown> {
  const worker = new Worker(pidWorkerScript(), { workerData: job });
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
      void worker.terminate();
    };
    const onAbort = () => finish(() => reject(Object.assign(new Error('cancelled'), { name: 'AbortError' })));
    signal?.addEventListener('abort', onAbort);
    worker.on('message', (m: { ok: true; data: unknown } | { ok: false; error: Record<string, unknown>; input: boolean }) => {
      if (m.ok) finish(() => resolve(m.data));
      else if (m.input) finish(() => reject(LsmiInputError.fromJSON(m.error)));
      else finish(() => reject(Object.assign(new Error(String(m.error.message)), { stack: String(m.error.stack ?? '') })));
    });
    worker.on('error', (e) => finish(() => reject(e)));
    worker.on('exit', (code) => finish(() => reject(new Error(`the PID worker stopped (exit code ${code})`))));
  });
}
