/**
 * Every message between the extension host and a webview panel. Both sides import these types;
 * nothing else is ever posted. Adding a message means adding a member here first.
 */
import type { RunSummary } from '../engine/summary';

/** An error as the user should see it: what, where, what to do. */
export interface UserError {
  code: string;
  message: string;
}

/** Run panel: host → webview. */
export type RunPanelToWebview =
  | { type: 'loading'; file: string }
  | { type: 'summary'; summary: RunSummary }
  | { type: 'error'; file: string; error: UserError };

/** Run panel: webview → host. */
export type RunPanelFromWebview =
  | { type: 'ready' }
  | { type: 'reload' }
  | { type: 'revealInExplorer' };

/** What a run panel persists across reloads (webview getState/setState and the serializer). */
export interface RunPanelState {
  file: string;
}

export const RUN_PANEL_VIEW_TYPE = 'lsmi.runPanel';

// ---------------------------------------------------------------------------------------------
// Results panel (one `<run>.lsmi.arrow` file). The host holds the whole ResultsData; the webview
// gets the overview once and asks for sample rows one page at a time.

/** Components the samples table sorts by. */
export const SORT_COLUMNS = ['r', 'u1', 'u2', 's', 'i1', 'i2', 'i12'] as const;
export type SortColumn = (typeof SORT_COLUMNS)[number];

/** Four dataset-level atoms, in nats (mirrors the engine's Atoms). */
export interface AtomValues {
  R: number;
  U1: number;
  U2: number;
  S: number;
}

/** A histogram of one per-sample component over [lo, hi]; the edge bins also count values beyond. */
export interface Histogram {
  lo: number;
  hi: number;
  counts: number[];
  /** Values below lo / above hi (counted in the first / last bin). */
  below: number;
  above: number;
  min: number;
  max: number;
}

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
  dataset: { raw: AtomValues; adjusted: AtomValues; branch: string; adj: number };
  perClass: { index: number; name: string; n: number; adjusted: AtomValues; raw: AtomValues }[];
  histograms: Record<'r' | 'u1' | 'u2' | 's', Histogram>;
  /** Human-readable settings, backend and heads: [label, value] pairs. */
  settings: [string, string][];
  backend: string;
  heads: { head: '1' | '2' | '12'; source: string; logLoss: number; accuracy?: number; meanMI: number }[];
  hasSplit: boolean;
}

export interface RowsRequest {
  offset: number;
  limit: number;
  sort: SortColumn;
  desc: boolean;
  /** Only samples of this class index. */
  classFilter?: number;
  /** Case-insensitive substring of sample_id. */
  search?: string;
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
}

/** Results panel: host → webview. */
export type ResultsPanelToWebview =
  | { type: 'loading'; file: string }
  | { type: 'results'; overview: ResultsOverview }
  | { type: 'rowsPage'; request: RowsRequest; total: number; offset: number; rows: SampleRow[] }
  | { type: 'error'; file: string; error: UserError };

/** Results panel: webview → host. */
export type ResultsPanelFromWebview =
  | { type: 'ready' }
  | { type: 'reload' }
  | { type: 'rows'; request: RowsRequest }
  | { type: 'revealInExplorer' };

/** What a results panel persists across reloads. Only `file` is needed to restore it. */
export interface ResultsPanelState {
  file: string;
  tab?: 'overview' | 'samples' | 'categories';
  sort?: SortColumn;
  desc?: boolean;
  classFilter?: number;
  search?: string;
  offset?: number;
}

export const RESULTS_PANEL_VIEW_TYPE = 'lsmi.resultsPanel';
