/**
 * Every message between the extension host and a webview panel. Both sides import these types;
 * nothing else is ever posted. Adding a message means adding a member here first.
 */
import type { RunSummary } from '../engine/summary';

/** The engine's data as it arrives after JSON: its NaN-able numbers as `number | null` (src/engine/json.ts). */
export type { JsonSafe } from '../engine/json';
import type { JsonSafe } from '../engine/json';

/** An error as the user should see it: what, where, what to do. */
export interface UserError {
  code: string;
  message: string;
}

/**
 * The readiness handshake every panel shares (src/extension/panels/panelHost.ts): a webview document
 * announces itself with a fresh `instance` when its script starts and again when the host says it
 * listens (`hostReady`: a restored panel's host may start after the announcement, and a hidden panel's
 * document is rebuilt when shown). The host answers a new instance with the panel's state.
 */
export interface PanelReady {
  type: 'ready';
  instance: string;
}
export interface HostReady {
  type: 'hostReady';
}

/** Run panel: host → webview. */
export type RunPanelToWebview =
  | HostReady
  | { type: 'loading'; file: string }
  /** `results`: where this run's results are (or would be written) and whether they exist yet. */
  | { type: 'summary'; summary: RunSummary; results: { file: string; exists: boolean } }
  | { type: 'error'; file: string; error: UserError };

/** Run panel: webview → host. */
export type RunPanelFromWebview =
  | PanelReady
  | { type: 'reload' }
  /** LSMI: Estimate Interactions on this run (the presets quick pick). */
  | { type: 'estimate' }
  | { type: 'openResults' }
  | { type: 'revealInExplorer' };

/** What a run panel persists across reloads (webview getState/setState and the serializer). */
export interface RunPanelState {
  file: string;
}

export const RUN_PANEL_VIEW_TYPE = 'lsmi.runPanel';

// ---------------------------------------------------------------------------------------------
// Results panel (one `<run>.lsmi.arrow` file). The host holds the whole ResultsData; the webview
// gets the overview once and asks for sample rows one page at a time.

/** Components the samples table sorts by (the *_sd columns only in results estimated with replicates). */
export const SORT_COLUMNS = ['r', 'u1', 'u2', 's', 'i1', 'i2', 'i12', 'r_sd', 'u1_sd', 'u2_sd', 's_sd'] as const;
export type SortColumn = (typeof SORT_COLUMNS)[number];
/** Each sample's standard deviation over replicate fits (src/engine/io/results.ts: STABILITY_COLUMNS). */
export type StabilityColumnName = 'r_sd' | 'u1_sd' | 'u2_sd' | 's_sd';
export type ValueColumn = Exclude<SortColumn, StabilityColumnName>;

/** A confidence interval. */
export interface IntervalValue {
  lo: number;
  hi: number;
}

/** Four dataset-level atoms, in nats (mirrors the engine's Atoms). */
export interface AtomValues {
  R: number;
  U1: number;
  U2: number;
  S: number;
}

/** A histogram of one per-sample component: the engine's one contract (src/engine/histogram.ts). */
export type { Histogram, HistogramRule } from '../engine/histogram';
import type { Histogram } from '../engine/histogram';

/** Everything the results panel shows except the sample rows. */
export interface ResultsOverview {
  file: string;
  runName: string;
  runFile: string;
  n: number;
  classNames: string[];
  modalityNames: [string, string];
  architecture?: string;
  fusion?: string;
  createdAt: string;
  toolVersion: string;
  dataset: {
    raw: AtomValues;
    adjusted: AtomValues;
    branch: string;
    adj: number;
    /**
     * Samples whose raw u1 / u2 is exactly 0 (the modality with the smaller h carries no unique
     * information by construction of r): after the RUS adjustment they all show u = −adj.
     */
    structuralZeros?: { u1: number; u2: number };
    /** Percentile bootstrap intervals of the atoms (absent in older results or with the bootstrap off). */
    intervals?: {
      raw: Record<keyof AtomValues, IntervalValue>;
      adjusted: Record<keyof AtomValues, IntervalValue>;
      replicates: number;
      level: number;
      method: string;
      /** The run's seed, from which the bootstrap's random stream is derived (a rerun gives the same intervals). */
      seed: number;
    };
  };
  perClass: {
    index: number;
    name: string;
    n: number;
    adjusted: AtomValues;
    raw: AtomValues;
    /** t intervals of the adjusted class means (null for n < 2; absent in older results). */
    intervals?: Record<keyof AtomValues, IntervalValue | null>;
    /** −log p(y): the normalised view divides by it. */
    surprisal?: number;
  }[];
  /** Per-sample stability over replicate fits (absent unless estimated with replicates). */
  stability?: { replicates: number; meanSampleSd: AtomValues; dataset: AtomValues };
  histograms: Record<'r' | 'u1' | 'u2' | 's', Histogram>;
  /** Human-readable settings, backend and heads: [label, value] pairs. */
  settings: [string, string][];
  /** The backend in one short line (e.g. `wasm (SIMD, 1 thread per worker) — GPU not used (webgpu: no GPU adapter), 7.8 s`). */
  backend: string;
  /** The backend's whole detail (why a GPU was not used), when the short line leaves some out. */
  backendDetail?: string;
  /** The results file's format (1: written before the heads' diagnostics existed). */
  formatVersion: number;
  /** Plain-word warnings about the heads, calibration, sample size and density (none: empty). */
  warnings: string[];
  /** The discriminators: heads 1, 2 and 12, in that order. */
  heads: HeadOverview[];
  /** The density models of modalities 1 and 2 (absent from hand-made results files). */
  density: DensityOverview[];
  hasSplit: boolean;
  /** The run links image files (path_1 / path_2): the Gallery tab and hover thumbnails. */
  hasImages: boolean;
}

// The Discriminators section (built by src/extension/resultsOverview.ts from the results metadata,
// src/engine/io/results.ts: HeadReport, DensityReport). A number the results lack, or one that is
// not finite, arrives as null and is shown as "—"; fields results of older versions lack are absent.

/** A reliability diagram: equal-width bins of the top-class probability (mirrors the engine's Reliability). */
export interface ReliabilityOverview {
  bins: { lo: number; hi: number; n: number; confidence: number | null; accuracy: number | null }[];
  /** Expected calibration error. */
  ece: number | null;
}

/** One probe family's showing in the selection of `probe: 'auto'`. */
export interface CandidateOverview {
  family: string;
  /** 'LDA', 'logistic regression', 'MLP'. */
  label: string;
  /** Mean held-out log-loss in the selection; null when it could not be fitted (`note` says why). */
  logLoss: number | null;
  /** Selections that chose it (of HeadOverview.selections). */
  chosen: number;
  /** The family the head used (the one most folds chose). */
  used: boolean;
  /** Shrinkage, penalty or epochs per selection, or why it stopped. */
  detail?: string;
  note?: string;
  seconds?: number;
}

export interface HeadOverview {
  head: '1' | '2' | '12';
  /** Where p(y|x) comes from: 'logits_1', 'LDA probe (auto)', 'MLP probe'. */
  source: string;
  /** How a probe was cross-fitted. */
  scheme?: string;
  /** A probe's fits (outer folds): 'LDA (shrinkage 1.00) × 6'. */
  fits?: string[];
  /** Held-out log-loss the MIs use (after calibration). */
  logLoss: number | null;
  calibration?: {
    method: string;
    logLossBefore: number | null;
    logLossAfter: number | null;
    /** Per calibration fold (temperature and bias scaling). */
    temperatures?: number[];
  };
  accuracy: number | null;
  meanMI: number | null;
  reliability?: { before: ReliabilityOverview; after: ReliabilityOverview };
  /** `probe: 'auto'`: every family's held-out log-loss in the selection. */
  candidates?: CandidateOverview[];
  selections?: number;
  learningCurve?: { fractions: number[]; rows: number[]; logLoss: (number | null)[]; dropPerDoubling: number | null; stillFalling: boolean };
  warnings: string[];
}

export interface DensityOverview {
  modality: '1' | '2';
  /** 'Gaussian mixture (EM)' or 'KNIFE'. */
  model: string;
  covariance: string;
  K: number | null;
  iterations?: number;
  converged?: boolean;
  meanLogLik: number | null;
  fitRows?: number;
  /** Present when K or the covariance was chosen by held-out log-likelihood. */
  search?: {
    candidates: { covariance: string; K: number | null; heldOutLogLik: number | null; seconds: number | null; skipped?: string; chosen: boolean }[];
    fitRows: number | null;
    valRows: number | null;
    budgetSeconds: number | null;
    seconds: number | null;
  };
}

/** A value range of one component (bins brushed on a histogram: lo ≤ x < hi, as the bins count); null ends are open. */
export interface RangeFilter {
  col: SortColumn;
  /** Inclusive lower end, or null for no lower end. */
  lo: number | null;
  /** Exclusive upper end, or null for no upper end. */
  hi: number | null;
}

export interface RowsRequest {
  offset: number;
  limit: number;
  sort: SortColumn;
  desc: boolean;
  /** Only samples of these class indices (none or empty: every class). */
  classes?: number[];
  /** Only samples of this split ('train', 'val', 'test'). */
  split?: string;
  /** Only samples whose component lies in this range (e.g. bins brushed on a histogram). */
  range?: RangeFilter;
  /** Case-insensitive substring of sample_id. */
  search?: string;
  /**
   * Also report where this results row stands in the filtered, sorted order (to scroll to it); the
   * page returned then starts at the page that contains it.
   */
  focusRow?: number;
  /** Query generation, echoed in the page (pages of older queries are dropped by the webview). */
  gen?: number;
}

/** The filters and sort of the samples table (a RowsRequest without paging): what a saved slice keeps. */
export type SamplesQuery = Omit<RowsRequest, 'offset' | 'limit' | 'focusRow' | 'gen'>;

export type SampleFileKind = 'image' | 'audio' | 'text';

/** One of a sample's files, as the panel previews it. */
export interface SampleFilePreview {
  which: 1 | 2;
  modality: string;
  /** The path as written in the run. */
  raw?: string;
  /** Resolved absolute path (only when allowed and present). */
  path?: string;
  kind?: SampleFileKind;
  /** image/audio: a data: URI (files up to a size limit). */
  dataUri?: string;
  /** text: the first few kilobytes. */
  text?: string;
  truncated?: boolean;
  bytes?: number;
  /** Why there is no preview (no path, refused, missing, too large). */
  error?: UserError;
}

/** Everything the panel shows when a sample row is expanded. */
export interface SampleDetail {
  row: number;
  sample_id: string;
  label: number;
  className: string;
  split?: string;
  values: Record<ValueColumn | 'r_raw' | 'u1_raw' | 'u2_raw' | 's_raw', number>;
  /** The sample's standard deviation of r, u1, u2, s over the replicate fits, and how many (results estimated with replicates). */
  stability?: { sd: Record<'r' | 'u1' | 'u2' | 's', number>; replicates: number };
  /** Percentile (0–100) of the sample's r, u1, u2, s, i12 among all samples of the run. */
  percentiles: Record<'r' | 'u1' | 'u2' | 's' | 'i12', number>;
  files: SampleFilePreview[];
}

export interface SampleRow {
  /** Row in the results file. */
  row: number;
  sample_id: string;
  label: number;
  className: string;
  split?: string;
  r: number;
  u1: number;
  u2: number;
  s: number;
  i1: number;
  i2: number;
  i12: number;
  /** Standard deviations over replicate fits (results estimated with replicates). */
  r_sd?: number;
  u1_sd?: number;
  u2_sd?: number;
  s_sd?: number;
}

/** The Categories tab's ranking (computed by the engine's rankClasses, src/engine/uncertainty.ts). */
export interface ClassRankRequest {
  /** By the class mean, or by its interval's lower bound (conservative). */
  by: 'mean' | 'lower';
  /** Classes with fewer samples are left out. */
  minN: number;
  /** Each value divided by the class's surprisal −log p(y). */
  normalised: boolean;
}

export interface ClassRankRow {
  index: number;
  name: string;
  n: number;
  /** The ranked atom's class mean (normalised: divided by −log p(y)) and its interval (null for n < 2 or older results). */
  value: number;
  interval: IntervalValue | null;
  /** Every atom's value and interval, scaled the same way (the table's other columns). */
  values: AtomValues;
  intervals: Record<keyof AtomValues, IntervalValue | null>;
}

export interface ClassRanking {
  request: ClassRankRequest;
  /** Per component, the classes in rank order (descending). */
  byAtom: Record<'r' | 'u1' | 'u2' | 's', ClassRankRow[]>;
  /** Classes left out for their n. */
  excluded: number;
  /** Whether the results carry class intervals and surprisals (older results do not). */
  hasIntervals: boolean;
  hasSurprisal: boolean;
}

/** The gallery of an image run: the top and bottom k samples of a component (src/extension/gallery.ts). */
export interface GalleryRequest {
  component: 'r' | 'u1' | 'u2' | 's';
  /** Samples per end, 1 to 24. */
  k: number;
  classes?: number[];
}
export interface GalleryThumb {
  row: number;
  sample_id: string;
  className: string;
  value: number;
  /** data: URIs of path_1 and path_2 (null: no image, or too large to inline). */
  images: (string | null)[];
}
export interface Gallery {
  request: GalleryRequest;
  /** Samples in the chosen classes. */
  n: number;
  top: GalleryThumb[];
  /** The lowest first. */
  bottom: GalleryThumb[];
}

/** Results panel: host → webview. */
export type ResultsPanelToWebview =
  | HostReady
  | { type: 'loading'; file: string }
  | { type: 'results'; overview: ResultsOverview }
  | {
      type: 'rowsPage';
      request: RowsRequest;
      total: number;
      offset: number;
      rows: SampleRow[];
      /** With request.focusRow: its index in the filtered order, or -1 when the filters hide it. */
      focusIndex?: number;
    }
  | { type: 'sampleDetail'; detail: SampleDetail }
  | { type: 'classRanking'; ranking: ClassRanking }
  /** Scroll to and expand this results row (from the status bar, Inspect Sample, a hover). */
  | { type: 'focusSample'; row: number }
  | { type: 'gallery'; gallery: Gallery }
  /** A sample's images for the hover thumbnail in the samples table. */
  | { type: 'thumb'; row: number; images: (string | null)[] }
  /** Show the samples with exactly these filters and sort (a saved slice opened). */
  | { type: 'applyQuery'; query: SamplesQuery }
  | { type: 'notice'; text: string }
  | { type: 'error'; file: string; error: UserError }
  /** The BROJA PID and synergy bounds of the run (computed on request, in a worker). */
  | { type: 'pid'; state: PidState };

/** The dataset PID section's state (src/engine/pid: PanelPid, JSON-safe). */
export type PidState = { status: 'computing' } | { status: 'done'; pid: import('../engine/pid/isolated').PanelPid } | { status: 'error'; error: UserError };
/** The Compare panel's ensemble section's state (src/engine/pid: PanelEnsemble, JSON-safe). */
export type EnsembleState = { status: 'computing' } | { status: 'done'; ensemble: import('../engine/pid/isolated').PanelEnsemble } | { status: 'error'; error: UserError };

/** Results panel: webview → host. */
export type ResultsPanelFromWebview =
  | PanelReady
  | { type: 'reload' }
  | { type: 'rows'; request: RowsRequest }
  | { type: 'rankClasses'; request: ClassRankRequest }
  | { type: 'sample'; row: number }
  | { type: 'gallery'; request: GalleryRequest }
  | { type: 'thumb'; row: number }
  | { type: 'openSampleFile'; row: number; which: 1 | 2 }
  | { type: 'revealSampleFile'; row: number; which: 1 | 2 }
  | { type: 'export'; request: ExportRequest; query: Omit<RowsRequest, 'offset' | 'limit'> }
  /** Save the samples as listed (this query) as a named slice; the host asks the name. */
  | { type: 'saveSlice'; query: SamplesQuery }
  | { type: 'revealInExplorer' }
  /** Compute the BROJA PID and synergy bounds (answered by a `pid` message). */
  | { type: 'pid' };

/** What a results panel persists across reloads. Only `file` is needed to restore it. */
export interface ResultsPanelState {
  file: string;
  tab?: 'overview' | 'samples' | 'categories' | 'gallery';
  sort?: SortColumn;
  desc?: boolean;
  /** Only samples of these class indices (none or empty: every class). */
  classes?: number[];
  split?: string;
  range?: RangeFilter;
  search?: string;
  offset?: number;
  /** Samples table columns the user hid (the column chooser): row, class, split, r … s_sd. */
  hiddenColumns?: string[];
  /** The expanded sample (results row). */
  expanded?: number;
  /** Gallery tab (image runs): its component, samples per end and classes. */
  gallery?: GalleryRequest;
  /** The histograms' count axis. */
  histScale?: 'linear' | 'log';
  /** Categories tab: the component the classes are ranked by. */
  rankBy?: 'r' | 'u1' | 'u2' | 's';
  /** Categories tab: by the mean or the interval's lower bound, the minimum n, the normalised view. */
  rankMode?: 'mean' | 'lower';
  minN?: number;
  normalised?: boolean;
}

export const RESULTS_PANEL_VIEW_TYPE = 'lsmi.resultsPanel';

// ---------------------------------------------------------------------------------------------
// Compare panel (2–8 results files joined on sample_id). The host holds the Comparison; the
// webview gets a summary and asks for movers pages, scatters and sample details.
// Numbers that are missing (a run lacks a sample) arrive as null (NaN does not survive JSON).

export const COMPARE_PANEL_VIEW_TYPE = 'lsmi.comparePanel';

export type CompareComponentName = 'r' | 'u1' | 'u2' | 's';
export type MoverComponentName = CompareComponentName | 'any';
export type MoverOrderName = 'abs' | 'gain' | 'loss' | 'stable';

/**
 * A value range of one component in one run (`delta`: of its Δ to the baseline): lo ≤ x < hi, a
 * null end open (the engine's ValueRange, src/engine/compare/movers.ts).
 */
export interface CompareRange {
  run: number;
  component: CompareComponentName;
  delta?: boolean;
  lo: number | null;
  hi: number | null;
}

/** What is brushed in the compare panel: a range of a Δ histogram, or a box on the scatter. */
export type CompareBrush =
  | { kind: 'delta'; component: CompareComponentName; lo: number | null; hi: number | null }
  | { kind: 'box'; component: CompareComponentName; x: { lo: number; hi: number }; y: { lo: number; hi: number } };

export interface MoversRequest {
  /** The run compared with the baseline. */
  run: number;
  component: MoverComponentName;
  order: MoverOrderName;
  offset: number;
  limit: number;
  /** Only samples of these class indices (none or empty: every class). */
  classes?: number[];
  split?: string;
  search?: string;
  /** Brushed ranges (every one must hold). */
  ranges?: CompareRange[];
  /** Query generation (pages of older queries are dropped by the webview). */
  gen: number;
}

export interface ScatterRequest {
  component: CompareComponentName;
  x: number;
  y: number;
  /** Only samples of these class indices (none or empty: every class). */
  classes?: number[];
  split?: string;
  search?: string;
}

/** What the compare panel shows when a sample is expanded: the results-style detail of one run plus every run's values. */
export interface CompareSampleDetail {
  /** The joined sample. */
  index: number;
  /** Detail (files, waterfall, percentiles) in `detailRun`. */
  detail?: SampleDetail;
  detailRun: number;
  /** The joined sample in every run (src/engine/compare/details.ts); a value a run lacks is null. */
  runs: JsonSafe<import('../engine/compare').JoinedSampleRun>[];
}

/** Export requests from a panel: the current filtered view, a quantile partition, interaction weights. */
export type ExportRequest =
  | { kind: 'view'; format: 'csv' | 'arrow' }
  | { kind: 'partition' }
  | { kind: 'weights' };

/**
 * The engine's comparison summary, movers page (and its rows) and scatter (src/engine/compare/) as
 * the compare panel receives them: the same things, with every number that may be NaN as null.
 */
export type ComparisonSummary = JsonSafe<import('../engine/compare').ComparisonSummary>;
export type MoversPage = JsonSafe<import('../engine/compare').MoversPage>;
export type MoverRow = MoversPage['rows'][number];
export type Scatter = JsonSafe<import('../engine/compare').Scatter>;

/** Compare panel: host → webview. */
export type ComparePanelToWebview =
  | HostReady
  | { type: 'loading'; files: string[] }
  | { type: 'comparison'; files: string[]; summary: ComparisonSummary }
  | { type: 'moversPage'; request: MoversRequest; page: MoversPage }
  | { type: 'scatter'; request: ScatterRequest; scatter: Scatter }
  | { type: 'sampleDetail'; detail: CompareSampleDetail }
  | { type: 'notice'; text: string }
  | { type: 'error'; files: string[]; error: UserError }
  | { type: 'ensemble'; state: EnsembleState };

/** Compare panel: webview → host. */
export type ComparePanelFromWebview =
  | PanelReady
  | { type: 'reload' }
  | { type: 'setBaseline'; run: number }
  | { type: 'movers'; request: MoversRequest }
  | { type: 'scatter'; request: ScatterRequest }
  | { type: 'sample'; index: number; run: number }
  | { type: 'openSampleFile'; index: number; which: 1 | 2 }
  | { type: 'revealSampleFile'; index: number; which: 1 | 2 }
  /** Open run `run`'s results panel on this joined sample (scrolled to and expanded). */
  | { type: 'revealInResults'; index: number; run: number }
  | { type: 'export'; request: ExportRequest; movers?: Omit<MoversRequest, 'offset' | 'limit' | 'gen'> }
  /** Compute the ensembles of the compared runs (answered by an `ensemble` message). */
  | { type: 'ensemble' };

export interface ComparePanelState {
  files: string[];
  baseline?: number;
  run?: number;
  component?: MoverComponentName;
  order?: MoverOrderName;
  /** Only samples of these class indices (none or empty: every class). */
  classes?: number[];
  split?: string;
  search?: string;
  scatterComponent?: CompareComponentName;
  expanded?: number;
  /** The brushed range or box (the movers table lists only what it selects). */
  brush?: CompareBrush;
  /** The Δ histograms' count axis. */
  histScale?: 'linear' | 'log';
}
