/**
 * A virtualized, host-paged table: only the rows in view exist in the DOM and only the pages near
 * them are held (the host keeps the data and sends pages on request), so it stays smooth at 1e6
 * rows. One row may be expanded into a detail block below it. Keyboard: ↑ ↓ PgUp PgDn Home End move,
 * Enter or Space expands; the grid is labelled for screen readers (aria-rowcount, -rowindex,
 * -activedescendant).
 */
import { h } from './vscode';

export interface Column<R> {
  /** Width class for the <col> (see media/panel.css: c-num, c-id, ...). */
  cls: string;
  header: Node | string;
  num?: boolean;
  cell(r: R): Node | string;
  /** Extra class on the cell (e.g. negative values). */
  cellClass?(r: R): string;
  /** data-col of the header cell (sortable columns). */
  key?: string;
  sort?: () => 'ascending' | 'descending' | 'none';
  /**
   * Stays in view when the table scrolls sideways (leading columns: row, sample_id). Every table keeps
   * a minimum width (the sum of its columns' minimum widths) and scrolls sideways in its box when the
   * panel is narrower, so no column is ever squeezed to nothing.
   */
  pin?: boolean;
}

export interface VirtualTableOptions<R> {
  id: string;
  label: string;
  columns: Column<R>[];
  /** Stable id of a row (the results row). */
  key(r: R): number;
  /** Ask for rows [offset, offset + limit); answer with setPage. */
  fetch(offset: number, limit: number): void;
  /** A row was expanded (r) or collapsed (undefined); the returned node is shown below it. */
  onExpand(r: R | undefined, index: number): HTMLElement | undefined;
  /** Text of a row for screen readers (aria-label). */
  describe(r: R): string;
}

export const PAGE = 100;
/**
 * Minimum widths (em) of the column classes (media/panel.css sets the same widths on the <col>s);
 * c-id, sized by the space left, never narrower than a 17-character mono id (fmnist-test-00312) uncut.
 */
const MIN_EM: Record<string, number> = { 'c-row': 5.5, 'c-id': 13, 'c-class': 9, 'c-split': 5, 'c-num': 6, 'c-run': 11.5, 'c-moved': 4.2, 'c-noise': 6.4, 'c-delta': 6.4 };
const MAX_PAGES = 40;
const MAX_SPACE = 8_000_000; // px: browsers cap element heights (Chromium ~33M)

export class VirtualTable<R> {
  readonly el: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly space: HTMLElement;
  private readonly body: HTMLElement;
  private readonly bodyTable: HTMLTableElement;
  private readonly tbody: HTMLTableSectionElement;
  private readonly headTable: HTMLTableElement;
  private readonly pages = new Map<number, R[]>();
  private readonly pending = new Set<number>();
  private total = -1;
  private rowH = 26;
  private detailH = 340;
  private cursor = 0;
  /** The first row index in view (set by render). */
  private firstVisible = 0;
  private expandedIndex = -1;
  private expandedKey?: number;
  private detailNode?: HTMLElement;
  private frame = 0;
  private generation = 0;
  /** The row whose detail the user just opened: kept in view while the detail's height settles. */
  private detailInView = -1;

  private columns: Column<R>[];
  private readonly win: HTMLElement;

  constructor(private readonly o: VirtualTableOptions<R>) {
    this.columns = o.columns;
    this.headTable = h('table', { class: 'vtable', role: 'presentation' });
    this.tbody = h('tbody', { role: 'rowgroup' });
    this.bodyTable = h('table', { class: 'vtable', role: 'presentation' });
    this.body = h('div', { class: 'vbody' }, this.bodyTable);
    const win = (this.win = h('div', { class: 'vwin' }, this.headTable, this.body));
    this.buildColumns();
    this.space = h('div', { class: 'vspace' });
    this.scroller = h('div', {
      class: 'vscroll', id: o.id, role: 'grid', tabindex: 0, 'aria-label': o.label, 'aria-rowcount': 1, 'aria-multiselectable': 'false',
    }, win, this.space);
    this.el = this.scroller;
    this.scroller.addEventListener('scroll', () => this.schedule());
    // the user scrolls: stop keeping a just-opened detail in view
    this.scroller.addEventListener('wheel', () => (this.detailInView = -1), { passive: true });
    this.scroller.addEventListener('keydown', (e) => this.onKey(e));
    new ResizeObserver(() => this.schedule()).observe(this.scroller);
  }

  /** Shows other columns (the column chooser); rows, scroll position and the expanded sample stay. */
  setColumns(columns: Column<R>[]): void {
    this.columns = columns;
    this.buildColumns();
    this.schedule();
  }

  private buildColumns(): void {
    const cols = this.columns;
    const colgroup = () => h('colgroup', null, ...cols.map((c) => h('col', { class: c.cls })));
    this.headTable.replaceChildren(colgroup(),
      h('thead', { role: 'rowgroup' }, h('tr', { role: 'row', 'aria-rowindex': 1 }, ...cols.map((c) =>
        h('th', { scope: 'col', role: 'columnheader', class: [c.num ? 'num' : '', c.pin ? 'pin' : ''].filter(Boolean).join(' ') || undefined, 'data-col': c.key, 'aria-sort': c.sort?.() }, c.header)))));
    this.bodyTable.replaceChildren(colgroup(), this.tbody);
    const minEm = cols.reduce((sum, c) => sum + (MIN_EM[c.cls] ?? 6), 0);
    for (const el of [this.win, this.headTable, this.bodyTable]) el.style.minWidth = `${minEm}em`;
  }

  /** Forget all rows (the query changed) and start at the top, or at `index`. */
  reset(scrollTo = 0): void {
    this.generation++;
    this.pages.clear();
    this.pending.clear();
    this.total = -1;
    this.cursor = scrollTo;
    this.collapse(false);
    this.scroller.scrollTop = 0;
    this.fetchAround(scrollTo);
    this.schedule();
    if (scrollTo > 0) requestAnimationFrame(() => this.ensureVisible(scrollTo, true));
  }

  /** Rows from the host. Pages of an older query are ignored by the caller. */
  setPage(offset: number, rows: R[], total: number): void {
    this.pending.delete(offset);
    this.pages.set(offset, rows);
    if (total !== this.total) {
      this.total = total;
      this.scroller.setAttribute('aria-rowcount', String(total + 1));
    }
    if (this.pages.size > MAX_PAGES) {
      // drop the pages farthest from what is in view (not from the cursor: wheel scrolling does
      // not move it), never the pages in view
      const here = this.firstVisible;
      const far = [...this.pages.keys()].sort((a, b) => Math.abs(b - here) - Math.abs(a - here));
      const keepFrom = here - (here % PAGE) - PAGE;
      const keepTo = here + 2 * PAGE;
      let excess = this.pages.size - MAX_PAGES;
      for (const p of far) {
        if (excess <= 0) break;
        if (p === offset || (p >= keepFrom && p <= keepTo)) continue;
        this.pages.delete(p);
        excess--;
      }
    }
    this.schedule();
  }

  get count(): number {
    return this.total;
  }

  rowAt(index: number): R | undefined {
    const page = this.pages.get(index - (index % PAGE));
    return page?.[index % PAGE];
  }

  /** Moves the cursor to `index`, scrolls it into view, and expands it when `expand`. */
  focusIndex(index: number, expand: boolean): void {
    this.cursor = index;
    this.fetchAround(index);
    if (expand) {
      const r = this.rowAt(index);
      if (r) this.expand(index, r);
    }
    this.ensureVisible(index, true);
    this.schedule();
  }

  get expandedRowKey(): number | undefined {
    return this.expandedKey;
  }

  /** Re-renders the expanded detail (its content arrived). */
  refresh(): void {
    this.schedule();
  }

  private fetchAround(index: number): void {
    const p = Math.max(0, index - (index % PAGE));
    if (!this.pages.has(p) && !this.pending.has(p)) {
      this.pending.add(p);
      this.o.fetch(p, PAGE);
    }
  }

  private schedule(): void {
    if (!this.frame) this.frame = requestAnimationFrame(() => ((this.frame = 0), this.render()));
  }

  private geometry() {
    const V = this.scroller.clientHeight;
    const headH = this.headTable.offsetHeight;
    const Vb = Math.max(this.rowH, V - headH);
    const T = Math.max(0, this.total);
    const exp = this.expandedIndex;
    const C = T * this.rowH + (exp >= 0 ? this.detailH : 0);
    const spaceH = C <= Vb ? V : Math.min(C - Vb + V, MAX_SPACE);
    const scrollRange = Math.max(0, spaceH - V);
    const contentRange = Math.max(0, C - Vb);
    return { V, Vb, T, exp, C, spaceH, scrollRange, contentRange };
  }

  /**
   * Sizes the scroll space for the rows known now, not at the next frame: scrolling to rows that just
   * arrived (a reveal into a new or rebuilt panel) would otherwise happen inside the old, empty space,
   * and the browser would clamp the position to the top.
   */
  private sizeSpace(g: ReturnType<VirtualTable<R>['geometry']>): void {
    this.space.style.height = `${Math.max(0, g.spaceH - g.V)}px`;
  }

  private rowTop(i: number): number {
    return i * this.rowH + (this.expandedIndex >= 0 && i > this.expandedIndex ? this.detailH : 0);
  }

  private indexAt(y: number): number {
    const e = this.expandedIndex;
    if (e >= 0 && y >= (e + 1) * this.rowH) return y < (e + 1) * this.rowH + this.detailH ? e : Math.floor((y - this.detailH) / this.rowH);
    return Math.floor(y / this.rowH);
  }

  private render(): void {
    const g = this.geometry();
    this.sizeSpace(g);
    const y = g.scrollRange > 0 ? (this.scroller.scrollTop * g.contentRange) / g.scrollRange : 0;
    const first = Math.max(0, Math.min(this.indexAt(y), Math.max(0, g.T - 1)));
    this.firstVisible = first;
    const shift = Math.max(0, y - this.rowTop(first));
    const rows: HTMLTableRowElement[] = [];
    if (this.total === 0) {
      rows.push(h('tr', { role: 'row' }, h('td', { colspan: this.columns.length, class: 'muted', role: 'gridcell' }, 'No samples match.')));
    } else if (this.total < 0) {
      rows.push(h('tr', { role: 'row' }, h('td', { colspan: this.columns.length, class: 'muted', role: 'gridcell' }, 'Loading…')));
      this.fetchAround(this.cursor);
    }
    let used = 0;
    let measured: HTMLTableRowElement | undefined;
    for (let i = first; i < g.T && used < g.Vb + shift + this.rowH; i++) {
      const r = this.rowAt(i);
      if (!r) this.fetchAround(i);
      const tr = r ? this.rowOf(r, i) : this.placeholder(i);
      if (r && !measured) measured = tr;
      rows.push(tr);
      used += this.rowH;
      if (i === this.expandedIndex && this.detailNode) {
        rows.push(h('tr', { class: 'detail-row', role: 'row' }, h('td', { colspan: this.columns.length, role: 'gridcell' }, this.detailNode)));
        used += this.detailH;
      }
    }
    // prefetch the next page so fast scrolling rarely shows placeholders
    if (g.T > 0) this.fetchAround(Math.min(g.T - 1, first + Math.ceil(g.Vb / this.rowH) + PAGE / 2));
    this.tbody.replaceChildren(...rows);
    // sideways: the pinned columns (and the expanded sample, as wide as the box) stay in view
    const left = this.scroller.scrollLeft;
    const shiftX = left > 0 ? `translateX(${left}px)` : '';
    this.scroller.classList.toggle('scrolled-x', left > 0);
    for (const cell of this.win.querySelectorAll<HTMLElement>('.pin')) cell.style.transform = shiftX;
    if (this.detailNode) {
      const narrower = this.bodyTable.offsetWidth > this.scroller.clientWidth + 1;
      this.detailNode.style.width = narrower ? `${this.scroller.clientWidth}px` : '';
      this.detailNode.style.transform = shiftX;
    }
    // the body window clips below the header; its table is shifted by the partial first row
    this.body.style.height = `${g.Vb}px`;
    this.bodyTable.style.transform = `translateY(${-shift}px)`;
    const active = this.tbody.querySelector<HTMLElement>(`#${this.o.id}-r${this.cursor}`);
    if (active) this.scroller.setAttribute('aria-activedescendant', active.id);
    else this.scroller.removeAttribute('aria-activedescendant');
    // measure the real heights once (fonts and zoom differ)
    if (measured && measured.offsetHeight > 0 && Math.abs(measured.offsetHeight - this.rowH) > 0.5) {
      this.rowH = measured.offsetHeight;
      this.schedule();
    }
    const box = this.detailNode?.parentElement?.parentElement;
    if (box && box.offsetHeight > 0 && Math.abs(box.offsetHeight - this.detailH) > 0.5) {
      this.detailH = box.offsetHeight;
      if (this.detailInView === this.expandedIndex) this.showDetail(this.expandedIndex);
      this.schedule();
    }
  }

  private rowOf(r: R, i: number): HTMLTableRowElement {
    const key = this.o.key(r);
    const expanded = key === this.expandedKey;
    if (expanded && this.expandedIndex !== i) this.expandedIndex = i;
    const tr = h('tr', {
      class: `vrow${i === this.cursor ? ' cursor' : ''}${expanded ? ' expanded' : ''}`,
      id: `${this.o.id}-r${i}`, role: 'row', 'aria-rowindex': i + 2, 'aria-selected': String(i === this.cursor),
      'aria-expanded': String(expanded), 'aria-label': this.o.describe(r), 'data-row': key,
    }, ...this.columns.map((c, k) =>
      h('td', { role: 'gridcell', class: [c.num ? 'num' : '', c.cellClass?.(r) ?? '', k === 0 ? 'first' : '', c.pin ? 'pin' : ''].filter(Boolean).join(' ') || undefined },
        k === 0 ? h('span', { class: 'twisty', 'aria-hidden': 'true' }, expanded ? '▾ ' : '▸ ') : null, c.cell(r))));
    tr.addEventListener('click', (e) => {
      if ((e.target as HTMLElement).closest('button, a, vscode-button')) return;
      this.cursor = i;
      this.toggle(i);
      this.scroller.focus({ preventScroll: true });
    });
    return tr;
  }

  private placeholder(i: number): HTMLTableRowElement {
    return h('tr', { class: 'vrow loading', id: `${this.o.id}-r${i}`, role: 'row', 'aria-rowindex': i + 2 },
      ...this.columns.map((c) => h('td', { role: 'gridcell', class: c.num ? 'num muted' : 'muted' }, '…')));
  }

  private toggle(i: number): void {
    const r = this.rowAt(i);
    if (!r) return;
    if (this.o.key(r) === this.expandedKey) this.collapse(true);
    else {
      this.expand(i, r);
      // a row near the bottom opens its detail out of view: scroll it up (again once the detail's real height is known)
      this.detailInView = i;
      this.showDetail(i);
    }
    this.schedule();
  }

  /** Scrolls so that row `i` and its detail are in view (the row at the top when both do not fit). */
  private showDetail(i: number): void {
    const g = this.geometry();
    this.sizeSpace(g);
    if (g.scrollRange <= 0) return;
    const y = (this.scroller.scrollTop * g.contentRange) / g.scrollRange;
    const rt = this.rowTop(i);
    const end = rt + this.rowH + this.detailH;
    let target = y;
    if (rt < y) target = rt;
    else if (end > y + g.Vb) target = Math.min(rt, end - g.Vb);
    if (target !== y) this.scroller.scrollTop = (Math.min(target, g.contentRange) * g.scrollRange) / Math.max(1, g.contentRange);
  }

  private expand(i: number, r: R): void {
    this.expandedIndex = i;
    this.expandedKey = this.o.key(r);
    this.detailNode = this.o.onExpand(r, i);
  }

  private collapse(notify: boolean): void {
    const had = this.expandedKey !== undefined;
    this.detailInView = -1;
    this.expandedIndex = -1;
    this.expandedKey = undefined;
    this.detailNode = undefined;
    if (notify && had) this.o.onExpand(undefined, -1);
  }

  private ensureVisible(i: number, top = false): void {
    const g = this.geometry();
    this.sizeSpace(g);
    if (g.scrollRange <= 0) return this.schedule();
    const y = (this.scroller.scrollTop * g.contentRange) / g.scrollRange;
    const rt = this.rowTop(i);
    let target = y;
    if (top || rt < y) target = rt;
    else if (rt + this.rowH > y + g.Vb) target = rt + this.rowH - g.Vb;
    this.scroller.scrollTop = (Math.min(target, g.contentRange) * g.scrollRange) / Math.max(1, g.contentRange);
    this.schedule();
  }

  private onKey(e: KeyboardEvent): void {
    if ((e.target as HTMLElement) !== this.scroller || this.total <= 0) return;
    const g = this.geometry();
    const pageRows = Math.max(1, Math.floor(g.Vb / this.rowH) - 1);
    const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: pageRows, PageUp: -pageRows, Home: -Infinity, End: Infinity };
    if (e.key in moves) {
      e.preventDefault();
      this.cursor = Math.max(0, Math.min(this.total - 1, this.cursor + moves[e.key]));
      this.fetchAround(this.cursor);
      this.ensureVisible(this.cursor);
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      this.toggle(this.cursor);
    } else if (e.key === 'Escape' && this.expandedKey !== undefined) {
      e.preventDefault();
      this.collapse(true);
      this.schedule();
    }
  }
}
