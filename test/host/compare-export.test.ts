/**
 * Compare Runs and the export commands in a real extension host, on the example workspace: the
 * early- and late-fusion runs are estimated, compared (join, labels, baseline), refused when their
 * classes differ or results are missing; samples, partitions and weights are exported and read back.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { tableFromIPC } from 'apache-arrow';
import { readResults } from '../../src/engine/io/results';
import type { LsmiExtensionApi } from '../../src/extension/extension';
import type { EstimateCommandResult } from '../../src/extension/estimate';
import type { ExportResult } from '../../src/extension/exports';
import type { CompareResult } from '../../src/extension/panels/comparePanel';
import { EXTENSION_ID, ws } from './util';

/** As the first suite estimates the circuits (fast settings; the values do not matter here). */
const FAST = { folds: 2, mlp: { epochs: 1 }, em: { maxIter: 20 } };

async function estimate(run: string, settings?: typeof FAST): Promise<string> {
  const r = await vscode.commands.executeCommand<EstimateCommandResult>('lsmi.estimate', vscode.Uri.file(run), { preset: 'defaults', open: false, settings });
  assert.ok(r?.ok, JSON.stringify(r));
  return r.out;
}

suite('Compare Runs and exports', () => {
  let early: string;
  let late: string;

  suiteSetup(async function () {
    this.timeout(180_000);
    early = await estimate(ws('fashion-mnist', 'fmnist-early-fusion.arrow'));
    late = await estimate(ws('fashion-mnist', 'fmnist-late-fusion.arrow'));
  });

  test('the status bar says which backend the last estimation computed on, and why', async () => {
    const api = vscode.extensions.getExtension<LsmiExtensionApi>(EXTENSION_ID)!.exports;
    const meta = (await readResults(late)).meta;
    const status = api.backendStatus();
    assert.equal(status.text, `$(${meta.backend.name === 'webgpu' ? 'zap' : 'server-process'}) LSMI: ${meta.backend.name}`);
    assert.ok(status.tooltip.includes(meta.backend.detail.slice(0, 40)), `${status.tooltip} should include ${meta.backend.detail}`);
    assert.match(status.tooltip, /lsmi\.backend/);
  });

  test('compares the early- and late-fusion runs, joined on sample_id, labelled by their metadata', async () => {
    const r = await vscode.commands.executeCommand<CompareResult>('lsmi.compareRuns', { files: [early, late] });
    assert.ok(r?.ok, JSON.stringify(r));
    assert.deepEqual(r.labels, ['fmnist-early-fusion', 'fmnist-late-fusion']);
    assert.equal(r.baseline, 0);
    assert.equal(r.n, 2000);
    assert.equal(r.nCommon, 2000);
    assert.deepEqual(r.missing, [0, 0]);
    const api = vscode.extensions.getExtension<LsmiExtensionApi>(EXTENSION_ID)!.exports;
    assert.ok(api.openComparePanels().some((set) => set.join() === [early, late].join()));
    // a multi-selection from the Explorer (uri, uris[]) with run files: mapped to their results; baseline by name
    const again = await vscode.commands.executeCommand<CompareResult>('lsmi.compareRuns', vscode.Uri.file(ws('fashion-mnist', 'fmnist-late-fusion.arrow')),
      [vscode.Uri.file(ws('fashion-mnist', 'fmnist-late-fusion.arrow')), vscode.Uri.file(early)]);
    assert.ok(again?.ok, JSON.stringify(again));
    assert.deepEqual(again.labels, ['fmnist-late-fusion', 'fmnist-early-fusion']);
    const named = await vscode.commands.executeCommand<CompareResult>('lsmi.compareRuns', { files: [early, late], baseline: 'fmnist-late-fusion' });
    assert.ok(named?.ok && named.baseline === 1, JSON.stringify(named));
  });

  test('compares a multi-selection of the runs view (clicked item, selected items)', async () => {
    const api = vscode.extensions.getExtension<LsmiExtensionApi>(EXTENSION_ID)!.exports;
    api.runs.refresh();
    const items = await api.runs.items();
    const pick = (name: string) => {
      const item = items.find((i) => i.resourceUri?.fsPath.endsWith(`${name}.arrow`));
      assert.ok(item, `${name} in the runs view`);
      return item;
    };
    const a = pick('fmnist-early-fusion');
    const b = pick('fmnist-late-fusion');
    const r = await vscode.commands.executeCommand<CompareResult>('lsmi.compareRuns', a, [a, b]);
    assert.ok(r?.ok, JSON.stringify(r));
    assert.deepEqual(r.files, [early, late]);
  });

  test('refuses runs whose classes differ, runs without results, and more than 8 runs', async function () {
    this.timeout(120_000);
    const xor = await estimate(ws('circuits', 'xor.arrow'), FAST);
    const mismatch = await vscode.commands.executeCommand<CompareResult>('lsmi.compareRuns', { files: [late, xor] });
    assert.ok(mismatch && !mismatch.ok, JSON.stringify(mismatch));
    assert.equal(mismatch.error.code, 'CLASS_MISMATCH');
    assert.match(mismatch.error.message, /fmnist-late-fusion\.lsmi\.arrow/);
    assert.match(mismatch.error.message, /xor\.lsmi\.arrow/);
    const orResults = ws('circuits', 'or.lsmi.arrow');
    fs.rmSync(orResults, { force: true });
    const missing = await vscode.commands.executeCommand<CompareResult>('lsmi.compareRuns', { files: [xor, orResults] });
    assert.ok(missing && !missing.ok && missing.error.code === 'NOT_ESTIMATED', JSON.stringify(missing));
    assert.match(missing.error.message, /Estimate Interactions/);
    const nine = await vscode.commands.executeCommand<CompareResult>('lsmi.compareRuns', { files: Array.from({ length: 9 }, (_, k) => ws(`r${k}.lsmi.arrow`)) });
    assert.ok(nine && !nine.ok && nine.error.code === 'BAD_SELECTION', JSON.stringify(nine));
  });

  test('Export Samples writes the filtered, sorted view as CSV and as Arrow', async () => {
    const data = await readResults(late);
    const out = ws('exports', 'shirts-by-s.csv');
    const r = await vscode.commands.executeCommand<ExportResult>('lsmi.exportSamples', vscode.Uri.file(late), { out, query: { sort: 's', desc: true, classes: [6] } });
    assert.ok(r?.ok, JSON.stringify(r));
    const lines = fs.readFileSync(out, 'utf8').trim().split(/\r?\n/);
    const header = lines[0].split(',');
    const shirts = data.labels.filter((y) => y === 6).length;
    assert.equal(lines.length - 1, shirts);
    const sCol = header.indexOf('s');
    const idCol = header.indexOf('sample_id');
    const s = lines.slice(1).map((l) => Number(l.split(',')[sCol]));
    for (let i = 1; i < s.length; i++) assert.ok(s[i - 1] >= s[i], 'sorted by s, descending');
    const first = data.sampleIds.indexOf(lines[1].split(',')[idCol]);
    assert.equal(data.labels[first], 6);
    assert.equal(s[0], data.columns.s[first]);
    const arrow = ws('exports', 'all.arrow');
    const a = await vscode.commands.executeCommand<ExportResult>('lsmi.exportSamples', vscode.Uri.file(late), { out: arrow, format: 'arrow' });
    assert.ok(a?.ok && a.rows === 2000, JSON.stringify(a));
    const table = tableFromIPC(fs.readFileSync(arrow));
    assert.equal(table.numRows, 2000);
    assert.deepEqual(Array.from(table.getChild('r')!.toArray() as Float64Array), Array.from(data.columns.r));
  });

  test('Export Partition writes the high- and low-redundancy sample lists; Export Weights writes loadable weights', async () => {
    const data = await readResults(late);
    const dir = ws('exports', 'partition');
    const r = await vscode.commands.executeCommand<ExportResult>('lsmi.exportPartition', vscode.Uri.file(late), { component: 'r', quantiles: '0.25,0.75', outDir: dir });
    assert.ok(r?.ok && r.partition, JSON.stringify(r));
    assert.deepEqual(r.partition.groups.map((g) => [g.name, g.count]), [['low', 500], ['mid', 1000], ['high', 500]]);
    const high = fs.readFileSync(r.partition.groups[2].file, 'utf8').trim().split('\n');
    const sorted = Array.from(data.columns.r).sort((x, y) => x - y);
    const t75 = r.partition.thresholds[1];
    assert.ok(Math.abs(t75 - (sorted[1499] + 0.25 * (sorted[1500] - sorted[1499]))) < 1e-12, 'numpy-style 75th percentile');
    for (const id of high) assert.ok(data.columns.r[data.sampleIds.indexOf(id)] > t75, `${id} is above the 75th percentile of r`);
    const weights = ws('exports', 'weights.csv');
    const w = await vscode.commands.executeCommand<ExportResult>('lsmi.exportWeights', vscode.Uri.file(late), { out: weights });
    assert.ok(w?.ok && w.rows === 2000, JSON.stringify(w));
    const head = fs.readFileSync(weights, 'utf8').split(/\r?\n/)[0];
    assert.match(head, /^sample_id,label,.*share_r,share_u1,share_u2,share_s$/);
  });
});
