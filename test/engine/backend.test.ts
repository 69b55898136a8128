/**
 * Backend choice and GPU-process isolation (docs/compute.md, "Outcomes and fallback"), on any machine: a real forked GPU process
 * (out/src/engine/compute/gpu-worker.js), really killed, hung or unable to load its backend, and the
 * job finishing on the wasm worker threads with the reason recorded. The same tests with a real
 * WebGPU backend are in webgpu.test.ts (the `webgpu` suite, over lavapipe).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../src/cli/main';
import { BACKEND_REQUESTS, envBackendRequest, isBackendRequest } from '../../src/engine/compute/backend-request';
import { CUDA_LIBS, locateGpuPackage, missingCudaLibs } from '../../src/engine/compute/gpu-locate';
import { WorkerPool } from '../../src/engine/compute/pool';
import type { ProgressEvent } from '../../src/engine/estimate/lsmi';
import { REPO } from './fixtures';

const WORKER = path.join(REPO, 'out', 'src', 'engine', 'compute', 'worker.js');
const GPU_WORKER = path.join(REPO, 'out', 'src', 'engine', 'compute', 'gpu-worker.js');
const FAST = { folds: 2, mlp: { epochs: 3 }, components: 2 } as const;
let dir: string;

function copyRun(name: string): string {
  const dst = path.join(dir, `${name}-${Math.random().toString(36).slice(2, 8)}.arrow`);
  fs.copyFileSync(path.join(REPO, 'examples', 'circuits', 'xor.arrow'), dst);
  return dst;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const tmpFiles = (file: string) => fs.readdirSync(path.dirname(file)).filter((f) => f.startsWith(`.${path.basename(file)}`) && f.endsWith('.tmp'));

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lsmi-backend-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('backend requests', () => {
  it('auto | webgpu | tensorflow-gpu | wasm | cpu, and LSMI_BACKEND is validated', () => {
    assert.deepEqual([...BACKEND_REQUESTS], ['auto', 'webgpu', 'tensorflow-gpu', 'wasm', 'cpu']);
    assert.ok(isBackendRequest('webgpu') && !isBackendRequest('cuda'));
    const saved = process.env.LSMI_BACKEND;
    try {
      process.env.LSMI_BACKEND = 'cuda';
      assert.throws(() => envBackendRequest(), /LSMI_BACKEND must be one of auto, webgpu, tensorflow-gpu, wasm, cpu/);
      process.env.LSMI_BACKEND = '';
      assert.equal(envBackendRequest(), undefined);
    } finally {
      if (saved === undefined) delete process.env.LSMI_BACKEND;
      else process.env.LSMI_BACKEND = saved;
    }
  });

  it('lsmi estimate --backend accepts the GPU backends and rejects others with the list', async () => {
    let err = '';
    const code = await main(['estimate', 'x.arrow', '--backend', 'cuda'], { write: () => true } as never, { write: (s: string) => ((err += s), true) } as never);
    assert.equal(code, 2);
    assert.match(err, /--backend must be one of auto, webgpu, tensorflow-gpu, wasm, cpu/);
  });

  it('names the CUDA 11.2 / cuDNN 8.1 libraries that are missing, and finds them in LD_LIBRARY_PATH', () => {
    const libs = fs.mkdtempSync(path.join(dir, 'cuda-'));
    for (const l of CUDA_LIBS) fs.writeFileSync(path.join(libs, l), '');
    assert.deepEqual(missingCudaLibs({ LD_LIBRARY_PATH: libs }), []);
    fs.rmSync(path.join(libs, 'libcudnn.so.8'));
    const missing = missingCudaLibs({ LD_LIBRARY_PATH: libs });
    if (process.platform === 'linux') assert.ok(missing.length <= 1 && (missing.length === 0 || missing[0] === 'libcudnn.so.8'), `missing ${missing}`);
  });

  it('finds a GPU package in a user folder (lsmi.backendPath), the folder itself or its node_modules', () => {
    const folder = fs.mkdtempSync(path.join(dir, 'gpu-'));
    const pkg = path.join(folder, 'node_modules', '@tensorflow', 'tfjs-node-gpu');
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs-node-gpu', version: '4.22.0', main: 'index.js' }));
    assert.equal(locateGpuPackage('tensorflow-gpu', folder)?.version, '4.22.0');
    assert.equal(locateGpuPackage('tensorflow-gpu', path.join(folder, 'node_modules'))?.dir, pkg);
  });
});

describe('GPU process isolation: a real forked process, and the job always finishes', () => {
  it('killing the GPU process mid-run (SIGKILL at its first progress) reruns the job on wasm and says why', async () => {
    const run = copyRun('killed');
    // `cpu` runs in the forked process here, so this runs on machines with no GPU stack at all
    const pool = new WorkerPool({ size: 1, script: WORKER, gpuScript: GPU_WORKER, processBackends: ['cpu'] });
    let killed: number | undefined;
    const fallbacks: string[] = [];
    const stages: string[] = [];
    try {
      const res = await pool.estimateFile(
        run,
        { backend: 'cpu', settings: FAST, reuse: false },
        {
          onProgress: (e: ProgressEvent) => {
            stages.push(e.stage);
            if (killed === undefined && pool.gpuPid && e.stage.startsWith('probe')) {
              killed = pool.gpuPid;
              process.kill(killed, 'SIGKILL');
            }
          },
          onFallback: (r) => fallbacks.push(r),
        },
      );
      assert.ok(killed, 'the GPU process reported progress and was killed');
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(alive(killed!), false, 'the killed process is gone');
      assert.equal(fallbacks.length, 1);
      assert.match(fallbacks[0], /exited unexpectedly \(signal SIGKILL\) during 'probe/);
      assert.equal(res.results.meta.backend.name, 'wasm');
      assert.match(res.results.meta.backend.detail, /fallback to wasm: the cpu process exited unexpectedly \(signal SIGKILL\)/);
      assert.ok(fs.existsSync(res.out));
      assert.deepEqual(tmpFiles(res.out), []);
      assert.ok(stages.includes('backend'), 'a progress message says the GPU backend was not used');
      // the pool still works, and a new GPU process starts for the next GPU job
      const again = await pool.estimateFile(run, { backend: 'cpu', settings: FAST, reuse: false, out: path.join(dir, 'again.lsmi.arrow') });
      assert.equal(again.results.meta.backend.name, 'cpu');
      assert.notEqual(pool.gpuPid, killed);
    } finally {
      await pool.dispose();
    }
  });

  it('a hung GPU process (no message for gpuHangTimeoutMs) is killed and the job reruns on wasm', async () => {
    const hang = path.join(dir, 'hang.js');
    fs.writeFileSync(hang, "process.on('message', () => {}); setInterval(() => {}, 1000);\n");
    const pool = new WorkerPool({ size: 1, script: WORKER, gpuScript: hang, gpuHangTimeoutMs: 1500 });
    const fallbacks: string[] = [];
    try {
      const t0 = Date.now();
      const res = await pool.estimateFile(copyRun('hung'), { backend: 'webgpu', settings: FAST, reuse: false }, { onFallback: (r) => fallbacks.push(r) });
      assert.ok(Date.now() - t0 >= 1400);
      assert.match(fallbacks[0], /the webgpu process sent nothing for 1\.5 s during 'start' \(hung\) and was killed/);
      assert.equal(res.results.meta.backend.name, 'wasm');
    } finally {
      await pool.dispose();
    }
  });

  it('tensorflow-gpu that cannot load (CUDA 11.2 libraries missing) falls back with a message naming them', { skip: missingCudaLibs().length === 0 && 'this machine has the CUDA 11.2 libraries' }, async () => {
    const folder = fs.mkdtempSync(path.join(dir, 'tfgpu-'));
    const pkg = path.join(folder, 'node_modules', '@tensorflow', 'tfjs-node-gpu');
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs-node-gpu', version: '4.22.0', main: 'index.js' }));
    fs.writeFileSync(path.join(pkg, 'index.js'), "throw new Error('must not be loaded without CUDA');\n");
    const pool = new WorkerPool({ size: 1, script: WORKER, gpuScript: GPU_WORKER, backendPath: folder });
    const fallbacks: string[] = [];
    try {
      const res = await pool.estimateFile(copyRun('cuda'), { backend: 'tensorflow-gpu', settings: FAST, reuse: false }, { onFallback: (r) => fallbacks.push(r) });
      assert.equal(fallbacks.length, 1);
      assert.match(fallbacks[0], /needs CUDA 11\.2 and cuDNN 8\.1, and .*libcudart\.so\.11\.0/);
      assert.equal(res.results.meta.backend.name, 'wasm');
      assert.match(res.results.meta.backend.detail, /fallback to wasm: tensorflow-gpu: .*libcudart\.so\.11\.0/);
    } finally {
      await pool.dispose();
    }
  });

  it('auto without a usable GPU computes on wasm and records why', async () => {
    const pool = new WorkerPool({ size: 1, script: WORKER, gpuScript: GPU_WORKER, gpuEnv: { VK_ICD_FILENAMES: path.join(dir, 'no-such-icd.json') } });
    try {
      const res = await pool.estimateFile(copyRun('auto'), { settings: FAST, reuse: false });
      assert.ok(['wasm', 'cpu'].includes(res.results.meta.backend.name));
      assert.match(res.results.meta.backend.detail, /auto: /);
    } finally {
      await pool.dispose();
    }
  });

  it('cancelling a job in the GPU process kills it and leaves nothing behind', async () => {
    const run = copyRun('cancel');
    const pool = new WorkerPool({ size: 1, script: WORKER, gpuScript: GPU_WORKER, processBackends: ['cpu'] });
    const controller = new AbortController();
    let pid: number | undefined;
    try {
      await assert.rejects(
        pool.estimateFile(run, { backend: 'cpu', settings: FAST, reuse: false }, {
          signal: controller.signal,
          onProgress: (e) => {
            if (!pid && e.stage.startsWith('probe')) {
              pid = pool.gpuPid;
              controller.abort();
            }
          },
        }),
        (e: Error) => e.name === 'AbortError',
      );
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(pid && !alive(pid));
      assert.ok(!fs.existsSync(run.replace(/\.arrow$/, '.lsmi.arrow')));
    } finally {
      await pool.dispose();
    }
  });
});
