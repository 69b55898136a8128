/**
 * Exports from the panels and the palette, on the engine's export code (src/engine/export.ts):
 * the current filtered view of a samples table as CSV or Arrow, a quantile partition of the samples
 * as sample_id lists, per-sample interaction weights. Every file is written atomically. Arguments
 * given (tests, other commands) replace the dialogs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMPARE_COMPONENTS, type CompareComponent, type Partition, type SamplesView, type WrittenPartition, type WrittenView, parseQuantiles, writePartition, writeView, formatCount } from '../engine';
import type { UserError } from '../protocol/messages';
import { log } from './output';

export type ExportResult =
  | { ok: true; files: string[]; rows?: number; partition?: { value: string; thresholds: number[]; groups: { name: string; count: number; file: string }[] } }
  | { ok: false; error: UserError }
  | undefined;

export interface ViewExportArgs {
  format?: 'csv' | 'arrow';
  /** Write here without a dialog. */
  out?: string;
}

export interface PartitionExportArgs {
  component?: CompareComponent;
  /** e.g. "0.25,0.75" (low / mid / high). */
  quantiles?: string;
  /** Write into this folder without asking. */
  outDir?: string;
}

function failure(e: unknown): ExportResult {
  const error = { code: (e as { code?: string }).code ?? 'EXPORT_FAILED', message: (e as Error).message };
  log().error(`export failed: ${error.message}`);
  void vscode.window.showErrorMessage(`LSMI: export failed: ${error.message}`);
  return { ok: false, error };
}

function announce(what: string, file: string): void {
  log().info(`exported ${what} to ${file}`);
  void vscode.window.showInformationMessage(`LSMI: exported ${what} to ${vscode.workspace.asRelativePath(file)}`, 'Reveal in Explorer').then((c) => {
    if (c) void vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(file));
  });
}

/** Saves a samples view; asks where (a save dialog, default `defaultFile`) unless args.out is given. */
export async function exportView(view: SamplesView, defaultFile: string, what: string, args: ViewExportArgs = {}): Promise<ExportResult> {
  let out = args.out;
  let format = args.format;
  if (!out) {
    // every export goes to the same place by default: the exports folder beside the results, where
    // partitions are written too (created now, so that the dialog opens in it; removed again, when
    // still empty, if the dialog is cancelled)
    const proposed = await proposedExportFile(defaultFile, format);
    const uri = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(proposed.file),
      filters: format === 'arrow' ? { Arrow: ['arrow'], CSV: ['csv'] } : { CSV: ['csv'], Arrow: ['arrow'] },
      title: `LSMI: export ${what}`,
    });
    if (!uri) {
      if (proposed.created) await fs.promises.rmdir(path.dirname(proposed.file)).catch(() => undefined);
      return undefined;
    }
    out = uri.fsPath;
    format = out.toLowerCase().endsWith('.arrow') ? 'arrow' : 'csv';
  }
  try {
    await fs.promises.mkdir(path.dirname(out), { recursive: true });
    const w: WrittenView = await writeView(out, view, format);
    announce(`${formatCount(w.rows)} samples (${w.format.toUpperCase()})`, w.file);
    return { ok: true, files: [w.file], rows: w.rows };
  } catch (e) {
    return failure(e);
  }
}

/**
 * Partitions samples by a component's quantiles. `values(c)` gives the per-sample values to split
 * on (and a name for the value); asks for the component and the quantiles unless given.
 */
export async function exportPartition(
  make: (component: CompareComponent, quantiles: number[]) => Partition,
  defaultDir: string,
  prefix: (component: CompareComponent) => string,
  args: PartitionExportArgs = {},
  source?: unknown,
): Promise<ExportResult> {
  let component = args.component;
  if (!component) {
    const names: Record<CompareComponent, string> = { r: 'redundancy', u1: 'uniqueness of modality 1', u2: 'uniqueness of modality 2', s: 'synergy' };
    const pick = await vscode.window.showQuickPick(
      COMPARE_COMPONENTS.map((c) => ({ label: c, description: names[c], c })),
      { title: 'LSMI: partition the samples by which component?', placeHolder: 'e.g. r: high- and low-redundancy subsets' },
    );
    if (!pick) return undefined;
    component = pick.c;
  }
  let text = args.quantiles;
  if (text === undefined) {
    text = await vscode.window.showInputBox({
      title: `LSMI: quantiles of ${component} to split at`,
      value: '0.25,0.75',
      prompt: 'Comma-separated, strictly between 0 and 1: "0.25,0.75" gives low / mid / high, "0.5" gives low / high.',
      validateInput: (v) => {
        try {
          parseQuantiles(v);
          return undefined;
        } catch (e) {
          return (e as Error).message;
        }
      },
    });
    if (text === undefined) return undefined;
  }
  try {
    const part = make(component, parseQuantiles(text));
    const dir = args.outDir ?? defaultDir;
    const w: WrittenPartition = await writePartition(dir, part, { prefix: prefix(component), source });
    announce(`the ${component} partition (${part.groups.map((g) => `${g.name} ${g.count}`).join(', ')})`, w.manifest);
    return {
      ok: true,
      files: [w.manifest, ...w.files.map((f) => f.file)],
      partition: { value: part.value, thresholds: part.thresholds, groups: w.files.map((f) => ({ name: f.name, count: f.count, file: f.file })) },
    };
  } catch (e) {
    return failure(e);
  }
}

/**
 * The file a save dialog proposes for a table export: `defaultFile` (in the exports folder) with the
 * format's extension; the folder is created when missing (`created` says so).
 */
export async function proposedExportFile(defaultFile: string, format: 'csv' | 'arrow' | undefined): Promise<{ file: string; created: boolean }> {
  const dir = path.dirname(defaultFile);
  const created = !fs.existsSync(dir);
  if (created) await fs.promises.mkdir(dir, { recursive: true });
  return { file: path.join(dir, path.basename(defaultFile).replace(/\.(csv|arrow)$/, '') + (format === 'arrow' ? '.arrow' : '.csv')), created };
}

/** The folder exports go to by default: an `lsmi-exports` folder beside the results file. */
export function exportDir(resultsFile: string): string {
  return path.join(path.dirname(resultsFile), 'lsmi-exports');
}
