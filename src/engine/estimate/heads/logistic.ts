/**
 * L2-penalised multinomial logistic regression on standardised inputs:
 *
 *   minimise  mean_i [ logsumexp(x̃_i W + b) − (x̃_i W + b)_{y_i} ] + λ/2 ‖W‖²   (b not penalised)
 *
 * by L-BFGS (lbfgs.ts) with the gradient Xᵀ(P − Y)/n + λW on tfjs. The penalty is chosen by held-out
 * log-loss along a path (`logistic.penalties`, strongest first, each fit warm-started from the
 * previous one; the path stops at the first penalty whose held-out loss is higher than the one before). A penalty found on n_sel
 * rows is reused on n rows as λ·n_sel/n: the penalty of a mean loss is a fixed prior divided by the
 * number of rows, so this keeps the prior.
 *
 * The standardised training rows live in tfjs as row blocks (and their transposes) when they fit in
 * {@link CACHE_FLOATS}; larger sets are gathered again at every evaluation.
 */
import { initBackend, tf } from '../../compute/backend';
import type { FamilyContext, FittedProbe, ProbeFamilyImpl, Selected, TrainingSet, Tuning } from './family';
import { minimizeLbfgs } from './lbfgs';
import { type LinearModel, BLOCK_ROWS, scoreLinear } from './linear';
import { type HeadData, Pacer, gatherRows, labelsOf, standardisation, stratifiedSplit, stratifiedSubsample, transpose } from './rows';
import { calibratedLoss } from './calibration';

/**
 * The fits along the penalty path only rank penalties (their held-out losses are compared to
 * ~1e-3 nats): a looser tolerance and at most 10 L-BFGS iterations each (PATH_MAX_ITER) (each warm-starts from the
 * previous penalty's fit; a fit cut short sits between its penalty and the previous one). The fit
 * that scores held-out rows converges fully (`logistic.tol`, `logistic.maxIter`).
 */
const PATH_TOL = 1e-4;
const PATH_MAX_ITER = 10;

/** Floats of standardised rows (X and Xᵀ together) kept in tfjs between evaluations. */
const CACHE_FLOATS = 2 ** 26;

interface Block {
  rows: Int32Array;
  x?: tf.Tensor2D;
  xt?: tf.Tensor2D;
  y?: tf.Tensor2D;
}

/** The objective over a set of training rows, on tfjs. */
class Objective {
  private readonly blocks: Block[] = [];
  private readonly cached: boolean;
  private readonly d: number;
  private readonly C: number;
  private readonly onesC: tf.Tensor2D;
  penalty = 0;

  constructor(
    private readonly data: HeadData,
    private readonly rows: Int32Array,
    private readonly mean: Float64Array,
    private readonly invScale: Float64Array,
  ) {
    this.d = mean.length;
    this.C = data.nClasses;
    this.onesC = tf.ones([this.C, 1]);
    this.cached = 2 * rows.length * this.d <= CACHE_FLOATS;
    for (let s = 0; s < rows.length; s += BLOCK_ROWS) this.blocks.push({ rows: rows.subarray(s, Math.min(s + BLOCK_ROWS, rows.length)) });
    if (this.cached) for (const b of this.blocks) this.upload(b);
  }

  private upload(b: Block): void {
    const B = b.rows.length;
    const x = new Float32Array(B * this.d);
    gatherRows(this.data, b.rows, this.mean, this.invScale, x);
    const xt = new Float32Array(B * this.d);
    transpose(x, B, this.d, xt);
    const y = new Float32Array(B * this.C);
    for (let i = 0; i < B; i++) y[i * this.C + this.data.labels[b.rows[i]]] = 1;
    b.x = tf.tensor2d(x, [B, this.d]);
    b.xt = tf.tensor2d(xt, [this.d, B]);
    b.y = tf.tensor2d(y, [B, this.C]);
  }

  private release(b: Block): void {
    tf.dispose([b.x!, b.xt!, b.y!]);
    b.x = b.xt = b.y = undefined;
  }

  /** Value and gradient at θ = [W (d×C, row-major), b (C)]. */
  async evaluate(theta: Float64Array): Promise<{ value: number; grad: Float64Array }> {
    const { d, C } = this;
    const W = tf.tensor2d(Float32Array.from(theta.subarray(0, d * C)), [d, C]);
    const bias = tf.tensor2d(Float32Array.from(theta.subarray(d * C)), [1, C]);
    const parts: tf.Tensor[] = [];
    try {
      for (const b of this.blocks) {
        if (!this.cached) this.upload(b);
        const B = b.rows.length;
        parts.push(
          tf.tidy(() => {
            // one exp: p = e / Σe with e = exp(z − max); logsumexp = max + log Σe (row sums as a matMul by ones)
            const z = tf.add(tf.matMul(b.x!, W), bias);
            const max = tf.max(z, 1, true);
            const e = tf.exp(tf.sub(z, max));
            const sum = tf.matMul(e, this.onesC);
            const p = tf.div(e, sum);
            const lse = tf.add(max, tf.log(sum));
            const dz = tf.sub(p, b.y!);
            const ones = tf.ones([1, B]);
            const loss = tf.sub(tf.sum(lse), tf.sum(tf.mul(z, b.y!)));
            return tf.concat([tf.reshape(tf.matMul(b.xt!, dz), [-1]), tf.reshape(tf.matMul(ones, dz), [-1]), tf.reshape(loss, [1])]);
          }),
        );
        if (!this.cached) this.release(b);
      }
      const total = parts.length === 1 ? parts[0] : tf.addN(parts);
      const v = (await total.data()) as Float32Array;
      if (total !== parts[0]) total.dispose();
      const n = this.rows.length;
      const grad = new Float64Array(d * C + C);
      for (let i = 0; i < grad.length; i++) grad[i] = v[i] / n;
      let value = v[d * C + C] / n;
      for (let i = 0; i < d * C; i++) {
        value += 0.5 * this.penalty * theta[i] * theta[i];
        grad[i] += this.penalty * theta[i];
      }
      return { value, grad };
    } finally {
      tf.dispose([W, bias, ...parts]);
    }
  }

  dispose(): void {
    if (this.cached) for (const b of this.blocks) this.release(b);
    this.onesC.dispose();
  }
}

function toModel(theta: Float64Array, mean: Float64Array, invScale: Float64Array, C: number): LinearModel {
  const d = mean.length;
  return { shift: mean, invScale, W: Float32Array.from(theta.subarray(0, d * C)), b: Float32Array.from(theta.subarray(d * C)), nClasses: C };
}

export function formatPenalty(l: number): string {
  return `λ = ${l.toExponential(0)}`;
}

export class LogisticFamily implements ProbeFamilyImpl {
  readonly name = 'logistic' as const;

  constructor(private readonly data: HeadData) {}

  /** The penalty path on train, scored on val: the best penalty, its θ and the val logits. */
  private async path(train: Int32Array, val: Int32Array, ctx: FamilyContext): Promise<{ penalty: number; valLogits: Float32Array }> {
    await initBackend();
    const C = this.data.nClasses;
    const { mean, scale } = standardisation(this.data, train);
    const invScale = scale.map((v) => 1 / v);
    const obj = new Objective(this.data, train, mean, invScale);
    const yVal = labelsOf(this.data.labels, val);
    const s = ctx.settings.logistic;
    let theta: Float64Array = new Float64Array(mean.length * C + C);
    let best: { penalty: number; loss: number; valLogits: Float32Array } | undefined;
    let previous = Infinity;
    const pacer = new Pacer(ctx.signal);
    try {
      for (let i = 0; i < s.penalties.length; i++) {
        obj.penalty = s.penalties[i];
        const t0 = performance.now();
        // a held-out comparison needs the optimum to ~1e-3 nats, not the final fit's precision
        const fit = await minimizeLbfgs((t) => obj.evaluate(t), theta, { maxIter: Math.min(s.maxIter, PATH_MAX_ITER), tol: Math.max(s.tol, PATH_TOL), signal: ctx.signal });
        if (process.env.LSMI_DEBUG) console.error(`logistic path λ ${obj.penalty}: ${fit.iterations} it, ${fit.evaluations} ev, ${(performance.now() - t0).toFixed(0)} ms, ${train.length} rows`);
        theta = fit.x;
        const z = await scoreLinear(this.data, toModel(theta, mean, invScale, C), val, ctx.signal);
        const loss = calibratedLoss(z, yVal, C);
        if (process.env.LSMI_DEBUG) console.error(`logistic path λ ${s.penalties[i]}: held-out ${loss.toFixed(4)} (best so far of other families ${ctx.bestSoFar?.toFixed(4)})`);
        if (!best || loss < best.loss) best = { penalty: s.penalties[i], loss, valLogits: z };
        const rose = loss > previous;
        previous = loss;
        ctx.onProgress?.((i + 1) / s.penalties.length);
        await pacer.tick();
        // held-out loss along a penalty path is unimodal in practice: the first rise ends it
        if (rose) break;
      }
    } finally {
      obj.dispose();
    }
    return { penalty: best!.penalty, valLogits: best!.valLogits };
  }

  async select(train: Int32Array, val: Int32Array, ctx: FamilyContext): Promise<Selected> {
    const { penalty, valLogits } = await this.path(train, val, ctx);
    return { valLogits, tuning: { penalty, rows: train.length }, detail: formatPenalty(penalty) };
  }

  async fit(train: TrainingSet, tuning: Tuning | undefined, ctx: FamilyContext): Promise<FittedProbe> {
    await initBackend();
    const C = this.data.nClasses;
    const s = ctx.settings.logistic;
    if (!tuning?.penalty) {
      if (s.penalties.length === 1) tuning = { penalty: s.penalties[0], rows: train.rows.length };
      else {
        // no selection ran (a fixed family): find the penalty on an inner split of a subsample
        const sub = stratifiedSubsample(train.rows, this.data.labels, ctx.settings.selection.maxRows, ctx.rng.fork());
        const split = stratifiedSplit(sub, this.data.labels, ctx.settings.selection.valFraction, ctx.rng.fork());
        const found = await this.path(split.train, split.val, { ...ctx, onProgress: ctx.onProgress && ((f) => ctx.onProgress!(0.3 * f)) });
        tuning = { penalty: found.penalty, rows: split.train.length };
      }
    }
    const penalty = (tuning.penalty! * (tuning.rows ?? train.rows.length)) / train.rows.length;
    const { mean, scale } = standardisation(this.data, train.rows);
    const invScale = scale.map((v) => 1 / v);
    const obj = new Objective(this.data, train.rows, mean, invScale);
    obj.penalty = penalty;
    let theta: Float64Array;
    try {
      const r = await minimizeLbfgs((t) => obj.evaluate(t), new Float64Array(mean.length * C + C), { maxIter: s.maxIter, tol: s.tol, signal: ctx.signal });
      if (process.env.LSMI_DEBUG) console.error(`logistic fit: ${r.iterations} iterations, ${r.evaluations} evaluations`);
      theta = r.x;
    } finally {
      obj.dispose();
    }
    ctx.onProgress?.(1);
    const model = toModel(theta, mean, invScale, C);
    return { family: 'logistic', detail: formatPenalty(penalty), score: (rows, signal) => scoreLinear(this.data, model, rows, signal) };
  }
}
