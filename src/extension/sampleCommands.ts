/**
 * `lsmi.openSampleFile` (internal): opens or reveals path_1 / path_2 of one sample of a results
 * file, with the same resolution and confinement as the panels. Returns what happened, so tests and
 * other commands can check it; refusals are also shown to the user.
 */
import * as vscode from 'vscode';
import type { UserError } from '../protocol/messages';
import { log } from './output';
import { loadResults } from './resultsStore';
import { showSampleFile } from './sampleLinks';

export type OpenSampleFileResult = { ok: true; path: string } | { ok: false; error: UserError };

export async function openSampleFileCommand(
  results: vscode.Uri | string,
  row: number,
  which: 1 | 2 = 1,
  action: 'open' | 'reveal' = 'open',
): Promise<OpenSampleFileResult> {
  const file = typeof results === 'string' ? results : results.fsPath;
  let error: UserError;
  try {
    const data = await loadResults(file);
    if (!Number.isInteger(row) || row < 0 || row >= data.sampleIds.length) {
      error = { code: 'BAD_ROW', message: `${file} has no row ${row} (it has ${data.sampleIds.length} samples).` };
    } else {
      const shown = await showSampleFile(file, data, row, which === 2 ? 2 : 1, action === 'reveal' ? 'reveal' : 'open');
      return shown.ok ? { ok: true, path: shown.path } : { ok: false, error: shown.error };
    }
  } catch (e) {
    error = { code: (e as { code?: string }).code ?? 'READ_FAILED', message: (e as Error).message };
  }
  log().warn(`${error.code}: ${error.message}`);
  void vscode.window.showWarningMessage(`LSMI: ${error.message}`);
  return { ok: false, error };
}
