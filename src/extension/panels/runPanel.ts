/** The run panel: a validated summary of one run file (or the clear error that stops it). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readRunIsolated } from '../../engine';
import { resultsPathFor } from '../../engine';
import { type RunSummary, summarizeRun } from '../../engine';
import {
  RUN_PANEL_VIEW_TYPE,
  type RunPanelFromWebview,
  type RunPanelState,
  type RunPanelToWebview,
  type UserError,
} from '../../protocol/messages';
import { log } from '../output';
import { columnMappingSetting } from '../settings';
import { PanelHost, openPanels } from './panelHost';

export type InspectResult = { ok: true; summary: RunSummary } | { ok: false; error: UserError };

export class RunPanel extends PanelHost<RunPanelToWebview, RunPanelFromWebview> {

  /** Opens (or reveals) the panel for `file` and loads it. */
  static async show(extensionUri: vscode.Uri, file: string): Promise<InspectResult> {
    return openPanels.revealOrCreate('run', file, RUN_PANEL_VIEW_TYPE, RunPanel.title(file), extensionUri, (p) => new RunPanel(p, extensionUri, file)).load();
  }

  /** Re-creates a panel after a window reload (see the serializer in extension.ts). */
  static restore(webviewPanel: vscode.WebviewPanel, extensionUri: vscode.Uri, state: RunPanelState): void {
    void new RunPanel(webviewPanel, extensionUri, state.file).load();
  }

  private static title(file: string): string {
    return `LSMI: ${path.basename(file)}`;
  }

  private constructor(
    panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly file: string,
  ) {
    super(panel, extensionUri, 'run', file, RunPanel.title(file));
  }

  protected isState(m: RunPanelToWebview): boolean {
    return m.type === 'loading' || m.type === 'summary' || m.type === 'error';
  }

  protected loadingMessage(): RunPanelToWebview {
    return { type: 'loading', file: this.file };
  }

  protected handle(m: RunPanelFromWebview): void {
    switch (m.type) {
      case 'reload':
        void this.load();
        break;
      case 'revealInExplorer':
        void vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(this.file));
        break;
      case 'estimate':
        void vscode.commands.executeCommand('lsmi.estimate', vscode.Uri.file(this.file));
        break;
      case 'openResults':
        void vscode.commands.executeCommand('lsmi.openResults', vscode.Uri.file(this.file));
        break;
    }
  }

  private async load(): Promise<InspectResult> {
    this.post({ type: 'loading', file: this.file });
    try {
      const run = await readRunIsolated(this.file, { columns: columnMappingSetting() }); // in a worker: a file can never block the host
      const summary = summarizeRun(run);
      const results = resultsPathFor(this.file);
      this.post({ type: 'summary', summary, results: { file: results, exists: fs.existsSync(results) } });
      log().info(`read ${this.file}: ${summary.n} samples, ${summary.nClasses} classes`);
      return { ok: true, summary };
    } catch (e) {
      return { ok: false, error: this.fail(e, (error) => ({ type: 'error', file: this.file, error })) };
    }
  }

}
