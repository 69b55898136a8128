/**
 * The one number formatter of LSMI Explorer: the panels (webview), the extension host (status bar,
 * hovers, tooltips, runs view, notifications) and the CLI's text output all print numbers through
 * these functions, so a value reads the same everywhere.
 *
 * Rules (README "Numbers"):
 * - **One minus sign**: display text uses the Unicode minus U+2212 (`−0.0231`). Machine outputs (CSV,
 *   Arrow, JSON, `--json`, partition manifests) never go through this module: they write the numbers
 *   themselves, with ASCII '-'.
 * - **No negative zero**: a value that rounds to zero at the digits shown prints without a sign
 *   (`-0.00004` → `0.0000`, `-0` → `0.0000`), also for signed differences (`0.0000`, never `+0.0000`).
 * - **Missing** (null, undefined, NaN) prints as an em dash `—`; infinities as `∞` / `−∞`.
 * - **Precision by quantity**: nats (atoms, MI, entropies, means, per-sample values, their sd and
 *   intervals, log-loss) 4 decimals; differences of nats (Δ) 4 decimals with an explicit sign;
 *   fractions in [0, 1] (accuracy, calibration error, confidence, correlation, shares of −log p(y))
 *   3 decimals; percentages 1 decimal; chart axis labels 2 decimals; counts with thousands
 *   separators; temperatures 3 significant digits; seconds 1 decimal; ratios 1 decimal.
 *
 * This module imports nothing (the webview bundles it; test/engine/project.test.ts checks that).
 */

/** The minus sign of display text (U+2212). */
export const MINUS = '\u2212';
/** What a missing value prints as. */
export const MISSING = '—';

/** Digits per quantity: change them here and every surface follows. */
export const DIGITS = { nats: 4, fraction: 3, percent: 1, tick: 2, seconds: 1, ratio: 1 } as const;

type Num = number | null | undefined;

function special(x: Num): string | undefined {
  if (typeof x !== 'number' || Number.isNaN(x)) return MISSING;
  if (x === Infinity) return '∞';
  if (x === -Infinity) return `${MINUS}∞`;
  return undefined;
}

/** |x| with `digits` decimals; exponential notation beyond 1e15 (where fixed notation stops being readable). */
function magnitude(a: number, digits: number): string {
  return a >= 1e15 ? a.toExponential(digits) : a.toFixed(digits);
}

/** True when x rounds to zero at `digits` decimals (so it must print without a sign). */
function roundsToZero(x: number, digits: number): boolean {
  return Number(Math.abs(x).toFixed(digits)) === 0;
}

/**
 * A number with `digits` fixed decimals, Unicode minus, no negative zero: the primitive every other
 * formatter uses. `formatFixed(-0.00004, 4)` → `0.0000`; `formatFixed(-1.5, 2)` → `−1.50`.
 */
export function formatFixed(x: Num, digits: number): string {
  const s = special(x);
  if (s !== undefined) return s;
  const v = x as number;
  if (roundsToZero(v, digits)) return (0).toFixed(digits);
  return `${v < 0 ? MINUS : ''}${magnitude(Math.abs(v), digits)}`;
}

/** A signed difference: `+0.0094`, `−0.0073`, and `0.0000` (no sign) when it rounds to zero. */
export function formatSigned(x: Num, digits: number): string {
  const s = special(x);
  if (s !== undefined) return s === '∞' ? '+∞' : s;
  const v = x as number;
  if (roundsToZero(v, digits)) return (0).toFixed(digits);
  return `${v < 0 ? MINUS : '+'}${magnitude(Math.abs(v), digits)}`;
}

/** Nats: r, u1, u2, s, i1, i2, i12, MI, h, means, sd, thresholds, log-loss. 4 decimals. */
export const formatNats = (x: Num): string => formatFixed(x, DIGITS.nats);

/** A difference of nats (Δ = run − baseline): 4 decimals with an explicit sign. */
export const formatDelta = (x: Num): string => formatSigned(x, DIGITS.nats);

/** A fraction in [0, 1] (accuracy, calibration error, confidence, correlation, share of −log p(y)): 3 decimals. */
export const formatFraction = (x: Num): string => formatFixed(x, DIGITS.fraction);

/** A chart axis label: 2 decimals (the exact values are in the tooltips). */
export const formatTick = (x: Num): string => formatFixed(x, DIGITS.tick);

/** A ratio such as |Δ| / sd: 1 decimal. */
export const formatRatio = (x: Num): string => formatFixed(x, DIGITS.ratio);

/** An interval `[lo, hi]` of nats (or of another quantity with `format`); '' when there is none. */
export function formatInterval(iv: { lo: number; hi: number } | null | undefined, format: (x: Num) => string = formatNats): string {
  return iv ? `[${format(iv.lo)}, ${format(iv.hi)}]` : '';
}

/** The interval of a difference, with signs: `[−0.0175, +0.0100]`; '' when there is none. */
export function formatDeltaInterval(iv: { lo: number; hi: number } | null | undefined): string {
  return iv ? `[${formatDelta(iv.lo)}, ${formatDelta(iv.hi)}]` : '';
}

/** A count with thousands separators: `20,000`; non-integers are rounded. */
export function formatCount(n: Num): string {
  const s = special(n);
  if (s !== undefined) return s;
  const v = Math.round(n as number);
  const digits = String(Math.abs(v)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return v < 0 ? `${MINUS}${digits}` : digits;
}

/**
 * A fraction as a percentage with a space before the sign, as the README writes them: `12.5 %`;
 * `digits` decimals (default 1), so a 95 % level is `formatPercent(0.95, 0)`.
 */
export function formatPercent(fraction: Num, digits: number = DIGITS.percent): string {
  const s = special(fraction);
  if (s !== undefined) return s;
  return `${formatFixed((fraction as number) * 100, digits)} %`;
}

/** A confidence level: `95 %`, `99.5 %` (no trailing zeros). */
export function formatLevel(level: number): string {
  const p = Math.round(level * 1000) / 10;
  return `${Number.isInteger(p) ? p.toFixed(0) : p.toFixed(1)} %`;
}

/** A calibration temperature: 3 significant digits (`0.87`, `12.3`, `140`). */
export function formatTemperature(t: Num): string {
  const s = special(t);
  if (s !== undefined) return s;
  const a = Math.abs(t as number);
  return formatFixed(t, a >= 100 ? 0 : a >= 10 ? 1 : 2);
}

/** A duration in seconds: `2.6 s`. */
export function formatSeconds(seconds: Num): string {
  const s = special(seconds);
  return s !== undefined ? s : `${formatFixed(seconds, DIGITS.seconds)} s`;
}

/** A p-value: `p < 0.001`, else 3 decimals (`p = 0.012`). */
export function formatPValue(p: Num): string {
  const s = special(p);
  if (s !== undefined) return `p = ${s}`;
  return (p as number) < 0.001 ? 'p < 0.001' : `p = ${formatFixed(p, 3)}`;
}

/** Bytes in binary units: `512 B`, `1.5 MiB`. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  while (n >= 1024 && u < units.length - 1) (n /= 1024), u++;
  return `${u === 0 ? n : n.toFixed(1)} ${units[u]}`;
}

/** Display text made machine-readable again: U+2212 → ASCII '-' (for parsing a printed number). */
export function asciiMinus(text: string): string {
  return text.replace(/\u2212/g, '-');
}
