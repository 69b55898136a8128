/** `lsmi compare <results...>`: runs side by side, differences vs a baseline, class shifts, movers. */
import { COMPARE_COMPONENTS, type ComparisonSummary, MAX_COMPARE_RUNS, MIN_COMPARE_RUNS, MOVER_ORDERS, type MoverOrder, loadComparison, summarizeComparison, isInputError, type Interval, excludesZero, formatCount, formatDelta, formatDeltaInterval, formatLevel, formatNats, formatRatio } from '../engine';
import { UsageError, parseArgs } from './args';
import { table } from './format';

export interface Output {
  write(text: string): unknown;
}

export const COMPARE_USAGE = `  lsmi compare <results> <results>... [--baseline NAME] [--top K] [--order abs|gain|loss|stable]
                      [--bootstrap R] [--seed S] [--json]`;
export const COMPARE_HELP = `  compare    compare 2 to ${MAX_COMPARE_RUNS} results files (.lsmi.arrow) of different models on the same samples:
             dataset R, U1, U2, S per run, Δ = run − baseline with paired-bootstrap 95 % intervals,
             class shifts with intervals, and the samples that moved most; ~ marks a Δ within noise.
             --order stable ranks the movers by |Δ| relative to their seed-to-seed noise (runs
             estimated with --replicates); --bootstrap R replicates (default 1000), --seed S (default 0)`;

export function nonNegativeInt(v: string | true | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v === true || !Number.isInteger(n) || n < 0) throw new UsageError(`--${name} needs a non-negative integer, got '${v}'`);
  return n;
}

export function checkRunCount(files: string[], command: string): void {
  if (files.length < MIN_COMPARE_RUNS || files.length > MAX_COMPARE_RUNS) {
    throw new UsageError(`${command} takes ${MIN_COMPARE_RUNS} to ${MAX_COMPARE_RUNS} results files, got ${files.length}`);
  }
}

export async function compareCommand(argv: string[], out: Output): Promise<number> {
  const args = parseArgs(argv, { boolean: ['json'], value: ['baseline', 'top', 'bootstrap', 'seed', 'order'] });
  checkRunCount(args.positional, 'compare');
  const baseline = args.flags.get('baseline');
  if (baseline === true) throw new UsageError('--baseline needs a run name or index');
  const json = args.flags.has('json');
  const top = nonNegativeInt(args.flags.get('top'), 'top') ?? (json ? 10 : 5);
  const replicates = nonNegativeInt(args.flags.get('bootstrap'), 'bootstrap');
  const seed = nonNegativeInt(args.flags.get('seed'), 'seed');
  let cmp;
  try {
    cmp = await loadComparison(args.positional, { baseline, bootstrap: { replicates, seed } });
  } catch (e) {
    if (isInputError(e) && e.code === 'BAD_SETTINGS') throw new UsageError(`--${e.setting === 'bootstrap.replicates' ? 'bootstrap' : (e.setting ?? '')}: ${e.message}`);
    throw e;
  }
  const orderFlag = args.flags.get('order');
  if (orderFlag !== undefined && !(MOVER_ORDERS as readonly (string | true)[]).includes(orderFlag)) throw new UsageError(`--order must be one of ${MOVER_ORDERS.join(', ')}, got '${orderFlag}'`);
  const summary = summarizeComparison(cmp, { top, order: orderFlag as MoverOrder | undefined });
  out.write(json ? JSON.stringify(summary, null, 2) + '\n' : formatComparison(summary) + '\n');
  return 0;
}

// numbers as every surface prints them (src/engine/format.ts): nats 4 decimals, Δ signed, no "−0.0000"
const f4 = formatNats;
const s4 = formatDelta;
const ATOMS = ['R', 'U1', 'U2', 'S'] as const;
/** A Δ with its interval; `~` when the interval includes 0 (within noise). */
const withInterval = (d: number, iv: Interval | null | undefined) =>
  iv ? `${s4(d)} ${formatDeltaInterval(iv)}${excludesZero(iv) ? '  ' : ' ~'}` : s4(d);

export function formatComparison(s: ComparisonSummary): string {
  const lines: string[] = [];
  const base = s.runs[s.baseline];
  lines.push(`LSMI compare: ${s.runs.length} runs, ${formatCount(s.n)} samples (${formatCount(s.nCommon)} in every run), ${s.nClasses} classes; baseline: ${base.label}`);
  for (const w of s.warnings) lines.push(`warning: ${w}`);
  lines.push('');
  const [m1, m2] = s.modalityNames;
  lines.push(
    table(
      [
        ['run', 'fusion', 'samples', 'missing', 'R', `U1 (${m1})`, `U2 (${m2})`, 'S'],
        ...s.runs.map((r) => [r.label + (r.isBaseline ? ' (baseline)' : ''), r.fusion ?? '', formatCount(r.n), formatCount(r.missing), ...ATOMS.map((a) => f4(r.common[a]))]),
      ],
      ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
  );
  lines.push(`adjusted means over the ${formatCount(s.nCommon)} samples every run has; missing: joined samples the run lacks`);
  lines.push('');
  const sig = s.significance;
  const pct = formatLevel(sig.level);
  lines.push(`Δ vs baseline (run − baseline), ${pct} intervals${sig.replicates ? ` (paired bootstrap, ${formatCount(sig.replicates)} replicates, seed ${sig.seed})` : ': none (--bootstrap 0)'}`);
  const others = s.runs.filter((r) => !r.isBaseline);
  lines.push(
    table(
      [
        ['run', 'ΔR', 'ΔU1', 'ΔU2', 'ΔS'],
        ...others.map((r) => [r.label, ...ATOMS.map((a) => withInterval(r.datasetDelta[a], r.deltaIntervals?.[a]))]),
      ],
      ['l', 'r', 'r', 'r', 'r'],
    ),
  );
  if (sig.replicates) {
    for (const r of others) {
      const moved = r.moved.map((a) => `${a} ${s4(r.datasetDelta[a])} ${formatDeltaInterval(r.deltaIntervals![a])}`);
      lines.push(moved.length
        ? `${r.label}: moved beyond noise: ${moved.join('; ')}`
        : `${r.label}: no component moved beyond noise (every ${pct} interval includes 0)`);
    }
    lines.push(others.every((r) => sig.seedNoise[r.index])
      ? "the intervals include the samples' noise and the estimator's seed-to-seed noise (replicate fits of every run)"
      : "the intervals cover the samples' noise; estimate the runs with --replicates R to include the estimator's own seed-to-seed noise");
    lines.push('~ within noise: the interval includes 0');
  }
  lines.push('');
  lines.push(
    table(
      [
        ['run', 'mean |Δr|', 'mean |Δu1|', 'mean |Δu2|', 'mean |Δs|'],
        ...others.map((r) => [r.label, ...COMPARE_COMPONENTS.map((c) => f4(s.histograms[c].meanAbs[r.index]))]),
      ],
      ['l', 'r', 'r', 'r', 'r'],
    ),
  );
  lines.push('mean |Δ|: how far single samples moved (per-sample differences do not cancel out here)');
  const top = s.movers[0]?.page.rows.length ?? 0;
  for (const sh of s.shifts) {
    lines.push('');
    lines.push(`class shifts: ${sh.label} vs ${base.label} (adjusted class means; intervals simultaneous over the classes at ${pct})`);
    const rows: string[][] = [['component', 'direction', 'class', 'n', 'baseline', 'run', 'Δ']];
    let beyond = 0;
    for (const c of COMPARE_COMPONENTS) {
      for (const dir of ['gained', 'lost'] as const) {
        for (const x of sh.shifts[c][dir].slice(0, Math.max(1, Math.min(3, top)))) {
          rows.push([c, dir, x.name, formatCount(x.n), f4(x.baseline), f4(x.value), withInterval(x.delta, x.interval)]);
        }
        beyond += sh.shifts[c][dir].filter((x) => x.significant).length;
      }
    }
    lines.push(rows.length > 1 ? table(rows, ['l', 'l', 'l', 'r', 'r', 'r', 'r']) : '  (no class moved)');
    if (sig.replicates) lines.push(beyond ? `${beyond} class shift${beyond === 1 ? '' : 's'} beyond noise (over every component)` : 'no class shift beyond noise');
  }
  for (const mv of s.movers) {
    lines.push('');
    const p = mv.page;
    const by = { abs: 'the largest |Δ| of any component', gain: 'the largest gain', loss: 'the largest loss', stable: '|Δ| relative to the seed-to-seed noise' }[p.order];
    lines.push(`biggest movers: ${mv.label} vs ${base.label} (top ${p.rows.length} of ${formatCount(p.total)} by ${by}${p.missing ? `; ${formatCount(p.missing)} samples without a Δ` : ''})`);
    const noise = p.rows.some((r) => r.stability !== undefined);
    lines.push(
      table(
        [
          ['sample_id', 'class', 'moved', 'Δr', 'Δu1', 'Δu2', 'Δs', ...(noise ? ['noise sd', '|Δ|/sd'] : [])],
          ...p.rows.map((r) => [r.sample_id, r.class, r.component, ...COMPARE_COMPONENTS.map((c) => s4(r.deltas[c])),
            ...(noise ? [f4(r.stability ?? NaN), r.stability ? formatRatio(Math.abs(r.delta) / Math.max(1e-6, r.stability)) : '—'] : [])]),
        ],
        ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'r'],
      ),
    );
  }
  return lines.join('\n');
}
