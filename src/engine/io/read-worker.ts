/**
 * The worker of src/engine/io/isolated.ts: reads one run or results file and posts it back,
 * transferring its typed arrays' buffers.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isInputError } from '../errors';
import type { IsolatedRequest } from './isolated';
import { readRun } from './index';
import { readResults } from './results';

async function main(): Promise<void> {
  const req = workerData as IsolatedRequest;
  try {
    const data = req.kind === 'run' ? await readRun(req.file, req.options) : await readResults(req.file);
    const buffers = new Set<ArrayBuffer>();
    collectBuffers(data, buffers, 0);
    parentPort!.postMessage({ ok: true, data }, [...buffers]);
  } catch (e) {
    const input = isInputError(e);
    const error = input ? (e as { toJSON(): Record<string, unknown> }).toJSON() : { message: (e as Error)?.message ?? String(e), stack: (e as Error)?.stack };
    parentPort!.postMessage({ ok: false, input, error });
  }
}

/** The ArrayBuffers under `x` (typed arrays in plain objects and arrays), to transfer them. */
function collectBuffers(x: unknown, out: Set<ArrayBuffer>, depth: number): void {
  if (depth > 6 || x === null || typeof x !== 'object') return;
  if (ArrayBuffer.isView(x)) {
    if (x.buffer instanceof ArrayBuffer) out.add(x.buffer);
    return;
  }
  if (Array.isArray(x)) {
    // arrays of strings (ids, paths) hold no buffers: look at the first element only
    if (x.length > 0 && typeof x[0] === 'object') for (const v of x) collectBuffers(v, out, depth + 1);
    return;
  }
  for (const v of Object.values(x)) collectBuffers(v, out, depth + 1);
}

void main();
