/**
 * What a run must satisfy before an estimate starts, checked up front so that an input problem is
 * reported as one (an LsmiInputError naming the file, the column and the rows) instead of surfacing
 * later, mid-computation, as an internal error (docs/run-format.md, Validation): values so large that the fits overflow,
 * too few samples for the cross-fitting folds, a split without train samples, a class without
 * samples under the empirical prior. The reader (src/engine/io/validate.ts) has already checked the
 * format; these depend on the settings too.
 */
import { LsmiInputError, MAX_ROWS_REPORTED, describeRows } from '../errors';
import type { Matrix } from '../io/matrix';
import { HEADS, type RunData, SPLITS } from '../io/run';
import { effectiveFolds } from './heads';
import { MIN_ROWS_PER_FOLD } from './heads/crossfit';
import type { EstimatorSettings } from './settings';

/**
 * Embedding and logit values beyond this magnitude are refused: sums of squares over many rows
 * overflow float32 (3.4e38) long before float64, and covariances of such values are not positive
 * definite. Rescale (standardise) such embeddings.
 */
export const MAX_ABS_VALUE = 1e12;

export function preflight(run: RunData, settings: EstimatorSettings): void {
  const file = run.file;
  // extreme values
  const columns: [string, Matrix | undefined][] = [['emb_1', run.emb1], ['emb_2', run.emb2], ...HEADS.map((h): [string, Matrix | undefined] => [`logits_${h}`, run.logits[h]])];
  for (const [column, m] of columns) {
    if (!m) continue;
    const rows: number[] = [];
    let count = 0;
    let worst = 0;
    for (const c of m.chunks) {
      const d = c.data;
      for (let r = 0; r < c.rows; r++) {
        let bad = false;
        for (let j = r * m.cols; j < (r + 1) * m.cols; j++) {
          const a = Math.abs(d[j]);
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
        `${count} row(s) hold values beyond ±${MAX_ABS_VALUE.toExponential(0)} (up to ${worst.toExponential(2)}), at ${describeRows(rows, count)}. Values this large overflow the fits: standardise the ${column.startsWith('emb') ? 'embeddings' : 'logits'} (or check them for corruption).`,
      );
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
        throw new LsmiInputError('BAD_SPLIT', { file, column: 'split' }, `no sample has split 'train', so the probes (for the heads without logits) have nothing to fit on. Mark the samples to fit on as 'train', drop the split column, or give logits for every head.`);
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
  // a given prior must not rule out a class that has samples (log 0)
  if (settings.prior === 'empirical' && run.meta.labelPrior) {
    const present = new Uint8Array(run.nClasses);
    for (let i = 0; i < run.n; i++) present[run.labels[i]] = 1;
    const zero = run.meta.labelPrior.flatMap((p, k) => (p <= 0 && present[k] ? [k] : []));
    if (zero.length) {
      throw new LsmiInputError(
        'BAD_METADATA',
        { file },
        `the metadata's label_prior gives probability 0 to ${zero.length} class(es) that have samples: ${zero.slice(0, 5).map((k) => `${k} (${run.meta.classNames[k] ?? k})`).join(', ')}. Every class with samples needs p(y) > 0: fix label_prior, or use --prior uniform.`,
      );
    }
  }
  // the empirical prior needs every class
  if (settings.prior === 'empirical' && !run.meta.labelPrior) {
    const counts = new Array<number>(run.nClasses).fill(0);
    for (let i = 0; i < run.n; i++) counts[run.labels[i]]++;
    const empty = counts.flatMap((c, k) => (c === 0 ? [k] : []));
    if (empty.length) {
      const names = empty.slice(0, 5).map((k) => `${k} (${run.meta.classNames[k] ?? k})`).join(', ');
      throw new LsmiInputError(
        'EMPTY_CLASS',
        { file, column: 'label' },
        `${empty.length} of the ${run.nClasses} classes ${empty.length === 1 ? 'has' : 'have'} no sample: ${names}${empty.length > 5 ? ', ...' : ''}. Under the empirical label prior their p(y) is 0. Give the run a label_prior in its metadata, use the uniform prior (--prior uniform), or drop those classes from class_names.`,
      );
    }
  }
}
