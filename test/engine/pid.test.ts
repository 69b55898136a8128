/**
 * BROJA PID, the semi-supervised synergy bounds and the discretisation against exact oracles: the
 * cases B1–B4 and S1–S5 of docs/pid.md, "Test cases".
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type JointTable, broja, clusterPid, discretise, entropy, majorizationMeet, marginals, resolvePidSettings, solveMinSynergy, synergyBounds, tableFromTriples, tableInfo, permuteTable, kmeans } from '../../src/engine/pid';
import { Rng } from '../../src/engine/random';

const LN2 = Math.log(2);
const h = (p: number) => -(p * Math.log(p) + (1 - p) * Math.log(1 - p));

type Case = { name: string; triples: [number, number, number, number?][]; R: number; U1: number; U2: number; S: number; tol: number };
// exact closed forms where they exist; the dit `diff` values are given to 6 decimals (tolerance: 1e-6 + the rounding)
const CASES: Case[] = [
  { name: 'XOR', triples: [[0, 0, 0], [0, 1, 1], [1, 0, 1], [1, 1, 0]], R: 0, U1: 0, U2: 0, S: LN2, tol: 1e-6 },
  { name: 'AND', triples: [[0, 0, 0], [0, 1, 0], [1, 0, 0], [1, 1, 1]], R: h(0.25) - LN2 / 2, U1: 0, U2: 0, S: LN2 / 2, tol: 1e-6 },
  { name: 'OR', triples: [[0, 0, 0], [0, 1, 1], [1, 0, 1], [1, 1, 1]], R: h(0.25) - LN2 / 2, U1: 0, U2: 0, S: LN2 / 2, tol: 1e-6 },
  { name: 'COPY', triples: [[0, 0, 0], [0, 1, 1], [1, 0, 2], [1, 1, 3]], R: 0, U1: LN2, U2: LN2, S: 0, tol: 1e-6 },
  { name: 'UNQ', triples: [[0, 0, 0], [0, 1, 0], [1, 0, 1], [1, 1, 1]], R: 0, U1: LN2, U2: 0, S: 0, tol: 1e-6 },
  { name: 'RDN', triples: [[0, 0, 0], [1, 1, 1]], R: LN2, U1: 0, U2: 0, S: 0, tol: 1e-6 },
  { name: 'SUM', triples: [[0, 0, 0], [0, 1, 1], [1, 0, 1], [1, 1, 2]], R: LN2 / 2, U1: 0, U2: 0, S: LN2, tol: 1e-6 },
  { name: 'diff', triples: [[0, 0, 0], [0, 0, 1], [0, 1, 0], [1, 0, 1]], R: 0.08495, U1: 0.130812, U2: 0.130812, S: 0, tol: 1.5e-6 },
  { name: 'reduced OR', triples: [[0, 0, 0, 2], [0, 1, 1, 1], [1, 0, 1, 1]], R: LN2 - 0.75 * h(1 / 3), U1: 0, U2: 0, S: 0.75 * h(1 / 3), tol: 1e-6 },
];

function randomTable(rng: Rng, n1: number, n2: number, ny: number, zeros = 0): JointTable {
  const p = new Float64Array(n1 * n2 * ny);
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    p[i] = rng.random() < zeros ? 0 : -Math.log(1 - rng.random()); // Exp(1) weights
    s += p[i];
  }
  if (s === 0) p[0] = s = 1;
  for (let i = 0; i < p.length; i++) p[i] /= s;
  return { n1, n2, ny, p };
}

/** f(Q) = Σ Q ln Q(y|x1,x2) of a table. */
function f(q: Float64Array, t: JointTable): number {
  let v = 0;
  for (let k = 0; k < t.n1 * t.n2; k++) {
    let r = 0;
    for (let y = 0; y < t.ny; y++) r += q[k * t.ny + y];
    for (let y = 0; y < t.ny; y++) if (q[k * t.ny + y] > 0) v += q[k * t.ny + y] * Math.log(q[k * t.ny + y] / r);
  }
  return v;
}

/** A random point of Δ_P: per class, a random positive matrix Sinkhorn-scaled to P(x1,y), P(x2,y). */
function randomFeasible(t: JointTable, rng: Rng): Float64Array {
  const m = marginals(t);
  const q = new Float64Array(t.p.length);
  for (let y = 0; y < t.ny; y++) {
    const w = new Float64Array(t.n1 * t.n2);
    for (let a = 0; a < t.n1; a++) for (let b = 0; b < t.n2; b++) w[a * t.n2 + b] = m.p1y[a * t.ny + y] > 0 && m.p2y[b * t.ny + y] > 0 ? 0.1 + rng.random() : 0;
    for (let it = 0; it < 5000; it++) {
      for (let a = 0; a < t.n1; a++) {
        let s = 0;
        for (let b = 0; b < t.n2; b++) s += w[a * t.n2 + b];
        if (s > 0) for (let b = 0; b < t.n2; b++) w[a * t.n2 + b] *= m.p1y[a * t.ny + y] / s;
      }
      for (let b = 0; b < t.n2; b++) {
        let s = 0;
        for (let a = 0; a < t.n1; a++) s += w[a * t.n2 + b];
        if (s > 0) for (let a = 0; a < t.n1; a++) w[a * t.n2 + b] *= m.p2y[b * t.ny + y] / s;
      }
    }
    for (let k = 0; k < t.n1 * t.n2; k++) q[k * t.ny + y] = w[k];
  }
  return q;
}

describe('BROJA PID (docs/pid.md B1–B4)', () => {
  for (const c of CASES) {
    it(`B1 ${c.name}: atoms exact, gap ≤ 1e-6, identities to 1e-9`, () => {
      const t = tableFromTriples(c.triples);
      const r = broja(t);
      assert.ok(r.converged && r.gap <= 1e-6, `gap ${r.gap}`);
      for (const k of ['R', 'U1', 'U2', 'S'] as const) assert.ok(Math.abs(r.atoms[k] - c[k]) <= c.tol, `${k}: ${r.atoms[k]} vs ${c[k]}`);
      const i = tableInfo(t);
      const { R, U1, U2, S } = r.atoms;
      // the identities hold exactly by construction (up to the 1e-9 clamp of round-off)
      assert.ok(Math.abs(R + U1 - i.I1) <= 2e-9);
      assert.ok(Math.abs(R + U2 - i.I2) <= 2e-9);
      assert.ok(Math.abs(R + U1 + U2 + S - i.I12) <= 4e-9);
      assert.ok(r.residual < 1e-9);
      assert.ok(r.iStarLower <= r.iStar);
    });
  }

  it('B2: swapping X1 and X2 swaps U1 and U2; relabelling classes or clusters changes nothing; constant Y gives 0', () => {
    const rng = new Rng(7);
    for (let k = 0; k < 10; k++) {
      const t = randomTable(rng, 2 + (k % 3), 3, 2 + (k % 2), 0.3);
      const a = broja(t).atoms;
      const sw = broja(permuteTable(t, [1, 0, 2])).atoms;
      assert.ok(Math.abs(a.U1 - sw.U2) < 2e-6 && Math.abs(a.U2 - sw.U1) < 2e-6 && Math.abs(a.R - sw.R) < 2e-6 && Math.abs(a.S - sw.S) < 2e-6, JSON.stringify([a, sw]));
      // relabel: reverse every axis
      const rev = { ...t, p: new Float64Array(t.p.length) };
      for (let x = 0; x < t.n1; x++) for (let z = 0; z < t.n2; z++) for (let y = 0; y < t.ny; y++) rev.p[((t.n1 - 1 - x) * t.n2 + (t.n2 - 1 - z)) * t.ny + (t.ny - 1 - y)] = t.p[(x * t.n2 + z) * t.ny + y];
      const rv = broja(rev).atoms;
      for (const key of ['R', 'U1', 'U2', 'S'] as const) assert.ok(Math.abs(a[key] - rv[key]) < 2e-6, key);
    }
    const constant = tableFromTriples([[0, 0, 0], [0, 1, 0], [1, 0, 0], [1, 1, 0, 3]]);
    assert.deepEqual(broja(constant).atoms, { R: 0, U1: 0, U2: 0, S: 0 });
  });

  it('B3: random 2–4-state tables: atoms ≥ −1e-9, and the certificate LB ≤ f(Q) for random feasible Q', () => {
    const rng = new Rng(11);
    let fails = 0;
    for (let k = 0; k < 60; k++) {
      const t = randomTable(rng, 2 + rng.int(3), 2 + rng.int(3), 2 + rng.int(3), k % 2 ? 0.25 : 0);
      const r = broja(t);
      for (const key of ['R', 'U1', 'U2', 'S'] as const) if (r.atoms[key] < -1e-9) fails++;
      const sol = solveMinSynergy(t);
      for (let j = 0; j < 5; j++) {
        const q = randomFeasible(t, rng);
        if (sol.lowerBound > f(q, t) + 1e-12) fails++;
      }
      assert.ok(sol.value <= f(t.p, t) + 1e-12, 'the solver never ends above P itself');
    }
    assert.equal(fails, 0);
  });

  it('B4: N = 2000, 20 × 20 uniform clusters, independent binary y: S is the plug-in bias, 0.08–0.14, and the null matches it', () => {
    const rng = new Rng(3);
    const n = 2000;
    const c1 = Int32Array.from({ length: n }, () => rng.int(20));
    const c2 = Int32Array.from({ length: n }, () => rng.int(20));
    const y = Int32Array.from({ length: n }, () => rng.int(2));
    const r = clusterPid(c1, c2, y, 20, 20, 2, resolvePidSettings({ shuffles: 20 }));
    assert.ok(r.pid.atoms.S >= 0.08 && r.pid.atoms.S <= 0.14, `S ${r.pid.atoms.S}`);
    assert.ok(Math.abs(r.null!.mean.S - r.pid.atoms.S) < 0.03, `null ${r.null!.mean.S} vs S ${r.pid.atoms.S}`);
    assert.ok(r.warnings.some((w) => /plug-in bias/.test(w)));
  });
});

describe('semi-supervised synergy bounds (docs/pid.md S1–S5)', () => {
  const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

  it('S1 AND', () => {
    const b = synergyBounds(tableFromTriples([[0, 0, 0], [0, 1, 0], [1, 0, 0], [1, 1, 1]]));
    close(b.brojaS, LN2 / 2, 1e-6, 'S');
    assert.ok(b.lowerRedundancy >= 0.34656 && b.lowerRedundancy <= LN2 / 2 + 1e-9, `S_R full ${b.lowerRedundancy}`);
    close(b.lowerRedundancyRepo, h(0.25) - LN2 / 2, 1e-6, 'S_R repo');
    close(b.alpha, 0.5, 1e-12, 'α');
    close(b.lowerDisagreement, 0.0625, 1e-6, 'S_D');
    close(b.upper, LN2 / 2, 1e-6, 'S_U');
  });

  it('S2 reduced OR', () => {
    const b = synergyBounds(tableFromTriples([[0, 0, 0, 2], [0, 1, 1, 1], [1, 0, 1, 1]]));
    close(b.brojaS, 0.477386, 1e-6, 'S');
    close(b.lowerRedundancy, 0.477386, 1e-4, 'S_R full (IPF, O(1/k) with zeros)');
    close(b.lowerRedundancyRepo, 0.130812, 1e-6, 'S_R repo');
    close(b.alpha, 8 / 9, 1e-12, 'α');
    close(b.lowerDisagreement, 1 / 9, 1e-6, 'S_D');
    close(b.upper, 0.477386, 1e-6, 'S_U');
  });

  it('S3 XOR and COPY', () => {
    const x = synergyBounds(tableFromTriples([[0, 0, 0], [0, 1, 1], [1, 0, 1], [1, 1, 0]]));
    close(x.lowerRedundancy, 0, 1e-9, 'S_R');
    close(x.alpha, 0, 1e-12, 'α');
    close(x.lowerDisagreement, 0, 1e-9, 'S_D');
    close(x.upper, LN2, 1e-9, 'S_U');
    const c = synergyBounds(tableFromTriples([[0, 0, 0], [0, 1, 1], [1, 0, 2], [1, 1, 3]]));
    close(c.lowerDisagreement, 1 / 8 - LN2, 1e-9, 'S_D');
    close(c.upper, 0, 1e-9, 'S_U');
  });

  it('S4 the majorization meet', () => {
    const z = majorizationMeet([0.6, 0.1, 0.1, 0.1, 0.1], [0.4, 0.4, 0.2]);
    const want = [0.4, 0.3, 0.1, 0.1, 0.1];
    want.forEach((v, i) => close(z[i], v, 1e-12, `z${i}`));
    close(entropy(z), 1.418484, 1e-6, 'H');
  });

  it('S5 random tables (the paper\'s synthetic 2×2×2 Exp(1) weights, and larger ones with zeros): S_R ≤ S ≤ S_U and S_D ≤ S', () => {
    const rng = new Rng(5);
    for (let k = 0; k < 60; k++) {
      const t = k < 30 ? randomTable(rng, 2, 2, 2) : randomTable(rng, 2 + rng.int(3), 2 + rng.int(3), 2 + rng.int(2), 0.2);
      const b = synergyBounds(t, { broja: { tol: 1e-9 } });
      const pid = broja(t, { tol: 1e-9 });
      // the true S lies in [I12 − I*_hi, I12 − I*_lo]; the solver's S is the lower end
      const sHi = pid.atoms.S + pid.gap;
      assert.ok(b.lowerRedundancy <= sHi + 1e-7, `S_R ${b.lowerRedundancy} > S ${pid.atoms.S} (table ${k})`);
      assert.ok(b.lowerRedundancyRepo <= sHi + 1e-7, `S_R repo ${b.lowerRedundancyRepo} > S (table ${k})`);
      assert.ok(b.lowerDisagreement <= sHi + 1e-7, `S_D ${b.lowerDisagreement} > S (table ${k})`);
      assert.ok(b.upper >= pid.atoms.S - 1e-7, `S_U ${b.upper} < S ${pid.atoms.S} (table ${k})`);
      assert.ok(b.lowerRedundancyRepo <= b.lowerRedundancy + 1e-7, 'the two-margin bound is never tighter');
    }
  });
});

describe('discretisation', () => {
  it('k-means++ finds well-separated blobs, and PCA keeps the variance of a low-rank embedding', () => {
    const rng = new Rng(1);
    const n = 600;
    const d = 80; // > 64: the randomized subspace iteration
    const centres = Array.from({ length: 4 }, () => Array.from({ length: 3 }, () => rng.normal() * 10));
    const basis = Array.from({ length: 3 }, () => Array.from({ length: d }, () => rng.normal()));
    const truth = new Int32Array(n);
    const x = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      const c = (truth[i] = i % 4);
      const z = centres[c].map((m) => m + rng.normal() * 0.1);
      for (let j = 0; j < d; j++) x[i * d + j] = z[0] * basis[0][j] + z[1] * basis[1][j] + z[2] * basis[2][j];
    }
    const r = discretise(x, n, d, { clusters: 4, pcaDims: 3, inits: 5, maxIter: 100, scale: 'none', rng: new Rng(2) });
    assert.equal(r.k, 4);
    assert.ok(r.explained > 0.999, `explained ${r.explained}`);
    // the clusters are the blobs, up to relabelling
    const map = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      if (!map.has(truth[i])) map.set(truth[i], r.ids[i]);
      assert.equal(r.ids[i], map.get(truth[i]));
    }
    // the same seed gives the same clusters
    const again = discretise(x, n, d, { clusters: 4, pcaDims: 3, inits: 5, maxIter: 100, scale: 'none', rng: new Rng(2) });
    assert.deepEqual(again.ids, r.ids);
  });

  it('fewer distinct points than clusters: empty clusters are dropped', () => {
    const x = Float64Array.from([0, 0, 0, 1, 1, 1, 1, 1]);
    const r = kmeans(x, 8, 1, 5, 3, 50, new Rng(0));
    assert.equal(new Set(r.ids).size, 2);
    const d = discretise(x, 8, 1, { clusters: 5, pcaDims: 1, inits: 3, maxIter: 50, scale: 'none', rng: new Rng(0) });
    assert.equal(d.k, 2);
  });
});
