/**
 * Runs one benchmark case in this (fresh) process: end-to-end `estimateFile` on a generated run file,
 * then scores the results against the oracle's answers. Peak memory is this process's maxRSS, read
 * right after `estimateFile` returns (before the oracle's files are loaded). Usage:
 *
 *   node dist-bench/case.js <case.json> <result.json>
 *
 * case.json: { name, dataDir, settings, out }. The result JSON goes to result.json.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type BackendRequest, isGpuBackend } from '../../src/engine/compute/backend-request';
import { registerGpuBackends } from '../../src/engine/compute/gpu-backends';
import { estimateFile } from '../../src/engine/estimate/lsmi';
import type { SettingsInput } from '../../src/engine/estimate/settings';
import { STREAM_THRESHOLD } from '../../src/engine/io/arrow';
import { mae, pearson } from '../../src/engine/synthetic';

interface CaseInput {
  name: string;
  dataDir: string;
  settings: SettingsInput;
  /** Backend (default auto: wasm). GPU backends run in this process (a benchmark needs no isolation). */
  backend?: BackendRequest;
  /** Threads for the estimate's stages (default auto). */
  threads?: 1 | 2 | 'auto';
  out: string;
}

const ATOMS = ['R', 'U1', 'U2', 'S'] as const;

async function main(): Promise<void> {
  const [caseFile, resultFile] = process.argv.slice(2);
  const c = JSON.parse(fs.readFileSync(caseFile, 'utf8')) as CaseInput;
  if (isGpuBackend(c.backend)) registerGpuBackends();
  const file = path.join(c.dataDir, 'run.arrow');
  const fileBytes = fs.statSync(file).size;

  const rssBefore = process.memoryUsage().rss;
  const stageRss: Record<string, number> = {};
  const stageOrder: string[] = [];
  let stage = 'start';

  const note = (s: string) => {
    const rss = process.memoryUsage.rss();
    if (!(s in stageRss)) stageOrder.push(s);
    stageRss[s] = Math.max(stageRss[s] ?? 0, rss);
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const { results } = await estimateFile(file, {
    settings: c.settings,
    backend: c.backend,
    threads: c.threads,
    out: c.out,
    reuse: false,
    onProgress: (e) => {
      if (e.stage !== stage) {
        note(stage); // the last sample of the stage that just ended
        stage = e.stage;
        process.stderr.write(`    [${((performance.now() - t0) / 1000).toFixed(1)} s] ${e.stage}: ${e.message}\n`);
      }
      note(stage);
    },
  });
  const wall = (performance.now() - t0) / 1000;
  // search, fit and scoring time of each density, from the results (the stage may have run in the second lane)
  const densityTimings = (['1', '2'] as const).flatMap((m) => {
    const t = results.meta.density[m].seconds;
    return t ? [{ what: 'search', seconds: t.search ?? 0 }, { what: 'fit', seconds: t.fit }, { what: 'score', seconds: t.score }] : [];
  });
  const cpu = process.cpuUsage(cpu0);
  note(stage);
  const peakRss = process.resourceUsage().maxRSS * 1024;
  const mem = process.memoryUsage();

  // errors against the oracle
  const oracle = JSON.parse(fs.readFileSync(path.join(c.dataDir, 'oracle.json'), 'utf8'));
  const rawBuf = fs.readFileSync(path.join(c.dataDir, 'r_raw.f64'));
  const rOracle = new Float64Array(rawBuf.buffer.slice(rawBuf.byteOffset, rawBuf.byteOffset + rawBuf.byteLength));
  const rEst = results.columns.r_raw;
  if (rEst.length !== rOracle.length) throw new Error(`${rEst.length} results rows, oracle has ${rOracle.length}`);
  const est = results.meta.dataset;
  const atomErr = (which: 'adjusted' | 'raw') => Math.max(...ATOMS.map((k) => Math.abs(est[which][k] - oracle.atoms[which][k])));

  const result = {
    name: c.name,
    n: results.meta.run.n,
    C: results.meta.run.nClasses,
    d1: oracle.d1,
    d2: oracle.d2,
    fileBytes,
    batches: oracle.batches,
    streamed: fileBytes >= STREAM_THRESHOLD,
    settings: c.settings,
    resolved: { mode: results.meta.settings.mode, covariance: results.meta.settings.covariance, components: results.meta.settings.components, prior: results.meta.priorSource },
    wallSeconds: wall,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssBytes: peakRss,
    rssBeforeBytes: rssBefore,
    stageRssBytes: Object.fromEntries(stageOrder.map((s) => [s, stageRss[s]])),
    memoryAtEnd: mem,
    // results.meta.timings.total stops before the results write (the file carries the timings);
    // the write is the rest of the call
    timings: { ...results.meta.timings, write: results.meta.timings.write ?? wall - (results.meta.timings.total ?? wall) },
    densityTimings,
    backend: results.meta.backend,
    heads: results.meta.heads,
    density: results.meta.density,
    estimate: { adjusted: est.adjusted, raw: est.raw, branch: est.branch },
    oracle: oracle.atoms,
    errors: {
      maxAtomAdjusted: atomErr('adjusted'),
      maxAtomRaw: atomErr('raw'),
      rRawPearson: pearson(rEst, rOracle),
      rRawMae: mae(rEst, rOracle),
    },
  };
  fs.writeFileSync(resultFile, JSON.stringify(result, null, 2));
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
