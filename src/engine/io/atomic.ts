/**
 * Atomic file writes (results files, exports): a temporary file beside the target, fsynced, then renamed over it. If anything
 * fails (or `signal` aborts first), the temporary file is removed and the target is untouched.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export async function writeFileAtomic(out: string, bytes: Uint8Array | string, signal?: AbortSignal): Promise<void> {
  const tmp = path.join(path.dirname(out), `.${path.basename(out)}.${randomBytes(6).toString('hex')}.tmp`);
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
    throw e;
  }
}
