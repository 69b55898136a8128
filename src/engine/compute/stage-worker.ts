/**
 * The second lane of an estimate (src/engine/estimate/stages.ts): a worker thread that receives a
 * compact copy of a run once, then runs stages (a head or a density) on it one at a time, posting
 * progress, and each result with its arrays transferred.
 */
import { parentPort } from 'node:worker_threads';
import type { RunData } from '../io/run';
import { type FromStageWorker, type ToStageWorker, runStage } from '../estimate/stages';
import { ignoreEnvBackend } from './backend';
import { serializeError } from './protocol';

const port = parentPort;
if (!port) throw new Error('stage-worker.ts must run in a worker thread');
ignoreEnvBackend(); // the lane computes on the backend its parent uses (wasm or cpu)

let run: RunData | undefined;

port.on('message', async (m: ToStageWorker) => {
  const post = (msg: FromStageWorker, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);
  if (m.type === 'init') {
    run = m.run;
    return;
  }
  try {
    if (!run) throw new Error('the stage worker got a stage before its run');
    const result = await runStage(run, m.job, m.settings, { onProgress: (fraction, message) => post({ type: 'progress', id: m.id, fraction, message }) });
    const values = result.kind === 'head' ? result.logProb : result.logp;
    post({ type: 'done', id: m.id, result }, [values.buffer as ArrayBuffer]);
  } catch (e) {
    post({ type: 'error', id: m.id, error: serializeError(e) });
  }
});
