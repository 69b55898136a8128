/**
 * LSMI: Inspect Sample — pick a results file (the active results panel's, the active run's, or one
 * of the workspace's), then one of its samples, and reveal it in the results panel. Big runs list
 * the 200 most synergistic samples first; typing searches all sample ids (and class names).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RESULTS_SUFFIX, type ResultsData, formatNats } from '../engine';
import type { UserError } from '../protocol/messages';
import { ResultsPanel } from './panels/resultsPanel';
import { noResultsYet, toUserError } from './errors';
import { loadResults, rowOfSampleId } from './resultsStore';
import { resultsFileOfArg, targetResultsFile } from './runFiles';
import { REVEAL_SAMPLE_COMMAND } from './sampleStatus';

export type InspectSampleResult = { ok: true; file: string; row: number; id: string } | { ok: false; error: UserError };

export interface SamplePickItem extends vscode.QuickPickItem {
  row: number;
}

/** Runs up to this size list all their samples (the quick pick filters them itself). */
const SMALL_RUN = 2000;
const PAGE = 200;

const bySynergy = new WeakMap<ResultsData, Uint32Array>();

/** Rows sorted by s, largest first (cached per results). */
function synergyOrder(data: ResultsData): Uint32Array {
  let order = bySynergy.get(data);
  if (!order) {
    const s = data.columns.s;
    order = Uint32Array.from({ length: s.length }, (_, i) => i).sort((a, b) => s[b] - s[a] || a - b);
    bySynergy.set(data, order);
  }
  return order;
}

const f = formatNats;

export function sampleItem(data: ResultsData, row: number): SamplePickItem {
  const c = data.columns;
  const cls = data.meta.run.classNames[data.labels[row]] ?? String(data.labels[row]);
  return { label: data.sampleIds[row], description: `${cls}  r ${f(c.r[row])}  u1 ${f(c.u1[row])}  u2 ${f(c.u2[row])}  s ${f(c.s[row])}`, row };
}

/**
 * The quick pick's items for what the user typed: without a query the samples by s (all of a small
 * run, the top 200 of a big one); with one, up to 200 samples whose id contains it (ids that start
 * with it first), then samples of classes whose name contains it, by s.
 */
export function sampleItems(data: ResultsData, query: string, limit = PAGE): SamplePickItem[] {
  const n = data.sampleIds.length;
  const order = synergyOrder(data);
  const q = query.trim().toLowerCase();
  if (!q || n <= SMALL_RUN) {
    const rows = n <= SMALL_RUN ? order : order.subarray(0, limit);
    return Array.from(rows, (r) => sampleItem(data, r));
  }
  const prefix: number[] = [];
  const inner: number[] = [];
  const ids = data.sampleIds;
  for (let i = 0; i < n && prefix.length < limit; i++) {
    const at = ids[i].toLowerCase().indexOf(q);
    if (at === 0) prefix.push(i);
    else if (at > 0 && inner.length < limit) inner.push(i);
  }
  const rows = [...prefix, ...inner].slice(0, limit);
  if (rows.length < limit) {
    const classes = new Set(data.meta.run.classNames.flatMap((name, k) => (name.toLowerCase().includes(q) ? [k] : [])));
    if (classes.size > 0) {
      const seen = new Set(rows);
      for (let j = 0; j < n && rows.length < limit; j++) {
        const r = order[j];
        if (classes.has(data.labels[r]) && !seen.has(r)) rows.push(r);
      }
    }
  }
  return rows.map((r) => sampleItem(data, r));
}

/** Shows the sample in its results panel (opening the panel when needed). */
export async function revealSample(extensionUri: vscode.Uri, file: string, row: number) {
  return ResultsPanel.revealSample(extensionUri, file, row);
}

async function pickSample(file: string, data: ResultsData): Promise<number | undefined> {
  const n = data.sampleIds.length;
  const qp = vscode.window.createQuickPick<SamplePickItem>();
  const name = data.meta.run.name || path.basename(file, RESULTS_SUFFIX);
  qp.title = `LSMI: a sample of ${name}`;
  qp.placeholder =
    n <= SMALL_RUN
      ? `${n} samples, most synergistic first; type to filter by id or class`
      : `${n} samples: the ${PAGE} most synergistic shown; type to search all ids (or a class)`;
  qp.matchOnDescription = true;
  qp.items = sampleItems(data, '');
  const disposables: vscode.Disposable[] = [];
  try {
    return await new Promise<number | undefined>((resolve) => {
      if (n > SMALL_RUN) {
        let timer: NodeJS.Timeout | undefined;
        disposables.push(
          qp.onDidChangeValue((value) => {
            clearTimeout(timer);
            timer = setTimeout(() => (qp.items = sampleItems(data, value)), 60);
          }),
          { dispose: () => clearTimeout(timer) },
        );
      }
      disposables.push(
        qp.onDidAccept(() => {
          resolve(qp.selectedItems[0]?.row);
          qp.hide();
        }),
        qp.onDidHide(() => resolve(undefined)),
      );
      qp.show();
    });
  } finally {
    for (const d of disposables) d.dispose();
    qp.dispose();
  }
}

/**
 * LSMI: Inspect Sample. Programmatic use: (results or run file Uri, sample_id) skips both pickers.
 * Undefined when the user cancels.
 */
export async function inspectSample(extensionUri: vscode.Uri, fileArg?: unknown, sampleId?: unknown): Promise<InspectSampleResult | undefined> {
  const file = await targetResultsFile(fileArg, { existing: true });
  if (!file) return undefined;
  if (!fs.existsSync(file)) {
    return { ok: false, error: noResultsYet(file) };
  }
  let data: ResultsData;
  try {
    data = await loadResults(file);
  } catch (e) {
    return { ok: false, error: toUserError(e) };
  }
  let row: number | undefined;
  if (typeof sampleId === 'string') {
    row = await rowOfSampleId(file, sampleId);
    if (row === undefined) {
      return { ok: false, error: { code: 'NOT_FOUND', message: `No sample "${sampleId}" in ${path.basename(file)} (${data.sampleIds.length} samples).` } };
    }
  } else {
    row = await pickSample(file, data);
    if (row === undefined) return undefined;
  }
  const shown = await revealSample(extensionUri, file, row);
  if (!shown.ok) return shown;
  return { ok: true, file, row, id: data.sampleIds[row] };
}

/** Registers LSMI: Inspect Sample and the internal reveal command (status bar, hovers). */
export function registerInspectSample(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('lsmi.inspectSample', (file?: unknown, sampleId?: unknown) => inspectSample(context.extensionUri, file, sampleId)),
    vscode.commands.registerCommand(REVEAL_SAMPLE_COMMAND, async (file?: unknown, row?: unknown) => {
      const results = resultsFileOfArg(file);
      const r = typeof row === 'number' ? row : typeof row === 'string' ? Number(row) : NaN;
      if (!results || !Number.isInteger(r) || r < 0) return undefined;
      return revealSample(context.extensionUri, results, r);
    }),
  );
}
