/** A worker thread of the engine's pool: runs one estimation at a time, posts progress. */
import { parentPort } from 'node:worker_threads';
import { estimateFile } from '../estimate/lsmi';
import type { FromWorker, ToWorker } from './protocol';

const port = parentPort;
if (!port) throw new Error('worker.ts must run in a worker thread');

port.on('message', async (m: ToWorker) => {
  const post = (msg: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);
  try {
    const result = await estimateFile(m.file, { ...m.options, onProgress: (event) => post({ type: 'progress', id: m.id, event }) });
    const transfer = Object.values(result.results.columns).map((a) => a.buffer as ArrayBuffer);
    post({ type: 'done', id: m.id, result }, transfer);
  } catch (e) {
    const err = e as Error & { code?: string; file?: string; column?: string; rows?: number[] };
    post({ type: 'error', id: m.id, error: { name: err.name, message: err.message, stack: err.stack, code: err.code, file: err.file, column: err.column, rows: err.rows } });
  }
});
