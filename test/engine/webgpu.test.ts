/**
 * The engine on WebGPU (docs/compute.md, "Tests"): the `webgpu` suite of scripts/test-all.mjs runs this with
 * LSMI_WEBGPU_SUITE=1 after `source .lavapipe/env.sh` (Mesa lavapipe: Dawn's Vulkan path on the
 * CPU). There, webgpu not loading is a failure, never a skip. In the engine suite (no lavapipe) it
 * is skipped, visibly.
 *
 * 1. The same engine code runs in-process on webgpu and on wasm, on the same inputs; per-sample
 *    r, u1, u2, s (adjusted and raw), i*, h* agree to TOL (both compute in float32; the differences
 *    are summation order inside kernels).
 * 2. Fidelity on webgpu: the per-sample and dataset checks of fidelity.test.ts on a subset sized for
 *    lavapipe (see the README's GPU section for the timings).
 * 3. Killing the real webgpu process mid-run falls back to wasm.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { initBackend } from '../../src/engine/compute/backend';
import { WorkerPool } from '../../src/engine/compute/pool';
import { decompose } from '../../src/engine/estimate/decompose';
import { estimateRun } from '../../src/engine/estimate/lsmi';
import type { SettingsInput } from '../../src/engine/estimate/settings';
import type { ResultsData } from '../../src/engine/io/results';
import { type CircuitName, circuitModel, gaussianModel, mae, oracle, pearson, sample, toRun, truePrior } from '../../src/engine/synthetic';
import { REPO } from './fixtures';

const SUITE = process.env.LSMI_WEBGPU_SUITE === '1';
const skip = SUITE ? false : 'the webgpu suite runs this (node scripts/test-all.mjs --only webgpu; needs scripts/setup-lavapipe.sh)';
/**
 * Max |webgpu − wasm| per sample, nats, for r, u1, u2, s (adjusted and raw) and i1, i2, i12
 * (measured on lavapipe: ≤ 3.2e-5). The entropies h1, h2 (−log p̂(x), |h| ≈ 2 here) get the same
 * bound relative to max(1, |h|) (measured: ≤ 1.3e-4 absolute after probe training and EM, where
 * float32 summation order compounds over iterations).
 */
const TOL = 1e-4;
const COLUMNS = ['r', 'u1', 'u2', 's', 'r_raw', 'u1_raw', 'u2_raw', 's_raw', 'i1', 'i2', 'i12', 'h1', 'h2'] as const;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function on(backend: 'webgpu' | 'wasm', run: ReturnType<typeof toRun>, settings: SettingsInput): Promise<{ res: ResultsData; seconds: number }> {
  const t0 = performance.now();
  const res = await estimateRun(run, 'test', { backend, settings });
  assert.equal(res.meta.backend.name, backend);
  return { res, seconds: (performance.now() - t0) / 1000 };
}

describe('webgpu backend (lavapipe in CI)', { skip }, () => {
  before(async () => {
    const info = await initBackend('webgpu');
    console.log(`      ${info.detail}`);
  });

  it('loads in-process with Dawn and tfjs-backend-webgpu', async () => {
    const info = await initBackend('webgpu');
    assert.equal(info.name, 'webgpu');
    assert.equal(info.versions['tfjs-backend-webgpu'], '4.22.0');
  });

  const cases: { name: string; make: () => ReturnType<typeof toRun>; settings: SettingsInput }[] = [
    {
      name: 'gaussian C=2, N=4000, exact logits, diagonal EM',
      make: () => {
        const data = sample(gaussianModel(2, 0.5, 0.5), 4000, 24);
        return toRun(data, { logits: oracle(data), labelPrior: truePrior(data.model) });
      },
      settings: { components: 2, seed: 3 },
    },
    {
      name: 'OR, N=2000, exact logits, full covariance EM',
      make: () => {
        const data = sample(circuitModel('or'), 2000, 31);
        return toRun(data, { logits: oracle(data) });
      },
      settings: { components: 2, covariance: 'full', seed: 1 },
    },
    {
      name: 'XOR, N=600, probes trained (2 folds, 2 epochs), diagonal EM',
      make: () => toRun(sample(circuitModel('xor'), 600, 11)),
      settings: { components: 2, folds: 2, mlp: { epochs: 2 }, seed: 1 },
    },
    {
      name: 'OR, N=800, exact logits, KNIFE (2 epochs)',
      make: () => {
        const data = sample(circuitModel('or'), 800, 32);
        return toRun(data, { logits: oracle(data) });
      },
      settings: { mode: 'knife', components: 2, knife: { epochs: 2 }, seed: 1 },
    },
  ];
  for (const c of cases) {
    it(`webgpu = wasm per sample (max |diff| ≤ ${TOL}; h relative): ${c.name}`, async () => {
      const run = c.make();
      const gpu = await on('webgpu', run, c.settings);
      const cpu = await on('wasm', run, c.settings);
      const diffs = COLUMNS.map((k) => [k, maxAbsDiff(gpu.res.columns[k], cpu.res.columns[k])] as const);
      const atoms = (['R', 'U1', 'U2', 'S'] as const).map((k) => Math.abs(gpu.res.meta.dataset.adjusted[k] - cpu.res.meta.dataset.adjusted[k]));
      console.log(`      ${c.name}: webgpu ${gpu.seconds.toFixed(1)} s, wasm ${cpu.seconds.toFixed(1)} s; max |diff| ${diffs.map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ')}; atoms ${Math.max(...atoms).toExponential(1)}`);
      for (const [k, v] of diffs) {
        const scale = k === 'h1' || k === 'h2' ? Math.max(1, ...Array.from(cpu.res.columns[k], Math.abs)) : 1;
        assert.ok(v <= TOL * scale, `${k}: max |webgpu − wasm| = ${v} (bound ${TOL * scale})`);
      }
      assert.ok(Math.max(...atoms) <= TOL);
    });
  }

  it('fidelity on webgpu: per-sample r against the exact-density oracle (Pearson ≥ 0.95, MAE ≤ 0.05)', async () => {
    for (const [name, data, K] of [
      ['xor', sample(circuitModel('xor'), 4000, 21), 2],
      ['gaussian-C2', sample(gaussianModel(2, 0.5, 0.5), 4000, 24), 2],
    ] as const) {
      const exact = oracle(data);
      const truth = decompose(exact);
      const res = await estimateRun(toRun(data, { logits: exact, labelPrior: truePrior(data.model) }), 'test', { backend: 'webgpu', settings: { components: K, seed: 3 } });
      const p = pearson(res.columns.r_raw, truth.raw.r);
      const err = mae(res.columns.r_raw, truth.raw.r);
      console.log(`      ${name} logits on webgpu: pearson ${p.toFixed(4)}, MAE ${err.toFixed(4)}`);
      if (Number.isFinite(p)) assert.ok(p >= 0.95, `pearson ${p}`);
      assert.ok(err <= 0.05, `MAE ${err}`);
    }
  });

  it('fidelity on webgpu: circuit atoms within 0.01 nats of the oracle (N=10000, exact logits)', async () => {
    for (const name of ['xor', 'or', 'xor_not_a'] as CircuitName[]) {
      const data = sample(circuitModel(name), 10000, 11);
      const exact = oracle(data);
      const truth = decompose(exact).means.adjusted;
      const res = await estimateRun(toRun(data, { logits: exact }), 'test', { backend: 'webgpu', settings: { components: name === 'xor_not_a' ? 4 : 2, seed: 1 } });
      const a = res.meta.dataset.adjusted;
      const got = [a.R, a.U1, a.U2, a.S];
      const want = [truth.R, truth.U1, truth.U2, truth.S];
      console.log(`      ${name} on webgpu: ${got.map((v) => v.toFixed(4)).join(' ')} | oracle ${want.map((v) => v.toFixed(4)).join(' ')}`);
      got.forEach((v, k) => assert.ok(Math.abs(v - want[k]) <= 0.01, `atom ${k}: ${v} vs ${want[k]}`));
    }
  });

  describe('the webgpu process', () => {
    let dir: string;
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lsmi-webgpu-'));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('runs a job on webgpu through the pool, and killing it mid-run falls back to wasm', async () => {
      const run = path.join(dir, 'or.arrow');
      fs.copyFileSync(path.join(REPO, 'examples', 'circuits', 'or.arrow'), run);
      const pool = new WorkerPool({ size: 1, script: path.join(REPO, 'out', 'src', 'engine', 'compute', 'worker.js'), gpuScript: path.join(REPO, 'out', 'src', 'engine', 'compute', 'gpu-worker.js') });
      const settings = { components: 2, folds: 2, mlp: { epochs: 1 } };
      try {
        // 1. completes on webgpu in its own process
        const ok = await pool.estimateFile(run, { backend: 'webgpu', settings, reuse: false, out: path.join(dir, 'ok.lsmi.arrow') });
        assert.equal(ok.results.meta.backend.name, 'webgpu');
        // 2. killed at its first probe progress: rerun on wasm, with the reason
        let killed: number | undefined;
        const fallbacks: string[] = [];
        const res = await pool.estimateFile(run, { backend: 'webgpu', settings, reuse: false }, {
          onProgress: (e) => {
            if (!killed && e.stage.startsWith('probe') && pool.gpuPid) {
              killed = pool.gpuPid;
              process.kill(killed, 'SIGKILL');
            }
          },
          onFallback: (r) => fallbacks.push(r),
        });
        assert.ok(killed);
        assert.match(fallbacks.join(), /the webgpu process exited unexpectedly \(signal SIGKILL\)/);
        assert.equal(res.results.meta.backend.name, 'wasm');
        assert.match(res.results.meta.backend.detail, /fallback to wasm/);
      } finally {
        await pool.dispose();
      }
    });
  });
});
