/** Results panel UI: overview, a paged samples table (rows requested from the host) and per-class means. */
import type {
  AtomValues,
  Histogram,
  ResultsOverview,
  ResultsPanelFromWebview,
  ResultsPanelState,
  ResultsPanelToWebview,
  RowsRequest,
  SampleRow,
  SortColumn,
} from '../../src/protocol/messages';
import { connect, fmt, h } from '../shared/vscode';

const PAGE = 50;
/** The sortable columns (the protocol's SORT_COLUMNS; webviews import types only). */
const SORT_COLUMNS: readonly SortColumn[] = ['r', 'u1', 'u2', 's', 'i1', 'i2', 'i12'];
const app = document.getElementById('app')!;
const vscode = connect<ResultsPanelState, ResultsPanelFromWebview, ResultsPanelToWebview>(onMessage);

type Tab = NonNullable<ResultsPanelState['tab']>;
const TABS: [Tab, string][] = [['overview', 'Overview'], ['samples', 'Samples'], ['categories', 'Categories']];
const ATOMS = [
  { key: 'R', col: 'r', name: 'Redundancy' },
  { key: 'U1', col: 'u1', name: 'Uniqueness 1' },
  { key: 'U2', col: 'u2', name: 'Uniqueness 2' },
  { key: 'S', col: 's', name: 'Synergy' },
] as const;
const COLUMN_HELP: Record<SortColumn, string> = {
  r: 'redundancy', u1: 'uniqueness of modality 1', u2: 'uniqueness of modality 2', s: 'synergy',
  i1: 'pointwise MI of modality 1 with the label', i2: 'pointwise MI of modality 2 with the label', i12: 'pointwise MI of both with the label',
};
const BRANCH: Record<string, string> = {
  none: 'no adjustment needed (all raw means ≥ 0)',
  priority1_R_le_S: 'priority 1: R ≤ S with a negative mean, shifted by −R',
  priority1_S_lt_R: 'priority 1: S < R with a negative mean, shifted by −S',
  priority2: 'priority 2: a negative uniqueness, shifted by min(U1, U2)',
};

let overview: ResultsOverview | undefined;
let state: ResultsPanelState = vscode.getState() ?? { file: '' };
let tbody: HTMLTableSectionElement | undefined;
let pageInfo: HTMLElement | undefined;
let prevBtn: HTMLButtonElement | undefined;
let nextBtn: HTMLButtonElement | undefined;
let total = 0;

function save(patch: Partial<ResultsPanelState>): void {
  state = { ...state, ...patch };
  vscode.setState(state);
}

function onMessage(m: ResultsPanelToWebview): void {
  switch (m.type) {
    case 'loading':
      if (state.file !== m.file) state = { file: m.file };
      save({ file: m.file });
      app.replaceChildren(h('p', { class: 'muted', role: 'status' }, `Reading ${m.file}…`));
      break;
    case 'results':
      if (state.file !== m.overview.file) state = { file: m.overview.file };
      save({ file: m.overview.file });
      overview = m.overview;
      app.replaceChildren(...view(m.overview));
      requestRows();
      break;
    case 'rowsPage':
      if (!tbody || !sameQuery(m.request)) return;
      total = m.total;
      save({ offset: m.offset });
      tbody.replaceChildren(...m.rows.map(rowOf));
      if (m.rows.length === 0) tbody.append(h('tr', null, h('td', { colspan: 11, class: 'muted' }, 'No samples match.')));
      updatePager(m.offset, m.rows.length);
      break;
    case 'error':
      save({ file: m.file });
      app.replaceChildren(
        h('h1', null, 'These results cannot be read'),
        h('div', { class: 'error', role: 'alert', id: 'error' }, h('strong', null, m.error.code), ' ', m.error.message),
        h('p', null, 'Estimate the run again (LSMI: Estimate Interactions) and reload.'),
        button('Reload', 'reload', () => vscode.postMessage({ type: 'reload' })),
      );
      break;
  }
}

function query(): Omit<RowsRequest, 'offset' | 'limit'> {
  return { sort: state.sort ?? 's', desc: state.desc ?? true, classFilter: state.classFilter, search: state.search || undefined };
}

function sameQuery(r: RowsRequest): boolean {
  const q = query();
  return r.sort === q.sort && r.desc === q.desc && r.classFilter === q.classFilter && (r.search || undefined) === q.search;
}

function requestRows(offset = state.offset ?? 0): void {
  vscode.postMessage({ type: 'rows', request: { ...query(), offset: Math.max(0, offset), limit: PAGE } });
}

function button(label: string, id: string | undefined, onClick: () => void, attrs: Record<string, string> = {}): HTMLButtonElement {
  const b = h('button', { type: 'button', id, ...attrs }, label);
  b.addEventListener('click', onClick);
  return b;
}

// ---------------------------------------------------------------------------------------------- layout

function view(o: ResultsOverview): Node[] {
  const tab = state.tab ?? 'overview';
  const tabs = TABS.map(([id, label]) =>
    h('button', { type: 'button', role: 'tab', id: `tab-${id}`, 'aria-controls': `panel-${id}`, 'aria-selected': String(id === tab), tabindex: id === tab ? 0 : -1, class: 'tab' }, label),
  );
  const panels = TABS.map(([id]) => {
    const p = h('section', { role: 'tabpanel', id: `panel-${id}`, 'aria-labelledby': `tab-${id}`, tabindex: 0, hidden: id !== tab });
    p.append(...(id === 'overview' ? overviewView(o) : id === 'samples' ? samplesView(o) : categoriesView(o)));
    return p;
  });
  const tablist = h('div', { role: 'tablist', 'aria-label': 'Results views', class: 'tablist' }, ...tabs);
  const select = (id: Tab, focus: boolean) => {
    save({ tab: id });
    tabs.forEach((t, k) => {
      const on = TABS[k][0] === id;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
      panels[k].hidden = !on;
      if (on && focus) t.focus();
    });
  };
  tabs.forEach((t, k) => {
    t.addEventListener('click', () => select(TABS[k][0], false));
    t.addEventListener('keydown', (e) => {
      const n = TABS.length;
      const to = e.key === 'ArrowRight' ? (k + 1) % n : e.key === 'ArrowLeft' ? (k + n - 1) % n : e.key === 'Home' ? 0 : e.key === 'End' ? n - 1 : -1;
      if (to >= 0) {
        e.preventDefault();
        select(TABS[to][0], true);
      }
    });
  });
  showClass = (cls: number) => {
    save({ classFilter: cls, offset: 0 });
    const sel = document.getElementById('class-filter') as HTMLSelectElement | null;
    if (sel) sel.value = String(cls);
    select('samples', true);
    requestRows(0);
  };
  const meta = [`${o.n.toLocaleString('en-US')} samples`, `${o.classNames.length} classes`, `modalities: 1 = ${o.modalityNames[0]}, 2 = ${o.modalityNames[1]}`];
  if (o.fusion) meta.push(`${o.fusion} fusion`);
  return [
    h('header', null,
      h('h1', { id: 'run-name' }, o.runName),
      h('p', { class: 'muted' }, meta.join(' · ')),
      h('p', { class: 'muted path', title: o.file }, o.file)),
    tablist,
    ...panels,
  ];
}

let showClass: (cls: number) => void = () => {};

// ---------------------------------------------------------------------------------------------- overview

function atomTooltip(o: ResultsOverview, key: keyof AtomValues): string {
  const d = o.dataset;
  return `${key}: adjusted ${fmt(d.adjusted[key], 4)} nats, raw ${fmt(d.raw[key], 4)} nats\nadjustment: ${BRANCH[d.branch] ?? d.branch}; adj = ${fmt(d.adj, 4)}`;
}

function atomLabel(o: ResultsOverview, key: keyof AtomValues): string {
  return key === 'U1' ? `Unique to ${o.modalityNames[0]}` : key === 'U2' ? `Unique to ${o.modalityNames[1]}` : key === 'R' ? 'Redundancy' : 'Synergy';
}

function overviewView(o: ResultsOverview): Node[] {
  const d = o.dataset.adjusted;
  const stats = h('div', { class: 'stats', id: 'dataset' },
    ...ATOMS.map((a) =>
      h('div', { class: `stat stat-${a.col}`, id: `stat-${a.key}`, title: atomTooltip(o, a.key), tabindex: 0, 'aria-label': `${a.key}, ${atomLabel(o, a.key)}: ${fmt(d[a.key], 4)} nats (raw ${fmt(o.dataset.raw[a.key], 4)})` },
        h('div', { class: 'stat-key' }, a.key),
        h('div', { class: 'stat-value' }, fmt(d[a.key], 4)),
        h('div', { class: 'stat-name muted' }, atomLabel(o, a.key)))));
  const nodes: Node[] = [
    h('h2', { id: 'dataset-h' }, 'Dataset interactions (nats, adjusted)'),
    stats,
    compositionBar(d, 'composition', 'Composition of the label information'),
    legend(o),
    h('p', { class: 'muted small' }, `Adjustment: ${BRANCH[o.dataset.branch] ?? o.dataset.branch} (adj = ${fmt(o.dataset.adj, 4)}). Hover a value for its raw mean.`),
    h('h2', { id: 'hist-h' }, 'Per-sample distributions'),
    h('div', { class: 'hists' }, ...ATOMS.map((a) => histogramView(a.col, `${a.col} — ${atomLabel(o, a.key).toLowerCase()}`, o.histograms[a.col]))),
    h('h2', { id: 'heads-h' }, 'Discriminators'),
    h('table', { id: 'heads' },
      h('thead', null, h('tr', null, ...['head', 'source'].map((t) => h('th', { scope: 'col' }, t)), ...['accuracy', 'log-loss', 'mean MI'].map((t) => h('th', { scope: 'col', class: 'num' }, t)))),
      h('tbody', null, ...o.heads.map((x) =>
        h('tr', null,
          h('td', null, x.head === '12' ? 'both' : o.modalityNames[Number(x.head) - 1]),
          h('td', null, x.source),
          h('td', { class: 'num' }, x.accuracy === undefined ? '—' : fmt(x.accuracy)),
          h('td', { class: 'num' }, fmt(x.logLoss)),
          h('td', { class: 'num' }, fmt(x.meanMI)))))),
    h('h2', { id: 'settings-h' }, 'Settings and backend'),
    h('dl', { class: 'facts', id: 'settings' },
      ...[...o.settings, ['Backend', o.backend], ['Run file', o.runFile], ['Estimated', `${o.createdAt} with LSMI Explorer ${o.toolVersion}`]].flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v)])),
    h('div', { class: 'actions' },
      button('Reload', 'reload', () => vscode.postMessage({ type: 'reload' })),
      button('Reveal in Explorer', 'reveal', () => vscode.postMessage({ type: 'revealInExplorer' }))),
  ];
  return nodes;
}

/** Stacked bar of the positive parts of R, U1, U2, S (shares of their sum). */
function compositionBar(a: AtomValues, id: string | undefined, label: string): HTMLElement {
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

function legend(o: ResultsOverview): HTMLElement {
  return h('ul', { class: 'legend', 'aria-hidden': 'true' }, ...ATOMS.map((a) => h('li', null, h('span', { class: `swatch seg-${a.col}` }), `${a.key} ${atomLabel(o, a.key).toLowerCase()}`)));
}

function histogramView(col: string, caption: string, hist: Histogram): HTMLElement {
  const max = Math.max(...hist.counts, 1);
  const width = (hist.hi - hist.lo) / hist.counts.length;
  const bars = hist.counts.map((c, k) => {
    const pct = c === 0 ? 0 : Math.max(1, Math.round((100 * c) / max));
    const a = hist.lo + k * width;
    return h('div', { class: `hbar seg-${col} h${pct}`, title: `[${fmt(a)}, ${fmt(a + width)}): ${c} sample${c === 1 ? '' : 's'}` });
  });
  const beyond = hist.below + hist.above;
  return h('figure', { class: 'hist-figure', id: `hist-${col}` },
    h('figcaption', null, caption),
    h('div', { class: 'hist', role: 'img', 'aria-label': `Histogram of ${col}: ${hist.counts.length} bins from ${fmt(hist.lo)} to ${fmt(hist.hi)} nats, tallest bin ${max} samples` }, ...bars),
    h('div', { class: 'hist-axis muted' }, h('span', null, fmt(hist.lo, 2)), h('span', null, fmt(hist.hi, 2))),
    h('div', { class: 'muted small' }, `range ${fmt(hist.min, 2)} … ${fmt(hist.max, 2)}${beyond ? `; ${beyond} beyond the 1–99% range in the edge bins` : ''}`));
}

// ---------------------------------------------------------------------------------------------- samples

function samplesView(o: ResultsOverview): Node[] {
  const classSel = h('select', { id: 'class-filter', 'aria-label': 'Filter by class' },
    h('option', { value: '' }, 'All classes'),
    ...o.classNames.map((name, k) => h('option', { value: String(k) }, `${k}: ${name}`)));
  classSel.value = state.classFilter === undefined ? '' : String(state.classFilter);
  classSel.addEventListener('change', () => {
    save({ classFilter: classSel.value === '' ? undefined : Number(classSel.value), offset: 0 });
    requestRows(0);
  });
  const search = h('input', { type: 'search', id: 'search', placeholder: 'sample_id contains…', 'aria-label': 'Search sample ids', value: state.search ?? '' });
  let timer: ReturnType<typeof setTimeout> | undefined;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      save({ search: search.value, offset: 0 });
      requestRows(0);
    }, 200);
  });
  prevBtn = button('Previous', 'prev-page', () => requestRows((state.offset ?? 0) - PAGE), { 'aria-label': 'Previous page' });
  nextBtn = button('Next', 'next-page', () => requestRows((state.offset ?? 0) + PAGE), { 'aria-label': 'Next page' });
  pageInfo = h('span', { id: 'page-info', class: 'muted', role: 'status' }, '');

  const sortHeader = (c: SortColumn) => {
    const active = (state.sort ?? 's') === c;
    const desc = state.desc ?? true;
    const b = h('button', { type: 'button', class: 'sort', id: `sort-${c}`, title: `Sort by ${c}: ${COLUMN_HELP[c]}` }, c, h('span', { class: 'sort-mark', 'aria-hidden': 'true' }, active ? (desc ? ' ▼' : ' ▲') : ''));
    b.addEventListener('click', () => {
      // read the current sort at click time (it changes after this header was built)
      const now = (state.sort ?? 's') === c;
      save({ sort: c, desc: now ? !(state.desc ?? true) : true, offset: 0 });
      refreshHeaders();
      requestRows(0);
    });
    return h('th', { scope: 'col', class: 'num', 'aria-sort': active ? (desc ? 'descending' : 'ascending') : 'none', 'data-col': c }, b);
  };
  tbody = h('tbody', null);
  const table = h('table', { id: 'samples', class: 'samples', 'aria-label': 'Samples' },
    h('thead', null, h('tr', null,
      h('th', { scope: 'col', class: 'num' }, 'row'),
      h('th', { scope: 'col' }, 'sample_id'),
      h('th', { scope: 'col' }, 'class'),
      ...(o.hasSplit ? [h('th', { scope: 'col' }, 'split')] : []),
      ...SORT_COLUMNS.map(sortHeader))),
    tbody);
  return [
    h('h2', { id: 'samples-h', class: 'visually-hidden' }, 'Samples'),
    h('div', { class: 'controls' },
      h('label', { for: 'class-filter' }, 'Class '), classSel,
      h('label', { for: 'search' }, 'Search '), search,
      h('span', { class: 'spacer' }),
      prevBtn, pageInfo, nextBtn),
    h('div', { class: 'table-wrap' }, table),
    h('p', { class: 'muted small' }, 'Values in nats; r, u1, u2, s adjusted. Click a column header to sort.'),
  ];
}

function refreshHeaders(): void {
  for (const th of document.querySelectorAll<HTMLTableCellElement>('#samples th[data-col]')) {
    const c = th.dataset.col as SortColumn;
    const active = (state.sort ?? 's') === c;
    const desc = state.desc ?? true;
    th.setAttribute('aria-sort', active ? (desc ? 'descending' : 'ascending') : 'none');
    const mark = th.querySelector('.sort-mark');
    if (mark) mark.textContent = active ? (desc ? ' ▼' : ' ▲') : '';
  }
}

function rowOf(r: SampleRow): HTMLTableRowElement {
  return h('tr', null,
    h('td', { class: 'num muted' }, String(r.row)),
    h('td', { class: 'mono' }, r.sample_id),
    h('td', null, r.className),
    ...(overview?.hasSplit ? [h('td', null, r.split ?? '')] : []),
    ...SORT_COLUMNS.map((c) => h('td', { class: `num${r[c] < 0 ? ' negative' : ''}` }, fmt(r[c]))));
}

function updatePager(offset: number, shown: number): void {
  if (!pageInfo || !prevBtn || !nextBtn) return;
  pageInfo.textContent = total === 0 ? '0 samples' : `${(offset + 1).toLocaleString('en-US')}–${(offset + shown).toLocaleString('en-US')} of ${total.toLocaleString('en-US')}`;
  prevBtn.disabled = offset <= 0;
  nextBtn.disabled = offset + shown >= total;
}

// ---------------------------------------------------------------------------------------------- categories

function categoriesView(o: ResultsOverview): Node[] {
  return [
    h('h2', { id: 'categories-h' }, 'Per-class means (nats, adjusted)'),
    h('table', { id: 'categories', class: 'bars' },
      h('thead', null, h('tr', null,
        h('th', { scope: 'col', class: 'num' }, '#'),
        h('th', { scope: 'col' }, 'class'),
        h('th', { scope: 'col', class: 'num' }, 'n'),
        ...ATOMS.map((a) => h('th', { scope: 'col', class: 'num' }, a.key)),
        h('th', { scope: 'col' }, 'composition'))),
      h('tbody', null, ...o.perClass.map((c) => {
        const show = button(c.name, undefined, () => showClass(c.index), { class: 'link', title: `Show the samples of ${c.name}` });
        return h('tr', null,
          h('td', { class: 'num' }, String(c.index)),
          h('td', null, show),
          h('td', { class: 'num' }, String(c.n)),
          ...ATOMS.map((a) => h('td', { class: `num${c.adjusted[a.key] < 0 ? ' negative' : ''}`, title: `raw ${fmt(c.raw[a.key], 4)}` }, fmt(c.adjusted[a.key]))),
          h('td', { class: 'bar-cell' }, compositionBar(c.adjusted, undefined, `${c.name} composition`)));
      }))),
    legend(o),
    h('p', { class: 'muted small' }, 'Click a class to list its samples.'),
  ];
}

vscode.postMessage({ type: 'ready' });
