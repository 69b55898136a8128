import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LsmiExtensionApi } from '../../src/extension/extension';
import type { EstimateCommandResult } from '../../src/extension/estimate';
import type { OpenResultsResult } from '../../src/extension/panels/resultsPanel';
import type { InspectResult } from '../../src/extension/panels/runPanel';
import { EXTENSION_ID, waitFor, workspaceRoot } from './util';

suite('LSMI Explorer in a real extension host', () => {
  test('activates by itself in a workspace that contains run files', async () => {
    const ext = vscode.extensions.getExtension<LsmiExtensionApi>(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} not found`);
    await waitFor('activation (workspaceContains:**/*.{arrow,feather,npz})', () => ext.isActive);
    console.log(`    vscode ${vscode.version}, appHost=${vscode.env.appHost}, node ${process.version}`);
  });

  test('runs the copy of the extension the suite was started with (the installed .vsix in CI)', function () {
    // set by test/harness/run-host-tests.mjs; absent under @vscode/test-electron (npm run test-electron)
    const from = process.env.LSMI_TEST_FROM;
    const expected = process.env.LSMI_TEST_EXTENSION_ROOT;
    if (!from || !expected) return this.skip();
    const ext = vscode.extensions.getExtension<LsmiExtensionApi>(EXTENSION_ID)!;
    const where = fs.realpathSync(ext.extensionPath);
    const root = fs.realpathSync(expected);
    const pkg = ext.packageJSON as { name: string; publisher: string; version: string };
    console.log(`    ${EXTENSION_ID} ${pkg.version} from ${from === 'vsix' ? 'the installed .vsix' : 'the working tree'}: ${where}`);
    if (from === 'vsix') {
      // code-server --install-extension unpacked it into <extensions dir>/<publisher>.<name>-<version>
      assert.equal(path.dirname(where), root, `${where} is not inside the extensions folder ${root}`);
      assert.equal(path.basename(where), `${pkg.publisher}.${pkg.name}-${pkg.version}`);
      // what the package carries (.vscodeignore), not the repository: no sources, tests or node_modules
      for (const f of ['src', 'out', 'test', 'node_modules', 'tsconfig.json']) assert.ok(!fs.existsSync(path.join(where, f)), `${f} in the installed extension`);
      assert.ok(fs.existsSync(path.join(where, 'dist', 'extension.js')));
    } else {
      assert.equal(from, 'tree');
      assert.equal(where, root, 'the development folder');
    }
  });

  test('contributes its commands', async () => {
    const commands = await vscode.commands.getCommands(true);
    for (const c of ['lsmi.inspectRun', 'lsmi.estimate', 'lsmi.openResults']) assert.ok(commands.includes(c), c);
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

  // fast settings for the circuit runs, which have no logits (probes are trained)
  const FAST = { folds: 2, mlp: { epochs: 1 }, em: { maxIter: 20 } };

  test('Estimate Interactions writes the results file and opens the results panel', async function () {
    this.timeout(120_000);
    const file = path.join(workspaceRoot(), 'circuits', 'xor.arrow');
    const out = path.join(workspaceRoot(), 'circuits', 'xor.lsmi.arrow');
    fs.rmSync(out, { force: true });
    const result = await vscode.commands.executeCommand<EstimateCommandResult>('lsmi.estimate', vscode.Uri.file(file), { preset: 'defaults', settings: FAST });
    assert.ok(result?.ok, JSON.stringify(result));
    assert.equal(result.out, out);
    assert.equal(result.reused, false);
    assert.ok(fs.existsSync(out), 'the results file exists');
    const d = result.dataset.adjusted;
    for (const k of ['R', 'U1', 'U2', 'S'] as const) assert.ok(Number.isFinite(d[k]), `${k} = ${d[k]}`);
    assert.ok(d.S > d.R, `xor is synergistic: ${JSON.stringify(d)}`);
    const api = vscode.extensions.getExtension<LsmiExtensionApi>(EXTENSION_ID)!.exports;
    assert.ok(api.openResultsPanels().includes(out));
    await waitFor('the results panel tab', () =>
      vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.label === 'LSMI Results: xor' && t.input instanceof vscode.TabInputWebview),
    );
    // the same settings again: the results are reused, not recomputed
    const again = await vscode.commands.executeCommand<EstimateCommandResult>('lsmi.estimate', vscode.Uri.file(file), { preset: 'defaults', settings: FAST, open: false });
    assert.ok(again?.ok && again.reused, JSON.stringify(again));
  });

  test('Open Results opens the panel for a results file and for a run file', async () => {
    const out = path.join(workspaceRoot(), 'circuits', 'xor.lsmi.arrow');
    assert.ok(fs.existsSync(out), 'written by the previous test');
    const byResults = await vscode.commands.executeCommand<OpenResultsResult>('lsmi.openResults', vscode.Uri.file(out));
    assert.ok(byResults?.ok, JSON.stringify(byResults));
    assert.equal(byResults.n, 4000);
    const byRun = await vscode.commands.executeCommand<OpenResultsResult>('lsmi.openResults', vscode.Uri.file(path.join(workspaceRoot(), 'circuits', 'xor.arrow')));
    assert.ok(byRun?.ok && byRun.file === out, JSON.stringify(byRun));
    const missing = await vscode.commands.executeCommand<OpenResultsResult>('lsmi.openResults', vscode.Uri.file(path.join(workspaceRoot(), 'circuits', 'or.arrow')));
    assert.ok(missing && !missing.ok);
    assert.equal(missing.error.code, 'NOT_FOUND');
  });

  test('a bad run gives { ok: false } with its code and writes no results', async () => {
    const bad = path.join(workspaceRoot(), 'not-a-run-either.arrow');
    const out = path.join(workspaceRoot(), 'not-a-run-either.lsmi.arrow');
    fs.writeFileSync(bad, 'sample_id,label\na,1\n');
    try {
      const result = await vscode.commands.executeCommand<EstimateCommandResult>('lsmi.estimate', vscode.Uri.file(bad), { preset: 'defaults', settings: FAST });
      assert.ok(result && !result.ok, JSON.stringify(result));
      assert.equal(result.error.code, 'NOT_ARROW');
      assert.match(result.error.message, /not-a-run-either\.arrow: not an Arrow IPC file/);
      assert.ok(!fs.existsSync(out), 'no results file');
      assert.deepEqual(fs.readdirSync(workspaceRoot()).filter((f) => f.endsWith('.tmp')), [], 'no temporary files');
    } finally {
      fs.rmSync(bad, { force: true });
    }
  });

  test('invalid settings give BAD_SETTINGS, an unknown preset too', async () => {
    const file = vscode.Uri.file(path.join(workspaceRoot(), 'circuits', 'or.arrow'));
    const bad = await vscode.commands.executeCommand<EstimateCommandResult>('lsmi.estimate', file, { preset: 'defaults', settings: { covariance: 'banana' } });
    assert.ok(bad && !bad.ok, JSON.stringify(bad));
    assert.equal(bad.error.code, 'BAD_SETTINGS');
    const unknown = await vscode.commands.executeCommand<EstimateCommandResult>('lsmi.estimate', file, { preset: 'nope' });
    assert.ok(unknown && !unknown.ok);
    assert.equal(unknown.error.code, 'BAD_SETTINGS');
    assert.ok(!fs.existsSync(path.join(workspaceRoot(), 'circuits', 'or.lsmi.arrow')));
  });

  test('cancelling an estimation leaves no results file', async function () {
    this.timeout(120_000);
    // a slow setting (KNIFE with many epochs) so the cancellation lands mid-run
    const file = vscode.Uri.file(path.join(workspaceRoot(), 'circuits', 'xor_not_a.arrow'));
    const out = path.join(workspaceRoot(), 'circuits', 'xor_not_a.lsmi.arrow');
    const pending = vscode.commands.executeCommand<EstimateCommandResult>('lsmi.estimate', file, {
      preset: 'defaults',
      settings: { mode: 'knife', knife: { epochs: 500 } },
      open: false,
    });
    // LSMI: Cancel Estimation, the command behind the notification's Cancel, 1.5 s into the run
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.deepEqual(await vscode.commands.executeCommand<string[]>('lsmi.cancelEstimation', file), [file.fsPath], 'cancelled the running estimation');
    const result = await pending;
    assert.ok(result && !result.ok, JSON.stringify(result));
    assert.equal(result.error.code, 'CANCELLED');
    assert.ok(!fs.existsSync(out), 'no results file');
    assert.deepEqual(fs.readdirSync(path.dirname(out)).filter((f) => f.endsWith('.tmp')), [], 'no temporary files');
  });

  test('the lsmi.estimator settings are the defaults of Estimate Interactions', async function () {
    this.timeout(120_000);
    const config = vscode.workspace.getConfiguration('lsmi.estimator');
    await config.update('components', 3, vscode.ConfigurationTarget.Workspace);
    await config.update('probe', 'lda', vscode.ConfigurationTarget.Workspace);
    await config.update('calibrate', 'none', vscode.ConfigurationTarget.Workspace);
    try {
      const file = vscode.Uri.file(path.join(workspaceRoot(), 'circuits', 'or.arrow'));
      const result = await vscode.commands.executeCommand<EstimateCommandResult>('lsmi.estimate', file, { preset: 'defaults', settings: FAST, open: false });
      assert.ok(result?.ok, JSON.stringify(result));
      const { readResults } = await import('../../src/engine/io/results');
      const data = await readResults(result.out);
      assert.equal(data.meta.settings.components, 3);
      assert.equal(data.meta.settings.folds, 2);
      assert.equal(data.meta.settings.probe, 'lda');
      assert.equal(data.meta.settings.calibrate, 'none');
      for (const h of ['1', '2', '12'] as const) {
        assert.equal(data.meta.heads[h].family, 'lda');
        assert.equal(data.meta.heads[h].calibration?.method, 'none');
      }
    } finally {
      for (const key of ['components', 'probe', 'calibrate']) await config.update(key, undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  test('lsmi.estimator.replicates reaches the engine: per-sample stability in the results; out of range is BAD_SETTINGS', async function () {
    this.timeout(180_000);
    const config = vscode.workspace.getConfiguration('lsmi.estimator');
    const file = vscode.Uri.file(path.join(workspaceRoot(), 'circuits', 'or.arrow'));
    await config.update('replicates', 1, vscode.ConfigurationTarget.Workspace);
    try {
      const result = await vscode.commands.executeCommand<EstimateCommandResult>('lsmi.estimate', file, { preset: 'defaults', settings: FAST, open: false });
      assert.ok(result?.ok, JSON.stringify(result));
      assert.equal(result.reused, false, 'replicates change the settings: estimated again');
      const { readResults, STABILITY_COLUMNS } = await import('../../src/engine/io/results');
      const data = await readResults(result.out);
      assert.equal(data.meta.settings.replicates, 1);
      assert.equal(data.meta.stability?.replicates, 1);
      assert.equal(data.meta.stability?.seeds.length, 1);
      assert.ok(data.stability, 'the results carry r_sd ... s_sd');
      for (const c of STABILITY_COLUMNS) {
        assert.equal(data.stability[c].length, data.meta.run.n);
        assert.ok(data.stability[c].every((v) => Number.isFinite(v) && v >= 0), `${c} is a standard deviation`);
      }
      // the engine's validation table bounds it (0..100): reported at once, naming the setting
      await config.update('replicates', 101, vscode.ConfigurationTarget.Workspace);
      const bad = await vscode.commands.executeCommand<EstimateCommandResult>('lsmi.estimate', file, { preset: 'defaults', settings: FAST, open: false });
      assert.ok(bad && !bad.ok, JSON.stringify(bad));
      assert.equal(bad.error.code, 'BAD_SETTINGS');
      assert.match(bad.error.message, /replicates/);
      assert.match(bad.error.message, /Check the lsmi\.estimator settings/);
    } finally {
      await config.update('replicates', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});
