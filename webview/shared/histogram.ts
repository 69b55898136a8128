/**
 * The webview's one histogram renderer, for the engine's one histogram contract
 * (src/engine/histogram.ts): half-open bins, outliers counted apart and drawn as separate
 * "below" / "above" bars, a count axis (linear or log), axis titles, a tooltip per bin, and —
 * with `onSelect` — brushing: drag across bins (or arrow keys, Shift to extend, Enter) to select a
 * value range; Escape or the Clear button removes it. SVG attributes only (no inline styles: the
 * CSP forbids them); colours come from the theme (media/charts.css).
 */
import type { Histogram } from '../../src/protocol/messages';
import { type CountScale, barHeight, countTicks, niceTicks, shortCount, slotCount, slotRange, slotsOf, slotsOfRange, tickDigits } from './chartScale';
import { fmt, formatCount, h } from './vscode';

const SVG = 'http://www.w3.org/2000/svg';

/** An SVG element with attributes (and text). */
export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

export interface RangeSelection {
  lo: number | null;
  hi: number | null;
}

export interface HistogramOptions {
  /** The figure's id (e.g. `hist-r`). */
  id: string;
  /** The colour class suffix: `r`, `u1`, `u2`, `s` (media/charts.css: .bar-r …). */
  colour: string;
  /** The variable as the text names it: `u1`, `Δs`. */
  name: string;
  /** The caption above the chart (default: the name). */
  caption?: string;
  /** Axis title under the chart (default: `<name> (nats)`). */
  axisTitle?: string;
  scale?: CountScale;
  /** A compact chart (the sample detail's "where it stands"): no axis titles. */
  small?: boolean;
  /** A value to mark (a sample's position). */
  mark?: number;
  /** Vertical reference lines: 0 of a difference, the adjustment shift. */
  refs?: { value: number; label: string }[];
  /** The selected range to draw (a filter the table applies). */
  selection?: RangeSelection;
  /** Signed tick labels (+0.1 / −0.1) for differences. */
  signed?: boolean;
  /** With onSelect, the chart is a brush: the selected range (and how many samples it holds) goes here. */
  onSelect?: (range: RangeSelection & { count: number }) => void;
  onClear?: () => void;
}

export interface HistogramChart {
  el: HTMLElement;
  setScale(scale: CountScale): void;
  setSelection(sel: RangeSelection | undefined): void;
}

const W = 320;
const SMALL_W = 220;

function signedFmt(x: number, digits: number): string {
  const s = fmt(Math.abs(x), digits);
  return Number(s) === 0 ? s : `${x > 0 ? '+' : '−'}${s}`;
}

/** A slot's range as text: `u1 ∈ [0.10, 0.20)`, `u1 < 0.10` (below the range), `u1 ≥ 2.5` (above). */
function slotText(hist: Histogram, name: string, k: number, digits: number): string {
  const bins = hist.counts.length;
  if (k < 0) return `${name} < ${fmt(hist.edges[0], digits)}`;
  if (k >= bins) return `${name} ≥ ${fmt(hist.edges[bins], digits)}`;
  return `${name} ∈ [${fmt(hist.edges[k], digits)}, ${fmt(hist.edges[k + 1], digits)})`;
}

const samples = (n: number) => `${formatCount(n)} sample${n === 1 ? '' : 's'}`;

export function histogramChart(hist: Histogram, opts: HistogramOptions): HistogramChart {
  let scale: CountScale = opts.scale ?? 'linear';
  let selection = opts.selection;
  const brush = !!opts.onSelect;
  const small = !!opts.small;
  const slots = slotsOf(hist);
  const bins = hist.counts.length;
  const total = hist.n || 1;
  const fine = tickDigits(niceTicks(hist.edges[0], hist.edges[bins], 4)) + 1;
  const status = h('p', { class: 'hist-status muted small', id: `${opts.id}-status`, role: 'status', 'aria-live': 'polite' });
  const box = h('div', { class: 'hist-svg' });
  // the keyboard cursor (a slot) and the selection being made: [anchor, cursor]
  let cursor = slots.includes(0) ? 0 : slots[0];
  let anchor: number | undefined;
  let drag: { from: number; to: number } | undefined;

  const countOf = (k: number) => (k < 0 ? hist.underflow : k >= bins ? hist.overflow : hist.counts[k]);
  const maxCount = Math.max(1, ...slots.map(countOf));
  // one svg for the chart's life (it keeps the keyboard focus); draw() replaces what is inside
  const root = svg('svg', {});
  box.append(root);
  let slotX = (_k: number) => 0;
  let slotW = 1;
  let focused = false;

  const draw = (): void => {
    const width = small ? SMALL_W : W;
    const L = small ? 6 : 40;
    const R = 8;
    const T = 8;
    const plotH = small ? 40 : 96;
    const B = small ? 16 : 34;
    const H = T + plotH + B;
    const gap = 6;
    const outliers = slots.length - bins;
    slotW = (width - L - R - gap * outliers) / slots.length;
    // x of a slot's left side; the regular bins are contiguous, the outlier slots set apart by a gap
    slotX = (k: number) => {
      const pos = slots.indexOf(k);
      return L + pos * slotW + (hist.underflow > 0 && k >= 0 ? gap : 0) + (k >= bins ? gap : 0);
    };
    const valueX = (v: number) => {
      const a = hist.edges[0];
      const b = hist.edges[bins];
      const x0 = slotX(0);
      return x0 + ((v - a) / (b - a)) * bins * slotW;
    };
    const y = (c: number) => T + plotH * (1 - barHeight(c, maxCount, scale));
    root.replaceChildren();
    for (const [k, v] of Object.entries({ viewBox: `0 0 ${width} ${H}`, width, height: H, class: `hist-chart${small ? ' small' : ''}`, 'data-scale': scale })) root.setAttribute(k, String(v));
    const aria = `Histogram of ${opts.name}: ${samples(hist.n)} in ${bins} bins from ${fmt(hist.edges[0], fine)} to ${fmt(hist.edges[bins], fine)}` +
      `${hist.underflow ? `, ${samples(hist.underflow)} below` : ''}${hist.overflow ? `, ${samples(hist.overflow)} above` : ''}` +
      `; tallest bin ${samples(maxCount)}; ${scale === 'log' ? 'log' : 'linear'} count axis.` +
      (brush ? ' Arrow keys move between bins, Shift with an arrow extends the selection, Enter lists the selected samples, Escape clears the selection.' : '');
    root.setAttribute('aria-label', aria);
    if (brush) {
      root.setAttribute('tabindex', '0');
      root.setAttribute('role', 'group');
      root.setAttribute('aria-roledescription', 'histogram');
      root.setAttribute('aria-describedby', status.id);
    } else root.setAttribute('role', 'img');
    // count axis: gridlines and labels
    if (!small) {
      for (const t of countTicks(maxCount, scale)) {
        const yy = y(t);
        root.append(svg('line', { x1: L, x2: width - R, y1: yy, y2: yy, class: 'hist-grid' }));
        root.append(svg('text', { x: L - 4, y: yy + 3.5, 'text-anchor': 'end', class: 'hist-tick' }, shortCount(t)));
      }
      root.append(svg('text', { x: 10, y: T + plotH / 2, 'text-anchor': 'middle', transform: `rotate(-90 10 ${T + plotH / 2})`, class: 'hist-axis-title' }, scale === 'log' ? 'samples (log)' : 'samples'));
    }
    // the selection under the bars
    const sel = drag ? [Math.min(drag.from, drag.to), Math.max(drag.from, drag.to)] : selection ? slotsOfRange(hist, selection.lo, selection.hi) : undefined;
    if (sel) {
      const x1 = slotX(Math.max(sel[0], slots[0]));
      const last = Math.min(sel[1], slots[slots.length - 1]);
      const x2 = slotX(last) + slotW;
      root.append(svg('rect', { x: x1, y: T, width: Math.max(1, x2 - x1), height: plotH, class: 'hist-brush' }));
    }
    // the bars; a full-height strip per slot carries its tooltip
    for (const k of slots) {
      const c = countOf(k);
      const x = slotX(k);
      const top = y(c);
      const text = slotText(hist, opts.name, k, fine);
      const outlier = k < 0 || k >= bins;
      const inMark = opts.mark !== undefined && Number.isFinite(opts.mark) && (k < 0 ? opts.mark < hist.edges[0] : k >= bins ? opts.mark >= hist.edges[bins] : opts.mark >= hist.edges[k] && opts.mark < hist.edges[k + 1]);
      const bar = svg('rect', {
        x: x + 0.5, y: top, width: Math.max(1, slotW - 1), height: T + plotH - top,
        class: `bin bar-${opts.colour}${outlier ? ' outlier' : ''}${inMark ? ' mark' : ''}`,
        'data-bin': k, 'data-count': c,
      });
      const r = slotRange(hist, k, k);
      const hit = svg('rect', { x, y: T, width: slotW, height: plotH, class: 'bin-hit', 'data-bin': k, 'data-lo': r.lo ?? '-Infinity', 'data-hi': r.hi ?? 'Infinity' });
      hit.append(svg('title', {}, `${text}${outlier ? (k < 0 ? ' (below the range)' : ' (above the range)') : ''}: ${samples(c)} (${((100 * c) / total).toFixed(1)} %)${brush ? '. Drag across bins to select a range.' : ''}`));
      root.append(bar, hit);
    }
    // the keyboard cursor
    if (brush && focused) {
      root.append(svg('rect', { x: slotX(cursor) + 0.5, y: T + 0.5, width: Math.max(1, slotW - 1), height: plotH - 1, class: 'hist-cursor' }));
    }
    // the baseline and the value axis
    root.append(svg('line', { x1: L, x2: width - R, y1: T + plotH + 0.5, y2: T + plotH + 0.5, class: 'hist-base' }));
    for (const r of opts.refs ?? []) {
      if (!(r.value >= hist.edges[0] && r.value < hist.edges[bins])) continue;
      const xx = valueX(r.value);
      const line = svg('line', { x1: xx, x2: xx, y1: T - 2, y2: T + plotH, class: 'hist-ref' });
      line.append(svg('title', {}, r.label));
      root.append(line);
    }
    if (!small) {
      const ticks = niceTicks(hist.edges[0], hist.edges[bins], width < 300 ? 3 : 4);
      const digits = tickDigits(ticks);
      for (const t of ticks) {
        const xx = valueX(t);
        root.append(svg('line', { x1: xx, x2: xx, y1: T + plotH, y2: T + plotH + 3, class: 'hist-base' }));
        root.append(svg('text', { x: xx, y: T + plotH + 13, 'text-anchor': 'middle', class: 'hist-tick' }, opts.signed ? signedFmt(t, digits) : fmt(t, digits)));
      }
      if (hist.underflow > 0) root.append(svg('text', { x: slotX(-1) + slotW / 2, y: T + plotH + 13, 'text-anchor': 'middle', class: 'hist-tick outlier-tick' }, '<'));
      if (hist.overflow > 0) root.append(svg('text', { x: slotX(bins) + slotW / 2, y: T + plotH + 13, 'text-anchor': 'middle', class: 'hist-tick outlier-tick' }, '≥'));
      root.append(svg('text', { x: L + (width - L - R) / 2, y: H - 4, 'text-anchor': 'middle', class: 'hist-axis-title' }, opts.axisTitle ?? `${opts.name} (nats)`));
    }
  };

  const describe = (a: number, b: number): string => {
    const n = slotCount(hist, a, b);
    if (a === b) return `${slotText(hist, opts.name, a, fine)}: ${samples(n)}`;
    const r = slotRange(hist, a, b);
    const text = r.lo === null && r.hi === null ? `every ${opts.name}` : r.lo === null ? `${opts.name} < ${fmt(r.hi, fine)}` : r.hi === null ? `${opts.name} ≥ ${fmt(r.lo, fine)}` : `${fmt(r.lo, fine)} ≤ ${opts.name} < ${fmt(r.hi, fine)}`;
    return `${text}: ${samples(n)}`;
  };

  const apply = (a: number, b: number): void => {
    const first = Math.min(a, b);
    const last = Math.max(a, b);
    const r = slotRange(hist, first, last);
    selection = r;
    if (clearBtn) clearBtn.hidden = false;
    status.textContent = `Selected ${describe(first, last)}.`;
    opts.onSelect?.({ ...r, count: slotCount(hist, first, last) });
    draw();
  };

  function wire(): void {
    const slotAt = (e: PointerEvent): number => {
      const box = root.getBoundingClientRect();
      const x = ((e.clientX - box.left) / box.width) * Number(root.getAttribute('width'));
      let best = slots[0];
      let bestD = Infinity;
      for (const k of slots) {
        const d = Math.abs(slotX(k) + slotW / 2 - x);
        if (d < bestD) (bestD = d), (best = k);
      }
      return best;
    };
    root.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      e.preventDefault();
      root.setPointerCapture(e.pointerId);
      const k = slotAt(e);
      drag = { from: k, to: k };
      draw();
    });
    root.addEventListener('pointermove', (e) => {
      if (!drag) return;
      const k = slotAt(e);
      if (k === drag.to) return;
      drag.to = k;
      status.textContent = describe(Math.min(drag.from, drag.to), Math.max(drag.from, drag.to));
      draw();
    });
    const end = (e: PointerEvent, commit: boolean) => {
      if (!drag) return;
      const d = drag;
      drag = undefined;
      if (commit) {
        d.to = slotAt(e);
        cursor = d.to;
        apply(d.from, d.to);
      } else draw();
    };
    root.addEventListener('pointerup', (e) => end(e, true));
    root.addEventListener('pointercancel', (e) => end(e, false));
    root.addEventListener('focus', () => {
      focused = true;
      status.textContent = describe(cursor, cursor);
      draw();
    });
    root.addEventListener('blur', () => {
      focused = false;
      anchor = undefined;
      draw();
    });
    root.addEventListener('keydown', (e) => {
      const pos = slots.indexOf(cursor);
      let to = -2;
      if (e.key === 'ArrowRight') to = slots[Math.min(slots.length - 1, pos + 1)];
      else if (e.key === 'ArrowLeft') to = slots[Math.max(0, pos - 1)];
      else if (e.key === 'Home') to = slots[0];
      else if (e.key === 'End') to = slots[slots.length - 1];
      if (to !== -2) {
        e.preventDefault();
        if (e.shiftKey) anchor ??= cursor;
        else anchor = undefined;
        cursor = to;
        drag = anchor !== undefined ? { from: anchor, to: cursor } : undefined;
        status.textContent = anchor !== undefined ? `${describe(Math.min(anchor, cursor), Math.max(anchor, cursor))}; Enter lists them` : describe(cursor, cursor);
        draw();
      } else if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        const a = anchor ?? cursor;
        anchor = undefined;
        drag = undefined;
        apply(a, cursor);
      } else if (e.key === 'Escape' && (selection || drag)) {
        e.preventDefault();
        anchor = undefined;
        drag = undefined;
        clear();
      }
    });
  }

  const clearBtn = brush ? h('button', { type: 'button', class: 'chip hist-clear', id: `${opts.id}-clear`, hidden: !selection, 'aria-label': `Clear the selection on ${opts.name}` }, 'Clear selection', h('span', { 'aria-hidden': 'true' }, ' ✕')) : null;
  const clear = (): void => {
    selection = undefined;
    status.textContent = 'Selection cleared.';
    if (clearBtn) clearBtn.hidden = true;
    opts.onClear?.();
    draw();
  };
  clearBtn?.addEventListener('click', clear);

  const caption = h('figcaption', null, opts.caption ?? opts.name);
  const fig = h('figure', { class: `hist-figure${small ? ' small-hist' : ''}`, id: opts.id, 'data-underflow': hist.underflow, 'data-overflow': hist.overflow, 'data-n': hist.n },
    caption, box, brush ? h('div', { class: 'hist-foot' }, status, clearBtn) : null);
  if (brush) wire();
  draw();
  return {
    el: fig,
    setScale(s) {
      scale = s;
      draw();
    },
    setSelection(s) {
      selection = s;
      if (clearBtn) clearBtn.hidden = !s;
      draw();
    },
  };
}

/**
 * One sentence under a histogram on what its bins cover and what lies beyond (the far outliers,
 * counted in the "<" and "≥" bars), or that every sample is inside.
 */
export function rangeNote(hist: Histogram, name: string): string {
  const bins = hist.counts.length;
  const digits = tickDigits(niceTicks(hist.edges[0], hist.edges[bins], 4)) + 1;
  const range = `${fmt(hist.min, digits)} … ${fmt(hist.max, digits)}`;
  const missing = hist.missing ? ` ${samples(hist.missing)} have no value.` : '';
  if (hist.rule === 'full' || hist.underflow + hist.overflow === 0) return `Every sample is in the bins: ${name} from ${range}.${missing}`;
  const parts = [hist.underflow ? `${samples(hist.underflow)} below ${fmt(hist.edges[0], digits)}` : '', hist.overflow ? `${samples(hist.overflow)} from ${fmt(hist.edges[bins], digits)} up` : ''].filter(Boolean);
  return `"<" / "≥" bars: far outliers, ${parts.join(', ')} (beyond 3 × IQR from the quartiles and the outer 0.5 %); full range ${range}.${missing}`;
}

/** The log-scale switch of a group of histograms (aria-pressed). */
export function scaleToggle(id: string, scale: CountScale, onChange: (s: CountScale) => void): HTMLElement {
  const b = h('button', { type: 'button', class: 'chip-toggle', id, 'aria-pressed': String(scale === 'log'), title: 'Count axis on a log scale: small bins (the tails) stay visible next to a tall one' }, 'Log scale');
  b.addEventListener('click', () => {
    const next: CountScale = b.getAttribute('aria-pressed') === 'true' ? 'linear' : 'log';
    b.setAttribute('aria-pressed', String(next === 'log'));
    onChange(next);
  });
  return b;
}
