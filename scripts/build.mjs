// Bundles the extension host, the CLI and the webviews with esbuild. `--watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'warning', absWorkingDir: root };
const builds = [
  // extension host: Node, CommonJS, `vscode` provided by the host
  { ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'] },
  // the estimation worker thread (src/engine/compute/pool.ts starts dist/worker.js)
  { ...common, entryPoints: ['src/engine/compute/worker.ts'], outfile: 'dist/worker.js', platform: 'node', format: 'cjs', target: 'node20' },
  // the second lane of an estimate (src/engine/estimate/stages.ts starts dist/stage-worker.js)
  { ...common, entryPoints: ['src/engine/compute/stage-worker.ts'], outfile: 'dist/stage-worker.js', platform: 'node', format: 'cjs', target: 'node20' },
  // the GPU process (src/engine/compute/gpu-process.ts forks dist/gpu-worker.js); `webgpu` (Dawn) and
  // @tensorflow/tfjs-node-gpu are native and optional: found at run time (gpu-locate.ts), never bundled
  { ...common, entryPoints: ['src/engine/compute/gpu-worker.ts'], outfile: 'dist/gpu-worker.js', platform: 'node', format: 'cjs', target: 'node20', external: ['webgpu', '@tensorflow/tfjs-node-gpu'] },
  // reading files off the extension host's thread (src/engine/io/isolated.ts starts dist/read-worker.js)
  { ...common, entryPoints: ['src/engine/io/read-worker.ts'], outfile: 'dist/read-worker.js', platform: 'node', format: 'cjs', target: 'node20' },
  // the dataset PID, bounds and ensembles off the extension host's thread (src/engine/pid/isolated.ts starts dist/pid-worker.js)
  { ...common, entryPoints: ['src/engine/pid/worker.ts'], outfile: 'dist/pid-worker.js', platform: 'node', format: 'cjs', target: 'node20' },
  // the `lsmi` command line
  { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', platform: 'node', format: 'cjs', target: 'node20' },
  // webview panels: browser, one self-contained script per panel
  { ...common, entryPoints: { run: 'webview/run/main.ts', results: 'webview/results/main.ts', compare: 'webview/compare/main.ts' }, outdir: 'dist/webview', platform: 'browser', format: 'iife', target: 'chrome120', loader: { '.css': 'text' } },
];

// the wasm backend's binaries travel next to the bundles that compute (see src/engine/compute/backend.ts)
const wasmSrc = path.join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
fs.mkdirSync(path.join(root, 'dist', 'wasm'), { recursive: true });
for (const f of fs.readdirSync(wasmSrc).filter((f) => f.endsWith('.wasm'))) fs.copyFileSync(path.join(wasmSrc, f), path.join(root, 'dist', 'wasm', f));

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
  console.log('watching for changes…');
} else {
  const t0 = Date.now();
  await Promise.all(builds.map((b) => esbuild.build(b)));
  console.log(`built ${builds.length} bundles in ${Date.now() - t0} ms`);
}
