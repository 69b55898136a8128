/**
 * One writer per results file: `<out>.lock`, created exclusively, holds the writer's pid, host and
 * start time. A second `lsmi estimate` (or the extension) writing the same file is refused with a
 * clear error while the first runs, so a printed report always matches the file on disk. A lock
 * whose process is gone (killed) is taken over. Creating the lock is also the early check that the
 * output folder exists and is writable, before any computation.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { LsmiInputError } from '../errors';
import { processAlive, writeError } from './atomic';

export interface Lock {
  file: string;
  release(): Promise<void>;
}

export async function acquireLock(out: string): Promise<Lock> {
  const file = `${out}.lock`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await fs.promises.open(file, 'wx');
      await fh.writeFile(JSON.stringify({ pid: process.pid, host: os.hostname(), started: new Date().toISOString() }));
      await fh.close();
      let released = false;
      return {
        file,
        release: async () => {
          if (released) return;
          released = true;
          await fs.promises.rm(file, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw writeError(out, e);
      let holder: { pid?: number; host?: string; started?: string } = {};
      try {
        holder = JSON.parse(await fs.promises.readFile(file, 'utf8'));
      } catch {
        // being written this instant, or damaged: judged by its age below
      }
      const age = await fs.promises.stat(file).then((st) => Date.now() - st.mtimeMs, () => 0);
      const sameHost = !holder.host || holder.host === os.hostname();
      const dead = typeof holder.pid === 'number' ? sameHost && !processAlive(holder.pid) : age > 60_000;
      if (dead) {
        await fs.promises.rm(file, { force: true });
        continue;
      }
      throw new LsmiInputError(
        'LOCKED',
        { file: out },
        `another estimate is writing this results file (pid ${holder.pid ?? '?'}${holder.host && !sameHost ? ` on ${holder.host}` : ''}, since ${holder.started ?? 'a moment ago'}). Wait for it to finish, or write elsewhere with --out. If no estimate is running, delete ${file}.`,
      );
    }
  }
  throw new LsmiInputError('LOCKED', { file: out }, `could not take the lock ${file}: another estimate keeps taking it.`);
}
