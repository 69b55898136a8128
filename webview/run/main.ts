/** Run panel UI: renders the host's summary of one run file. */
import type { RunPanelFromWebview, RunPanelState, RunPanelToWebview } from '../../src/protocol/messages';
import type { RunSummary } from '../../src/engine/summary';
import '../shared/elements';
import { announceReady, connect, formatBytes, formatCount, formatFraction, formatNats, formatPercent, h } from '../shared/vscode';

const app = document.getElementById('app')!;
const vscode = connect<RunPanelState, RunPanelFromWebview, RunPanelToWebview>(render);

function render(m: RunPanelToWebview): void {
  switch (m.type) {
    case 'loading':
      vscode.setState({ file: m.file });
      app.replaceChildren(h('p', { class: 'muted', role: 'status' }, `Reading ${m.file}…`));
      break;
    case 'summary':
      vscode.setState({ file: m.summary.file });
      app.replaceChildren(...summaryView(m.summary, m.results));
      break;
    case 'error':
      vscode.setState({ file: m.file });
      app.replaceChildren(
        h('h1', null, 'This run cannot be read'),
        h('div', { class: 'error', role: 'alert', id: 'error' }, h('strong', null, m.error.code), ' ', m.error.message),
        h('p', null, 'Nothing was changed. Fix the file (or map your column names with the lsmi.columns setting) and reload.'),
        button('Reload', 'reload', () => vscode.postMessage({ type: 'reload' })),
      );
      break;
  }
}

function button(label: string, id: string, onClick: () => void): HTMLButtonElement {
  const b = h('button', { type: 'button', id }, label);
  b.addEventListener('click', onClick);
  return b;
}

const HEAD_LABEL: Record<string, (s: RunSummary) => string> = {
  '1': (s) => `${s.modalityNames[0]} only (logits_1)`,
  '2': (s) => `${s.modalityNames[1]} only (logits_2)`,
  '12': () => 'both (logits_12)',
};

/** What to do next with this run: estimate it, or open (or refresh) its results. */
function nextSteps(results: { file: string; exists: boolean }): HTMLElement {
  const estimate = h('vscode-button', { id: 'estimate', title: 'LSMI: Estimate Interactions on this run (choose a preset)' }, results.exists ? 'Estimate again…' : 'Estimate interactions…');
  estimate.addEventListener('click', () => vscode.postMessage({ type: 'estimate' }));
  const open = results.exists ? h('vscode-button', { id: 'open-results', secondary: true, title: results.file }, 'Open results') : null;
  open?.addEventListener('click', () => vscode.postMessage({ type: 'openResults' }));
  return h('div', { class: 'next-steps', id: 'next-steps' },
    open ?? estimate, open ? estimate : null,
    h('span', { class: 'muted small', id: 'results-state' }, results.exists ? 'This run has results.' : 'Not estimated yet.'));
}

function summaryView(s: RunSummary, results: { file: string; exists: boolean }): Node[] {
  const facts: [string, string][] = [
    ['Samples', formatCount(s.n)],
    ['Classes', String(s.nClasses)],
    [`Modality 1: ${s.modalityNames[0]}`, `d = ${s.dims[0]}${s.dtypes.emb_1 ? ` (${s.dtypes.emb_1})` : ''}${s.pathCounts[1] !== undefined ? `, ${formatCount(s.pathCounts[1])} files` : ''}`],
    [`Modality 2: ${s.modalityNames[1]}`, `d = ${s.dims[1]}${s.dtypes.emb_2 ? ` (${s.dtypes.emb_2})` : ''}${s.pathCounts[2] !== undefined ? `, ${formatCount(s.pathCounts[2])} files` : ''}`],
    ['File', `${s.format === 'arrow' ? 'Arrow IPC' : 'npz'}, ${formatBytes(s.bytes)}, ${s.batches} batch${s.batches === 1 ? '' : 'es'}, ${s.compression}`],
  ];
  if (s.architecture) facts.push(['Architecture', s.architecture]);
  if (s.fusion) facts.push(['Fusion', s.fusion]);
  if (s.splitCounts) facts.push(['Splits', Object.entries(s.splitCounts).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ')]);
  if (s.createdBy) facts.push(['Written by', s.createdBy]);

  const maxCount = Math.max(...s.classCounts, 1);
  const nodes: Node[] = [
    h('header', null, h('h1', { id: 'run-name' }, s.runName), h('p', { class: 'muted path', title: s.file }, s.file)),
    nextSteps(results),
    h('section', { 'aria-labelledby': 'facts-h' }, h('h2', { id: 'facts-h' }, 'Run'),
      h('dl', { class: 'facts', id: 'facts' }, ...facts.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v)]))),
    h('section', { 'aria-labelledby': 'heads-h' },
      h('h2', { id: 'heads-h' }, 'Heads'),
      s.heads.length
        ? h('table', { id: 'heads' },
            h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'head'), h('th', { scope: 'col', class: 'num' }, 'accuracy'), h('th', { scope: 'col', class: 'num' }, 'log-loss (nats)'))),
            h('tbody', null, ...s.heads.map((x) => h('tr', null, h('td', null, HEAD_LABEL[x.head](s)), h('td', { class: 'num' }, formatFraction(x.accuracy)), h('td', { class: 'num' }, formatNats(x.logLoss))))))
        : null,
      s.missingHeads.length
        ? h('p', { class: 'muted' }, `No logits for ${s.missingHeads.map((x) => HEAD_LABEL[x](s)).join(', ')}: probes will be trained on the embeddings.`)
        : null),
    h('section', { 'aria-labelledby': 'classes-h' },
      h('h2', { id: 'classes-h' }, 'Classes'),
      h('table', { id: 'classes', class: 'bars' },
        h('thead', null, h('tr', null, h('th', { scope: 'col', class: 'num' }, '#'), h('th', { scope: 'col' }, 'name'), h('th', { scope: 'col', class: 'num' }, 'samples'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'share')))),
        h('tbody', null, ...s.classCounts.map((c, k) =>
          h('tr', null,
            h('td', { class: 'num' }, String(k)),
            h('td', null, s.classNames[k] ?? ''),
            h('td', { class: 'num' }, formatCount(c)),
            h('td', { class: 'bar-cell' }, barOf(c / maxCount, `${formatPercent(c / s.n)} of samples`))))))),
    h('div', { class: 'actions' },
      button('Reload', 'reload', () => vscode.postMessage({ type: 'reload' })),
      button('Reveal in Explorer', 'reveal', () => vscode.postMessage({ type: 'revealInExplorer' }))),
  ];
  return nodes;
}

/** A bar as a <meter>-like div whose width is set through an attribute the CSS reads (no inline styles under the CSP). */
function barOf(fraction: number, label: string): HTMLElement {
  const pct = Math.round(fraction * 100);
  return h('div', { class: 'bar', role: 'img', 'aria-label': label, title: label }, h('div', { class: `fill w${pct}` }));
}

announceReady(vscode);
