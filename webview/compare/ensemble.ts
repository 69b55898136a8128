/**
 * The Compare panel's "Ensembles" section (docs/pid.md): each run's heads, a simple average, a
 * weighted ensemble and the interaction-guided ensembles (LSMI paper §4.3.3), scored out of fold on
 * the same samples with paired-bootstrap intervals, and per class. Asked of the host when the
 * section is built (computed once, in a worker); rendered into #ensemble.
 */
import type { EnsembleState } from '../../src/protocol/messages';
import { fmt, fmtDelta, fmtDeltaInterval, fmtInterval, formatCount, h } from '../shared/vscode';

type Post = (m: { type: 'ensemble' }) => void;
let last: EnsembleState | undefined;

export function ensembleSection(post: Post): Node[] {
  const box = h('div', { id: 'ensemble', 'aria-live': 'polite' }, ...(last ? content(last) : [h('p', { class: 'muted', role: 'status' }, 'Computing the ensembles…')]));
  post({ type: 'ensemble' });
  return [h('h2', { id: 'ensemble-h' }, 'Ensembles (out of fold)'), box];
}

export function renderEnsemble(state: EnsembleState): void {
  last = state;
  document.getElementById('ensemble')?.replaceChildren(...content(state));
}

function content(s: EnsembleState): Node[] {
  if (s.status === 'computing') return [h('p', { class: 'muted', role: 'status' }, 'Computing the ensembles (stratified folds, bootstrap)…')];
  if (s.status === 'error') return [h('div', { class: 'error', role: 'alert', id: 'ensemble-error' }, h('strong', null, s.error.code), ' ', s.error.message)];
  const e = s.ensemble;
  const st = e.settings;
  const pct = `${Math.round(st.level * 100)} %`;
  const shown = e.variants.filter((v) => v.kind !== 'head' || v.name === e.bestHead);
  return [
    h('p', { class: 'muted small explain' },
      `${formatCount(e.n)} samples out of sample in every run${e.dropped.train ? ` (${e.dropped.train} train samples left out)` : ''}; stratified ${st.folds} folds (seed ${st.seed}): weights, τ and the gate are fitted on the other folds. ` +
      `${st.bootstrap ? `[lo, hi]: ${pct} paired bootstrap (${st.bootstrap} replicates). ` : ''}Δ log-loss < 0 is better. The interaction guide is label-free: r̄, ū1, ū2, s̄ averaged over the predicted classes.`),
    ...e.notes.map((w) => h('p', { class: 'notice warning', role: 'note' }, w)),
    h('div', { class: 'table-scroll' }, h('table', { id: 'ensemble-table' },
      h('thead', null, h('tr', null, ...['model', 'accuracy', 'log-loss', 'Δ log-loss vs best head', 'Δ log-loss vs Weighted'].map((t, k) => h('th', { scope: 'col', class: k ? 'num' : undefined }, t)))),
      h('tbody', null, ...e.variants.map((v) => h('tr', { class: v.kind === 'head' ? 'muted' : undefined },
        h('th', { scope: 'row' }, v.name, v.name === e.bestHead ? h('span', { class: 'badge' }, 'best head') : null),
        h('td', { class: 'num' }, `${fmt(v.accuracy, 4)} ${fmtInterval(v.intervals?.accuracy, 3)}`),
        h('td', { class: 'num' }, `${fmt(v.logLoss, 4)} ${fmtInterval(v.intervals?.logLoss, 3)}`),
        h('td', { class: 'num' }, v.vsBestHead ? `${fmtDelta(v.vsBestHead.logLoss, 4)} ${fmtDeltaInterval(v.vsBestHead.intervals?.logLoss, 3)}` : ''),
        h('td', { class: 'num' }, v.vsWeighted ? `${fmtDelta(v.vsWeighted.logLoss, 4)} ${fmtDeltaInterval(v.vsWeighted.intervals?.logLoss, 3)}` : '')))))),
    h('p', { class: 'muted small' }, `LSMI-rule τ per fold: ${e.folds.map((f) => f.tau).join(', ')} (0 = the simple average). ${e.seconds.toFixed(1)} s.`),
    h('details', { id: 'ensemble-classes' },
      h('summary', null, 'Per class: accuracy / log-loss'),
      h('div', { class: 'table-scroll' }, h('table', null,
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'class'), h('th', { scope: 'col', class: 'num' }, 'n'), ...shown.map((v) => h('th', { scope: 'col', class: 'num' }, v.name.replace(/ \(.*\)$/, ''))))),
        h('tbody', null, ...e.classNames.map((name, c) => h('tr', null, h('th', { scope: 'row' }, name), h('td', { class: 'num' }, String(e.classCounts[c])),
          ...shown.map((v) => h('td', { class: 'num' }, `${fmt(v.perClass[c].accuracy, 3)} / ${fmt(v.perClass[c].logLoss, 3)}`)))))))),
  ];
}
