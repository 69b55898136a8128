/** Small charts drawn with DOM and SVG (no inline styles: the CSP forbids them). */
import type { AtomValues } from '../../src/protocol/messages';
import { svg } from './histogram';
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

export { svg };

/**
 * The waterfall of one sample's decomposition: r, then + u1, + u2, + s (each step from where the
 * last ended), and the totals i1 = r + u1, i2 = r + u2, i12 = r + u1 + u2 + s as bars from 0. Every
 * bar is labelled at its end: right of a step that adds, left of one that takes away, so a
 * negative value never sits at the bar's start.
 */
export function waterfall(v: { r: number; u1: number; u2: number; s: number; i1: number; i2: number; i12: number }, modalityNames: [string, string]): SVGSVGElement {
  const rows = [
    { col: 'r', label: 'r', from: 0, to: v.r, help: 'redundancy' },
    { col: 'u1', label: '+ u1', from: v.r, to: v.r + v.u1, help: `unique to ${modalityNames[0]}` },
    { col: 'u2', label: '+ u2', from: v.r + v.u1, to: v.r + v.u1 + v.u2, help: `unique to ${modalityNames[1]}` },
    { col: 's', label: '+ s', from: v.r + v.u1 + v.u2, to: v.i12, help: 'synergy' },
    { col: 'total', label: 'i1', from: 0, to: v.i1, help: `r + u1: what ${modalityNames[0]} tells about the label` },
    { col: 'total', label: 'i2', from: 0, to: v.i2, help: `r + u2: what ${modalityNames[1]} tells about the label` },
    { col: 'total', label: 'i12', from: 0, to: v.i12, help: 'r + u1 + u2 + s: what both tell' },
  ];
  const xs = rows.flatMap((s) => [s.from, s.to]).concat([0]);
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const W = 340;
  const L = 34; // row labels
  const PAD = 52; // room for a value label on either side of the bars
  const rowH = 20;
  const top = 4;
  const gapAt = 4; // a gap between the steps and the totals
  const H = top + rows.length * rowH + 8 + 30;
  const x = (t: number) => L + PAD + ((t - lo) / (hi - lo || 1)) * (W - L - 2 * PAD);
  const yOf = (k: number) => top + k * rowH + (k >= gapAt ? 8 : 0);
  const root = svg('svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}`, class: 'waterfall', role: 'img' });
  root.setAttribute('aria-label', `Decomposition: r ${fmt(v.r)}, u1 ${fmt(v.u1)}, u2 ${fmt(v.u2)}, s ${fmt(v.s)}; i1 = r + u1 = ${fmt(v.i1)}, i2 = r + u2 = ${fmt(v.i2)}, i12 = ${fmt(v.i12)} nats`);
  root.append(svg('title', {}, `1 = ${modalityNames[0]}, 2 = ${modalityNames[1]}`));
  const axisY = yOf(rows.length) + 2;
  root.append(svg('line', { x1: x(0), x2: x(0), y1: top, y2: axisY, class: 'wf-zero' }));
  rows.forEach((s, k) => {
    const y = yOf(k);
    const a = x(Math.min(s.from, s.to));
    const b = x(Math.max(s.from, s.to));
    const d = s.to - s.from;
    const name = s.label.replace('+ ', '');
    const g = svg('g', { class: 'wf-row', 'data-row': name });
    g.append(svg('text', { x: L - 4, y: y + 13, 'text-anchor': 'end', class: 'wf-label' }, s.label));
    const bar = svg('rect', { x: a, y: y + 2, width: Math.max(1, b - a), height: rowH - 6, class: `wf-bar wf-${s.col}` });
    bar.append(svg('title', {}, `${name} = ${fmt(d, 4)} nats: ${s.help}`));
    g.append(bar);
    // the value at the bar's end, on the side it moved to (left for a negative step)
    const neg = d < 0;
    g.append(svg('text', { x: neg ? a - 4 : b + 4, y: y + 13, 'text-anchor': neg ? 'end' : 'start', class: `wf-value${neg ? ' negative' : ''}` }, fmt(d)));
    // a dotted link from one step's end to the next step's start
    if (k < 3) g.append(svg('line', { x1: x(s.to), x2: x(s.to), y1: y + rowH - 4, y2: y + rowH + 2, class: 'wf-link' }));
    root.append(g);
  });
  // the value axis: 0 and the ends, in nats
  root.append(svg('line', { x1: x(lo), x2: x(hi), y1: axisY, y2: axisY, class: 'wf-zero' }));
  for (const t of [...new Set([lo, 0, hi])]) {
    if (t !== 0 && Math.abs(x(t) - x(0)) < 28) continue;
    root.append(svg('text', { x: x(t), y: axisY + 12, 'text-anchor': 'middle', class: 'wf-tick' }, fmt(t, 2)));
  }
  root.append(svg('text', { x: x((lo + hi) / 2), y: axisY + 26, 'text-anchor': 'middle', class: 'wf-tick' }, 'nats'));
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
