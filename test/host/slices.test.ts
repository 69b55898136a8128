/**
 * Saved slices in a real extension host, on the example workspace: LSMI: Save Slice with a query
 * writes the definition and the table beside the results; the runs view lists the slice under its
 * run; opening it (the tree item's click, the Explorer's command) shows the results panel whose
 * samples table asks the host for exactly the slice's query.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { tableFromIPC } from 'apache-arrow';
import { readResults } from '../../src/engine/io/results';
import { RowsQuery } from '../../src/engine/rowsQuery';
import type { LsmiExtensionApi } from '../../src/extension/extension';
import type { EstimateCommandResult } from '../../src/extension/estimate';
import type { OpenSliceResult, SaveSliceResult } from '../../src/extension/slices';
import { EXTENSION_ID, waitFor, ws } from './util';

suite('Saved slices', () => {
  let results: string;
  const run = () => ws('fashion-mnist', 'fmnist-late-fusion.arrow');
  const api = () => vscode.extensions.getExtension<LsmiExtensionApi>(EXTENSION_ID)!.exports;
  // shirts (class 6) with s ≥ 0, the most synergistic first
  const query = { sort: 's' as const, desc: true, classes: [6], range: { col: 's' as const, lo: 0, hi: null } };

  suiteSetup(async function () {
    this.timeout(180_000);
    const r = await vscode.commands.executeCommand<EstimateCommandResult>('lsmi.estimate', vscode.Uri.file(run()), { preset: 'defaults', open: false });
    assert.ok(r?.ok, JSON.stringify(r));
    results = r.out;
  });

  suiteTeardown(() => {
    fs.rmSync(path.join(path.dirname(results), 'lsmi-exports', 'slices'), { recursive: true, force: true });
  });

  test('Save Slice with a query writes the definition and the table, in the panel order', async () => {
    const saved = await vscode.commands.executeCommand<SaveSliceResult>('lsmi.saveSlice', vscode.Uri.file(results), { name: 'synergistic shirts', query });
    assert.ok(saved?.ok, JSON.stringify(saved));
    const dir = path.join(path.dirname(results), 'lsmi-exports', 'slices');
    assert.equal(saved.definition, path.join(dir, 'synergistic shirts.slice.json'));
    assert.equal(saved.table, path.join(dir, 'synergistic shirts.slice.arrow'));
    const data = await readResults(results);
    const expected = Array.from(new RowsQuery(data).rows(query));
    assert.ok(expected.length > 10 && expected.length < data.sampleIds.length, `${expected.length} rows`);
    assert.equal(saved.n, expected.length);
    const def = JSON.parse(fs.readFileSync(saved.definition, 'utf8'));
    assert.equal(def.kind, 'lsmi-slice');
    assert.equal(def.results, '../../fmnist-late-fusion.lsmi.arrow');
    assert.equal(def.run, data.meta.run.name);
    assert.deepEqual(def.query, query);
    assert.deepEqual(def.manifest.classes, [{ label: 6, name: data.meta.run.classNames[6], count: expected.length }]);
    assert.equal(def.resultsIdentity.createdAt, data.meta.createdAt);
    const t = tableFromIPC(fs.readFileSync(saved.table));
    assert.deepEqual(t.getChild('sample_id')!.toArray(), expected.map((j) => data.sampleIds[j]));
    assert.deepEqual(Array.from(t.getChild('s')!.toArray() as Float64Array), expected.map((j) => data.columns.s[j]));
  });

  test('a taken name is refused unless overwrite; a bad name is refused with its code', async () => {
    const again = await vscode.commands.executeCommand<SaveSliceResult>('lsmi.saveSlice', vscode.Uri.file(results), { name: 'synergistic shirts', query, overwrite: false });
    assert.ok(again && !again.ok && again.error.code === 'SLICE_EXISTS', JSON.stringify(again));
    const replaced = await vscode.commands.executeCommand<SaveSliceResult>('lsmi.saveSlice', vscode.Uri.file(results), { name: 'synergistic shirts', query, overwrite: true });
    assert.ok(replaced?.ok, JSON.stringify(replaced));
    const bad = await vscode.commands.executeCommand<SaveSliceResult>('lsmi.saveSlice', vscode.Uri.file(results), { name: '../outside', query });
    assert.ok(bad && !bad.ok && bad.error.code === 'BAD_SLICE_NAME', JSON.stringify(bad));
  });

  test('the runs view lists the slice under its run; clicking it opens the results with its query applied', async function () {
    this.timeout(60_000);
    const a = api();
    a.runs.refresh();
    const item = (await a.runs.items()).find((i) => i.file === run());
    assert.ok(item, 'the late-fusion run in the runs view');
    assert.equal(item.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
    const slices = await a.runs.slices(item);
    assert.deepEqual(slices.map((s) => s.label), ['synergistic shirts']);
    const child = slices[0];
    assert.equal(child.contextValue, 'lsmi.slice');
    assert.match(String(child.description), /samples · s ↓ · class /);
    assert.ok(child.command, 'a click opens the slice');
    const opened = await vscode.commands.executeCommand<OpenSliceResult>(child.command.command, ...(child.command.arguments ?? []));
    assert.ok(opened?.ok, JSON.stringify(opened));
    assert.equal(opened.resultsFile, results);
    assert.deepEqual(opened.changes, []);
    assert.ok(a.openResultsPanels().includes(results));
    // the webview applied the query: its samples table asks the host for exactly these rows
    await waitFor('the results panel listing the slice', () => JSON.stringify(a.resultsPanelQuery(results)) === JSON.stringify(query), 20_000);
  });

  test('Open Slice from the Explorer re-applies the query after the panel listed something else', async function () {
    this.timeout(60_000);
    const a = api();
    // another slice, every sample by r ascending, opened first: the panel lists that
    const other = await vscode.commands.executeCommand<SaveSliceResult>('lsmi.saveSlice', vscode.Uri.file(results), { name: 'by r', query: { sort: 'r', desc: false } });
    assert.ok(other?.ok, JSON.stringify(other));
    const first = await vscode.commands.executeCommand<OpenSliceResult>('lsmi.openSlice', vscode.Uri.file(other.definition));
    assert.ok(first?.ok && first.n === 2000, JSON.stringify(first));
    await waitFor('the panel listing every sample by r', () => JSON.stringify(a.resultsPanelQuery(results)) === JSON.stringify({ sort: 'r', desc: false }), 20_000);
    const def = path.join(path.dirname(results), 'lsmi-exports', 'slices', 'synergistic shirts.slice.json');
    const back = await vscode.commands.executeCommand<OpenSliceResult>('lsmi.openSlice', vscode.Uri.file(def));
    assert.ok(back?.ok, JSON.stringify(back));
    await waitFor('the panel listing the shirts again', () => JSON.stringify(a.resultsPanelQuery(results)) === JSON.stringify(query), 20_000);
    // a damaged slice file: a clear error, no panel change
    const broken = path.join(path.dirname(def), 'broken.slice.json');
    fs.writeFileSync(broken, '{"kind": "lsmi-slice", "formatVersion": 1}');
    const failed = await vscode.commands.executeCommand<OpenSliceResult>('lsmi.openSlice', vscode.Uri.file(broken));
    assert.ok(failed && !failed.ok && failed.error.code === 'BAD_SLICE', JSON.stringify(failed));
  });
});
