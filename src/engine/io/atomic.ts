/**
 * Atomic file writes (results files, exports): a temporary file beside the target, fsynced, then renamed over it. If anything
 * fails (or `signal` aborts first), the temporary file is removed and the target is untouched.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LsmiInputError } from '../errors';

export async function writeFileAtomic(out: string, bytes: Uint8Array | string, signal?: AbortSignal): Promise<void> {
  await removeStaleTemps(out);
  // the writer's pid in the name: a temporary file left by a killed writer is recognised as stale
  const tmp = path.join(path.dirname(out), `.${path.basename(out)}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
  try {
    signal?.throwIfAborted();
    const fh = await fs.promises.open(tmp, 'wx');
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    signal?.throwIfAborted();
    await fs.promises.rename(tmp, out);
  } catch (e) {
    await fs.promises.rm(tmp, { force: true });
    throw writeError(out, e);
  }
}

/** Whether a process is alive (on this machine). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary files of earlier writes of `out` whose writer is gone (killed: SIGKILL, a
 * power cut): `.<name>.<pid>-<hex>.tmp` with a dead pid, or from before pids were recorded
 * (`.<name>.<hex>.tmp`) and older than an hour.
 */
export async function removeStaleTemps(out: string): Promise<string[]> {
  const dir = path.dirname(out);
  const base = `.${path.basename(out)}.`;
  let names: string[];
  try {
    names = await fs.promises.readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(base) || !name.endsWith('.tmp')) continue;
    const tag = name.slice(base.length, -4);
    const m = /^(\d+)-[0-9a-f]+$/.exec(tag);
    const file = path.join(dir, name);
    let stale = false;
    if (m) stale = Number(m[1]) !== process.pid && !processAlive(Number(m[1]));
    else if (/^[0-9a-f]+$/.test(tag)) stale = await fs.promises.stat(file).then((st) => Date.now() - st.mtimeMs > 3600_000, () => false);
    if (stale) {
      await fs.promises.rm(file, { force: true }).catch(() => undefined);
      removed.push(file);
    }
  }
  return removed;
}

/** An error writing `out`, in plain words for a user (a full disk, no permission, a missing folder). */
export function writeError(out: string, e: unknown): unknown {
  const code = (e as NodeJS.ErrnoException)?.code;
  const why: Record<string, string> = {
    ENOSPC: 'the disk is full',
    EDQUOT: 'the disk quota is used up',
    EACCES: 'permission denied (the folder is not writable)',
    EPERM: 'permission denied',
    EROFS: 'the file system is read-only',
    ENOENT: 'its folder does not exist',
    ENOTDIR: 'a part of its path is a file, not a folder',
    EISDIR: 'it is a folder',
  };
  if (!code || !why[code]) return e;
  return new LsmiInputError('NOT_WRITABLE', { file: out }, `cannot write it: ${why[code]} (${code}). Free some space, fix the permissions, or write elsewhere (--out).`);
}
