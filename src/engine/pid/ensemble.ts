/**
 * The interaction-guided ensemble (LSMI paper §4.3.3; docs/pid.md, "Interaction-guided ensemble"),
 * beside the single heads, a simple average and a likelihood-weighted ensemble, all scored out of
 * fold on the same samples.
 *
 * Members are the heads of every run (p1, p2, p12 of each). Every variant is a linear pool Σ_k w_k p_k.
 * Interactions cannot use the label of the sample being predicted, so the guide is label-free: for
 * every class c, i_m(c) = ln p_m(c) − ln π(c) and r(c), u1(c), u2(c), s(c) by the LSMI formulas
 * (h1, h2 do not depend on y), averaged with q(c) = p12(c) into r̄, ū1, ū2, s̄, then across runs.
 *
 * - Additive: equal weights. Weighted: global weights on the simplex maximising the log-likelihood
 *   (EM). LSMI-rule: w = softmax(τ·z), z = ū1 for a head-1 member, ū2 for head 2, s̄ for head 12, τ
 *   from a grid by log-loss (τ = 0 is Additive). LSMI-gate: w = softmax(Θ·[1, r̄, ū1, ū2, s̄]) per
 *   sample, L2 on standardised features, L-BFGS.
 * - Protocol: stratified K folds (seeded); per fold, π, the weights, τ and Θ are fitted on the other
 *   folds and the held-out fold is predicted from its inputs only. Accuracy (argmax, ties to the
 *   lowest class) and log-loss (−ln p(y), computed in the log domain) on the same N out-of-fold
 *   predictions; a paired bootstrap gives intervals of every score and of the differences with the
 *   best single head and with Weighted.
 */
import { LsmiInputError } from '../errors';
import { minimizeLbfgs } from '../estimate/heads/lbfgs';
import { Rng } from '../random';
import { BlockSums, type Interval, percentileIntervals } from '../uncertainty';
import { type EnsembleSettings, resolveEnsembleSettings } from './settings';

export interface EnsembleRunInput {
  label: string;
  /** Log-probabilities of heads 1, 2 and 12 (N × C, row-major; log-softmax of the logits). */
  logp1: Float64Array;
  logp2: Float64Array;
  logp12: Float64Array;
  /** Pointwise entropies −ln p̂(x) of each modality (from the run's results). */
  h1: Float64Array;
  h2: Float64Array;
}

export interface EnsembleInput {
  labels: Int32Array;
  nClasses: number;
  classNames: string[];
  runs: EnsembleRunInput[];
  /** Fold of each sample (0..folds−1); default: stratified, seeded. */
  folds?: Int32Array;
}

export type VariantKind = 'head' | 'additive' | 'weighted' | 'lsmi-rule' | 'lsmi-gate';

export interface VariantScore {
  name: string;
  kind: VariantKind;
  accuracy: number;
  logLoss: number;
  intervals?: { accuracy: Interval; logLoss: Interval };
  /** Differences (this − best single head, this − Weighted): accuracy and log-loss, with intervals. */
  vsBestHead?: { accuracy: number; logLoss: number; intervals?: { accuracy: Interval; logLoss: Interval } };
  vsWeighted?: { accuracy: number; logLoss: number; intervals?: { accuracy: Interval; logLoss: Interval } };
  perClass: { accuracy: number; logLoss: number }[];
}

export interface EnsembleResult {
  n: number;
  nClasses: number;
  classNames: string[];
  classCounts: number[];
  members: string[];
  runs: string[];
  settings: EnsembleSettings;
  variants: VariantScore[];
  /** The variant the differences are taken against (lowest out-of-fold log-loss of the single heads). */
  bestHead: string;
  /** Per fold: the label prior fitted on the other folds, the Weighted weights, the chosen τ and the LSMI-rule's mean weights. */
  folds: { n: number; prior: number[]; weighted: number[]; tau: number; ruleWeights: number[] }[];
  /** Mean label-free interactions over the samples (nats), averaged across runs. */
  meanInteractions: { r: number; u1: number; u2: number; s: number };
  /** Out-of-fold log-probabilities (N × C) and argmax (N) per variant (not in the JSON output). */
  oof: { logProbs: Float64Array; pred: Int32Array }[];
  seconds: number;
}

/** Log-softmax of logits rows (N × C). */
export function logSoftmaxRows(z: Float64Array, n: number, c: number): Float64Array {
  const out = new Float64Array(n * c);
  for (let i = 0; i < n; i++) {
    let mx = -Infinity;
    for (let j = 0; j < c; j++) mx = Math.max(mx, z[i * c + j]);
    let s = 0;
    for (let j = 0; j < c; j++) s += Math.exp(z[i * c + j] - mx);
    const lse = mx + Math.log(s);
    for (let j = 0; j < c; j++) out[i * c + j] = z[i * c + j] - lse;
  }
  return out;
}

/** Stratified fold ids: each class's samples shuffled (seeded) and dealt round-robin. */
export function stratifiedFolds(labels: Int32Array, nClasses: number, k: number, rng: Rng): Int32Array {
  const folds = new Int32Array(labels.length);
  let offset = 0;
  for (let c = 0; c < nClasses; c++) {
    const idx: number[] = [];
    for (let i = 0; i < labels.length; i++) if (labels[i] === c) idx.push(i);
    rng.shuffle(idx);
    idx.forEach((i, j) => (folds[i] = (j + offset) % k));
    offset += idx.length;
  }
  return folds;
}

/**
 * The label-free interactions of one sample under prior π (ln π given): r̄, ū1, ū2, s̄ averaged
 * over classes with q(c) = p12(c). Spec case E1 in test/engine/ensemble.test.ts.
 */
export function labelFreeInteractions(lp1: ArrayLike<number>, lp2: ArrayLike<number>, lp12: ArrayLike<number>, h1: number, h2: number, logPrior: ArrayLike<number>, o = 0): [number, number, number, number] {
  let R = 0, U1 = 0, U2 = 0, S = 0;
  const C = logPrior.length;
  for (let c = 0; c < C; c++) {
    const i1 = lp1[o + c] - logPrior[c];
    const i2 = lp2[o + c] - logPrior[c];
    const i12 = lp12[o + c] - logPrior[c];
    const r = Math.min(h1, h2) - Math.min(h1 - i1, h2 - i2);
    const u1 = i1 - r;
    const u2 = i2 - r;
    const s = i12 - r - u1 - u2;
    const q = Math.exp(lp12[o + c]);
    R += q * r;
    U1 += q * u1;
    U2 += q * u2;
    S += q * s;
  }
  return [R, U1, U2, S];
}

/**
 * The LSMI-rule's weights: softmax(τ·z) over the members, z = ū1 for a head-1 member, ū2 for head 2,
 * s̄ for head 12 (docs/pid.md, "Test cases": E1).
 */
export function lsmiRuleWeights(tau: number, u1: number, u2: number, s: number, heads: readonly (1 | 2 | 12)[]): Float64Array {
  return softmax(heads.map((h) => tau * (h === 1 ? u1 : h === 2 ? u2 : s)));
}

/** A linear pool Σ_k w_k p_k of members' probabilities (each N × C), its accuracy (argmax, ties to the lowest class) and log-loss. */
export function poolScores(members: Float64Array[], w: readonly number[], labels: Int32Array, C: number): { probs: Float64Array; accuracy: number; logLoss: number } {
  const n = labels.length;
  const lps = members.map((p) => Float64Array.from(p, Math.log));
  const logw = w.map(Math.log);
  const probs = new Float64Array(n * C);
  let correct = 0;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    let arg = 0;
    for (let c = 0; c < C; c++) {
      const lp = logPool(logw, lps, i, c, C);
      probs[i * C + c] = Math.exp(lp);
      if (lp > logPool(logw, lps, i, arg, C)) arg = c;
      if (c === labels[i]) loss -= lp;
    }
    if (arg === labels[i]) correct++;
  }
  return { probs, accuracy: correct / n, logLoss: loss / n };
}

/** ln Σ_k w_k p_k(c) for one sample and class, members' log-probabilities given. */
function logPool(logw: ArrayLike<number>, lps: Float64Array[], i: number, c: number, C: number): number {
  let mx = -Infinity;
  for (let k = 0; k < lps.length; k++) mx = Math.max(mx, logw[k] + lps[k][i * C + c]);
  if (mx === -Infinity) return -Infinity;
  let s = 0;
  for (let k = 0; k < lps.length; k++) s += Math.exp(logw[k] + lps[k][i * C + c] - mx);
  return mx + Math.log(s);
}

function softmax(z: ArrayLike<number>): Float64Array {
  let mx = -Infinity;
  for (let k = 0; k < z.length; k++) mx = Math.max(mx, z[k]);
  const w = new Float64Array(z.length);
  let s = 0;
  for (let k = 0; k < z.length; k++) s += w[k] = Math.exp(z[k] - mx);
  for (let k = 0; k < z.length; k++) w[k] /= s;
  return w;
}

/** EM for global pool weights maximising Σ_i ln Σ_k w_k p_k(y_i) over `rows`. */
export function weightedEnsembleWeights(lps: Float64Array[], labels: Int32Array, C: number, rows: ArrayLike<number>, iters = 500, tol = 1e-10): Float64Array {
  const K = lps.length;
  let w = new Float64Array(K).fill(1 / K);
  const a = new Float64Array(K);
  let last = -Infinity;
  for (let it = 0; it < iters; it++) {
    const next = new Float64Array(K);
    let ll = 0;
    for (let j = 0; j < rows.length; j++) {
      const i = rows[j];
      let mx = -Infinity;
      for (let k = 0; k < K; k++) mx = Math.max(mx, (a[k] = Math.log(w[k]) + lps[k][i * C + labels[i]]));
      let s = 0;
      for (let k = 0; k < K; k++) s += a[k] = Math.exp(a[k] - mx);
      for (let k = 0; k < K; k++) next[k] += a[k] / s;
      ll += mx + Math.log(s);
    }
    for (let k = 0; k < K; k++) next[k] /= rows.length;
    w = next;
    if (ll - last < tol * rows.length) break;
    last = ll;
  }
  return w;
}

export async function interactionEnsemble(input: EnsembleInput, settingsInput?: Partial<EnsembleSettings>): Promise<EnsembleResult> {
  const t0 = performance.now();
  const settings = resolveEnsembleSettings(settingsInput);
  const { labels, nClasses: C, runs } = input;
  const N = labels.length;
  if (runs.length < 1) throw new Error('no runs');
  for (const r of runs) for (const a of [r.logp1, r.logp2, r.logp12]) if (a.length !== N * C) throw new Error(`${r.label}: ${a.length} log-probabilities for ${N} × ${C}`);
  const classCounts = new Array<number>(C).fill(0);
  for (let i = 0; i < N; i++) classCounts[labels[i]]++;
  const minCount = Math.min(...classCounts.filter((x) => x > 0));
  if (minCount < settings.folds) {
    throw new LsmiInputError('TOO_FEW_SAMPLES', { file: '' }, `a class has ${minCount} samples, fewer than the ${settings.folds} folds of the out-of-fold protocol: use fewer folds (--folds)`);
  }
  const rng = Rng.derive(settings.seed, 'ensemble folds');
  const folds = input.folds ?? stratifiedFolds(labels, C, settings.folds, rng);
  const K = settings.folds;
  const members: string[] = [];
  const lps: Float64Array[] = [];
  const headOf: (1 | 2 | 12)[] = [];
  for (const r of runs) {
    members.push(`${r.label} · head 1`, `${r.label} · head 2`, `${r.label} · head 12`);
    lps.push(r.logp1, r.logp2, r.logp12);
    headOf.push(1, 2, 12);
  }
  const M = members.length;
  // variants: M single heads, then the ensembles
  const names = [...members, 'Additive (mean of heads)', 'Weighted (EM weights)', 'LSMI-rule (softmax τ·interaction)', 'LSMI-gate (per-sample weights)'];
  const kinds: VariantKind[] = [...members.map(() => 'head' as const), 'additive', 'weighted', 'lsmi-rule', 'lsmi-gate'];
  const V = names.length;
  const oofLogp = names.map(() => new Float64Array(N));
  const oofLogProbs = names.map(() => new Float64Array(N * C).fill(NaN));
  const oofPred = names.map(() => new Int32Array(N));
  const foldReports: EnsembleResult['folds'] = [];
  const feat = new Float64Array(N * 4);
  const interSum = [0, 0, 0, 0];
  const scoreRow = (v: number, i: number, logw: ArrayLike<number>) => {
    let best = -Infinity;
    let arg = 0;
    for (let c = 0; c < C; c++) {
      const lp = logPool(logw, lps, i, c, C);
      oofLogProbs[v][i * C + c] = lp;
      if (c === labels[i]) oofLogp[v][i] = lp;
      if (lp > best) {
        best = lp;
        arg = c;
      }
    }
    oofPred[v][i] = arg;
  };
  for (let f = 0; f < K; f++) {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < N; i++) (folds[i] === f ? test : train).push(i);
    if (test.length === 0) continue;
    // prior on the training folds (add-one so that no class has ln 0)
    const counts = new Float64Array(C).fill(1);
    for (const i of train) counts[labels[i]]++;
    const logPrior = Array.from(counts, (x) => Math.log(x / (train.length + C)));
    // label-free interactions of every sample under this fold's prior, averaged across runs
    for (let i = 0; i < N; i++) {
      const acc = [0, 0, 0, 0];
      for (const r of runs) {
        const x = labelFreeInteractions(r.logp1, r.logp2, r.logp12, r.h1[i], r.h2[i], logPrior, i * C);
        for (let j = 0; j < 4; j++) acc[j] += x[j] / runs.length;
      }
      feat.set(acc, i * 4);
    }
    for (const i of test) for (let j = 0; j < 4; j++) interSum[j] += feat[i * 4 + j];
    // single heads and Additive
    for (let k = 0; k < M; k++) {
      const logw = new Float64Array(M).fill(-Infinity);
      logw[k] = 0;
      for (const i of test) scoreRow(k, i, logw);
    }
    const eq = new Float64Array(M).fill(-Math.log(M));
    for (const i of test) scoreRow(M, i, eq);
    // Weighted
    const w = weightedEnsembleWeights(lps, labels, C, train);
    const logwW = Array.from(w, Math.log);
    for (const i of test) scoreRow(M + 1, i, logwW);
    // LSMI-rule: τ by training log-loss
    const ruleLogw = (tau: number, i: number) => Array.from(lsmiRuleWeights(tau, feat[i * 4 + 1], feat[i * 4 + 2], feat[i * 4 + 3], headOf), Math.log);
    let bestTau = settings.taus[0];
    let bestLoss = Infinity;
    for (const tau of settings.taus) {
      let loss = 0;
      for (const i of train) loss -= logPool(ruleLogw(tau, i), lps, i, labels[i], C);
      if (loss < bestLoss - 1e-12) {
        bestLoss = loss;
        bestTau = tau;
      }
    }
    const ruleMean = new Float64Array(M);
    for (const i of test) {
      const lw = ruleLogw(bestTau, i);
      for (let k = 0; k < M; k++) ruleMean[k] += Math.exp(lw[k]) / test.length;
      scoreRow(M + 2, i, lw);
    }
    // LSMI-gate: softmax(Θ·[1, standardised r̄, ū1, ū2, s̄]), L2 on the non-intercept weights
    const mu = [0, 0, 0, 0];
    const sd = [0, 0, 0, 0];
    for (const i of train) for (let j = 0; j < 4; j++) mu[j] += feat[i * 4 + j] / train.length;
    for (const i of train) for (let j = 0; j < 4; j++) sd[j] += (feat[i * 4 + j] - mu[j]) ** 2 / train.length;
    for (let j = 0; j < 4; j++) sd[j] = Math.sqrt(sd[j]) || 1;
    const x = (i: number, j: number) => (j === 0 ? 1 : (feat[i * 4 + j - 1] - mu[j - 1]) / sd[j - 1]);
    const P = 5;
    const lam = settings.gateL2;
    const objective = (theta: Float64Array) => {
      const grad = new Float64Array(M * P);
      let value = 0;
      const z = new Float64Array(M);
      const a = new Float64Array(M);
      for (const i of train) {
        for (let k = 0; k < M; k++) {
          let s = 0;
          for (let j = 0; j < P; j++) s += theta[k * P + j] * x(i, j);
          z[k] = s;
        }
        const wi = softmax(z);
        let pool = 0;
        for (let k = 0; k < M; k++) pool += wi[k] * (a[k] = Math.exp(lps[k][i * C + labels[i]]));
        pool = Math.max(pool, 1e-300);
        value -= Math.log(pool);
        for (let k = 0; k < M; k++) {
          const g = wi[k] * (1 - a[k] / pool);
          for (let j = 0; j < P; j++) grad[k * P + j] += g * x(i, j);
        }
      }
      const n = train.length;
      value /= n;
      for (let k = 0; k < M * P; k++) grad[k] /= n;
      for (let k = 0; k < M; k++) for (let j = 1; j < P; j++) {
        value += (lam / 2) * theta[k * P + j] ** 2;
        grad[k * P + j] += lam * theta[k * P + j];
      }
      return { value, grad };
    };
    // start from Weighted (its log-weights as intercepts)
    const theta0 = new Float64Array(M * P);
    for (let k = 0; k < M; k++) theta0[k * P] = Math.max(-30, logwW[k]);
    const fit = await minimizeLbfgs(objective, theta0, { maxIter: 200, tol: 1e-9 });
    const theta = fit.x;
    for (const i of test) {
      const z = new Float64Array(M);
      for (let k = 0; k < M; k++) {
        let s = 0;
        for (let j = 0; j < P; j++) s += theta[k * P + j] * x(i, j);
        z[k] = s;
      }
      scoreRow(M + 3, i, Array.from(softmax(z), Math.log));
    }
    foldReports.push({ n: test.length, prior: logPrior.map(Math.exp), weighted: Array.from(w), tau: bestTau, ruleWeights: Array.from(ruleMean) });
  }
  // scores
  const correct = names.map((_, v) => Float64Array.from(oofPred[v], (p, i) => (p === labels[i] ? 1 : 0)));
  const loss = names.map((_, v) => Float64Array.from(oofLogp[v], (lp) => -lp));
  const mean = (a: Float64Array) => a.reduce((s, x) => s + x, 0) / a.length;
  const acc = correct.map(mean);
  const ll = loss.map(mean);
  let bestHead = 0;
  for (let k = 1; k < M; k++) if (ll[k] < ll[bestHead]) bestHead = k;
  const W = M + 1;
  const variants: VariantScore[] = names.map((name, v) => {
    const perClass = Array.from({ length: C }, (_, c) => {
      let n = 0, a = 0, l = 0;
      for (let i = 0; i < N; i++) if (labels[i] === c) (n++, (a += correct[v][i]), (l += loss[v][i]));
      return { accuracy: n ? a / n : NaN, logLoss: n ? l / n : NaN };
    });
    return {
      name,
      kind: kinds[v],
      accuracy: acc[v],
      logLoss: ll[v],
      ...(v !== bestHead ? { vsBestHead: { accuracy: acc[v] - acc[bestHead], logLoss: ll[v] - ll[bestHead] } } : {}),
      ...(v !== W ? { vsWeighted: { accuracy: acc[v] - acc[W], logLoss: ll[v] - ll[W] } } : {}),
      perClass,
    };
  });
  if (settings.bootstrap > 0) {
    const B = settings.bootstrap;
    const sums = new BlockSums([...correct, ...loss], Rng.derive(settings.seed, 'ensemble bootstrap blocks'));
    // stats per replicate: acc, loss, Δacc vs best, Δloss vs best, Δacc vs W, Δloss vs W, per variant
    const S = 6 * V;
    const values = new Float64Array(B * S);
    sums.replicate(B, Rng.derive(settings.seed, 'ensemble bootstrap'), (m, k) => {
      for (let v = 0; v < V; v++) {
        const o = k * S + v * 6;
        values[o] = m[v];
        values[o + 1] = m[V + v];
        values[o + 2] = m[v] - m[bestHead];
        values[o + 3] = m[V + v] - m[V + bestHead];
        values[o + 4] = m[v] - m[W];
        values[o + 5] = m[V + v] - m[V + W];
      }
    });
    const iv = percentileIntervals(values, B, S, settings.level);
    variants.forEach((vs, v) => {
      vs.intervals = { accuracy: iv[v * 6], logLoss: iv[v * 6 + 1] };
      if (vs.vsBestHead) vs.vsBestHead.intervals = { accuracy: iv[v * 6 + 2], logLoss: iv[v * 6 + 3] };
      if (vs.vsWeighted) vs.vsWeighted.intervals = { accuracy: iv[v * 6 + 4], logLoss: iv[v * 6 + 5] };
    });
  }
  return {
    n: N,
    nClasses: C,
    classNames: input.classNames,
    classCounts,
    members,
    runs: runs.map((r) => r.label),
    settings,
    variants,
    bestHead: names[bestHead],
    folds: foldReports,
    meanInteractions: { r: interSum[0] / N, u1: interSum[1] / N, u2: interSum[2] / N, s: interSum[3] / N },
    oof: names.map((_, v) => ({ logProbs: oofLogProbs[v], pred: oofPred[v] })),
    seconds: (performance.now() - t0) / 1000,
  };
}
