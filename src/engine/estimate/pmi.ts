/**
 * Pointwise mutual information from a discriminator's logits (docs/estimator.md, "Pointwise mutual information"):
 *
 *   i(x; y) = log p(y|x) − log p(y)
 *
 * `log p(y|x)` is `log_softmax(logits)[y]`, computed in float64 with the max-shift, never as
 * `log(softmax)`: the official code takes the log of a float32 softmax, which underflows to −inf for
 * very confident wrong predictions. The label prior is the empirical one by default (label
 * frequencies of the analysed samples, or a prior supplied with the run); `uniform` (`−log C` for
 * every class) reproduces the official code, which is biased by `log C + log p(y)` per sample when
 * the classes are unbalanced.
 */
import type { Matrix } from '../io/matrix';

/** Relative tolerance on the sum of a supplied prior before it is renormalised. */
const PRIOR_SUM_TOLERANCE = 1e-3;

/**
 * log p(y) for each class y in [0, nClasses).
 *
 * - `uniform`: `−log nClasses` for every class (`given` is not consulted).
 * - `empirical`: `log` of `given` when provided (positive and finite, summing to 1 within 1e-3, then
 *   renormalised to sum exactly 1); otherwise `log(count_y / N)` from `labels`. A class with no
 *   sample has no empirical prior, so that is an error, as is a label outside [0, nClasses).
 */
export function logPrior(
  labels: Int32Array,
  nClasses: number,
  prior: 'empirical' | 'uniform',
  given?: readonly number[],
): Float64Array {
  if (!Number.isInteger(nClasses) || nClasses < 1) throw new Error(`the number of classes must be a positive integer (got ${nClasses})`);
  const out = new Float64Array(nClasses);
  if (prior === 'uniform') return out.fill(-Math.log(nClasses));
  if (given) {
    if (given.length !== nClasses) throw new Error(`the given label prior has ${given.length} entries, expected one per class (${nClasses})`);
    let sum = 0;
    for (let c = 0; c < nClasses; c++) {
      if (!(given[c] > 0) || !Number.isFinite(given[c])) throw new Error(`the given label prior must be positive and finite: class ${c} has ${given[c]}`);
      sum += given[c];
    }
    if (Math.abs(sum - 1) > PRIOR_SUM_TOLERANCE) throw new Error(`the given label prior sums to ${sum}, not 1`);
    for (let c = 0; c < nClasses; c++) out[c] = Math.log(given[c] / sum);
    return out;
  }
  const counts = classCounts(labels, nClasses);
  const empty: number[] = [];
  for (let c = 0; c < nClasses; c++) if (counts[c] === 0) empty.push(c);
  if (empty.length) {
    throw new Error(
      `no sample has class ${empty.slice(0, 10).join(', ')}${empty.length > 10 ? ', ...' : ''} (of ${nClasses} classes), so its empirical prior is 0: ` +
        'supply the label prior with the run, or use the uniform prior',
    );
  }
  for (let c = 0; c < nClasses; c++) out[c] = Math.log(counts[c] / labels.length);
  return out;
}

/** `log_softmax(logits[i])[labels[i]]` for every row i, in float64 (max-shifted log-sum-exp). */
export function logSoftmaxAt(logits: Matrix, labels: Int32Array): Float64Array {
  if (labels.length !== logits.rows) throw new Error(`${labels.length} labels for ${logits.rows} rows of logits`);
  const C = logits.cols;
  const out = new Float64Array(logits.rows);
  for (const chunk of logits.chunks) {
    const data = chunk.data;
    for (let r = 0; r < chunk.rows; r++) {
      const row = chunk.start + r;
      const y = labels[row];
      if (!(y >= 0 && y < C)) throw new Error(`row ${row}: label ${y} outside [0, ${C})`);
      const o = r * C;
      let max = -Infinity;
      for (let c = 0; c < C; c++) if (data[o + c] > max) max = data[o + c];
      let sum = 0;
      for (let c = 0; c < C; c++) sum += Math.exp(data[o + c] - max);
      out[row] = data[o + y] - max - Math.log(sum);
    }
  }
  return out;
}

/** i(x; y) = log p(y|x) − log p(y) per sample, with `logPriorPerClass` from {@link logPrior}. */
export function pointwiseMI(logProbY: Float64Array, labels: Int32Array, logPriorPerClass: Float64Array): Float64Array {
  if (labels.length !== logProbY.length) throw new Error(`${labels.length} labels for ${logProbY.length} values`);
  const out = new Float64Array(logProbY.length);
  for (let i = 0; i < out.length; i++) {
    const y = labels[i];
    if (!(y >= 0 && y < logPriorPerClass.length)) throw new Error(`row ${i}: label ${y} outside [0, ${logPriorPerClass.length})`);
    out[i] = logProbY[i] - logPriorPerClass[y];
  }
  return out;
}

function classCounts(labels: Int32Array, nClasses: number): Float64Array {
  const counts = new Float64Array(nClasses);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (!(y >= 0 && y < nClasses)) throw new Error(`row ${i}: label ${y} outside [0, ${nClasses})`);
    counts[y]++;
  }
  return counts;
}
