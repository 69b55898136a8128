/**
 * The results panel's overview payload (ResultsOverview in src/protocol/messages.ts), built from a
 * results file's data and metadata (src/engine/io/results.ts). No `vscode` here, so the engine tests
 * (test/engine/results-overview.test.ts) build it too.
 *
 * The metadata is JSON written by some version of the tool: results of older versions (format 1)
 * lack the heads' diagnostics, hand-made files may lack heads and density altogether. Nothing here
 * trusts a field to exist or a number to be finite: what is missing is left out (or null, shown
 * as "—"), never thrown.
 */
import { type DensityReport, type HeadReport, type ResultsData, type ResultsMeta, histogram, DEFAULT_MIN_CLASS_N, rankClasses, formatSeconds } from '../engine';
import type { CandidateOverview, ClassRankRequest, ClassRankRow, ClassRanking, DensityOverview, HeadOverview, Histogram, ReliabilityOverview, ResultsOverview } from '../protocol/messages';
import { sortedColumn } from '../engine';

const HIST_BINS = 30;
const HEADS = ['1', '2', '12'] as const;
const FAMILY: Record<string, string> = { lda: 'LDA', logistic: 'logistic', mlp: 'MLP' };

/** A finite number, else null (NaN and ±Infinity do not survive the trip to the webview). */
const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);
const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const strings = (x: unknown): string[] => (Array.isArray(x) ? x.filter((w): w is string => typeof w === 'string' && w.length > 0) : []);
const familyLabel = (f: unknown): string => (typeof f === 'string' ? (FAMILY[f] ?? f) : 'MLP');

/**
 * Samples whose raw value is 0 (u1, u2: where r = i of that modality, it adds nothing the other
 * lacks, by construction; 0 up to the rounding of i − r, hence the tolerance).
 */
export function structuralZeros(v: Float64Array | undefined): number {
  let k = 0;
  if (v) for (const x of v) if (Math.abs(x) <= STRUCTURAL_ZERO) k++;
  return k;
}

/** |raw u| at or below this is a structural zero (nats). */
export const STRUCTURAL_ZERO = 1e-9;

/** A results column's histogram (the one contract: src/engine/histogram.ts), from its cached sorted copy. */
export function histogramOf(v: Float64Array, bins = HIST_BINS): Histogram {
  return histogram(v, { bins, sorted: sortedColumn(v) });
}

function reliabilityOf(r: unknown): ReliabilityOverview | undefined {
  if (!isObject(r) || !Array.isArray(r.bins)) return undefined;
  const bins = r.bins.filter(isObject).map((b) => ({
    lo: num(b.lo) ?? 0,
    hi: num(b.hi) ?? 0,
    n: Math.max(0, Math.round(num(b.n) ?? 0)),
    confidence: num(b.confidence),
    accuracy: num(b.accuracy),
  }));
  return { bins, ece: num(r.ece) };
}

/** Equal fits counted once: 'LDA (shrinkage 1.00) × 4'. */
function fitsOf(folds: HeadReport['folds']): string[] | undefined {
  if (!Array.isArray(folds) || folds.length === 0) return undefined;
  const counts = new Map<string, number>();
  for (const f of folds) {
    if (!isObject(f)) continue;
    const text = `${familyLabel(f.family)}${typeof f.detail === 'string' && f.detail ? ` (${f.detail})` : ''}`;
    counts.set(text, (counts.get(text) ?? 0) + 1);
  }
  return [...counts].map(([text, k]) => (k > 1 ? `${text} × ${k}` : text));
}

/** One head (discriminator) as the Discriminators section shows it. */
export function headOverview(head: '1' | '2' | '12', report: HeadReport | undefined): HeadOverview {
  const x: Partial<HeadReport> = isObject(report) ? report : {};
  const probe = x.source === 'probe';
  const candidates: CandidateOverview[] | undefined = Array.isArray(x.candidates)
    ? x.candidates.filter(isObject).map((c) => ({
        family: String(c.family),
        label: familyLabel(c.family),
        logLoss: num(c.selectionLogLoss),
        chosen: Math.max(0, Math.round(num(c.chosen) ?? 0)),
        used: c.family === x.family,
        detail: typeof c.detail === 'string' && c.detail ? c.detail : undefined,
        note: typeof c.note === 'string' && c.note ? c.note : undefined,
        seconds: num(c.seconds) ?? undefined,
      }))
    : undefined;
  const cal = isObject(x.calibration) ? x.calibration : undefined;
  const temps = cal && Array.isArray(cal.temperatures) ? cal.temperatures.filter((t): t is number => num(t) !== null) : [];
  const lc = isObject(x.learningCurve) ? x.learningCurve : undefined;
  const before = reliabilityOf(x.reliability?.before);
  const after = reliabilityOf(x.reliability?.after);
  return {
    head,
    source: x.source === 'logits' ? `logits_${head}` : probe ? `${familyLabel(x.family)} probe${candidates ? ' (auto)' : ''}` : '—',
    scheme: typeof x.scheme === 'string' ? x.scheme : undefined,
    fits: probe ? fitsOf(x.folds) : undefined,
    logLoss: num(x.logLoss),
    calibration: cal
      ? { method: String(cal.method ?? '—'), logLossBefore: num(cal.logLossBefore), logLossAfter: num(cal.logLossAfter), temperatures: temps.length ? temps : undefined }
      : undefined,
    accuracy: num(x.accuracy),
    meanMI: num(x.meanMI),
    reliability: before && after ? { before, after } : undefined,
    candidates,
    selections: num(x.selections) ?? undefined,
    learningCurve:
      lc && Array.isArray(lc.logLoss) && Array.isArray(lc.rows)
        ? {
            fractions: Array.isArray(lc.fractions) ? lc.fractions.map((f) => num(f) ?? 0) : [],
            rows: lc.rows.map((r) => num(r) ?? 0),
            logLoss: lc.logLoss.map(num),
            dropPerDoubling: num(lc.dropPerDoubling),
            stillFalling: lc.stillFalling === true,
          }
        : undefined,
    warnings: strings(x.warnings),
  };
}

const MODEL: Record<string, string> = { em: 'Gaussian mixture (EM)', knife: 'KNIFE' };

export function densityOverview(modality: '1' | '2', report: DensityReport | undefined): DensityOverview | undefined {
  if (!isObject(report)) return undefined;
  const d = report as Partial<DensityReport>;
  const s = isObject(d.search) ? d.search : undefined;
  return {
    modality,
    model: MODEL[String(d.mode)] ?? String(d.mode ?? '—'),
    covariance: String(d.covariance ?? '—'),
    K: num(d.K),
    iterations: num(d.iterations) ?? undefined,
    converged: typeof d.converged === 'boolean' ? d.converged : undefined,
    meanLogLik: num(d.meanLogLik),
    fitRows: num(d.fitRows) ?? undefined,
    search: s
      ? {
          candidates: (Array.isArray(s.candidates) ? s.candidates.filter(isObject) : []).map((c, i) => ({
            covariance: String(c.covariance ?? '—'),
            K: num(c.K),
            heldOutLogLik: num(c.heldOutLogLik),
            seconds: num(c.seconds),
            skipped: typeof c.skipped === 'string' && c.skipped ? c.skipped : undefined,
            // the search says which candidate it chose (its K may shrink in the refit); older files did not
            chosen: typeof s.chosen === 'number' ? s.chosen === i : c.covariance === d.covariance && c.K === d.K && num(c.heldOutLogLik) !== null,
          })),
          fitRows: num(s.fitRows),
          valRows: num(s.valRows),
          budgetSeconds: num(s.budgetSeconds),
          seconds: num(s.seconds),
        }
      : undefined,
  };
}

/** The warnings of the results: `meta.warnings`, or (results without it) the heads' own. */
export function warningsOf(meta: ResultsMeta): string[] {
  if (Array.isArray(meta.warnings)) return strings(meta.warnings);
  const heads = isObject(meta.heads) ? meta.heads : undefined;
  return HEADS.flatMap((h) => strings(heads?.[h]?.warnings));
}

/** Human-readable settings: [label, value] pairs (what was asked for; the density lines say what was used). */
function settingsOf(meta: ResultsMeta): [string, string][] {
  const s = (isObject(meta.settings) ? meta.settings : {}) as Partial<ResultsMeta['settings']> & Record<string, unknown>;
  const words = (v: unknown) => (v === 'auto' ? 'auto' : v === undefined ? '—' : String(v));
  const fixed = s.covariance !== 'auto' && s.components !== 'auto';
  const density = fixed
    ? `${MODEL[String(s.mode)] ?? s.mode}, ${words(s.covariance)} covariance, K = ${words(s.components)}`
    : `${MODEL[String(s.mode)] ?? s.mode}, covariance ${words(s.covariance)}, K ${words(s.components)} (chosen per modality: see Discriminators)`;
  const eff = isObject(meta.effective) ? meta.effective : undefined;
  const folds = eff && num(eff.folds) !== null && eff.folds !== s.folds ? `${eff.folds} (requested ${words(s.folds)}${eff.largeNSchedule ? '; large-N schedule' : ''})` : words(s.folds);
  const out: [string, string][] = [
    ['Density', density],
    ['Label prior', `${words(s.prior)} — ${meta.priorSource ?? '—'}`],
    ['Probe folds', folds],
    ['Seed', words(s.seed)],
  ];
  // format 1 kept the MLP's training settings under `probe`; format 2 names the family and calibration.
  // The probe setting only matters for heads without logits: when every head came from logits, say so
  const heads = isObject(meta.heads) ? (meta.heads as Partial<ResultsMeta['heads']>) : undefined;
  const sources = HEADS.map((h) => heads?.[h]?.source);
  const calibration = typeof s.calibrate === 'string' ? `, calibration ${s.calibrate}` : '';
  if (typeof s.probe === 'string' && sources.every((x) => x === 'logits')) out.push(['Heads', `from logits (${HEADS.map((h) => `logits_${h}`).join(', ')})${calibration}`]);
  else if (typeof s.probe === 'string') {
    const probed = HEADS.filter((_, k) => sources[k] === 'probe');
    const some = probed.length > 0 && sources.some((x) => x === 'logits');
    out.push(['Probes', `${s.probe}${some ? ` for head${probed.length === 1 ? '' : 's'} ${probed.join(', ')} (the others from logits)` : ''}${calibration}`]);
  }
  else if (isObject(s.probe)) {
    const p = s.probe as Record<string, unknown>;
    out.push(['Probes', `MLP (hidden ${words(p.hidden)}, ${words(p.epochs)} epochs), no calibration`]);
  }
  return out;
}

/**
 * The Backend row: one short line (the backend, and when a GPU was asked for but not used, the
 * reason's first words) and the whole detail for a tooltip and a disclosure. The detail can be a
 * paragraph: `wasm (SIMD, 1 thread per worker); fallback to wasm: auto: no usable GPU backend:
 * tensorflow-gpu: … is not installed …; webgpu: no GPU adapter: …`.
 */
export function backendRow(backend: { name?: unknown; detail?: unknown } | undefined, seconds: number | null): { backend: string; backendDetail?: string } {
  const name = typeof backend?.name === 'string' ? backend.name : '—';
  const detail = typeof backend?.detail === 'string' ? backend.detail : '';
  const time = seconds !== null ? `, ${formatSeconds(seconds)}` : '';
  if (!detail) return { backend: `${name}${time}` };
  // the first '; ' outside parentheses ends the backend's own description
  let cut = -1;
  for (let i = 0, depth = 0; i < detail.length - 1 && cut < 0; i++) {
    const ch = detail[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth = Math.max(0, depth - 1);
    else if (ch === ';' && depth === 0 && detail[i + 1] === ' ') cut = i;
  }
  const head = cut < 0 ? detail : detail.slice(0, cut);
  const rest = cut < 0 ? '' : detail.slice(cut + 2);
  // "fallback to wasm: webgpu: no GPU adapter: Dawn found …" → "webgpu: no GPU adapter"
  const fallback = /^fallback to [\w-]+: (.*)$/.exec(rest);
  const why = fallback ? fallback[1].split(/: /).slice(0, 2).join(': ').split('; ')[0] : /^chosen by auto/.test(rest) ? 'chosen by auto' : '';
  const short = `${head}${fallback ? ` — GPU not used (${why})` : why ? `, ${why}` : ''}${time}`;
  return short === `${detail}${time}` ? { backend: short } : { backend: short, backendDetail: detail };
}

export function overviewOf(file: string, data: ResultsData): ResultsOverview {
  const { meta } = data;
  const heads = (isObject(meta.heads) ? meta.heads : {}) as Partial<ResultsMeta['heads']>;
  const density = (isObject(meta.density) ? meta.density : {}) as Partial<ResultsMeta['density']>;
  const total = num(meta.timings?.total);
  return {
    file,
    runName: meta.run.name,
    runFile: meta.run.file,
    n: meta.run.n,
    classNames: meta.run.classNames,
    modalityNames: meta.run.modalityNames,
    architecture: meta.run.architecture,
    fusion: meta.run.fusion,
    createdAt: meta.createdAt,
    toolVersion: meta.toolVersion,
    dataset: {
      raw: meta.dataset.raw,
      adjusted: meta.dataset.adjusted,
      branch: meta.dataset.branch,
      adj: meta.dataset.adj,
      structuralZeros: { u1: structuralZeros(data.columns.u1_raw), u2: structuralZeros(data.columns.u2_raw) },
      ...(meta.dataset.intervals
        ? {
            intervals: {
              raw: meta.dataset.intervals.raw,
              adjusted: meta.dataset.intervals.adjusted,
              replicates: meta.dataset.intervals.replicates,
              level: meta.dataset.intervals.level,
              method: meta.dataset.intervals.method,
              // the bootstrap's random stream is derived from the run's seed (src/engine/estimate/lsmi.ts)
              seed: meta.settings.seed,
            },
          }
        : {}),
    },
    perClass: meta.perClass.map((c) => ({
      index: c.index,
      name: c.name,
      n: c.n,
      adjusted: c.adjusted,
      raw: c.raw,
      ...(c.intervals ? { intervals: c.intervals } : {}),
      ...(typeof c.surprisal === 'number' ? { surprisal: c.surprisal } : {}),
    })),
    ...(meta.stability && data.stability ? { stability: { replicates: meta.stability.replicates, meanSampleSd: meta.stability.meanSampleSd, dataset: meta.stability.dataset } } : {}),
    histograms: { r: histogramOf(data.columns.r), u1: histogramOf(data.columns.u1), u2: histogramOf(data.columns.u2), s: histogramOf(data.columns.s) },
    settings: settingsOf(meta),
    ...backendRow(meta.backend, total),
    formatVersion: num(meta.formatVersion) ?? 1,
    warnings: warningsOf(meta),
    heads: HEADS.map((h) => headOverview(h, heads[h])),
    density: (['1', '2'] as const).map((m) => densityOverview(m, density[m])).filter((d): d is DensityOverview => d !== undefined),
    hasSplit: !!data.split,
    hasImages: hasImages(data),
  };
}

/**
 * The Categories tab's ranking for a request from the webview (validated: it is not trusted):
 * every component's classes ranked by the engine's rankClasses (src/engine/uncertainty.ts).
 */
export function classRanking(data: ResultsData, req: ClassRankRequest): ClassRanking {
  const request: ClassRankRequest = {
    by: req.by === 'lower' ? 'lower' : 'mean',
    minN: Number.isInteger(req.minN) && req.minN >= 0 ? Math.min(req.minN, 1e9) : DEFAULT_MIN_CLASS_N,
    normalised: req.normalised === true,
  };
  const perClass = data.meta.perClass;
  let excluded = 0;
  const byAtom = {} as ClassRanking['byAtom'];
  // every atom's value and interval of each ranked class, as the engine scales them (normalised:
  // divided by −log p(y)), so the webview shows the same numbers in every column
  const values = new Map<number, { values: ClassRankRow['values']; intervals: ClassRankRow['intervals'] }>();
  const ATOM_COLS = [['r', 'R'], ['u1', 'U1'], ['u2', 'U2'], ['s', 'S']] as const;
  for (const [, atom] of ATOM_COLS) {
    for (const r of rankClasses(perClass, atom, { minN: request.minN, normalised: request.normalised }).rows) {
      const v = values.get(r.index) ?? { values: { R: NaN, U1: NaN, U2: NaN, S: NaN }, intervals: { R: null, U1: null, U2: null, S: null } };
      v.values[atom] = r.value;
      v.intervals[atom] = r.interval;
      values.set(r.index, v);
    }
  }
  for (const [col, atom] of ATOM_COLS) {
    const ranked = rankClasses(perClass, atom, { by: request.by, minN: request.minN, normalised: request.normalised });
    excluded = ranked.excluded;
    byAtom[col] = ranked.rows.map((r) => ({ index: r.index, name: r.name, n: r.n, value: r.value, interval: r.interval, ...values.get(r.index)! }));
  }
  return { request, byAtom, excluded, hasIntervals: perClass.some((c) => !!c.intervals), hasSurprisal: perClass.some((c) => typeof c.surprisal === 'number') };
}

/** Whether a results file links image files (the first path_1 / path_2 that is set): the Gallery tab and hover thumbnails. */
export function hasImages(data: Pick<ResultsData, 'paths1' | 'paths2'>): boolean {
  for (const paths of [data.paths1, data.paths2]) {
    const first = paths?.find((p) => !!p);
    if (first && /\.(png|jpe?g|gif|bmp|webp)$/i.test(first)) return true;
  }
  return false;
}
