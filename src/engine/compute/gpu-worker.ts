/**
 * The GPU process: forked by the pool (child_process.fork of dist/gpu-worker.js), it loads a GPU
 * backend and runs estimations one at a time, speaking the worker protocol over the IPC channel
 * (progress, done, error) plus a heartbeat every second, so that a crash, a hang or a failed load
 * costs this process only: the pool reruns the job on the wasm worker threads.
 *
 * The job's `backend` says what to load: `webgpu`, `tensorflow-gpu`, `auto` (the best GPU present,
 * never a software adapter), or — for tests of the isolation itself — `wasm` / `cpu`.
 */
import { estimateFile } from '../estimate/lsmi';
import { type BackendInfo, BackendUnavailableError, initBackend, initGpuBackend, isGpuBackend, setBackendNote } from './backend';
import { registerGpuBackends } from './gpu-backends';
import { type FromWorker, type ToWorker, serializeError } from './protocol';

if (!process.send) throw new Error('gpu-worker.js must be started with child_process.fork');
registerGpuBackends();

const send = (m: FromWorker) =>
  new Promise<void>((resolve) => {
    if (!process.connected) return resolve();
    process.send!(m, undefined, {}, () => resolve());
  });

let loaded: { request: string; info: Promise<BackendInfo> } | undefined;
let queue = Promise.resolve();

function backendFor(request: string): Promise<BackendInfo> {
  if (!loaded || loaded.request !== request) {
    const info = request === 'auto' || isGpuBackend(request) ? initGpuBackend(request as 'auto') : initBackend(request as 'wasm' | 'cpu');
    loaded = { request, info };
    info.catch(() => (loaded = undefined));
  }
  return loaded.info;
}

async function run(m: ToWorker): Promise<void> {
  const heartbeat = setInterval(() => void send({ type: 'heartbeat', id: m.id }), 1000);
  const { backendNote, ...options } = m.options;
  try {
    const request = options.backend ?? 'auto';
    let info: BackendInfo;
    try {
      info = await backendFor(request);
    } catch (e) {
      throw e instanceof BackendUnavailableError ? e : new BackendUnavailableError(`${request}: ${(e as Error).message}`);
    }
    setBackendNote(backendNote);
    const result = await estimateFile(m.file, { ...options, backend: info.name, onProgress: (event) => void send({ type: 'progress', id: m.id, event }) });
    await send({ type: 'done', id: m.id, result });
  } catch (e) {
    await send({ type: 'error', id: m.id, error: serializeError(e) });
  } finally {
    setBackendNote(undefined);
    clearInterval(heartbeat);
  }
}

process.on('message', (m: ToWorker) => {
  if (m?.type !== 'estimate') return;
  queue = queue.then(() => run(m));
});
// the pool going away (extension host reload, CLI exit) ends this process
process.on('disconnect', () => process.exit(0));
