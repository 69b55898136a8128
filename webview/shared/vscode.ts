/** The typed bridge to the host: post only protocol messages; state survives reloads. */
interface VsCodeApi<State, Out> {
  postMessage(message: Out): void;
  getState(): State | undefined;
  setState(state: State): void;
}
declare function acquireVsCodeApi<State, Out>(): VsCodeApi<State, Out>;

let heard = false;

export function connect<State, Out, In>(onMessage: (m: In) => void): VsCodeApi<State, Out> {
  const api = acquireVsCodeApi<State, Out>();
  window.addEventListener('message', (e: MessageEvent<In>) => {
    heard = true;
    onMessage(e.data);
  });
  return api;
}

/**
 * Tells the host the panel is ready, again every second until the host answers: after a window
 * reload the host side of a restored panel can start listening after the first 'ready' was sent.
 */
export function announceReady<Out>(api: VsCodeApi<unknown, Out>, ready: Out): void {
  api.postMessage(ready);
  const timer = setInterval(() => (heard ? clearInterval(timer) : api.postMessage(ready)), 1000);
}

/** Builds DOM without innerHTML, so text from run files can never become markup. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | undefined> | null,
  ...children: (Node | string | null | undefined | false)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

/**
 * A number with fixed digits, as the CLI prints it (`-0.0094`, `1.7075`); missing values (null,
 * NaN) as an em dash. A value that rounds to zero has no sign: never "-0.0000".
 */
export function fmt(x: number | null | undefined, digits = 3): string {
  if (typeof x !== 'number' || !Number.isFinite(x)) return x === null || x === undefined || Number.isNaN(x) ? '—' : String(x);
  const s = x.toFixed(digits);
  return Number(s) === 0 ? Math.abs(x).toFixed(digits) : s;
}

/** An interval as every panel shows it: `[lo, hi]` with {@link fmt}'s digits; '' when there is none. */
export function fmtInterval(iv: { lo: number; hi: number } | null | undefined, digits = 3): string {
  return iv ? `[${fmt(iv.lo, digits)}, ${fmt(iv.hi, digits)}]` : '';
}

/** A signed interval of a difference: `[−0.0175, +0.0100]` with {@link fmtDelta}'s signs; '' when there is none. */
export function fmtDeltaInterval(iv: { lo: number; hi: number } | null | undefined, digits = 3): string {
  return iv ? `[${fmtDelta(iv.lo, digits)}, ${fmtDelta(iv.hi, digits)}]` : '';
}

/** A signed difference: +0.123 / −0.123. */
export function fmtDelta(x: number | null | undefined, digits = 3): string {
  if (typeof x !== 'number' || !Number.isFinite(x)) return '—';
  const s = Math.abs(x).toFixed(digits);
  return Number(s) === 0 ? s : `${x > 0 ? '+' : '−'}${s}`;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  while (n >= 1024 && u < units.length - 1) (n /= 1024), u++;
  return `${u === 0 ? n : n.toFixed(1)} ${units[u]}`;
}
