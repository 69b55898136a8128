/**
 * The worker of src/engine/pid/isolated.ts: computes the dataset PID and bounds of one run or
 * results file, or the ensembles of several results files, off the thread that asked (the VS Code
 * extension host), and posts the JSON-safe result back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isInputError } from '../errors';
import { datasetPid } from './dataset';
import { interactionEnsemble } from './ensemble';
import type { PidJob } from './isolated';
import { loadEnsemble, readRunAndResults } from './load';

async function main(): Promise<void> {
  const job = workerData as PidJob;
  try {
    if (job.kind === 'pid') {
      const loaded = await readRunAndResults(job.file);
      const result = datasetPid(loaded.run, job.settings, { bounds: true });
      const lsmi = loaded.results?.meta.dataset.adjusted ?? null;
      parentPort!.postMessage({ ok: true, data: { ...result, lsmi, notes: loaded.notes } });
    } else {
      const loaded = await loadEnsemble(job.files);
      const { oof: _oof, ...result } = await interactionEnsemble(loaded.input, job.settings);
      parentPort!.postMessage({ ok: true, data: { ...result, files: loaded.files, dropped: loaded.dropped, notes: loaded.notes } });
    }
  } catch (e) {
    const input = isInputError(e);
    const error = input ? (e as { toJSON(): Record<string, unknown> }).toJSON() : { message: (e as Error)?.message ?? String(e), stack: (e as Error)?.stack };
    parentPort!.postMessage({ ok: false, input, error });
  }
}

void main();
