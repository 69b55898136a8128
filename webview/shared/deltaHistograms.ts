/**
 * Compare Runs' "Per-sample differences": Δr, Δu1, Δu2, Δs of the compared run, drawn by the one
 * histogram renderer (./histogram.ts) on the engine's bins, with a log-scale switch and brushing
 * (a brushed Δ range becomes a filter of the movers table).
 */
import type { CompareBrush, CompareComponentName, ComparisonSummary } from '../../src/protocol/messages';
import type { CountScale } from './chartScale';
import { type HistogramChart, histogramChart, rangeNote, scaleToggle } from './histogram';
import { fmt, fmtDelta, h } from './vscode';

const COMPONENTS: CompareComponentName[] = ['r', 'u1', 'u2', 's'];
const NAME: Record<CompareComponentName, string> = { r: 'redundancy', u1: 'uniqueness 1', u2: 'uniqueness 2', s: 'synergy' };

export interface DeltaHistogramsOptions {
  run: number;
  scale: CountScale;
  brush?: CompareBrush;
  onScale(scale: CountScale): void;
  onSelect(brush: Extract<CompareBrush, { kind: 'delta' }>): void;
  onClear(): void;
}

export interface DeltaHistograms {
  nodes: HTMLElement[];
  sync(brush: CompareBrush | undefined): void;
}

export function deltaHistograms(s: ComparisonSummary, opts: DeltaHistogramsOptions): DeltaHistograms {
  const charts = new Map<CompareComponentName, HistogramChart>();
  const selectionOf = (b: CompareBrush | undefined, c: CompareComponentName) => (b?.kind === 'delta' && b.component === c ? { lo: b.lo, hi: b.hi } : undefined);
  const figures = COMPONENTS.map((c) => {
    const dh = s.histograms[c];
    const hist = dh.runs[opts.run];
    const chart = histogramChart(hist, {
      id: `delta-${c}`,
      colour: c,
      name: `Δ${c}`,
      caption: `Δ${c} (${NAME[c]})`,
      axisTitle: `Δ${c} = run − baseline (nats)`,
      signed: true,
      scale: opts.scale,
      refs: [{ value: 0, label: 'no change' }],
      selection: selectionOf(opts.brush, c),
      onSelect: (r) => {
        for (const [k, other] of charts) if (k !== c) other.setSelection(undefined);
        opts.onSelect({ kind: 'delta', component: c, lo: r.lo, hi: r.hi });
      },
      onClear: () => opts.onClear(),
    });
    charts.set(c, chart);
    chart.el.append(
      h('p', { class: 'muted small' }, `mean ${fmtDelta(dh.mean[opts.run])}, mean |Δ| ${fmt(dh.meanAbs[opts.run])}, sd ${fmt(dh.std[opts.run])}`),
      h('p', { class: 'muted small hist-note', id: `delta-${c}-note` }, rangeNote(hist, `Δ${c}`)),
    );
    return chart.el;
  });
  const toggle = scaleToggle('delta-log', opts.scale, (sc) => {
    for (const ch of charts.values()) ch.setScale(sc);
    opts.onScale(sc);
  });
  return {
    nodes: [
      h('div', { class: 'controls chart-tools' },
        h('span', { class: 'muted small' }, 'Drag across the bars (or focus a chart: arrow keys, Shift to extend, Enter) to list those samples in the movers below.'),
        h('span', { class: 'spacer' }),
        toggle),
      h('div', { class: 'hists' }, ...figures),
    ],
    sync(brush) {
      for (const [c, chart] of charts) chart.setSelection(selectionOf(brush, c));
    },
  };
}
