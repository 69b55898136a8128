/**
 * LSMI: Compare Runs — 2 to 8 results files, from a multi-selection in the Explorer or the runs
 * view, from arguments ({ files, baseline }) or picked from the workspace's results.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { MAX_COMPARE_RUNS, MIN_COMPARE_RUNS, RESULTS_SUFFIX } from '../engine';
import { type CompareResult, ComparePanel } from './panels/comparePanel';
import { resultsFileOfArg } from './runFiles';

export interface CompareArgs {
  files?: string[];
  /** Baseline: run index, label, run name or file name (default: the first). */
  baseline?: string | number;
}

export async function compareRunsCommand(extensionUri: vscode.Uri, first?: unknown, second?: unknown): Promise<CompareResult | undefined> {
  let args: CompareArgs = {};
  let picked: string[] = [];
  if (Array.isArray(second) && second.length) picked = second.map(resultsFileOfArg).filter((f): f is string => !!f);
  else if (second && typeof second === 'object' && !(second instanceof vscode.Uri)) args = second as CompareArgs;
  if (!picked.length && first && typeof first === 'object' && Array.isArray((first as CompareArgs).files)) args = first as CompareArgs;
  if (args.files) picked = args.files;
  else if (!picked.length && first) picked = [resultsFileOfArg(first)].filter((f): f is string => !!f);
  let files = [...new Set(picked.map((f) => resultsFileOfArg(f)!))];
  if (files.length < MIN_COMPARE_RUNS) {
    const chosen = await pickResults(files);
    if (!chosen) return undefined;
    files = chosen;
  }
  const fail = (code: string, message: string): CompareResult => {
    void vscode.window.showErrorMessage(`LSMI: ${message}`);
    return { ok: false, error: { code, message } };
  };
  if (files.length < MIN_COMPARE_RUNS || files.length > MAX_COMPARE_RUNS) {
    return fail('BAD_SELECTION', `Compare Runs needs ${MIN_COMPARE_RUNS} to ${MAX_COMPARE_RUNS} estimated runs; ${files.length} selected.`);
  }
  const missing = files.filter((f) => !fs.existsSync(f));
  if (missing.length) {
    return fail('NOT_ESTIMATED', `${missing.map((f) => path.basename(f).replace(RESULTS_SUFFIX, '')).join(', ')}: no results yet. Run "LSMI: Estimate Interactions" on ${missing.length === 1 ? 'that run' : 'those runs'} first.`);
  }
  return ComparePanel.show(extensionUri, files, args.baseline);
}

async function pickResults(preselected: string[]): Promise<string[] | undefined> {
  const found = (await vscode.workspace.findFiles(`**/*${RESULTS_SUFFIX}`, '**/node_modules/**', 500)).map((u) => u.fsPath).sort();
  if (found.length < MIN_COMPARE_RUNS) {
    void vscode.window.showInformationMessage(`LSMI: Compare Runs needs at least two estimated runs; this workspace has ${found.length}. Run "LSMI: Estimate Interactions" on the runs first.`);
    return undefined;
  }
  const items = found.map((f) => ({
    label: path.basename(f).replace(RESULTS_SUFFIX, ''),
    description: vscode.workspace.asRelativePath(path.dirname(f)),
    picked: preselected.includes(f),
    file: f,
  }));
  const chosen = await vscode.window.showQuickPick(items, { canPickMany: true, title: `LSMI: pick ${MIN_COMPARE_RUNS} to ${MAX_COMPARE_RUNS} runs to compare (the first is the baseline)`, matchOnDescription: true });
  return chosen?.map((c) => c.file);
}
