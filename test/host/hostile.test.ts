/**
 * Hostile files cannot freeze the editor (docs/run-format.md#limits): a crafted results file in the opened folder
 * (its footer's record-batch block points at the schema message, which made apache-arrow's reader
 * loop forever inside the extension host) is refused with a clear error by Open Results, and
 * opening a sample file it lists (which makes the status bar look it up) leaves the host
 * responsive: its event loop keeps ticking while the file is read, off the host's thread.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tableFromIPC, tableToIPC } from 'apache-arrow';
import { Footer } from 'apache-arrow/fb/footer';
import { ByteBuffer } from 'flatbuffers';
import * as vscode from 'vscode';
import { writeResults } from '../../src/engine/io/results';
import type { LsmiExtensionApi } from '../../src/extension/extension';
import type { OpenResultsResult } from '../../src/extension/panels/resultsPanel';
import { smallResults } from '../engine/results-fixtures';
import { EXTENSION_ID, waitFor, workspaceRoot } from './util';

/**
 * A results file whose footer's record-batch block points at a schema message: the valid file's
 * messages re-written in the stream format (schema first, then the batch), its footer kept, and
 * the footer's block (offset 8) widened to the schema message. apache-arrow's reader loops forever
 * on such a file; pyarrow says "Header-type of flatbuffer-encoded Message is not RecordBatch".
 */
function blockAtSchema(good: Buffer): Buffer {
  const stream = Buffer.from(tableToIPC(tableFromIPC(good), 'stream'));
  const schemaMessage = 8 + stream.readInt32LE(4); // continuation, length, metadata
  const footerLength = good.readInt32LE(good.length - 10);
  const tail = Buffer.from(good.subarray(good.length - 10 - footerLength));
  const footer = tail.subarray(0, footerLength);
  const block = Footer.getRootAsFooter(new ByteBuffer(new Uint8Array(footer.buffer, footer.byteOffset, footerLength))).recordBatches(0)!;
  assert.equal(block.offset(), 8n, 'apache-arrow writes the first batch at byte 8');
  footer.writeInt32LE(schemaMessage, block.bb_pos + 8); // metaDataLength
  footer.writeBigInt64LE(0n, block.bb_pos + 16); // bodyLength
  return Buffer.concat([good.subarray(0, 8), stream.subarray(0, stream.length - 8), tail]);
}

/** Runs `fn` while measuring the longest gap between ticks of a 10 ms timer on this (the host's) thread. */
async function longestStall<T>(fn: () => Promise<T>): Promise<{ value: T; stallMs: number }> {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 10);
  try {
    const value = await fn();
    return { value, stallMs: Math.max(worst, performance.now() - last) };
  } finally {
    clearInterval(timer);
  }
}

suite('Hostile files cannot freeze the host', () => {
  const dir = () => path.join(workspaceRoot(), 'hostile');
  const crafted = () => path.join(dir(), 'crafted.lsmi.arrow');
  const sample = () => path.join(dir(), 'img-0.png');

  suiteSetup(async () => {
    fs.mkdirSync(dir(), { recursive: true });
    fs.copyFileSync(path.join(workspaceRoot(), 'fashion-mnist', 'samples', 'top', 'fmnist-test-00000.png'), sample());
    const good = path.join(dir(), 'good.tmp.arrow');
    await writeResults(good, { ...smallResults({ ids: ['a', 'b', 'c'], labels: [0, 1, 2], r: [1, 2, 3], u1: [0, 0, 0], u2: [0, 0, 0], s: [0, 0, 0] }), paths1: ['img-0.png', null, null] });
    fs.writeFileSync(crafted(), blockAtSchema(fs.readFileSync(good)));
    fs.rmSync(good);
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(dir(), { recursive: true, force: true });
  });

  test('Open Results refuses the crafted results file with a clear error, and the host keeps ticking', async function () {
    this.timeout(30_000);
    const { value: r, stallMs } = await longestStall(() => Promise.resolve(vscode.commands.executeCommand<OpenResultsResult>('lsmi.openResults', vscode.Uri.file(crafted()))));
    assert.ok(r && !r.ok, JSON.stringify(r));
    assert.equal(r.error.code, 'TRUNCATED', r.error.message);
    assert.match(r.error.message, /crafted\.lsmi\.arrow: the footer's record batch 0 points at a Schema message, not a RecordBatch\. The file is truncated or corrupt/);
    assert.ok(stallMs < 1000, `the host's event loop stalled for ${stallMs.toFixed(0)} ms`);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('opening a sample file the crafted results list: the status bar looks it up, stays hidden, the host keeps ticking', async function () {
    this.timeout(30_000);
    const api = vscode.extensions.getExtension<LsmiExtensionApi>(EXTENSION_ID)!.exports;
    const { stallMs } = await longestStall(async () => {
      await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(sample()));
      await waitFor('the sample file in the active tab', () => {
        const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input as { uri?: vscode.Uri } | undefined;
        return input?.uri?.fsPath === sample();
      });
      await new Promise((r) => setTimeout(r, 300)); // the status bar's 50 ms debounce, then its lookup
      await api.sampleStatus.settled();
    });
    assert.equal(api.sampleStatus.current(), undefined, 'no sample is shown from a file that cannot be read');
    assert.ok(stallMs < 1000, `the host's event loop stalled for ${stallMs.toFixed(0)} ms`);
  });
});
