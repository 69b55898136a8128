/**
 * Saving slices in VS Code (the engine's src/engine/slices.ts): asks a name, writes the slice
 * beside the results and offers Reveal / Copy Python snippet. The commands (LSMI: Save Slice…,
 * LSMI: Open Slice) are in sliceCommands.ts. Arguments given (tests, other commands) replace the dialogs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { type ResultsData, type SliceQuery, slicePaths, validateSliceName, writeSlice } from '../engine';
import type { SamplesQuery, UserError } from '../protocol/messages';
import { toUserError } from './errors';
import { log } from './output';

export type SaveSliceResult = { ok: true; name: string; definition: string; table: string; n: number } | { ok: false; error: UserError } | undefined;
export type OpenSliceResult = { ok: true; file: string; resultsFile: string; name: string; n: number; query: SliceQuery; changes: string[] } | { ok: false; error: UserError } | undefined;

export interface SaveSliceArgs {
  /** The slice's name (no input box). */
  name?: string;
  /** The samples-table query (default: every sample, by s descending). */
  query?: SamplesQuery;
  /** Replace a slice of that name without asking (with `name` given and this false, a taken name fails). */
  overwrite?: boolean;
}

/** The Python lines that load a slice (the notification's Copy Python snippet). */
export function pythonSnippet(definition: string): string {
  return [
    'from lsmi_export import load_slice',
    '',
    `sl = load_slice(${JSON.stringify(definition)})`,
    'print(sl.name, len(sl.sample_ids), "samples")',
    '# sl.sample_ids (list of str), sl.labels (numpy int), sl.values["s"] (numpy float), sl.query, sl.manifest',
  ].join('\n');
}

export function failed(e: unknown): SaveSliceResult & OpenSliceResult {
  const error = toUserError(e);
  log().error(`slice: ${error.message}`);
  void vscode.window.showErrorMessage(`LSMI: ${error.message}`);
  return { ok: false, error };
}

/**
 * Saves a slice of one results file. `rows`: the rows the query selects when the caller has them
 * (the panel's cache); else the query is applied here.
 */
export async function saveSlice(file: string, data: ResultsData, args: SaveSliceArgs = {}, rows?: ArrayLike<number>): Promise<SaveSliceResult> {
  const query = args.query ?? { sort: 's', desc: true };
  let name = args.name;
  let overwrite = args.overwrite;
  if (name === undefined) {
    name = await vscode.window.showInputBox({
      title: 'LSMI: save the samples as listed as a slice',
      prompt: `A name for the slice; it is saved in ${vscode.workspace.asRelativePath(path.dirname(slicePaths(file, 'x').definition))}`,
      placeHolder: 'e.g. high synergy shirts',
      validateInput: (v) => {
        try {
          validateSliceName(v);
          return undefined;
        } catch (e) {
          return (e as Error).message;
        }
      },
    });
    if (name === undefined) return undefined;
  }
  try {
    name = validateSliceName(name);
    const taken = slicePaths(file, name);
    if (overwrite === undefined && args.name === undefined && (fs.existsSync(taken.definition) || fs.existsSync(taken.table))) {
      const choice = await vscode.window.showWarningMessage(`LSMI: a slice named '${name}' exists already. Overwrite it?`, { modal: true }, 'Overwrite');
      if (choice !== 'Overwrite') return undefined;
      overwrite = true;
    }
    const w = await writeSlice(file, data, name, query, { overwrite: overwrite === true, rows });
    log().info(`saved slice '${w.slice.name}' (${w.slice.n} samples) to ${w.definition}`);
    void vscode.window
      .showInformationMessage(`LSMI: saved the slice '${w.slice.name}' (${w.slice.n.toLocaleString('en-US')} samples) to ${vscode.workspace.asRelativePath(w.definition)}`, 'Reveal in Explorer', 'Copy Python snippet')
      .then((c) => {
        if (c === 'Reveal in Explorer') void vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(w.definition));
        else if (c === 'Copy Python snippet') void vscode.env.clipboard.writeText(pythonSnippet(w.definition));
      });
    void vscode.commands.executeCommand('lsmi.refreshRuns');
    return { ok: true, name: w.slice.name, definition: w.definition, table: w.table, n: w.slice.n };
  } catch (e) {
    return failed(e);
  }
}
