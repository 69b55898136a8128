/**
 * Results panel UI: overview (means, composition, histograms whose bins filter the samples),
 * a virtualized samples table paged from the host (sort, filter by class, split, value range and
 * id; top-k per component; rows expand into file previews, a waterfall and percentiles) and the
 * classes ranked per component (the paper's Table 3).
 */
import type {
  AtomValues,
  ClassRanking,
  ClassRankRow,
  ExportRequest,
  Gallery,
  RangeFilter,
  ResultsOverview,
  ResultsPanelFromWebview,
  ResultsPanelState,
  ResultsPanelToWebview,
  RowsRequest,
  SampleDetail,
  SampleRow,
  SortColumn,
} from '../../src/protocol/messages';
import { ATOMS, atomLabel, compositionBar, legend } from '../shared/charts';
import { type Distributions, distributionsSection } from '../shared/distributions';
import { classFilter, classesText, setClassFilter, setSelectValue, singleSelect } from '../shared/elements';
import { discriminatorsView, warningsView } from './discriminators';
import { HoverThumb, galleryView } from './gallery';
import { pidSection, renderPid, resetPid } from './pid';
import { button, detailPlaceholder, sampleView } from '../shared/sampleView';
import { type Column, VirtualTable } from '../shared/virtualTable';
import { announceReady, connect, formatCount, formatFraction, formatInterval, formatLevel, formatNats, formatPercent, h } from '../shared/vscode';

/** The sortable columns (the protocol's SORT_COLUMNS; webviews import types only); the *_sd ones only with stability. */
const SORT_COLUMNS: readonly SortColumn[] = ['r', 'u1', 'u2', 's', 'i1', 'i2', 'i12'];
const SD_COLUMNS: readonly SortColumn[] = ['r_sd', 'u1_sd', 'u2_sd', 's_sd'];
/** The default minimum class size of the Categories tab (the engine's DEFAULT_MIN_CLASS_N). */
const DEFAULT_MIN_N = 30;
const app = document.getElementById('app')!;
const vscode = connect<ResultsPanelState, ResultsPanelFromWebview, ResultsPanelToWebview>(onMessage);

type Tab = NonNullable<ResultsPanelState['tab']>;
type RankBy = NonNullable<ResultsPanelState['rankBy']>;
const ALL_TABS: [Tab, string][] = [['overview', 'Overview'], ['samples', 'Samples'], ['categories', 'Categories'], ['gallery', 'Gallery']];
/** The tabs of these results (Gallery only for runs that link images). */
let TABS: [Tab, string][] = ALL_TABS.slice(0, 3);
let galleryRender: ((g: Gallery) => void) | undefined;
let galleryRefresh: (() => void) | undefined;
let hoverThumb: HoverThumb | undefined;
const COLUMN_HELP: Record<SortColumn, string> = {
  r: 'redundancy', u1: 'uniqueness of modality 1', u2: 'uniqueness of modality 2', s: 'synergy',
  i1: 'pointwise MI of modality 1 with the label', i2: 'pointwise MI of modality 2 with the label', i12: 'pointwise MI of both with the label',
  r_sd: 'standard deviation of r over the replicate fits', u1_sd: 'standard deviation of u1 over the replicate fits',
  u2_sd: 'standard deviation of u2 over the replicate fits', s_sd: 'standard deviation of s over the replicate fits',
};
const BRANCH: Record<string, string> = {
  none: 'no adjustment needed (all raw means ≥ 0)',
  priority1_R_le_S: 'priority 1: R ≤ S with a negative mean, shifted by −R',
  priority1_S_lt_R: 'priority 1: S < R with a negative mean, shifted by −S',
  priority2: 'priority 2: a negative uniqueness, shifted by min(U1, U2)',
};

let overview: ResultsOverview | undefined;
/** The Categories tab's ranking, from the host (the engine's rankClasses). */
let ranking: ClassRanking | undefined;
let renderCategories: (() => void) | undefined;
let state: ResultsPanelState = vscode.getState() ?? { file: '' };
let table: VirtualTable<SampleRow> | undefined;
/** Bumped on every query change: pages of older queries are dropped. */
let queryGen = 0;
let countInfo: HTMLElement | undefined;
/** The overview's histograms: their brushed range is the table's range filter. */
let distributions: Distributions | undefined;
let chips: HTMLElement | undefined;
let detailHost: HTMLElement | undefined;
let selectTab: (t: Tab, focus: boolean) => void = () => {};
/** A focusSample waiting for the filtered index of its row. */
let focusing: number | undefined;

function save(patch: Partial<ResultsPanelState>): void {
  state = { ...state, ...patch };
  vscode.setState(state);
}

function onMessage(m: ResultsPanelToWebview): void {
  switch (m.type) {
    case 'loading':
      resetPid();
      if (state.file !== m.file) state = { file: m.file };
      save({ file: m.file });
      table = undefined;
      app.replaceChildren(h('p', { class: 'muted', role: 'status' }, `Reading ${m.file}…`));
      break;
    case 'classRanking':
      ranking = m.ranking;
      renderCategories?.();
      break;
    case 'results': {
      if (state.file !== m.overview.file) state = { file: m.overview.file };
      save({ file: m.overview.file });
      overview = m.overview;
      // the Categories tab asks for its ranking of these results (an older ranking is another file's)
      ranking = undefined;
      app.replaceChildren(...view(m.overview));
      const expanded = state.expanded;
      if (expanded !== undefined) focusSample(expanded, false);
      else table?.reset(state.offset ?? 0);
      break;
    }
    case 'rowsPage': {
      const gen = Number(m.request.gen);
      if (!table || gen !== queryGen) return;
      table.setPage(m.offset, m.rows, m.total);
      updateCount(m.total);
      if (focusing !== undefined && m.request.focusRow === focusing) {
        const row = focusing;
        focusing = undefined;
        const filtered = !!state.classes?.length || !!state.split || !!state.range || !!state.search;
        if (m.focusIndex !== undefined && m.focusIndex >= 0) table.focusIndex(m.focusIndex, true);
        else if (filtered) {
          // the filters hide it: clear them and look once more
          save({ classes: undefined, split: undefined, range: undefined, search: undefined });
          syncControls();
          renderChips();
          focusSample(row, true);
        } else save({ expanded: undefined }); // not in these results (any more)
      }
      break;
    }
    case 'sampleDetail':
      if (!overview || !detailHost || table?.expandedRowKey !== m.detail.row) return;
      detailHost.replaceChildren(detailView(m.detail));
      table.refresh();
      break;
    case 'focusSample':
      focusSample(m.row, true);
      break;
    case 'gallery':
      galleryRender?.(m.gallery);
      break;
    case 'thumb':
      hoverThumb?.images(m.row, m.images);
      break;
    case 'applyQuery': {
      // a saved slice opened: exactly its filters and sort
      const q = m.query;
      showSamples({ sort: q.sort, desc: q.desc, classes: q.classes, split: q.split, range: q.range, search: q.search });
      break;
    }
    case 'notice':
      notice(m.text);
      break;
    case 'pid':
      renderPid(m.state);
      break;
    case 'error':
      save({ file: m.file });
      table = undefined;
      app.replaceChildren(
        h('h1', null, 'These results cannot be read'),
        h('div', { class: 'error', role: 'alert', id: 'error' }, h('strong', null, m.error.code), ' ', m.error.message),
        h('p', null, 'Estimate the run again (LSMI: Estimate Interactions) and reload.'),
        button('Reload', 'reload', () => vscode.postMessage({ type: 'reload' })),
      );
      break;
  }
}

function notice(text: string): void {
  const el = document.getElementById('notice');
  if (el) el.textContent = text;
}

function query(): Omit<RowsRequest, 'offset' | 'limit'> {
  return { sort: state.sort ?? 's', desc: state.desc ?? true, classes: state.classes, split: state.split, range: state.range, search: state.search || undefined };
}

/** Sends a rows request tagged with the query generation. */
function fetchRows(offset: number, limit: number, focusRow?: number): void {
  const request: RowsRequest = { ...query(), offset, limit, focusRow, gen: queryGen };
  vscode.postMessage({ type: 'rows', request });
}

/** The query changed: start the table over. */
function requery(): void {
  queryGen++;
  save({ offset: 0, expanded: undefined });
  renderChips();
  table?.reset(0);
}

/** Switch to the samples, scroll to `row` (a results row) and expand it. */
function focusSample(row: number, switchTab: boolean): void {
  if (!table) return;
  if (switchTab) selectTab('samples', false);
  queryGen++;
  renderChips();
  table.reset(0);
  focusing = row;
  save({ expanded: row });
  fetchRows(0, 100, row);
}

function updateCount(total: number): void {
  if (countInfo && overview) countInfo.textContent = total === overview.n ? `${formatCount(total)} samples` : `${formatCount(total)} of ${formatCount(overview.n)} samples`;
}

// ---------------------------------------------------------------------------------------------- layout

function view(o: ResultsOverview): Node[] {
  TABS = o.hasImages ? ALL_TABS : ALL_TABS.slice(0, 3);
  hoverThumb?.hide();
  hoverThumb = o.hasImages ? (hoverThumb ?? new HoverThumb((row) => vscode.postMessage({ type: 'thumb', row }))) : undefined;
  galleryRender = galleryRefresh = undefined;
  const tab = TABS.some(([id]) => id === state.tab) ? state.tab! : 'overview';
  const tabs = TABS.map(([id, label]) =>
    h('button', { type: 'button', role: 'tab', id: `tab-${id}`, 'aria-controls': `panel-${id}`, 'aria-selected': String(id === tab), tabindex: id === tab ? 0 : -1, class: 'tab' }, label),
  );
  const panels = TABS.map(([id]) => {
    const p = h('section', { role: 'tabpanel', id: `panel-${id}`, 'aria-labelledby': `tab-${id}`, tabindex: id === 'samples' ? -1 : 0, hidden: id !== tab });
    p.append(...(id === 'overview' ? overviewView(o) : id === 'samples' ? samplesView(o) : id === 'categories' ? categoriesView(o) : galleryTab(o)));
    return p;
  });
  const tablist = h('div', { role: 'tablist', 'aria-label': 'Results views', class: 'tablist' }, ...tabs);
  selectTab = (id: Tab, focus: boolean) => {
    save({ tab: id });
    tabs.forEach((t, k) => {
      const on = TABS[k][0] === id;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
      panels[k].hidden = !on;
      if (on && focus) t.focus();
    });
    if (id === 'samples') table?.refresh();
    if (id === 'gallery') galleryRefresh?.();
  };
  tabs.forEach((t, k) => {
    t.addEventListener('click', () => selectTab(TABS[k][0], false));
    t.addEventListener('keydown', (e) => {
      const n = TABS.length;
      const to = e.key === 'ArrowRight' ? (k + 1) % n : e.key === 'ArrowLeft' ? (k + n - 1) % n : e.key === 'Home' ? 0 : e.key === 'End' ? n - 1 : -1;
      if (to >= 0) {
        e.preventDefault();
        selectTab(TABS[to][0], true);
      }
    });
  });
  const meta = [`${formatCount(o.n)} samples`, `${o.classNames.length} classes`, `modalities: 1 = ${o.modalityNames[0]}, 2 = ${o.modalityNames[1]}`];
  if (o.architecture) meta.push(o.architecture);
  if (o.fusion) meta.push(`${o.fusion} fusion`);
  return [
    h('header', null,
      h('h1', { id: 'run-name' }, o.runName),
      h('p', { class: 'muted' }, meta.join(' · ')),
      h('p', { class: 'muted path', title: o.file }, o.file)),
    tablist,
    ...panels,
    h('p', { id: 'notice', class: 'notice', role: 'status', 'aria-live': 'polite' }),
  ];
}

/** Show the samples: filtered by class / range, sorted by a component (top-k). */
function showSamples(patch: Partial<ResultsPanelState>): void {
  save(patch);
  syncControls();
  selectTab('samples', false);
  requery();
  table?.el.focus({ preventScroll: true });
}

// ---------------------------------------------------------------------------------------------- overview

/** "95 % bootstrap interval, 1000 replicates, seed 0": how the cards' intervals were made. */
function intervalCaption(iv: NonNullable<ResultsOverview['dataset']['intervals']>): string {
  return `${formatLevel(iv.level)} bootstrap interval, ${formatCount(iv.replicates)} replicates, seed ${iv.seed}`;
}

function atomTooltip(o: ResultsOverview, key: keyof AtomValues): string {
  const d = o.dataset;
  const iv = d.intervals;
  const ivText = iv
    ? `\n${intervalCaption(iv)}: adjusted ${formatInterval(iv.adjusted[key])}, raw ${formatInterval(iv.raw[key])} (${iv.method})`
    : '\nno interval (results estimated before 0.3, or with the bootstrap off)';
  return `${key}: adjusted ${formatNats(d.adjusted[key])} nats, raw ${formatNats(d.raw[key])} nats${ivText}\nadjustment: ${BRANCH[d.branch] ?? d.branch}; adj = ${formatNats(d.adj)}\nClick to list the samples with the highest ${key.toLowerCase()}.`;
}

function overviewView(o: ResultsOverview): Node[] {
  const d = o.dataset.adjusted;
  const stats = h('div', { class: 'stats', id: 'dataset' },
    ...ATOMS.map((a) => {
      const iv = o.dataset.intervals?.adjusted[a.key];
      const ivText = formatInterval(iv);
      const card = h('button', { type: 'button', class: `stat stat-${a.col}`, id: `stat-${a.key}`, title: atomTooltip(o, a.key), 'aria-label': `${a.key}, ${atomLabel(o.modalityNames, a.key)}: ${formatNats(d[a.key])} nats${iv ? `, ${formatLevel(o.dataset.intervals!.level)} interval ${formatNats(iv.lo)} to ${formatNats(iv.hi)}` : ''} (raw ${formatNats(o.dataset.raw[a.key])}). Show the top samples by ${a.col}.` },
        h('span', { class: 'stat-key' }, a.key),
        h('span', { class: 'stat-value' }, formatNats(d[a.key])),
        iv ? h('span', { class: 'stat-interval', id: `interval-${a.key}` }, ivText) : null,
        h('span', { class: 'stat-name muted' }, atomLabel(o.modalityNames, a.key)));
      card.addEventListener('click', () => showSamples({ sort: a.col, desc: true }));
      return card;
    }));
  const warnings = warningsView(o, () => document.getElementById('heads-h')?.scrollIntoView({ block: 'start' }));
  return [
    ...(warnings ? [warnings] : []),
    h('h2', { id: 'dataset-h' }, 'Dataset interactions (nats, adjusted)'),
    stats,
    compositionBar(d, 'composition', 'Composition of the label information'),
    legend(o.modalityNames),
    h('p', { class: 'muted small' }, `Adjustment: ${BRANCH[o.dataset.branch] ?? o.dataset.branch} (adj = ${formatNats(o.dataset.adj)}). Hover a value for its raw mean and interval; click it for the top samples.`),
    ...(o.dataset.intervals
      ? [h('p', { class: 'muted small explain', id: 'interval-help' },
          `[lo, hi]: ${intervalCaption(o.dataset.intervals)} (samples resampled; the RUS adjustment in every replicate): the range the value would plausibly take on another sample of this size, so two values whose intervals overlap are not known to differ.`)]
      : []),
    ...(o.stability
      ? [h('p', { class: 'muted small', id: 'stability-note' }, `Estimated with ${o.stability.replicates} replicate fits: each sample's standard deviation (r_sd … s_sd) is in the samples table; mean per-sample sd: ${ATOMS.map((a) => `${a.col} ${formatNats(o.stability!.meanSampleSd[a.key])}`).join(', ')}.`)]
      : []),
    ...pidSection(o, (m) => vscode.postMessage(m)),
    h('h2', { id: 'hist-h' }, 'Per-sample distributions'),
    ...(distributions = distributionsSection(o, {
      scale: state.histScale ?? 'linear',
      range: state.range,
      onScale: (histScale) => save({ histScale }),
      onSelect: (range) => showSamples({ range, sort: range.col, desc: true }),
      onClear: () => {
        save({ range: undefined });
        requery();
      },
    })).nodes,
    h('h2', { id: 'heads-h' }, 'Discriminators'),
    ...discriminatorsView(o),
    h('h2', { id: 'settings-h' }, 'Settings and backend'),
    h('dl', { class: 'facts', id: 'settings' },
      ...[...o.settings, ['Backend', o.backend], ['Run file', o.runFile], ['Estimated', `${o.createdAt} with LSMI Explorer ${o.toolVersion}`]].flatMap(([k, v]) => [h('dt', null, k), k === 'Backend' && o.backendDetail
        // one short line; why a GPU was not used on hover and in a disclosure
        ? h('dd', { id: 'backend', title: o.backendDetail }, v, ' ', h('details', { class: 'backend-detail' }, h('summary', { class: 'muted small' }, 'details'), h('p', { class: 'muted small' }, o.backendDetail)))
        : h('dd', k === 'Backend' ? { id: 'backend' } : null, v)])),
    h('div', { class: 'actions' },
      button('Reload', 'reload', () => vscode.postMessage({ type: 'reload' })),
      button('Reveal in Explorer', 'reveal', () => vscode.postMessage({ type: 'revealInExplorer' }), 'Reveal the results file in the Explorer', true)),
  ];
}

// ---------------------------------------------------------------------------------------------- samples

function syncControls(): void {
  setClassFilter('class-filter', state.classes);
  setSelectValue('split-filter', state.split ?? '');
  const search = document.getElementById('search') as (HTMLElement & { value: string }) | null;
  if (search && search.value !== (state.search ?? '')) search.value = state.search ?? '';
  refreshHeaders();
}

function rangeText(r: RangeFilter): string {
  if (r.lo === null && r.hi !== null) return `${r.col} < ${formatNats(r.hi)}`;
  if (r.hi === null && r.lo !== null) return `${r.col} ≥ ${formatNats(r.lo)}`;
  return `${formatNats(r.lo ?? -Infinity)} ≤ ${r.col} < ${formatNats(r.hi ?? Infinity)}`;
}

function renderChips(): void {
  distributions?.sync(state.range);
  if (!chips || !overview) return;
  const o = overview;
  const list: [string, string, Partial<ResultsPanelState>][] = [];
  if (state.range) list.push(['range', rangeText(state.range), { range: undefined }]);
  if (state.classes?.length) list.push(['class', classesText(o.classNames, state.classes), { classes: undefined }]);
  if (state.split) list.push(['split', `split ${state.split}`, { split: undefined }]);
  if (state.search) list.push(['search', `id contains "${state.search}"`, { search: undefined }]);
  chips.replaceChildren(...list.map(([id, text, clear]) => {
    const b = h('button', { type: 'button', class: 'chip', id: `chip-${id}`, title: `Remove the filter ${text}`, 'aria-label': `Remove filter: ${text}` }, text, h('span', { 'aria-hidden': 'true' }, ' ✕'));
    b.addEventListener('click', () => {
      save(clear);
      syncControls();
      requery();
    });
    return b;
  }));
}

function samplesView(o: ResultsOverview): Node[] {
  const classSel = classFilter('class-filter', o.classNames, state.classes, (classes) => {
    save({ classes });
    requery();
  });
  const splitSel = o.hasSplit
    ? singleSelect('split-filter', 'Filter by split', [['', 'All splits'], ['train', 'train'], ['val', 'val'], ['test', 'test']], state.split ?? '', (v) => {
        save({ split: v || undefined });
        requery();
      })
    : null;
  const search = h('vscode-textfield', { id: 'search', placeholder: 'sample_id contains…', 'aria-label': 'Search sample ids', value: state.search ?? '' }) as HTMLElement & { value: string };
  let timer: ReturnType<typeof setTimeout> | undefined;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if ((search.value || undefined) === (state.search || undefined)) return;
      save({ search: search.value || undefined });
      requery();
    }, 200);
  });
  const tops = h('div', { class: 'tops', role: 'group', 'aria-label': 'Top samples per component' },
    h('span', { class: 'muted' }, 'Top'),
    ...ATOMS.map((a) => button(a.col, `top-${a.col}`, () => showSamples({ sort: a.col, desc: true }), `Most ${a.name.toLowerCase()} first (sort by ${a.col}, descending)`, true)));
  countInfo = h('span', { id: 'count', class: 'muted', role: 'status' }, '');
  chips = h('div', { class: 'chips', id: 'filters', 'aria-label': 'Active filters' });

  const sortHeader = (c: SortColumn): HTMLElement => {
    const b = h('button', { type: 'button', class: 'sort', id: `sort-${c}`, title: `Sort by ${c}: ${COLUMN_HELP[c]}` }, c, h('span', { class: 'sort-mark', 'aria-hidden': 'true' }, ''));
    b.addEventListener('click', () => {
      const now = (state.sort ?? 's') === c;
      save({ sort: c, desc: now ? !(state.desc ?? true) : true });
      refreshHeaders();
      requery();
    });
    return b;
  };
  // every column but sample_id can be hidden (the column chooser; saved in the panel's state)
  const allColumns: [string, Column<SampleRow>][] = [
    ['row', { cls: 'c-row', header: 'row', pin: true, num: true, cell: (r) => String(r.row), cellClass: () => 'muted' }],
    ['sample_id', { cls: 'c-id', header: 'sample_id', pin: true, cell: (r) => (hoverThumb ? hoverThumb.cell(r.sample_id, r.row) : r.sample_id), cellClass: () => 'mono' }],
    ['class', { cls: 'c-class', header: 'class', cell: (r) => r.className }],
    ...(o.hasSplit ? [['split', { cls: 'c-split', header: 'split', cell: (r: SampleRow) => r.split ?? '' }] as [string, Column<SampleRow>]] : []),
    ...[...SORT_COLUMNS, ...(o.stability ? SD_COLUMNS : [])].map((c): [string, Column<SampleRow>] => [c, {
      cls: 'c-num', header: sortHeader(c), num: true, key: c, cell: (r) => formatNats(r[c]), cellClass: (r) => (formatNats(r[c]).startsWith('−') ? 'negative' : ''),
      sort: () => ((state.sort ?? 's') === c ? ((state.desc ?? true) ? 'descending' : 'ascending') : 'none'),
    }]),
  ];
  const visibleColumns = () => allColumns.filter(([k]) => k === 'sample_id' || !(state.hiddenColumns ?? []).includes(k)).map(([, c]) => c);
  const columns = visibleColumns();
  const chooser = h('div', { id: 'column-chooser', class: 'popover', role: 'group', 'aria-label': 'Columns shown', hidden: true },
    ...allColumns.filter(([k]) => k !== 'sample_id').map(([k]) => {
      const box = h('vscode-checkbox', { id: `column-${k}`, checked: (state.hiddenColumns ?? []).includes(k) ? undefined : true, title: COLUMN_HELP[k as SortColumn] ?? k }, k) as HTMLElement & { checked: boolean };
      box.addEventListener('change', () => {
        const hidden = new Set(state.hiddenColumns ?? []);
        if (box.checked) hidden.delete(k);
        else hidden.add(k);
        save({ hiddenColumns: [...hidden] });
        table?.setColumns(visibleColumns());
        refreshHeaders();
      });
      return box;
    }));
  const chooserButton = h('button', { type: 'button', id: 'columns-button', class: 'chip-toggle', 'aria-expanded': 'false', 'aria-controls': 'column-chooser', title: 'Choose the columns of the table' }, 'Columns…');
  chooserButton.addEventListener('click', () => {
    chooser.hidden = !chooser.hidden;
    chooserButton.setAttribute('aria-expanded', String(!chooser.hidden));
    if (!chooser.hidden) chooser.querySelector<HTMLElement>('vscode-checkbox')?.focus();
  });
  chooser.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      chooser.hidden = true;
      chooserButton.setAttribute('aria-expanded', 'false');
      chooserButton.focus();
    }
  });
  table = new VirtualTable<SampleRow>({
    id: 'samples',
    label: 'Samples: arrow keys move, Enter expands a sample',
    columns,
    key: (r) => r.row,
    fetch: (offset, limit) => fetchRows(offset, limit),
    describe: (r) => `${r.sample_id}, ${r.className}: r ${formatNats(r.r)}, u1 ${formatNats(r.u1)}, u2 ${formatNats(r.u2)}, s ${formatNats(r.s)}`,
    onExpand: (r) => {
      save({ expanded: r?.row });
      if (!r) return (detailHost = undefined);
      detailHost = h('div', { class: 'detail-host' }, detailPlaceholder(r.sample_id));
      vscode.postMessage({ type: 'sample', row: r.row });
      return detailHost;
    },
  });
  queueMicrotask(() => {
    refreshHeaders();
    renderChips();
  });
  return [
    h('h2', { id: 'samples-h', class: 'visually-hidden' }, 'Samples'),
    h('div', { class: 'controls' },
      classSel, splitSel, search, tops, h('span', { class: 'spacer' }), countInfo),
    // the table's actions above it, always in reach (the table fills the rest of the panel)
    h('div', { class: 'toolbar', id: 'samples-toolbar', role: 'toolbar', 'aria-label': 'Samples table actions' },
      chooserButton,
      button('Export CSV', 'export-csv', () => exportView({ kind: 'view', format: 'csv' }), 'Export the samples as listed (filters and sort) as CSV', true),
      button('Export Arrow', 'export-arrow', () => exportView({ kind: 'view', format: 'arrow' }), 'Export the samples as listed as an Arrow file', true),
      button('Export partition…', 'export-partition', () => exportView({ kind: 'partition' }), 'Split the listed samples at quantiles of a component (e.g. high- and low-redundancy subsets) into sample_id lists', true),
      button('Export weights…', 'export-weights', () => exportView({ kind: 'weights' }), 'Per-sample interaction weights (r, u1, u2, s and their shares) for training code', true),
      button('Save slice…', 'save-slice', () => vscode.postMessage({ type: 'saveSlice', query: query() }), 'Save these filters and this sort by name (reopen it from the LSMI Runs view; load it in Python with lsmi_export.load_slice)', true)),
    chooser,
    chips,
    table.el,
    h('p', { class: 'muted small' }, 'Values in nats; r, u1, u2, s adjusted. Click a column header to sort; click a row (or Enter) to inspect the sample and open its files.'),
  ];
}

function exportView(request: ExportRequest): void {
  vscode.postMessage({ type: 'export', request, query: query() });
}

function detailView(d: SampleDetail): HTMLElement {
  const o = overview!;
  return sampleView(d, {
    modalityNames: o.modalityNames,
    histograms: o.histograms,
    open: (row, which) => vscode.postMessage({ type: 'openSampleFile', row, which }),
    reveal: (row, which) => vscode.postMessage({ type: 'revealSampleFile', row, which }),
  });
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

// ---------------------------------------------------------------------------------------------- gallery

function galleryTab(o: ResultsOverview): Node[] {
  const g = galleryView(o, {
    initial: state.gallery ?? {},
    request: (request) => vscode.postMessage({ type: 'gallery', request }),
    save: (request) => save({ gallery: request }),
    show: (row) => focusSample(row, true),
  });
  galleryRender = g.render;
  galleryRefresh = g.refresh;
  if ((state.tab ?? 'overview') === 'gallery') queueMicrotask(g.refresh);
  return g.nodes;
}

// ---------------------------------------------------------------------------------------------- categories

const RANK_HELP: Record<RankBy, string> = { r: 'redundancy', u1: 'uniqueness of modality 1', u2: 'uniqueness of modality 2', s: 'synergy' };
const KEY_OF: Record<RankBy, keyof AtomValues> = { r: 'R', u1: 'U1', u2: 'U2', s: 'S' };

function rankRequest(): { by: 'mean' | 'lower'; minN: number; normalised: boolean } {
  return { by: state.rankMode ?? 'mean', minN: state.minN ?? DEFAULT_MIN_N, normalised: state.normalised ?? false };
}

function requestRanking(): void {
  vscode.postMessage({ type: 'rankClasses', request: rankRequest() });
}

const NORMALISED_HELP =
  "Normalised: each value divided by the label's surprisal −log p(y), i.e. the share of the label's information that is redundant, unique or synergistic, so rare and frequent classes compare fairly (a rare label carries more information).";

function categoriesView(o: ResultsOverview): Node[] {
  const hasIntervals = o.perClass.some((c) => !!c.intervals);
  const hasSurprisal = o.perClass.some((c) => typeof c.surprisal === 'number');
  const level = Math.round((o.dataset.intervals?.level ?? 0.95) * 100);
  const top3 = h('div', { id: 'table3-host' });
  const body = h('div', { id: 'categories-body' });
  const hidden = h('p', { id: 'min-n-note', class: 'muted small', role: 'status' });
  const foot = h('p', { class: 'muted small', id: 'categories-foot' });
  renderCategories = () => {
    const rk = ranking;
    if (!rk) {
      body.replaceChildren(h('p', { class: 'muted' }, 'Ranking the classes…'));
      return;
    }
    top3.replaceChildren(h('div', { class: 'table-scroll' }, table3(o, rk)));
    body.replaceChildren(...rankedView(o, rk, state.rankBy ?? 's', level));
    const shown = rk.byAtom.s.length;
    hidden.textContent = rk.excluded
      ? `${rk.excluded} class${rk.excluded === 1 ? '' : 'es'} with n < ${rk.request.minN} hidden (too few samples to rank fairly); ${shown ? `${shown} shown; ` : ''}lower the minimum n to see ${rk.excluded === 1 ? 'it' : 'them'}.`
      : `Every class has n ≥ ${rk.request.minN}.`;
    foot.textContent = `Per-class means (adjusted${rk.request.normalised ? ', divided by −log p(y): shares of the label\'s information' : ', in nats'}) with ${hasIntervals ? `their ${level} % t intervals` : 'no intervals (results estimated before 0.3: estimate again for intervals)'}. Click a class to list its samples.`;
  };
  const rankButtons = ATOMS.map((a) => {
    const b = h('button', { type: 'button', class: 'chip-toggle', id: `rank-${a.col}`, 'aria-pressed': String((state.rankBy ?? 's') === a.col), title: `Rank classes by ${a.name.toLowerCase()}` }, a.key);
    b.addEventListener('click', () => {
      save({ rankBy: a.col });
      for (const x of ATOMS) document.getElementById(`rank-${x.col}`)?.setAttribute('aria-pressed', String(x.col === a.col));
      renderCategories?.();
    });
    return b;
  });
  const modeButtons = (['mean', 'lower'] as const).map((m) => {
    const label = m === 'mean' ? 'mean' : 'lower bound';
    const title = m === 'mean'
      ? 'Rank by the class mean'
      : hasIntervals
        ? `Rank by the lower end of the class's ${level} % interval (conservative): a small class with a wide interval ranks below a large one with the same mean`
        : 'These results carry no class intervals (estimated before 0.3): estimate again to rank by the lower bound';
    const b = h('button', { type: 'button', class: 'chip-toggle', id: `rank-mode-${m}`, 'aria-pressed': String((state.rankMode ?? 'mean') === m), title, disabled: m === 'lower' && !hasIntervals ? true : undefined }, label);
    b.addEventListener('click', () => {
      save({ rankMode: m });
      for (const x of ['mean', 'lower']) document.getElementById(`rank-mode-${x}`)?.setAttribute('aria-pressed', String(x === m));
      requestRanking();
    });
    return b;
  });
  const minN = h('vscode-textfield', { id: 'min-n', type: 'number', min: '0', value: String(state.minN ?? DEFAULT_MIN_N), 'aria-label': 'Minimum class size n', title: 'Classes with fewer samples are left out of the rankings (their means are too uncertain)' }) as HTMLElement & { value: string };
  let timer: ReturnType<typeof setTimeout> | undefined;
  minN.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const v = Math.floor(Number(minN.value));
      if (minN.value.trim() === '' || !Number.isFinite(v) || v < 0) return;
      save({ minN: v });
      requestRanking();
    }, 250);
  });
  const norm = h('vscode-checkbox', { id: 'normalised', checked: state.normalised ? true : undefined, disabled: hasSurprisal ? undefined : true, title: hasSurprisal ? NORMALISED_HELP : 'These results carry no label surprisal (estimated before 0.3): estimate again to use the normalised view.' }, 'Normalised by −log p(y)') as HTMLElement & { checked: boolean };
  norm.addEventListener('change', () => {
    save({ normalised: norm.checked });
    requestRanking();
  });
  requestRanking();
  renderCategories();
  return [
    h('div', { class: 'controls', role: 'group', 'aria-label': 'Ranking' },
      h('span', { class: 'muted' }, 'Rank by'), ...rankButtons,
      h('span', { class: 'muted' }, 'using the'), ...modeButtons),
    h('div', { class: 'controls', role: 'group', 'aria-label': 'Classes shown' },
      h('label', { for: 'min-n', class: 'muted' }, 'Minimum n'), minN,
      norm),
    h('p', { class: 'muted small explain', id: 'normalised-help' }, NORMALISED_HELP),
    hidden,
    h('h2', { id: 'table3-h' }, 'Which classes rely on which interaction'),
    top3,
    h('h2', { id: 'categories-h' }, 'Classes ranked'),
    body,
    legend(o.modalityNames),
    foot,
  ];
}

/** The paper's Table 3: per component, the top classes (as ranked) and the lowest. */
function table3(o: ResultsOverview, rk: ClassRanking): HTMLElement {
  const top = 3;
  const unit = rk.request.normalised ? 'share of −log p(y)' : 'nats';
  const classValue = rk.request.normalised ? formatFraction : formatNats;
  return h('table', { id: 'table3', class: 'table3' },
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'component'), h('th', { scope: 'col' }, `top ${top} classes (${rk.request.by === 'lower' ? 'lower bound' : 'mean'}, ${unit}; n)`), h('th', { scope: 'col' }, 'lowest'))),
    h('tbody', null, ...ATOMS.map((a) => {
      const ranked = rk.byAtom[a.col];
      const link = (c: ClassRankRow) => {
        const v = rk.request.by === 'lower' ? c.interval?.lo : c.value;
        const b = h('button', { type: 'button', class: 'link', title: `Show the samples of ${c.name}, most ${a.name.toLowerCase()} first; mean ${classValue(c.value)} ${formatInterval(c.interval, classValue)}, n ${formatCount(c.n)}` }, `${c.name} (${classValue(v)}; n ${formatCount(c.n)})`);
        b.addEventListener('click', () => showSamples({ classes: [c.index], sort: a.col, desc: true, range: undefined }));
        return b;
      };
      // each class unbroken, the list wraps between them (a narrow panel)
      const join = (cs: ClassRankRow[]) => cs.flatMap((c, k) => [h('span', { class: 'nowrap' }, link(c)), k < cs.length - 1 ? ', ' : '']);
      return h('tr', { id: `table3-${a.col}` },
        h('th', { scope: 'row' }, h('span', { class: `swatch seg-${a.col}` }), `${a.key} ${atomLabel(o.modalityNames, a.key).toLowerCase()}`),
        h('td', null, ...(ranked.length ? join(ranked.slice(0, top)) : ['—'])),
        h('td', { class: 'muted' }, ...(ranked.length > top ? join(ranked.slice(-1)) : ['—'])));
    })));
}

/** Every class (n ≥ the minimum) ranked by one component: n, every atom (as ranked: normalised or not), the ranked atom's interval and composition. */
function rankedView(o: ResultsOverview, rk: ClassRanking, by: RankBy, level: number): Node[] {
  const key = KEY_OF[by];
  const norm = rk.request.normalised;
  const byIndex = new Map(o.perClass.map((c) => [c.index, c]));
  const ranked = rk.byAtom[by].map((r) => ({ r, c: byIndex.get(r.index)! })).filter((x) => x.c);
  if (!ranked.length) return [h('p', { class: 'muted', id: 'categories-empty' }, `No class has n ≥ ${rk.request.minN}: lower the minimum n.`)];
  const share = (a: AtomValues) => {
    const pos = ATOMS.reduce((s, x) => s + Math.max(0, a[x.key]), 0);
    return pos > 0 ? Math.max(0, a[key]) / pos : 0;
  };
  const unit = norm ? 'share of −log p(y)' : 'nats';
  return [
    h('div', { class: 'table-scroll sticky-head' },
      h('table', { id: 'categories', class: 'bars', 'aria-label': `Classes ranked by ${RANK_HELP[by]}${rk.request.by === 'lower' ? ' (lower bound of the interval)' : ''}${norm ? ', normalised by −log p(y)' : ''}` },
        h('thead', null, h('tr', null,
          h('th', { scope: 'col', class: 'num' }, 'rank'),
          h('th', { scope: 'col' }, 'class'),
          h('th', { scope: 'col', class: 'num' }, 'n'),
          ...ATOMS.map((a) => h('th', { scope: 'col', class: `num${a.col === by ? ' ranked' : ''}`, title: `${a.name} (${unit})` }, a.key)),
          h('th', { scope: 'col', class: 'num', title: `The ${level} % t interval of the class mean of ${key}${rk.request.by === 'lower' ? '; ranked by its lower end' : ''}` }, `${key} ${level} % interval`),
          h('th', { scope: 'col', class: 'num' }, `${key} share`),
          h('th', { scope: 'col' }, 'composition'))),
        h('tbody', null, ...ranked.map(({ r, c }, k) => {
          const show = h('button', { type: 'button', class: 'link', title: `Show the samples of ${c.name}, most ${RANK_HELP[by]} first` }, c.name);
          show.addEventListener('click', () => showSamples({ classes: [c.index], sort: by, desc: true, range: undefined }));
          return h('tr', { 'data-class': c.index },
            h('td', { class: 'num muted' }, String(k + 1)),
            h('td', null, show),
            h('td', { class: 'num' }, formatCount(r.n)),
            ...ATOMS.map((a) => {
              const v = r.values[a.key];
              const iv = r.intervals[a.key];
              const shown = norm ? formatFraction(v) : formatNats(v);
              return h('td', { class: `num${shown.startsWith('−') ? ' negative' : ''}${a.col === by ? ' ranked' : ''}`, title: `${a.key} of ${c.name}: ${shown}${norm ? ' (share of −log p(y))' : ' nats'}${iv ? `, ${level} % interval ${formatInterval(iv, norm ? formatFraction : formatNats)}` : ''}; adjusted ${formatNats(c.adjusted[a.key])} nats, raw ${formatNats(c.raw[a.key])}` }, shown);
            }),
            h('td', { class: 'num interval' }, r.interval ? formatInterval(r.interval, norm ? formatFraction : formatNats) : '—'),
            h('td', { class: 'num' }, formatPercent(share(c.adjusted))),
            h('td', { class: 'bar-cell' }, compositionBar(c.adjusted, undefined, `${c.name} composition`)));
        })))),
  ];
}

announceReady(vscode);
