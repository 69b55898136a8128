/**
 * Export commands on one results file: LSMI: Export Samples (CSV or Arrow; the panel exports its
 * current filtered, sorted view), LSMI: Export Partition (sample_id lists split at a component's
 * quantiles, e.g. high- and low-redundancy subsets), LSMI: Export Interaction Weights.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { type ViewQuery, partitionByQuantiles, resultsView, weightsView, RESULTS_SUFFIX, type ResultsData, type RowsQueryInput, RowsQuery } from '../engine';
import type { ExportRequest } from '../protocol/messages';
import { type ExportResult, type PartitionExportArgs, type ViewExportArgs, exportDir, exportPartition, exportView } from './exports';
import { loadResults } from './resultsStore';
import { noResultsYet, toUserError } from './errors';
import { targetResultsFile } from './runFiles';

const baseName = (file: string) => path.basename(file).replace(new RegExp(`${RESULTS_SUFFIX.replace('.', '\\.')}$`), '');

async function withResults(uri: unknown, fn: (file: string, data: ResultsData) => Promise<ExportResult>): Promise<ExportResult> {
  const file = await targetResultsFile(uri);
  if (!file) return undefined;
  if (!fs.existsSync(file)) {
    const error = noResultsYet(file);
    void vscode.window.showErrorMessage(`LSMI: ${error.message}`);
    return { ok: false, error };
  }
  try {
    return await fn(file, await loadResults(file));
  } catch (e) {
    const error = toUserError(e);
    void vscode.window.showErrorMessage(`LSMI: ${error.message}`);
    return { ok: false, error };
  }
}

function samples(file: string, data: ResultsData, rows: ArrayLike<number> | undefined, args: ViewExportArgs): Promise<ExportResult> {
  const q: ViewQuery = rows ? { rows } : {};
  return exportView(resultsView(data, q, file), path.join(exportDir(file), `${baseName(file)}-samples.csv`), 'samples', args);
}

function partition(file: string, data: ResultsData, rows: ArrayLike<number> | undefined, args: PartitionExportArgs): Promise<ExportResult> {
  return exportPartition(
    (c, q) => partitionByQuantiles(data.sampleIds, data.columns[c], q, c, rows),
    exportDir(file),
    (c) => `${baseName(file)}-${c}`,
    args,
    { results: file, run: data.meta.run.name },
  );
}

function weights(file: string, data: ResultsData, rows: ArrayLike<number> | undefined, args: ViewExportArgs): Promise<ExportResult> {
  return exportView(weightsView(data, rows ? { rows } : {}, file), path.join(exportDir(file), `${baseName(file)}-weights.csv`), 'interaction weights', args);
}

/** From the results panel: exports what the panel shows (its filtered, sorted rows). */
export function exportResultsFromPanel(file: string, data: ResultsData, request: ExportRequest, rows: ArrayLike<number>): Promise<ExportResult> {
  if (request.kind === 'view') return samples(file, data, rows, { format: request.format === 'arrow' ? 'arrow' : 'csv' });
  if (request.kind === 'partition') return partition(file, data, rows, {});
  return weights(file, data, rows, {});
}

/** Args of the palette commands (tests and other extensions pass them instead of answering dialogs). */
export interface ExportCommandArgs extends ViewExportArgs, PartitionExportArgs {
  /** The samples-table query to export (default: every sample, in file order). */
  query?: RowsQueryInput;
}

function rowsOf(data: ResultsData, args?: ExportCommandArgs): ArrayLike<number> | undefined {
  return args?.query ? new RowsQuery(data).rows(args.query) : undefined;
}

export function registerExportCommands(): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('lsmi.exportSamples', (uri?: unknown, args?: ExportCommandArgs) =>
      withResults(uri, (file, data) => samples(file, data, rowsOf(data, args), args ?? {}))),
    vscode.commands.registerCommand('lsmi.exportPartition', (uri?: unknown, args?: ExportCommandArgs) =>
      withResults(uri, (file, data) => partition(file, data, rowsOf(data, args), args ?? {}))),
    vscode.commands.registerCommand('lsmi.exportWeights', (uri?: unknown, args?: ExportCommandArgs) =>
      withResults(uri, (file, data) => weights(file, data, rowsOf(data, args), args ?? {}))),
  ];
}
