/**
 * Per-sample agreement of two results files of the same run (e.g. WebGPU against wasm), for the
 * device check (scripts/gpu-check.sh). Usage: node agree.js <a.lsmi.arrow> <b.lsmi.arrow>
 * Prints JSON: per column r, u1, u2, s (adjusted) the largest |a − b|, the mean |a − b| and
 * Pearson's correlation, and the dataset atoms of both.
 */
import { readResults } from '../../src/engine/io/results';
import { mae, pearson } from '../../src/engine/synthetic';

async function main(): Promise<void> {
  const [fa, fb] = process.argv.slice(2);
  const [a, b] = await Promise.all([readResults(fa), readResults(fb)]);
  if (a.sampleIds.length !== b.sampleIds.length) throw new Error(`${a.sampleIds.length} against ${b.sampleIds.length} samples`);
  const out: Record<string, unknown> = {};
  for (const c of ['r', 'u1', 'u2', 's'] as const) {
    const x = a.columns[c];
    const y = b.columns[c];
    let max = 0;
    for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i] - y[i]));
    out[c] = { maxAbs: max, meanAbs: mae(x, y), pearson: pearson(x, y) };
  }
  out.datasetA = a.meta.dataset.adjusted;
  out.datasetB = b.meta.dataset.adjusted;
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
