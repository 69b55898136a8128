/**
 * Golden vectors: outputs of the official LSMI code (GeWu-Lab/LSMI_Estimator @ 13e4db2, torch 1.13
 * CPU) on fixed inputs, copied verbatim into GOLDEN below (docs/estimator.md, "Golden vectors"). Every
 * group must be reproduced to 1e-5.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { initBackend, tf } from '../../src/engine/compute/backend';
import { decompose, type PointwiseTerms } from '../../src/engine/estimate/decompose';
import {
  Adam,
  knifeArrays,
  knifeLogPdf,
  knifeLossAndGrads,
  knifeTrainStep,
  newKnifeGrads,
  type KnifeParams,
} from '../../src/engine/estimate/density/knife';
import { logPrior, logSoftmaxAt, pointwiseMI } from '../../src/engine/estimate/pmi';
import { denseMatrix } from '../../src/engine/io/matrix';

const TOL = 1e-5;

function assertClose(actual: ArrayLike<number>, expected: readonly number[], what: string, tol = TOL): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: got ${actual[i]}, expected ${expected[i]}`);
  }
}

const flat = (a: unknown): number[] => (Array.isArray(a) ? a.flatMap(flat) : [a as number]);
const f32 = (a: unknown) => Float32Array.from(flat(a));

/** The MargKernel parameters of the knife_logpdf group (the Adam traces start from them too). */
function goldenParams(): KnifeParams {
  const g = GOLDEN.knife_logpdf;
  return { K: g.K, d: g.d, means: f32(g.means), logvar: f32(g.logvar), tri: f32(g.tri), weigh: f32(g.weigh) };
}

describe('golden vectors from the official code', () => {
  it('knife_logpdf: MargKernel log-density (tfjs, float32), with tri entries on/above the diagonal ignored', async () => {
    const g = GOLDEN.knife_logpdf;
    const x = denseMatrix(g.x.length, g.d, f32(g.x));
    await initBackend();
    const before = tf.memory().numTensors;
    const lp = await knifeLogPdf(goldenParams(), x, g.use_tanh);
    assertClose(lp, g.logpdf_f32, 'logpdf_f32');
    assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
  });

  it('knife_logpdf: the float64 training loss equals the official train-mode forward (mean NLL)', () => {
    const g = GOLDEN.knife_logpdf;
    const { loss } = knifeLossAndGrads(goldenParams(), f32(g.x), g.x.length, g.use_tanh);
    assert.ok(Math.abs(loss - g.train_forward_mean_f32) <= TOL, `loss ${loss}`);
    const meanF64 = -g.logpdf_f64.reduce((a, b) => a + b, 0) / g.logpdf_f64.length;
    assert.ok(Math.abs(loss - meanF64) <= 1e-9, `loss ${loss} vs float64 reference ${meanF64}`);
  });

  for (const [variant, zeroGrad] of [
    ['official_no_zero_grad', false],
    ['with_zero_grad', true],
  ] as const) {
    it(`knife_adam_trace (${variant}): losses before each Adam step and all final parameters`, () => {
      // One MargKernel trained alone: that is what the trace holds (the official NLL1 + NLL2 with one
      // optimiser gives each kernel exactly this update, see knife.ts).
      const g = GOLDEN.knife_adam_trace;
      const want = g[variant];
      const p = goldenParams();
      const triBefore = Float32Array.from(p.tri!);
      const grads = newKnifeGrads(p);
      const adam = new Adam(knifeArrays(p), { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
      const losses = g.batches.map((b) => knifeTrainStep(p, grads, adam, f32(b), b.length, true, zeroGrad));
      assertClose(losses, want.losses_before_each_step, 'losses');
      assertClose(p.means, flat(want.means), 'means');
      assertClose(p.logvar, flat(want.logvar), 'logvar');
      assertClose(p.weigh, flat(want.weigh), 'weigh');
      const lower: number[] = [];
      const d = p.d;
      for (let k = 0; k < p.K; k++) {
        for (let i = 0; i < d; i++) {
          for (let j = 0; j < d; j++) {
            const at = (k * d + i) * d + j;
            if (j < i) lower.push(p.tri![at]);
            else assert.equal(p.tri![at], triBefore[at], `tri[${k},${i},${j}] (on/above the diagonal) must not change`);
          }
        }
      }
      assertClose(lower, flat(want.tri_strict_lower), 'tri strictly lower');
      assert.equal(want.tri_upper_and_diag_changed, false);
    });
  }

  it('pmi_from_logits: uniform-prior pointwise MI, stable for a confident wrong prediction', () => {
    const g = GOLDEN.pmi_from_logits;
    const labels = Int32Array.from(g.labels);
    const logits = denseMatrix(g.logits.length, g.n_classes, f32(g.logits));
    const pmi = pointwiseMI(logSoftmaxAt(logits, labels), labels, logPrior(labels, g.n_classes, 'uniform'));
    assertClose(pmi, g.pmi_f32, 'pmi');
    assert.ok(pmi.every(Number.isFinite));
  });

  const branches = {
    priority2_U_negative: 'priority2',
    priority1_S_negative: 'priority1_S_lt_R',
    priority1_R_negative: 'priority1_R_le_S',
    no_adjustment: 'none',
  } as const;
  for (const [name, branch] of Object.entries(branches) as [keyof typeof branches, string][]) {
    it(`lsmi_core ${name}: per-sample r, u1, u2, s, the branch and the means`, () => {
      const g = GOLDEN.lsmi_core[name];
      const f64 = (a: number[]) => Float64Array.from(a);
      const t: PointwiseTerms = { h1: f64(g.inputs.H1), h2: f64(g.inputs.H2), i1: f64(g.inputs.I1), i2: f64(g.inputs.I2), i12: f64(g.inputs.I12) };
      const out = decompose(t);
      assert.equal(out.branch, branch);
      assertClose(out.raw.r, g.r, 'r');
      assertClose(out.raw.u1, g.u1, 'u1');
      assertClose(out.raw.u2, g.u2, 'u2');
      assertClose(out.raw.s, g.s, 's');
      const m = out.means;
      assertClose([m.raw.R, m.raw.U1, m.raw.U2, m.raw.S], g.raw_means, 'raw means');
      assertClose(out.adjusted.r, g.adj[0], 'adjusted r');
      assertClose(out.adjusted.u1, g.adj[1], 'adjusted u1');
      assertClose(out.adjusted.u2, g.adj[2], 'adjusted u2');
      assertClose(out.adjusted.s, g.adj[3], 'adjusted s');
      assertClose([m.adjusted.R, m.adjusted.U1, m.adjusted.U2, m.adjusted.S], g.adj_means, 'adjusted means');
      assertClose([out.adj], [g.adj[0][0] - g.r[0]], 'adj');
    });
  }
});

const GOLDEN = {
  knife_logpdf: {
    d: 2,
    K: 5,
    use_tanh: true,
    means: [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-0.5, 0.5]],
    logvar: [[[0.0, 0.0], [0.5, -0.5], [1.0, 2.0], [-1.0, 0.30000001192092896], [0.20000000298023224, -2.0]]],
    tri: [
      [
        [[9.0, 9.0], [0.0, 9.0]],
        [[9.0, 9.0], [0.5, 9.0]],
        [[9.0, 9.0], [-1.0, 9.0]],
        [[9.0, 9.0], [2.0, 9.0]],
        [[9.0, 9.0], [0.10000000149011612, 9.0]],
      ],
    ],
    weigh: [[1.0, 0.5, 0.0, -0.5, 2.0]],
    x: [[0.10000000149011612, -0.20000000298023224], [0.8999999761581421, 1.100000023841858], [2.0, -1.0], [-0.5, 0.5]],
    logpdf_f32: [-2.692603917395826, -3.128423364436384, -4.664656908786054, -2.2640510514137704],
    logpdf_f64: [-2.692603769305862, -3.1284233536207586, -4.664656941240281, -2.264051122674049],
    eval_forward_f32: [2.692603917395826, 3.128423364436384, 4.664656908786054, 2.2640510514137704],
    train_forward_mean_f32: 3.1874338105080087,
  },
  knife_adam_trace: {
    note: "Adam(lr=1e-3, betas=(0.9,0.999), eps=1e-8); params iterated in order means, logvar, tri, weigh; batches xb[0..2]",
    batches: [
      [[0.10000000149011612, -0.20000000298023224], [0.8999999761581421, 1.100000023841858], [2.0, -1.0], [-0.5, 0.5]],
      [[1.0, 0.0], [0.0, 1.0], [0.30000001192092896, 0.30000001192092896], [-1.0, -1.0]],
      [[0.5, 0.5], [1.5, -0.5], [0.0, 0.0], [0.20000000298023224, 0.800000011920929]],
    ],
    official_no_zero_grad: {
      losses_before_each_step: [3.1874338105080087, 2.7449808880445916, 2.8183889701721627],
      means: [
        [0.002964006969705224, 0.002733329776674509],
        [1.0029510259628296, 0.0029489239677786827],
        [-0.00045482313726097345, 0.9971199035644531],
        [0.997053325176239, 0.9970405697822571],
        [-0.49705666303634644, 0.49735093116760254],
      ],
      logvar: [
        [
          [0.00018436426762491465, 0.0028698877431452274],
          [0.4970874786376953, -0.49705207347869873],
          [0.9990405440330505, 2.002925157546997],
          [-0.9969972968101501, 0.29699814319610596],
          [0.1987733244895935, -1.9970909357070923],
        ],
      ],
      tri_strict_lower: [[0.0024877022951841354], [0.4970150589942932], [-0.9971076250076294], [2.002948522567749], [0.0972888246178627]],
      tri_upper_and_diag_changed: false,
      weigh: [[1.0029070377349854, 0.5029833912849426, 0.002839511726051569, -0.5003066658973694, 1.9970507621765137]],
    },
    with_zero_grad: {
      losses_before_each_step: [3.1874338105080087, 2.7449808880445916, 2.818378241336103],
      means: [
        [0.0027863362338393927, 0.002022999804466963],
        [1.001776933670044, 0.0017606655601412058],
        [-1.134304329752922e-05, 0.9972074627876282],
        [0.9970442056655884, 0.9970831274986267],
        [-0.4971526563167572, 0.49765852093696594],
      ],
      logvar: [
        [
          [0.0002811300801113248, 0.002985266735777259],
          [0.49838051199913025, -0.4970493018627167],
          [0.9995732307434082, 2.002695083618164],
          [-0.9975196719169617, 0.29754915833473206],
          [0.19922693073749542, -1.9969995021820068],
        ],
      ],
      tri_strict_lower: [[0.0011313523864373565], [0.4972327649593353], [-0.9971925616264343], [2.001756429672241], [0.09748809039592743]],
      tri_upper_and_diag_changed: false,
      weigh: [[1.0030030012130737, 0.5026597380638123, 0.0028987897094339132, -0.5003095865249634, 1.9970505237579346]],
    },
  },
  pmi_from_logits: {
    n_classes: 3,
    logits: [[2.0, 0.5, -1.0], [0.0, 0.0, 0.0], [-3.0, 4.0, 1.0], [10.0, -10.0, 0.0]],
    labels: [0, 2, 1, 1],
    pmi_f32: [0.8573009967803955, 0.0, 1.0491567850112915, -18.90143394470215],
    formula: "log(n_classes) + log(softmax(logits)[label])",
  },
  lsmi_core: {
    priority2_U_negative: {
      inputs: {
        H1: [1.0, 2.0, 0.5, 3.0],
        H2: [1.5, 1.0, 0.5, 2.0],
        I1: [0.6000000238418579, 0.20000000298023224, 0.0, 0.4000000059604645],
        I2: [0.30000001192092896, 0.5, 0.699999988079071, 0.10000000149011612],
        I12: [0.8999999761581421, 0.6000000238418579, 0.699999988079071, 0.5],
      },
      r: [0.6000000238418579, 0.5, 0.699999988079071, 0.10000002384185791],
      u1: [0.0, -0.30000001192092896, -0.699999988079071, 0.29999998211860657],
      u2: [-0.30000001192092896, 0.0, 0.0, -2.2351741790771484e-08],
      s: [0.5999999642372131, 0.40000003576278687, 0.699999988079071, 0.10000001639127731],
      raw_means: [0.4749999940395355, -0.17500001192092896, -0.07500001043081284, 0.45000001788139343],
      adj: [
        [0.42500001192092896, 0.32499998807907104, 0.5249999761581421, -0.07499998807907104],
        [0.17500001192092896, -0.125, -0.5249999761581421, 0.4749999940395355],
        [-0.125, 0.17500001192092896, 0.17500001192092896, 0.17499998211860657],
        [0.4249999523162842, 0.2250000238418579, 0.5249999761581421, -0.07499999552965164],
      ],
      adj_means: [0.30000001192092896, 7.450580596923828e-09, 0.10000000149011612, 0.2749999761581421],
    },
    priority1_S_negative: {
      inputs: {
        H1: [1.0, 1.0, 1.0],
        H2: [1.0, 1.0, 1.0],
        I1: [0.5, 0.4000000059604645, 0.6000000238418579],
        I2: [0.5, 0.4000000059604645, 0.6000000238418579],
        I12: [0.20000000298023224, 0.10000000149011612, 0.30000001192092896],
      },
      r: [0.5, 0.3999999761581421, 0.6000000238418579],
      u1: [0.0, 2.9802322387695312e-08, 0.0],
      u2: [0.0, 2.9802322387695312e-08, 0.0],
      s: [-0.30000001192092896, -0.30000004172325134, -0.30000001192092896],
      raw_means: [0.5, 9.934107758624577e-09, 9.934107758624577e-09, -0.30000001192092896],
      adj: [
        [0.800000011920929, 0.699999988079071, 0.9000000357627869],
        [-0.30000001192092896, -0.29999998211860657, -0.30000001192092896],
        [-0.30000001192092896, -0.29999998211860657, -0.30000001192092896],
        [0.0, -2.9802322387695312e-08, 0.0],
      ],
      adj_means: [0.800000011920929, -0.30000001192092896, -0.30000001192092896, -9.934107758624577e-09],
    },
    priority1_R_negative: {
      inputs: {
        H1: [1.0, 3.0],
        H2: [2.0, 1.0],
        I1: [-0.5, 0.10000000149011612],
        I2: [0.20000000298023224, -0.4000000059604645],
        I12: [0.800000011920929, 0.8999999761581421],
      },
      r: [-0.5, -0.3999999761581421],
      u1: [0.0, 0.4999999701976776],
      u2: [0.699999988079071, -2.9802322387695312e-08],
      s: [0.5999999642372131, 0.7999999523162842],
      raw_means: [-0.44999998807907104, 0.2499999850988388, 0.34999996423721313, 0.6999999284744263],
      adj: [
        [-0.050000011920928955, 0.050000011920928955],
        [-0.44999998807907104, 0.04999998211860657],
        [0.25, -0.45000001788139343],
        [1.0499999523162842, 1.25],
      ],
      adj_means: [0.0, -0.20000000298023224, -0.10000000894069672, 1.149999976158142],
    },
    no_adjustment: {
      inputs: {
        H1: [1.0, 3.0],
        H2: [3.0, 1.0],
        I1: [0.20000000298023224, 0.5],
        I2: [0.5, 0.20000000298023224],
        I12: [0.8999999761581421, 0.8999999761581421],
      },
      r: [0.19999998807907104, 0.19999998807907104],
      u1: [1.4901161193847656e-08, 0.30000001192092896],
      u2: [0.30000001192092896, 1.4901161193847656e-08],
      s: [0.3999999761581421, 0.3999999761581421],
      raw_means: [0.19999998807907104, 0.15000000596046448, 0.15000000596046448, 0.3999999761581421],
      adj: [
        [0.19999998807907104, 0.19999998807907104],
        [1.4901161193847656e-08, 0.30000001192092896],
        [0.30000001192092896, 1.4901161193847656e-08],
        [0.3999999761581421, 0.3999999761581421],
      ],
      adj_means: [0.19999998807907104, 0.15000000596046448, 0.15000000596046448, 0.3999999761581421],
    },
  },
};
