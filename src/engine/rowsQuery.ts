/**
 * The rows of one results file that a samples-table query selects, in its order: sorted by a
 * component, filtered by class, split, a value range and an id substring. Sorted orders and the
 * last filtered selection are cached, so paging through 1e6 rows does not re-sort or re-filter.
 * The filters are the one row selection of src/engine/select.ts. Pure (the host pages the results
 * panel with it; saved slices re-apply their query with it).
 */
import type { ResultsData } from './io/results';
import { orderBy } from './order';
import { selectRows } from './select';
import { isSplit } from './io/run';
import { type RowsRequest, SORT_COLUMNS, type SortColumn } from '../protocol/messages';

export type RowsQueryInput = Omit<RowsRequest, 'offset' | 'limit' | 'focusRow'>;

export class RowsQuery {
  private readonly orders = new Map<string, Uint32Array>();
  private last?: { key: string; rows: ArrayLike<number> };

  constructor(readonly data: ResultsData) {}

  /** The request's sort column and direction, validated (the webview is not trusted). */
  static sortOf(req: RowsQueryInput, data?: ResultsData): { sort: SortColumn; desc: boolean } {
    const known = (SORT_COLUMNS as readonly string[]).includes(req.sort) && (!req.sort.endsWith('_sd') || !data || !!data.stability);
    return { sort: known ? req.sort : 's', desc: req.desc !== false };
  }

  /** The class indices a request keeps (validated: integers in range), or undefined for every class. */
  static classesOf(classes: unknown, nClasses: number): Set<number> | undefined {
    if (!Array.isArray(classes)) return undefined;
    const keep = new Set(classes.filter((k): k is number => Number.isInteger(k) && k >= 0 && k < nClasses));
    return keep.size > 0 ? keep : undefined;
  }

  /** A sortable column's values: a results column, or a stability column (r_sd ... s_sd). */
  column(c: SortColumn): Float64Array {
    if (c === 'r_sd' || c === 'u1_sd' || c === 'u2_sd' || c === 's_sd') {
      const st = this.data.stability;
      if (!st) throw new Error(`${c}: these results carry no per-sample stability`);
      return st[c];
    }
    return this.data.columns[c];
  }

  order(sort: SortColumn, desc: boolean): Uint32Array {
    const key = `${sort}:${desc}`;
    let o = this.orders.get(key);
    if (!o) {
      o = orderBy(this.column(sort), desc);
      this.orders.set(key, o);
    }
    return o;
  }

  /** Results rows selected by the query, in display order (the selection: src/engine/select.ts). */
  rows(req: RowsQueryInput): ArrayLike<number> {
    const data = this.data;
    const { sort, desc } = RowsQuery.sortOf(req, data);
    const cls = RowsQuery.classesOf(req.classes, data.meta.run.classNames.length);
    const needle = typeof req.search === 'string' ? req.search.trim().toLowerCase() : '';
    // a split filter on results without a split column lists every row
    const split = data.split && isSplit(req.split) ? req.split : undefined;
    const range = req.range && (SORT_COLUMNS as readonly string[]).includes(req.range.col) && (!req.range.col.endsWith('_sd') || data.stability) ? req.range : undefined;
    const key = JSON.stringify([sort, desc, cls ? [...cls] : null, needle, split, range?.col, range?.lo, range?.hi]);
    if (this.last?.key === key) return this.last.rows;
    const order = this.order(sort, desc);
    const rows =
      cls !== undefined || needle || split !== undefined || range
        ? selectRows(data, { classes: cls && [...cls], split, search: needle, ranges: range ? [{ values: this.column(range.col), lo: range.lo, hi: range.hi }] : undefined }, order)
        : order;
    this.last = { key, rows };
    return rows;
  }
}
