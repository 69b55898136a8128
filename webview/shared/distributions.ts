/**
 * The results panel's "Per-sample distributions": r, u1, u2, s histograms (the one renderer,
 * ./histogram.ts) with a shared log-scale switch, brushing that becomes the samples table's range
 * filter, what the bins cover, and one sentence on the RUS adjustment's shift where it shows.
 */
import type { RangeFilter, ResultsOverview } from '../../src/protocol/messages';
import type { CountScale } from './chartScale';
import { ATOMS, atomLabel } from './charts';
import { type HistogramChart, histogramChart, rangeNote, scaleToggle } from './histogram';
import { fmt, formatCount, formatPercent, h } from './vscode';

export interface DistributionsOptions {
  scale: CountScale;
  /** The table's current range filter (drawn as the selection on its histogram). */
  range?: RangeFilter;
  onScale(scale: CountScale): void;
  /** A range brushed on a histogram: the table lists those samples. */
  onSelect(range: RangeFilter): void;
  onClear(): void;
}

export interface Distributions {
  nodes: Node[];
  /** The table's range filter changed elsewhere (a chip removed, a reveal cleared it). */
  sync(range: RangeFilter | undefined): void;
}

const pct = (k: number, n: number) => formatPercent(k / Math.max(1, n), 0);

/**
 * One plain sentence on the RUS adjustment's shift (docs/estimator.md, "The RUS adjustment"):
 * how many samples sit exactly at u = −adj because their raw u was a structural 0.
 */
export function shiftNote(o: ResultsOverview): string | undefined {
  const z = o.dataset.structuralZeros;
  const adj = o.dataset.adj;
  if (!z || !adj || z.u1 + z.u2 === 0) return undefined;
  const shift = fmt(-adj);
  const parts = (['u1', 'u2'] as const).filter((c) => z[c] > 0).map((c) => `${formatCount(z[c])} samples (${pct(z[c], o.n)}) have ${c} = ${shift}`);
  return `${parts.join(' and ')}: the RUS adjustment moves every sample by the same amount (u1 and u2 by ${shift}, r and s by ${fmt(adj)}) so that no dataset component is negative, and these samples' u was 0 before it (their modality adds nothing the other lacks, by how r is defined). The dashed line marks the shift.`;
}

export function distributionsSection(o: ResultsOverview, opts: DistributionsOptions): Distributions {
  const charts = new Map<string, HistogramChart>();
  const shift = o.dataset.adj ? -o.dataset.adj : undefined;
  const figures = ATOMS.map((a) => {
    const hist = o.histograms[a.col];
    const chart = histogramChart(hist, {
      id: `hist-${a.col}`,
      colour: a.col,
      name: a.col,
      caption: `${a.col} — ${atomLabel(o.modalityNames, a.key).toLowerCase()}`,
      scale: opts.scale,
      selection: opts.range?.col === a.col ? opts.range : undefined,
      refs: (a.col === 'u1' || a.col === 'u2') && shift !== undefined && (o.dataset.structuralZeros?.[a.col] ?? 0) > 0
        ? [{ value: shift, label: `the RUS adjustment's shift, ${fmt(shift)}: where a raw ${a.col} of 0 lands` }]
        : undefined,
      onSelect: (r) => {
        for (const [c, other] of charts) if (c !== a.col) other.setSelection(undefined);
        // every bar selected: no filter at all
        if (r.lo === null && r.hi === null) opts.onClear();
        else opts.onSelect({ col: a.col, lo: r.lo, hi: r.hi });
      },
      onClear: () => opts.onClear(),
    });
    charts.set(a.col, chart);
    chart.el.append(h('p', { class: 'muted small hist-note', id: `hist-${a.col}-note` }, rangeNote(hist, a.col)));
    return chart.el;
  });
  const toggle = scaleToggle('hist-log', opts.scale, (s) => {
    for (const c of charts.values()) c.setScale(s);
    opts.onScale(s);
  });
  const note = shiftNote(o);
  return {
    nodes: ([
      h('div', { class: 'controls chart-tools' },
        h('span', { class: 'muted small' }, 'Drag across the bars (or focus a chart: arrow keys, Shift to extend, Enter) to list the samples in that range.'),
        h('span', { class: 'spacer' }),
        toggle),
      h('div', { class: 'hists' }, ...figures),
      note ? h('p', { class: 'muted small explain', id: 'shift-explain' }, note) : null,
    ] as (HTMLElement | null)[]).filter((x): x is HTMLElement => x !== null),
    sync(range) {
      for (const [c, chart] of charts) chart.setSelection(range?.col === c ? range : undefined);
    },
  };
}
