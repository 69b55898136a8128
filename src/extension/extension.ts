/** The VS Code host: registers commands and panels; all computation lives in src/engine. */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { RESULTS_SUFFIX } from '../engine';
import { COMPARE_PANEL_VIEW_TYPE, type ComparePanelState, RESULTS_PANEL_VIEW_TYPE, RUN_PANEL_VIEW_TYPE, type ResultsPanelState, type RunPanelState, type SamplesQuery } from '../protocol/messages';
import { type EstimateArgs, type EstimateCommandResult, Estimator } from './estimate';
import { log } from './output';
import { openSampleFileCommand } from './sampleCommands';
import { registerExportCommands } from './exportCommands';
import { compareRunsCommand } from './compareCommand';
import { ComparePanel } from './panels/comparePanel';
import { type OpenResultsResult, ResultsPanel } from './panels/resultsPanel';
import { type InspectResult, RunPanel } from './panels/runPanel';
import { openPanels } from './panels/panelHost';
import { noResultsYet } from './errors';
import { pickRunFile, targetResultsFile } from './runFiles';
import { registerInspectSample } from './inspectSample';
import { type RunsViewApi, registerRunsView, runUriOf } from './runsTree';
import { type SampleStatusApi, registerSampleStatus } from './sampleStatus';
import { registerSliceCommands } from './sliceCommands';

/** What activate() returns: used by the integration tests, not a public API. */
export interface LsmiExtensionApi {
  openRunPanels(): string[];
  openResultsPanels(): string[];
  openComparePanels(): string[][];
  backendStatus(): { text: string; tooltip: string; message: string };
  /** The "LSMI Runs" view. */
  runs: RunsViewApi;
  /** The status bar item of the active tab's sample file. */
  sampleStatus: SampleStatusApi;
  /** The query a results panel's samples table last listed (a saved slice applied lands here). */
  resultsPanelQuery(file: string): SamplesQuery | undefined;
}

export function activate(context: vscode.ExtensionContext): LsmiExtensionApi {
  log().info(`LSMI Explorer activated (VS Code ${vscode.version}, ${vscode.env.appHost})`);
  const estimator = new Estimator(context.extensionUri);
  context.subscriptions.push(
    estimator,
    vscode.commands.registerCommand('lsmi.inspectRun', async (arg?: unknown): Promise<InspectResult | undefined> => {
      const uri = runUriOf(arg);
      const file = uri ? uri.fsPath : await pickRunFile();
      if (!file) return undefined;
      return RunPanel.show(context.extensionUri, file);
    }),
    // from the runs view the first argument is a tree item (its resourceUri is the run file)
    vscode.commands.registerCommand('lsmi.estimate', (uri?: unknown, args?: EstimateArgs): Promise<EstimateCommandResult | undefined> =>
      estimator.command(runUriOf(uri), args),
    ),
    vscode.commands.registerCommand('lsmi.cancelEstimation', (uri?: unknown): Promise<string[]> => estimator.cancel(runUriOf(uri))),
    vscode.commands.registerCommand('lsmi.openResults', (uri?: unknown) => openResults(context.extensionUri, runUriOf(uri))),
    vscode.commands.registerCommand('lsmi.openSampleFile', openSampleFileCommand),
    vscode.commands.registerCommand('lsmi.showLog', () => log().show(true)),
    ...registerExportCommands(),
    ...registerSliceCommands(context.extensionUri),
    vscode.commands.registerCommand('lsmi.compareRuns', (a?: unknown, b?: unknown) => compareRunsCommand(context.extensionUri, a, b)),
    vscode.window.registerWebviewPanelSerializer(COMPARE_PANEL_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: ComparePanelState | undefined) {
        if (state?.files?.length) ComparePanel.restore(panel, context.extensionUri, state);
        else panel.dispose();
      },
    }),
    vscode.window.registerWebviewPanelSerializer(RUN_PANEL_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: RunPanelState | undefined) {
        if (state?.file) RunPanel.restore(panel, context.extensionUri, state);
        else panel.dispose();
      },
    }),
    vscode.window.registerWebviewPanelSerializer(RESULTS_PANEL_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: ResultsPanelState | undefined) {
        if (state?.file) ResultsPanel.restore(panel, context.extensionUri, state);
        else panel.dispose();
      },
    }),
  );
  registerInspectSample(context);
  const runs = registerRunsView(context);
  const sampleStatus = registerSampleStatus(context);
  return { openRunPanels: () => openPanels.keys('run'), openResultsPanels: () => openPanels.keys('results'), openComparePanels: () => openPanels.keys('compare').map((k) => k.split('\n')), backendStatus: () => estimator.backendStatus, runs, sampleStatus, resultsPanelQuery: (file) => ResultsPanel.listedQuery(file) };
}

export function deactivate(): void {}

/** LSMI: Open Results — a results file, the results of a run file, of the active run, or picked. */
async function openResults(extensionUri: vscode.Uri, uri?: vscode.Uri): Promise<OpenResultsResult | undefined> {
  const file = await targetResultsFile(uri);
  if (!file) return undefined;
  if (!fs.existsSync(file)) {
    const error = noResultsYet(file);
    const run = uri instanceof vscode.Uri && !uri.fsPath.endsWith(RESULTS_SUFFIX) ? uri : undefined;
    void vscode.window.showErrorMessage(`LSMI: ${error.message}`, ...(run ? ['Estimate Interactions'] : [])).then((choice) => {
      if (choice && run) void vscode.commands.executeCommand('lsmi.estimate', run);
    });
    return { ok: false, error };
  }
  return ResultsPanel.show(extensionUri, file);
}
