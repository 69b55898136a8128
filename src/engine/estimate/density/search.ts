/**
 * `components: 'auto'` and `covariance: 'auto'` (docs/estimator.md, "What decides fidelity": the density's K must fit the data):
 * mixtures are compared by their mean log-likelihood on held-out rows, within a time budget.
 *
 * Procedure:
 * 1. A seeded subsample of at most `densitySearch.maxRows` rows is split (seeded) into
 *    `valFraction` held-out rows and the fit rows.
 * 2. Candidates are considered by K ascending (`densitySearch.candidates`, or the fixed K) and,
 *    within a K, diagonal, tied, full (the fixed covariance only, when it is fixed). Each is fitted
 *    by EM on the fit rows and scored on the held-out rows. They share one centre, variance floor,
 *    set of k-means seed rows and transposed row blocks (prepareFitRows in ./em.ts), and the
 *    candidates of one K share one k-means++ start, from a stream derived from K (Rng.derive), so
 *    skipping one candidate changes no other's fit.
 * 3. Candidates not fitted are recorded with the reason:
 *    - K above half the fit rows (EM needs two rows per component);
 *    - a covariance type stops at the first K whose held-out log-likelihood is not significantly
 *      ({@link beats}: by more than a standard error) above that type's best at smaller K (held-out
 *      likelihood against K rises while components still fit structure and falls once they fit
 *      noise); or when it is significantly below the best so far by more than it gained from the
 *      previous K (gains shrink as K doubles, so it would not catch up: e.g. diagonal mixtures of
 *      rotated anisotropic noise gain a little per doubling, tens of nats short of tied covariance);
 *    - full covariance at K = 1 is the same model as tied covariance at K = 1;
 *    - when both K and the covariance are 'auto', full covariance (K separate d×d covariances: the
 *      costliest, with the most parameters) is tried at a K only when diagonal or tied covariance
 *      gained from that K over the previous one: if more components help neither, the data has no
 *      cluster structure there for separate covariances to shape;
 *    - the budget: a candidate is skipped when its predicted cost, plus refitting and scoring
 *      whichever of it and the best so far costs more, exceeds what is left of
 *      `densitySearch.budgetSeconds` after the predicted costs of the candidates fitted so far. So
 *      the budget bounds the whole density stage (search, refit, scoring) on the reference machine,
 *      as far as the predictions hold. When the two cheapest candidates, with a refit and
 *      the scoring, are predicted not to fit in the budget, there is no search: the cheapest is used
 *      as given (fitted like a fixed K and covariance), and the report says why.
 * 4. The choice, by the one-standard-error rule: of the candidates whose held-out log-likelihood is
 *    not significantly below the best one's, the one with the fewest free parameters. The caller
 *    (./index.ts) refits it on the usual fit rows, starting from its parameters, and scores every
 *    row.
 *
 * Cost model ({@link CostModel}): seconds per unit of work for each part of an EM pass (see ./em.ts
 * for the costs per covariance type), from measurements on a 2-core machine with the wasm backend.
 * The budget is spent in these predicted seconds, never in measured ones, so the choices depend on
 * the data, the settings and the seed only (not on the machine or its load; the measured seconds
 * are reported beside the predictions). Iterations are predicted from those observed at smaller K
 * (iteration counts are deterministic too).
 *
 * Measured (2-core machine shared with other work, wasm backend, the defaults; per-sample r_raw
 * against the exact oracle of src/engine/synthetic.ts with exact MIs, so only h is estimated):
 * - the official demo generator at C = d = 64, N = 10 000: diagonal K = 1 (diag and tied at K = 1
 *   and 2 fitted; full not tried), MAE 0.037 (fixed diagonal K = 5: 0.041, K = 64: 0.123); the
 *   density stage 0.26–0.34 s per modality, 0.36–0.46 s for the first in a process (JIT and tfjs
 *   warm-up), against 0.31–0.49 s and 0.38–0.48 s for a fixed diagonal K = 5 in the same runs;
 * - circuit XOR+NOT, N = 10 000: K = 4 (tied or diagonal), Pearson 0.9986 (diagonal K = 2: 0.50);
 * - sampleSubspace, d = 256, k = 16, N = 20 000, isotropic noise (spread 0): diagonal K = 4,
 *   Pearson 0.988 (fixed diagonal K = 5: 0.989); rotated anisotropic noise (spread 1): tied K = 1,
 *   Pearson 0.972 (fixed diagonal K = 5: 0.746); 3.5–4.5 s per modality;
 * - the diag-1e5-d512 benchmark (N = 10⁵, d = 512; scripts/bench.mjs): with its K = 10 and
 *   covariance 'auto', no comparison fits the 10 s budget, so diagonal K = 10 as before (19.8 s end
 *   to end, as in BENCHMARKS.md); with K 'auto' too: diagonal K = 1 (diag and tied at K = 1, diag at
 *   K = 2 fitted) in 8.0 s end to end, Pearson 0.997 (K = 10: 0.994).
 */
import type { Matrix } from '../../io/matrix';
import type { DensityCandidate, DensitySearch } from '../../io/results';
import { Rng } from '../../random';
import type { Covariance, EstimatorSettings } from '../settings';
import { prepareFitRows, type GmmParams } from './em';
import { monotone, span } from './em-loop';
import { MIN_COMPONENT_ROWS } from './mixture';
import { EmDensity } from './model';
import { BLOCK_ROWS, gatherRows, sampleIndices } from './rows';

export interface SearchOptions {
  rng: Rng;
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
}

export interface SearchResult {
  covariance: Covariance;
  K: number;
  /** The chosen candidate's fit on the search's fit rows (the refit's starting point); absent when none was fitted. */
  start?: GmmParams;
  report: DensitySearch;
}

/** Covariance types within a K, cheapest first (full at K is weighed against diagonal and tied at K). */
const SEARCH_ORDER: readonly Covariance[] = ['diag', 'tied', 'full'];
/** Iterations assumed for a covariance type before any fit has been measured. */
const DEFAULT_ITERATIONS = 20;
/**
 * Passes over every row predicted for tied covariance continued on all rows from its subsample fit
 * (K > 1: measured 9–10 at N = 1e5, d = 512, K = 10; one component converges in 2: its first M-step
 * is the maximum-likelihood fit).
 */
const REFINE_PASSES = 9;
/** Rows (at most) for the candidates' centre, floor and k-means++ (k-means on 8192 rows would dominate small fits). */
const SEARCH_SEED_ROWS = 2048;

/** Chooses K and/or the covariance type of an EM mixture for the rows of X (see the module comment). */
export async function searchDensity(X: Matrix, settings: EstimatorSettings, opts: SearchOptions): Promise<SearchResult> {
  const t0 = performance.now();
  const now = () => (performance.now() - t0) / 1000;
  // the budget is spent in predicted seconds (the deterministic cost model), never in measured ones:
  // the same run, settings and seed make the same choices on any machine, under any load
  let spent = 0;
  const { densitySearch: ds, em } = settings;
  const searchEm = { ...em, maxIter: Math.min(em.maxIter, ds.maxIter) };
  const covs: readonly Covariance[] = settings.covariance === 'auto' ? SEARCH_ORDER : [settings.covariance];
  const Ks = settings.components === 'auto' ? [...new Set(ds.candidates)].sort((a, b) => a - b) : [settings.components];
  const bothAuto = settings.covariance === 'auto' && settings.components === 'auto';
  const { rng, signal } = opts;
  const progress = monotone(opts.onProgress);

  // the split
  const N = X.rows;
  const d = X.cols;
  const m = Math.min(N, ds.maxRows);
  const sub = N > m ? sampleIndices(N, m, rng) : Int32Array.from({ length: N }, (_, i) => i);
  const perm = rng.permutation(m);
  // at least one held-out row and one fit row (a single row leaves none to hold out: valRows 0, no search)
  const valRows = Math.min(m - 1, Math.max(1, Math.round(m * ds.valFraction)));
  const pick = (from: number, to: number) => perm.slice(from, to).map((i) => sub[i]).sort();
  const valX = gatherRows(X, pick(0, valRows));
  // one centre, floor, seed sample and set of transposed blocks for every candidate
  const rows = prepareFitRows(gatherRows(X, pick(valRows, m)), Infinity, SEARCH_SEED_ROWS, em.varFloor, rng);
  const fitX = rows.X;
  const base = rng.nextU32();

  const cost = new CostModel(d);
  const evaluated: Evaluated[] = [];
  const at = (cov: Covariance, K: number | undefined) => evaluated.find((e) => e.covariance === cov && e.K === K);
  const stopped = new Map<Covariance, string>();

  /** EM iterations: as observed at smaller K (of this type if it has run, else of any), ×1.5 + 3 for a larger K. */
  const predictIterations = (cov: Covariance, K: number): number => {
    const seen = evaluated.filter((e) => e.K <= K);
    const same = seen.filter((e) => e.covariance === cov);
    const from = same.length ? same : seen;
    // one component: the first M-step from k-means' single cluster is the maximum-likelihood fit
    if (!from.length) return Math.min(searchEm.maxIter, K === 1 ? 2 : DEFAULT_ITERATIONS);
    return Math.min(searchEm.maxIter, Math.max(...from.map((e) => (e.K < K ? Math.ceil(1.5 * e.iterations) + 3 : e.iterations))));
  };
  const searchCost = (cov: Covariance, K: number, iterations: number) => cost.fit(cov, K, fitX.rows, iterations, SEARCH_SEED_ROWS) + cost.score(cov, K, valX.rows);
  const finalRows = (cov: Covariance) => Math.min(N, cov === 'full' ? em.fitSubsample : em.diagFitSubsample);
  /**
   * Refitting a candidate on the usual fit rows (from its search fit: fewer passes), for tied
   * covariance continuing on every row when those are a subsample (./em.ts), and scoring every row.
   */
  const finalCost = (cov: Covariance, K: number, iterations: number) =>
    cost.fit(cov, K, finalRows(cov), Math.min(em.maxIter, Math.ceil(0.75 * iterations) + 3), 0) + (cov === 'tied' && N > finalRows(cov) ? cost.refine(K, N) : 0) + cost.score(cov, K, N);

  // every candidate in the order considered, and the ones no result can rule out
  const candidates: DensityCandidate[] = [];
  for (const K of Ks) for (const covariance of covs) candidates.push({ covariance, K, heldOutLogLik: null, seconds: 0 });
  for (const c of candidates) {
    if (MIN_COMPONENT_ROWS * c.K > fitX.rows) c.skipped = `K = ${c.K} needs at least ${MIN_COMPONENT_ROWS * c.K} fit rows (${MIN_COMPONENT_ROWS} per component); the search has ${fitX.rows}`;
    else if (c.covariance === 'full' && c.K === 1 && covs.includes('tied')) c.skipped = 'the same model as tied covariance at K = 1';
  }
  const open = candidates.filter((c) => !c.skipped);
  const report = (chosen: number): DensitySearch => ({ candidates, chosen, fitRows: fitX.rows, valRows: valX.rows, budgetSeconds: ds.budgetSeconds, seconds: round(now(), 3) });

  // a search needs two candidates that the budget affords, with the refit and scoring of either
  const cheapest = open
    .map((c) => ({ c, search: searchCost(c.covariance, c.K, predictIterations(c.covariance, c.K)), final: finalCost(c.covariance, c.K, predictIterations(c.covariance, c.K)) }))
    .sort((a, b) => a.search - b.search);
  const [one, two] = cheapest;
  const pair = one && two && valRows > 0 ? one.search + two.search + Math.max(one.final, two.final) : Infinity;
  if (!(pair <= ds.budgetSeconds)) {
    const chosen = one?.c ?? candidates[0];
    const why = !one || valRows === 0
      ? `too few rows (${N}) for a held-out comparison`
      : !two
        ? 'it is the only candidate'
        : `the budget affords no comparison: ${name(one.c)} and ${name(two.c)}, the cheapest, are predicted to take ${fmt(one.search + two.search)} s, and ${fmt(Math.max(one.final, two.final))} s to refit and score, over the ${fmt(ds.budgetSeconds)} s budget`;
    for (const x of cheapest) {
      x.c.predictedSeconds = round(x.search, 3);
      x.c.skipped = `not fitted: ${why}`;
    }
    chosen.skipped = `chosen without a search: ${why}${chosen.skipped?.startsWith('not fitted') === false ? ` (${chosen.skipped})` : ''}`;
    progress(1);
    return { covariance: chosen.covariance, K: chosen.K, report: report(candidates.indexOf(chosen)) };
  }

  let slot = 0;
  for (const cand of candidates) {
    const { covariance: cov, K } = cand;
    const here = span(progress, slot / candidates.length, (slot + 1) / candidates.length);
    slot++;
    const prevK = Ks[Ks.indexOf(K) - 1];
    /** Type c at K beat itself at the previous K by more than a standard error. */
    const gained = (c: Covariance) => {
      const a = at(c, K);
      const b = at(c, prevK);
      return a !== undefined && b !== undefined && beats(a, b);
    };
    if (cand.skipped) {
      // ruled out above
    } else if (stopped.has(cov)) {
      cand.skipped = stopped.get(cov);
    } else if (cov === 'full' && bothAuto && prevK !== undefined && !gained('diag') && !gained('tied')) {
      cand.skipped = `neither diagonal nor tied covariance gained significantly from K = ${K} over K = ${prevK}`;
    } else {
      const iterations = predictIterations(cov, K);
      const predicted = searchCost(cov, K, iterations);
      cand.predictedSeconds = round(predicted, 3);
      const top = best(evaluated);
      const after = Math.max(finalCost(cov, K, iterations), top ? finalCost(top.covariance, top.K, top.iterations) : 0);
      const left = ds.budgetSeconds - spent;
      if (predicted + after > left) {
        cand.skipped = `over budget: predicted ${fmt(predicted)} s, and ${fmt(after)} s to refit and score, with ${fmt(Math.max(0, left))} s left of ${fmt(ds.budgetSeconds)} s`;
      } else {
        const e = await evaluate(cand);
        spent += predicted;
        if (e) {
          const sameBest = best(evaluated.filter((x) => x.covariance === cov));
          const previous = at(cov, prevK);
          const leader = best(evaluated);
          evaluated.push(e);
          if (sameBest && !beats(e, sameBest)) {
            stopped.set(cov, `${cov} covariance stopped: at K = ${K} its held-out log-likelihood was not significantly above its best at smaller K`);
          } else if (previous && leader && beats(leader, e) && leader.mean - e.mean > e.mean - previous.mean) {
            stopped.set(
              cov,
              `${cov} covariance stopped: at K = ${K} it is ${fmt(leader.mean - e.mean)} nats below ${name(leader)}, more than it gained from K = ${prevK} (${fmt(e.mean - previous.mean)})`,
            );
          }
        }
      }
    }
    here(1);

    /** Fits a candidate on the fit rows and scores the held-out rows (undefined if that is not finite). */
    async function evaluate(c: DensityCandidate): Promise<Evaluated | undefined> {
      const start = now();
      // one k-means++ start per K, shared by the covariance types (its stream depends on K only)
      const model = new EmDensity(c.K, c.covariance, searchEm, { rows, startKey: 'search' });
      await model.fit(fitX, { rng: Rng.derive(base, `K=${c.K}`), signal, onProgress: span(here, 0, 0.9) });
      const ll = await model.score(valX, { signal });
      const p = model.params!;
      const meanLl = mean(ll);
      c.seconds = round(now() - start, 3);
      c.iterations = p.iterations;
      c.keptK = p.K;
      if (!Number.isFinite(meanLl)) {
        c.skipped = `its held-out log-likelihood is not finite (${meanLl})`;
        return undefined;
      }
      c.heldOutLogLik = meanLl;
      return { index: candidates.indexOf(c), covariance: c.covariance, K: c.K, iterations: p.iterations, ll, mean: meanLl, params: p, parameters: parameterCount(c.covariance, p.K, d) };
    }
  }
  const chosen = choose(evaluated);
  if (chosen) return { covariance: chosen.covariance, K: chosen.K, start: chosen.params, report: report(chosen.index) };
  // nothing fitted (every candidate over budget as the search went, or not finite): the cheapest, without a search
  const fallback = cheapest[0].c;
  fallback.skipped = `${fallback.skipped ?? 'not fitted'}; chosen without a search (the cheapest candidate)`;
  return { covariance: fallback.covariance, K: fallback.K, report: report(candidates.indexOf(fallback)) };
}

/** 'diag K=4' */
function name(c: { covariance: Covariance; K: number }): string {
  return `${c.covariance} K=${c.K}`;
}

/** A candidate fitted and scored on the held-out rows. */
interface Evaluated {
  /** In the report's candidates. */
  index: number;
  covariance: Covariance;
  K: number;
  iterations: number;
  /** log p̂ of each held-out row, and their mean. */
  ll: Float64Array;
  mean: number;
  params: GmmParams;
  /** Free parameters of the fitted mixture. */
  parameters: number;
}

/** The highest mean held-out log-likelihood (the first such). */
function best(evaluated: Evaluated[]): Evaluated | undefined {
  let top: Evaluated | undefined;
  for (const e of evaluated) if (!top || e.mean > top.mean) top = e;
  return top;
}

/**
 * a's held-out log-likelihood is above b's by more than one standard error of the mean paired
 * difference over the held-out rows (the rows are shared, so the comparison is paired).
 */
export function beats(a: { ll: Float64Array }, b: { ll: Float64Array }): boolean {
  const n = a.ll.length;
  let s = 0;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const t = a.ll[i] - b.ll[i];
    s += t;
    ss += t * t;
  }
  const m = s / n;
  const se = n > 1 ? Math.sqrt(Math.max(0, ss / n - m * m) / (n - 1)) : 0;
  return m > se;
}

/**
 * The one-standard-error rule: of the candidates that the best is not significantly above
 * ({@link beats}), the one with the fewest free parameters (ties: considered first).
 */
function choose(evaluated: Evaluated[]): Evaluated | undefined {
  const top = best(evaluated);
  if (!top) return undefined;
  let chosen = top;
  for (const e of evaluated) if (e.parameters < chosen.parameters && !beats(top, e)) chosen = e;
  return chosen;
}

/** Free parameters of a K-component mixture in d dimensions. */
export function parameterCount(cov: Covariance, K: number, d: number): number {
  const weights = K - 1;
  const means = K * d;
  const sym = (d * (d + 1)) / 2;
  return weights + means + (cov === 'diag' ? K * d : cov === 'tied' ? sym : K * sym);
}

/**
 * Seconds of EM work on the reference machine, from unit costs measured on a 2-core machine with the
 * wasm backend (single-threaded; the fastest of repeated fits agreed with these within a factor of
 * about 2, medians on a busy machine 2–3× slower). Deliberately not rescaled by measured times: the
 * search's choices must not depend on the machine or its load.
 */
/**
 * `em.fullFit` 'auto' for a fixed full covariance with K components: plain EM ('em', from a diagonal
 * start, {@link DEFAULT_ITERATIONS} passes predicted) when its fit and the scoring of every row are
 * predicted to take at most `densitySearch.budgetSeconds` on the reference machine, else the shrunk
 * fit from a tied start (./em.ts). Deterministic: the cost model, never a clock.
 */
export function resolveFullFit(settings: EstimatorSettings, N: number, d: number, K: number): { fullFit: 'em' | 'shrunk'; predictedSeconds: number } {
  const cost = new CostModel(d);
  const n = Math.min(N, settings.em.fitSubsample);
  const iterations = Math.min(settings.em.maxIter, DEFAULT_ITERATIONS);
  const predictedSeconds = cost.fit('diag', K, n, iterations, SEARCH_SEED_ROWS) + cost.fit('full', K, n, iterations, 0) + cost.score('full', K, N);
  const { fullFit } = settings.em;
  return { fullFit: fullFit !== 'auto' ? fullFit : predictedSeconds <= settings.densitySearch.budgetSeconds ? 'em' : 'shrunk', predictedSeconds };
}

export class CostModel {
  /** Seconds per unit (see the private methods below for where each applies). */
  static readonly UNIT = {
    /** per fit: setup, subsamples, the first pass's transposes */
    fit: 0.02,
    /** per row·dimension and pass: upload, centring, squares, the transposed blocks */
    row: 6e-9,
    /** per row·component·dimension and pass: diagonal and tied E- and M-step matMuls */
    mix: 0.8e-9,
    /** per multiply-add of a large matMul: tied covariance's total scatter and whitening */
    gemm: 0.12e-9,
    /** per row·component·d² and pass: full covariance's whitening and scatter, per component */
    full: 0.4e-9,
    /** per float64 multiply-add in JS: Cholesky factors and their inverses; k-means' Lloyd steps */
    js: 2e-9,
    /** per row block and pass */
    block: 1e-3,
  };
  constructor(private readonly d: number) {}

  /** Fitting on n rows with `iterations` M-steps, seeded by k-means++ on `seedRows` rows (0: started from given parameters). */
  fit(cov: Covariance, K: number, n: number, iterations: number, seedRows: number): number {
    return this.rawFit(cov, K, n, iterations, seedRows);
  }

  /**
   * Tied covariance continued on all n rows from a fit on a subsample: the total scatter of the n rows,
   * and {@link REFINE_PASSES} passes with their M-steps.
   */
  refine(K: number, n: number): number {
    const U = CostModel.UNIT;
    const passes = K === 1 ? 2 : REFINE_PASSES;
    return n * this.d * this.d * U.gemm + this.pass(1, n) + passes * this.pass(K, n) + (passes / 2) * this.d ** 3 * U.js;
  }

  /** Scoring n rows. */
  score(cov: Covariance, K: number, n: number): number {
    return this.rawScore(cov, K, n);
  }

  private pass(K: number, n: number): number {
    const U = CostModel.UNIT;
    return n * this.d * U.row + n * K * this.d * U.mix + Math.ceil(n / BLOCK_ROWS) * U.block;
  }

  private rawFit(cov: Covariance, K: number, n: number, iterations: number, seedRows: number): number {
    const U = CostModel.UNIT;
    const d = this.d;
    const m = Math.min(n, seedRows);
    // k-means++ (2 + ln K candidates per seed) and up to 10 Lloyd steps: distance matMuls and JS updates
    const init = seedRows > 0 && K > 1 ? m * d * K * (2 + Math.log(K) + 10) * U.mix + 10 * m * (d + K) * U.js : 0;
    const passes = (iterations + 1) * this.pass(K, n);
    const setup = U.fit + m * d * U.row + init;
    if (cov === 'diag') return setup + passes;
    if (cov === 'tied') return setup + n * d * d * U.gemm + this.pass(1, n) + passes + (iterations / 2 + 1 / 3) * d ** 3 * U.js;
    const diagPhase = seedRows > 0 ? (iterations + 1) * this.pass(K, n) : 0;
    return setup + diagPhase + passes + (iterations + 1) * n * K * d * d * U.full + iterations * K * (d ** 3 / 2) * U.js;
  }

  private rawScore(cov: Covariance, K: number, n: number): number {
    const U = CostModel.UNIT;
    const s = this.pass(K, n);
    if (cov === 'diag') return s;
    if (cov === 'tied') return s + n * this.d * this.d * U.gemm;
    return s + (n * K * this.d * this.d * U.full) / 2;
  }
}


function mean(a: Float64Array): number {
  let s = 0;
  for (const v of a) s += v;
  return s / a.length;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function fmt(x: number): string {
  return x >= 10 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toFixed(2);
}
