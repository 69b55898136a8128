/** Class shifts: per component, the classes whose mean rose or fell against the baseline, with intervals. */
import { type Interval, excludesZero } from '../uncertainty';
import { ATOM_OF, COMPARE_COMPONENTS, type CompareComponent, type Comparison, checkRun } from './model';

export interface ClassShift {
  index: number;
  name: string;
  n: number;
  baseline: number;
  value: number;
  /** value − baseline. */
  delta: number;
  /** The Δ's interval (simultaneous over the classes; null for n < 2 or without a bootstrap). */
  interval: Interval | null;
  /** The interval excludes 0: a shift beyond noise. */
  significant: boolean;
}

/** Per component: classes whose mean rose (`gained`, largest first) and fell (`lost`, largest drop first). */
export type ClassShifts = Record<CompareComponent, { gained: ClassShift[]; lost: ClassShift[] }>;

export function classShifts(cmp: Comparison, run: number, top = Infinity): ClassShifts {
  checkRun(cmp, run);
  const out = {} as ClassShifts;
  for (const comp of COMPARE_COMPONENTS) {
    const a = ATOM_OF[comp];
    const all = cmp.perClass
      .filter((pc) => pc.n > 0)
      .map((pc) => {
        const interval = pc.deltaIntervals[run]?.[a] ?? null;
        return { index: pc.index, name: pc.name, n: pc.n, baseline: pc.means[cmp.baseline][a], value: pc.means[run][a], delta: pc.delta[run][a], interval, significant: excludesZero(interval) };
      });
    out[comp] = {
      gained: all.filter((x) => x.delta > 0).sort((x, y) => y.delta - x.delta || x.index - y.index).slice(0, top),
      lost: all.filter((x) => x.delta < 0).sort((x, y) => x.delta - y.delta || x.index - y.index).slice(0, top),
    };
  }
  return out;
}
