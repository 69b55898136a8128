/**
 * The host's one mapping from errors to what users read. Engine errors carry codes
 * (src/engine/errors.ts: LsmiInputError); the host maps codes, never message text. Anything without
 * a code is a bug and says so, pointing at the log.
 */
import { isInputError } from '../engine';
import type { UserError } from '../protocol/messages';

export function toUserError(e: unknown): UserError {
  if (isInputError(e)) return { code: e.code, message: e.message };
  return { code: 'INTERNAL', message: `unexpected error: ${(e as Error)?.message ?? e}. See the "LSMI Explorer" output for details.` };
}

/** A run without results (yet). */
export function noResultsYet(file: string): UserError {
  return { code: 'NOT_FOUND', message: `${file}: no results yet. Run "LSMI: Estimate Interactions" on the run first.` };
}
