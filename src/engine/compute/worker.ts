/** A worker thread of the engine's pool: runs one estimation at a time, posts progress. */
import { parentPort } from 'node:worker_threads';
import { estimateFile } from '../estimate/lsmi';
import { ignoreEnvBackend, setBackendNote } from './backend';
import { type FromWorker, type ToWorker, serializeError } from './protocol';

const port = parentPort;
if (!port) throw new Error('worker.ts must run in a worker thread');
ignoreEnvBackend(); // the pool has applied LSMI_BACKEND already

port.on('message', async (m: ToWorker) => {
  const post = (msg: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);
  const { backendNote, ...options } = m.options;
  setBackendNote(backendNote);
  try {
    const result = await estimateFile(m.file, { ...options, onProgress: (event) => post({ type: 'progress', id: m.id, event }) });
    const transfer = Object.values(result.results.columns).map((a) => a.buffer as ArrayBuffer);
    post({ type: 'done', id: m.id, result }, transfer);
  } catch (e) {
    post({ type: 'error', id: m.id, error: serializeError(e) });
  } finally {
    setBackendNote(undefined);
  }
});
