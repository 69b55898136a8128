/**
 * LSMI: Estimate Interactions. A quick pick of settings (the `lsmi.estimator.*` defaults or a
 * preset), then the estimation in the extension's one worker pool, with a cancellable progress
 * notification; the results panel opens when it is done.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { WorkerPool, type ResultsMeta, type SettingsInput, mergeSettings, resolveSettings, isInputError } from '../engine';
import type { UserError } from '../protocol/messages';
import { log } from './output';
import { ResultsPanel } from './panels/resultsPanel';
import { toUserError } from './errors';
import { pickRunFile } from './runFiles';
import { backendPathSetting, backendSetting, columnMappingSetting, estimatorSettings, workersSetting } from './settings';

export type PresetId = 'defaults' | 'full' | 'uniform' | 'components';

/** The command's optional second argument (tests, other extensions): skips the quick pick. */
export interface EstimateArgs {
  preset?: PresetId;
  /** Overrides on top of the settings and the preset (deep for probe / em / knife). */
  settings?: SettingsInput;
  /** Recompute even when matching results exist. */
  force?: boolean;
  /** Open the results panel when done (default true). */
  open?: boolean;
}

export type EstimateCommandResult =
  | { ok: true; out: string; reused: boolean; dataset: ResultsMeta['dataset'] }
  | { ok: false; error: UserError };

interface Preset {
  id: PresetId;
  label: string;
  description: string;
  settings: SettingsInput;
}

export const PRESETS: Preset[] = [
  { id: 'defaults', label: 'Estimate with defaults', description: 'the lsmi.estimator.* settings', settings: {} },
  { id: 'full', label: 'Full covariance', description: 'Gaussian mixtures with full covariance: slower, models correlated dimensions', settings: { covariance: 'full' } },
  { id: 'uniform', label: 'Uniform prior (official)', description: 'p(y) uniform, as in the official LSMI code', settings: { prior: 'uniform' } },
  { id: 'components', label: 'More components', description: 'K = 10 mixture components per modality', settings: { components: 10 } },
];

export class Estimator implements vscode.Disposable {
  private pool?: WorkerPool;
  private poolSize = 0;
  private poolBackendPath: string | undefined;
  /** The estimations in progress, by run file: the notification's Cancel and LSMI: Cancel Estimation abort them. */
  private running = new Map<string, AbortController>();
  /** Which backend the last estimation computed on, and why (shown after the first estimation). */
  private readonly backendItem = vscode.window.createStatusBarItem('lsmi.backend', vscode.StatusBarAlignment.Right, 90);

  constructor(private readonly extensionUri: vscode.Uri) {
    this.backendItem.name = 'LSMI compute backend';
    this.backendItem.command = 'lsmi.showLog';
  }

  /** Tests: the backend status bar item's text and tooltip ('' before the first estimation), and the last status bar message. */
  get backendStatus(): { text: string; tooltip: string; message: string } {
    const t = this.backendItem.tooltip;
    return { text: this.backendItem.text, tooltip: typeof t === 'string' ? t : (t?.value ?? ''), message: this.lastMessage };
  }

  /** The last status bar message of an estimation ('' before the first). */
  private lastMessage = '';

  /** The status bar item after an estimation: the backend, and in its tooltip why and what was asked. */
  private showBackend(name: string, detail: string, reused: boolean): void {
    const gpu = name === 'webgpu' || name === 'tensorflow-gpu';
    this.backendItem.text = reused ? `$(check) LSMI: reused (${name})` : `$(${gpu ? 'zap' : 'server-process'}) LSMI: ${name}`;
    this.backendItem.tooltip = [
      `LSMI compute backend (setting lsmi.backend: ${backendSetting()})`,
      `${reused ? 'Reused results were computed on' : 'Last estimation computed on'}: ${detail}`,
      'Click to open the LSMI output channel.',
    ].join('\n');
    this.backendItem.accessibilityInformation = { label: reused ? `LSMI reused results computed earlier on ${name}: ${detail}` : `LSMI computed on ${name}: ${detail}` };
    this.backendItem.show();
  }

  /** The one pool, (re)created when `lsmi.workers` changed and nothing is running. */
  private getPool(): WorkerPool {
    const size = workersSetting();
    const backendPath = backendPathSetting();
    if (this.pool && (this.poolSize !== size || this.poolBackendPath !== backendPath) && this.running.size === 0) {
      void this.pool.dispose();
      this.pool = undefined;
    }
    if (!this.pool) {
      this.pool = new WorkerPool({ size, backendPath });
      this.poolSize = size;
      this.poolBackendPath = backendPath;
      log().info(`estimation worker pool: ${size} worker${size === 1 ? '' : 's'}`);
    }
    return this.pool;
  }

  async command(uri?: vscode.Uri, args?: EstimateArgs): Promise<EstimateCommandResult | undefined> {
    // from the explorer's context menu the second argument is the selection (an array of Uris)
    if (Array.isArray(args) || typeof args !== 'object' || args === null) args = undefined;
    const file = uri instanceof vscode.Uri ? uri.fsPath : await pickRunFile('LSMI: pick a run to estimate', true);
    if (!file) return undefined;
    const base = estimatorSettings();
    let preset: Preset | undefined;
    if (args?.preset) {
      preset = PRESETS.find((p) => p.id === args.preset);
      if (!preset) return { ok: false, error: { code: 'BAD_SETTINGS', message: `unknown preset ${JSON.stringify(args.preset)} (${PRESETS.map((p) => p.id).join(', ')})` } };
    } else {
      const picked = await vscode.window.showQuickPick(
        PRESETS.map((p) => ({ label: p.label, description: p.description, detail: p.id === 'defaults' ? describe(base) : undefined, preset: p })),
        { title: `LSMI: estimate interactions on ${path.basename(file)}`, placeHolder: 'Choose the estimator settings' },
      );
      if (!picked) return undefined;
      preset = picked.preset;
    }
    const settings = merge(merge(base, preset.settings), args?.settings ?? {});
    // the engine's one validation, here before any work: a bad setting is reported at once
    try {
      resolveSettings(settings);
    } catch (e) {
      const error = estimateError(e);
      void vscode.window.showErrorMessage(`LSMI: ${error.message}`);
      return { ok: false, error };
    }
    return this.estimate(file, settings, args);
  }

  private async estimate(file: string, settings: SettingsInput, args?: EstimateArgs): Promise<EstimateCommandResult> {
    if (this.running.has(file)) {
      const error = { code: 'BUSY', message: `${file} is already being estimated.` };
      void vscode.window.showInformationMessage(`LSMI: ${error.message}`);
      return { ok: false, error };
    }
    const controller = new AbortController();
    this.running.set(file, controller);
    void vscode.commands.executeCommand('setContext', 'lsmi.estimating', true);
    const name = path.basename(file);
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `LSMI: estimating ${name}`, cancellable: true },
        async (progress, token) => {
          const sub = token.onCancellationRequested(() => controller.abort());
          let done = 0;
          try {
            return await this.getPool().estimateFile(
              file,
              { settings, columns: columnMappingSetting(), reuse: !args?.force, backend: backendSetting() },
              {
                signal: controller.signal,
                onFallback: (reason) => {
                  log().warn(`GPU backend not used for ${name}: ${reason}; computing on wasm`);
                  // 'auto' on a machine without a usable GPU is the normal case: the output channel
                  // and the results metadata say so; a requested GPU backend that fails, or a GPU
                  // process that crashed, is worth a notification
                  if (!/^auto: no usable GPU/.test(reason)) {
                    void vscode.window.showWarningMessage(`LSMI: GPU backend not used (${reason}). Computing on wasm.`);
                  }
                },
                onProgress: (e) => {
                  const pct = Math.round(e.fraction * 100);
                  progress.report({ message: e.message, increment: Math.max(0, pct - done) });
                  done = Math.max(done, pct);
                },
              },
            );
          } finally {
            sub.dispose();
          }
        },
      );
      log().info(`${result.reused ? 'reused' : 'wrote'} ${result.out}`);
      const backend = result.results.meta.backend;
      log().info(`backend${result.reused ? ' (of the reused results)' : ''}: ${backend.detail}`);
      for (const w of result.results.meta.warnings ?? []) log().warn(`${name}: ${w}`);
      // a reuse computed nothing now: say so, not "computed on"
      this.lastMessage = result.reused ? `LSMI: ${name}: results reused (computed earlier on ${backend.name})` : `LSMI: ${name} computed on ${backend.name}`;
      vscode.window.setStatusBarMessage(this.lastMessage, 15000);
      this.showBackend(backend.name, backend.detail, result.reused);
      if (args?.open !== false) await ResultsPanel.show(this.extensionUri, result.out);
      return { ok: true, out: result.out, reused: result.reused, dataset: result.results.meta.dataset };
    } catch (e) {
      if ((e as Error)?.name === 'AbortError') {
        const error = { code: 'CANCELLED', message: `the estimation of ${name} was cancelled; nothing was written.` };
        log().info(error.message);
        void vscode.window.showInformationMessage(`LSMI: ${error.message}`);
        return { ok: false, error };
      }
      const error = estimateError(e);
      log().error(`${error.code}: ${error.message}`);
      if (!isInputError(e)) log().error((e as Error)?.stack ?? String(e));
      void vscode.window.showErrorMessage(`LSMI: ${error.message}`);
      return { ok: false, error };
    } finally {
      this.running.delete(file);
      if (this.running.size === 0) void vscode.commands.executeCommand('setContext', 'lsmi.estimating', false);
    }
  }

  /**
   * LSMI: Cancel Estimation — the same as the progress notification's Cancel: aborts the estimation
   * of `uri`'s run, or with no argument the one in progress (a pick when there are several).
   * Returns the run files it cancelled.
   */
  async cancel(uri?: vscode.Uri): Promise<string[]> {
    let files = uri instanceof vscode.Uri ? [uri.fsPath].filter((f) => this.running.has(f)) : [...this.running.keys()];
    if (!(uri instanceof vscode.Uri) && files.length > 1) {
      const picked = await vscode.window.showQuickPick(files.map((f) => ({ label: path.basename(f), description: f, file: f })), {
        title: 'LSMI: cancel which estimation?',
        canPickMany: true,
      });
      files = picked?.map((p) => p.file) ?? [];
    }
    if (files.length === 0 && this.running.size === 0) void vscode.window.showInformationMessage('LSMI: no estimation is in progress.');
    for (const f of files) this.running.get(f)?.abort();
    return files;
  }

  dispose(): void {
    this.backendItem.dispose();
    void this.pool?.dispose();
    this.pool = undefined;
  }
}

function estimateError(e: unknown): UserError {
  if (isInputError(e) && e.code === 'BAD_SETTINGS') return { code: 'BAD_SETTINGS', message: `${e.message}. Check the lsmi.estimator settings.` };
  return toUserError(e);
}

const merge = mergeSettings;

function describe(input: SettingsInput): string {
  let s: ReturnType<typeof resolveSettings>;
  try {
    s = resolveSettings(input);
  } catch (e) {
    // reported when chosen (see command), not while listing the presets
    return `check the lsmi.estimator settings: ${(e as Error).message}`;
  }
  const parts = [
    s.mode === 'knife' ? 'KNIFE density' : 'EM density',
    `${s.probe} probe`,
    `calibration ${s.calibrate}`,
    `${s.covariance} covariance`,
    `K = ${s.components}`,
    `${s.prior} prior`,
    `${s.folds} folds`,
    `seed ${s.seed}`,
  ];
  if (s.replicates > 0) parts.push(`${s.replicates} replicate fits (≈ ${s.replicates + 1}× the time)`);
  return parts.join(' · ');
}
