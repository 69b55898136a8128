/** `lsmi slice`: save a samples query of one results file as a named slice, or re-apply a saved one. */
import { readResultsForCompare, SPLITS, describeSliceQuery, openSlice, writeSlice } from '../engine';
import { type RangeFilter, SORT_COLUMNS, type SortColumn } from '../protocol/messages';
import { UsageError, parseArgs } from './args';
import type { Output } from './compare';
import { parseClasses } from './export';

export const SLICE_USAGE = `  lsmi slice <results> --name NAME [--class C,...] [--split S] [--search TEXT] [--range COL:LO:HI]
                           [--sort COLUMN] [--order desc|asc] [--force] [--json]
  lsmi slice <name.slice.json> [--json]`;
export const SLICE_HELP = `  slice      save the samples a query selects (classes, split, id search, a value range, the sort) as a named
             slice in lsmi-exports/slices/ beside the results (<name>.slice.json and .slice.arrow; Python:
             lsmi_export.load_slice); given a .slice.json, re-apply it to the current results and say what changed`;

export async function sliceCommand(argv: string[], out: Output): Promise<number> {
  const args = parseArgs(argv, { boolean: ['json', 'force'], value: ['name', 'class', 'split', 'search', 'range', 'sort', 'order'] });
  const f = args.flags;
  if (args.positional.length !== 1) throw new UsageError('slice takes exactly one results file (or one .slice.json)');
  const file = args.positional[0];
  const json = f.has('json');
  const str = (name: string): string | undefined => {
    const v = f.get(name);
    if (v === true) throw new UsageError(`--${name} needs a value`);
    return v;
  };

  if (file.endsWith('.slice.json')) {
    for (const k of ['name', 'class', 'split', 'search', 'range', 'sort', 'order', 'force']) if (f.has(k)) throw new UsageError(`--${k} does not apply to a saved slice`);
    const o = await openSlice(file, readResultsForCompare);
    const names = o.data.meta.run.classNames;
    if (json) out.write(JSON.stringify({ file: o.file, name: o.slice.name, results: o.resultsFile, query: o.slice.query, saved: o.slice.n, n: o.rows.length, changes: o.changes }, null, 2) + '\n');
    else {
      out.write(`slice '${o.slice.name}' of ${o.resultsFile}: ${o.rows.length} samples (${describeSliceQuery(o.slice.query, (k) => names[k] ?? String(k))})\n`);
      out.write(o.changes.length ? o.changes.map((c) => `  changed: ${c}\n`).join('') : '  the same results and selection as when it was saved\n');
    }
    return 0;
  }

  const name = str('name');
  if (name === undefined) throw new UsageError('slice needs --name');
  const split = str('split');
  if (split !== undefined && !(SPLITS as readonly string[]).includes(split)) throw new UsageError(`--split must be one of ${SPLITS.join(', ')}, got '${split}'`);
  const sort = str('sort') ?? 's';
  if (!(SORT_COLUMNS as readonly string[]).includes(sort)) throw new UsageError(`--sort must be one of ${SORT_COLUMNS.join(', ')}, got '${sort}'`);
  const order = str('order') ?? 'desc';
  if (order !== 'desc' && order !== 'asc') throw new UsageError(`--order must be desc or asc, got '${order}'`);
  const data = await readResultsForCompare(file);
  const classNames = data.meta.run.classNames.length ? data.meta.run.classNames : Array.from({ length: data.meta.run.nClasses }, (_, c) => String(c));
  const w = await writeSlice(
    file,
    data,
    name,
    { sort: sort as SortColumn, desc: order === 'desc', classes: parseClasses(str('class'), classNames), split, search: str('search'), range: parseRange(str('range')) },
    { overwrite: f.has('force') },
  );
  if (json) out.write(JSON.stringify({ definition: w.definition, table: w.table, n: w.slice.n, query: w.slice.query }, null, 2) + '\n');
  else out.write(`saved slice '${w.slice.name}': ${w.slice.n} samples (${describeSliceQuery(w.slice.query, (k) => classNames[k] ?? String(k))})\n  ${w.definition}\n  ${w.table}\n`);
  return 0;
}

/** `s:0:` → s ≥ 0; `u1:-1:1` → −1 ≤ u1 < 1; `r::0.5` → r < 0.5. */
function parseRange(text: string | undefined): RangeFilter | undefined {
  if (text === undefined) return undefined;
  const m = /^([a-z0-9_]+):([^:]*):([^:]*)$/.exec(text);
  const num = (s: string) => (s.trim() === '' ? null : Number(s));
  const lo = m ? num(m[2]) : NaN;
  const hi = m ? num(m[3]) : NaN;
  if (!m || !(SORT_COLUMNS as readonly string[]).includes(m[1]) || (lo !== null && !Number.isFinite(lo)) || (hi !== null && !Number.isFinite(hi)) || (lo === null && hi === null)) {
    throw new UsageError(`--range must be COLUMN:LO:HI (lo ≤ value < hi, one end may be empty) with a column of ${SORT_COLUMNS.join(', ')}, got '${text}'`);
  }
  return { col: m[1] as SortColumn, lo, hi };
}
