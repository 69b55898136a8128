/**
 * The runs view, Show Runs, Inspect Sample, the sample status bar item and the sample-id hover, in a
 * real extension host on a copy of examples/. Uses fmnist-early-fusion (the other suites use the
 * late-fusion run and the circuits), whose results it deletes first and writes with lsmi.estimate.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LsmiExtensionApi } from '../../src/extension/extension';
import type { EstimateCommandResult } from '../../src/extension/estimate';
import type { InspectSampleResult } from '../../src/extension/inspectSample';
import type { OpenResultsResult } from '../../src/extension/panels/resultsPanel';
import type { RunTreeItem } from '../../src/extension/runsTree';
import { type ResultsData, readResults } from '../../src/engine/io/results';
import { EXTENSION_ID, waitFor, workspaceRoot } from './util';

async function api(): Promise<LsmiExtensionApi> {
  const ext = vscode.extensions.getExtension<LsmiExtensionApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} not found`);
  return ext.isActive ? ext.exports : ext.activate();
}

/** A value as every surface prints it (README "Numbers"): 4 decimals, the Unicode minus, no sign on a value that rounds to zero. */
const f4 = (x: number) => (Number(x.toFixed(4)) === 0 ? Math.abs(x).toFixed(4) : x.toFixed(4).replace('-', '\u2212'));
const f2 = f4;
const FAST = { em: { maxIter: 20 } };

suite('Runs view, Inspect Sample, status bar and hover', () => {
  const root = () => workspaceRoot();
  const run = () => path.join(root(), 'fashion-mnist', 'fmnist-early-fusion.arrow');
  const results = () => path.join(root(), 'fashion-mnist', 'fmnist-early-fusion.lsmi.arrow');
  let data: ResultsData | undefined;

  suiteSetup(() => {
    fs.rmSync(results(), { force: true });
  });

  async function item(file: string): Promise<RunTreeItem> {
    const items = await (await api()).runs.items();
    const it = items.find((i) => i.resourceUri.fsPath === file);
    assert.ok(it, `${file} in ${items.map((i) => i.resourceUri.fsPath).join(', ')}`);
    return it;
  }

  test('contributes Show Runs, Inspect Sample, Refresh Runs and the reveal command', async () => {
    const commands = await vscode.commands.getCommands(true);
    for (const c of ['lsmi.showRuns', 'lsmi.inspectSample', 'lsmi.refreshRuns', 'lsmi.revealSample']) assert.ok(commands.includes(c), c);
    await api();
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    const view = pkg.contributes.views.explorer.find((v: { id: string }) => v.id === 'lsmi.runs');
    assert.equal(view?.name, 'LSMI Runs');
  });

  test('Show Runs focuses the runs view', async () => {
    const a = await api();
    assert.equal(await vscode.commands.executeCommand('lsmi.showRuns'), true);
    await waitFor('the runs view to be visible', () => a.runs.visible());
  });

  test('the runs view lists the example runs, by folder, with their states', async () => {
    const a = await api();
    a.runs.refresh();
    const top = await a.runs.children();
    const labels = top.map((n) => String(n.label));
    assert.ok(labels.includes('circuits') && labels.includes('fashion-mnist'), `runs in two folders, one node each: ${labels.join(', ')}`);
    assert.ok(top.every((n) => !('resultsFile' in n)), 'the top level holds folders');
    const items = await a.runs.items();
    const rel = items.map((i) => path.relative(root(), i.resourceUri.fsPath)).sort();
    for (const f of ['circuits/or.arrow', 'circuits/xor.arrow', 'circuits/xor_not_a.arrow', 'circuits/xor_not_b.arrow', 'fashion-mnist/fmnist-early-fusion.arrow', 'fashion-mnist/fmnist-late-fusion.arrow']) {
      assert.ok(rel.includes(f), `${f} listed: ${rel.join(', ')}`);
    }
    assert.ok(!rel.some((f) => f.endsWith('.lsmi.arrow')), 'results files are not runs');
    for (const i of items) {
      assert.equal(i.resultsFile, i.resourceUri.fsPath.replace(/\.(arrow|feather|npz)$/, '.lsmi.arrow'));
      // the example runs never change after their results are written: estimated whatever the mtimes say
      const expected = fs.existsSync(i.resultsFile) ? 'estimated' : 'notYet';
      assert.equal(i.state, expected, `${i.resourceUri.fsPath}`);
      assert.equal(i.contextValue, `lsmi.run.${i.state}`);
      assert.equal(i.command?.command, i.state === 'notYet' ? 'lsmi.inspectRun' : 'lsmi.openResults');
      assert.equal((i.command?.arguments?.[0] as vscode.Uri).fsPath, i.resourceUri.fsPath);
    }
    const early = await item(run());
    assert.equal(early.state, 'notYet');
    assert.match(String(early.description), /not yet/);
    assert.match(await a.runs.tooltip(early), /No results yet/);
    // the xor run was estimated by the first suite
    const xor = await item(path.join(root(), 'circuits', 'xor.arrow'));
    assert.equal(xor.state, 'estimated');
  });

  test('Estimate from the view makes a run estimated; touching the run file (same content) leaves it estimated', async function () {
    this.timeout(120_000);
    const a = await api();
    const before = a.runs.changes();
    // the command gets the tree item as the view's context menu passes it: (item, selection)
    const early = await item(run());
    const result = await vscode.commands.executeCommand<EstimateCommandResult>('lsmi.estimate', early, { preset: 'defaults', settings: FAST, open: false });
    assert.ok(result?.ok, JSON.stringify(result));
    assert.equal(result.out, results());
    assert.equal(result.reused, false);
    await waitFor('the file watcher to refresh the view', () => a.runs.changes() > before, 20_000);
    const estimated = await item(run());
    assert.equal(estimated.state, 'estimated');
    assert.equal(estimated.contextValue, 'lsmi.run.estimated');
    assert.equal(estimated.command?.command, 'lsmi.openResults');
    data = await readResults(results());
    const tip = await a.runs.tooltip(estimated);
    assert.match(tip, /N = 2,000, 10 classes/);
    const d = data.meta.dataset.adjusted;
    for (const v of [d.R, d.U1, d.U2, d.S]) assert.ok(tip.includes(`| ${f4(v)} `), `${f4(v)} in ${tip}`);
    assert.ok(Math.abs(d.R - result.dataset.adjusted.R) < 1e-12);

    const st = fs.statSync(run());
    try {
      const later = new Date(Date.now() + 60_000);
      fs.utimesSync(run(), later, later);
      a.runs.refresh();
      // staleness is by content (test/host/staleness.test.ts changes the content): a newer mtime only makes the view hash the run
      const touched = await item(run());
      assert.equal(touched.state, 'estimated', touched.staleReason);
      assert.equal(touched.contextValue, 'lsmi.run.estimated');
    } finally {
      fs.utimesSync(run(), st.atime, st.mtime);
    }
    assert.equal((await item(run())).state, 'estimated', 'the old mtime back: estimated again');
  });

  test('Inspect Sample with a results file and a sample id reveals the sample in the results panel', async function () {
    this.timeout(60_000);
    const a = await api();
    assert.ok(data, 'estimated by the previous test');
    const id = 'fmnist-test-01234';
    const result = await vscode.commands.executeCommand<InspectSampleResult>('lsmi.inspectSample', vscode.Uri.file(results()), id);
    assert.ok(result?.ok, JSON.stringify(result));
    assert.equal(result.file, results());
    assert.equal(result.row, data.sampleIds.indexOf(id));
    assert.equal(result.id, id);
    assert.ok(a.openResultsPanels().includes(results()));
    await waitFor('the results panel tab', () =>
      vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.label === 'LSMI Results: fmnist-early-fusion' && t.input instanceof vscode.TabInputWebview),
    );
    // the run file stands for its results
    const byRun = await vscode.commands.executeCommand<InspectSampleResult>('lsmi.inspectSample', vscode.Uri.file(run()), 'fmnist-test-00007');
    assert.ok(byRun?.ok && byRun.file === results() && byRun.row === data.sampleIds.indexOf('fmnist-test-00007'), JSON.stringify(byRun));
    const missing = await vscode.commands.executeCommand<InspectSampleResult>('lsmi.inspectSample', vscode.Uri.file(results()), 'no-such-sample');
    assert.ok(missing && !missing.ok);
    assert.equal(missing.error.code, 'NOT_FOUND');
    const notEstimated = await vscode.commands.executeCommand<InspectSampleResult>(
      'lsmi.inspectSample',
      vscode.Uri.file(path.join(root(), 'circuits', 'xor_not_b.arrow')),
      'x',
    );
    assert.ok(notEstimated && !notEstimated.ok);
    assert.equal(notEstimated.error.code, 'NOT_FOUND');
  });

  test("Inspect Sample's list: the most synergistic first, and searching 100,000 ids stays fast", async () => {
    const { sampleItems } = await import('../../src/extension/inspectSample');
    assert.ok(data);
    const small = sampleItems(data, '');
    assert.equal(small.length, 2000, 'a small run lists all its samples');
    for (let k = 1; k < small.length; k++) assert.ok(data.columns.s[small[k - 1].row] >= data.columns.s[small[k].row]);
    assert.equal(small[0].label, data.sampleIds[small[0].row]);
    assert.ok(small[0].description!.includes(`s ${f4(data.columns.s[small[0].row])}`), small[0].description);

    const n = 100_000;
    const big = {
      ...data,
      sampleIds: Array.from({ length: n }, (_, i) => `sample-${String(i).padStart(6, '0')}`),
      labels: Int32Array.from({ length: n }, (_, i) => i % 10),
      columns: { ...data.columns, s: Float64Array.from({ length: n }, (_, i) => Math.sin(i)), r: new Float64Array(n), u1: new Float64Array(n), u2: new Float64Array(n) },
    } as ResultsData;
    let t0 = performance.now();
    const top = sampleItems(big, '');
    const first = performance.now() - t0;
    assert.equal(top.length, 200);
    const maxS = big.columns.s.reduce((m, v) => Math.max(m, v), -Infinity);
    assert.equal(big.columns.s[top[0].row], maxS);
    t0 = performance.now();
    const found = sampleItems(big, 'sample-0999');
    const search = performance.now() - t0;
    assert.equal(found.length, 100);
    assert.ok(found.every((i) => i.label.startsWith('sample-0999')));
    const cls = sampleItems(big, data.meta.run.classNames[3].toLowerCase());
    assert.equal(cls.length, 200);
    assert.ok(cls.every((i) => big.labels[i.row] === 3));
    console.log(`      1e5 samples: top 200 in ${first.toFixed(0)} ms (sorting included), a search in ${search.toFixed(1)} ms`);
    assert.ok(first < 1000 && search < 200, `${first} ms, ${search} ms`);
  });

  test('the status bar shows the interactions of an opened sample file, and hides for other files', async function () {
    this.timeout(60_000);
    const a = await api();
    assert.ok(data);
    const id = 'fmnist-test-00042';
    const row = data.sampleIds.indexOf(id);
    const c = data.columns;
    const top = path.join(root(), 'fashion-mnist', 'samples', 'top', `${id}.png`);
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(top));
    const info = await waitFor('the status bar item for the top-half image', () => {
      const i = a.sampleStatus.current();
      return i?.file === top && i;
    });
    assert.equal(info.resultsFile, results(), 'the most recently estimated run of the sample');
    assert.equal(info.row, row);
    assert.equal(info.which, 1);
    assert.equal(info.text, `$(beaker) LSMI r ${f2(c.r[row])} · u1 ${f2(c.u1[row])} · u2 ${f2(c.u2[row])} · s ${f2(c.s[row])}`);
    for (const v of [c.r[row], c.u1[row], c.u2[row], c.s[row], c.i1[row], c.i2[row], c.i12[row]]) assert.ok(info.tooltip.includes(f4(v)), `${f4(v)} in ${info.tooltip}`);
    assert.ok(info.tooltip.includes('fmnist\\-test\\-00042'), info.tooltip);
    assert.ok(info.tooltip.includes(data.meta.run.classNames[data.labels[row]]), 'the class name');
    assert.ok(info.tooltip.includes('top half'), 'the modality');
    assert.ok(info.tooltip.includes('command:lsmi.revealSample?'), 'the reveal link');
    assert.match(info.accessibilityLabel, /synergy/);

    const bottom = path.join(root(), 'fashion-mnist', 'samples', 'bottom', 'fmnist-test-00007.png');
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(bottom));
    const info2 = await waitFor('the status bar item for the bottom-half image', () => {
      const i = a.sampleStatus.current();
      return i?.file === bottom && i;
    });
    assert.equal(info2.which, 2);
    assert.equal(info2.row, data.sampleIds.indexOf('fmnist-test-00007'));
    assert.ok(info2.tooltip.includes('bottom half'));

    // its click: reveal the sample in the results panel
    const shown = await vscode.commands.executeCommand<OpenResultsResult>('lsmi.revealSample', info2.resultsFile, info2.row);
    assert.ok(shown?.ok && shown.file === results(), JSON.stringify(shown));

    // back to a sample file, then to a file that is no sample's: the item hides
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(top));
    await waitFor('the status bar item for the top-half image again', () => a.sampleStatus.current()?.file === top);
    const unrelated = path.join(root(), 'README.md');
    await vscode.window.showTextDocument(vscode.Uri.file(unrelated));
    assert.equal(vscode.window.tabGroups.activeTabGroup.activeTab?.label, 'README.md');
    await waitFor('the status bar item to hide', () => a.sampleStatus.current() === undefined);
  });

  test('hovering a sample id in a CSV shows its interactions', async function () {
    this.timeout(60_000);
    assert.ok(data);
    const csv = path.join(root(), 'fashion-mnist', 'captions.csv');
    fs.writeFileSync(csv, 'sample_id,caption\nfmnist-test-00042,a dress seen in two halves\n');
    try {
      const uri = vscode.Uri.file(csv);
      await vscode.window.showTextDocument(uri);
      const hoverText = async (line: number, character: number) => {
        const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(line, character));
        return hovers
          .flatMap((h) => h.contents)
          .map((m) => (typeof m === 'string' ? m : m.value))
          .filter((s) => s.includes('LSMI'))
          .join('\n');
      };
      const row = data.sampleIds.indexOf('fmnist-test-00042');
      const c = data.columns;
      const text = await waitFor('the LSMI hover', () => hoverText(1, 8));
      for (const v of [c.r[row], c.u1[row], c.u2[row], c.s[row], c.i1[row], c.i2[row], c.i12[row]]) assert.ok(text.includes(f4(v)), `${f4(v)} in ${text}`);
      assert.ok(text.includes(data.meta.run.classNames[data.labels[row]]), 'the class');
      assert.ok(text.includes('fmnist\\-early\\-fusion'), 'the run');
      assert.ok(text.includes(`command:lsmi.revealSample?${encodeURIComponent(JSON.stringify([results(), row]))}`), text);
      assert.equal(await hoverText(1, 22), '', 'no LSMI hover on words that are not sample ids');
      assert.equal(await hoverText(0, 3), '', 'nor on the header');
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
      fs.rmSync(csv, { force: true });
    }
  });
});
