/**
 * Backend names and requests, without tfjs: the pool, the CLI's argument parsing and the extension
 * host import this, not backend.ts (which loads tfjs).
 */
export type GpuBackendName = 'webgpu' | 'tensorflow-gpu';
export type BackendName = 'wasm' | 'cpu' | GpuBackendName;
export type BackendRequest = BackendName | 'auto';
export const BACKEND_REQUESTS: readonly BackendRequest[] = ['auto', 'webgpu', 'tensorflow-gpu', 'wasm', 'cpu'];
export const GPU_BACKENDS: readonly GpuBackendName[] = ['webgpu', 'tensorflow-gpu'];

export function isGpuBackend(b: string | undefined): b is GpuBackendName {
  return b === 'webgpu' || b === 'tensorflow-gpu';
}

export function isBackendRequest(b: unknown): b is BackendRequest {
  return typeof b === 'string' && (BACKEND_REQUESTS as readonly string[]).includes(b);
}

/** LSMI_BACKEND, validated; undefined when unset or empty. */
export function envBackendRequest(): BackendRequest | undefined {
  const v = process.env.LSMI_BACKEND?.trim();
  if (!v) return undefined;
  if (!isBackendRequest(v)) throw new Error(`LSMI_BACKEND must be one of ${BACKEND_REQUESTS.join(', ')}, got '${v}'`);
  return v;
}
