/**
 * Settings of the dataset-level PID, the bounds and the ensemble (docs/pid.md, "Settings"), checked
 * by one table like the estimator's (src/engine/estimate/settings.ts): a bad value is a
 * `BAD_SETTINGS` error naming the setting, the value and what is accepted.
 */
import { settingsError } from '../estimate/settings';
import type { Scaling } from './discretise';

export interface PidSettings {
  /** k-means clusters per modality (Liang et al.: 20). */
  clusters: number;
  /** Principal components kept before clustering (Liang et al.: 5 on real data). */
  pcaDims: number;
  /** k-means++ starts; the lowest inertia wins (scikit-learn: 10). */
  inits: number;
  /** Lloyd iterations per start, at most. */
  maxIter: number;
  /** Row scaling before PCA: 'l2' (as the PID code), 'standardise' (z-score columns) or 'none'. */
  scale: Scaling;
  /** Root seed: the clustering and the label shuffles derive their streams from it. */
  seed: number;
  /** Label permutations of the null (mean of this many; 0: none). */
  shuffles: number;
  /** BROJA solver: stop at this duality gap (nats). */
  tol: number;
  /** BROJA solver: most steps. */
  maxSteps: number;
}

export const DEFAULT_PID_SETTINGS: PidSettings = { clusters: 20, pcaDims: 5, inits: 10, maxIter: 300, scale: 'l2', seed: 0, shuffles: 20, tol: 1e-6, maxSteps: 20000 };

export interface EnsembleSettings {
  /** Stratified folds of the out-of-fold protocol. */
  folds: number;
  seed: number;
  /** Paired bootstrap replicates of the intervals (0: none). */
  bootstrap: number;
  /** Level of the intervals. */
  level: number;
  /** τ grid of the LSMI-rule (0 = Additive). */
  taus: number[];
  /** L2 penalty of the LSMI-gate on standardised features. */
  gateL2: number;
}

export const DEFAULT_ENSEMBLE_SETTINGS: EnsembleSettings = { folds: 5, seed: 0, bootstrap: 2000, level: 0.95, taus: [0, 0.25, 0.5, 1, 2, 4], gateL2: 1e-2 };

type Check = (v: unknown) => string | undefined;
const int = (min: number, max: number): Check => (v) => (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? undefined : `an integer in [${min}, ${max}]`);
const num = (lo: number, hi: number, open = false): Check => (v) => (typeof v === 'number' && Number.isFinite(v) && (open ? v > lo : v >= lo) && v <= hi ? undefined : `a number in ${open ? '(' : '['}${lo}, ${hi}]`);
const oneOf = (...values: unknown[]): Check => (v) => (values.includes(v) ? undefined : `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`);

const PID_TABLE: Record<keyof PidSettings, Check> = {
  clusters: int(2, 1000),
  pcaDims: int(1, 1024),
  inits: int(1, 1000),
  maxIter: int(1, 100000),
  scale: oneOf('l2', 'standardise', 'none'),
  seed: int(0, 2 ** 32 - 1),
  shuffles: int(0, 1000),
  tol: num(0, 1, true),
  maxSteps: int(1, 10_000_000),
};

const ENSEMBLE_TABLE: Record<keyof EnsembleSettings, Check> = {
  folds: int(2, 100),
  seed: int(0, 2 ** 32 - 1),
  bootstrap: int(0, 100000),
  level: num(0, 1, true),
  taus: (v) => (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0 && x <= 100) ? undefined : 'a non-empty list of numbers in [0, 100]'),
  gateL2: num(0, 1e6),
};

function resolve<T extends object>(table: Record<keyof T, Check>, defaults: T, input: Partial<T> = {}): T {
  for (const key of Object.keys(input)) if (!(key in table)) throw settingsError(key, `unknown setting '${key}'`);
  const out = { ...defaults };
  for (const [k, v] of Object.entries(input)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  for (const [k, check] of Object.entries(table) as [string, Check][]) {
    const v = (out as Record<string, unknown>)[k];
    const expected = check(v);
    if (expected !== undefined) throw settingsError(k, `'${k}' must be ${expected}, got ${JSON.stringify(v) ?? 'nothing'}`);
  }
  return out;
}

/** The PID settings with defaults filled in; throws `BAD_SETTINGS`. */
export function resolvePidSettings(input?: Partial<PidSettings>): PidSettings {
  return resolve(PID_TABLE, DEFAULT_PID_SETTINGS, input);
}

/** The ensemble settings with defaults filled in; throws `BAD_SETTINGS`. */
export function resolveEnsembleSettings(input?: Partial<EnsembleSettings>): EnsembleSettings {
  return resolve(ENSEMBLE_TABLE, DEFAULT_ENSEMBLE_SETTINGS, input);
}
