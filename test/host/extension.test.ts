import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LsmiExtensionApi } from '../../src/extension/extension';
import type { InspectResult } from '../../src/extension/panels/runPanel';

const EXTENSION_ID = 'lsmi-explorer.lsmi-explorer';

async function waitFor<T>(what: string, fn: () => T | undefined | false, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function workspaceRoot(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the tests run in the example workspace');
  return folder.uri.fsPath;
}

suite('LSMI Explorer in a real extension host', () => {
  test('activates by itself in a workspace that contains run files', async () => {
    const ext = vscode.extensions.getExtension<LsmiExtensionApi>(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} not found`);
    await waitFor('activation (workspaceContains:**/*.{arrow,feather,npz})', () => ext.isActive);
    console.log(`    vscode ${vscode.version}, appHost=${vscode.env.appHost}, node ${process.version}`);
  });

  test('contributes its commands', async () => {
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes('lsmi.inspectRun'));
  });

  test('Inspect Run File reads the example run and opens its panel', async () => {
    const file = path.join(workspaceRoot(), 'fashion-mnist', 'fmnist-late-fusion.arrow');
    const result = await vscode.commands.executeCommand<InspectResult>('lsmi.inspectRun', vscode.Uri.file(file));
    assert.ok(result?.ok, JSON.stringify(result));
    assert.equal(result.summary.n, 2000);
    assert.equal(result.summary.nClasses, 10);
    assert.deepEqual(result.summary.modalityNames, ['top half', 'bottom half']);
    assert.equal(result.summary.heads.length, 3);
    assert.equal(result.summary.pathCounts[1], 2000);
    const api = vscode.extensions.getExtension<LsmiExtensionApi>(EXTENSION_ID)!.exports;
    assert.ok(api.openRunPanels().includes(file));
    await waitFor('the panel tab', () =>
      vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.label === 'LSMI: fmnist-late-fusion.arrow' && t.input instanceof vscode.TabInputWebview),
    );
  });

  test('reads the circuit runs (no logits, split column)', async () => {
    const file = path.join(workspaceRoot(), 'circuits', 'xor.arrow');
    const result = await vscode.commands.executeCommand<InspectResult>('lsmi.inspectRun', vscode.Uri.file(file));
    assert.ok(result?.ok, JSON.stringify(result));
    assert.deepEqual(result.summary.missingHeads, ['1', '2', '12']);
    assert.ok(result.summary.splitCounts!.train > 0);
  });

  test('a malformed run gives a clear error, and the extension keeps working', async () => {
    const bad = path.join(workspaceRoot(), 'not-a-run.arrow');
    fs.writeFileSync(bad, 'sample_id,label\na,1\n');
    try {
      const result = await vscode.commands.executeCommand<InspectResult>('lsmi.inspectRun', vscode.Uri.file(bad));
      assert.ok(result && !result.ok);
      assert.equal(result.error.code, 'NOT_ARROW');
      assert.match(result.error.message, /not-a-run\.arrow: not an Arrow IPC file/);
      assert.equal(fs.readFileSync(bad, 'utf8'), 'sample_id,label\na,1\n', 'the bad file is left as it was');
      const again = await vscode.commands.executeCommand<InspectResult>(
        'lsmi.inspectRun',
        vscode.Uri.file(path.join(workspaceRoot(), 'circuits', 'or.arrow')),
      );
      assert.ok(again?.ok, 'the extension still works after an error');
    } finally {
      fs.rmSync(bad, { force: true });
    }
  });

  test('the lsmi.columns setting maps column names', async () => {
    const config = vscode.workspace.getConfiguration('lsmi');
    await config.update('columns', { emb_1: 'emb_2', emb_2: 'emb_1' }, vscode.ConfigurationTarget.Workspace);
    try {
      const file = path.join(workspaceRoot(), 'circuits', 'xor_not_b.arrow');
      const result = await vscode.commands.executeCommand<InspectResult>('lsmi.inspectRun', vscode.Uri.file(file));
      assert.ok(result?.ok, JSON.stringify(result));
      assert.deepEqual(result.summary.dims, [4, 2], 'xor_not_b has d1 = 2, d2 = 4; mapped they swap');
    } finally {
      await config.update('columns', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});
