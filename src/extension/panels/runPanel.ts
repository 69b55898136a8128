/** The run panel: a validated summary of one run file (or the clear error that stops it). */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isInputError } from '../../engine/errors';
import { readRunIsolated } from '../../engine/io/isolated';
import { type RunSummary, summarizeRun } from '../../engine/summary';
import {
  RUN_PANEL_VIEW_TYPE,
  type RunPanelFromWebview,
  type RunPanelState,
  type RunPanelToWebview,
  type UserError,
} from '../../protocol/messages';
import { log } from '../output';
import { columnMappingSetting } from '../settings';
import { localRoots, panelHtml } from '../webviewHtml';

export type InspectResult = { ok: true; summary: RunSummary } | { ok: false; error: UserError };

export class RunPanel {
  private static readonly panels = new Map<string, RunPanel>();
  private readonly disposables: vscode.Disposable[] = [];
  private last?: RunPanelToWebview;
  private ready = false;

  /** Opens (or reveals) the panel for `file` and loads it. */
  static async show(extensionUri: vscode.Uri, file: string): Promise<InspectResult> {
    let panel = RunPanel.panels.get(file);
    if (panel) panel.panel.reveal();
    else {
      const p = vscode.window.createWebviewPanel(RUN_PANEL_VIEW_TYPE, RunPanel.title(file), vscode.ViewColumn.Active, {
        enableScripts: true,
        localResourceRoots: localRoots(extensionUri),
      });
      panel = new RunPanel(p, extensionUri, file);
    }
    return panel.load();
  }

  /** Re-creates a panel after a window reload (see the serializer in extension.ts). */
  static restore(webviewPanel: vscode.WebviewPanel, extensionUri: vscode.Uri, state: RunPanelState): void {
    webviewPanel.webview.options = { enableScripts: true, localResourceRoots: localRoots(extensionUri) };
    void new RunPanel(webviewPanel, extensionUri, state.file).load();
  }

  static get openFiles(): string[] {
    return [...RunPanel.panels.keys()];
  }

  /** The run file of the active run panel, if one is active. */
  static activeFile(): string | undefined {
    for (const [file, p] of RunPanel.panels) if (p.panel.active) return file;
    return undefined;
  }

  private static title(file: string): string {
    return `LSMI: ${path.basename(file)}`;
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly file: string,
  ) {
    RunPanel.panels.set(file, this);
    panel.title = RunPanel.title(file);
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'lsmi.svg');
    panel.webview.html = panelHtml(panel.webview, extensionUri, 'run', panel.title);
    panel.webview.onDidReceiveMessage((m: RunPanelFromWebview) => this.onMessage(m), undefined, this.disposables);
    panel.onDidDispose(() => this.dispose(), undefined, this.disposables);
  }

  private post(message: RunPanelToWebview): void {
    if (message.type !== 'loading') this.last = message;
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  private onMessage(m: RunPanelFromWebview): void {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        void this.panel.webview.postMessage(this.last ?? ({ type: 'loading', file: this.file } satisfies RunPanelToWebview));
        break;
      case 'reload':
        void this.load();
        break;
      case 'revealInExplorer':
        void vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(this.file));
        break;
    }
  }

  private async load(): Promise<InspectResult> {
    this.last = undefined;
    this.post({ type: 'loading', file: this.file });
    try {
      const run = await readRunIsolated(this.file, { columns: columnMappingSetting() }); // in a worker: a file can never block the host
      const summary = summarizeRun(run);
      this.post({ type: 'summary', summary });
      log().info(`read ${this.file}: ${summary.n} samples, ${summary.nClasses} classes`);
      return { ok: true, summary };
    } catch (e) {
      const error = toUserError(e);
      log().error(`${error.code}: ${error.message}`);
      this.post({ type: 'error', file: this.file, error });
      void vscode.window.showErrorMessage(`LSMI: ${error.message}`);
      return { ok: false, error };
    }
  }

  private dispose(): void {
    RunPanel.panels.delete(this.file);
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

export function toUserError(e: unknown): UserError {
  if (isInputError(e)) return { code: e.code, message: e.message };
  return { code: 'INTERNAL', message: `unexpected error: ${(e as Error).message ?? e}. See the "LSMI Explorer" output for details.` };
}
