/**
 * The results overview's "BROJA PID and synergy bounds" section (docs/pid.md): the dataset-level
 * PID of the clustered embeddings beside LSMI's dataset values, its label-permutation null, the
 * solver's certificate, and whether LSMI's S lies inside the semi-supervised bounds. Asked of the
 * host when the section is built (computed once, in a worker, then kept); rendered into #pid.
 */
import type { PidState, ResultsOverview } from '../../src/protocol/messages';
import { ATOMS, atomLabel } from '../shared/charts';
import { fmt, h } from '../shared/vscode';

type Post = (m: { type: 'pid' }) => void;

let last: PidState | undefined;
let names: [string, string] = ['modality 1', 'modality 2'];

/** The one-line difference between the two definitions (as `lsmi pid` prints it, src/cli/pid.ts). */
const NOTE = "BROJA is one dataset-level decomposition of the clustered embeddings (the synergy no joint with the same (x1, y) and (x2, y) pairs can remove); LSMI averages per-sample interactions from the model's heads and densities: they agree in kind, not in value.";

/** The section's heading and container; asks the host for the PID (it answers at once when it has it). */
export function pidSection(o: ResultsOverview, post: Post): Node[] {
  names = o.modalityNames;
  const box = h('div', { id: 'pid', 'aria-live': 'polite' });
  if (last) box.append(...content(last));
  else box.append(h('p', { class: 'muted', role: 'status' }, 'Computing the BROJA PID and synergy bounds…'));
  post({ type: 'pid' });
  return [h('h2', { id: 'pid-h' }, 'BROJA PID and synergy bounds (clustered embeddings)'), box];
}

/** A `pid` message from the host. */
export function renderPid(state: PidState): void {
  last = state;
  document.getElementById('pid')?.replaceChildren(...content(state));
}

/** Forget the last answer (another results file). */
export function resetPid(): void {
  last = undefined;
}

function content(s: PidState): Node[] {
  if (s.status === 'computing') return [h('p', { class: 'muted', role: 'status' }, 'Computing the BROJA PID and synergy bounds (clustering, solver, null, bounds)…')];
  if (s.status === 'error') return [h('div', { class: 'error', role: 'alert', id: 'pid-error' }, h('strong', null, s.error.code), ' ', s.error.message)];
  const p = s.pid;
  const nul = p.null;
  const lsmi = p.lsmi;
  const b = p.bounds;
  const c = p.clustering;
  const rows = ATOMS.map((a) =>
    h('tr', null,
      h('th', { scope: 'row' }, `${a.key} — ${atomLabel(names, a.key).toLowerCase()}`),
      h('td', { class: 'num', id: `pid-${a.key}` }, fmt(p.atoms[a.key], 4)),
      nul ? h('td', { class: 'num muted' }, `${fmt(nul.mean[a.key], 4)} ± ${fmt(nul.sd[a.key], 4)}`) : null,
      h('td', { class: 'num' }, lsmi ? fmt(lsmi[a.key], 4) : '—')));
  const out: Node[] = [
    h('p', { class: 'muted small explain', id: 'pid-note' }, NOTE),
    ...[...p.notes, ...p.warnings].map((w) => h('p', { class: 'notice warning', role: 'note' }, w)),
    h('div', { class: 'table-scroll' }, h('table', { id: 'pid-table' },
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'atom (nats)'), h('th', { scope: 'col', class: 'num' }, 'BROJA'),
        nul ? h('th', { scope: 'col', class: 'num', title: 'mean ± sd over label permutations: what a table this sparse shows with no dependence on y' }, `null (${nul.shuffles} shuffles)`) : null,
        h('th', { scope: 'col', class: 'num' }, 'LSMI (adjusted)'))),
      h('tbody', null, ...rows))),
    h('p', { class: 'muted small', id: 'pid-solver' },
      `${c[0].k} × ${c[1].k} clusters × ${p.table.ny} classes (${p.table.nonEmpty} non-empty cells; PCA ${c[0].dims}/${c[1].dims} dims, ${p.settings.scale} rows, seed ${p.settings.seed}). ` +
      `Solver: duality gap ${p.solver.gap.toExponential(1)} nats after ${p.solver.steps} steps${p.solver.converged ? '' : ' (not converged)'}. ` +
      `I(X1,X2;Y) ${fmt(p.info.I12, 4)}; plug-in bias ≈ ${fmt(p.biasEstimate, 4)}. ${p.timings.total.toFixed(1)} s.`),
  ];
  if (b) {
    const S = lsmi?.S;
    const verdict = S === undefined ? undefined : S < b.lower ? 'below' : S > b.upper ? 'above' : 'inside';
    out.push(
      h('h3', { id: 'bounds-h' }, 'Synergy bounds (Liang et al. 2023: from unimodal labels and unlabelled pairs)'),
      h('div', { class: 'table-scroll' }, h('table', { id: 'bounds-table' },
        h('thead', null, h('tr', null, ...['bound', 'nats', 'what'].map((t, k) => h('th', { scope: 'col', class: k === 1 ? 'num' : undefined }, t)))),
        h('tbody', null,
          ...([
            ['S_R, redundancy (3 margins)', b.lowerRedundancy, 'lower bound: max-entropy joint of the three pair margins'],
            ['S_R, redundancy (2 margins)', b.lowerRedundancyRepo, "lower bound as the authors' code computes it (looser)"],
            ['S_D, disagreement', b.lowerDisagreement, `lower bound: α/8 − max(U1, U2), α = ${fmt(b.alpha, 4)}`],
            ...(b.heads ? [['S_D from your heads', b.heads.lowerDisagreement, `estimate only: α̂ = ${fmt(b.heads.alpha, 4)} from logits_1, logits_2`] as [string, number, string]] : []),
            ['S_U, upper', b.upper, 'upper bound: min-entropy coupling (majorization meet)'],
            ['BROJA S', b.brojaS, 'labels known: must lie inside'],
          ] as [string, number, string][]).map(([k, v, w]) => h('tr', null, h('th', { scope: 'row' }, k), h('td', { class: 'num' }, fmt(v, 4)), h('td', { class: 'muted' }, w)))))),
      h('p', { id: 'pid-verdict', class: verdict === 'inside' ? 'verdict-inside' : 'notice warning' },
        verdict === undefined
          ? `Bounds [${fmt(b.lower, 4)}, ${fmt(b.upper, 4)}]; LSMI's S: —`
          : `LSMI's S ${fmt(S, 4)} is ${verdict} [${fmt(b.lower, 4)}, ${fmt(b.upper, 4)}]` + (verdict === 'inside' ? '.' : ': the bounds hold for the clustered table, while LSMI reads the embeddings through the heads.')),
    );
  }
  return out;
}
