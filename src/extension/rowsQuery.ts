/** The samples-table query lives in the engine (saved slices re-apply it there); re-exported for the host. */
export { type RowsQueryInput, RowsQuery } from '../engine';
