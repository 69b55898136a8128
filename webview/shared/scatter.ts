/**
 * The scatter of one component in two runs (Compare Runs): density shading of every sample, at
 * most a few thousand points, the diagonal, axes with ticks and titles, a tooltip for the point
 * under the pointer (or the keyboard cursor), a click to inspect a sample and a dragged box that
 * selects the samples inside it (the movers table follows). SVG attributes only (CSP).
 */
import type { Scatter } from '../../src/protocol/messages';
import { niceTicks, tickDigits } from './chartScale';
import { svg } from './histogram';
import { fmt, fmtDelta, formatCount, h } from './vscode';

export interface ScatterBox {
  x: { lo: number; hi: number };
  y: { lo: number; hi: number };
}

export interface ScatterOptions {
  /** The runs on the axes, as the panel names them. */
  xRun: string;
  yRun: string;
  classNames: string[];
  box?: ScatterBox;
  onInspect(index: number): void;
  onSelect(box: ScatterBox): void;
  onClear(): void;
}

export interface ScatterChart {
  el: HTMLElement;
  setBox(box: ScatterBox | undefined): void;
}

const S = 380;
const L = 52; // left: ticks and the y title
const B = 42; // bottom: ticks and the x title
const T = 10;
const R = 12;

export function scatterChart(sc: Scatter, opts: ScatterOptions): ScatterChart {
  let box = opts.box;
  const span = sc.max - sc.min || 1;
  const plot = S - L - R;
  const px = (v: number) => L + ((v - sc.min) / span) * plot;
  const py = (v: number) => T + plot - ((v - sc.min) / span) * plot;
  const vx = (x: number) => sc.min + ((x - L) / plot) * span;
  const vy = (y: number) => sc.min + ((T + plot - y) / plot) * span;
  const pts = sc.points;
  const n = pts.index.length;
  const label = (k: number) => `${pts.sampleId?.[k] ?? `#${pts.index[k]}`} (${opts.classNames[pts.label[k]] ?? pts.label[k]})`;
  const status = h('p', { class: 'hist-status muted small', id: 'scatter-status', role: 'status', 'aria-live': 'polite' });
  const HGT = T + plot + B;
  const root = svg('svg', { width: S, height: HGT, viewBox: `0 0 ${S} ${HGT}`, class: 'scatter', tabindex: 0, role: 'group', 'aria-roledescription': 'scatter plot', 'aria-describedby': 'scatter-status' });
  root.setAttribute('aria-label', `Scatter of ${sc.component}: x ${opts.xRun}, y ${opts.yRun}; ${formatCount(sc.total)} samples, Pearson ${fmt(sc.pearson)}. Drag a box to list the samples inside it. Arrow keys step through the points, biggest movers first; Enter inspects one; Escape clears the box.`);
  // density of every sample
  const g = sc.grid;
  const cell = plot / g.size;
  for (let gy = 0; gy < g.size; gy++) {
    for (let gx = 0; gx < g.size; gx++) {
      const c = g.cells[gy * g.size + gx];
      if (!c) continue;
      const level = Math.min(9, Math.ceil((9 * Math.log1p(c)) / Math.log1p(g.maxCount || 1)));
      root.append(svg('rect', { x: L + gx * cell, y: T + plot - (gy + 1) * cell, width: cell + 0.3, height: cell + 0.3, class: `dens d${level}` }));
    }
  }
  root.append(svg('line', { x1: px(sc.min), y1: py(sc.min), x2: px(sc.max), y2: py(sc.max), class: 'diag' }));
  const dots = svg('g', { class: 'dots' });
  for (let k = 0; k < n; k++) dots.append(svg('circle', { cx: px(pts.x[k]), cy: py(pts.y[k]), r: 1.6 }));
  root.append(dots);
  // axes, ticks, titles
  root.append(svg('line', { x1: L, x2: L + plot, y1: T + plot, y2: T + plot, class: 'axis' }));
  root.append(svg('line', { x1: L, x2: L, y1: T, y2: T + plot, class: 'axis' }));
  const ticks = niceTicks(sc.min, sc.max, 5);
  const digits = tickDigits(ticks);
  for (const t of ticks) {
    root.append(svg('line', { x1: px(t), x2: px(t), y1: T + plot, y2: T + plot + 4, class: 'axis' }));
    root.append(svg('text', { x: px(t), y: T + plot + 15, 'text-anchor': 'middle', class: 'tick' }, fmt(t, digits)));
    root.append(svg('line', { x1: L - 4, x2: L, y1: py(t), y2: py(t), class: 'axis' }));
    root.append(svg('text', { x: L - 6, y: py(t) + 4, 'text-anchor': 'end', class: 'tick' }, fmt(t, digits)));
  }
  root.append(svg('text', { x: L + plot / 2, y: T + plot + 32, 'text-anchor': 'middle', class: 'axis-title', id: 'scatter-x-title' }, `${sc.component} in ${opts.xRun} (nats)`));
  root.append(svg('text', { x: 12, y: T + plot / 2, 'text-anchor': 'middle', transform: `rotate(-90 12 ${T + plot / 2})`, class: 'axis-title', id: 'scatter-y-title' }, `${sc.component} in ${opts.yRun} (nats)`));
  // the box (selection), the selected point, the tooltip
  const boxRect = svg('rect', { class: 'scatter-box-sel', x: 0, y: 0, width: 0, height: 0, visibility: 'hidden' });
  const sel = svg('circle', { cx: -10, cy: -10, r: 4, class: 'selected-dot' });
  const tip = svg('g', { class: 'scatter-tip', visibility: 'hidden', 'aria-hidden': 'true' });
  const tipBg = svg('rect', { x: 0, y: 0, width: 10, height: 10, rx: 3, class: 'tip-bg' });
  const tipLines = [0, 1, 2, 3].map((k) => svg('text', { x: 6, y: 14 + k * 14, class: 'tip-text' }));
  tip.append(tipBg, ...tipLines);
  root.append(boxRect, sel, tip);

  const drawBox = (b: ScatterBox | undefined) => {
    if (!b) return boxRect.setAttribute('visibility', 'hidden');
    const x1 = px(Math.max(sc.min, b.x.lo));
    const x2 = px(Math.min(sc.max, b.x.hi));
    const y1 = py(Math.min(sc.max, b.y.hi));
    const y2 = py(Math.max(sc.min, b.y.lo));
    for (const [k, v] of Object.entries({ x: Math.min(x1, x2), y: Math.min(y1, y2), width: Math.abs(x2 - x1), height: Math.abs(y2 - y1) })) boxRect.setAttribute(k, String(v));
    boxRect.setAttribute('visibility', 'visible');
  };
  drawBox(box);

  const tipText = (k: number) => [label(k), `x ${opts.xRun}: ${fmt(pts.x[k])}`, `y ${opts.yRun}: ${fmt(pts.y[k])}`, `Δ${sc.component} = y − x: ${fmtDelta(pts.y[k] - pts.x[k])}`];
  const showTip = (k: number) => {
    const lines = tipText(k);
    lines.forEach((t, i) => (tipLines[i].textContent = t));
    // the text's own width where the browser can measure it
    const measured = Math.max(...tipLines.map((t) => (t.getComputedTextLength ? t.getComputedTextLength() : 0)));
    const w = (measured > 0 ? measured : Math.max(...lines.map((t) => t.length)) * 6.2) + 12;
    const hgt = lines.length * 14 + 8;
    let x = px(pts.x[k]) + 10;
    let y = py(pts.y[k]) - hgt - 6;
    if (x + w > S - 2) x = px(pts.x[k]) - w - 10;
    x = Math.max(2, Math.min(S - w - 2, x));
    if (y < 2) y = py(pts.y[k]) + 10;
    y = Math.max(2, Math.min(HGT - hgt - 2, y));
    tip.setAttribute('transform', `translate(${x} ${y})`);
    tipBg.setAttribute('width', String(w));
    tipBg.setAttribute('height', String(hgt));
    tip.setAttribute('visibility', 'visible');
    sel.setAttribute('cx', String(px(pts.x[k])));
    sel.setAttribute('cy', String(py(pts.y[k])));
    tip.setAttribute('data-index', String(pts.index[k]));
  };
  const hideTip = () => tip.setAttribute('visibility', 'hidden');
  const toLocal = (e: { clientX: number; clientY: number }) => {
    const r = root.getBoundingClientRect();
    const vb = root.viewBox.baseVal;
    return { x: ((e.clientX - r.left) / r.width) * vb.width, y: ((e.clientY - r.top) / r.height) * vb.height };
  };
  const nearest = (x: number, y: number, within = 10): number => {
    let best = -1;
    let bestD = within * within;
    for (let k = 0; k < n; k++) {
      const d = (px(pts.x[k]) - x) ** 2 + (py(pts.y[k]) - y) ** 2;
      if (d < bestD) (bestD = d), (best = k);
    }
    return best;
  };
  const clamp = (v: number) => Math.min(sc.max, Math.max(sc.min, v));

  let start: { x: number; y: number; id: number } | undefined;
  let dragging = false;
  root.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    const p = toLocal(e);
    start = { ...p, id: e.pointerId };
    dragging = false;
    root.setPointerCapture(e.pointerId);
  });
  root.addEventListener('pointermove', (e) => {
    const p = toLocal(e);
    if (start) {
      if (!dragging && Math.hypot(p.x - start.x, p.y - start.y) < 5) return;
      dragging = true;
      hideTip();
      drawBox({ x: { lo: vx(Math.min(start.x, p.x)), hi: vx(Math.max(start.x, p.x)) }, y: { lo: vy(Math.max(start.y, p.y)), hi: vy(Math.min(start.y, p.y)) } });
      return;
    }
    const k = nearest(p.x, p.y);
    if (k >= 0) showTip(k);
    else hideTip();
  });
  root.addEventListener('pointerleave', () => {
    if (!start) hideTip();
  });
  root.addEventListener('pointerup', (e) => {
    if (!start) return;
    const p = toLocal(e);
    const s0 = start;
    start = undefined;
    if (dragging) {
      dragging = false;
      const b: ScatterBox = {
        x: { lo: clamp(vx(Math.min(s0.x, p.x))), hi: clamp(vx(Math.max(s0.x, p.x))) },
        y: { lo: clamp(vy(Math.max(s0.y, p.y))), hi: clamp(vy(Math.min(s0.y, p.y))) },
      };
      box = b;
      drawBox(b);
      clearBtn.hidden = false;
      const inside = countInside(b);
      status.textContent = `Box: ${opts.xRun} ${fmt(b.x.lo)} … ${fmt(b.x.hi)}, ${opts.yRun} ${fmt(b.y.lo)} … ${fmt(b.y.hi)}${sc.sampled ? '' : `: ${formatCount(inside)} samples`}.`;
      opts.onSelect(b);
      return;
    }
    const k = nearest(p.x, p.y, 12);
    if (k >= 0) {
      showTip(k);
      opts.onInspect(pts.index[k]);
    }
  });
  root.addEventListener('pointercancel', () => {
    start = undefined;
    dragging = false;
    drawBox(box);
  });
  // keyboard: the points by |Δ|, biggest movers first
  const order = Array.from({ length: n }, (_, k) => k).sort((a, b) => Math.abs(pts.y[b] - pts.x[b]) - Math.abs(pts.y[a] - pts.x[a]));
  let cur = -1;
  root.addEventListener('keydown', (e) => {
    if (!n) return;
    if (e.key === 'ArrowRight' || e.key === 'ArrowDown' || e.key === 'ArrowLeft' || e.key === 'ArrowUp' || e.key === 'Home') {
      e.preventDefault();
      cur = e.key === 'Home' ? 0 : e.key === 'ArrowRight' || e.key === 'ArrowDown' ? Math.min(n - 1, cur + 1) : Math.max(0, cur - 1);
      const k = order[cur];
      showTip(k);
      status.textContent = `${cur + 1} of ${n}: ${tipText(k).join('; ')}. Enter inspects it.`;
    } else if (e.key === 'Enter' && cur >= 0) {
      e.preventDefault();
      opts.onInspect(pts.index[order[cur]]);
    } else if (e.key === 'Escape' && box) {
      e.preventDefault();
      clear();
    }
  });
  root.addEventListener('blur', hideTip);

  /** Points inside a box (exact when every sample is drawn). */
  function countInside(b: ScatterBox): number {
    let c = 0;
    for (let k = 0; k < n; k++) if (pts.x[k] >= b.x.lo && pts.x[k] < b.x.hi && pts.y[k] >= b.y.lo && pts.y[k] < b.y.hi) c++;
    return c;
  }
  const clearBtn = h('button', { type: 'button', class: 'chip', id: 'scatter-clear', hidden: !box, 'aria-label': 'Clear the box on the scatter' }, 'Clear box', h('span', { 'aria-hidden': 'true' }, ' ✕'));
  function clear(): void {
    box = undefined;
    drawBox(undefined);
    clearBtn.hidden = true;
    status.textContent = 'Box cleared.';
    opts.onClear();
  }
  clearBtn.addEventListener('click', clear);
  const el = h('div', { class: 'scatter-chart' }, root, h('div', { class: 'hist-foot' }, status, clearBtn));
  return {
    el,
    setBox(b) {
      box = b;
      drawBox(b);
      clearBtn.hidden = !b;
    },
  };
}
