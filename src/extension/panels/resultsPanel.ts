/**
 * The results panel: one `<run>.lsmi.arrow` file. The host reads and keeps the whole ResultsData;
 * the webview receives an overview (means, histograms, per-class means, settings) and requests the
 * sample rows one page at a time, sorted and filtered here.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ResultsData } from '../../engine/io/results';
import { SPLITS } from '../../engine/io/run';
import {
  RESULTS_PANEL_VIEW_TYPE,
  type ResultsPanelFromWebview,
  type ResultsPanelState,
  type ResultsPanelToWebview,
  type RowsRequest,
  type SampleRow,
  type UserError,
} from '../../protocol/messages';
import { log } from '../output';
import { loadResults } from '../resultsStore';
import { classRanking, overviewOf } from '../resultsOverview';
import { RowsQuery } from '../rowsQuery';
import { exportResultsFromPanel } from '../exportCommands';
import { sampleDetail } from '../sampleDetail';
import { showSampleFile } from '../sampleLinks';
import { localRoots, panelHtml } from '../webviewHtml';
import { pidJob } from '../pidJobs';
import { toUserError } from './runPanel';

export type OpenResultsResult = { ok: true; file: string; n: number } | { ok: false; error: UserError };

const MAX_PAGE = 500;

export class ResultsPanel {
  private static readonly panels = new Map<string, ResultsPanel>();
  private readonly disposables: vscode.Disposable[] = [];
  private last?: ResultsPanelToWebview;
  private ready = false;
  private data?: ResultsData;
  /** Sorted orders and filtered selections of the rows (computed on first use). */
  private query?: RowsQuery;
  /** A row to scroll to once the webview has the results (revealSample before the panel was ready). */
  private pendingFocus?: number;
  private loading?: Promise<OpenResultsResult>;
  /** The BROJA PID and bounds of the run, computed on the webview's request (src/extension/pidJobs.ts). */
  private readonly pid: ReturnType<typeof pidJob>;

  /** Opens (or reveals and reloads) the panel for a results file. */
  static async show(extensionUri: vscode.Uri, file: string): Promise<OpenResultsResult> {
    let panel = ResultsPanel.panels.get(file);
    if (panel) panel.panel.reveal();
    else {
      const p = vscode.window.createWebviewPanel(RESULTS_PANEL_VIEW_TYPE, ResultsPanel.title(file), vscode.ViewColumn.Active, {
        enableScripts: true,
        localResourceRoots: localRoots(extensionUri),
      });
      panel = new ResultsPanel(p, extensionUri, file);
    }
    return panel.load();
  }

  /** Re-creates a panel after a window reload (see the serializer in extension.ts). */
  static restore(webviewPanel: vscode.WebviewPanel, extensionUri: vscode.Uri, state: ResultsPanelState): void {
    webviewPanel.webview.options = { enableScripts: true, localResourceRoots: localRoots(extensionUri) };
    void new ResultsPanel(webviewPanel, extensionUri, state.file).load();
  }

  /**
   * Opens the results and scrolls to and expands one sample (status bar, Inspect Sample, hovers).
   */
  static async revealSample(extensionUri: vscode.Uri, file: string, row: number): Promise<OpenResultsResult> {
    let panel = ResultsPanel.panels.get(file);
    let result: OpenResultsResult;
    if (panel?.data && !panel.loading) {
      panel.panel.reveal();
      result = { ok: true, file, n: panel.data.sampleIds.length };
    } else {
      result = await ResultsPanel.show(extensionUri, file);
      panel = ResultsPanel.panels.get(file);
    }
    if (result.ok && panel) panel.focus(row);
    return result;
  }

  static get openFiles(): string[] {
    return [...ResultsPanel.panels.keys()];
  }

  /** The results file of the active results panel, if one is active. */
  static activeFile(): string | undefined {
    for (const [file, p] of ResultsPanel.panels) if (p.panel.active) return file;
    return undefined;
  }

  private static title(file: string): string {
    return `LSMI Results: ${path.basename(file).replace(/\.lsmi\.arrow$/, '')}`;
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly file: string,
  ) {
    this.pid = pidJob(file, (state) => this.post({ type: 'pid', state }));
    ResultsPanel.panels.set(file, this);
    panel.title = ResultsPanel.title(file);
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'lsmi.svg');
    panel.webview.html = panelHtml(panel.webview, extensionUri, 'results', panel.title);
    panel.webview.onDidReceiveMessage((m: ResultsPanelFromWebview) => this.onMessage(m), undefined, this.disposables);
    panel.onDidDispose(() => this.dispose(), undefined, this.disposables);
  }

  private post(message: ResultsPanelToWebview): void {
    if (message.type === 'results' || message.type === 'error') this.last = message;
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  private focus(row: number): void {
    if (!this.data || row < 0 || row >= this.data.sampleIds.length) return;
    if (this.ready && this.last?.type === 'results') void this.panel.webview.postMessage({ type: 'focusSample', row } satisfies ResultsPanelToWebview);
    else this.pendingFocus = row;
  }

  private flushFocus(): void {
    if (this.pendingFocus !== undefined && this.ready && this.last?.type === 'results') {
      const row = this.pendingFocus;
      this.pendingFocus = undefined;
      void this.panel.webview.postMessage({ type: 'focusSample', row } satisfies ResultsPanelToWebview);
    }
  }

  /** Resolves, checks and opens (or reveals) one of a sample's files; refusals become messages. */
  private async sampleFile(row: number, which: 1 | 2, action: 'open' | 'reveal'): Promise<void> {
    if (!this.data || !Number.isInteger(row) || row < 0 || row >= this.data.sampleIds.length || (which !== 1 && which !== 2)) return;
    const shown = await showSampleFile(this.file, this.data, row, which, action);
    if (!shown.ok) this.post({ type: 'notice', text: shown.error.message });
  }

  /** Messages from the webview are not trusted: a malformed one is logged, never thrown into the host. */
  private onMessage(m: ResultsPanelFromWebview): void {
    try {
      this.handle(m);
    } catch (e) {
      log().error(`results panel: ignored a message (${(e as Error).message})`);
    }
  }

  private handle(m: ResultsPanelFromWebview): void {
    if (!m || typeof m !== 'object') return;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        void this.panel.webview.postMessage(this.last ?? ({ type: 'loading', file: this.file } satisfies ResultsPanelToWebview));
        this.flushFocus();
        break;
      case 'reload':
        void this.load();
        break;
      case 'rows':
        if (this.data && m.request && typeof m.request === 'object') this.post({ type: 'rowsPage', ...this.page(m.request) });
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
    this.last = undefined;
    this.pid.reset();
    this.post({ type: 'loading', file: this.file });
    try {
      const data = await loadResults(this.file);
      this.data = data;
      this.query = new RowsQuery(data);
      this.post({ type: 'results', overview: overviewOf(this.file, data) });
      this.flushFocus();
      log().info(`opened results ${this.file}: ${data.sampleIds.length} samples`);
      return { ok: true, file: this.file, n: data.sampleIds.length };
    } catch (e) {
      this.data = undefined;
      const error = toUserError(e);
      log().error(`${error.code}: ${error.message}`);
      this.post({ type: 'error', file: this.file, error });
      void vscode.window.showErrorMessage(`LSMI: ${error.message}`);
      return { ok: false, error };
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

  private dispose(): void {
    this.pid.reset();
    ResultsPanel.panels.delete(this.file);
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
