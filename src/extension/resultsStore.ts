/**
 * One copy of each results file in the extension host, shared by the results panel, the compare
 * panel, the status bar and the hover: read once, re-read when the file changes on disk. Also the
 * indexes that go from a sample file or a sample_id back to its row.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readResultsIsolated, type ResultsData } from '../engine';

interface Entry {
  mtimeMs: number;
  size: number;
  data: Promise<ResultsData>;
  byFile?: Map<string, number>;
  byId?: Map<string, number>;
}

const cache = new Map<string, Entry>();
/** Results files kept in memory at most (least recently used dropped first). */
const MAX_CACHED = 12;

/** The results in `file`, from the cache when the file has not changed since it was read. */
export async function loadResults(file: string): Promise<ResultsData> {
  const st = await fs.promises.stat(file);
  const hit = cache.get(file);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) {
    cache.delete(file); // most recently used last
    cache.set(file, hit);
    return hit.data;
  }
  const entry: Entry = { mtimeMs: st.mtimeMs, size: st.size, data: readResultsIsolated(file) }; // in a worker: a file can never block the host
  cache.delete(file);
  cache.set(file, entry);
  // a bounded cache: panels keep their own reference to the data they show
  while (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value as string);
  entry.data.catch(() => {
    if (cache.get(file) === entry) cache.delete(file);
  });
  return entry.data;
}

/** The results already read (no disk access), or undefined. */
export function cachedResults(file: string): Promise<ResultsData> | undefined {
  return cache.get(file)?.data;
}

/** The folder that relative sample paths are resolved against: the run's (= the results file's). */
export function sampleBase(resultsFile: string): string {
  return path.dirname(resultsFile);
}

/**
 * The row of the sample whose path_1 or path_2 is `absPath` (resolved against the results file's
 * folder), or undefined. The index is built on first use.
 */
export async function rowOfSampleFile(resultsFile: string, absPath: string): Promise<{ row: number; which: 1 | 2 } | undefined> {
  const data = await loadResults(resultsFile);
  const entry = cache.get(resultsFile) ?? ({ mtimeMs: 0, size: 0, data: Promise.resolve(data) } as Entry); // evicted meanwhile: index once
  if (!entry.byFile) {
    const m = new Map<string, number>();
    const base = sampleBase(resultsFile);
    const add = (paths: (string | null)[] | undefined, which: 1 | 2) => {
      paths?.forEach((p, row) => {
        if (p) {
          const key = path.resolve(base, p);
          if (!m.has(key)) m.set(key, row * 2 + (which - 1));
        }
      });
    };
    add(data.paths1, 1);
    add(data.paths2, 2);
    entry.byFile = m;
  }
  const hit = entry.byFile.get(path.resolve(absPath));
  return hit === undefined ? undefined : { row: hit >> 1, which: ((hit & 1) + 1) as 1 | 2 };
}

/** The row of a sample_id, or undefined. */
export async function rowOfSampleId(resultsFile: string, id: string): Promise<number | undefined> {
  const data = await loadResults(resultsFile);
  const entry = cache.get(resultsFile) ?? ({ mtimeMs: 0, size: 0, data: Promise.resolve(data) } as Entry); // evicted meanwhile: index once
  if (!entry.byId) {
    const m = new Map<string, number>();
    data.sampleIds.forEach((s, row) => {
      if (!m.has(s)) m.set(s, row);
    });
    entry.byId = m;
  }
  return entry.byId.get(id);
}
