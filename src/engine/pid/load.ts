/**
 * Files for `lsmi pid`, `lsmi bounds` and `lsmi ensemble` (docs/pid.md): a run or its results file,
 * the run behind a results file, and the ensemble's members joined on sample_id.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LsmiInputError } from '../errors';
import { readRun } from '../io';
import type { ColumnMapping, RunData } from '../io/run';
import { type ResultsData, RESULTS_SUFFIX, fileHash, isResultsFile, readResults, resultsPathFor } from '../io/results';
import { readResultsForCompare } from '../compare/join';
import { matrixRows } from './discretise';
import { type EnsembleInput, logSoftmaxRows } from './ensemble';

/** The run file a results file was estimated from: beside it (same name), else the path it records. */
export function runFileFor(resultsFile: string, data: ResultsData): string {
  const stem = resultsFile.slice(0, -RESULTS_SUFFIX.length);
  const candidates = ['.arrow', '.feather', '.npz'].map((e) => stem + e);
  const recorded = data.meta.run.file;
  candidates.push(path.isAbsolute(recorded) ? recorded : path.resolve(path.dirname(resultsFile), path.basename(recorded)), path.resolve(recorded));
  for (const c of candidates) if (fs.existsSync(c) && !c.endsWith(RESULTS_SUFFIX)) return c;
  throw new LsmiInputError('NOT_FOUND', { file: resultsFile }, `the run these results were estimated from (${recorded}) was not found beside the results file or at its recorded path; put the run file beside its results.`);
}

export interface RunAndResults {
  run: RunData;
  results?: ResultsData;
  resultsFile?: string;
  /** Plain-word notes (a results file that no longer matches its run). */
  notes: string[];
}

/** A run file (with its results beside it when there are) or a results file (with its run). */
export async function readRunAndResults(file: string, columns?: ColumnMapping): Promise<RunAndResults> {
  const notes: string[] = [];
  if (isResultsFile(file)) {
    const results = await readResultsForCompare(file);
    const runFile = runFileFor(file, results);
    const run = await readRun(runFile, { columns });
    if ((await fileHash(runFile)) !== results.meta.inputHash) notes.push(`${runFile} changed since ${file} was estimated: LSMI's values may not match it`);
    return { run, results, resultsFile: file, notes };
  }
  const run = await readRun(file, { columns });
  const rf = resultsPathFor(file);
  if (fs.existsSync(rf)) {
    try {
      const results = await readResults(rf);
      if (results.meta.inputHash === (await fileHash(file))) return { run, results, resultsFile: rf, notes };
      notes.push(`${rf} was estimated from an earlier version of the run: LSMI's values are not shown`);
    } catch {
      notes.push(`${rf} could not be read: LSMI's values are not shown`);
    }
  }
  return { run, notes };
}

/**
 * Refuses a run whose logits may have been scored on the samples their heads were trained on: one
 * with neither a `split` column (its `train` samples are then left out) nor
 * `"logits_out_of_sample": true` in its metadata's `extra`.
 */
export function assertOutOfSample(run: RunData): void {
  if (!run.split && run.meta.extra?.logits_out_of_sample !== true) {
    throw new LsmiInputError('NOT_OUT_OF_SAMPLE', { file: run.file, column: 'split' }, `the run has no split column and does not declare its logits out of sample: an ensemble scored on samples its heads were trained on is meaningless. Export held-out samples with split 'val' or 'test', or cross-fitted logits with "logits_out_of_sample": true in the metadata's extra.`);
  }
}

export interface LoadedEnsemble {
  input: EnsembleInput;
  files: string[];
  /** Samples used (out of sample in every run and present in all), and those left out and why. */
  n: number;
  dropped: { train: number; missing: number };
  notes: string[];
}

/**
 * The ensemble's inputs from 2 or more results files of models on the same samples: each run's
 * logits (all three heads, log-softmax), its results' h1 and h2, joined on sample_id. Logits must be
 * out of sample: samples of the `train` split are left out; a run without a `split` column must say
 * `"logits_out_of_sample": true` in its metadata's `extra` (docs/pid.md); otherwise `NOT_OUT_OF_SAMPLE`.
 */
export async function loadEnsemble(files: string[]): Promise<LoadedEnsemble> {
  const notes: string[] = [];
  const loaded: { file: string; run: RunData; results: ResultsData; label: string }[] = [];
  for (const file of files) {
    if (!isResultsFile(file)) {
      throw new LsmiInputError('NOT_RESULTS', { file }, `ensemble takes results files (${RESULTS_SUFFIX}): estimate the run first (\`lsmi estimate ${file}\`) and pass ${resultsPathFor(file)}.`);
    }
    const r = await readRunAndResults(file);
    notes.push(...r.notes);
    for (const head of ['1', '2', '12'] as const) {
      if (!r.run.logits[head]) throw new LsmiInputError('MISSING_COLUMN', { file: r.run.file, column: `logits_${head}` }, `the ensemble needs the logits of all three heads (logits_1, logits_2, logits_12); this run has no logits_${head}. Export your model's heads with the run.`);
    }
    assertOutOfSample(r.run);
    const label = r.run.meta.runName || path.basename(file);
    loaded.push({ file, run: r.run, results: r.results!, label });
  }
  const C = loaded[0].run.nClasses;
  for (const l of loaded) {
    if (l.run.nClasses !== C) throw new LsmiInputError('CLASS_MISMATCH', { file: l.file }, `${l.run.nClasses} classes, but ${loaded[0].file} has ${C}: an ensemble needs the same classes.`);
  }
  // the samples every run has, out of sample in every run, in the first run's order
  const indexOf = loaded.map((l) => new Map(l.run.sampleIds.map((id, i) => [id, i] as const)));
  const resIndexOf = loaded.map((l) => new Map(l.results.sampleIds.map((id, i) => [id, i] as const)));
  const ids: string[] = [];
  let train = 0;
  let missing = 0;
  for (const id of loaded[0].run.sampleIds) {
    const rows = indexOf.map((m) => m.get(id));
    const rrows = resIndexOf.map((m) => m.get(id));
    if (rows.some((r) => r === undefined) || rrows.some((r) => r === undefined)) {
      missing++;
      continue;
    }
    if (loaded.some((l, k) => l.run.split && l.run.split[rows[k]!] === 0)) {
      train++;
      continue;
    }
    ids.push(id);
  }
  if (ids.length === 0) {
    throw new LsmiInputError('NOT_OUT_OF_SAMPLE', { file: loaded[0].file, column: 'split' }, `no sample is out of sample (split 'val' or 'test') in every run and present in all: ${train} are 'train' samples, ${missing} are missing from some run.`);
  }
  const n = ids.length;
  const labels = new Int32Array(n);
  const runs = loaded.map((l, k) => {
    const rowOf = ids.map((id) => indexOf[k].get(id)!);
    const resRowOf = ids.map((id) => resIndexOf[k].get(id)!);
    const pick = (m: Float64Array) => {
      const out = new Float64Array(n * C);
      rowOf.forEach((row, i) => out.set(m.subarray(row * C, row * C + C), i * C));
      return out;
    };
    const lp = (head: '1' | '2' | '12') => logSoftmaxRows(pick(matrixRows(l.run.logits[head]!)), n, C);
    rowOf.forEach((row, i) => {
      const y = l.run.labels[row];
      if (k === 0) labels[i] = y;
      else if (labels[i] !== y) throw new LsmiInputError('LABEL_MISMATCH', { file: l.file, column: 'label' }, `sample ${ids[i]} has label ${y}, but ${labels[i]} in ${loaded[0].file}: the runs are not on the same samples.`);
    });
    return {
      label: l.label,
      logp1: lp('1'),
      logp2: lp('2'),
      logp12: lp('12'),
      h1: Float64Array.from(resRowOf, (r) => l.results.columns.h1[r]),
      h2: Float64Array.from(resRowOf, (r) => l.results.columns.h2[r]),
    };
  });
  const labelsSeen = new Set(runs.map((r) => r.label));
  if (labelsSeen.size < runs.length) runs.forEach((r, k) => (r.label = `${r.label} (${k + 1})`));
  return { input: { labels, nClasses: C, classNames: loaded[0].run.meta.classNames, runs }, files, n, dropped: { train, missing }, notes };
}
