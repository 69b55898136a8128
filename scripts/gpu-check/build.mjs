// Bundles what the device check runs (scripts/gpu-check.sh): the benchmark data generator and case
// runner (GPU backends registered in-process), the estimate's second lane, and the agreement check.
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = path.resolve(process.argv[2] ?? path.join(root, '.gpu-check', 'bundle'));
fs.mkdirSync(path.join(out, 'wasm'), { recursive: true });
await esbuild.build({
  absWorkingDir: root,
  entryPoints: {
    generate: 'scripts/bench/generate.ts',
    case: 'scripts/bench/case.ts',
    agree: 'scripts/gpu-check/agree.ts',
    'stage-worker': 'src/engine/compute/stage-worker.ts',
  },
  outdir: out,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['webgpu', '@tensorflow/tfjs-node-gpu'],
  logLevel: 'warning',
});
const wasmSrc = path.join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
for (const f of fs.readdirSync(wasmSrc).filter((f) => f.endsWith('.wasm'))) fs.copyFileSync(path.join(wasmSrc, f), path.join(out, 'wasm', f));
