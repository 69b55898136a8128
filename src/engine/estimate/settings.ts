/**
 * Estimator settings, scikit-learn style: every hyperparameter explicit, with a default, checked by
 * one validation table ({@link validateSettings}, one `BAD_SETTINGS` error for the CLI, the VS Code
 * host and the engine alike) and recorded in the results file so a result says how it was made.
 * What `auto` resolved to (probe families, K, covariance, the large-N schedule) is recorded beside
 * the settings, in the results' `effective` metadata.
 */
import { LsmiInputError } from '../errors';

export type DensityMode = 'em' | 'knife';
export type Covariance = 'diag' | 'full' | 'tied';
export type ProbeFamily = 'lda' | 'logistic' | 'mlp';
export type ProbeChoice = 'auto' | ProbeFamily;
export type Calibration = 'temperature' | 'bias' | 'vector' | 'none';

export const PROBE_FAMILIES: readonly ProbeFamily[] = ['lda', 'logistic', 'mlp'];
export const PROBE_CHOICES: readonly ProbeChoice[] = ['auto', ...PROBE_FAMILIES];
export const CALIBRATIONS: readonly Calibration[] = ['temperature', 'bias', 'vector', 'none'];
export const COVARIANCES: readonly Covariance[] = ['diag', 'full', 'tied'];

/** The MLP probe `in → h → ReLU → h → ReLU → C` (the official architecture). */
export interface MlpSettings {
  /** Hidden width (official: 64). */
  hidden: number;
  /** Most epochs (with early stopping), or the fixed epoch count (patience 0). */
  epochs: number;
  batchSize: number;
  learningRate: number;
  /**
   * Early stopping on an inner validation split of the training rows: when the validation log-loss
   * has not improved for `patience` epochs, the best weights are restored and the learning rate is
   * multiplied by `gamma` once; the next plateau stops training. 0: a fixed schedule instead
   * (StepLR: ×`gamma` every `stepSize` epochs, all `epochs` run; the official code is 30 epochs,
   * batch 32, lr 1e-3, StepLR(15)).
   */
  patience: number;
  /** Share of the training rows held out for early stopping (stratified). */
  valFraction: number;
  stepSize: number;
  gamma: number;
  /** Adam's L2 weight decay (official: 0). */
  weightDecay: number;
}

/** L2-penalised multinomial logistic regression on standardised inputs. */
export interface LogisticSettings {
  /**
   * Penalties λ tried, strongest first (objective: mean cross-entropy + λ/2·‖W‖²); the one with the
   * lowest held-out log-loss is used. One value: no search.
   */
  penalties: number[];
  /** L-BFGS iterations per penalty. */
  maxIter: number;
  /** Stop when the relative objective decrease is below this. */
  tol: number;
}

/** Linear discriminant analysis: Gaussian classes with one shared, shrunk covariance. */
export interface LdaSettings {
  /**
   * Shrinkage towards a scaled identity (on standardised inputs): 'auto' (the lowest held-out
   * log-loss over a grid that includes the OAS value, on one held-out block of the training rows),
   * 'oas' (the OAS rule) or a fixed value in [0, 1].
   */
  shrinkage: 'auto' | 'oas' | number;
}

/** How `probe: 'auto'` picks a family for each head, inside the cross-fit. */
export interface SelectionSettings {
  /** Candidates fit on at most this many rows of the selection half (a seeded, stratified subsample). */
  maxRows: number;
  /** Share of the selection rows held out to score the candidates. */
  valFraction: number;
}

export interface EmSettings {
  /** Maximum EM iterations. */
  maxIter: number;
  /** Stop when the mean log-likelihood improves by less than this (nats per sample). */
  tol: number;
  /** Variance floor, relative to each dimension's overall variance. */
  varFloor: number;
  /** Full covariance only: fit on at most this many rows (a seeded subsample), score all rows. */
  fitSubsample: number;
  /**
   * Diagonal and tied covariance: fit on at most this many rows (a seeded subsample), score all rows.
   * A K-component diagonal mixture has 2·K·d parameters; 30000 rows pin them down, and the fit's cost
   * no longer grows with N (measured: N = 1e5, d = 512 from 157 s to the figures in BENCHMARKS.md).
   */
  diagFitSubsample: number;
  /**
   * Full covariance: 'em' fits it by EM from a diagonal start (K separate covariances); 'shrunk'
   * from a tied fit, each component's covariance shrunk toward the pooled one by a λ chosen on
   * held-out rows (scales to large d: docs/estimator.md, "Full covariance"); 'auto' (the default)
   * 'em' when its predicted cost fits `densitySearch.budgetSeconds`, else 'shrunk'.
   */
  fullFit: 'auto' | 'em' | 'shrunk';
}

/**
 * `components: 'auto'` / `covariance: 'auto'`: the density chosen by held-out log-likelihood (see
 * src/engine/estimate/density/search.ts).
 */
export interface DensitySearchSettings {
  /** K values tried, smallest first (those above half the search's fit rows are skipped). */
  candidates: number[];
  /** Share of the (subsampled) rows held out to score each candidate. */
  valFraction: number;
  /** The search fits and scores at most this many rows (a seeded subsample). */
  maxRows: number;
  /** EM iterations per candidate at most (the held-out ranking settles long before EM's last small gains). */
  maxIter: number;
  /**
   * Seconds per modality for the search, the refit of its choice and the scoring of every row:
   * candidates predicted to exceed what is left are skipped (and reported).
   */
  budgetSeconds: number;
}

/** Confidence intervals of the dataset atoms and class means (src/engine/uncertainty.ts). */
export interface BootstrapSettings {
  /** Bootstrap replicates for the dataset atoms (0: no intervals). */
  replicates: number;
  /** Coverage of every interval. */
  level: number;
}

export interface KnifeSettings {
  epochs: number;
  batchSize: number;
  learningRate: number;
  stepSize: number;
  gamma: number;
  useTanh: boolean;
  /** The official code never calls optimizer.zero_grad(); true fixes that (default). */
  zeroGrad: boolean;
}

export interface EstimatorSettings {
  /** Density model for h(x): closed-form EM (default) or the official KNIFE fit (parity). */
  mode: DensityMode;
  /** Mixture covariance; 'auto' picks by held-out log-likelihood (KNIFE: diag). */
  covariance: 'auto' | Covariance;
  /** Mixture components K; 'auto' picks by held-out log-likelihood (KNIFE: 5, the official value). */
  components: 'auto' | number;
  /** Label prior p(y): label frequencies of the analysed samples (or the run's metadata), or uniform (official). */
  prior: 'empirical' | 'uniform';
  /** K-fold cross-fitting of the probes (every sample is scored out of fold) and of the calibration. */
  folds: number;
  /** The root seed: every stage's random stream is derived from it (see `stageRng`). */
  seed: number;
  /** Probe family for heads without logits; 'auto': per head, the lowest held-out log-loss. */
  probe: ProbeChoice;
  /** Calibration of every head (probes and given logits), fitted out of fold. */
  calibrate: Calibration;
  /**
   * Large-N schedule: when a probe would train on more than this many rows, cross-fit with 2 folds
   * instead of `folds` (each fit still sees 50 000+ rows). 0 disables it.
   */
  largeN: number;
  /**
   * Per-sample stability (opt-in): re-estimate this many times with seeds forked from `seed` (new
   * folds, new calibration halves, new density fits) and store each sample's standard deviation of
   * r, u1, u2, s over all the fits. Costs about (1 + replicates) × one estimate. 0: off.
   */
  replicates: number;
  mlp: MlpSettings;
  logistic: LogisticSettings;
  lda: LdaSettings;
  selection: SelectionSettings;
  em: EmSettings;
  densitySearch: DensitySearchSettings;
  bootstrap: BootstrapSettings;
  knife: KnifeSettings;
}

export const DEFAULT_SETTINGS: EstimatorSettings = {
  mode: 'em',
  covariance: 'auto',
  components: 'auto',
  prior: 'empirical',
  folds: 5,
  seed: 0,
  probe: 'auto',
  calibrate: 'temperature',
  largeN: 40000,
  replicates: 0,
  mlp: { hidden: 64, epochs: 40, batchSize: 128, learningRate: 2e-3, patience: 2, valFraction: 0.1, stepSize: 3, gamma: 0.1, weightDecay: 0 },
  logistic: { penalties: [1e-1, 1e-2, 1e-3, 1e-4], maxIter: 100, tol: 1e-5 },
  lda: { shrinkage: 'auto' },
  selection: { maxRows: 2000, valFraction: 0.25 },
  em: { maxIter: 200, tol: 1e-3, varFloor: 1e-6, fitSubsample: 20000, diagFitSubsample: 30000, fullFit: 'auto' },
  densitySearch: { candidates: [1, 2, 4, 8, 16, 32], valFraction: 0.2, maxRows: 10000, maxIter: 30, budgetSeconds: 15 },
  bootstrap: { replicates: 1000, level: 0.95 },
  knife: { epochs: 30, batchSize: 32, learningRate: 1e-3, stepSize: 20, gamma: 0.1, useTanh: true, zeroGrad: true },
};

/** The groups of settings that are objects (merged key by key). */
export const SETTING_GROUPS = ['mlp', 'logistic', 'lda', 'selection', 'em', 'densitySearch', 'bootstrap', 'knife'] as const;
type Group = (typeof SETTING_GROUPS)[number];

export type SettingsInput = { [K in Exclude<keyof EstimatorSettings, Group>]?: EstimatorSettings[K] } & { [K in Group]?: Partial<EstimatorSettings[K]> };

/** Defaults, then the input (undefined values ignored); the result is validated. */
export function resolveSettings(input: SettingsInput = {}): EstimatorSettings {
  const d = DEFAULT_SETTINGS;
  const out: Record<string, unknown> = { ...d, ...stripUndefined(input) };
  for (const g of SETTING_GROUPS) out[g] = { ...d[g], ...stripUndefined((input[g] ?? {}) as object) };
  const s = out as unknown as EstimatorSettings;
  validateSettings(s);
  return s;
}

/** Input a on the left, b on the right (b wins), group by group. */
export function mergeSettings(a: SettingsInput, b: SettingsInput): SettingsInput {
  const out: Record<string, unknown> = { ...stripUndefined(a), ...stripUndefined(b) };
  for (const g of SETTING_GROUPS) {
    const merged = { ...stripUndefined((a[g] ?? {}) as object), ...stripUndefined((b[g] ?? {}) as object) };
    if (Object.keys(merged).length) out[g] = merged;
    else delete out[g];
  }
  return out as SettingsInput;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

// ---------------------------------------------------------------------------------------------
// The one validation table

/** A constraint returns what was expected when the value breaks it, undefined when it is fine. */
type Constraint = (v: unknown) => string | undefined;

const oneOf = (...values: readonly unknown[]): Constraint => (v) => (values.includes(v) ? undefined : `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`);
const int = (min: number, max = Number.MAX_SAFE_INTEGER): Constraint => (v) =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? undefined : max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer in [${min}, ${max}]`;
const num = (lo: number, hi: number, { openLo = false, openHi = false } = {}): Constraint => (v) =>
  typeof v === 'number' && Number.isFinite(v) && (openLo ? v > lo : v >= lo) && (openHi ? v < hi : v <= hi)
    ? undefined
    : `a number in ${openLo ? '(' : '['}${lo}, ${hi === Infinity ? '∞' : hi}${openHi || hi === Infinity ? ')' : ']'}`;
const positive = num(0, Infinity, { openLo: true });
const bool: Constraint = (v) => (typeof v === 'boolean' ? undefined : 'true or false');
const either = (a: Constraint, b: Constraint): Constraint => (v) => (a(v) === undefined || b(v) === undefined ? undefined : `${a(v)} or ${b(v)}`);
const list = (item: Constraint, minLength = 1): Constraint => (v) =>
  Array.isArray(v) && v.length >= minLength && v.every((x) => item(x) === undefined) ? undefined : `a list of at least ${minLength} value${minLength === 1 ? '' : 's'}, each ${item(NaN) ?? 'valid'}`;

/** Every setting, by its dotted path, with the values it accepts. */
export const SETTINGS_TABLE: Record<string, Constraint> = {
  mode: oneOf('em', 'knife'),
  covariance: oneOf('auto', ...COVARIANCES),
  components: either(oneOf('auto'), int(1)),
  prior: oneOf('empirical', 'uniform'),
  folds: int(2, 100),
  seed: int(0, 2 ** 32 - 1),
  probe: oneOf(...PROBE_CHOICES),
  calibrate: oneOf(...CALIBRATIONS),
  largeN: int(0),
  replicates: int(0, 100),
  'mlp.hidden': int(1, 4096),
  'mlp.epochs': int(1, 10000),
  'mlp.batchSize': int(1),
  'mlp.learningRate': positive,
  'mlp.patience': int(0, 1000),
  'mlp.valFraction': num(0, 0.5, { openLo: true }),
  'mlp.stepSize': int(1),
  'mlp.gamma': positive,
  'mlp.weightDecay': num(0, Infinity),
  'logistic.penalties': list(positive),
  'logistic.maxIter': int(1, 100000),
  'logistic.tol': positive,
  'lda.shrinkage': either(oneOf('auto', 'oas'), num(0, 1)),
  'selection.maxRows': int(20),
  'selection.valFraction': num(0, 0.5, { openLo: true }),
  'em.maxIter': int(0),
  'em.tol': positive,
  'em.varFloor': positive,
  'em.fitSubsample': int(1),
  'em.diagFitSubsample': int(1),
  'em.fullFit': oneOf('auto', 'em', 'shrunk'),
  'densitySearch.candidates': list(int(1)),
  'densitySearch.valFraction': num(0, 0.5, { openLo: true }),
  'densitySearch.maxRows': int(20),
  'densitySearch.maxIter': int(1),
  'densitySearch.budgetSeconds': positive,
  'bootstrap.replicates': int(0, 100000),
  'bootstrap.level': num(0.5, 1, { openHi: true }),
  'knife.epochs': int(1),
  'knife.batchSize': int(1),
  'knife.learningRate': positive,
  'knife.stepSize': int(1),
  'knife.gamma': positive,
  'knife.useTanh': bool,
  'knife.zeroGrad': bool,
};

/** A setting that cannot be used: a user's input problem, never an internal error. */
export function settingsError(setting: string, message: string): LsmiInputError {
  return new LsmiInputError('BAD_SETTINGS', { file: '', setting }, message);
}

/** Checks one setting of {@link SETTINGS_TABLE} (e.g. 'bootstrap.replicates' of Compare Runs); throws `BAD_SETTINGS`. */
export function validateSetting(path: keyof typeof SETTINGS_TABLE, value: unknown): void {
  const expected = SETTINGS_TABLE[path](value);
  if (expected !== undefined) throw settingsError(path, `'${path}' must be ${expected}, got ${JSON.stringify(value) ?? 'nothing'}`);
}

/**
 * Checks every setting against {@link SETTINGS_TABLE} (and that there are no unknown ones), and,
 * given the run's size, what depends on it. Throws an {@link LsmiInputError} with code
 * `BAD_SETTINGS` naming the setting, the value and what is accepted.
 */
export function validateSettings(s: EstimatorSettings, run?: { n: number; file?: string }): void {
  const known = new Set(Object.keys(SETTINGS_TABLE));
  for (const [key, value] of Object.entries(s)) {
    if ((SETTING_GROUPS as readonly string[]).includes(key)) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw settingsError(key, `'${key}' must be an object of settings`);
      for (const sub of Object.keys(value)) if (!known.has(`${key}.${sub}`)) throw settingsError(`${key}.${sub}`, `unknown setting '${key}.${sub}'`);
    } else if (!known.has(key)) {
      throw settingsError(key, `unknown setting '${key}'`);
    }
  }
  for (const [path, check] of Object.entries(SETTINGS_TABLE)) {
    const [a, b] = path.split('.');
    const value = b === undefined ? (s as unknown as Record<string, unknown>)[a] : ((s as unknown as Record<string, Record<string, unknown>>)[a] ?? {})[b];
    const expected = check(value);
    if (expected !== undefined) throw settingsError(path, `'${path}' must be ${expected}, got ${JSON.stringify(value) ?? 'nothing'}`);
  }
  if (s.mode === 'knife' && s.covariance === 'tied') {
    throw settingsError('covariance', "KNIFE (mode 'knife') has diagonal or full covariance only: use covariance 'diag', 'full' or 'auto'");
  }
  if (run && typeof s.components === 'number' && s.components > run.n) {
    throw new LsmiInputError('BAD_SETTINGS', { file: run.file ?? '', setting: 'components' }, `'components' (${s.components}) exceeds the number of samples (${run.n}): a mixture needs at least one sample per component. Use at most ${run.n} components, or 'auto'`);
  }
}
