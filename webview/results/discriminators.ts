/**
 * The Overview's warnings and its Discriminators section: per head (modality 1, modality 2, both)
 * where p(y|x) comes from, its held-out log-loss and calibration, a reliability diagram, the probe
 * families compared by `probe: 'auto'`, the learning curve; then the density model per modality.
 * The payload is built on the host side (resultsOverview.ts, beside the results panel); results of older versions lack most of
 * it, and what is missing is shown as "—" or left out.
 */
import type { DensityOverview, HeadOverview, ResultsOverview } from '../../src/protocol/messages';
import { reliabilityDiagram } from '../shared/charts';
import { formatCount, formatFraction, formatNats, formatSeconds, formatTemperature, h } from '../shared/vscode';

/** before → after: log-losses in nats, calibration errors as fractions. */
const arrow = (a: number | null | undefined, b: number | null | undefined, format: (x: number | null | undefined) => string = formatNats) => `${format(a)} → ${format(b)}`;
const count = formatCount;

/** A temperature: two decimals, fewer digits when it is large (a near-constant head can reach thousands). */
const temp = formatTemperature;

export function headName(o: ResultsOverview, head: HeadOverview['head']): string {
  return head === '12' ? 'Both modalities' : `Modality ${head}: ${o.modalityNames[Number(head) - 1]}`;
}

/** The warnings at the top of the Overview (nothing when there are none). */
export function warningsView(o: ResultsOverview, showHeads: () => void): HTMLElement | null {
  if (!o.warnings.length) return null;
  const link = h('button', { type: 'button', class: 'link', id: 'warnings-heads' }, 'Show the discriminators');
  link.addEventListener('click', showHeads);
  return h('section', { class: 'warnings', id: 'warnings', role: 'region', 'aria-labelledby': 'warnings-h' },
    h('h2', { id: 'warnings-h' }, h('span', { class: 'warn-icon', 'aria-hidden': 'true' }, '⚠'), o.warnings.length === 1 ? 'Warning' : `${o.warnings.length} warnings`),
    h('ul', null, ...o.warnings.map((w) => h('li', null, w))),
    link);
}

function calibrationText(x: HeadOverview): { text: string; title?: string } {
  const c = x.calibration;
  if (!c) return { text: '—', title: 'not recorded by the version that wrote these results' };
  const t = c.temperatures;
  if (!t?.length) return { text: c.method };
  const mean = t.reduce((a, b) => a + b, 0) / t.length;
  const lo = Math.min(...t);
  const hi = Math.max(...t);
  return {
    text: `${c.method}, T = ${temp(mean)}`,
    title: `temperature per calibration fold: ${t.map(temp).join(', ')} (range ${temp(lo)}–${temp(hi)}; mean ${temp(mean)}). T > 1: the head was over-confident; T < 1: under-confident.`,
  };
}

function candidatesView(x: HeadOverview): HTMLElement | null {
  if (!x.candidates?.length) return null;
  const sel = x.selections;
  return h('table', { class: 'candidates', id: `candidates-${x.head}` },
    h('caption', null, `Probe families: held-out log-loss in the selection${sel ? ` (${sel} selection${sel === 1 ? '' : 's'})` : ''}`),
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'family'), h('th', { scope: 'col', class: 'num' }, 'log-loss'), h('th', { scope: 'col', class: 'num' }, 'chosen'))),
    h('tbody', null, ...x.candidates.map((c) => {
      const chosen = c.chosen > 0 ? `${c.chosen}${sel ? ` of ${sel}` : '×'}` : '';
      const why = c.detail ?? c.note;
      return h('tr', { class: c.used ? 'used' : undefined, 'data-family': c.family },
        h('td', null,
          h('span', { class: 'family' }, c.used ? h('span', { class: 'used-mark', 'aria-label': 'used' }, '✓ ') : null, c.label),
          why ? h('div', { class: 'muted small cand-detail' }, why) : null,
          c.detail && c.note ? h('div', { class: 'muted small cand-detail' }, c.note) : null),
        h('td', { class: 'num' }, c.logLoss === null ? h('span', { class: 'muted', title: c.note ?? 'not fitted' }, 'not fitted') : formatNats(c.logLoss)),
        h('td', { class: 'num', title: c.chosen ? `chosen in ${c.chosen} of ${sel ?? '?'} selections` : 'not chosen' }, chosen));
    })));
}

function learningCurveView(x: HeadOverview): HTMLElement | null {
  const lc = x.learningCurve;
  if (!lc || !lc.logLoss.length) return null;
  const d = lc.dropPerDoubling;
  const drop = d === null ? 'change per doubling —' : `${d >= 0 ? 'down' : 'up'} ${formatNats(Math.abs(d))} nats per doubling of the rows`;
  const verdict = lc.stillFalling
    ? h('strong', { class: 'still-falling' }, 'still falling: more samples would lower it')
    : h('span', null, 'no longer falling');
  return h('div', { class: 'learning-curve', id: `learning-${x.head}` },
    h('p', { class: 'lc-title', title: 'The probe refitted on part of one fold\'s training rows, scored on the same held-out rows' }, 'Learning curve: held-out log-loss by training rows'),
    h('table', { class: 'lc-table' },
      h('tbody', null,
        h('tr', null, h('th', { scope: 'row' }, 'rows'), ...lc.rows.map((n, k) => h('td', { class: 'num', title: lc.fractions[k] === undefined ? undefined : `${Math.round(lc.fractions[k] * 100)} % of the training rows` }, count(n)))),
        h('tr', null, h('th', { scope: 'row' }, 'log-loss'), ...lc.logLoss.map((v) => h('td', { class: 'num' }, formatNats(v)))))),
    h('p', { class: 'lc-verdict small' }, h('span', { class: 'muted' }, `${drop}: `), verdict));
}

function headCard(o: ResultsOverview, x: HeadOverview): HTMLElement {
  const cal = calibrationText(x);
  const c = x.calibration;
  // [label, value, label's explanation, value's hover]
  const facts: [string, string, string, string?][] = [
    ['log-loss', c ? arrow(c.logLossBefore, c.logLossAfter) : formatNats(x.logLoss), c ? 'held-out log-loss (nats, out of fold), before → after calibration' : 'held-out log-loss (nats)'],
    ['calibration', cal.text, 'calibration method; T: its temperature, the mean over the calibration folds (hover for each fold)', cal.title],
    ['accuracy', formatFraction(x.accuracy), 'share of samples whose most probable class is the label'],
    ['ECE', x.reliability ? arrow(x.reliability.before.ece, x.reliability.after.ece, formatFraction) : '—', 'expected calibration error (10 confidence bins), before → after calibration'],
    ['mean MI', formatNats(x.meanMI), 'mean pointwise MI with the label, log p(y|x) − log p(y) (nats)'],
  ];
  const name = headName(o, x.head);
  const figure = x.reliability
    ? h('figure', { class: 'rel-figure', id: `reliability-${x.head}` },
        reliabilityDiagram(x.reliability.before, x.reliability.after, `Reliability diagram, ${name.toLowerCase()}`),
        h('figcaption', { class: 'rel-legend small' },
          h('span', null, h('span', { class: 'lg lg-before', 'aria-hidden': 'true' }), `before (ECE ${formatFraction(x.reliability.before.ece)})`),
          h('span', null, h('span', { class: 'lg lg-after', 'aria-hidden': 'true' }), `after (ECE ${formatFraction(x.reliability.after.ece)})`),
          h('span', null, h('span', { class: 'lg lg-diag', 'aria-hidden': 'true' }), 'perfectly calibrated'),
          h('span', null, h('span', { class: 'lg lg-count', 'aria-hidden': 'true' }), 'samples per bin')))
    : null;
  const fitted = x.scheme || x.fits
    ? h('p', { class: 'muted small fitted' }, x.scheme ? `Fitted: ${x.scheme}.` : null, x.fits ? ` Per fit: ${x.fits.join(', ')}.` : null)
    : null;
  // every card has the same slots (empty when there is nothing), so that at full width its facts,
  // diagram, candidates and learning curve line up with the other cards' (media/panel.css: .head-card)
  const slot = (cls: string, ...content: (Node | null)[]) => h('div', { class: `slot ${cls}` }, ...content);
  return h('article', { class: 'head-card', id: `head-${x.head}`, 'aria-labelledby': `head-${x.head}-h` },
    slot('slot-head',
      h('h3', { id: `head-${x.head}-h` }, name),
      h('p', { class: 'head-source' }, h('strong', { id: `source-${x.head}` }, x.source))),
    slot('slot-facts',
      h('dl', { class: 'head-facts', id: `facts-${x.head}` },
        ...facts.flatMap(([k, v, about, hover]) => [h('dt', { title: about }, k), h('dd', { title: hover, class: hover ? 'has-tip' : undefined, 'data-fact': k }, v)]))),
    slot('slot-warnings', ...x.warnings.map((w) => h('p', { class: 'head-warning', role: 'note' }, h('span', { class: 'warn-icon', 'aria-hidden': 'true' }, '⚠ '), w))),
    slot('slot-figure', figure),
    slot('slot-candidates', candidatesView(x)),
    slot('slot-learning', learningCurveView(x)),
    slot('slot-fitted', fitted));
}

function densityLine(o: ResultsOverview, d: DensityOverview): HTMLElement {
  const fit = [
    d.iterations !== undefined ? `${d.iterations} iterations${d.converged === false ? ' (not converged)' : ''}` : null,
    `mean log-likelihood ${formatNats(d.meanLogLik)} nats${d.fitRows !== undefined ? ` on ${count(d.fitRows)} rows` : ''}`,
  ].filter(Boolean).join(', ');
  const s = d.search;
  const search = s
    ? h('details', { class: 'density-search', id: `density-search-${d.modality}` },
        h('summary', null, `Chosen from ${s.candidates.length} candidates by held-out log-likelihood` +
          (s.fitRows !== null && s.valRows !== null ? ` (fit on ${count(s.fitRows)} rows, ${count(s.valRows)} held out` : ' (') +
          (s.seconds !== null ? `; ${formatSeconds(s.seconds)}${s.budgetSeconds !== null ? ` of a ${s.budgetSeconds} s budget` : ''})` : ')')),
        h('table', { class: 'density-candidates' },
          h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'covariance'), h('th', { scope: 'col', class: 'num' }, 'K'), h('th', { scope: 'col', class: 'num' }, 'held-out log-lik'), h('th', { scope: 'col' }, ''))),
          h('tbody', null, ...s.candidates.map((c) =>
            h('tr', { class: c.chosen ? 'used' : undefined },
              h('td', null, c.chosen ? h('span', { class: 'used-mark', 'aria-label': 'used' }, '✓ ') : null, c.covariance),
              h('td', { class: 'num' }, c.K === null ? '—' : String(c.K)),
              h('td', { class: 'num' }, c.skipped ? '—' : formatNats(c.heldOutLogLik)),
              h('td', { class: 'muted small' }, c.skipped ? `skipped: ${c.skipped}` : c.seconds !== null ? formatSeconds(c.seconds) : ''))))))
    : null;
  return h('li', { id: `density-${d.modality}` },
    h('strong', null, o.modalityNames[Number(d.modality) - 1]),
    `: ${d.model}, ${d.covariance} covariance, K = ${d.K ?? '—'}`,
    h('span', { class: 'muted' }, ` — ${fit}`),
    search);
}

/** The Discriminators section (after its heading): the three heads, then the density models. */
export function discriminatorsView(o: ResultsOverview): Node[] {
  const old = o.heads.every((x) => !x.calibration && !x.reliability);
  const parts: (HTMLElement | null)[] = [
    h('p', { class: 'muted small' },
      'How well each head predicts the label from modality 1, modality 2 and both: the pointwise MIs, and so r, u1, u2 and s, are only as good as these. ' +
      'Log-loss and calibration error are held out (out of fold), before → after calibration.'),
    old ? h('p', { class: 'muted small', id: 'heads-old' }, `These results (format ${o.formatVersion}, LSMI Explorer ${o.toolVersion}) record no calibration, reliability or probe selection; estimate again to see them.`) : null,
    h('div', { class: 'heads', id: 'heads' }, ...o.heads.map((x) => headCard(o, x))),
    o.density.length
      ? h('div', { class: 'density', id: 'density' },
          h('h3', null, 'Density models (h = −log p̂(x))'),
          h('ul', { class: 'density-lines' }, ...o.density.map((d) => densityLine(o, d))))
      : null,
  ];
  return parts.filter((n): n is HTMLElement => n !== null);
}
