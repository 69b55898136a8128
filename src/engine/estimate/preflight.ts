/**
 * What a run must satisfy before an estimate starts, checked up front so that an input problem is
 * reported as one (an LsmiInputError naming the file, the column and the rows) instead of surfacing
 * later, mid-computation, as an internal error (docs/run-format.md, Validation): a single class,
 * values so large (or an embedding so nearly constant) that the 32-bit fits overflow or underflow,
 * too few samples for the cross-fitting folds and the calibration, a split without train samples, a
 * class without samples under the empirical prior, a label prior of 0. The reader
 * (src/engine/io/validate.ts) has already checked the format; these depend on the settings too.
 */
import { LsmiInputError, MAX_ROWS_REPORTED, describeRows } from '../errors';
import type { Matrix } from '../io/matrix';
import { type ColumnMapping, HEADS, type RunData, SPLITS, type StandardColumn, columnName } from '../io/run';
import { CALIBRATION_FOLDS, effectiveFolds } from './heads';
import { MIN_ROWS_PER_FOLD } from './heads/crossfit';
import type { EstimatorSettings } from './settings';

/**
 * Embedding and logit values beyond this magnitude are refused: sums of squares over many rows
 * overflow float32 (3.4e38) long before float64, and covariances of such values are not positive
 * definite. Rescale (standardise) such embeddings.
 */
export const MAX_ABS_VALUE = 1e12;

/**
 * An embedding that is not constant but whose values span less than this (max − min, in its
 * widest dimension) is refused: the probes treat every dimension as constant and the density's
 * variances underflow float32 (an exactly constant embedding is accepted: it carries no information,
 * and the fits handle that).
 */
export const MIN_SPREAD = 1e-12;

/** Samples a run needs at least: {@link MIN_ROWS_PER_FOLD} in each half of the calibration's cross-fit. */
export const MIN_SAMPLES = CALIBRATION_FOLDS * MIN_ROWS_PER_FOLD;

export interface PreflightOptions {
  /** The user's column names (`--columns`, `lsmi.columns`), so messages name the columns as in the file. */
  columns?: ColumnMapping;
}

export function preflight(run: RunData, settings: EstimatorSettings, opts: PreflightOptions = {}): void {
  const file = run.file;
  const col = (c: StandardColumn) => columnName(c, opts.columns);
  const named = (k: number) => `${k} (${run.meta.classNames[k] ?? k})`;
  // a single class: nothing to decompose
  if (run.nClasses < 2) {
    throw new LsmiInputError(
      'TOO_FEW_CLASSES',
      { file, column: col('label') },
      `the run has a single class, so its labels carry no information and r, u1, u2 and s would all be 0. Check that '${col('label')}' holds the class indices, and list every class in the metadata's class_names (or give logits with one value per class).`,
    );
  }
  // extreme values
  const columns: [StandardColumn, Matrix | undefined][] = [['emb_1', run.emb1], ['emb_2', run.emb2], ...HEADS.map((h): [StandardColumn, Matrix | undefined] => [`logits_${h}`, run.logits[h]])];
  for (const [std, m] of columns) {
    if (!m) continue;
    const column = col(std);
    const embedding = std.startsWith('emb');
    const d = m.cols;
    const lo = new Float64Array(d).fill(Infinity);
    const hi = new Float64Array(d).fill(-Infinity);
    const rows: number[] = [];
    let count = 0;
    let worst = 0;
    for (const c of m.chunks) {
      const x = c.data;
      for (let r = 0; r < c.rows; r++) {
        let bad = false;
        for (let k = 0, j = r * d; k < d; k++, j++) {
          const v = x[j];
          if (v < lo[k]) lo[k] = v;
          if (v > hi[k]) hi[k] = v;
          const a = Math.abs(v);
          if (a > MAX_ABS_VALUE) {
            bad = true;
            if (a > worst) worst = a;
          }
        }
        if (bad) {
          count++;
          if (rows.length < MAX_ROWS_REPORTED) rows.push(c.start + r);
        }
      }
    }
    if (count) {
      throw new LsmiInputError(
        'EXTREME_VALUES',
        { file, column, rows },
        `${count} row(s) hold values beyond ±${MAX_ABS_VALUE.toExponential(0)} (up to ${worst.toExponential(2)}), at ${describeRows(rows, count)}. Values this large overflow the fits: standardise the ${embedding ? 'embeddings' : 'logits'} (or check them for corruption).`,
      );
    }
    if (embedding && m.rows > 1) {
      let spread = 0;
      for (let k = 0; k < d; k++) spread = Math.max(spread, hi[k] - lo[k]);
      if (spread > 0 && spread < MIN_SPREAD) {
        throw new LsmiInputError(
          'EXTREME_VALUES',
          { file, column },
          `the values vary by at most ${spread.toExponential(2)} in any dimension (max − min over the rows), below ${MIN_SPREAD.toExponential(0)}: too little for the 32-bit fits (the probes would take the embedding for constant, and the density's variances underflow). Standardise the embeddings (or check them for corruption).`,
        );
      }
    }
  }
  // the cross-fitting of the probes (heads without logits)
  const needsProbe = HEADS.some((h) => !run.logits[h]);
  if (needsProbe) {
    let train = run.n;
    if (run.split) {
      train = 0;
      for (let i = 0; i < run.n; i++) if (run.split[i] === SPLITS.indexOf('train')) train++;
      if (train === 0) {
        throw new LsmiInputError('BAD_SPLIT', { file, column: col('split') }, `no sample has split 'train', so the probes (for the heads without logits) have nothing to fit on. Mark the samples to fit on as 'train', drop the split column, or give logits for every head.`);
      }
    }
    const { folds } = effectiveFolds(run, settings);
    if (train < folds * MIN_ROWS_PER_FOLD) {
      const what = run.split ? 'train samples' : 'samples';
      const most = Math.floor(train / MIN_ROWS_PER_FOLD);
      throw new LsmiInputError(
        'TOO_FEW_SAMPLES',
        { file, setting: 'folds' },
        `${folds}-fold cross-fitting of the probes needs at least ${MIN_ROWS_PER_FOLD} ${what} per fold (${folds * MIN_ROWS_PER_FOLD} in all), but the run has ${train}. ` +
          (most >= 2
            ? `Use --folds ${most === 2 ? 2 : `${most} or fewer`} (setting folds), or give logits for every head.`
            : `A probe needs at least ${2 * MIN_ROWS_PER_FOLD} ${what}; give logits for every head instead.`),
      );
    }
  }
  // the calibration of every head (given logits too) is cross-fitted on two halves
  if (run.n < MIN_SAMPLES) {
    throw new LsmiInputError(
      'TOO_FEW_SAMPLES',
      { file },
      `the run has ${run.n} sample(s); an estimate needs at least ${MIN_SAMPLES} (every head is calibrated out of fold, on two halves of at least ${MIN_ROWS_PER_FOLD}), and a few hundred to be worth reading. Export more samples.`,
    );
  }
  // a given prior must not rule out a class (log 0)
  if (settings.prior === 'empirical' && run.meta.labelPrior) {
    const present = new Uint8Array(run.nClasses);
    for (let i = 0; i < run.n; i++) present[run.labels[i]] = 1;
    const zero = run.meta.labelPrior.flatMap((p, k) => (!(p > 0) && present[k] ? [k] : []));
    if (zero.length) {
      throw new LsmiInputError(
        'BAD_METADATA',
        { file },
        `the metadata's label_prior gives probability 0 to ${zero.length} class(es) that have samples: ${zero.slice(0, 5).map(named).join(', ')}. Every class with samples needs p(y) > 0: fix label_prior, or use --prior uniform.`,
      );
    }
    const absent = run.meta.labelPrior.flatMap((p, k) => (!(p > 0) ? [k] : []));
    if (absent.length) {
      throw new LsmiInputError(
        'BAD_METADATA',
        { file },
        `the metadata's label_prior gives probability 0 to ${absent.length} class(es) without samples: ${absent.slice(0, 5).map(named).join(', ')}${absent.length > 5 ? ', ...' : ''}. The estimate needs log p(y) of every class: give them a small positive prior, drop them from class_names (and the logits), or use --prior uniform.`,
      );
    }
  }
  // the empirical prior needs every class
  if (settings.prior === 'empirical' && !run.meta.labelPrior) {
    const counts = new Array<number>(run.nClasses).fill(0);
    for (let i = 0; i < run.n; i++) counts[run.labels[i]]++;
    const empty = counts.flatMap((c, k) => (c === 0 ? [k] : []));
    if (empty.length) {
      const names = empty.slice(0, 5).map(named).join(', ');
      throw new LsmiInputError(
        'EMPTY_CLASS',
        { file, column: col('label') },
        `${empty.length} of the ${run.nClasses} classes ${empty.length === 1 ? 'has' : 'have'} no sample: ${names}${empty.length > 5 ? ', ...' : ''}. Under the empirical label prior their p(y) is 0. Give the run a label_prior in its metadata, use the uniform prior (--prior uniform), or drop those classes from class_names.`,
      );
    }
  }
}
