/**
 * The tfjs backend the engine computes on. Default: the wasm backend (XNNPACK, SIMD), which is the
 * fastest CPU option when the model is written as 2-D non-transposed matMuls (see
 * docs/compute.md, "Writing engine code for these backends" and "Measured findings"); tfjs-backend-cpu as the last resort.
 *
 * GPU backends (`webgpu`: Dawn through the optional npm package `webgpu`; `tensorflow-gpu`:
 * @tensorflow/tfjs-node-gpu, CUDA 11.2) are loaded by gpu-backends.ts, which only the GPU process
 * (gpu-worker.ts, forked by the pool) imports, so no native GPU code is ever loaded into the
 * extension host or the CLI's main thread. Tests may also load them in-process: `initBackend` then
 * requires gpu-backends.js beside this file (not bundled into dist/worker.js or dist/cli.js).
 * The engine itself never uses tf.grad (its backward passes are explicit), so tfjs-core's Node
 * bundle registering no gradients does not matter on any backend.
 *
 * LSMI_BACKEND=webgpu|tensorflow-gpu|wasm|cpu replaces the default request `auto` (the pool applies
 * it once; worker threads turn it off with `ignoreEnvBackend`).
 *
 * Backends are imported by a symbol and used, not as side-effect imports: esbuild drops those.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths, version_wasm } from '@tensorflow/tfjs-backend-wasm';

import { type BackendName, type BackendRequest, type GpuBackendName, envBackendRequest, isGpuBackend } from './backend-request';

export * from './backend-request';

export interface BackendInfo {
  name: BackendName;
  /** Why this backend, e.g. "wasm (SIMD, 1 thread)" or "cpu: wasm failed to load: …". */
  detail: string;
  versions: Record<string, string>;
}

/** A requested backend cannot be loaded here (missing package, driver, CUDA library, adapter). */
export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
}

/** Loads a GPU backend in this thread (registered by gpu-backends.ts). `auto`: the best one present. */
export type GpuLoader = (request: GpuBackendName | 'auto', versions: Record<string, string>) => Promise<BackendInfo>;

let gpuLoader: GpuLoader | undefined;
let current: Promise<BackendInfo> | undefined;
let currentRequest: BackendRequest | undefined;
let envOverride = true;
let note: string | undefined;

export function registerGpuLoader(loader: GpuLoader): void {
  gpuLoader = loader;
}

/** Worker threads of the pool: the pool has already applied LSMI_BACKEND; do not apply it again. */
export function ignoreEnvBackend(): void {
  envOverride = false;
}

/**
 * A sentence appended to the backend detail of the results computed next in this thread (the pool's
 * reason for running a job here, e.g. "fallback: the webgpu process crashed"); undefined clears it.
 */
export function setBackendNote(text: string | undefined): void {
  note = text;
}

/**
 * Where the .wasm binaries are: LSMI_WASM_DIR, a `wasm/` folder beside the bundle (dist/wasm, copied
 * by the build), or the package in the nearest node_modules.
 */
export function wasmDir(): string {
  const candidates = [process.env.LSMI_WASM_DIR, path.join(__dirname, 'wasm')];
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    candidates.push(path.join(dir, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist'));
    if (path.dirname(dir) === dir) break;
  }
  for (const c of candidates) if (c && fs.existsSync(path.join(c, 'tfjs-backend-wasm-simd.wasm'))) return c + path.sep;
  throw new Error(`tfjs-backend-wasm's .wasm files were not found (looked in ${candidates.filter(Boolean).slice(0, 3).join(', ')}, ...)`);
}

/**
 * Initialises tfjs once per thread; later calls return the same backend. `auto` in a thread means
 * wasm, then cpu: choosing a GPU automatically is the pool's job, because GPUs run in their own
 * process (see pool.ts).
 */
export function initBackend(request: BackendRequest = 'auto'): Promise<BackendInfo> {
  // `auto` keeps whatever this thread computes on (the engine's inner calls pass no request);
  // LSMI_BACKEND only chooses the first backend
  if (request === 'auto' && !current && envOverride) request = envBackendRequest() ?? 'auto';
  if (!current || (request !== 'auto' && request !== currentRequest)) {
    currentRequest = request;
    current = load(request);
    // a failed load is not cached: a later call may ask for something else
    current.catch(() => {
      if (currentRequest === request) current = currentRequest = undefined;
    });
  }
  const withNote = note;
  return current.then((info) => (withNote ? { ...info, detail: `${info.detail}; ${withNote}` } : info));
}

/**
 * The GPU process: a GPU backend, or with `auto` the best GPU backend present (tensorflow-gpu, then
 * webgpu on a hardware adapter). Rejects with BackendUnavailableError saying why.
 */
export function initGpuBackend(request: GpuBackendName | 'auto'): Promise<BackendInfo> {
  if (request !== 'auto') return initBackend(request);
  const p = (async () => {
    tf.env().set('PROD', true);
    return (gpuLoader ?? loadGpuModule())('auto', baseVersions());
  })();
  current = p;
  currentRequest = undefined;
  return p.then(
    (info) => {
      currentRequest = info.name;
      return info;
    },
    (e) => {
      if (current === p) current = undefined;
      throw e;
    },
  );
}

function baseVersions(): Record<string, string> {
  return { 'tfjs-core': tf.version_core, 'tfjs-backend-wasm': version_wasm, 'tfjs-backend-cpu': version_cpu };
}

async function load(request: BackendRequest): Promise<BackendInfo> {
  tf.env().set('PROD', true); // no debug checks, no console advice about tfjs-node
  const versions = baseVersions();
  if (isGpuBackend(request)) {
    const loader = gpuLoader ?? loadGpuModule();
    return loader(request, versions);
  }
  const failures: string[] = [];
  if (request === 'auto' || request === 'wasm') {
    try {
      setWasmPaths(wasmDir());
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
        return { name: 'wasm', detail: `wasm (${simd ? 'SIMD' : 'no SIMD'}, 1 thread per worker)`, versions };
      }
      failures.push('wasm: the backend did not initialise');
    } catch (e) {
      failures.push(`wasm: ${(e as Error).message}`);
    }
    if (request === 'wasm') throw new BackendUnavailableError(`the wasm backend could not be loaded (${failures.join('; ')})`);
  }
  if (!(await tf.setBackend('cpu'))) throw new Error('no tfjs backend could be initialised');
  await tf.ready();
  return { name: 'cpu', detail: failures.length ? `cpu (fallback: ${failures.join('; ')})` : 'cpu (requested)', versions };
}

/** Tests and tools running the TypeScript output: gpu-backends.js lies beside this file. */
function loadGpuModule(): GpuLoader {
  const file = path.join(__dirname, 'gpu-backends.js');
  if (!fs.existsSync(file)) {
    throw new BackendUnavailableError('GPU backends load only in the GPU process (dist/gpu-worker.js); run the estimation through the worker pool');
  }
  // a computed path: bundlers leave it alone, so dist/worker.js and dist/cli.js stay free of GPU code
  const req = require;
  (req(file) as { registerGpuBackends: () => void }).registerGpuBackends();
  return gpuLoader!;
}

export { tf };
