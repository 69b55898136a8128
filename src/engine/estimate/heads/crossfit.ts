/**
 * Out-of-sample logits for every sample of a head without logits: the cross-fit, the choice of the
 * probe family inside it (`probe: 'auto'`), and the learning-curve check.
 *
 * Cross-fit. Without a split column: stratified K folds; fold k is scored by a probe fitted on the
 * other K − 1 (K fits). With a split: val/test rows are scored by one probe fitted on all train rows,
 * and the train rows are cross-fitted within train (K + 1 fits). Each fold is further cut into
 * b = ⌈4 / (K − 1)⌉ blocks, so every training set is a union of at least 4 blocks: LDA fits from the
 * blocks' moments (one pass over the data), and the learning curve uses unions of blocks.
 *
 * Family choice (auto), without ever scoring a sample by a model that saw it or was chosen on it
 * (a fixed family with a hyperparameter to choose runs the same selections as the only candidate):
 * the folds form two groups (even and odd fold numbers). Selection s, which chooses the family for
 * the folds of group s, sees only rows of the other group's folds: a stratified subsample of at most
 * `selection.maxRows` of them, split into a fitting part and a held-out part (`selection.valFraction`).
 * Every candidate family is fitted on the first and scored on the second; the lowest held-out
 * log-loss after a temperature (what calibration will do to every family) wins, and the tuning found
 * there (logistic regression's penalty) goes with it, with the one-standard-error rule: the simplest
 * family (LDA, then logistic regression, then the MLP) whose loss is within one standard error of the
 * best one's (paired over the held-out rows) is chosen, so noise never buys a costlier probe. So two selections serve all K folds; the
 * val/test fit of a split run uses selection 0 (it never sees val/test rows either way).
 *
 * Learning curve: the probe that scores the first cross-fit fold is refitted on about 50 % and 75 %
 * of its training rows (unions of blocks) and scored on the same held-out rows; with the 100 % fit
 * that gives three calibrated held-out log-losses. Still falling at 100 % means the probe would get
 * better with more data, so the MIs (lower bounds: H(Y) − cross-entropy) are probably
 * underestimated.
 */
import { denseMatrix, type Matrix } from '../../io/matrix';
import type { CandidateReport, LearningCurve } from '../../io/results';
import { Rng } from '../../random';
import { type EstimatorSettings, PROBE_FAMILIES, type ProbeFamily } from '../settings';
import type { FamilyContext, FittedProbe, ProbeFamilyImpl, Tuning } from './family';
import { LdaFamily } from './lda';
import { calibratedLoss, calibratedRowLosses } from './calibration';
import { LogisticFamily } from './logistic';
import { MlpFamily } from './mlp';
import { type HeadData, labelsOf, stratifiedFolds, stratifiedSplit, stratifiedSubsample } from './rows';

function mean(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s / a.length;
}

/** Standard error of the mean of a − b (paired rows). */
function standardError(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  if (n < 2) return 0;
  let m = 0;
  for (let i = 0; i < n; i++) m += a[i] - b[i];
  m /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (a[i] - b[i] - m) ** 2;
  return Math.sqrt(v / (n - 1) / n);
}

/** Held-out log-loss differences below this many nats never decide between families (one-SE rule floor). */
const MIN_DIFFERENCE = 1e-3;

/** Cross-fitting needs at least this many samples in every fold. */
export const MIN_ROWS_PER_FOLD = 5;

export interface CrossFitOptions {
  /** Per sample: 0 train, 1 val, 2 test. */
  split?: Uint8Array;
  /** Folds (the large-N schedule may have lowered `settings.folds`). */
  folds: number;
  settings: EstimatorSettings;
  /** Drives the folds: one seed for the three heads of a run, so they share their folds. */
  foldRng: Rng;
  /** Drives this head's selections and fits. */
  rng: Rng;
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

export interface CrossFitResult {
  /** Out-of-sample logits, N × C. */
  logits: Matrix;
  scheme: string;
  /** The family most fits used. */
  family: ProbeFamily;
  /** Per fit (the val/test fit first when there is a split), the family and what it chose. */
  fits: { family: ProbeFamily; detail: string; rows: number }[];
  candidates?: CandidateReport[];
  selections?: number;
  learningCurve?: LearningCurve;
}

export interface Plan {
  blocks: Int32Array[];
  fits: { blocks: number[]; rows: Int32Array; score: Int32Array; group: number }[];
  /** Per selection group: the rows it may look at. */
  selectionRows: Int32Array[];
  /** Index of the fit the learning curve refits. */
  curveFit: number;
  scheme: string;
}

function makeFamily(name: ProbeFamily, data: HeadData): ProbeFamilyImpl {
  return name === 'lda' ? new LdaFamily(data) : name === 'logistic' ? new LogisticFamily(data) : new MlpFamily(data);
}

/** Shapes, labels and the split: problems here are bugs of the caller (the reader has validated the run). */
function check(data: HeadData, opts: CrossFitOptions): void {
  const n = data.labels.length;
  const K = opts.folds;
  if (!Number.isInteger(K) || K < 2) throw new Error(`cross-fitting needs an integer number of folds ≥ 2 (got ${K})`);
  if (data.inputs.length === 0) throw new Error('a probe needs at least one input matrix');
  if (!Number.isInteger(data.nClasses) || data.nClasses < 1) throw new Error(`the number of classes must be a positive integer (got ${data.nClasses})`);
  for (const m of data.inputs) {
    if (m.rows !== n) throw new Error(`an input has ${m.rows} rows but there are ${n} labels`);
    if (m.cols < 1) throw new Error('an input matrix has no columns');
  }
  for (let i = 0; i < n; i++) if (!(data.labels[i] >= 0 && data.labels[i] < data.nClasses)) throw new Error(`label ${data.labels[i]} at sample ${i} is outside [0, ${data.nClasses})`);
  if (opts.split) {
    if (opts.split.length !== n) throw new Error(`the split has ${opts.split.length} entries for ${n} samples`);
    for (let i = 0; i < n; i++) if (opts.split[i] > 2) throw new Error(`split value ${opts.split[i]} at sample ${i}: expected 0 (train), 1 (val) or 2 (test)`);
  }
}

/** The fits, blocks, selection rows and calibration folds of a head (exported for tests). */
export function plan(data: HeadData, opts: CrossFitOptions): Plan {
  check(data, opts);
  const n = data.labels.length;
  const K = opts.folds;
  let train: Int32Array;
  let rest: Int32Array;
  if (opts.split) {
    const t: number[] = [];
    const r: number[] = [];
    for (let i = 0; i < n; i++) (opts.split[i] === 0 ? t : r).push(i);
    if (t.length === 0) throw new Error('the split has no train samples, so there is nothing to fit the probes on');
    train = Int32Array.from(t);
    rest = Int32Array.from(r);
  } else {
    train = Int32Array.from({ length: n }, (_, i) => i);
    rest = new Int32Array(0);
  }
  const what = opts.split ? 'train samples' : 'samples';
  if (train.length < K * MIN_ROWS_PER_FOLD) {
    throw new Error(`${K}-fold cross-fitting needs at least ${MIN_ROWS_PER_FOLD} ${what} per fold (${K * MIN_ROWS_PER_FOLD} in all), but there are ${train.length}: use fewer folds`);
  }
  const fold = stratifiedFolds(train, data.labels, K, opts.foldRng.fork());
  const perFold = Math.ceil(4 / (K - 1));
  const blocks: Int32Array[] = [];
  const subRng = opts.foldRng.fork();
  for (let k = 0; k < K; k++) {
    const rows = train.filter((_, j) => fold[j] === k);
    const sub = stratifiedFolds(rows, data.labels, perFold, subRng);
    for (let b = 0; b < perFold; b++) blocks.push(rows.filter((_, j) => sub[j] === b));
  }
  const blocksOf = (k: number) => Array.from({ length: perFold }, (_, b) => k * perFold + b);
  const union = (ids: number[]) => Int32Array.from(ids.flatMap((b) => Array.from(blocks[b]))).sort();
  const fits: Plan['fits'] = [];
  const allBlocks = Array.from({ length: K * perFold }, (_, b) => b);
  if (rest.length) fits.push({ blocks: allBlocks, rows: train, score: rest, group: 0 });
  for (let k = 0; k < K; k++) {
    const ids = allBlocks.filter((b) => Math.floor(b / perFold) !== k);
    fits.push({ blocks: ids, rows: union(ids), score: union(blocksOf(k)), group: k % 2 });
  }
  const selectionRows = [0, 1].map((s) => union(allBlocks.filter((b) => Math.floor(b / perFold) % 2 !== s)));
  const scheme = rest.length
    ? `fit on train (${train.length}), score val/test (${rest.length}); ${K}-fold stratified cross-fit within train`
    : `${K}-fold stratified cross-fit${opts.split ? ' (the split has train samples only)' : ''}`;
  return { blocks, fits, selectionRows, curveFit: rest.length ? 1 : 0, scheme };
}

interface Choice {
  family: ProbeFamily;
  tuning: Tuning;
}

/** The selections of `probe: 'auto'`: one choice per group, and every candidate's showing. */
async function select(
  data: HeadData,
  p: Plan,
  families: Map<ProbeFamily, ProbeFamilyImpl>,
  opts: CrossFitOptions,
  report: (fraction: number, message: string) => void,
): Promise<{ choices: Choice[]; candidates: CandidateReport[] }> {
  const { settings } = opts;
  const scores = new Map<ProbeFamily, { loss: number[]; chosen: number; detail: string[]; seconds: number; note?: string }>();
  for (const f of families.keys()) scores.set(f, { loss: [], chosen: 0, detail: [], seconds: 0 });
  const choices: Choice[] = [];
  const C = data.nClasses;
  for (let s = 0; s < p.selectionRows.length; s++) {
    const rng = opts.rng.fork();
    const sub = stratifiedSubsample(p.selectionRows[s], data.labels, settings.selection.maxRows, rng.fork());
    const { train, val } = stratifiedSplit(sub, data.labels, settings.selection.valFraction, rng.fork());
    const yVal = labelsOf(data.labels, val);
    let best: (Choice & { loss: number }) | undefined;
    const tried: (Choice & { loss: number; rowLoss: Float64Array })[] = [];
    let i = 0;
    for (const [name, family] of families) {
      const t0 = performance.now();
      const score = scores.get(name)!;
      const ctx: FamilyContext = {
        settings,
        rng: rng.fork(),
        signal: opts.signal,
        onProgress: (f) => report((s + (i + f) / families.size) / p.selectionRows.length, `choosing the probe family: ${name}`),
        bestSoFar: best?.loss,
      };
      try {
        const sel = await family.select(train, val, ctx);
        const rowLoss = calibratedRowLosses(sel.valLogits, yVal, C);
        const loss = mean(rowLoss);
        score.loss.push(loss);
        score.detail.push(sel.detail);
        tried.push({ family: name, tuning: sel.tuning, loss, rowLoss });
        if (!best || loss < best.loss) best = { family: name, tuning: sel.tuning, loss };
      } catch (e) {
        if ((e as Error)?.name === 'AbortError') throw e;
        score.note = `could not be fitted: ${(e as Error).message}`;
      }
      score.seconds += (performance.now() - t0) / 1000;
      i++;
    }
    if (best) {
      // one-standard-error rule: the simplest family (lda, logistic, mlp in that order) whose held-out
      // loss is within one standard error (of the per-row difference) of the best one's
      const bestRows = tried.find((t) => t.family === best!.family)!.rowLoss;
      best = tried.find((t) => t.loss - best!.loss <= Math.max(MIN_DIFFERENCE, standardError(t.rowLoss, bestRows))) ?? best;
    }
    if (!best) throw new Error('no probe family could be fitted on this head');
    scores.get(best.family)!.chosen++;
    choices.push(best);
  }
  const candidates: CandidateReport[] = [...scores].map(([family, v]) => ({
    family,
    selectionLogLoss: v.loss.length ? v.loss.reduce((a, b) => a + b, 0) / v.loss.length : null,
    chosen: v.chosen,
    detail: [...new Set(v.detail)].join(' / ') || undefined,
    note: v.note,
    seconds: v.seconds,
  }));
  return { choices, candidates };
}

/** Out-of-sample logits for every sample (see the module comment). */
export async function crossFitHead(data: HeadData, opts: CrossFitOptions): Promise<CrossFitResult> {
  const { settings } = opts;
  const n = data.labels.length;
  const C = data.nClasses;
  const tStart = performance.now();
  const p = plan(data, opts);
  const auto = settings.probe === 'auto';
  const names: ProbeFamily[] = auto ? [...PROBE_FAMILIES] : [settings.probe as ProbeFamily];
  const families = new Map(names.map((f) => [f, makeFamily(f, data)] as const));
  // progress: selection 30 %, fits 60 %, learning curve 10 % (auto); tuning 15 %, fits 70 %, curve 15 % otherwise
  const [selShare, fitShare] = auto ? [0.3, 0.6] : [0.15, 0.7];
  const report = (f: number, message: string) => opts.onProgress?.(Math.min(1, Math.max(0, f)), message);

  // A fixed family that has a hyperparameter to choose (LDA's shrinkage, logistic regression's
  // penalty) runs the same two selections with itself as the only candidate: its tuning is then
  // chosen as cleanly as auto's family, and once per group rather than once per fit.
  let choices: Choice[] = [{ family: names[0], tuning: {} }, { family: names[0], tuning: {} }];
  let candidates: CandidateReport[] | undefined;
  const tunes = (f: ProbeFamily) => (f === 'lda' ? settings.lda.shrinkage === 'auto' : f === 'logistic' ? settings.logistic.penalties.length > 1 : false);
  if (auto || tunes(names[0])) {
    const picked = await select(data, p, families, opts, (f, m) => report(selShare * f, m));
    choices = picked.choices;
    if (auto) candidates = picked.candidates;
  }

  const tSelected = performance.now();
  const prepared = new Set<ProbeFamily>();
  const ensurePrepared = async (family: ProbeFamilyImpl) => {
    if (!family.prepare || prepared.has(family.name)) return;
    await family.prepare(p.blocks, { settings, rng: opts.rng.fork(), signal: opts.signal });
    prepared.add(family.name);
  };

  const logits = new Float32Array(n * C);
  const fits: CrossFitResult['fits'] = [];
  const fitted: FittedProbe[] = [];
  const work = p.fits.map((f) => f.rows.length);
  const total = work.reduce((a, b) => a + b, 0);
  let done = 0;
  for (let f = 0; f < p.fits.length; f++) {
    const spec = p.fits[f];
    const choice = choices[spec.group];
    const family = families.get(choice.family)!;
    await ensurePrepared(family);
    const base = done;
    const model = await family.fit({ rows: spec.rows, blocks: spec.blocks }, choice.tuning, {
      settings,
      rng: opts.rng.fork(),
      signal: opts.signal,
      onProgress: (x) => report(selShare + (fitShare * (base + x * work[f])) / total, `fitting the ${choice.family} probe (${f + 1} of ${p.fits.length})`),
    });
    const z = await model.score(spec.score, opts.signal);
    for (let j = 0; j < spec.score.length; j++) logits.set(z.subarray(j * C, (j + 1) * C), spec.score[j] * C);
    fits.push({ family: choice.family, detail: model.detail, rows: spec.rows.length });
    fitted.push(model);
    done += work[f];
  }

  const tFitted = performance.now();
  const learningCurve = await curve(data, p, choices, families, fitted, opts, (x) => report(selShare + fitShare + (1 - selShare - fitShare) * x, 'learning-curve check'));
  const counts = new Map<ProbeFamily, number>();
  for (const f of fits) counts.set(f.family, (counts.get(f.family) ?? 0) + 1);
  const family = [...counts].sort((a, b) => b[1] - a[1])[0][0];
  report(1, 'probes fitted');
  if (process.env.LSMI_DEBUG) console.error(`crossFitHead: selection ${(tSelected - tStart).toFixed(0)} ms, fits ${(tFitted - tSelected).toFixed(0)} ms, curve ${(performance.now() - tFitted).toFixed(0)} ms`);
  return {
    logits: denseMatrix(n, C, logits),
    scheme: p.scheme,
    family,
    fits,
    candidates,
    selections: auto ? choices.length : undefined,
    learningCurve,
  };
}

/** Shares of the training rows the learning curve refits on (the full fit is the last point). */
const CURVE_SHARES = [0.5, 0.75];

async function curve(
  data: HeadData,
  p: Plan,
  choices: Choice[],
  families: Map<ProbeFamily, ProbeFamilyImpl>,
  fitted: FittedProbe[],
  opts: CrossFitOptions,
  report: (fraction: number) => void,
): Promise<LearningCurve | undefined> {
  const spec = p.fits[p.curveFit];
  const choice = choices[spec.group];
  const family = families.get(choice.family)!;
  const nb = spec.blocks.length;
  const C = data.nClasses;
  const y = labelsOf(data.labels, spec.score);
  const fractions: number[] = [];
  const rows: number[] = [];
  const logLoss: number[] = [];
  const rng = opts.rng.fork();
  const order = rng.permutation(nb);
  for (let i = 0; i < CURVE_SHARES.length; i++) {
    const take = Math.min(nb - 1, Math.max(1, Math.round(CURVE_SHARES[i] * nb)));
    const ids = Array.from(order.subarray(0, take), (j) => spec.blocks[j]).sort((a, b) => a - b);
    const subset = Int32Array.from(ids.flatMap((b) => Array.from(p.blocks[b]))).sort();
    if (rows.length && subset.length <= rows[rows.length - 1]) continue;
    const model = await family.fit({ rows: subset, blocks: ids }, choice.tuning, {
      settings: opts.settings,
      rng: rng.fork(),
      signal: opts.signal,
      onProgress: (x) => report((i + x) / (CURVE_SHARES.length + 1)),
    });
    fractions.push(subset.length / spec.rows.length);
    rows.push(subset.length);
    logLoss.push(calibratedLoss(await model.score(spec.score, opts.signal), y, C));
  }
  const full = await fitted[p.curveFit].score(spec.score, opts.signal);
  fractions.push(1);
  rows.push(spec.rows.length);
  logLoss.push(calibratedLoss(full, y, C));
  report(1);
  if (rows.length < 2) return undefined;
  // least-squares slope of the log-loss against log2(rows): the drop per doubling, from every point
  const xs = rows.map((r) => Math.log2(r));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = logLoss.reduce((a, b) => a + b, 0) / logLoss.length;
  let sxy = 0;
  let sxx = 0;
  for (let j = 0; j < xs.length; j++) {
    sxy += (xs[j] - mx) * (logLoss[j] - my);
    sxx += (xs[j] - mx) ** 2;
  }
  const dropPerDoubling = -sxy / sxx;
  return { fractions, rows, logLoss, dropPerDoubling, stillFalling: dropPerDoubling > LEARNING_CURVE_WARN };
}

/**
 * The learning curve counts as still falling when its slope (least squares over the three points,
 * against log2 of the rows) says a doubling of the training rows would lower the held-out log-loss,
 * and so raise the head's mean MI, by more than this many nats. For a loss that decays like 1/n the
 * drop per doubling equals what is still missing; slower decays miss more. See docs/heads.md.
 */
export const LEARNING_CURVE_WARN = 0.02;
