/**
 * The probe families behind one interface (scikit-learn style: fit separate from score, a report
 * with what was chosen). A family instance belongs to one head: it may precompute per-block
 * statistics for the cross-fit (`prepare`), so that fits on unions of blocks are cheap (LDA).
 *
 * - `select(train, val)`: fit on `train`, return the logits of `val` and the tuning found there
 *   (logistic regression's penalty); used by `probe: 'auto'` to compare families on held-out rows.
 * - `fit(train, tuning)`: the model that scores held-out rows; without a tuning, a family that needs
 *   one finds it on an inner split of `train` first.
 */
import type { Rng } from '../../random';
import type { EstimatorSettings, ProbeFamily } from '../settings';
import type { HeadData } from './rows';

export interface FamilyContext {
  settings: EstimatorSettings;
  rng: Rng;
  signal?: AbortSignal;
  /** Progress of this call in [0, 1]. */
  onProgress?: (fraction: number) => void;
  /** In a selection: the best calibrated held-out log-loss of the candidates tried so far (racing). */
  bestSoFar?: number;
}

/** Hyperparameters found in a selection and reused by the fits it chose for. */
export interface Tuning {
  /** Logistic regression: λ per row of the selection's training set (scaled by rows when reused). */
  penalty?: number;
  /** LDA: the shrinkage chosen on the selection's held-out rows. */
  shrinkage?: number;
  /** Rows the tuning was found on. */
  rows?: number;
}

export interface TrainingSet {
  rows: Int32Array;
  /** When the rows are exactly the union of these prepared blocks (cheap fits for LDA). */
  blocks?: number[];
}

export interface FittedProbe {
  family: ProbeFamily;
  /** What the fit chose, e.g. 'shrinkage 0.031', 'λ = 1e-3', '12 epochs'. */
  detail: string;
  /** Logits (rows.length × C, row-major). */
  score(rows: Int32Array, signal?: AbortSignal): Promise<Float32Array>;
}

export interface Selected {
  /** Logits of the validation rows. */
  valLogits: Float32Array;
  tuning: Tuning;
  detail: string;
}

export interface ProbeFamilyImpl {
  readonly name: ProbeFamily;
  prepare?(blocks: Int32Array[], ctx: FamilyContext): Promise<void>;
  select(train: Int32Array, val: Int32Array, ctx: FamilyContext): Promise<Selected>;
  fit(train: TrainingSet, tuning: Tuning | undefined, ctx: FamilyContext): Promise<FittedProbe>;
}

export type FamilyFactory = (data: HeadData) => ProbeFamilyImpl;
