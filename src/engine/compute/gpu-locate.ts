/**
 * Finding the optional GPU packages and the CUDA 11.2 libraries without loading anything native, so
 * it is safe in the VS Code extension host and the CLI's main thread. The native parts themselves
 * are only ever loaded in the GPU process (gpu-worker.ts → gpu-backends.ts).
 *
 * Where GPU packages are looked for, in order:
 * 1. the `lsmi.backendPath` setting / the CLI's LSMI_BACKEND_PATH: a folder where the user ran
 *    `npm install webgpu@0.6.2` and/or `npm install @tensorflow/tfjs-node-gpu@4.22.0` (the folder
 *    itself or its node_modules);
 * 2. the node_modules beside this code (a development checkout: `webgpu` is an optionalDependency).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { GpuBackendName } from './backend-request';

export const GPU_PACKAGES: Record<GpuBackendName, string> = {
  webgpu: 'webgpu',
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
};

export interface LocatedPackage {
  /** The package's folder. */
  dir: string;
  version: string;
  /** A require() that resolves from where the package was found (its own dependencies). */
  require: NodeRequire;
}

/** The folders searched, in order (user folder first). */
export function gpuSearchFolders(backendPath?: string): string[] {
  const out: string[] = [];
  for (const p of [backendPath, process.env.LSMI_BACKEND_PATH]) if (p && p.trim()) out.push(path.resolve(p.trim()));
  out.push(__dirname);
  return [...new Set(out)];
}

/** Finds an optional GPU package without loading it; undefined when it is not installed anywhere. */
export function locateGpuPackage(kind: GpuBackendName, backendPath?: string): LocatedPackage | undefined {
  const name = GPU_PACKAGES[kind];
  for (const folder of gpuSearchFolders(backendPath)) {
    try {
      const req = createRequire(path.join(folder, '__lsmi_resolve__.js'));
      const pj = req.resolve(`${name}/package.json`);
      const version = (JSON.parse(fs.readFileSync(pj, 'utf8')) as { version?: string }).version ?? '?';
      return { dir: path.dirname(pj), version, require: createRequire(pj) };
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/** The GPU backends whose packages are installed, in the order `auto` tries them. */
export function installedGpuBackends(backendPath?: string): GpuBackendName[] {
  return (['tensorflow-gpu', 'webgpu'] as GpuBackendName[]).filter((k) => locateGpuPackage(k, backendPath));
}

/**
 * The shared libraries TensorFlow 2.9.1 (inside @tensorflow/tfjs-node-gpu 4.22) dlopens for CUDA:
 * exactly these sonames, from CUDA 11.2 and cuDNN 8.1. CUDA 12 ships libcudart.so.12 etc., which
 * TensorFlow does not look for: it then silently runs on the CPU.
 */
export const CUDA_LIBS = [
  'libcudart.so.11.0',
  'libcublas.so.11',
  'libcublasLt.so.11',
  'libcufft.so.10',
  'libcurand.so.10',
  'libcusolver.so.11',
  'libcusparse.so.11',
  'libcudnn.so.8',
];

/**
 * Which of CUDA_LIBS the dynamic loader cannot find: searched in LD_LIBRARY_PATH, the ldconfig cache
 * and the usual CUDA folders. Linux only; elsewhere (Windows: DLLs on PATH) returns [] and the GPU
 * process's own check (isUsingGpuDevice) decides.
 */
export function missingCudaLibs(env: NodeJS.ProcessEnv = process.env): string[] {
  if (process.platform !== 'linux') return [];
  const dirs = (env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  dirs.push('/usr/local/cuda/lib64', '/usr/local/cuda-11.2/lib64', '/usr/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib');
  let cache = '';
  try {
    cache = execFileSync(fs.existsSync('/sbin/ldconfig') ? '/sbin/ldconfig' : 'ldconfig', ['-p'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    // no ldconfig: folders only
  }
  return CUDA_LIBS.filter((lib) => !cache.includes(`${lib} (`) && !dirs.some((d) => fs.existsSync(path.join(d, lib))));
}
