import { DIGITS, formatFixed, formatSigned } from '../../src/engine/format';
import type { HostReady, PanelReady } from '../../src/protocol/messages';

/** The typed bridge to the host: post only protocol messages; state survives reloads. */
interface VsCodeApi<State, Out> {
  postMessage(message: Out): void;
  getState(): State | undefined;
  setState(state: State): void;
}
declare function acquireVsCodeApi<State, Out>(): VsCodeApi<State, Out>;

/** This document's name in the readiness handshake (src/protocol/messages.ts: PanelReady). */
const instance = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
let announce: (() => void) | undefined;

const isHostReady = (m: { type: string }): m is HostReady => m.type === 'hostReady';

/**
 * The typed bridge to the host. The handshake's `hostReady` is answered here (with the panel's
 * announcement, once {@link announceReady} has been called) and never reaches `onMessage`.
 */
export function connect<State, Out, In extends { type: string }>(onMessage: (m: In) => void): VsCodeApi<State, Out> {
  const api = acquireVsCodeApi<State, Out>();
  window.addEventListener('message', (e: MessageEvent<In | HostReady>) => {
    const m = e.data;
    if (!m || typeof m !== 'object') return;
    if (isHostReady(m)) return announce?.();
    onMessage(m);
  });
  return api;
}

/**
 * Tells the host that this document listens, now and whenever the host says it started listening
 * (the host side is PanelHost, in the extension's panels folder): no polling, and a repeated announcement is recognised by
 * its instance.
 */
export function announceReady(api: Pick<VsCodeApi<unknown, PanelReady>, 'postMessage'>): void {
  announce = () => api.postMessage({ type: 'ready', instance });
  announce();
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

// Numbers: the one formatter shared with the host and the CLI (src/engine/format.ts). Prefer the
// named formatters (formatNats, formatDelta, formatCount, …); `fmt` and friends remain for callers
// that pass digits themselves (chart axes).
export {
  formatBytes,
  formatCount,
  formatDelta,
  formatDeltaInterval,
  formatFraction,
  formatInterval,
  formatLevel,
  formatNats,
  formatPercent,
  formatRatio,
  formatSeconds,
  formatTemperature,
  formatTick,
} from '../../src/engine/format';

/** A number with `digits` decimals (default: nats, 4), Unicode minus, no negative zero; missing as '—'. */
export function fmt(x: number | null | undefined, digits: number = DIGITS.nats): string {
  return formatFixed(x, digits);
}

/** An interval `[lo, hi]` with {@link fmt}'s digits; '' when there is none. */
export function fmtInterval(iv: { lo: number; hi: number } | null | undefined, digits: number = DIGITS.nats): string {
  return iv ? `[${fmt(iv.lo, digits)}, ${fmt(iv.hi, digits)}]` : '';
}

/** A signed difference: +0.0123 / −0.0123 (no sign when it rounds to zero). */
export function fmtDelta(x: number | null | undefined, digits: number = DIGITS.nats): string {
  return formatSigned(x, digits);
}

/** A signed interval of a difference: `[−0.0175, +0.0100]`; '' when there is none. */
export function fmtDeltaInterval(iv: { lo: number; hi: number } | null | undefined, digits: number = DIGITS.nats): string {
  return iv ? `[${fmtDelta(iv.lo, digits)}, ${fmtDelta(iv.hi, digits)}]` : '';
}
