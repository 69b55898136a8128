/**
 * Small, hand-computable results files for the compare and export tests, written by the engine's
 * own writer (writeResults), so they are real `.lsmi.arrow` files read back by the real reader.
 */
import * as path from 'node:path';
import { type ResultsData, type ResultsMeta, writeResults } from '../../src/engine/io/results';
import { resolveSettings } from '../../src/engine/estimate/settings';
import { SPLITS, type Split } from '../../src/engine/io/run';

export interface SmallRun {
  name?: string;
  fusion?: string;
  architecture?: string;
  ids: string[];
  labels: number[];
  r: number[];
  u1: number[];
  u2: number[];
  s: number[];
  classNames?: string[];
  nClasses?: number;
  split?: Split[];
  paths1?: (string | null)[];
  paths2?: (string | null)[];
}

const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;

export function smallResults(run: SmallRun): ResultsData {
  const n = run.ids.length;
  const f = (a: number[]) => Float64Array.from(a);
  const i1 = run.r.map((r, k) => r + run.u1[k]);
  const i2 = run.r.map((r, k) => r + run.u2[k]);
  const i12 = run.r.map((r, k) => r + run.u1[k] + run.u2[k] + run.s[k]);
  const atoms = { R: mean(run.r), U1: mean(run.u1), U2: mean(run.u2), S: mean(run.s) };
  const classNames = run.classNames ?? ['cat', 'dog', 'fish'];
  const nClasses = run.nClasses ?? classNames.length;
  const meta = {
    formatVersion: 1,
    toolVersion: 'test',
    createdAt: '2025-01-01T00:00:00.000Z',
    run: { file: `${run.name ?? 'run'}.arrow`, name: run.name ?? 'run', n, nClasses, classNames, modalityNames: ['image', 'text'], architecture: run.architecture, fusion: run.fusion },
    inputHash: 'sha256:test',
    settings: resolveSettings({}),
    priorSource: 'uniform',
    logPrior: new Array(nClasses).fill(-Math.log(nClasses)),
    backend: { name: 'cpu', detail: 'test', versions: {} },
    timings: {},
    dataset: { raw: atoms, adjusted: atoms, branch: 'none', adj: 0 },
    perClass: classNames.map((name, index) => {
      const rows = run.labels.map((l, k) => (l === index ? k : -1)).filter((k) => k >= 0);
      const m = (a: number[]) => (rows.length ? mean(rows.map((k) => a[k])) : 0);
      const c = { R: m(run.r), U1: m(run.u1), U2: m(run.u2), S: m(run.s) };
      return { index, name, n: rows.length, adjusted: c, raw: c };
    }),
    heads: {},
    density: {},
  } as unknown as ResultsMeta;
  return {
    meta,
    sampleIds: run.ids,
    labels: Int32Array.from(run.labels),
    split: run.split ? Uint8Array.from(run.split, (s) => SPLITS.indexOf(s)) : undefined,
    paths1: run.paths1,
    paths2: run.paths2,
    columns: {
      r: f(run.r), u1: f(run.u1), u2: f(run.u2), s: f(run.s),
      r_raw: f(run.r), u1_raw: f(run.u1), u2_raw: f(run.u2), s_raw: f(run.s),
      i1: f(i1), i2: f(i2), i12: f(i12), h1: new Float64Array(n).fill(1), h2: new Float64Array(n).fill(2),
    },
  };
}

/** Writes `<dir>/<file>` (default `<name>.lsmi.arrow`) and returns its path. */
export async function writeSmall(dir: string, run: SmallRun, file?: string): Promise<string> {
  const out = path.join(dir, file ?? `${run.name ?? 'run'}.lsmi.arrow`);
  await writeResults(out, smallResults(run));
  return out;
}
