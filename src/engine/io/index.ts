/** Reading runs: one entry point for every supported format. */
import { extname } from 'node:path';
import { readArrowRun } from './arrow';
import { readNpzRun } from './npz';
import type { ReadOptions, RunData } from './run';

export const RUN_EXTENSIONS = ['.arrow', '.feather', '.npz'] as const;

/** Reads and validates a run file; throws {@link LsmiInputError} for anything wrong with it. */
export function readRun(file: string, options: ReadOptions = {}): Promise<RunData> {
  return extname(file).toLowerCase() === '.npz' ? readNpzRun(file, options) : readArrowRun(file, options);
}

export * from './run';
export * from './matrix';
export { readArrowRun } from './arrow';
export { readNpzRun, sidecarPath } from './npz';
