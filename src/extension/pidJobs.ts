/**
 * The panels' dataset PID, bounds and ensembles (docs/pid.md): computed on request in a worker
 * thread (src/engine/pid/isolated.ts), one job at a time per panel, the last answer kept so that a
 * re-rendered webview gets it at once. Settings: `lsmi.pid.*` and `lsmi.ensemble.*`.
 */
import * as vscode from 'vscode';
import { runPidJob, toJson, type EnsembleSettings, type PidSettings } from '../engine';
import type { EnsembleState, PidState } from '../protocol/messages';
import { log } from './output';
import { toUserError } from './errors';

/** `lsmi.pid.*` (unset values: the engine's defaults; bad values are reported by the engine's validation). */
export function pidSettings(): Partial<PidSettings> {
  const c = vscode.workspace.getConfiguration('lsmi.pid');
  return { clusters: c.get<number>('clusters'), pcaDims: c.get<number>('pcaDims'), shuffles: c.get<number>('shuffles'), seed: c.get<number>('seed') };
}

/** `lsmi.ensemble.*` */
export function ensembleSettings(): Partial<EnsembleSettings> {
  const c = vscode.workspace.getConfiguration('lsmi.ensemble');
  return { folds: c.get<number>('folds'), bootstrap: c.get<number>('bootstrap'), seed: c.get<number>('seed') };
}

/** One panel's job: the last state is kept and re-posted; a new request while one runs is ignored. */
export class PanelJob<S extends { status: string }> {
  private state?: S;
  private running?: AbortController;

  constructor(private readonly post: (state: S) => void) {}

  /** Starts the job unless it is running or done (then its state is posted again). */
  request(start: (signal: AbortSignal) => Promise<S>): void {
    if (this.state && this.state.status !== 'error') {
      this.post(this.state);
      return;
    }
    if (this.running) return;
    const controller = new AbortController();
    this.running = controller;
    this.set({ status: 'computing' } as S);
    start(controller.signal).then(
      (s) => {
        if (!controller.signal.aborted) this.set(s);
      },
      (e) => {
        if (controller.signal.aborted) return;
        const error = toUserError(e);
        log().error(`${error.code}: ${error.message}`);
        this.set({ status: 'error', error } as unknown as S);
      },
    ).finally(() => {
      if (this.running === controller) this.running = undefined;
    });
  }

  /** Forgets the result (the files were reloaded) and stops a running job. */
  reset(): void {
    this.running?.abort();
    this.running = undefined;
    this.state = undefined;
  }

  private set(s: S): void {
    this.state = s;
    this.post(s);
  }
}

/** The results panel's PID job for one results file. */
export function pidJob(file: string, post: (state: PidState) => void): PanelJob<PidState> & { start(): void } {
  const job = new PanelJob<PidState>(post) as PanelJob<PidState> & { start(): void };
  job.start = () =>
    job.request(async (signal) => {
      const t0 = Date.now();
      const pid = await runPidJob({ kind: 'pid', file, settings: pidSettings() }, signal);
      log().info(`PID and bounds of ${file}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      return { status: 'done', pid };
    });
  return job;
}

/** The compare panel's ensemble job for its files. */
export function ensembleJob(files: () => string[], post: (state: EnsembleState) => void): PanelJob<EnsembleState> & { start(): void } {
  const job = new PanelJob<EnsembleState>(post) as PanelJob<EnsembleState> & { start(): void };
  job.start = () =>
    job.request(async (signal) => {
      const t0 = Date.now();
      const ensemble = await runPidJob({ kind: 'ensemble', files: files(), settings: ensembleSettings() }, signal);
      log().info(`ensembles of ${files().length} runs: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      return { status: 'done', ensemble: toJson(ensemble) };
    });
  return job;
}
