/**
 * Links from a sample back to its files (path_1, path_2). Paths are resolved relative to the run
 * file's folder (where the results file lies) and must stay inside a workspace folder or that run
 * folder, after symlinks are resolved: anything else is refused with a message. Sample files are
 * opened only in trusted workspaces.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { openSampleFileView } from './imageViewer';
import type { ResultsData } from '../engine';
import type { SampleFileKind, UserError } from '../protocol/messages';
import { log } from './output';
import { sampleBase } from './resultsStore';

export type ResolvedSampleFile = { ok: true; path: string; kind: SampleFileKind } | { ok: false; error: UserError };

const IMAGE = new Set(['.png', '.jpg', '.jpeg', '.gif', '.webp', '.bmp', '.svg', '.ico', '.avif']);
const AUDIO = new Set(['.wav', '.mp3', '.ogg', '.oga', '.flac', '.m4a', '.aac', '.opus', '.webm']);
const MIME: Record<string, string> = {
  '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.webp': 'image/webp', '.bmp': 'image/bmp',
  '.svg': 'image/svg+xml', '.ico': 'image/x-icon', '.avif': 'image/avif',
  '.wav': 'audio/wav', '.mp3': 'audio/mpeg', '.ogg': 'audio/ogg', '.oga': 'audio/ogg', '.flac': 'audio/flac', '.m4a': 'audio/mp4',
  '.aac': 'audio/aac', '.opus': 'audio/ogg', '.webm': 'audio/webm',
};

function kindOf(file: string): SampleFileKind {
  const ext = path.extname(file).toLowerCase();
  return IMAGE.has(ext) ? 'image' : AUDIO.has(ext) ? 'audio' : 'text';
}

export function mimeOf(file: string): string {
  return MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

function inside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function realOr(p: string): string {
  try {
    return fs.realpathSync.native(p);
  } catch {
    return path.resolve(p);
  }
}

/** The folders sample files may live in: the workspace folders and the run's folder. */
function allowedRoots(resultsFile: string): string[] {
  const roots = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
  roots.push(sampleBase(resultsFile));
  return [...new Set(roots.map(realOr))];
}

/**
 * Resolves sample file `which` (1 or 2) of `row`. Refused: no path, a path outside the allowed
 * roots (also through symlinks), a missing file, an untrusted workspace.
 */
export function resolveSampleFile(resultsFile: string, data: ResultsData, row: number, which: 1 | 2): ResolvedSampleFile {
  const id = data.sampleIds[row];
  const column = `path_${which}`;
  const raw = (which === 1 ? data.paths1 : data.paths2)?.[row];
  if (raw === undefined || raw === null) {
    const why = (which === 1 ? data.paths1 : data.paths2) ? `has no ${column}` : `comes from a run without a ${column} column`;
    return { ok: false, error: { code: 'NO_PATH', message: `Sample ${id} ${why}. Add ${column} to the run (relative to the run file) to link its files.` } };
  }
  if (!vscode.workspace.isTrusted) {
    return { ok: false, error: { code: 'UNTRUSTED', message: `Sample files are not opened in an untrusted workspace (${column} of sample ${id}: ${raw}). Trust the workspace (Workspaces: Manage Workspace Trust) to open them.` } };
  }
  const target = path.resolve(sampleBase(resultsFile), raw);
  // first lexically, before any file system call on the path (a network path would be contacted),
  // then after resolving symlinks
  const lexicalRoots = [...(vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath), sampleBase(resultsFile)].map((r) => path.resolve(r));
  const network = /^(\\\\|\/\/)/.test(raw) || /^(\\\\|\/\/)/.test(target) || raw.includes('\0');
  const lexicallyInside = !network && lexicalRoots.some((r) => inside(r, target));
  const real = lexicallyInside ? realOr(target) : target;
  const roots = lexicallyInside ? allowedRoots(resultsFile) : [];
  if (!lexicallyInside || !roots.some((r) => inside(r, real))) {
    log().warn(`refused ${column} of sample ${id}: ${raw} resolves to ${real}, outside ${lexicalRoots.join(', ')}`);
    return {
      ok: false,
      error: {
        code: 'PATH_OUTSIDE',
        message: `Refused to open ${column} of sample ${id}: "${raw}" resolves to ${real}, which is outside the workspace and the run's folder (${sampleBase(resultsFile)}). Sample paths must stay inside them.`,
      },
    };
  }
  if (!fs.existsSync(real)) {
    return { ok: false, error: { code: 'NOT_FOUND', message: `${column} of sample ${id} does not exist: ${real} (from "${raw}", relative to ${sampleBase(resultsFile)}).` } };
  }
  return { ok: true, path: real, kind: kindOf(real) };
}

/**
 * Resolves one of a sample's files and opens it (or reveals it in the Explorer); a refusal is shown
 * as a warning and returned, so a panel can say it too.
 */
export async function showSampleFile(resultsFile: string, data: ResultsData, row: number, which: 1 | 2, action: 'open' | 'reveal'): Promise<ResolvedSampleFile> {
  const resolved = resolveSampleFile(resultsFile, data, row, which);
  if (!resolved.ok) {
    void vscode.window.showWarningMessage(`LSMI: ${resolved.error.message}`);
    return resolved;
  }
  log().info(`${action} ${resolved.path} (path_${which} of sample ${data.sampleIds[row]})`);
  await (action === 'open' ? openSampleFile(resolved.path) : revealSampleFile(resolved.path));
  return resolved;
}

/**
 * Opens a resolved sample file in a neighbouring editor group if there is one (never a new split: a
 * panel at half width would be squeezed further), small images scaled up (src/extension/imageViewer.ts).
 */
export async function openSampleFile(file: string): Promise<void> {
  await openSampleFileView(file);
}

export async function revealSampleFile(file: string): Promise<void> {
  await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(file));
}
