import * as vscode from 'vscode';

let channel: vscode.LogOutputChannel | undefined;

/** The "LSMI Explorer" output channel (created on first use). */
export function log(): vscode.LogOutputChannel {
  channel ??= vscode.window.createOutputChannel('LSMI Explorer', { log: true });
  return channel;
}
