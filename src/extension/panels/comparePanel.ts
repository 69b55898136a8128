/**
 * The compare panel: 2–8 results files joined on sample_id (src/engine/compare.ts). The host keeps
 * the Comparison; the webview gets a JSON-safe summary and asks for pages of the biggest movers,
 * scatters and sample details. One panel per set of files.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  COMPARE_COMPONENTS,
  type Comparison,
  type MoversQuery,
  classShifts,
  compareResults,
  hasPairStability,
  joinedSampleRuns,
  readResultsForCompare,
  moversPage,
  moversRanking,
  resultsOf,
  sampleFiles,
  scatter,
  summarizeComparison,
  withBaseline,
} from '../../engine';
import { comparisonView, partitionByQuantiles } from '../../engine';
import { toJson } from '../../engine';
import type { ResultsData } from '../../engine';
import { isSplit } from '../../engine';
import {
  COMPARE_PANEL_VIEW_TYPE,
  type CompareRange,
  type ComparePanelFromWebview,
  type ComparePanelState,
  type ComparePanelToWebview,
  type MoversRequest,
  type ScatterRequest,
  type UserError,
} from '../../protocol/messages';
import { type ExportResult, exportDir, exportPartition, exportView } from '../exports';
import { log } from '../output';
import { estimatorSettings } from '../settings';
import { loadResults } from '../resultsStore';
import { sampleDetail } from '../sampleDetail';
import { showSampleFile } from '../sampleLinks';
import { PanelHost, openPanels } from './panelHost';
import { ResultsPanel } from './resultsPanel';
import { toUserError } from '../errors';
import { ensembleJob } from '../pidJobs';

export type CompareResult =
  | { ok: true; files: string[]; labels: string[]; baseline: number; n: number; nCommon: number; missing: number[] }
  | { ok: false; error: UserError };


const MAX_PAGE = 500;

/** Brushed ranges from the webview, validated (it is not trusted): at most 4, each a run, a component and number-or-null ends. */
function rangesOf(x: unknown, cmp: Comparison): MoversQuery['ranges'] {
  if (!Array.isArray(x) || x.length === 0) return undefined;
  const end = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const out = x.slice(0, 4).filter((r): r is CompareRange =>
    !!r && typeof r === 'object' && Number.isInteger(r.run) && r.run >= 0 && r.run < cmp.runs.length && (COMPARE_COMPONENTS as readonly string[]).includes(r.component));
  return out.length ? out.map((r) => ({ run: r.run, component: r.component, delta: r.delta === true, lo: end(r.lo), hi: end(r.hi) })) : undefined;
}

export class ComparePanel extends PanelHost<ComparePanelToWebview, ComparePanelFromWebview> {
  /** The ensembles of the compared runs, computed on the webview's request (src/extension/pidJobs.ts). */
  private readonly ensemble = ensembleJob(() => this.files, (state) => this.post({ type: 'ensemble', state }));
  private cmp?: Comparison;

  static async show(extensionUri: vscode.Uri, files: string[], baseline?: string | number): Promise<CompareResult> {
    const key = files.join('\n');
    return openPanels.revealOrCreate('compare', key, COMPARE_PANEL_VIEW_TYPE, ComparePanel.title(files), extensionUri, (p) => new ComparePanel(p, extensionUri, files)).load(baseline);
  }

  static restore(webviewPanel: vscode.WebviewPanel, extensionUri: vscode.Uri, state: ComparePanelState): void {
    void new ComparePanel(webviewPanel, extensionUri, state.files).load(state.baseline);
  }

  private static title(files: string[]): string {
    const names = files.map((f) => path.basename(f).replace(/\.lsmi\.arrow$/, ''));
    return `LSMI Compare: ${names.length <= 3 ? names.join(' vs ') : `${names.length} runs`}`;
  }

  private constructor(
    panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    private readonly files: string[],
  ) {
    super(panel, extensionUri, 'compare', files.join('\n'), ComparePanel.title(files));
  }

  protected isState(m: ComparePanelToWebview): boolean {
    return m.type === 'loading' || m.type === 'comparison' || m.type === 'error';
  }

  protected loadingMessage(): ComparePanelToWebview {
    return { type: 'loading', files: this.files };
  }

  private async load(baseline?: string | number): Promise<CompareResult> {
    this.ensemble.reset();
    this.post({ type: 'loading', files: this.files });
    try {
      // the results come from the host's shared cache (results panels of the same runs share them);
      // a file that is missing or not results gets the engine's message (which says what to do)
      const inputs: { file: string; data: ResultsData }[] = [];
      for (const file of this.files) {
        const data = await loadResults(file).catch(() => readResultsForCompare(file));
        inputs.push({ file, data });
      }
      const boot = estimatorSettings().bootstrap?.replicates;
      const cmp = compareResults(inputs, { baseline, ...(boot !== undefined ? { bootstrap: { replicates: boot } } : {}) });
      this.cmp = cmp;
      this.postSummary();
      log().info(`comparing ${cmp.runs.map((r) => r.label).join(', ')}: ${cmp.n} samples, ${cmp.nCommon} in every run`);
      for (const w of cmp.warnings) log().warn(w);
      return { ok: true, files: this.files, labels: cmp.runs.map((r) => r.label), baseline: cmp.baseline, n: cmp.n, nCommon: cmp.nCommon, missing: cmp.runs.map((r) => r.missing) };
    } catch (e) {
      this.cmp = undefined;
      return { ok: false, error: this.fail(e, (error) => ({ type: 'error', files: this.files, error })) };
    }
  }

  private postSummary(): void {
    const cmp = this.cmp!;
    const summary = summarizeComparison(cmp, { top: 5, bins: 40 });
    // every class's shift, not only the largest five per direction: the panel names the classes that
    // moved beyond noise, which need not be the ones that moved most (a small class moves more)
    summary.shifts = summary.shifts.map((x) => ({ ...x, shifts: classShifts(cmp, x.run) }));
    this.post({ type: 'comparison', files: this.files, summary: toJson(summary) });
  }

  private query(r: Omit<MoversRequest, 'offset' | 'limit' | 'gen'>): MoversQuery {
    const cmp = this.cmp!;
    const run = Number.isInteger(r.run) && r.run >= 0 && r.run < cmp.runs.length && r.run !== cmp.baseline ? r.run : cmp.baseline === 0 ? 1 : 0;
    return {
      run,
      component: r.component === 'any' || (COMPARE_COMPONENTS as readonly string[]).includes(r.component) ? r.component : 'any',
      // 'stable' only where both runs carry per-sample stability (the webview disables it otherwise)
      order: r.order === 'gain' || r.order === 'loss' || (r.order === 'stable' && hasPairStability(cmp, run)) ? r.order : 'abs',
      classes: Array.isArray(r.classes) && r.classes.length ? r.classes.filter((k) => Number.isInteger(k) && k >= 0) : undefined,
      split: isSplit(r.split) ? r.split : undefined,
      search: typeof r.search === 'string' && r.search.trim() ? r.search : undefined,
      ranges: rangesOf(r.ranges, cmp),
    };
  }

  protected handle(m: ComparePanelFromWebview): void {
    try {
      this.dispatch(m);
    } catch (e) {
      const error = toUserError(e);
      log().error(`compare panel: ${error.message}`);
      this.post({ type: 'notice', text: error.message });
    }
  }

  private dispatch(m: ComparePanelFromWebview): void {
    const cmp = this.cmp;
    switch (m.type) {
      case 'reload':
        void this.load(cmp?.baseline);
        break;
      case 'setBaseline':
        if (cmp && Number.isInteger(m.run) && m.run >= 0 && m.run < cmp.runs.length) {
          this.cmp = withBaseline(cmp, m.run);
          this.postSummary();
        }
        break;
      case 'movers': {
        if (!cmp) break;
        const limit = Math.max(1, Math.min(MAX_PAGE, Math.floor(Number(m.request.limit) || 100)));
        const page = moversPage(cmp, { ...this.query(m.request), offset: Math.max(0, Math.floor(Number(m.request.offset) || 0)), limit });
        this.post({ type: 'moversPage', request: m.request, page: toJson(page) });
        break;
      }
      case 'scatter': {
        if (!cmp) break;
        const r: ScatterRequest = m.request;
        const ok = (k: number) => Number.isInteger(k) && k >= 0 && k < cmp.runs.length;
        const q = this.query({ run: r.y, component: 'any', order: 'abs', classes: r.classes, split: r.split, search: r.search });
        const comp = (COMPARE_COMPONENTS as readonly string[]).includes(r.component) ? r.component : 's';
        const s = scatter(cmp, { component: comp, x: ok(r.x) ? r.x : cmp.baseline, y: ok(r.y) ? r.y : undefined, classes: q.classes, split: q.split, search: q.search, maxPoints: 3000, grid: 48 });
        this.post({ type: 'scatter', request: r, scatter: toJson(s) });
        break;
      }
      case 'sample':
        if (cmp) this.detail(cmp, m.index, m.run).catch((e) => log().error(`compare sample ${m.index}: ${(e as Error).message}`));
        break;
      case 'openSampleFile':
      case 'revealSampleFile':
        if (cmp) this.sampleFile(cmp, m.index, m.which, m.type === 'openSampleFile' ? 'open' : 'reveal').catch((e) => log().error(`sample file: ${(e as Error).message}`));
        break;
      case 'revealInResults': {
        const ok = cmp && Number.isInteger(m.run) && m.run >= 0 && m.run < cmp.runs.length && Number.isInteger(m.index) && m.index >= 0 && m.index < cmp.n;
        const row = ok ? cmp.rows[m.run][m.index] : -1;
        if (cmp && row >= 0) {
          ResultsPanel.revealSample(this.extensionUri, cmp.runs[m.run].file, row).then(
            (r) => (r.ok ? undefined : this.post({ type: 'notice', text: r.error.message })),
            (e) => log().error(`reveal in results: ${(e as Error).message}`),
          );
        }
        break;
      }
      case 'export':
        if (cmp) this.export(cmp, m).catch((e) => log().error(`export: ${(e as Error).message}`));
        break;
      case 'ensemble':
        this.ensemble.start();
        break;
    }
  }

  /** Files of a joined sample come from the run that has them (the baseline first). */
  private locate(cmp: Comparison, index: number): { file: string; row: number; run: number } | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= cmp.n) return undefined;
    const f = sampleFiles(cmp, index);
    if (f) return { file: f.resultsFile, row: cmp.rows[f.run][index], run: f.run };
    const k = cmp.rows.findIndex((rows) => rows[index] >= 0);
    return k >= 0 ? { file: cmp.runs[k].file, row: cmp.rows[k][index], run: k } : undefined;
  }

  private async detail(cmp: Comparison, index: number, run: number): Promise<void> {
    const data = resultsOf(cmp);
    if (!data || !Number.isInteger(index) || index < 0 || index >= cmp.n) return;
    // the waterfall and percentiles of the compared run (or of the first run that has the sample)
    const k = Number.isInteger(run) && run >= 0 && run < cmp.runs.length && cmp.rows[run][index] >= 0 ? run : cmp.rows.findIndex((rows) => rows[index] >= 0);
    const files = this.locate(cmp, index);
    let detail = k >= 0 ? await sampleDetail(cmp.runs[k].file, data[k], cmp.rows[k][index]) : undefined;
    if (detail && files && files.run !== k) {
      // the compared run has no paths for this sample: show the files of the run that does
      const other = await sampleDetail(files.file, data[files.run], files.row);
      detail = { ...detail, files: other.files };
    }
    if (this.cmp === cmp || this.cmp?.rows === cmp.rows) this.post({ type: 'sampleDetail', detail: toJson({ index, detail, detailRun: k, runs: joinedSampleRuns(cmp, index) }) });
  }

  private async sampleFile(cmp: Comparison, index: number, which: 1 | 2, action: 'open' | 'reveal'): Promise<void> {
    const at = this.locate(cmp, index);
    const data = resultsOf(cmp);
    if (!at || !data || (which !== 1 && which !== 2)) return;
    const shown = await showSampleFile(at.file, data[at.run], at.row, which, action);
    if (!shown.ok) this.post({ type: 'notice', text: shown.error.message });
  }

  private async export(cmp: Comparison, m: Extract<ComparePanelFromWebview, { type: 'export' }>): Promise<ExportResult> {
    const q = this.query(m.movers ?? { run: -1, component: 'any', order: 'abs' });
    const run = q.run!;
    // the movers view: every filtered sample with a Δ, in the panel's ranking
    const ranked = Array.from(moversRanking(cmp, q));
    const dir = exportDir(cmp.runs[cmp.baseline].file);
    const stem = `${cmp.runs[cmp.baseline].label}-vs-${cmp.runs[run].label}`.replace(/[^A-Za-z0-9._-]+/g, '_');
    if (m.request.kind === 'partition') {
      return exportPartition(
        (c, quantiles) => partitionByQuantiles(cmp.sampleIds, cmp.values[run][c], quantiles, `${c}.${cmp.runs[run].label}`, ranked.slice().sort((a, b) => a - b)),
        dir,
        (c) => `${stem}-${c}`,
        {},
        { compare: cmp.runs.map((r) => r.file), run: cmp.runs[run].label },
      );
    }
    const view = comparisonView(cmp, { run, rows: ranked });
    const format = m.request.kind === 'view' && m.request.format === 'arrow' ? 'arrow' : 'csv';
    return exportView(view, path.join(dir, `${stem}-movers.${format}`), 'movers', { format });
  }

  protected override onDispose(): void {
    this.ensemble.reset();
  }
}
