/** A compact description of a run: what `lsmi inspect` prints and the run panel shows. */
import { type Head, HEADS, type RunData, SPLITS } from './io/run';
import { type Matrix, forEachBlock } from './io/matrix';

export interface HeadSummary {
  head: Head;
  /** Share of samples whose arg-max logit is the label. */
  accuracy: number;
  /** Mean cross-entropy −log softmax(logits)[label], nats. */
  logLoss: number;
}

export interface RunSummary {
  file: string;
  runName: string;
  format: 'arrow' | 'npz';
  bytes: number;
  batches: number;
  compression: string;
  n: number;
  nClasses: number;
  classNames: string[];
  modalityNames: [string, string];
  architecture?: string;
  fusion?: string;
  createdBy?: string;
  labelPrior?: number[];
  dims: [number, number];
  dtypes: Record<string, string>;
  heads: HeadSummary[];
  missingHeads: Head[];
  classCounts: number[];
  splitCounts?: Record<string, number>;
  /** Samples that have a file path, per modality (absent when the column is absent). */
  pathCounts: { 1?: number; 2?: number };
}

export function summarizeRun(run: RunData): RunSummary {
  const classCounts = new Array<number>(run.nClasses).fill(0);
  for (let i = 0; i < run.n; i++) classCounts[run.labels[i]]++;
  let splitCounts: Record<string, number> | undefined;
  if (run.split) {
    splitCounts = Object.fromEntries(SPLITS.map((s) => [s, 0]));
    for (let i = 0; i < run.n; i++) splitCounts[SPLITS[run.split[i]]]++;
  }
  const heads: HeadSummary[] = [];
  for (const head of HEADS) {
    const m = run.logits[head];
    if (m) heads.push({ head, ...headStats(m, run.labels) });
  }
  const count = (p?: (string | null)[]) => (p ? p.reduce((a, x) => a + (x ? 1 : 0), 0) : undefined);
  return {
    file: run.file,
    runName: run.meta.runName,
    format: run.source.format,
    bytes: run.source.bytes,
    batches: run.source.batches,
    compression: run.source.compression,
    n: run.n,
    nClasses: run.nClasses,
    classNames: run.meta.classNames,
    modalityNames: run.meta.modalityNames,
    architecture: run.meta.architecture,
    fusion: run.meta.fusion,
    createdBy: run.meta.createdBy,
    labelPrior: run.meta.labelPrior,
    dims: [run.emb1.cols, run.emb2.cols],
    dtypes: run.source.dtypes as Record<string, string>,
    heads,
    missingHeads: HEADS.filter((h) => !run.logits[h]),
    classCounts,
    splitCounts,
    pathCounts: { 1: count(run.paths1), 2: count(run.paths2) },
  };
}

/** Accuracy (arg-max = label) and mean cross-entropy −log softmax(logits)[label] of one head. */
export function headStats(m: Matrix, labels: Int32Array): { accuracy: number; logLoss: number } {
  let correct = 0;
  let loss = 0;
  forEachBlock(m, 4096, (start, rows, data) => {
    const c = m.cols;
    for (let r = 0; r < rows; r++) {
      const y = labels[start + r];
      let max = -Infinity;
      let arg = 0;
      for (let k = 0; k < c; k++) {
        const v = data[r * c + k];
        if (v > max) (max = v), (arg = k);
      }
      let z = 0;
      for (let k = 0; k < c; k++) z += Math.exp(data[r * c + k] - max);
      loss += Math.log(z) + max - data[r * c + y];
      if (arg === y) correct++;
    }
  });
  return { accuracy: correct / labels.length, logLoss: loss / labels.length };
}
