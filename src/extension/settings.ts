/** Typed access to the `lsmi.*` settings. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { type BackendRequest, isBackendRequest, defaultPoolSize, CALIBRATIONS, COVARIANCES, PROBE_CHOICES, type SettingsInput, type ColumnMapping, STANDARD_COLUMNS } from '../engine';
import { log } from './output';

export function columnMappingSetting(): ColumnMapping | undefined {
  const raw = vscode.workspace.getConfiguration('lsmi').get<Record<string, unknown>>('columns') ?? {};
  const mapping: ColumnMapping = {};
  for (const [k, v] of Object.entries(raw)) {
    if ((STANDARD_COLUMNS as readonly string[]).includes(k) && typeof v === 'string' && v) mapping[k as keyof ColumnMapping] = v;
    else log().warn(`ignoring lsmi.columns entry ${JSON.stringify(k)}: ${JSON.stringify(v)} (keys: ${STANDARD_COLUMNS.join(', ')})`);
  }
  return Object.keys(mapping).length ? mapping : undefined;
}

/** The estimator defaults from `lsmi.estimator.*` (unset or invalid values fall back to the engine's defaults). */
export function estimatorSettings(): SettingsInput {
  const c = vscode.workspace.getConfiguration('lsmi.estimator');
  const out: SettingsInput = {};
  const mode = c.get<string>('mode');
  if (mode === 'em' || mode === 'knife') out.mode = mode;
  const pick = <T extends string>(key: string, allowed: readonly T[]): T | undefined => {
    const v = c.get<string>(key);
    if (v === undefined || v === null) return undefined;
    if ((allowed as readonly string[]).includes(v)) return v as T;
    log().warn(`ignoring lsmi.estimator.${key} = ${JSON.stringify(v)} (${allowed.join(', ')})`);
    return undefined;
  };
  out.covariance = pick('covariance', ['auto', ...COVARIANCES]);
  out.probe = pick('probe', PROBE_CHOICES);
  out.calibrate = pick('calibrate', CALIBRATIONS);
  const prior = c.get<string>('prior');
  if (prior === 'empirical' || prior === 'uniform') out.prior = prior;
  const int = (key: string, min: number) => {
    const v = c.get<number>(key);
    if (typeof v === 'number' && Number.isInteger(v) && v >= min) return v;
    if (v !== undefined && v !== null) log().warn(`ignoring lsmi.estimator.${key} = ${JSON.stringify(v)} (an integer ≥ ${min} is expected)`);
    return undefined;
  };
  const k = int('components', 0);
  out.components = k === 0 ? 'auto' : k;
  out.folds = int('folds', 2);
  out.seed = int('seed', 0);
  // passed on as set: the engine's validation table (resolveSettings) reports a value out of range
  // (replicates 0..100, bootstrap 0..100000) as BAD_SETTINGS naming the setting, before any work
  out.replicates = int('replicates', 0);
  const bootstrap = int('bootstrap', 0);
  if (bootstrap !== undefined) out.bootstrap = { replicates: bootstrap };
  return out;
}

/** `lsmi.workers`: worker threads for estimations; 0 (default) = available cores − 1. */
export function workersSetting(): number {
  const v = vscode.workspace.getConfiguration('lsmi').get<number>('workers') ?? 0;
  return Number.isInteger(v) && v > 0 ? v : defaultPoolSize();
}

/** `lsmi.backend`: auto (default) | webgpu | tensorflow-gpu | wasm | cpu. */
export function backendSetting(): BackendRequest {
  const v = vscode.workspace.getConfiguration('lsmi').get<string>('backend') ?? 'auto';
  if (isBackendRequest(v)) return v;
  log().warn(`ignoring lsmi.backend = ${JSON.stringify(v)} (auto, webgpu, tensorflow-gpu, wasm or cpu)`);
  return 'auto';
}

/** `lsmi.backendPath`: a folder where the optional GPU packages are installed; undefined when unset. */
export function backendPathSetting(): string | undefined {
  const v = vscode.workspace.getConfiguration('lsmi').get<string>('backendPath');
  const dir = typeof v === 'string' ? v.trim() : '';
  if (!dir) return undefined;
  // code in that folder gets loaded: never in an untrusted workspace, only absolute local paths
  if (!vscode.workspace.isTrusted) {
    log().warn(`ignoring lsmi.backendPath in an untrusted workspace (${dir})`);
    return undefined;
  }
  if (!path.isAbsolute(dir) || /^(\\\\|\/\/)/.test(dir)) {
    log().warn(`ignoring lsmi.backendPath = ${JSON.stringify(dir)}: use an absolute local folder (no network paths)`);
    return undefined;
  }
  return dir;
}
