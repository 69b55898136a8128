// The device check's runner (README: Compute backends and GPUs): generates each case's data with the bundled benchmark
// generator, estimates it on WebGPU and on wasm in fresh processes (the bundled benchmark case
// runner: wall time, memory, errors against the exact oracle), compares the two backends' results
// per sample, and writes gpu-check.md, gpu-check.json and log.txt to --out. It stops starting cases
// when its time budget would be exceeded and says which it skipped.
//
//   node run.mjs --out DIR [--budget SECONDS] [--local] [--only NAME,...]
//
// Packed and started by scripts/gpu-check.sh (which says how); `--local` uses small sizes, for the
// check of the script itself on lavapipe (CI).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BUNDLE = path.join(HERE, 'bundle');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const LOCAL = args.includes('--local');
const OUT = path.resolve(opt('--out', path.join(HERE, 'out')));
const BUDGET = Number(opt('--budget', LOCAL ? 600 : 420));
const ONLY = opt('--only', '')?.split(',').filter(Boolean);
const WORK = fs.mkdtempSync(path.join(process.env.GPU_CHECK_TMP ?? os.tmpdir(), 'gpu-check-'));
fs.mkdirSync(OUT, { recursive: true });
const logFile = path.join(OUT, 'log.txt');
const log = (s) => {
  process.stdout.write(`${s}\n`);
  fs.appendFileSync(logFile, `${s}\n`);
};
const t00 = Date.now();
const elapsed = () => (Date.now() - t00) / 1000;

const gauss = (o) => ({ kind: 'gauss', sigma: 0.5, rho: 0.5, block: 1, mixSeed: 1, logits: false, batchRows: 8192, ...o });

// name, data, settings, backends, and the seconds it is expected to need (to keep inside the budget)
const CASES = LOCAL
  ? [
      { name: 'diag-logits', data: gauss({ C: 10, d: 32, n: 3000, seed: 31, logits: true }), settings: { components: 4 }, backends: ['webgpu', 'wasm'], expect: 30 },
      { name: 'full-logits', data: gauss({ C: 10, d: 16, n: 3000, seed: 41, logits: true, block: 8, mixSeed: 7 }), settings: { components: 4, covariance: 'full' }, backends: ['webgpu', 'wasm'], expect: 30 },
      { name: 'demo-c16-probes', data: gauss({ C: 16, d: 16, n: 2000, seed: 22 }), settings: {}, backends: ['webgpu', 'wasm'], expect: 60 },
      // tied covariance fitted on a subsample, then continued on every row (the scalable path for correlated noise)
      { name: 'tied-logits', data: gauss({ C: 10, d: 16, n: 4000, seed: 43, logits: true, block: 8, mixSeed: 7 }), settings: { covariance: 'tied', em: { diagFitSubsample: 1000 } }, backends: ['webgpu', 'wasm'], expect: 40 },
      { name: 'large-tied', data: gauss({ C: 10, d: 64, n: 4000, seed: 61, logits: true, block: 8, mixSeed: 7 }), settings: { covariance: 'tied', em: { diagFitSubsample: 2000 } }, backends: ['webgpu'], expect: 40 },
      // full covariance the scalable way (the device's large cases: a tied start, covariances shrunk toward the pooled one)
      { name: 'large-full', data: gauss({ C: 10, d: 64, n: 4000, seed: 61, logits: true, block: 8, mixSeed: 7 }), settings: { components: 4, covariance: 'full', em: { fitSubsample: 2000, fullFit: 'shrunk' } }, backends: ['webgpu'], expect: 60 },
    ]
  : [
      // the C = d = 64 demo family with probes (both backends: 2.6 s on wasm, 2 cores)
      { name: 'demo-c64-probes', data: gauss({ C: 64, d: 64, n: 10000, seed: 22 }), settings: {}, backends: ['webgpu', 'wasm'], expect: 30 },
      // N = 1e5, d = 512, diagonal, logits given (21 s on wasm, 2 cores)
      { name: 'diag-1e5-d512', data: gauss({ C: 10, d: 512, n: 100000, seed: 31, logits: true }), settings: { components: 10 }, backends: ['webgpu', 'wasm'], expect: 90 },
      // the same with full covariance at K = 10 (em.fullFit 'auto' → the shrunk fit from a tied start:
      // 52 s on wasm, 2 cores; plain EM took 255 s), on both backends
      { name: 'full-1e5-d512', data: gauss({ C: 10, d: 512, n: 100000, seed: 41, logits: true, block: 8, mixSeed: 7 }), settings: { components: 10, covariance: 'full', em: { fitSubsample: 20000 } }, backends: ['webgpu', 'wasm'], expect: 150 },
      // N = 1e6, d = 1024, full covariance at K = 10 fitted on a 20,000-row subsample (the shrunk fit;
      // λ = 1 continues as tied covariance on every row): WebGPU only (8 GiB of data), target ≤ 60 s
      { name: 'gpu-large-1e6-d1024', data: gauss({ C: 10, d: 1024, n: 1000000, seed: 61, logits: true, block: 8, mixSeed: 7 }), settings: { components: 10, covariance: 'full' }, backends: ['webgpu'], expect: 180 },
      // correlated noise at N = 1e5, d = 512 with the defaults (tied covariance K = 1, continued on every row)
      { name: 'cov-1e5-d512', data: gauss({ C: 10, d: 512, n: 100000, seed: 41, logits: true, block: 8, mixSeed: 7 }), settings: {}, backends: ['webgpu', 'wasm'], expect: 90 },
      // plain full-covariance EM (em.fullFit 'em'): agreement on a size wasm finishes in time
      { name: 'full-2e4-d256', data: gauss({ C: 10, d: 256, n: 20000, seed: 42, logits: true, block: 8, mixSeed: 7 }), settings: { components: 10, covariance: 'full', em: { fitSubsample: 10000, fullFit: 'em' } }, backends: ['webgpu', 'wasm'], expect: 90 },
    ];

function run(cmd, argv, { timeoutSeconds, env, capture } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', capture ? 'pipe' : 'inherit', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    child.stdout?.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => {
      err += b;
      fs.appendFileSync(logFile, b);
    });
    const timer = timeoutSeconds ? setTimeout(() => child.kill('SIGKILL'), timeoutSeconds * 1000) : undefined;
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, err, timedOut: signal === 'SIGKILL' });
    });
  });
}

const node = process.execPath;
const results = [];
const skipped = [];
log(`gpu-check ${LOCAL ? '(local)' : ''} on ${os.hostname()}: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB, node ${process.version}, budget ${BUDGET} s`);
for (const c of CASES) {
  if (ONLY?.length && !ONLY.includes(c.name)) continue;
  const left = BUDGET - elapsed();
  if (left < c.expect) {
    skipped.push({ name: c.name, why: `${left.toFixed(0)} s of the budget left, the case needs about ${c.expect} s` });
    log(`skip ${c.name}: ${skipped.at(-1).why}`);
    continue;
  }
  const dir = path.join(WORK, c.name);
  const spec = path.join(WORK, `${c.name}.gen.json`);
  fs.writeFileSync(spec, JSON.stringify({ name: c.name, data: c.data }));
  let t0 = Date.now();
  const gen = await run(node, [path.join(BUNDLE, 'generate.js'), spec, dir], { timeoutSeconds: Math.max(10, left) });
  const genSeconds = (Date.now() - t0) / 1000;
  log(`${c.name}: data generated in ${genSeconds.toFixed(1)} s (exit ${gen.code ?? gen.signal})`);
  if (gen.code !== 0) {
    results.push({ name: c.name, backend: '-', failed: `data generation: exit ${gen.code ?? gen.signal}` });
    continue;
  }
  const outs = {};
  for (const backend of c.backends) {
    const leftNow = BUDGET - elapsed();
    if (leftNow < 5) {
      skipped.push({ name: `${c.name} on ${backend}`, why: 'the budget is spent' });
      continue;
    }
    const caseFile = path.join(WORK, `${c.name}-${backend}.case.json`);
    const resultFile = path.join(WORK, `${c.name}-${backend}.result.json`);
    const out = path.join(WORK, `${c.name}-${backend}.lsmi.arrow`);
    fs.writeFileSync(caseFile, JSON.stringify({ name: c.name, dataDir: dir, settings: c.settings, backend, out }));
    t0 = Date.now();
    const r = await run(node, [path.join(BUNDLE, 'case.js'), caseFile, resultFile], { timeoutSeconds: leftNow, env: { LSMI_WASM_DIR: path.join(BUNDLE, 'wasm') } });
    const seconds = (Date.now() - t0) / 1000;
    if (r.code === 0 && fs.existsSync(resultFile)) {
      const res = JSON.parse(fs.readFileSync(resultFile, 'utf8'));
      const { backend: backendMeta, ...rest } = res;
      const fellBack = backendMeta?.name !== backend;
      results.push({ ...rest, name: c.name, backend, backendMeta, processSeconds: seconds, ...(fellBack ? { fellBack: `asked for ${backend}, ran on ${backendMeta?.name}: ${backendMeta?.detail ?? ''}` } : {}) });
      outs[backend] = out;
      log(`${c.name} on ${backend}: ${res.wallSeconds.toFixed(1)} s, peak ${(res.peakRssBytes / 1024 ** 3).toFixed(2)} GiB, r Pearson vs oracle ${res.errors.rRawPearson.toFixed(4)}${fellBack ? ` (FELL BACK: ${backendMeta?.name})` : ''}`);
    } else {
      results.push({ name: c.name, backend, failed: r.timedOut ? `stopped at the budget (${leftNow.toFixed(0)} s)` : `exit ${r.code ?? r.signal}: ${r.err.trim().split('\n').slice(-3).join(' / ')}` });
      log(`${c.name} on ${backend}: FAILED (${results.at(-1).failed})`);
    }
  }
  if (outs.webgpu && outs.wasm) {
    const a = await run(node, [path.join(BUNDLE, 'agree.js'), outs.webgpu, outs.wasm], { capture: true, timeoutSeconds: 120 });
    if (a.code === 0) {
      const agree = JSON.parse(a.out);
      for (const r of results) if (r.name === c.name && r.backend === 'webgpu') r.agreement = agree;
      log(`${c.name}: webgpu vs wasm per sample: ${['r', 'u1', 'u2', 's'].map((k) => `${k} max |Δ| ${agree[k].maxAbs.toExponential(2)}, Pearson ${agree[k].pearson.toFixed(5)}`).join('; ')}`);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true }); // free the disk for the next case
}

const adapter = results.find((r) => r.backend === 'webgpu' && !r.failed && !r.fellBack)?.backendMeta;
const f = (x, d = 2) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : '—');
const rows = results.map((r) =>
  r.failed
    ? `| ${r.name} | ${r.backend} | failed: ${r.failed.replace(/\|/g, '/')} | | | | | |`
    : `| ${r.name} | ${r.backend}${r.fellBack ? ' (fell back)' : ''} | ${r.n} × ${r.d1} | ${f(r.wallSeconds, 1)} | ${f((r.timings?.['density 1'] ?? 0) + (r.timings?.['density 2'] ?? 0), 1)} | ${f(r.peakRssBytes / 1024 ** 3)} | ${f(r.errors?.rRawPearson, 4)} | ${r.agreement ? `r ${r.agreement.r.maxAbs.toExponential(1)}, s ${r.agreement.s.maxAbs.toExponential(1)}` : ''} |`,
);
const md = `# Device check${LOCAL ? ' (local: small sizes, lavapipe)' : ''}

${new Date().toISOString()}; ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB; node ${process.version}
WebGPU adapter: ${adapter ? `${adapter.detail}` : 'none (see log.txt)'}

| case | backend | N × d | wall s | density s | peak GiB | r Pearson vs oracle | webgpu vs wasm, max per-sample abs. difference |
| --- | --- | --- | ---: | ---: | ---: | ---: | --- |
${rows.join('\n')}
${skipped.length ? `\nSkipped: ${skipped.map((s) => `${s.name} (${s.why})`).join('; ')}\n` : ''}
Total ${elapsed().toFixed(0)} s of a ${BUDGET} s budget.
`;
fs.writeFileSync(path.join(OUT, 'gpu-check.md'), md);
fs.writeFileSync(path.join(OUT, 'gpu-check.json'), JSON.stringify({ local: LOCAL, budget: BUDGET, seconds: elapsed(), skipped, results }, null, 2));
fs.rmSync(WORK, { recursive: true, force: true });
log(md);
const failed = results.filter((r) => r.failed || r.fellBack).length;
const disagree = results.filter((r) => r.agreement && ['r', 'u1', 'u2', 's'].some((k) => !(r.agreement[k].pearson > 0.999))).length;
log(`${results.length - failed - disagree} passed, ${failed + disagree} failed`);
process.exit(failed + disagree > 0 ? 1 : 0);
