/** Finding the run file a command should work on: the active one, or one the user picks. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RUN_EXTENSIONS, RESULTS_SUFFIX, resultsPathFor, SLICE_TABLE_SUFFIX } from '../engine';
import { openPanels } from './panels/panelHost';

export function isRunFile(file: string): boolean {
  // a saved slice's table (lsmi-exports/slices/<name>.slice.arrow) is no run either
  return (RUN_EXTENSIONS as readonly string[]).includes(path.extname(file).toLowerCase()) && !file.endsWith(RESULTS_SUFFIX) && !file.endsWith(SLICE_TABLE_SUFFIX);
}

/** The run file in the active editor tab or (with `panels`) the active run panel, if any. */
export function activeRunFile(panels = true): string | undefined {
  const active = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const activeUri = active instanceof vscode.TabInputText || active instanceof vscode.TabInputCustom ? active.uri : undefined;
  if (activeUri && isRunFile(activeUri.fsPath)) return activeUri.fsPath;
  return panels ? openPanels.activeKey('run') : undefined;
}

/**
 * The active run file, or one picked from the workspace's run files (or a file dialog when there are
 * none). `panels`: an active run panel counts as the active run (Estimate, Open Results; not Inspect).
 */
export async function pickRunFile(title = 'LSMI: pick a run file', panels = false): Promise<string | undefined> {
  const active = activeRunFile(panels);
  if (active) return active;
  const found = (await vscode.workspace.findFiles('**/*.{arrow,feather,npz}', '**/node_modules/**', 500)).filter((u) => isRunFile(u.fsPath));
  if (found.length === 0) {
    const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'LSMI runs': ['arrow', 'feather', 'npz'] } });
    return picked?.[0]?.fsPath;
  }
  const item = await vscode.window.showQuickPick(
    found.map((u) => ({ label: path.basename(u.fsPath), description: vscode.workspace.asRelativePath(path.dirname(u.fsPath)), file: u.fsPath })),
    { title, matchOnDescription: true },
  );
  return item?.file;
}

/** The results file in the active editor tab or results panel, if any. */
export function activeResultsFile(): string | undefined {
  const active = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const activeUri = active instanceof vscode.TabInputText || active instanceof vscode.TabInputCustom ? active.uri : undefined;
  if (activeUri?.fsPath.endsWith(RESULTS_SUFFIX)) return activeUri.fsPath;
  return openPanels.activeKey('results');
}

/** Picks one of the workspace's results files. */
export async function pickResultsFile(): Promise<string | undefined> {
  const found = await vscode.workspace.findFiles(`**/*${RESULTS_SUFFIX}`, '**/node_modules/**', 500);
  if (found.length === 0) {
    void vscode.window.showInformationMessage('LSMI: no results in this workspace yet. Run "LSMI: Estimate Interactions" on a run file first.');
    return undefined;
  }
  const item = await vscode.window.showQuickPick(
    found.map((u) => ({ label: path.basename(u.fsPath), description: vscode.workspace.asRelativePath(path.dirname(u.fsPath)), file: u.fsPath })),
    { title: 'LSMI: pick results to open', matchOnDescription: true },
  );
  return item?.file;
}

/**
 * The results file a command argument names: a results file or a run file (its results), as a Uri
 * or a path, or an item of the runs view. Undefined for anything else.
 */
export function resultsFileOfArg(arg: unknown): string | undefined {
  if (!arg) return undefined;
  const item = arg as { resultsFile?: unknown; resourceUri?: unknown };
  if (typeof item.resultsFile === 'string') return item.resultsFile;
  const uri = arg instanceof vscode.Uri ? arg : item.resourceUri;
  const file = uri instanceof vscode.Uri ? uri.fsPath : typeof arg === 'string' ? arg : undefined;
  return file && (file.endsWith(RESULTS_SUFFIX) ? file : resultsPathFor(file));
}

/**
 * The results file a command works on, in one order for every command: the one its argument names
 * (a results or run file, a runs view item), else the active results (a results panel or an open
 * results file), else the active run's results (with `existing`, only when they exist), else one the
 * user picks. Undefined when the user cancels.
 */
export async function targetResultsFile(arg: unknown, options: { existing?: boolean } = {}): Promise<string | undefined> {
  const given = resultsFileOfArg(arg);
  if (given) return given;
  const active = activeResultsFile();
  if (active) return active;
  const run = activeRunFile();
  if (run && (!options.existing || fs.existsSync(resultsPathFor(run)))) return resultsPathFor(run);
  return pickResultsFile();
}
