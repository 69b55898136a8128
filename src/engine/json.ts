/**
 * What survives JSON. JSON has no NaN or ±Infinity: `JSON.stringify` writes them as null, and so
 * does every message a panel receives (src/protocol/messages.ts) and `lsmi … --json`. A number the
 * engine may leave NaN (a value of a sample a run lacks, the mean of no samples) is typed
 * {@link MaybeNaN}; {@link JsonSafe} then types it `number | null` as it arrives, and every other
 * number (counts, indices, finite statistics) stays `number`. {@link toJson} makes a value so.
 */
declare const maybeNaN: unique symbol;

/**
 * A number that may be NaN (or ±Infinity). Any number is one and it is a number (so the engine
 * computes with it as with any number); only {@link JsonSafe} tells it apart.
 */
export type MaybeNaN = number & { readonly [maybeNaN]?: true };

/** A value as it arrives after JSON: every {@link MaybeNaN} as `number | null`, the rest as it is. */
export type JsonSafe<T> = T extends number
  ? typeof maybeNaN extends keyof T
    ? number | null
    : T
  : T extends string | boolean | null | undefined
    ? T
    : { [K in keyof T]: JsonSafe<T[K]> };

/** The value as JSON carries it: NaN and ±Infinity become null (what a panel receives, typed as it arrives). */
export function toJson<T>(x: T): JsonSafe<T> {
  return JSON.parse(JSON.stringify(x, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)));
}
