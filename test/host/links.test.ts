/**
 * Links from samples to their files, in a real extension host: relative paths open in an editor;
 * paths that escape the workspace and the run's folder (directly, or through a symlink) are refused
 * with a message; Inspect Sample / revealSample open the results panel on the sample.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readResults, writeResults } from '../../src/engine/io/results';
import type { EstimateCommandResult } from '../../src/extension/estimate';
import { IMAGE_VIEW_TYPE, zoomFor } from '../../src/extension/imageViewer';
import type { OpenSampleFileResult } from '../../src/extension/sampleCommands';
import { waitFor, workspaceRoot } from './util';

function activeTabPath(): string | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  return input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom ? input.uri.fsPath : undefined;
}

suite('Links to sample files', () => {
  let results: string;

  suiteSetup(async function () {
    this.timeout(120_000);
    const run = path.join(workspaceRoot(), 'fashion-mnist', 'fmnist-late-fusion.arrow');
    const r = await vscode.commands.executeCommand<EstimateCommandResult>('lsmi.estimate', vscode.Uri.file(run), { preset: 'defaults', open: false });
    assert.ok(r?.ok, JSON.stringify(r));
    results = r.out;
  });

  test('the results file carries path_1 / path_2 from the run', async () => {
    const data = await readResults(results);
    assert.equal(data.paths1?.[1592], 'samples/top/fmnist-test-01592.png');
    assert.equal(data.paths2?.[1592], 'samples/bottom/fmnist-test-01592.png');
  });

  test('opens a sample file resolved relative to the run file', async () => {
    const r = await vscode.commands.executeCommand<OpenSampleFileResult>('lsmi.openSampleFile', vscode.Uri.file(results), 1592, 2);
    assert.ok(r?.ok, JSON.stringify(r));
    const want = fs.realpathSync(path.join(workspaceRoot(), 'fashion-mnist', 'samples', 'bottom', 'fmnist-test-01592.png'));
    assert.equal(r.path, want);
    // a 28 × 14 px image: opened scaled up (VS Code's own preview would show it at 1×), in the same group (no new split)
    await waitFor('the scaled-up image in the active tab', () => {
      const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
      return tab?.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith(IMAGE_VIEW_TYPE) && tab.label === path.basename(want);
    });
    assert.equal(vscode.window.tabGroups.all.length, 1, 'no new editor group');
    assert.equal(zoomFor(28, 14), 16);
    assert.equal(zoomFor(300, 20), 1, 'a large image opens in VS Code\'s preview');
  });

  test('a sample file that is not a small image opens in its VS Code editor', async () => {
    const data = await readResults(results);
    const dir = path.join(workspaceRoot(), 'fashion-mnist');
    const big = path.join(dir, 'big-sample.txt');
    fs.writeFileSync(big, 'a caption\n');
    data.paths1![7] = 'big-sample.txt';
    const other = path.join(dir, 'links-text.lsmi.arrow');
    await writeResults(other, data);
    try {
      const r = await vscode.commands.executeCommand<OpenSampleFileResult>('lsmi.openSampleFile', vscode.Uri.file(other), 7, 1);
      assert.ok(r?.ok, JSON.stringify(r));
      await waitFor('the text file in the active tab', () => activeTabPath() === fs.realpathSync(big));
    } finally {
      fs.rmSync(other, { force: true });
      fs.rmSync(big, { force: true });
    }
  });

  test('refuses paths that escape the workspace and the run folder, also through a symlink', async () => {
    // a real results file whose paths point outside: ../../.., an absolute path, a symlink to /
    const data = await readResults(results);
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'lsmi-outside-'));
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'not yours');
    const dir = path.join(workspaceRoot(), 'fashion-mnist');
    const link = path.join(dir, 'sneaky-link');
    fs.rmSync(link, { force: true });
    fs.symlinkSync(outside, link);
    const rel = path.relative(dir, path.join(outside, 'secret.txt'));
    assert.ok(rel.startsWith('..'), rel);
    data.paths1 = data.sampleIds.map(() => null);
    data.paths1[0] = rel;
    data.paths1[1] = path.join(outside, 'secret.txt');
    data.paths1[2] = 'sneaky-link/secret.txt';
    data.paths1[3] = 'samples/top/fmnist-test-00003.png';
    const bad = path.join(dir, 'escaping.lsmi.arrow');
    await writeResults(bad, data);
    try {
      for (const row of [0, 1, 2]) {
        const r = await vscode.commands.executeCommand<OpenSampleFileResult>('lsmi.openSampleFile', vscode.Uri.file(bad), row, 1);
        assert.ok(r && !r.ok, `row ${row} must be refused: ${JSON.stringify(r)}`);
        assert.equal(r.error.code, 'PATH_OUTSIDE', r.error.message);
        assert.match(r.error.message, /outside the workspace and the run's folder/);
        assert.notEqual(activeTabPath(), path.join(outside, 'secret.txt'));
      }
      // a sample without a file, a missing file, and a good one in the same results
      const none = await vscode.commands.executeCommand<OpenSampleFileResult>('lsmi.openSampleFile', vscode.Uri.file(bad), 4, 1);
      assert.ok(none && !none.ok && none.error.code === 'NO_PATH', JSON.stringify(none));
      const good = await vscode.commands.executeCommand<OpenSampleFileResult>('lsmi.openSampleFile', vscode.Uri.file(bad), 3, 1);
      assert.ok(good?.ok, JSON.stringify(good));
      const noRow = await vscode.commands.executeCommand<OpenSampleFileResult>('lsmi.openSampleFile', vscode.Uri.file(bad), 99_999, 1);
      assert.ok(noRow && !noRow.ok && noRow.error.code === 'BAD_ROW', JSON.stringify(noRow));
    } finally {
      fs.rmSync(bad, { force: true });
      fs.rmSync(link, { force: true });
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });
});
