/**
 * Staleness by content in a real extension host (docs/results-format.md; src/engine/staleness.ts): a copied workspace (`cp -r`, rsync, a
 * clone) whose runs land a fraction of a millisecond after their results is not stale; estimating
 * again reuses the results and the status bar says "reused"; a run whose content changed is stale;
 * table exports are proposed in the same `lsmi-exports` folder as partitions.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LsmiExtensionApi } from '../../src/extension/extension';
import type { EstimateCommandResult } from '../../src/extension/estimate';
import { exportDir, proposedExportFile } from '../../src/extension/exports';
import type { RunTreeItem } from '../../src/extension/runsTree';
import { EXTENSION_ID, workspaceRoot } from './util';

const FAST = { folds: 2, mlp: { epochs: 1 }, em: { maxIter: 20 } };

async function api(): Promise<LsmiExtensionApi> {
  const ext = vscode.extensions.getExtension<LsmiExtensionApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} not found`);
  return ext.isActive ? ext.exports : ext.activate();
}

/** Sets a file's mtime to `ms` (milliseconds since the epoch, sub-millisecond parts kept). */
const setMtime = (file: string, ms: number) => fs.utimesSync(file, ms / 1000, ms / 1000);

suite('Staleness by content: a copied workspace', () => {
  const src = () => path.join(workspaceRoot(), 'stale-src');
  const copy = () => path.join(workspaceRoot(), 'stale-copy');
  const run = (dir: string) => path.join(dir, 'or.arrow');
  const results = (dir: string) => path.join(dir, 'or.lsmi.arrow');

  async function state(file: string): Promise<RunTreeItem> {
    const a = await api();
    a.runs.refresh();
    const items = await a.runs.items();
    const it = items.find((i) => i.resourceUri.fsPath === file);
    assert.ok(it, `${file} in ${items.map((i) => i.resourceUri.fsPath).join(', ')}`);
    return it;
  }

  suiteSetup(async function () {
    this.timeout(120_000);
    for (const d of [src(), copy()]) fs.rmSync(d, { recursive: true, force: true });
    fs.mkdirSync(src());
    fs.copyFileSync(path.join(workspaceRoot(), 'circuits', 'or.arrow'), run(src()));
    const r = await vscode.commands.executeCommand<EstimateCommandResult>('lsmi.estimate', vscode.Uri.file(run(src())), { preset: 'defaults', settings: FAST, open: false });
    assert.ok(r?.ok && !r.reused, JSON.stringify(r));
  });

  suiteTeardown(async () => {
    for (const d of [src(), copy()]) fs.rmSync(d, { recursive: true, force: true });
    (await api()).runs.refresh();
  });

  test('after a copy with preserved but sub-millisecond-different mtimes the results are not stale; estimating again says "reused"', async function () {
    this.timeout(60_000);
    fs.cpSync(src(), copy(), { recursive: true, preserveTimestamps: true });
    // as a copy lands them: the run 0.7 ms after its results
    setMtime(run(copy()), fs.statSync(results(copy())).mtimeMs + 0.7);
    const [r, o] = [fs.statSync(run(copy())), fs.statSync(results(copy()))];
    assert.ok(r.mtimeMs > o.mtimeMs && r.mtimeMs - o.mtimeMs < 1, `run ${r.mtimeMs}, results ${o.mtimeMs}`);
    const item = await state(run(copy()));
    assert.equal(item.state, 'estimated', item.staleReason);
    assert.equal(item.contextValue, 'lsmi.run.estimated');
    assert.equal(item.staleReason, undefined);

    const again = await vscode.commands.executeCommand<EstimateCommandResult>('lsmi.estimate', vscode.Uri.file(run(copy())), { preset: 'defaults', settings: FAST, open: false });
    assert.ok(again?.ok && again.reused, JSON.stringify(again));
    const status = (await api()).backendStatus();
    assert.match(status.text, /^\$\(check\) LSMI: reused \(\w[\w-]*\)$/, status.text);
    assert.match(status.message, /^LSMI: or\.arrow: results reused \(computed earlier on \w[\w-]*\)$/, status.message);
    assert.doesNotMatch(status.message, /^LSMI: or\.arrow computed on/);
    assert.match(status.tooltip, /Reused results were computed on/);
    // the reuse marked the results current: the run is no longer newer than them
    assert.ok(fs.statSync(results(copy())).mtimeMs >= fs.statSync(run(copy())).mtimeMs);
    assert.equal((await state(run(copy()))).state, 'estimated');
  });

  test('a copy without preserved mtimes (cp -r): not stale either', async () => {
    const plain = path.join(workspaceRoot(), 'stale-copy', 'plain');
    fs.cpSync(src(), plain, { recursive: true });
    setMtime(run(plain), fs.statSync(results(plain)).mtimeMs + 5_000);
    assert.equal((await state(run(plain))).state, 'estimated');
  });

  test('a run whose content changed is stale (the mtime alone does not decide); its old content back makes it current again', async () => {
    const file = run(copy());
    const original = fs.readFileSync(file);
    const st = fs.statSync(file);
    const changed = Buffer.from(original);
    changed[Math.floor(changed.length / 2)] ^= 0xff;
    try {
      fs.writeFileSync(file, changed);
      setMtime(file, fs.statSync(results(copy())).mtimeMs + 1_000);
      const stale = await state(file);
      assert.equal(stale.state, 'stale');
      assert.equal(stale.contextValue, 'lsmi.run.stale');
      assert.match(stale.staleReason ?? '', /content changed after its results were written/);
      assert.match(await (await api()).runs.tooltip(stale), /Stale/);
    } finally {
      fs.writeFileSync(file, original);
      fs.utimesSync(file, st.atime, new Date(fs.statSync(results(copy())).mtimeMs + 2_000));
    }
    assert.equal((await state(file)).state, 'estimated', 'the same content with a newer mtime is current');
  });

  test('table exports are proposed in lsmi-exports beside the results, where partitions go', async () => {
    const dir = exportDir(results(copy()));
    assert.equal(dir, path.join(copy(), 'lsmi-exports'));
    fs.rmSync(dir, { recursive: true, force: true });
    const p = await proposedExportFile(path.join(dir, 'or-samples.csv'), 'arrow');
    assert.deepEqual(p, { file: path.join(dir, 'or-samples.arrow'), created: true });
    assert.ok(fs.statSync(dir).isDirectory(), 'created, so the save dialog opens in it');
    assert.deepEqual(await proposedExportFile(path.join(dir, 'or-samples.csv'), 'csv'), { file: path.join(dir, 'or-samples.csv'), created: false });
  });
});
