/**
 * Atomic file writes (results files, exports): a temporary file beside the target, fsynced, then
 * renamed over it. If anything fails (or `signal` aborts first), the temporary file is removed and the
 * target is untouched; a file-system error is an input problem in plain words ({@link writeError}).
 *
 * The temporary file is `.<name>.<pid>@<host>-<hex>.tmp`: the writer's pid and 6 hex digits of a hash
 * of its host name. One left by a killed writer is removed by the next write to that folder
 * ({@link removeStaleTemps}): when its writer's process is gone (same host), or when it is over an
 * hour old (any host: a write takes seconds). A signal handler removes this thread's in-flight ones
 * synchronously ({@link removeInflightTemporaries}). The temporary file is created with a sync call,
 * so a worker thread terminated by its pool (which then cleans up for it) cannot create one after.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LsmiInputError } from '../errors';

/** A temporary file older than this is stale whoever wrote it. */
export const STALE_TEMP_MS = 3600_000;

const HOST = createHash('sha256').update(os.hostname()).digest('hex').slice(0, 6);
/** `.<name>.<pid>@<host>-<hex>.tmp`, and `.<name>.<pid>-<hex>.tmp` (no host: written by 0.3.0). */
const TEMP = /^\.(.+)\.(\d+)(?:@([0-9a-f]{6}))?-[0-9a-f]+\.tmp$/;
/** `.<name>.<hex>.tmp`, from before pids were recorded. */
const LEGACY_TEMP = /^\.(.+)\.[0-9a-f]+\.tmp$/;

/** This thread's temporary files not yet renamed or removed. */
const inflight = new Set<string>();

/** A temporary path beside `out`, named for this process and host. */
export function temporaryPath(out: string): string {
  return path.join(path.dirname(out), `.${path.basename(out)}.${process.pid}@${HOST}-${randomBytes(6).toString('hex')}.tmp`);
}

export async function writeFileAtomic(out: string, bytes: Uint8Array | string, signal?: AbortSignal): Promise<void> {
  await writeAtomic(out, (write) => write(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes), signal);
}

/**
 * Like {@link writeFileAtomic}, but the content is produced piece by piece: `produce` calls `write`
 * for each chunk (awaiting it), so only the chunk being written need be in memory (e.g. a results
 * file written record batch by record batch). `signal` is checked before each chunk and before the
 * rename.
 */
export async function writeAtomic(out: string, produce: (write: (chunk: Uint8Array) => Promise<void>) => Promise<void>, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  await removeStaleTemps(out);
  const tmp = temporaryPath(out);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx');
    inflight.add(tmp);
    const handle = fd;
    let position = 0;
    const write = async (chunk: Uint8Array): Promise<void> => {
      signal?.throwIfAborted();
      let off = 0;
      while (off < chunk.byteLength) {
        const n = await new Promise<number>((resolve, reject) => fs.write(handle, chunk, off, chunk.byteLength - off, position, (e, written) => (e ? reject(e) : resolve(written))));
        off += n;
        position += n;
      }
    };
    await produce(write);
    await new Promise<void>((resolve, reject) => fs.fsync(handle, (e) => (e ? reject(e) : resolve())));
    fd = undefined;
    fs.closeSync(handle);
    signal?.throwIfAborted();
    fs.renameSync(tmp, out);
    inflight.delete(tmp);
  } catch (e) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // best effort: the file is removed next
      }
    }
    rmQuietly(tmp);
    inflight.delete(tmp);
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
 * Removes, in `out`'s folder, the temporary files whose writer is gone (killed: SIGKILL, a power
 * cut): written on this host by a process that no longer runs, or over an hour old; and `out`'s own
 * ones of earlier versions (`.<name>.<pid>-<hex>.tmp` with a dead pid, `.<name>.<hex>.tmp` over an
 * hour old). Returns the files removed; never throws.
 */
export async function removeStaleTemps(out: string): Promise<string[]> {
  const dir = path.dirname(out);
  const base = path.basename(out);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const now = Date.now();
  const old = (f: string) => {
    try {
      return now - fs.lstatSync(f).mtimeMs > STALE_TEMP_MS;
    } catch {
      return false;
    }
  };
  const removed: string[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    if (inflight.has(file)) continue;
    const m = TEMP.exec(name);
    let stale = false;
    if (m) {
      const [, target, pid, host] = m;
      // names with a host are ours whatever their target; without one, only the target's own
      const mine = host !== undefined || target === base;
      const sameHost = host === undefined || host === HOST;
      stale = mine && ((sameHost && Number(pid) !== process.pid && !processAlive(Number(pid))) || old(file));
    } else {
      const legacy = LEGACY_TEMP.exec(name);
      stale = !!legacy && legacy[1] === base && old(file);
    }
    if (stale && rmQuietly(file)) removed.push(file);
  }
  return removed;
}

/** Removes this thread's in-flight temporary files, synchronously (for signal handlers). */
export function removeInflightTemporaries(): void {
  for (const f of inflight) rmQuietly(f);
  inflight.clear();
}

function rmQuietly(f: string): boolean {
  try {
    fs.rmSync(f, { force: true });
    return true;
  } catch {
    return false;
  }
}

/**
 * An output path that cannot be a file: an existing folder (found before a computation, not by the
 * rename after it). A missing, read-only or non-folder parent is found by creating the lock or the
 * temporary file there ({@link writeError}).
 */
export function checkOutputPath(out: string): void {
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(out);
  } catch {
    return; // no such file yet, or a parent that the lock's creation reports
  }
  if (st.isDirectory()) throw new LsmiInputError('NOT_WRITABLE', { file: out }, `cannot write it: it is a folder (EISDIR). Give a file name (--out).`);
}

/** An error writing `out`, in plain words for a user (a full disk, no permission, a missing folder). */
export function writeError(out: string, e: unknown): unknown {
  const code = (e as NodeJS.ErrnoException)?.code;
  const elsewhere = 'or write elsewhere (--out)';
  const why: Record<string, string> = {
    ENOSPC: `the disk is full (ENOSPC). Free some space, ${elsewhere}`,
    EDQUOT: `the disk quota is used up (EDQUOT). Free some space, ${elsewhere}`,
    EACCES: `permission denied (the folder is not writable) (EACCES). Fix the permissions, ${elsewhere}`,
    EPERM: `permission denied (EPERM). Fix the permissions, ${elsewhere}`,
    EROFS: `the file system is read-only (EROFS). Write elsewhere (--out)`,
    ENOENT: `its folder does not exist (ENOENT). Create it, ${elsewhere}`,
    ENOTDIR: `a part of its path is a file, not a folder (ENOTDIR). Write elsewhere (--out)`,
    EISDIR: `it is a folder (EISDIR). Give a file name (--out)`,
    EFBIG: `the file is too large for this file system (EFBIG). Write elsewhere (--out)`,
    ENAMETOOLONG: `its path is too long (ENAMETOOLONG). Choose a shorter one (--out)`,
    EIO: `the disk (or network file system) failed (EIO). Check it, ${elsewhere}`,
    EMFILE: `too many files are open (EMFILE). Close some programs and try again`,
    ENFILE: `too many files are open (ENFILE). Close some programs and try again`,
  };
  if (!code || !why[code]) return e;
  return new LsmiInputError('NOT_WRITABLE', { file: out }, `cannot write it: ${why[code]}.`);
}
