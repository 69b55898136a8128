/**
 * The tfjs backend the engine computes on. Default: the wasm backend (XNNPACK, SIMD), which is the
 * fastest CPU option when the model is written as 2-D non-transposed matMuls (see
 * ../shared/docs/compute-backends.md); tfjs-backend-cpu as the last resort. GPU backends slot in here
 * later behind the same `initBackend` call.
 *
 * Backends are imported by a symbol and used, not as side-effect imports: esbuild drops those.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths, version_wasm } from '@tensorflow/tfjs-backend-wasm';

export type BackendName = 'wasm' | 'cpu';
export type BackendRequest = BackendName | 'auto';

export interface BackendInfo {
  name: BackendName;
  /** Why this backend, e.g. "wasm (SIMD, 1 thread)" or "cpu: wasm failed to load: …". */
  detail: string;
  versions: Record<string, string>;
}

let current: Promise<BackendInfo> | undefined;
let currentRequest: BackendRequest | undefined;

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

/** Initialises tfjs once per thread; later calls return the same backend. */
export function initBackend(request: BackendRequest = 'auto'): Promise<BackendInfo> {
  if (current && (request === 'auto' || request === currentRequest)) return current;
  currentRequest = request;
  current = (async () => {
    tf.env().set('PROD', true); // no debug checks, no console advice about tfjs-node
    const versions = { 'tfjs-core': tf.version_core, 'tfjs-backend-wasm': version_wasm, 'tfjs-backend-cpu': version_cpu };
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
      if (request === 'wasm') throw new Error(`the wasm backend could not be loaded (${failures.join('; ')})`);
    }
    if (!(await tf.setBackend('cpu'))) throw new Error('no tfjs backend could be initialised');
    await tf.ready();
    return { name: 'cpu', detail: failures.length ? `cpu (fallback: ${failures.join('; ')})` : 'cpu (requested)', versions };
  })();
  return current;
}

export { tf };
