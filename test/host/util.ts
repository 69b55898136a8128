/** Helpers shared by the mocha suites in the extension host (not a test file: index.ts runs *.test.js). */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'lsmi-explorer.lsmi-explorer';

export async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function workspaceRoot(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the tests run in the example workspace');
  return folder.uri.fsPath;
}

/** A path inside the example workspace. */
export function ws(...p: string[]): string {
  return path.join(workspaceRoot(), ...p);
}
