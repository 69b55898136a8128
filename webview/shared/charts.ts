/** Small charts drawn with DOM and SVG (no inline styles: the CSP forbids them). */
import type { AtomValues, Histogram } from '../../src/protocol/messages';
import { fmt, formatCount, formatFraction, formatPercent, h } from './vscode';

export const ATOMS = [
  { key: 'R', col: 'r', name: 'Redundancy' },
  { key: 'U1', col: 'u1', name: 'Uniqueness 1' },
  { key: 'U2', col: 'u2', name: 'Uniqueness 2' },
  { key: 'S', col: 's', name: 'Synergy' },
] as const;
export type AtomCol = (typeof ATOMS)[number]['col'];

export function atomLabel(modalityNames: [string, string], key: keyof AtomValues): string {
  return key === 'U1' ? `Unique to ${modalityNames[0]}` : key === 'U2' ? `Unique to ${modalityNames[1]}` : key === 'R' ? 'Redundancy' : 'Synergy';
}

/** Stacked bar of the positive parts of R, U1, U2, S (shares of their sum). */
export function compositionBar(a: AtomValues, id: string | undefined, label: string): HTMLElement {
  const parts = ATOMS.map((x) => Math.max(0, a[x.key]));
  const sum = parts.reduce((s, v) => s + v, 0) || 1;
  let used = 0;
  const widths = parts.map((v, k) => {
    const w = k === parts.length - 1 ? Math.max(0, 100 - used) : Math.round((100 * v) / sum);
    used += w;
    return v > 0 ? w : 0;
  });
  const text = ATOMS.map((x, k) => `${x.key} ${Math.round((100 * parts[k]) / sum)}%`).join(', ');
  return h('div', { class: 'composition', id, role: 'img', 'aria-label': `${label}: ${text}`, title: text },
    ...ATOMS.map((x, k) => (widths[k] > 0 ? h('div', { class: `seg seg-${x.col} w${Math.min(100, widths[k])}` }) : null)));
}

export function legend(modalityNames: [string, string]): HTMLElement {
  return h('ul', { class: 'legend', 'aria-hidden': 'true' }, ...ATOMS.map((a) => h('li', null, h('span', { class: `swatch seg-${a.col}` }), `${a.key} ${atomLabel(modalityNames, a.key).toLowerCase()}`)));
}

/** The [lo, hi) range of bin k; the edge bins are open (they also count values beyond). */
export function binRange(hist: Histogram, k: number): { lo: number | null; hi: number | null } {
  const width = (hist.hi - hist.lo) / hist.counts.length;
  return { lo: k === 0 ? null : hist.lo + k * width, hi: k === hist.counts.length - 1 ? null : hist.lo + (k + 1) * width };
}

export function binOf(hist: Histogram, x: number): number {
  const n = hist.counts.length;
  return Math.min(n - 1, Math.max(0, Math.floor(((x - hist.lo) / (hist.hi - hist.lo)) * n)));
}

/**
 * A histogram; with `onBin`, each bin is a button that filters by its range. `mark` highlights
 * the bin of one value (a sample's position in the distribution).
 */
export function histogramView(
  col: string,
  caption: string,
  hist: Histogram,
  opts: { onBin?: (k: number) => void; mark?: number; small?: boolean; id?: string } = {},
): HTMLElement {
  const max = Math.max(...hist.counts, 1);
  const width = (hist.hi - hist.lo) / hist.counts.length;
  const markBin = opts.mark === undefined ? -1 : binOf(hist, opts.mark);
  const bars = hist.counts.map((c, k) => {
    const pct = c === 0 ? 0 : Math.max(1, Math.round((100 * c) / max));
    const a = hist.lo + k * width;
    const range = `${k === 0 ? '(−∞' : `[${fmt(a)}`}, ${k === hist.counts.length - 1 ? '∞)' : `${fmt(a + width)})`}`;
    const title = `${col} ∈ ${range}: ${c} sample${c === 1 ? '' : 's'}`;
    const cls = `hbar seg-${col} h${pct}${k === markBin ? ' mark' : ''}`;
    if (!opts.onBin) return h('div', { class: cls, title });
    const b = h('button', { type: 'button', class: cls, title: `${title} — click to list them`, 'aria-label': title, 'data-bin': k });
    b.addEventListener('click', () => opts.onBin!(k));
    return b;
  });
  const beyond = hist.below + hist.above;
  return h('figure', { class: `hist-figure${opts.small ? ' small-hist' : ''}`, id: opts.id ?? `hist-${col}` },
    h('figcaption', null, caption),
    h('div', { class: 'hist', role: opts.onBin ? 'group' : 'img', 'aria-label': `Histogram of ${col}: ${hist.counts.length} bins from ${fmt(hist.lo)} to ${fmt(hist.hi)} nats, tallest bin ${max} samples` }, ...bars),
    h('div', { class: 'hist-axis muted' }, h('span', null, fmt(hist.lo, 2)), h('span', null, fmt(hist.hi, 2))),
    opts.small ? null : h('div', { class: 'muted small' }, `range ${fmt(hist.min, 2)} … ${fmt(hist.max, 2)}${beyond ? `; ${beyond} beyond the 1–99% range in the edge bins` : ''}`));
}

const SVG = 'http://www.w3.org/2000/svg';

/** An SVG element with attributes (and text). */
export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/**
 * The waterfall of one sample's decomposition: r, then + u1 (= i1), + u2, + s (= i12), and the
 * i12 total; i2 = r + u2 is marked. Negative steps go left.
 */
export function waterfall(v: { r: number; u1: number; u2: number; s: number; i1: number; i2: number; i12: number }, modalityNames: [string, string]): SVGSVGElement {
  const steps = [
    { col: 'r', label: 'r', from: 0, to: v.r },
    { col: 'u1', label: 'u1', from: v.r, to: v.r + v.u1 },
    { col: 'u2', label: 'u2', from: v.r + v.u1, to: v.r + v.u1 + v.u2 },
    { col: 's', label: 's', from: v.r + v.u1 + v.u2, to: v.i12 },
    { col: 'total', label: 'i12', from: 0, to: v.i12 },
  ];
  const xs = steps.flatMap((s) => [s.from, s.to]).concat([0, v.i2]);
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const W = 340;
  const L = 40;
  const R = 70;
  const rowH = 22;
  const H = steps.length * rowH + 24;
  const x = (t: number) => L + ((t - lo) / (hi - lo || 1)) * (W - L - R);
  const root = svg('svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}`, class: 'waterfall', role: 'img' });
  root.setAttribute('aria-label', `Decomposition: r ${fmt(v.r)}, u1 ${fmt(v.u1)}, u2 ${fmt(v.u2)}, s ${fmt(v.s)}; i1 = r + u1 = ${fmt(v.i1)}, i2 = r + u2 = ${fmt(v.i2)}, i12 = ${fmt(v.i12)} nats`);
  root.append(svg('line', { x1: x(0), x2: x(0), y1: 0, y2: H - 20, class: 'wf-zero' }));
  steps.forEach((s, k) => {
    const y = k * rowH + 2;
    const a = x(Math.min(s.from, s.to));
    const b = x(Math.max(s.from, s.to));
    root.append(svg('text', { x: L - 6, y: y + 13, 'text-anchor': 'end', class: 'wf-label' }, s.label));
    root.append(svg('rect', { x: a, y, width: Math.max(1, b - a), height: rowH - 6, class: `wf-bar wf-${s.col}` }));
    root.append(svg('text', { x: Math.max(a, b) + 4, y: y + 13, class: 'wf-value' }, fmt(s.to - s.from)));
    if (k < 3) root.append(svg('line', { x1: x(s.to), x2: x(s.to), y1: y + rowH - 6, y2: y + rowH + 2, class: 'wf-link' }));
  });
  // i1 after u1, i2 as a marker on the r..i12 axis
  const yAxis = steps.length * rowH + 6;
  root.append(svg('text', { x: x(v.i1), y: yAxis + 12, 'text-anchor': 'middle', class: 'wf-tick' }, `i1 ${fmt(v.i1, 2)}`));
  root.append(svg('line', { x1: x(v.i2), x2: x(v.i2), y1: yAxis - 6, y2: yAxis, class: 'wf-link' }));
  root.append(svg('title', {}, `1 = ${modalityNames[0]}, 2 = ${modalityNames[1]}; i2 = r + u2 = ${fmt(v.i2)}`));
  return root;
}

/** One reliability diagram's data (ReliabilityOverview in src/protocol/messages.ts). */
interface ReliabilityData {
  bins: { lo: number; hi: number; n: number; confidence: number | null; accuracy: number | null }[];
  ece: number | null;
}

/**
 * A reliability diagram: per confidence bin, the accuracy against the mean confidence, before
 * (hollow points, dashed) and after calibration (filled points), the diagonal of perfect
 * calibration, and under the plot how many samples each bin holds (after calibration). Bins
 * without samples are not drawn. Colours come from the theme (media/panel.css: .rel-*).
 */
export function reliabilityDiagram(before: ReliabilityData, after: ReliabilityData, label: string): SVGSVGElement {
  const P = 150; // plot side
  const L = 30;
  const T = 8;
  const BAND = 14; // the sample-count strip under the plot
  const W = L + P + 10;
  const TICKS = T + P + 4 + BAND + 11; // baseline of the confidence ticks
  const H = TICKS + 14;
  const x = (c: number) => L + Math.min(1, Math.max(0, c)) * P;
  const y = (a: number) => T + (1 - Math.min(1, Math.max(0, a))) * P;
  const used = (r: ReliabilityData) => r.bins.map((b, k) => ({ ...b, k })).filter((b) => b.n > 0 && b.confidence !== null && b.accuracy !== null);
  const aria = `${label}: expected calibration error ${formatFraction(before.ece)} before calibration, ${formatFraction(after.ece)} after; ${used(after).length} of ${after.bins.length} confidence bins hold samples`;
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: 'reliability', role: 'img', 'aria-label': aria });
  root.append(svg('title', {}, aria));
  // frame, grid at 0.5, the diagonal
  root.append(svg('rect', { x: L, y: T, width: P, height: P, class: 'rel-frame' }));
  root.append(svg('line', { x1: x(0.5), x2: x(0.5), y1: T, y2: T + P, class: 'rel-grid' }));
  root.append(svg('line', { x1: L, x2: L + P, y1: y(0.5), y2: y(0.5), class: 'rel-grid' }));
  root.append(svg('line', { x1: x(0), y1: y(0), x2: x(1), y2: y(1), class: 'rel-diag' }));
  for (const [v, t] of [[0, '0'], [0.5, '.5'], [1, '1']] as const) {
    root.append(svg('text', { x: L - 4, y: y(v) + 4, 'text-anchor': 'end', class: 'rel-tick' }, t));
    root.append(svg('text', { x: x(v), y: TICKS, 'text-anchor': 'middle', class: 'rel-tick' }, t));
  }
  root.append(svg('text', { x: 9, y: T + P / 2, 'text-anchor': 'middle', transform: `rotate(-90 9 ${T + P / 2})`, class: 'rel-axis' }, 'accuracy'));
  root.append(svg('text', { x: x(0.5), y: H - 1, 'text-anchor': 'middle', class: 'rel-axis' }, 'confidence'));
  // how many samples each bin holds (after calibration): bars in a strip under the plot
  const counts = svg('g', { class: 'rel-counts' });
  const maxN = Math.max(1, ...after.bins.map((b) => b.n));
  const total = after.bins.reduce((s, b) => s + b.n, 0) || 1;
  const bandTop = T + P + 4;
  for (const [k, b] of after.bins.entries()) {
    if (b.n <= 0) continue;
    const hgt = Math.max(1, (b.n / maxN) * BAND);
    const bar = svg('rect', { x: x(b.lo) + 0.5, y: bandTop + BAND - hgt, width: Math.max(1, x(b.hi) - x(b.lo) - 1), height: hgt, class: 'rel-count', 'data-bin': k });
    bar.append(svg('title', {}, `confidence ${fmt(b.lo, 1)}–${fmt(b.hi, 1)}: ${formatCount(b.n)} samples (${formatPercent(b.n / total)}) after calibration`));
    counts.append(bar);
  }
  root.append(counts);
  // the points: before (hollow, dashed line), after (filled, solid line)
  for (const [which, r] of [['before', before], ['after', after]] as const) {
    const pts = used(r);
    const g = svg('g', { class: `rel-series rel-${which}` });
    if (pts.length > 1) g.append(svg('polyline', { points: pts.map((b) => `${x(b.confidence!)},${y(b.accuracy!)}`).join(' '), class: 'rel-line' }));
    for (const b of pts) {
      const c = svg('circle', { cx: x(b.confidence!), cy: y(b.accuracy!), r: which === 'before' ? 4 : 2.8, class: 'rel-pt', 'data-bin': b.k, 'data-n': b.n });
      c.append(svg('title', {}, `${which} calibration, confidence ${fmt(b.lo, 1)}–${fmt(b.hi, 1)}: ${formatCount(b.n)} samples, mean confidence ${formatFraction(b.confidence)}, accuracy ${formatFraction(b.accuracy)}`));
      g.append(c);
    }
    root.append(g);
  }
  return root;
}
