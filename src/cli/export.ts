/** `lsmi export`: a filtered samples table (CSV / Arrow), quantile partitions, interaction weights. */
import { COMPARE_COMPONENTS, type CompareComponent, type Comparison, type SampleFilter, filterSamples, loadComparison, readResultsForCompare, resolveRun, type ExportFormat, type ViewQuery, comparisonView, parseQuantiles, partitionByQuantiles, resultsView, weightsView, writePartition, writeView, type ResultsData, SPLITS, type Split, formatCount, formatNats } from '../engine';
import { UsageError, parseArgs } from './args';
import { type Output, checkRunCount, nonNegativeInt } from './compare';

export const EXPORT_USAGE = `  lsmi export <results>... --out FILE [--format csv|arrow] [--class C,...] [--split S] [--search TEXT]
                           [--sort COLUMN] [--order desc|asc|abs] [--top K] [--baseline NAME] [--run NAME] [--csv-raw] [--json]
  lsmi export <results>... --partition r|u1|u2|s --quantiles Q,... --out DIR [--run NAME] [--delta] [filters]
  lsmi export <results> --weights --out FILE [--format csv|arrow] [filters]`;
export const EXPORT_HELP = `  export     write the samples of one results file (or the joined samples of 2 to 8 compared runs) as CSV or
             Arrow, filtered and sorted; --partition: sample_id lists split at a component's quantiles, with
             a JSON manifest; --weights: per-sample interaction weights (r, u1, u2, s and their shares)`;

export async function exportCommand(argv: string[], out: Output): Promise<number> {
  const args = parseArgs(argv, {
    boolean: ['json', 'weights', 'delta', 'csv-raw'],
    value: ['out', 'format', 'class', 'split', 'search', 'sort', 'order', 'top', 'baseline', 'run', 'partition', 'quantiles'],
  });
  const f = args.flags;
  const files = args.positional;
  if (files.length === 0) throw new UsageError('export needs at least one results file');
  if (files.length > 1) checkRunCount(files, 'export');
  const str = (name: string): string | undefined => {
    const v = f.get(name);
    if (v === true) throw new UsageError(`--${name} needs a value`);
    return v;
  };
  const outPath = str('out');
  if (!outPath) throw new UsageError('export needs --out (a file; a folder with --partition)');
  const format = str('format');
  if (format !== undefined && format !== 'csv' && format !== 'arrow') throw new UsageError(`--format must be csv or arrow, got '${format}'`);
  const order = str('order');
  if (order !== undefined && !['asc', 'desc', 'abs'].includes(order)) throw new UsageError(`--order must be desc, asc or abs, got '${order}'`);
  const split = str('split');
  if (split !== undefined && !(SPLITS as readonly string[]).includes(split)) throw new UsageError(`--split must be one of ${SPLITS.join(', ')}, got '${split}'`);
  const partition = str('partition');
  if (partition !== undefined && !(COMPARE_COMPONENTS as readonly string[]).includes(partition)) {
    throw new UsageError(`--partition must be one of ${COMPARE_COMPONENTS.join(', ')}, got '${partition}'`);
  }
  const quantilesText = str('quantiles');
  if (partition !== undefined && quantilesText === undefined) throw new UsageError('--partition needs --quantiles, e.g. --quantiles 0.25,0.75');
  if (partition === undefined && quantilesText !== undefined) throw new UsageError('--quantiles goes with --partition');
  if (partition !== undefined && f.has('weights')) throw new UsageError('use either --partition or --weights');
  if (f.has('delta') && (partition === undefined || files.length < 2)) throw new UsageError('--delta partitions by Δ = run − baseline: it needs --partition and at least two results files');
  if (f.has('weights') && files.length > 1) throw new UsageError('--weights takes exactly one results file');
  if (partition !== undefined && (format !== undefined || str('sort') !== undefined || str('top') !== undefined)) {
    throw new UsageError('--format, --sort and --top do not apply to --partition');
  }
  let quantiles: number[] | undefined;
  try {
    quantiles = quantilesText !== undefined ? parseQuantiles(quantilesText) : undefined;
  } catch (e) {
    throw new UsageError(`--quantiles: ${(e as Error).message}`);
  }
  const json = f.has('json');
  const top = nonNegativeInt(f.get('top'), 'top');

  // the samples: one results file, or a comparison
  let data: ResultsData | undefined;
  let cmp: Comparison | undefined;
  if (files.length === 1) data = await readResultsForCompare(files[0]);
  else cmp = await loadComparison(files, { baseline: str('baseline') });
  const classNames = cmp ? cmp.classNames : data!.meta.run.classNames.length ? data!.meta.run.classNames : Array.from({ length: data!.meta.run.nClasses }, (_, c) => String(c));
  const filter: SampleFilter = { classes: parseClasses(str('class'), classNames), split: split as Split | undefined, search: str('search') };
  const runFlag = str('run');
  if (runFlag !== undefined && !cmp) throw new UsageError('--run picks one of several compared results files');
  const run = cmp && runFlag !== undefined ? resolveRun(cmp, runFlag) : undefined;

  if (partition !== undefined) {
    const comp = partition as CompareComponent;
    let ids: string[];
    let values: ArrayLike<number>;
    let value: string;
    let rows: Int32Array;
    if (cmp) {
      const k = run ?? (f.has('delta') ? (cmp.baseline === 0 ? 1 : 0) : cmp.baseline);
      if (f.has('delta') && k === cmp.baseline) throw new UsageError('--delta needs --run other than the baseline');
      ids = cmp.sampleIds;
      values = f.has('delta') ? cmp.delta[k][comp] : cmp.values[k][comp];
      value = `${f.has('delta') ? 'delta_' : ''}${comp}.${cmp.runs[k].label}`;
      rows = filterSamples(cmp, filter);
    } else {
      ids = data!.sampleIds;
      values = data!.columns[comp];
      value = comp;
      rows = filterSamples(data!, filter);
    }
    const part = partitionByQuantiles(ids, values, quantiles!, value, rows);
    const written = await writePartition(outPath, part, { prefix: comp, source: { files, filter: { class: str('class'), split, search: str('search') } } });
    if (json) out.write(JSON.stringify({ ...written, value: part.value, quantiles: part.quantiles, thresholds: part.thresholds, total: part.total, excluded: part.excluded }, null, 2) + '\n');
    else {
      out.write(`partition of ${part.value} at quantiles ${part.quantiles.join(', ')} (thresholds ${part.thresholds.map(formatNats).join(', ')}), ${formatCount(part.total)} samples${part.excluded ? `, ${formatCount(part.excluded)} without a value left out` : ''}\n`);
      for (const g of written.files) out.write(`  ${g.name.padEnd(10)} ${String(g.count).padStart(7)}  ${g.file}\n`);
      out.write(`manifest: ${written.manifest}\n`);
    }
    return 0;
  }

  const query: ViewQuery & { run?: number } = { ...filter, sort: str('sort'), order: order as ViewQuery['order'], top, run };
  const view = f.has('weights') ? weightsView(data!, query, files[0]) : cmp ? comparisonView(cmp, query) : resultsView(data!, query, files[0]);
  const written = await writeView(outPath, view, format as ExportFormat | undefined, undefined, { csvRaw: f.has('csv-raw') });
  if (json) out.write(JSON.stringify(written, null, 2) + '\n');
  else out.write(`wrote ${written.file}: ${formatCount(written.rows)} rows, ${written.columns.length} columns (${written.format})\n`);
  return 0;
}

/** "Shirt,3" → class indices; names are matched exactly, then case-insensitively. */
export function parseClasses(text: string | undefined, classNames: string[]): number[] | undefined {
  if (text === undefined) return undefined;
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      let k = classNames.indexOf(s);
      if (k < 0) k = classNames.findIndex((c) => c.toLowerCase() === s.toLowerCase());
      if (k < 0 && /^\d+$/.test(s) && Number(s) < classNames.length) k = Number(s);
      if (k < 0) throw new UsageError(`--class: no class '${s}'; classes: ${classNames.join(', ')}`);
      return k;
    });
}
