/** The estimate's stages on one thread or two (src/engine/estimate/stages.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { initBackend, tf } from '../../src/engine/compute/backend';
import { estimateRun } from '../../src/engine/estimate/lsmi';
import { StageLane, stageWorkerScript } from '../../src/engine/estimate/stages';
import { resolveSettings } from '../../src/engine/estimate/settings';
import { circuitModel, gaussianModel, oracle, sample, toRun } from '../../src/engine/synthetic';

describe('stages on two threads', () => {
  it('the stage worker is found beside the compiled engine', () => {
    assert.ok(stageWorkerScript(), 'stage-worker.js');
  });

  it('two threads give the same results as one, bit for bit, with monotone progress', async () => {
    const data = sample(gaussianModel(8, 0.5, 0.5), 3000, 5);
    const settings = { folds: 3, mlp: { epochs: 3 } };
    const one = await estimateRun(toRun(data), 'x', { settings, threads: 1 });
    const progress: number[] = [];
    const two = await estimateRun(toRun(data), 'x', { settings, threads: 2, onProgress: (e) => progress.push(e.fraction) });
    assert.equal(one.meta.effective!.threads, 1);
    assert.equal(two.meta.effective!.threads, 2);
    for (const [k, v] of Object.entries(one.columns)) assert.deepEqual(two.columns[k as keyof typeof one.columns], v, k);
    assert.deepEqual(two.meta.dataset, one.meta.dataset);
    const noTimes = (x: unknown) => JSON.stringify(x, (k, v) => (k === 'seconds' ? undefined : v));
    assert.equal(noTimes(two.meta.heads), noTimes(one.meta.heads));
    assert.equal(noTimes(two.meta.density), noTimes(one.meta.density));
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i] >= progress[i - 1], `progress went back at ${i}: ${progress[i - 1]} → ${progress[i]}`);
    // given logits and KNIFE parity too
    const exact = oracle(sample(circuitModel('or'), 1500, 3));
    const run = toRun(sample(circuitModel('or'), 1500, 3), { logits: exact });
    const knife = { mode: 'knife' as const, components: 2, knife: { epochs: 2 } };
    const a = await estimateRun(run, 'x', { settings: knife, threads: 1 });
    const b = await estimateRun(run, 'x', { settings: knife, threads: 2 });
    assert.deepEqual(b.columns.h1, a.columns.h1);
    assert.deepEqual(b.columns.r, a.columns.r);
  });

  it('cancelling with two threads rejects with AbortError and stops the worker; a failing stage in the worker rejects with its error', async () => {
    await initBackend();
    const before = tf.memory().numTensors;
    const data = sample(gaussianModel(8, 0.5, 0.5), 3000, 6);
    const controller = new AbortController();
    let events = 0;
    await assert.rejects(
      estimateRun(toRun(data), 'x', { threads: 2, signal: controller.signal, onProgress: () => ++events === 5 && controller.abort() }),
      { name: 'AbortError' },
    );
    assert.equal(tf.memory().numTensors, before);
    // a stage that fails in the worker: a head on labels outside the classes
    const run = toRun(data);
    const lane = new StageLane(stageWorkerScript()!, { ...run, labels: run.labels.map(() => 9) }, [{ stage: 'probe 1', head: '1' }]);
    try {
      await assert.rejects(lane.run({ stage: 'probe 1', head: '1' }, resolveSettings({})), /label 9 at sample 0 is outside \[0, 8\)/);
    } finally {
      await lane.dispose();
    }
  });
});
