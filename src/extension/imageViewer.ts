/**
 * Opening a sample's image at a zoom that lets a person see it. VS Code's image preview shows a
 * small image (a 28×14 Fashion-MNIST half) at 1×: a speck. Images whose longer side is under
 * SMALL_SIDE pixels open here instead, scaled by a whole factor with crisp pixels, in a panel with
 * no scripts and a CSP that allows only the inline image; larger or unknown images open in VS Code's
 * own preview. The file has already been resolved and confined by sampleLinks.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { escapeHtml } from './webviewHtml';

/** Images with a longer side below this (pixels) open scaled up. */
export const SMALL_SIDE = 256;
/** The scaled image's longer side aims at about this many CSS pixels. */
const TARGET_SIDE = 448;
const MAX_BYTES = 4 << 20;
export const IMAGE_VIEW_TYPE = 'lsmi.imageViewer';

/** Width and height of a PNG, GIF, BMP or JPEG from its first bytes; undefined for anything else. */
export function imageSize(head: Buffer): { width: number; height: number; type: string } | undefined {
  if (head.length >= 24 && head.readUInt32BE(0) === 0x89504e47 && head.toString('latin1', 12, 16) === 'IHDR') {
    return { width: head.readUInt32BE(16), height: head.readUInt32BE(20), type: 'image/png' };
  }
  if (head.length >= 10 && head.toString('latin1', 0, 4) === 'GIF8') return { width: head.readUInt16LE(6), height: head.readUInt16LE(8), type: 'image/gif' };
  if (head.length >= 26 && head.toString('latin1', 0, 2) === 'BM') return { width: Math.abs(head.readInt32LE(18)), height: Math.abs(head.readInt32LE(22)), type: 'image/bmp' };
  if (head.length >= 4 && head[0] === 0xff && head[1] === 0xd8) {
    // JPEG: walk the segments to the first start-of-frame
    let i = 2;
    while (i + 9 < head.length && head[i] === 0xff) {
      const marker = head[i + 1];
      const len = head.readUInt16BE(i + 2);
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { width: head.readUInt16BE(i + 7), height: head.readUInt16BE(i + 5), type: 'image/jpeg' };
      }
      if (len < 2) return undefined;
      i += 2 + len;
    }
  }
  return undefined;
}

/** The whole zoom factor for an image (1 for images that are not small). */
export function zoomFor(width: number, height: number): number {
  const side = Math.max(width, height);
  if (!(side > 0) || side >= SMALL_SIDE) return 1;
  return Math.max(2, Math.min(32, Math.floor(TARGET_SIDE / side)));
}

/** The editor group to open a sample file in: a neighbouring group when there is one, never a new split. */
function column(): vscode.ViewColumn {
  return vscode.window.tabGroups.all.length > 1 ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active;
}

/**
 * Opens a sample file: a small image scaled up (here), anything else in VS Code's editor for it.
 * Returns the zoom used (1: VS Code's own editor).
 */
export async function openSampleFileView(file: string): Promise<number> {
  let size: ReturnType<typeof imageSize>;
  let bytes: Buffer | undefined;
  try {
    // read asynchronously: the extension host never waits on a file
    const st = await fs.promises.stat(file);
    if (st.size <= MAX_BYTES) {
      bytes = await fs.promises.readFile(file);
      size = imageSize(bytes.subarray(0, 64 << 10));
    }
  } catch {
    size = undefined;
  }
  const zoom = size ? zoomFor(size.width, size.height) : 1;
  if (!size || !bytes || zoom <= 1) {
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file), { preview: true, viewColumn: column() });
    return 1;
  }
  const name = path.basename(file);
  const panel = vscode.window.createWebviewPanel(IMAGE_VIEW_TYPE, name, { viewColumn: column(), preserveFocus: false }, { enableScripts: false, localResourceRoots: [] });
  const nonce = randomBytes(16).toString('base64');
  const w = size.width * zoom;
  const h = size.height * zoom;
  const csp = `default-src 'none'; img-src data:; style-src 'nonce-${nonce}'`;
  panel.webview.html = `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8"><meta http-equiv="Content-Security-Policy" content="${csp}">
<style nonce="${nonce}">
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 16px; }
img { width: ${w}px; height: ${h}px; image-rendering: pixelated; border: 1px solid var(--vscode-panel-border, transparent); }
p { color: var(--vscode-descriptionForeground); overflow-wrap: anywhere; }
</style><title>${escapeHtml(name)}</title></head>
<body>
<img id="image" src="data:${size.type};base64,${bytes.toString('base64')}" alt="${escapeHtml(name)}, ${size.width} × ${size.height} pixels, shown at ${zoom}×" data-zoom="${zoom}">
<p id="caption">${escapeHtml(name)}: ${size.width} × ${size.height} px, shown at ${zoom}× with square pixels. ${escapeHtml(file)}</p>
</body></html>`;
  return zoom;
}
