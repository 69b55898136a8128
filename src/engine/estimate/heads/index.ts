/**
 * One head of the estimate: log p(y|x) per sample from the run's logits or from a cross-fitted probe
 * (crossfit.ts), calibrated out of fold (calibration.ts), with the diagnostics users need to trust it:
 * the held-out log-loss before and after calibration, accuracy, reliability diagrams, the family
 * chosen and every candidate's held-out log-loss, the learning curve, and plain-word warnings.
 */
import type { Matrix } from '../../io/matrix';
import type { HeadReport } from '../../io/results';
import type { Head, RunData } from '../../io/run';
import { Rng } from '../../random';
import type { EstimatorSettings } from '../settings';
import { crossCalibrate } from './calibration';
import { crossFitHead } from './crossfit';
import { type HeadData, stratifiedFolds } from './rows';
import { formatCount, formatDelta, formatNats, formatTemperature } from '../../format';

export const HEAD_NAMES: Record<Head, string> = { '1': 'head 1 (modality 1)', '2': 'head 2 (modality 2)', '12': 'head 12 (both modalities)' };

/** Calibration folds: stratified halves (see estimateHead). */
export const CALIBRATION_FOLDS = 2;

/** A calibration that moves the held-out log-loss by more than this many nats is reported as a warning. */
export const CALIBRATION_WARN = 0.02;

export function headData(run: RunData, head: Head): HeadData {
  const inputs = head === '1' ? [run.emb1] : head === '2' ? [run.emb2] : [run.emb1, run.emb2];
  return { inputs, labels: run.labels, nClasses: run.nClasses };
}

/** The folds actually used: `settings.folds`, or 2 under the large-N schedule (see EstimatorSettings.largeN). */
export function effectiveFolds(run: RunData, s: EstimatorSettings): { folds: number; largeN: boolean } {
  let train = run.n;
  if (run.split) {
    train = 0;
    for (let i = 0; i < run.n; i++) if (run.split[i] === 0) train++;
  }
  const largeN = s.largeN > 0 && (train * (s.folds - 1)) / s.folds > s.largeN;
  return { folds: largeN ? 2 : s.folds, largeN };
}

export interface HeadEstimate {
  /** Calibrated log p(y|x) per sample. */
  logProb: Float64Array;
  report: HeadReport;
}

export interface HeadOptions {
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

const f3 = formatNats;

/** log p(y|x) for one head, and its report. */
export async function estimateHead(run: RunData, head: Head, settings: EstimatorSettings, opts: HeadOptions = {}): Promise<HeadEstimate> {
  const { folds } = effectiveFolds(run, settings);
  const given = run.logits[head];
  const warnings: string[] = [];
  const name = HEAD_NAMES[head];
  let report: HeadReport;
  let calibrated: Awaited<ReturnType<typeof crossCalibrate>>;
  // calibration out of fold: two stratified halves, each calibrated by parameters fitted on the other
  // (one seed for the three heads); two folds cost a quarter of five, and half the rows pin down a
  // temperature (or 2C + 1 parameters) as well as four fifths do
  const all = Int32Array.from({ length: run.n }, (_, i) => i);
  const calibrationFold = stratifiedFolds(all, run.labels, CALIBRATION_FOLDS, Rng.derive(settings.seed, 'calibration folds'));
  const calibrate = (logits: Matrix) =>
    crossCalibrate(logits, run.labels, settings.calibrate, calibrationFold, CALIBRATION_FOLDS, Rng.derive(settings.seed, `calibration ${head}`), opts.signal);
  if (given) {
    calibrated = await calibrate(given);
    report = { source: 'logits', logLoss: calibrated.report.logLossAfter, accuracy: calibrated.accuracy, meanMI: 0 };
  } else {
    const data = headData(run, head);
    const fit = await crossFitHead(data, {
      split: run.split,
      folds,
      settings,
      foldRng: Rng.derive(settings.seed, 'folds'),
      rng: Rng.derive(settings.seed, `probe ${head}`),
      signal: opts.signal,
      onProgress: (f, m) => opts.onProgress?.(0.95 * f, m),
    });
    calibrated = await calibrate(fit.logits);
    report = {
      source: 'probe',
      scheme: fit.scheme,
      family: fit.family,
      folds: fit.fits.map((f) => ({ family: f.family, detail: f.detail })),
      candidates: fit.candidates,
      selections: fit.selections,
      logLoss: calibrated.report.logLossAfter,
      accuracy: calibrated.accuracy,
      meanMI: 0,
      learningCurve: fit.learningCurve,
    };
    const lc = fit.learningCurve;
    if (lc?.stillFalling) {
      const pct = lc.fractions.map((x) => `${Math.round(x * 100)} %`).join('/');
      warnings.push(
        `${name}: the probe's held-out log-loss is still falling with more training rows (${lc.logLoss.map(f3).join(' → ')} nats at ${pct} of ${formatCount(lc.rows[lc.rows.length - 1])} rows, ` +
          `about ${f3(lc.dropPerDoubling)} nats per doubling): its MIs, and so R, U and S, are probably underestimated because of sample size. ` +
          'More samples, or logits from the trained model, would tighten them.',
      );
    }
  }
  report.calibration = calibrated.report;
  report.reliability = calibrated.reliability;
  const change = calibrated.report.logLossBefore - calibrated.report.logLossAfter;
  if (settings.calibrate !== 'none' && Math.abs(change) > CALIBRATION_WARN) {
    const temps = calibrated.report.temperatures;
    const t = temps ? temps.reduce((a, b) => a + b, 0) / temps.length : undefined;
    const how = t === undefined ? '' : t > 1 ? ` (temperature ${formatTemperature(t)}: it was over-confident)` : ` (temperature ${formatTemperature(t)}: it was under-confident)`;
    warnings.push(
      `${name}: calibration (${settings.calibrate}) changed its held-out log-loss from ${f3(calibrated.report.logLossBefore)} to ${f3(calibrated.report.logLossAfter)} nats${how}; ` +
        `the MIs use the calibrated values${given ? ' (the logits as given would move each mean MI by ' + formatDelta(change) + ' nats)' : ''}.`,
    );
  }
  if (warnings.length) report.warnings = warnings;
  opts.onProgress?.(1, `${name} done`);
  return { logProb: calibrated.logProb, report };
}
