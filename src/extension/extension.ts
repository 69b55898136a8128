/** The VS Code host: registers commands and panels; all computation lives in src/engine. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RUN_EXTENSIONS } from '../engine/io';
import { RUN_PANEL_VIEW_TYPE, type RunPanelState } from '../protocol/messages';
import { log } from './output';
import { type InspectResult, RunPanel } from './panels/runPanel';

/** What activate() returns: used by the integration tests, not a public API. */
export interface LsmiExtensionApi {
  openRunPanels(): string[];
}

export function activate(context: vscode.ExtensionContext): LsmiExtensionApi {
  log().info(`LSMI Explorer activated (VS Code ${vscode.version}, ${vscode.env.appHost})`);
  context.subscriptions.push(
    vscode.commands.registerCommand('lsmi.inspectRun', async (uri?: vscode.Uri): Promise<InspectResult | undefined> => {
      const file = uri?.fsPath ?? (await pickRunFile());
      if (!file) return undefined;
      return RunPanel.show(context.extensionUri, file);
    }),
    vscode.window.registerWebviewPanelSerializer(RUN_PANEL_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: RunPanelState | undefined) {
        if (state?.file) RunPanel.restore(panel, context.extensionUri, state);
        else panel.dispose();
      },
    }),
  );
  return { openRunPanels: () => RunPanel.openFiles };
}

export function deactivate(): void {}

function isRunFile(file: string): boolean {
  return (RUN_EXTENSIONS as readonly string[]).includes(path.extname(file).toLowerCase()) && !file.endsWith('.lsmi.arrow');
}

/** The active editor's run file, or one picked from the workspace's run files. */
async function pickRunFile(): Promise<string | undefined> {
  const active = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const activeUri = active instanceof vscode.TabInputText || active instanceof vscode.TabInputCustom ? active.uri : undefined;
  if (activeUri && isRunFile(activeUri.fsPath)) return activeUri.fsPath;
  const found = (await vscode.workspace.findFiles('**/*.{arrow,feather,npz}', '**/node_modules/**', 500)).filter((u) => isRunFile(u.fsPath));
  if (found.length === 0) {
    const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'LSMI runs': ['arrow', 'feather', 'npz'] } });
    return picked?.[0]?.fsPath;
  }
  const item = await vscode.window.showQuickPick(
    found.map((u) => ({ label: path.basename(u.fsPath), description: vscode.workspace.asRelativePath(path.dirname(u.fsPath)), file: u.fsPath })),
    { title: 'LSMI: pick a run file', matchOnDescription: true },
  );
  return item?.file;
}
