/**
 * Loading the GPU backends into tfjs. Imported only by the GPU process (gpu-worker.ts), or required
 * in-process by tests (backend.ts); never by the extension host, the CLI's main thread or the CPU
 * worker threads, because a native crash here must not take those down.
 *
 * - webgpu: Dawn's Node bindings from the optional npm package `webgpu` (prebuilt, needs only a
 *   Vulkan / Metal / D3D12 driver) + @tensorflow/tfjs-backend-webgpu. `navigator.gpu` is set up
 *   here and the backend is registered by hand (the package registers itself only when
 *   `navigator.gpu` exists at module evaluation, which it does not in Node).
 * - tensorflow-gpu: @tensorflow/tfjs-node-gpu 4.22 from the user's folder (lsmi.backendPath /
 *   LSMI_BACKEND_PATH). It needs CUDA 11.2 + cuDNN 8.1; missing libraries are named before it is
 *   loaded, and a TensorFlow that found no GPU (it then runs on the CPU silently) is refused.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { type BackendInfo, BackendUnavailableError, type GpuBackendName, registerGpuLoader } from './backend';
import { CUDA_LIBS, gpuSearchFolders, locateGpuPackage, missingCudaLibs } from './gpu-locate';

interface DawnModule {
  create: (options: string[]) => GPU;
  globals: Record<string, unknown>;
}

const WEBGPU_BACKEND_VERSION = '4.22.0';

/** The GPU process's `auto`: tensorflow-gpu when present and usable, else webgpu on a hardware adapter. */
async function loadGpu(request: GpuBackendName | 'auto', versions: Record<string, string>): Promise<BackendInfo> {
  if (request === 'webgpu') return loadWebgpu(versions, true);
  if (request === 'tensorflow-gpu') return loadTensorflowGpu(versions);
  const reasons: string[] = [];
  for (const [name, f] of [
    ['tensorflow-gpu', () => loadTensorflowGpu(versions)],
    ['webgpu', () => loadWebgpu(versions, false)],
  ] as const) {
    try {
      const info = await f();
      return { ...info, detail: `${info.detail}; chosen by auto${reasons.length ? ` (${reasons.join('; ')})` : ''}` };
    } catch (e) {
      reasons.push(`${name}: ${(e as Error).message}`);
    }
  }
  throw new BackendUnavailableError(`no usable GPU backend: ${reasons.join('; ')}`);
}

let dawn: { gpu: GPU; module: DawnModule; dir: string; version: string } | undefined;

function loadDawn(): NonNullable<typeof dawn> {
  if (dawn) return dawn;
  const pkg = locateGpuPackage('webgpu');
  if (!pkg) {
    throw new BackendUnavailableError(
      `the npm package 'webgpu' (Dawn) is not installed (looked in ${gpuSearchFolders().join(', ')}); ` + "run `npm install webgpu@0.6.2` in a folder and point lsmi.backendPath (or LSMI_BACKEND_PATH) at it",
    );
  }
  const arch = process.platform === 'darwin' ? 'universal' : process.arch;
  const binary = path.join(pkg.dir, 'dist', `${process.platform}-${arch}`, 'dawn.node');
  let module: DawnModule;
  try {
    // the addon directly (what the package's ESM index.js does), so this works from CommonJS
    // everywhere, Electron included
    module = pkg.require(binary) as DawnModule;
  } catch (e) {
    throw new BackendUnavailableError(`webgpu ${pkg.version}: ${binary} did not load: ${(e as Error).message}`);
  }
  Object.assign(globalThis, module.globals); // GPUBufferUsage, GPUMapMode, ...
  const options = (process.env.LSMI_DAWN_OPTIONS ?? '').split(/\s+/).filter(Boolean);
  const gpu = module.create(options);
  const nav = ((globalThis as { navigator?: { gpu?: GPU } }).navigator ??= {} as { gpu?: GPU });
  try {
    nav.gpu = gpu;
  } catch {
    Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  }
  dawn = { gpu, module, dir: pkg.dir, version: pkg.version };
  return dawn;
}

async function loadWebgpu(versions: Record<string, string>, allowSoftware: boolean): Promise<BackendInfo> {
  const d = loadDawn();
  const adapter = await d.gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    const icd = process.env.VK_ICD_FILENAMES ? ` (VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES})` : '';
    throw new BackendUnavailableError(
      `webgpu: no GPU adapter: Dawn found no usable Vulkan/Metal/D3D12 device${icd}. ` +
        'Check the GPU driver (`vulkaninfo --summary` on Linux; in containers NVIDIA_DRIVER_CAPABILITIES must include graphics)',
    );
  }
  const info = (adapter as GPUAdapter & { info: GPUAdapterInfo & { isFallbackAdapter?: boolean } }).info;
  const software = info.isFallbackAdapter === true || info.architecture === 'software' || /llvmpipe|lavapipe|swiftshader/i.test(`${info.description} ${info.device}`);
  const what = info.description || `${info.vendor} ${info.device}`.trim() || 'unknown adapter';
  if (software && !allowSoftware) {
    throw new BackendUnavailableError(`webgpu: only a software adapter (${what}), which is slower than wasm; request webgpu explicitly to use it anyway`);
  }
  const limits = adapter.limits;
  const requiredFeatures: GPUFeatureName[] = [];
  if (adapter.features.has('timestamp-query')) requiredFeatures.push('timestamp-query');
  const device = await adapter.requestDevice({
    requiredFeatures,
    requiredLimits: {
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
    },
  });
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new WebGPUBackend(device, info), 3);
  if (!(await tf.setBackend('webgpu'))) throw new BackendUnavailableError(`webgpu: the tfjs backend did not initialise on ${what}`);
  await tf.ready();
  return {
    name: 'webgpu',
    detail: `webgpu (${what}${software ? ', software adapter' : ''}; Dawn from ${d.dir})`,
    versions: { ...versions, 'tfjs-backend-webgpu': WEBGPU_BACKEND_VERSION, webgpu: d.version },
  };
}

async function loadTensorflowGpu(versions: Record<string, string>): Promise<BackendInfo> {
  const pkg = locateGpuPackage('tensorflow-gpu');
  if (!pkg) {
    throw new BackendUnavailableError(
      `@tensorflow/tfjs-node-gpu is not installed (looked in ${gpuSearchFolders().join(', ')}); ` +
        'it needs CUDA 11.2 and cuDNN 8.1: run `npm install @tensorflow/tfjs-node-gpu@4.22.0` in a folder and point lsmi.backendPath (or LSMI_BACKEND_PATH) at it',
    );
  }
  const missing = missingCudaLibs();
  if (missing.length) {
    throw new BackendUnavailableError(
      `tensorflow-gpu: @tensorflow/tfjs-node-gpu ${pkg.version} needs CUDA 11.2 and cuDNN 8.1, and ${missing.join(', ')} ` +
        `${missing.length === 1 ? 'was' : 'were'} not found (searched LD_LIBRARY_PATH, the ldconfig cache and /usr/local/cuda/lib64; ` +
        `needed: ${CUDA_LIBS.join(', ')}). CUDA 12 does not work: TensorFlow would silently run on the CPU`,
    );
  }
  try {
    pkg.require(pkg.dir); // registers the 'tensorflow' backend in the process-wide tfjs engine
  } catch (e) {
    throw new BackendUnavailableError(`tensorflow-gpu: @tensorflow/tfjs-node-gpu ${pkg.version} did not load: ${(e as Error).message}`);
  }
  if (!(await tf.setBackend('tensorflow'))) throw new BackendUnavailableError('tensorflow-gpu: the tensorflow backend did not initialise');
  await tf.ready();
  const be = tf.backend() as unknown as { isUsingGpuDevice?: boolean };
  if (be.isUsingGpuDevice !== true) {
    await tf.setBackend('cpu');
    throw new BackendUnavailableError('tensorflow-gpu: TensorFlow loaded but found no CUDA GPU (it would run on the CPU); check nvidia-smi and the CUDA 11.2 / cuDNN 8.1 install');
  }
  return { name: 'tensorflow-gpu', detail: `tensorflow-gpu (CUDA, @tensorflow/tfjs-node-gpu ${pkg.version} from ${pkg.dir})`, versions: { ...versions, 'tfjs-node-gpu': pkg.version } };
}

/** Makes initBackend('webgpu' | 'tensorflow-gpu') work in this thread. */
export function registerGpuBackends(): void {
  registerGpuLoader(loadGpu);
}
