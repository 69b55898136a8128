/**
 * Compare panel UI: dataset R, U1, U2, S per run (grouped bars and differences from the pinned
 * baseline), per-class shifts, histograms of the per-sample Δ, a scatter of one component in two
 * runs (density grid + at most a few thousand points, so 1e5 samples stay responsive), and the
 * biggest movers in a virtualized table whose rows expand into the sample's files.
 */
import type {
  CompareBrush,
  CompareComponentName,
  CompareRange,
  ComparePanelFromWebview,
  ComparePanelState,
  ComparePanelToWebview,
  CompareSampleDetail,
  ComparisonSummary,
  MoverRow,
  MoverComponentName,
  MoverOrderName,
  MoversRequest,
  Scatter,
  ScatterRequest,
} from '../../src/protocol/messages';
import { svg } from '../shared/charts';
import { type DeltaHistograms, deltaHistograms } from '../shared/deltaHistograms';
import { type ScatterChart, scatterChart } from '../shared/scatter';
import { classFilter, setClassFilter, singleSelect } from '../shared/elements';
import { button, detailPlaceholder, sampleView } from '../shared/sampleView';
import { type Column, PAGE, VirtualTable } from '../shared/virtualTable';
import { announceReady, connect, fmt, fmtDelta, formatCount, formatDelta, formatDeltaInterval, formatFraction, formatLevel, formatNats, formatRatio, formatTick, h } from '../shared/vscode';
import { ensembleSection, renderEnsemble } from './ensemble';

type Run = ComparisonSummary['runs'][number];
const COMPONENTS: CompareComponentName[] = ['r', 'u1', 'u2', 's'];
const KEY: Record<CompareComponentName, 'R' | 'U1' | 'U2' | 'S'> = { r: 'R', u1: 'U1', u2: 'U2', s: 'S' };
const NAME: Record<CompareComponentName, string> = { r: 'redundancy', u1: 'uniqueness 1', u2: 'uniqueness 2', s: 'synergy' };

const app = document.getElementById('app')!;
const vscode = connect<ComparePanelState, ComparePanelFromWebview, ComparePanelToWebview>(onMessage);
let state: ComparePanelState = vscode.getState() ?? { files: [] };
let summary: ComparisonSummary | undefined;
let table: VirtualTable<MoverRow> | undefined;
let gen = 0;
let countInfo: HTMLElement | undefined;
let detailHost: HTMLElement | undefined;
let scatterBox: HTMLElement | undefined;
let scatterDetail: HTMLElement | undefined;
/** The brushable charts: a brushed Δ range or scatter box filters the movers. */
let deltas: DeltaHistograms | undefined;
let scatterPlot: ScatterChart | undefined;
let brushChips: HTMLElement | undefined;

function save(patch: Partial<ComparePanelState>): void {
  state = { ...state, ...patch };
  vscode.setState(state);
}

/** The run compared with the baseline. */
function runIndex(s: ComparisonSummary): number {
  const r = state.run;
  if (r !== undefined && r >= 0 && r < s.runs.length && r !== s.baseline) return r;
  return s.baseline === 0 ? 1 : 0;
}

function onMessage(m: ComparePanelToWebview): void {
  switch (m.type) {
    case 'loading':
      save({ files: m.files });
      table = undefined;
      app.replaceChildren(h('p', { class: 'muted', role: 'status' }, `Joining ${m.files.length} results files on sample_id…`));
      break;
    case 'comparison':
      save({ files: m.files, baseline: m.summary.baseline });
      summary = m.summary;
      app.replaceChildren(...view(m.summary));
      requery();
      requestScatter();
      break;
    case 'moversPage': {
      if (!table || m.request.gen !== gen) return;
      table.setPage(m.page.offset, m.page.rows, m.page.total);
      if (countInfo && summary) {
        countInfo.textContent = `${formatCount(m.page.total)} samples ranked${m.page.missing ? `; ${formatCount(m.page.missing)} not in both runs` : ''}`;
      }
      break;
    }
    case 'scatter':
      if (scatterBox) scatterBox.replaceChildren(...scatterView(m.scatter));
      break;
    case 'sampleDetail': {
      const d = m.detail;
      const host = table?.expandedRowKey === d.index && detailHost ? detailHost : scatterDetail?.dataset.index === String(d.index) ? scatterDetail : undefined;
      if (!host) return;
      host.replaceChildren(detailView(d));
      table?.refresh();
      break;
    }
    case 'ensemble':
      renderEnsemble(m.state);
      break;
    case 'notice': {
      const el = document.getElementById('notice');
      if (el) el.textContent = m.text;
      break;
    }
    case 'error':
      table = undefined;
      app.replaceChildren(
        h('h1', null, 'These runs cannot be compared'),
        h('div', { class: 'error', role: 'alert', id: 'error' }, h('strong', null, m.error.code), ' ', m.error.message),
        h('p', null, 'Files: ', m.files.join(', ')),
        button('Reload', 'reload', () => vscode.postMessage({ type: 'reload' })),
      );
      break;
  }
}

function moversQuery(): Omit<MoversRequest, 'offset' | 'limit' | 'gen'> {
  return {
    run: summary ? runIndex(summary) : 1,
    component: state.component ?? 'any',
    order: state.order ?? 'abs',
    classes: state.classes,
    split: state.split,
    search: state.search || undefined,
    ranges: summary ? brushRanges(summary, state.brush) : undefined,
  };
}

/** The movers filter of a brush: a Δ range of the compared run, or a box (x: the baseline, y: the compared run). */
function brushRanges(s: ComparisonSummary, b: CompareBrush | undefined): CompareRange[] | undefined {
  if (!b) return undefined;
  if (b.kind === 'delta') return [{ run: runIndex(s), component: b.component, delta: true, lo: b.lo, hi: b.hi }];
  return [{ run: s.baseline, component: b.component, lo: b.x.lo, hi: b.x.hi }, { run: runIndex(s), component: b.component, lo: b.y.lo, hi: b.y.hi }];
}

/** A brush set (or cleared) on one chart: the other charts drop theirs, the movers follow. */
function setBrush(b: CompareBrush | undefined): void {
  save({ brush: b });
  deltas?.sync(b);
  scatterPlot?.setBox(b?.kind === 'box' && b.component === (state.scatterComponent ?? 's') ? { x: b.x, y: b.y } : undefined);
  renderBrushChip();
  requery();
}

function brushText(b: CompareBrush): string {
  if (b.kind === 'delta') {
    const n = `Δ${b.component}`;
    return b.lo === null && b.hi === null ? `every ${n}` : b.lo === null ? `${n} < ${fmtDelta(b.hi)}` : b.hi === null ? `${n} ≥ ${fmtDelta(b.lo)}` : `${fmtDelta(b.lo)} ≤ ${n} < ${fmtDelta(b.hi)}`;
  }
  return `${b.component}: baseline ${fmt(b.x.lo)} … ${fmt(b.x.hi)}, run ${fmt(b.y.lo)} … ${fmt(b.y.hi)}`;
}

function renderBrushChip(): void {
  if (!brushChips) return;
  const b = state.brush;
  if (!b) return brushChips.replaceChildren();
  const chip = h('button', { type: 'button', class: 'chip', id: 'chip-brush', title: `Remove the selection ${brushText(b)}`, 'aria-label': `Remove selection: ${brushText(b)}` }, brushText(b), h('span', { 'aria-hidden': 'true' }, ' ✕'));
  chip.addEventListener('click', () => setBrush(undefined));
  brushChips.replaceChildren(chip);
}

function requery(): void {
  gen++;
  table?.reset(0);
}

function requestScatter(): void {
  if (!summary) return;
  const request: ScatterRequest = { component: state.scatterComponent ?? 's', x: summary.baseline, y: runIndex(summary), classes: state.classes, split: state.split, search: state.search || undefined };
  vscode.postMessage({ type: 'scatter', request });
}

function runSwatch(k: number): HTMLElement {
  return h('span', { class: `swatch run-${k % 8}`, 'aria-hidden': 'true' });
}

// ---------------------------------------------------------------------------------------------- layout

function view(s: ComparisonSummary): Node[] {
  const run = runIndex(s);
  const base = s.runs[s.baseline];
  const cmp = s.runs[run];
  const options = s.runs.map((r, k): [string, string] => [String(k), `${r.label}${r.fusion ? ` (${r.fusion} fusion)` : ''}`]);
  const baseSel = singleSelect('baseline', 'Baseline run', options, String(s.baseline), (v) => {
    save({ baseline: Number(v), run: undefined, brush: undefined });
    vscode.postMessage({ type: 'setBaseline', run: Number(v) });
  });
  const runSel = singleSelect('compared', 'Run compared with the baseline', options.filter(([v]) => Number(v) !== s.baseline), String(run), (v) => {
    save({ run: Number(v), brush: undefined });
    app.replaceChildren(...view(s));
    requery();
    requestScatter();
  });
  return [
    h('header', null,
      h('h1', { id: 'compare-title' }, `${cmp.label} vs ${base.label}`),
      h('p', { class: 'muted' }, `${s.runs.length} runs joined on sample_id: ${formatCount(s.n)} samples, ${formatCount(s.nCommon)} in every run${s.nIncomplete ? `, ${formatCount(s.nIncomplete)} missing from some run (kept, shown below)` : ''}. Δ = run − baseline, in nats; dataset means over the samples every run has.`)),
    h('div', { class: 'controls' }, h('label', { for: 'baseline' }, 'Baseline'), baseSel, h('label', { for: 'compared' }, 'Compared run'), runSel),
    ...s.warnings.map((w) => h('p', { class: 'notice warning', role: 'note' }, w)),
    runsTable(s),
    h('h2', { id: 'dataset-h' }, 'Dataset interactions'),
    movedLine(s, run),
    h('div', { class: 'compare-dataset' }, groupedBars(s), datasetTable(s)),
    h('h2', { id: 'classes-h' }, `Per-class shifts: ${cmp.label} − ${base.label}`),
    classShifts(s, run),
    h('h2', { id: 'delta-h' }, 'Per-sample differences'),
    ...(deltas = deltaHistograms(s, {
      run,
      scale: state.histScale ?? 'linear',
      brush: state.brush,
      onScale: (histScale) => save({ histScale }),
      onSelect: (b) => setBrush(b),
      onClear: () => setBrush(undefined),
    })).nodes,
    h('h2', { id: 'scatter-h' }, 'Run against run'),
    scatterSection(s),
    h('h2', { id: 'movers-h' }, 'Biggest movers'),
    ...moversSection(s),
    ...ensembleSection((m) => vscode.postMessage(m)),
    h('p', { id: 'notice', class: 'notice', role: 'status', 'aria-live': 'polite' }),
  ];
}

function runsTable(s: ComparisonSummary): HTMLElement {
  return h('div', { class: 'table-scroll' }, h('table', { id: 'runs', class: 'runs-table' },
    h('thead', null, h('tr', null, ...['run', 'model', 'samples', 'missing', 'settings'].map((t) => h('th', { scope: 'col', class: t === 'samples' || t === 'missing' ? 'num' : undefined }, t)))),
    h('tbody', null, ...s.runs.map((r: Run, k) => h('tr', { 'data-run': k },
      h('td', null, runSwatch(k), h('strong', null, r.label), k === s.baseline ? h('span', { class: 'badge', id: 'baseline-badge' }, 'baseline') : null),
      h('td', { class: 'muted', title: r.description }, r.description),
      h('td', { class: 'num' }, formatCount(r.n)),
      h('td', { class: `num${r.missing ? ' warn' : ''}`, title: 'joined samples this run lacks' }, formatCount(r.missing)),
      h('td', { class: 'muted small' }, `${r.settings.mode} ${r.settings.covariance} K=${r.settings.components}, ${r.settings.prior} prior, seed ${r.settings.seed}`))))));
}

function levelText(s: ComparisonSummary): string {
  return formatLevel(s.significance.level);
}

/** The components by |Δ|, largest first (a Δ of no samples, null, as 0). */
function byAbsDelta(d: Record<'R' | 'U1' | 'U2' | 'S', number | null>, cs: CompareComponentName[] = COMPONENTS): CompareComponentName[] {
  return [...cs].sort((a, b) => Math.abs(d[KEY[b]] ?? 0) - Math.abs(d[KEY[a]] ?? 0));
}

/**
 * The headline: the components whose Δ interval excludes 0 (the engine's significantMoves), each
 * with its interval; otherwise, plainly, that no component moved beyond noise, with the largest Δ
 * and its interval. One short line says what the intervals cover (the seed-noise caveat).
 */
function movedLine(s: ComparisonSummary, run: number): HTMLElement {
  const r = s.runs[run];
  const d = r.datasetDelta;
  const iv = r.deltaIntervals;
  const pair = `${r.label} vs ${s.runs[s.baseline].label}`;
  if (!iv) {
    const top = byAbsDelta(d)[0];
    return h('div', { id: 'moved', class: 'moved' },
      h('p', null, h('strong', { id: 'moved-headline' }, 'No intervals'), ` (${pair}; the bootstrap is off, lsmi.estimator.bootstrap = 0), so no difference is called a move. Largest: ${KEY[top]} ${formatDelta(d[KEY[top]])} nats.`));
  }
  const say = (c: CompareComponentName) => `${KEY[c]} ${formatDelta(d[KEY[c]])} ${formatDeltaInterval(iv[KEY[c]])}`;
  const noise = s.significance.seedNoise[run]
    ? `${levelText(s)} paired-bootstrap intervals (${formatCount(s.significance.replicates)} replicates) of the samples' noise and the estimator's seed-to-seed noise (both runs were estimated with replicates).`
    : `${levelText(s)} paired-bootstrap intervals (${formatCount(s.significance.replicates)} replicates) cover the samples' noise; estimate both runs with replicates to include the estimator's seed-to-seed noise.`;
  const moved = r.moved.map((a) => COMPONENTS.find((c) => KEY[c] === a)!).filter(Boolean);
  if (moved.length) {
    const rest = byAbsDelta(d, COMPONENTS.filter((c) => !moved.includes(c)));
    return h('div', { id: 'moved', class: 'moved' },
      h('p', null,
        h('strong', { id: 'moved-headline' }, moved.map((c) => `${KEY[c]} moved: ${say(c).slice(KEY[c].length + 1)} nats`).join('; ')),
        ` (${pair}).`,
        rest.length ? ` Within noise: ${rest.map(say).join(', ')}.` : ''),
      h('p', { class: 'muted small', id: 'noise-note' }, noise));
  }
  const [top, ...rest] = byAbsDelta(d);
  return h('div', { id: 'moved', class: 'moved' },
    h('p', null, h('strong', { id: 'moved-headline' }, 'No component moved beyond noise'), ` (${pair}): every ${levelText(s)} interval includes 0. Largest: ${say(top)} nats; then ${rest.map(say).join(', ')}.`),
    h('p', { class: 'muted small', id: 'noise-note' }, noise));
}

/** R, U1, U2, S: one bar per run (common samples), side by side. */
function groupedBars(s: ComparisonSummary): SVGSVGElement {
  const W = 420;
  const H = 190;
  const top = 10;
  const bottom = 24;
  const left = 36;
  // a mean over no common samples arrives as null: drawn at 0, titled "—"
  const values = s.runs.flatMap((r) => COMPONENTS.map((c) => r.common[KEY[c]] ?? 0));
  const hi = Math.max(0, ...values);
  const lo = Math.min(0, ...values);
  const y = (v: number) => top + ((hi - v) / (hi - lo || 1)) * (H - top - bottom);
  const groupW = (W - left) / COMPONENTS.length;
  const barW = Math.max(4, (groupW - 16) / s.runs.length);
  const root = svg('svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}`, class: 'grouped-bars', id: 'dataset-bars', role: 'img' });
  root.setAttribute('aria-label', `Dataset means per run: ${s.runs.map((r) => `${r.label}: ${COMPONENTS.map((c) => `${KEY[c]} ${formatNats(r.common[KEY[c]])}`).join(', ')}`).join('; ')}`);
  root.append(svg('line', { x1: left, x2: W, y1: y(0), y2: y(0), class: 'axis' }));
  root.append(svg('text', { x: left - 4, y: y(hi) + 4, 'text-anchor': 'end', class: 'tick' }, formatTick(hi)));
  if (lo < 0) root.append(svg('text', { x: left - 4, y: y(lo), 'text-anchor': 'end', class: 'tick' }, formatTick(lo)));
  COMPONENTS.forEach((c, g) => {
    const x0 = left + g * groupW + 8;
    s.runs.forEach((r, k) => {
      const mean = r.common[KEY[c]];
      const v = mean ?? 0;
      const rect = svg('rect', { x: x0 + k * barW, y: Math.min(y(v), y(0)), width: barW - 2, height: Math.max(1, Math.abs(y(v) - y(0))), class: `gbar run-${k % 8}` });
      rect.append(svg('title', {}, `${KEY[c]} ${r.label}: ${formatNats(mean)} nats`));
      root.append(rect);
    });
    root.append(svg('text', { x: x0 + (s.runs.length * barW) / 2, y: H - 6, 'text-anchor': 'middle', class: 'tick' }, KEY[c]));
  });
  return root;
}

/**
 * Dataset R, U1, U2, S: one row per component (so it stays narrow at half the editor width), one
 * column per run (its mean over the common samples), then Δ = run − baseline with its interval
 * for every other run.
 */
function datasetTable(s: ComparisonSummary): HTMLElement {
  const others = s.runs.map((r, k) => ({ r, k })).filter((x) => x.k !== s.baseline);
  const base = s.runs[s.baseline];
  const head = h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'nats'),
    ...s.runs.map((r, k) => h('th', { scope: 'col', class: 'num', 'data-run': k }, runSwatch(k), r.label, k === s.baseline ? h('span', { class: 'muted small' }, ' (baseline)') : '')),
    ...others.map(({ r, k }) => h('th', { scope: 'col', class: 'num', 'data-delta': k, title: `Δ = ${r.label} − ${base.label}, with its ${levelText(s)} paired-bootstrap interval` },
      `Δ ${levelText(s)} interval`, others.length > 1 ? h('span', { class: 'muted small' }, ` (${r.label})`) : ''))));
  const body = h('tbody', null, ...COMPONENTS.map((c) => h('tr', { 'data-component': c },
    h('th', { scope: 'row', title: NAME[c] }, KEY[c]),
    ...s.runs.map((r) => h('td', { class: 'num', title: `${KEY[c]} of ${r.label} over the ${formatCount(s.nCommon)} common samples; all ${formatCount(r.n)} samples of this run: ${formatNats(r.dataset.adjusted[KEY[c]])}` }, formatNats(r.common[KEY[c]]))),
    ...others.map(({ r }) => deltaCell(r.datasetDelta[KEY[c]], r.deltaIntervals?.[KEY[c]], r.moved.includes(KEY[c]))))));
  return h('div', { class: 'table-scroll' }, h('table', { id: 'dataset-table' }, head, body));
}

/**
 * A Δ with its interval. `beyond` is the engine's verdict (the interval excludes 0): then coloured
 * (gain / loss); within noise greyed out and marked "~" (not by colour alone), the reason in its
 * tooltip and its accessible name.
 */
function deltaCell(v: number | null | undefined, iv: { lo: number; hi: number } | null | undefined, beyond: boolean): HTMLElement {
  // the Δ, then its interval (kept on one line; in a narrow panel it wraps below the Δ as a whole)
  const within = !!iv && !beyond;
  const parts = [
    h('span', { class: 'nowrap' }, formatDelta(v)),
    iv ? ' ' : '',
    iv ? h('span', { class: 'nowrap interval-text' }, formatDeltaInterval(iv), within ? h('span', { class: 'noise-mark', 'aria-hidden': 'true' }, ' ~') : '') : '',
    within ? h('span', { class: 'visually-hidden' }, ' (within noise)') : '',
  ];
  if (within) return h('td', { class: 'num within-noise', title: `within noise: the interval ${formatDeltaInterval(iv)} includes 0` }, ...parts);
  return h('td', { class: `num ${iv ? deltaClass(v) : ''}`, title: iv ? `beyond noise: the interval ${formatDeltaInterval(iv)} excludes 0` : 'no interval (fewer than 2 samples, or no bootstrap)' }, ...parts);
}

function deltaClass(v: number | null | undefined): string {
  // coloured only when the shown Δ has a sign (one that rounds to 0.0000 has none)
  const shown = formatDelta(v);
  return shown.startsWith('+') ? 'gain' : shown.startsWith('−') ? 'loss' : '';
}

/** At most this many classes per direction in the list above the class table (the rest counted). */
const SHIFTS_LISTED = 3;

function classShifts(s: ComparisonSummary, run: number): Node {
  // every class's shift with the engine's verdict (the host sends them all, not only the largest)
  const shift = s.shifts.find((x) => x.run === run)?.shifts;
  const beyond = new Set<string>();
  if (shift) for (const c of COMPONENTS) for (const x of [...shift[c].gained, ...shift[c].lost]) if (x.significant) beyond.add(`${c}:${x.index}`);
  const lines: Node[] = [];
  if (shift && s.significance.replicates > 0) {
    const say = (c: CompareComponentName, dir: 'gained' | 'lost'): Node | null => {
      const all = shift[c][dir].filter((x) => x.significant);
      if (!all.length) return null;
      const more = all.length - SHIFTS_LISTED;
      return h('li', { 'data-shift': `${c}-${dir}` },
        h('span', { class: 'shift-what' }, `${dir === 'gained' ? 'Gained' : 'Lost'} ${NAME[c]}: `),
        ...all.slice(0, SHIFTS_LISTED).flatMap((x, k) => [
          k ? ', ' : '',
          h('span', { class: 'nowrap' }, `${x.name} ${formatDelta(x.delta)}`),
          ' ',
          h('span', { class: 'nowrap muted' }, `${formatDeltaInterval(x.interval)} (n ${formatCount(x.n)})`),
        ]),
        more > 0 ? ` and ${more} more` : '');
    };
    const items = COMPONENTS.flatMap((c) => [say(c, 'gained'), say(c, 'lost')]).filter((x): x is Node => !!x);
    const tested = s.perClass.filter((pc) => pc.n >= 2).length;
    lines.push(
      items.length
        ? h('div', { id: 'shift-summary' }, h('p', null, h('strong', null, 'Classes that moved beyond noise'), ` (${levelText(s)} intervals, simultaneous over the ${tested} classes):`), h('ul', { class: 'shift-list' }, ...items))
        : h('p', { id: 'shift-summary' }, h('strong', null, 'No class moved beyond noise'), ` in any component (${levelText(s)} intervals, simultaneous over the ${tested} classes).`),
    );
  } else if (shift) {
    lines.push(h('p', { id: 'shift-summary' }, h('strong', null, 'No intervals'), ' (the bootstrap is off, lsmi.estimator.bootstrap = 0), so no class shift is called beyond noise.'));
  }
  const rows = [...s.perClass].filter((pc) => pc.n > 0).sort((a, b) => (b.delta[run]?.S ?? 0) - (a.delta[run]?.S ?? 0));
  const t = h('table', { id: 'class-shifts' },
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'class'), h('th', { scope: 'col', class: 'num' }, 'n'),
      ...COMPONENTS.map((c) => h('th', { scope: 'col', class: 'num' }, `Δ${KEY[c]}`)),
      h('th', { scope: 'col', class: 'num', title: `S of the class in ${s.runs[s.baseline].label} → in ${s.runs[run].label}` }, 'S, baseline → run'))),
    h('tbody', null, ...rows.map((pc) => {
      const b = h('button', { type: 'button', class: 'link', title: `Movers of class ${pc.name}` }, pc.name);
      b.addEventListener('click', () => {
        save({ classes: [pc.index] });
        setClassFilter('mover-class', [pc.index]);
        requery();
        requestScatter();
        document.getElementById('movers-h')?.scrollIntoView();
      });
      return h('tr', { 'data-class': pc.index },
        h('td', null, b),
        h('td', { class: 'num' }, String(pc.n)),
        ...COMPONENTS.map((c) => deltaCell(pc.delta[run]?.[KEY[c]], pc.deltaIntervals[run]?.[KEY[c]], beyond.has(`${c}:${pc.index}`))),
        h('td', { class: 'num muted' }, `${formatNats(pc.means[s.baseline]?.S)} → ${formatNats(pc.means[run]?.S)}`));
    })));
  return h('div', null, ...lines, h('div', { class: 'table-scroll' }, t),
    h('p', { class: 'muted small' }, `Sorted by ΔS. Each Δ with its ${levelText(s)} interval, simultaneous over the classes; green: more in the compared run, red: less, beyond noise; greyed and marked ~: within noise. Click a class for its movers.`));
}

// ---------------------------------------------------------------------------------------------- scatter

function scatterSection(s: ComparisonSummary): HTMLElement {
  const buttons = COMPONENTS.map((c) => {
    const b = h('button', { type: 'button', class: 'chip-toggle', id: `scatter-${c}`, 'aria-pressed': String((state.scatterComponent ?? 's') === c) }, c);
    b.addEventListener('click', () => {
      save({ scatterComponent: c });
      for (const x of COMPONENTS) document.getElementById(`scatter-${x}`)?.setAttribute('aria-pressed', String(x === c));
      if (state.brush?.kind === 'box') setBrush(undefined);
      requestScatter();
    });
    return b;
  });
  scatterBox = h('div', { class: 'scatter-box', id: 'scatter' }, h('p', { class: 'muted' }, 'Loading…'));
  scatterDetail = h('div', { class: 'scatter-detail', id: 'scatter-detail' });
  return h('div', null,
    h('div', { class: 'controls', role: 'group', 'aria-label': 'Component of the scatter' }, h('span', { class: 'muted' }, 'Component'), ...buttons,
      h('span', { class: 'muted small' }, `x: ${s.runs[s.baseline].label}, y: ${s.runs[runIndex(s)].label}. Hover a point for its values, click it to inspect the sample, drag a box to list the samples inside it in the movers.`)),
    h('div', { class: 'scatter-wrap' }, scatterBox, scatterDetail));
}

function scatterView(sc: Scatter): Node[] {
  const s = summary!;
  const b = state.brush;
  scatterPlot = scatterChart(sc, {
    xRun: s.runs[sc.x]?.label ?? 'x',
    yRun: s.runs[sc.y]?.label ?? 'y',
    classNames: s.classNames,
    box: b?.kind === 'box' && b.component === sc.component ? { x: b.x, y: b.y } : undefined,
    onInspect: (index) => {
      if (!scatterDetail || !summary) return;
      scatterDetail.dataset.index = String(index);
      scatterDetail.replaceChildren(detailPlaceholder(`#${index}`));
      vscode.postMessage({ type: 'sample', index, run: runIndex(summary) });
    },
    onSelect: (box) => setBrush({ kind: 'box', component: sc.component, ...box }),
    onClear: () => setBrush(undefined),
  });
  return [
    scatterPlot.el,
    h('p', { class: 'muted small', id: 'scatter-info' },
      `${sc.component}: ${formatCount(sc.total)} samples in both runs, Pearson ${formatFraction(sc.pearson)}; `,
      sc.sampled ? `${formatCount(sc.points.index.length)} drawn as points (the biggest movers and a uniform sample), every sample in the density shading.` : 'every sample drawn.'),
  ];
}

// ---------------------------------------------------------------------------------------------- movers

const isMoverComponent = (v: string): v is MoverComponentName => v === 'any' || COMPONENTS.some((c) => c === v);
const isMoverOrder = (v: string): v is MoverOrderName => v === 'abs' || v === 'gain' || v === 'loss' || v === 'stable';

function moversSection(s: ComparisonSummary): Node[] {
  const compSel = singleSelect('mover-component', 'Rank by the change of', [['any', 'any component'], ...COMPONENTS.map((c): [string, string] => [c, `${c} (${NAME[c]})`])], state.component ?? 'any', (v) => {
    if (!isMoverComponent(v)) return;
    save({ component: v });
    requery();
  });
  // ranking by |Δ| relative to the samples' own seed-to-seed noise needs it in both runs (the engine's hasPairStability)
  const stable = s.runs[runIndex(s)].hasStability && s.runs[s.baseline].hasStability;
  if (!stable && state.order === 'stable') save({ order: 'abs' });
  const stableWhy = 'Needs per-sample stability in both runs: estimate them with replicates (setting lsmi.estimator.replicates, or lsmi estimate --replicates R).';
  const orderSel = singleSelect('mover-order', 'Order', [
    ['abs', 'largest |Δ|'], ['gain', 'largest gain'], ['loss', 'largest loss'],
    ['stable', stable ? 'largest |Δ| relative to stability' : 'largest |Δ| relative to stability (needs replicates)'],
  ], state.order ?? 'abs', (v) => {
    if (!isMoverOrder(v)) return;
    save({ order: v });
    requery();
  });
  const stableOption = orderSel.querySelector('vscode-option[value="stable"]') as HTMLElement | null;
  if (stableOption) {
    if (!stable) stableOption.setAttribute('disabled', '');
    stableOption.setAttribute('description', stable ? "|Δ| divided by √(sd² in the baseline + sd² in the run): the samples' own seed-to-seed noise" : stableWhy);
  }
  orderSel.title = stable ? 'Order of the movers' : `Order of the movers. "Relative to stability": ${stableWhy}`;
  const classSel = classFilter('mover-class', s.classNames, state.classes, (classes) => {
    save({ classes });
    requery();
    requestScatter();
  });
  const search = h('vscode-textfield', { id: 'mover-search', placeholder: 'sample_id contains…', 'aria-label': 'Search sample ids', value: state.search ?? '' }) as HTMLElement & { value: string };
  let timer: ReturnType<typeof setTimeout> | undefined;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      save({ search: search.value || undefined });
      requery();
      requestScatter();
    }, 200);
  });
  countInfo = h('span', { id: 'movers-count', class: 'muted', role: 'status' });
  brushChips = h('div', { class: 'chips', id: 'movers-filters', 'aria-label': 'Active selection' });
  queueMicrotask(renderBrushChip);
  const exportMovers = (request: Extract<ComparePanelFromWebview, { type: 'export' }>['request']) => vscode.postMessage({ type: 'export', request, movers: moversQuery() });
  const actions = h('div', { class: 'actions' },
    button('Export CSV', 'export-csv', () => exportMovers({ kind: 'view', format: 'csv' }), 'Export the movers as listed (filters and ranking) as CSV', true),
    button('Export Arrow', 'export-arrow', () => exportMovers({ kind: 'view', format: 'arrow' }), 'Export the movers as listed as an Arrow file', true),
    button('Export partition…', 'export-partition', () => exportMovers({ kind: 'partition' }), 'Split the samples at quantiles of a component of the compared run (e.g. high- and low-redundancy subsets) into sample_id lists', true));
  const cls = (v: number | null) => deltaClass(v);
  const columns: Column<MoverRow>[] = [
    { cls: 'c-row', header: 'rank', pin: true, num: true, cell: (r) => String(r.rank), cellClass: () => 'muted' },
    { cls: 'c-id', header: 'sample_id', pin: true, cell: (r) => r.sample_id, cellClass: () => 'mono' },
    { cls: 'c-class', header: 'class', cell: (r) => r.class },
    { cls: 'c-moved', header: 'moved', cell: (r) => r.component },
    { cls: 'c-delta', header: 'Δ', num: true, cell: (r) => formatDelta(r.delta), cellClass: (r) => cls(r.delta) },
    // the samples' own seed-to-seed noise next to their Δ (both runs estimated with replicates)
    ...(stable
      ? [
          { cls: 'c-noise', header: 'noise sd', num: true, cell: (r: MoverRow) => formatNats(r.stability), cellClass: () => 'muted' },
          { cls: 'c-noise', header: '|Δ| / sd', num: true, cell: (r: MoverRow) => (r.stability && r.stability > 0 ? formatRatio(Math.abs(r.delta) / r.stability) : '—') },
        ]
      : []),
    ...COMPONENTS.map((c): Column<MoverRow> => ({ cls: 'c-delta', header: `Δ${c}`, num: true, cell: (r) => formatDelta(r.deltas[c]), cellClass: (r) => cls(r.deltas[c]) })),
    { cls: 'c-run', header: 'baseline → run', num: true, cell: (r) => `${formatNats(r.baseline[r.component])} → ${formatNats(r.value[r.component])}`, cellClass: () => 'muted' },
  ];
  table = new VirtualTable<MoverRow>({
    id: 'movers',
    label: 'Biggest movers: arrow keys move, Enter expands a sample',
    columns,
    key: (r) => r.index,
    fetch: (offset, limit) => vscode.postMessage({ type: 'movers', request: { ...moversQuery(), offset, limit, gen } }),
    describe: (r) => `${r.rank}. ${r.sample_id}, ${r.class}: ${r.component} moved ${formatDelta(r.delta)}`,
    onExpand: (r) => {
      save({ expanded: r?.index });
      if (!r || !summary) return (detailHost = undefined);
      detailHost = h('div', { class: 'detail-host' }, detailPlaceholder(r.sample_id));
      vscode.postMessage({ type: 'sample', index: r.index, run: runIndex(summary) });
      return detailHost;
    },
  });
  return [
    h('div', { class: 'controls' }, compSel, orderSel, classSel, search, h('span', { class: 'spacer' }), countInfo),
    brushChips,
    table.el,
    actions,
    h('p', { class: 'muted small' }, `Ranked by Δ = ${s.runs[runIndex(s)].label} − ${s.runs[s.baseline].label}. Click a row (or Enter) to see the sample's files and its values in every run. Pages of ${PAGE} rows come from the extension host as you scroll.`),
  ];
}

/** Opens the run's results panel on this sample (scrolled to and expanded, wherever it ranks). */
function showInResults(index: number, run: number, label: string): HTMLElement {
  const b = h('button', { type: 'button', class: 'link', id: `show-in-results-${run}`, title: `Show this sample in the results panel of ${label}` }, 'results ↗');
  b.addEventListener('click', () => vscode.postMessage({ type: 'revealInResults', index, run }));
  return b;
}

function detailView(d: CompareSampleDetail): HTMLElement {
  const s = summary!;
  const perRun = h('table', { class: 'per-run', id: 'per-run' },
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'run'), ...COMPONENTS.map((c) => h('th', { scope: 'col', class: 'num' }, c)), ...COMPONENTS.map((c) => h('th', { scope: 'col', class: 'num' }, `Δ${c}`)), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'results')))),
    h('tbody', null, ...d.runs.map((r) => h('tr', null,
      h('th', { scope: 'row' }, runSwatch(r.run), r.label, r.run === s.baseline ? ' (baseline)' : ''),
      ...(r.present
        ? [
            ...COMPONENTS.map((c) => h('td', { class: 'num' }, formatNats(r.value[c]))),
            ...COMPONENTS.map((c) => h('td', { class: `num ${deltaClass(r.delta[c])}` }, r.run === s.baseline ? '—' : formatDelta(r.delta[c]))),
            h('td', null, showInResults(d.index, r.run, r.label)),
          ]
        : [h('td', { colspan: 9, class: 'muted' }, 'not in this run')])))));
  if (!d.detail) return h('div', { class: 'detail-box', id: 'sample-detail' }, h('div', { class: 'table-scroll' }, perRun));
  const box = sampleView(d.detail, {
    modalityNames: s.modalityNames,
    open: (_row, which) => vscode.postMessage({ type: 'openSampleFile', index: d.index, which }),
    reveal: (_row, which) => vscode.postMessage({ type: 'revealSampleFile', index: d.index, which }),
  });
  box.querySelector('.detail-positions')?.remove();
  box.classList.add('compare-detail');
  box.append(h('div', { class: 'per-run-wrap' }, h('h3', null, `Every run (the waterfall shows ${s.runs[d.detailRun]?.label ?? ''})`), h('div', { class: 'table-scroll' }, perRun)));
  return box;
}

announceReady(vscode);
