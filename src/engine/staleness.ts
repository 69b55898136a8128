/**
 * Whether a run's results are stale, by content: results are stale only when the run's content hash
 * differs from the one recorded in the results (`meta.inputHash`), or when the results come from
 * another tool version. Modification times are only a fast path that decides whether to hash:
 *
 * - the run was not modified after the results were written (run mtime ≤ results mtime): current,
 *   without hashing;
 * - it was (an edit, or a copy — `cp -r`, `git clone`, `rsync` give the run a new or a slightly
 *   different mtime): the run is hashed and the hash compared with the recorded one. The same
 *   content is current (a copy, a `touch`); other content is stale.
 *
 * A hash is computed once per run file state (path, size, mtime): {@link StalenessCache} keeps it.
 * Results that record no usable hash (hand-made files) fall back to the mtime rule.
 */
import * as fs from 'node:fs';
import { fileHash } from './io/results';

export interface FileStamp {
  size: number;
  mtimeMs: number;
}

export interface ResultsStamp {
  mtimeMs: number;
  /** `meta.inputHash` of the results (undefined when the file records none). */
  inputHash?: string;
  /** `meta.toolVersion` of the results (undefined when unknown). */
  toolVersion?: string;
}

export interface StalenessInput {
  run: FileStamp;
  results: ResultsStamp;
  /** This tool's version. */
  toolVersion: string;
  /** The run's content hash, computed only when the fast path cannot decide. */
  hash: () => Promise<string>;
}

export interface Staleness {
  stale: boolean;
  /** Why, in words, when stale. */
  reason?: string;
  /** How it was decided: the mtime fast path, the content hash, or the tool version. */
  by: 'mtime' | 'hash' | 'version';
}

const usableHash = (h: string | undefined): h is string => typeof h === 'string' && /^sha256:[0-9a-f]{64}$/.test(h);

/** The staleness decision (see the module comment). */
export async function decideStaleness(x: StalenessInput): Promise<Staleness> {
  if (x.results.toolVersion && x.results.toolVersion !== x.toolVersion) {
    return { stale: true, by: 'version', reason: `the results were written by LSMI Explorer ${x.results.toolVersion} (this is ${x.toolVersion})` };
  }
  if (x.run.mtimeMs <= x.results.mtimeMs) return { stale: false, by: 'mtime' };
  if (!usableHash(x.results.inputHash)) return { stale: true, by: 'mtime', reason: 'the run file changed after its results were written (the results record no content hash)' };
  const now = await x.hash();
  return now === x.results.inputHash ? { stale: false, by: 'hash' } : { stale: true, by: 'hash', reason: "the run file's content changed after its results were written" };
}

/** Run content hashes by file state, so a run is hashed once until it changes again. */
export class StalenessCache {
  private readonly hashes = new Map<string, { size: number; mtimeMs: number; hash: Promise<string> }>();
  /** How many times a run was actually hashed (tests). */
  hashed = 0;

  /** The content hash of `file` in state `st`, from the cache when the state is the same. */
  hash(file: string, st: FileStamp): Promise<string> {
    const hit = this.hashes.get(file);
    if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.hash;
    this.hashed++;
    const hash = fileHash(file);
    this.hashes.set(file, { size: st.size, mtimeMs: st.mtimeMs, hash });
    hash.catch(() => this.hashes.delete(file));
    return hash;
  }
}

/** Staleness of the results of one run file, from the files on disk (stats, and a hash when needed). */
export async function runStaleness(runFile: string, results: ResultsStamp, toolVersion: string, cache: StalenessCache): Promise<Staleness> {
  const st = await fs.promises.stat(runFile);
  const stamp = { size: st.size, mtimeMs: st.mtimeMs };
  return decideStaleness({ run: stamp, results, toolVersion, hash: () => cache.hash(runFile, stamp) });
}
