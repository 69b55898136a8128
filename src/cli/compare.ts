/** `lsmi compare <results...>`: runs side by side, differences vs a baseline, class shifts, movers. */
import {
  COMPARE_COMPONENTS,
  type ComparisonSummary,
  MAX_COMPARE_RUNS,
  MIN_COMPARE_RUNS,
  loadComparison,
  summarizeComparison,
} from '../engine/compare';
import { UsageError, parseArgs } from './args';
import { table } from './format';

export interface Output {
  write(text: string): unknown;
}

export const COMPARE_USAGE = `  lsmi compare <results> <results>... [--baseline NAME] [--top K] [--json]`;
export const COMPARE_HELP = `  compare    compare 2 to ${MAX_COMPARE_RUNS} results files (.lsmi.arrow) of different models on the same samples:
             dataset R, U1, U2, S per run, Δ = run − baseline, class shifts and the samples that moved most`;

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
  const args = parseArgs(argv, { boolean: ['json'], value: ['baseline', 'top'] });
  checkRunCount(args.positional, 'compare');
  const baseline = args.flags.get('baseline');
  if (baseline === true) throw new UsageError('--baseline needs a run name or index');
  const json = args.flags.has('json');
  const top = nonNegativeInt(args.flags.get('top'), 'top') ?? (json ? 10 : 5);
  const cmp = await loadComparison(args.positional, { baseline });
  const summary = summarizeComparison(cmp, { top });
  out.write(json ? JSON.stringify(summary, null, 2) + '\n' : formatComparison(summary) + '\n');
  return 0;
}

const zero = (x: number) => (Math.abs(x) < 5e-5 ? 0 : x); // no "-0.0000"
const f4 = (x: number) => (Number.isFinite(x) ? zero(x).toFixed(4) : 'n/a');
const s4 = (x: number) => (Number.isFinite(x) ? (zero(x) > 0 ? '+' : '') + zero(x).toFixed(4) : 'n/a');
const ATOMS = ['R', 'U1', 'U2', 'S'] as const;

export function formatComparison(s: ComparisonSummary): string {
  const lines: string[] = [];
  const base = s.runs[s.baseline];
  lines.push(`LSMI compare: ${s.runs.length} runs, ${s.n} samples (${s.nCommon} in every run), ${s.nClasses} classes; baseline: ${base.label}`);
  for (const w of s.warnings) lines.push(`warning: ${w}`);
  lines.push('');
  const [m1, m2] = s.modalityNames;
  lines.push(
    table(
      [
        ['run', 'fusion', 'samples', 'missing', 'R', `U1 (${m1})`, `U2 (${m2})`, 'S'],
        ...s.runs.map((r) => [r.label + (r.isBaseline ? ' (baseline)' : ''), r.fusion ?? '', String(r.n), String(r.missing), ...ATOMS.map((a) => f4(r.common[a]))]),
      ],
      ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
  );
  lines.push(`adjusted means over the ${s.nCommon} samples every run has; missing: joined samples the run lacks`);
  lines.push('');
  lines.push('Δ vs baseline (run − baseline)');
  const others = s.runs.filter((r) => !r.isBaseline);
  lines.push(
    table(
      [
        ['run', 'ΔR', 'ΔU1', 'ΔU2', 'ΔS', 'mean |Δr|', 'mean |Δu1|', 'mean |Δu2|', 'mean |Δs|'],
        ...others.map((r) => [r.label, ...ATOMS.map((a) => s4(r.datasetDelta[a])), ...COMPARE_COMPONENTS.map((c) => f4(s.histograms[c].meanAbs[r.index]))]),
      ],
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
  );
  const top = s.movers[0]?.page.rows.length ?? 0;
  for (const sh of s.shifts) {
    lines.push('');
    lines.push(`class shifts: ${sh.label} vs ${base.label} (adjusted class means)`);
    const rows: string[][] = [['component', 'direction', 'class', 'n', 'baseline', 'run', 'Δ']];
    for (const c of COMPARE_COMPONENTS) {
      for (const dir of ['gained', 'lost'] as const) {
        for (const x of sh.shifts[c][dir].slice(0, Math.max(1, Math.min(3, top)))) {
          rows.push([c, dir, x.name, String(x.n), f4(x.baseline), f4(x.value), s4(x.delta)]);
        }
      }
    }
    lines.push(rows.length > 1 ? table(rows, ['l', 'l', 'l', 'r', 'r', 'r', 'r']) : '  (no class moved)');
  }
  for (const mv of s.movers) {
    lines.push('');
    const p = mv.page;
    lines.push(`biggest movers: ${mv.label} vs ${base.label} (top ${p.rows.length} of ${p.total} by the largest |Δ| of any component${p.missing ? `; ${p.missing} samples without a Δ` : ''})`);
    lines.push(
      table(
        [
          ['sample_id', 'class', 'moved', 'Δr', 'Δu1', 'Δu2', 'Δs'],
          ...p.rows.map((r) => [r.sample_id, r.class, r.component, ...COMPARE_COMPONENTS.map((c) => s4(r.deltas[c]))]),
        ],
        ['l', 'l', 'l', 'r', 'r', 'r', 'r'],
      ),
    );
  }
  return lines.join('\n');
}
