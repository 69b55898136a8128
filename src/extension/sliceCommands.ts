/**
 * LSMI: Save Slice… (the results panel's samples toolbar and title bar, or with a file and a query)
 * and LSMI: Open Slice (the runs view, the Explorer's context menu on `.slice.json`): opens the
 * results panel with the slice's query applied and says what changed since the slice was saved.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { openSlice } from '../engine';
import { noResultsYet } from './errors';
import { ResultsPanel } from './panels/resultsPanel';
import { loadResults } from './resultsStore';
import { targetResultsFile } from './runFiles';
import { type OpenSliceResult, type SaveSliceArgs, type SaveSliceResult, failed, saveSlice } from './slices';

/** The slice file a command was given: a Uri, a tree item (its resourceUri), a path; else picked. */
async function sliceFileOf(arg: unknown): Promise<string | undefined> {
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (typeof arg === 'string') return arg;
  const r = (arg as { resourceUri?: unknown } | undefined)?.resourceUri;
  if (r instanceof vscode.Uri) return r.fsPath;
  const found = await vscode.workspace.findFiles('**/*.slice.json', '**/node_modules/**', 500);
  if (!found.length) {
    void vscode.window.showInformationMessage('LSMI: no saved slices in the workspace. Save one from the results panel (Save slice…).');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    found.map((u) => ({ label: path.basename(u.fsPath).replace(/\.slice\.json$/, ''), description: vscode.workspace.asRelativePath(u.fsPath), file: u.fsPath })),
    { title: 'LSMI: open which slice?' },
  );
  return pick?.file;
}

/** Opens the results panel of a slice's results with the slice's query applied; says what changed since it was saved. */
export async function openSliceCommand(extensionUri: vscode.Uri, arg?: unknown): Promise<OpenSliceResult> {
  const file = await sliceFileOf(arg);
  if (!file) return undefined;
  try {
    const opened = await openSlice(file, loadResults);
    const shown = await ResultsPanel.showQuery(extensionUri, opened.resultsFile, opened.slice.query);
    if (!shown.ok) return { ok: false, error: shown.error };
    if (opened.changes.length) {
      void vscode.window.showWarningMessage(`LSMI: the slice '${opened.slice.name}' was saved from other results: ${opened.changes.join('; ')}. The panel shows its query applied to the current results.`);
    }
    return { ok: true, file, resultsFile: opened.resultsFile, name: opened.slice.name, n: opened.rows.length, query: opened.slice.query, changes: opened.changes };
  } catch (e) {
    return failed(e);
  }
}

export function registerSliceCommands(extensionUri: vscode.Uri): vscode.Disposable[] {
  return [
    // (uri of a results or run file, or none: the active results panel's / a picked run's results; args)
    vscode.commands.registerCommand('lsmi.saveSlice', async (uri?: unknown, args?: SaveSliceArgs): Promise<SaveSliceResult> => {
      const file = await targetResultsFile(uri);
      if (!file) return undefined;
      // from the results panel's title bar: what its samples table lists
      const active = ResultsPanel.activeQuery();
      const panelQuery = active?.file === file ? active : undefined;
      if (!fs.existsSync(file)) {
        const error = noResultsYet(file);
        void vscode.window.showErrorMessage(`LSMI: ${error.message}`);
        return { ok: false, error };
      }
      try {
        return await saveSlice(file, await loadResults(file), { ...args, query: args?.query ?? panelQuery?.query });
      } catch (e) {
        return failed(e);
      }
    }),
    vscode.commands.registerCommand('lsmi.openSlice', (arg?: unknown) => openSliceCommand(extensionUri, arg)),
  ];
}
