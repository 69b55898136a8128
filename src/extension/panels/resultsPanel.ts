/**
 * The results panel: one `<run>.lsmi.arrow` file. The host reads and keeps the whole ResultsData;
 * the webview receives an overview (means, histograms, per-class means, settings) and requests the
 * sample rows one page at a time, sorted and filtered here.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ResultsData } from '../../engine';
import { SPLITS } from '../../engine';
import {
  RESULTS_PANEL_VIEW_TYPE,
  type ResultsPanelFromWebview,
  type ResultsPanelState,
  type ResultsPanelToWebview,
  type RowsRequest,
  type SampleRow,
  type SamplesQuery,
  type UserError,
} from '../../protocol/messages';
import { log } from '../output';
import { loadResults } from '../resultsStore';
import { classRanking, overviewOf } from '../resultsOverview';
import { RowsQuery } from '../rowsQuery';
import { exportResultsFromPanel } from '../exportCommands';
import { sampleDetail } from '../sampleDetail';
import { showSampleFile } from '../sampleLinks';
import { sliceQueryOf } from '../../engine';
import { saveSlice } from '../slices';
import { PanelHost, openPanels } from './panelHost';
import { gallery, thumbnails } from '../gallery';
import { pidJob } from '../pidJobs';

export type OpenResultsResult = { ok: true; file: string; n: number } | { ok: false; error: UserError };

const MAX_PAGE = 500;

export class ResultsPanel extends PanelHost<ResultsPanelToWebview, ResultsPanelFromWebview> {
  private data?: ResultsData;
  /** Sorted orders and filtered selections of the rows (computed on first use). */
  private query?: RowsQuery;
  /**
   * The row a reveal asked for, until the webview asks for the page that holds it (its rows request
   * names it): a webview that was torn down or rebuilt in between gets it again when it announces itself.
   */
  private focusWanted?: number;
  private loading?: Promise<OpenResultsResult>;
  /** The BROJA PID and bounds of the run, computed on the webview's request (src/extension/pidJobs.ts). */
  private readonly pid: ReturnType<typeof pidJob>;
  /** A query to apply (a saved slice opened), kept until the webview asks for rows with it, like a reveal. */
  private queryWanted?: SamplesQuery;
  /** The filters and sort of the webview's last rows request: what the samples table lists. */
  private lastQuery?: SamplesQuery;

  /** Opens (or reveals and reloads) the panel for a results file. */
  static async show(extensionUri: vscode.Uri, file: string): Promise<OpenResultsResult> {
    return openPanels.revealOrCreate('results', file, RESULTS_PANEL_VIEW_TYPE, ResultsPanel.title(file), extensionUri, (p) => new ResultsPanel(p, extensionUri, file)).load();
  }

  /** Re-creates a panel after a window reload (see the serializer in extension.ts). */
  static restore(webviewPanel: vscode.WebviewPanel, extensionUri: vscode.Uri, state: ResultsPanelState): void {
    void new ResultsPanel(webviewPanel, extensionUri, state.file).load();
  }

  /**
   * Opens the results and scrolls to and expands one sample (status bar, Inspect Sample, hovers,
   * Compare): whatever the panel's state (new, loading, in a background tab, its webview rebuilt).
   */
  static async revealSample(extensionUri: vscode.Uri, file: string, row: number): Promise<OpenResultsResult> {
    let panel = openPanels.get<ResultsPanel>('results', file);
    let result: OpenResultsResult;
    if (panel?.data && !panel.loading) {
      panel.focus(row);
      panel.reveal();
      result = { ok: true, file, n: panel.data.sampleIds.length };
    } else {
      result = await ResultsPanel.show(extensionUri, file);
      panel = openPanels.get<ResultsPanel>('results', file);
      if (result.ok && panel) panel.focus(row);
    }
    return result;
  }

  /** Opens the results with the samples table showing exactly this query (a saved slice). */
  static async showQuery(extensionUri: vscode.Uri, file: string, query: SamplesQuery): Promise<OpenResultsResult> {
    const result = await ResultsPanel.show(extensionUri, file);
    const panel = openPanels.get<ResultsPanel>('results', file);
    if (result.ok && panel) panel.applyQuery(query);
    return result;
  }

  /** The active results panel's file and the query its samples table lists (Save Slice from the title bar). */
  static activeQuery(): { file: string; query?: SamplesQuery } | undefined {
    const file = openPanels.activeKey('results');
    return file ? { file, query: openPanels.get<ResultsPanel>('results', file)?.lastQuery } : undefined;
  }

  /** The query the samples table of a results file's panel last asked rows for (tests: an applied slice landed). */
  static listedQuery(file: string): SamplesQuery | undefined {
    return openPanels.get<ResultsPanel>('results', file)?.lastQuery;
  }

  private static title(file: string): string {
    return `LSMI Results: ${path.basename(file).replace(/\.lsmi\.arrow$/, '')}`;
  }

  private constructor(
    panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly file: string,
  ) {
    super(panel, extensionUri, 'results', file, ResultsPanel.title(file));
    this.pid = pidJob(file, (state) => this.post({ type: 'pid', state }));
  }

  protected isState(m: ResultsPanelToWebview): boolean {
    return m.type === 'loading' || m.type === 'results' || m.type === 'error';
  }

  protected loadingMessage(): ResultsPanelToWebview {
    return { type: 'loading', file: this.file };
  }

  protected override onReady(): void {
    this.flushQuery();
    this.flushFocus();
  }

  private applyQuery(query: SamplesQuery): void {
    this.queryWanted = sliceQueryOf(query, this.data);
    this.flushQuery();
  }

  /** Sends the wanted query to a listening webview that has the results (again after every rebuild, until it asks rows with it). */
  private flushQuery(): void {
    if (this.queryWanted !== undefined && this.ready && this.state?.type === 'results') this.post({ type: 'applyQuery', query: this.queryWanted });
  }

  private focus(row: number): void {
    if (!this.data || !Number.isInteger(row) || row < 0 || row >= this.data.sampleIds.length) return;
    this.focusWanted = row;
    this.flushFocus();
  }

  /** Sends the wanted reveal to a listening webview that has the results (again after every rebuild, until acknowledged). */
  private flushFocus(): void {
    if (this.focusWanted !== undefined && this.ready && this.state?.type === 'results') this.post({ type: 'focusSample', row: this.focusWanted });
  }

  /** Resolves, checks and opens (or reveals) one of a sample's files; refusals become messages. */
  private async sampleFile(row: number, which: 1 | 2, action: 'open' | 'reveal'): Promise<void> {
    if (!this.data || !Number.isInteger(row) || row < 0 || row >= this.data.sampleIds.length || (which !== 1 && which !== 2)) return;
    const shown = await showSampleFile(this.file, this.data, row, which, action);
    if (!shown.ok) this.post({ type: 'notice', text: shown.error.message });
  }

  protected handle(m: ResultsPanelFromWebview): void {
    switch (m.type) {
      case 'reload':
        void this.load();
        break;
      case 'rows':
        if (this.data && m.request && typeof m.request === 'object') {
          // the webview asks for the page of the wanted row: the reveal has landed
          if (this.focusWanted !== undefined && m.request.focusRow === this.focusWanted) this.focusWanted = undefined;
          this.lastQuery = sliceQueryOf(m.request, this.data);
          if (this.queryWanted !== undefined && JSON.stringify(this.lastQuery) === JSON.stringify(this.queryWanted)) this.queryWanted = undefined;
          this.post({ type: 'rowsPage', ...this.page(m.request) });
        }
        break;
      case 'rankClasses':
        if (this.data && m.request && typeof m.request === 'object') this.post({ type: 'classRanking', ranking: classRanking(this.data, m.request) });
        break;
      case 'sample': {
        const data = this.data;
        const row = m.row;
        if (!data || !Number.isInteger(row) || row < 0 || row >= data.sampleIds.length) break;
        void sampleDetail(this.file, data, row).then(
          (detail) => {
            if (this.data === data) this.post({ type: 'sampleDetail', detail });
          },
          (e) => log().error(`sample ${row}: ${(e as Error).message}`),
        );
        break;
      }
      case 'gallery': {
        const data = this.data;
        if (!data || !this.query || !m.request || typeof m.request !== 'object') break;
        void gallery(this.file, data, this.query, m.request).then(
          (g) => (this.data === data ? this.post({ type: 'gallery', gallery: g }) : undefined),
          (e) => log().error(`gallery: ${(e as Error).message}`),
        );
        break;
      }
      case 'thumb': {
        const data = this.data;
        const row = m.row;
        if (!data || !Number.isInteger(row) || row < 0 || row >= data.sampleIds.length) break;
        void thumbnails(this.file, data, row).then(
          (images) => (this.data === data ? this.post({ type: 'thumb', row, images }) : undefined),
          (e) => log().error(`thumbnail ${row}: ${(e as Error).message}`),
        );
        break;
      }
      case 'openSampleFile':
        this.sampleFile(m.row, m.which, 'open').catch((e) => log().error(`open sample file: ${(e as Error).message}`));
        break;
      case 'revealSampleFile':
        this.sampleFile(m.row, m.which, 'reveal').catch((e) => log().error(`reveal sample file: ${(e as Error).message}`));
        break;
      case 'export':
        if (this.data && this.query && m.request && m.query && typeof m.query === 'object') {
          exportResultsFromPanel(this.file, this.data, m.request, this.query.rows(m.query)).catch((e) => log().error(`export: ${(e as Error).message}`));
        }
        break;
      case 'saveSlice':
        if (this.data && this.query && m.query && typeof m.query === 'object') {
          saveSlice(this.file, this.data, { query: m.query }, this.query.rows(m.query)).catch((e) => log().error(`save slice: ${(e as Error).message}`));
        }
        break;
      case 'revealInExplorer':
        void vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(this.file));
        break;
      case 'pid':
        this.pid.start();
        break;
    }
  }

  private load(): Promise<OpenResultsResult> {
    const p = this.doLoad().finally(() => {
      if (this.loading === p) this.loading = undefined;
    });
    this.loading = p;
    return p;
  }

  private async doLoad(): Promise<OpenResultsResult> {
    this.pid.reset();
    this.post({ type: 'loading', file: this.file });
    try {
      const data = await loadResults(this.file);
      this.data = data;
      this.query = new RowsQuery(data);
      this.post({ type: 'results', overview: overviewOf(this.file, data) });
      this.flushQuery();
      this.flushFocus();
      log().info(`opened results ${this.file}: ${data.sampleIds.length} samples`);
      return { ok: true, file: this.file, n: data.sampleIds.length };
    } catch (e) {
      this.data = undefined;
      return { ok: false, error: this.fail(e, (error) => ({ type: 'error', file: this.file, error })) };
    }
  }

  /** One page of rows for a request (sorted, filtered); the request is validated, not trusted. */
  private page(req: RowsRequest): { request: RowsRequest; total: number; offset: number; rows: SampleRow[]; focusIndex?: number } {
    const data = this.data!;
    const { sort, desc } = RowsQuery.sortOf(req, data);
    const limit = Math.max(1, Math.min(MAX_PAGE, Math.floor(Number(req.limit) || 50)));
    const matching = this.query!.rows(req);
    const total = matching.length;
    let focusIndex: number | undefined;
    let requested = Math.floor(Number(req.offset) || 0);
    if (typeof req.focusRow === 'number' && req.focusRow >= 0 && req.focusRow < data.sampleIds.length) {
      focusIndex = -1;
      for (let k = 0; k < total; k++) {
        if (matching[k] === req.focusRow) {
          focusIndex = k;
          break;
        }
      }
      if (focusIndex >= 0) requested = focusIndex - (focusIndex % limit);
    }
    const offset = Math.max(0, Math.min(requested, Math.max(0, total - 1)));
    const rows: SampleRow[] = [];
    const c = data.columns;
    const sd = data.stability;
    for (let k = offset; k < Math.min(total, offset + limit); k++) {
      const i = matching[k];
      rows.push({
        row: i,
        sample_id: data.sampleIds[i],
        label: data.labels[i],
        className: data.meta.run.classNames[data.labels[i]] ?? String(data.labels[i]),
        split: data.split ? SPLITS[data.split[i]] : undefined,
        r: c.r[i], u1: c.u1[i], u2: c.u2[i], s: c.s[i], i1: c.i1[i], i2: c.i2[i], i12: c.i12[i],
        ...(sd ? { r_sd: sd.r_sd[i], u1_sd: sd.u1_sd[i], u2_sd: sd.u2_sd[i], s_sd: sd.s_sd[i] } : {}),
      });
    }
    return { request: { ...req, sort, desc, limit, offset }, total, offset, rows, focusIndex };
  }

  protected override onDispose(): void {
    this.pid.reset();
  }
}
