/** A JSON-ready summary of a comparison: what `lsmi compare --json` prints and the compare panel starts from. */
import type { Atoms } from '../estimate/decompose';
import type { ResultsMeta } from '../io/results';
import type { AtomIntervals } from '../uncertainty';
import { resultsOf } from './details';
import { type DeltaHistogram, deltaHistogram } from './histograms';
import { COMPARE_COMPONENTS, type ClassComparison, type MeanAtoms, type CompareComponent, type CompareSignificance, type ComparedRun, type Comparison } from './model';
import { type MoverOrder, type MoversPage, moversPage } from './movers';
import { type ClassShifts, classShifts } from './shifts';
import { significantMoves } from './significance';

/** What the Compare panel shows; the counts and names are the comparison's own (Comparison in model.ts). */
export interface ComparisonSummary extends Pick<Comparison, 'baseline' | 'n' | 'nCommon' | 'nIncomplete' | 'nClasses' | 'classNames' | 'modalityNames'> {
  runs: (Omit<ComparedRun, 'meta' | 'settings'> & {
    settings: Pick<ResultsMeta['settings'], 'mode' | 'covariance' | 'components' | 'prior' | 'seed'>;
    datasetDelta: MeanAtoms;
    /** The paired bootstrap interval of each Δ (null for the baseline or without a bootstrap). */
    deltaIntervals: AtomIntervals | null;
    /** The components whose Δ interval excludes 0, largest |Δ| first. */
    moved: (keyof Atoms)[];
    /** Per-sample standard deviations over replicate fits are in this run's results (movers can rank by stability). */
    hasStability: boolean;
    isBaseline: boolean;
  })[];
  /** How the intervals were computed. */
  significance: CompareSignificance;
  hasSplit: boolean;
  hasFiles: boolean;
  perClass: ClassComparison[];
  /** Per non-baseline run (keyed by run index): class shifts, top `top` per direction. */
  shifts: { run: number; label: string; shifts: ClassShifts }[];
  histograms: Record<CompareComponent, DeltaHistogram>;
  /** Per non-baseline run: the `top` biggest movers (any component, |Δ|). */
  movers: { run: number; label: string; page: MoversPage }[];
  warnings: string[];
}

export function summarizeComparison(cmp: Comparison, opts: { top?: number; bins?: number; order?: MoverOrder } = {}): ComparisonSummary {
  const top = opts.top ?? 10;
  const others = cmp.runs.filter((r) => r.index !== cmp.baseline);
  const data = resultsOf(cmp);
  return {
    baseline: cmp.baseline,
    runs: cmp.runs.map((r) => {
      const { meta: _meta, settings, ...rest } = r;
      return {
        ...rest,
        settings: { mode: settings.mode, covariance: settings.covariance, components: settings.components, prior: settings.prior, seed: settings.seed },
        datasetDelta: cmp.datasetDelta[r.index],
        deltaIntervals: cmp.datasetDeltaIntervals[r.index],
        moved: significantMoves(cmp, r.index).map((m) => m.atom),
        hasStability: !!cmp.sd[r.index],
        isBaseline: r.index === cmp.baseline,
      };
    }),
    significance: cmp.significance,
    n: cmp.n,
    nCommon: cmp.nCommon,
    nIncomplete: cmp.nIncomplete,
    nClasses: cmp.nClasses,
    classNames: cmp.classNames,
    modalityNames: cmp.modalityNames,
    hasSplit: !!cmp.split,
    hasFiles: !!data?.some((d) => d.paths1 || d.paths2),
    perClass: cmp.perClass,
    shifts: others.map((r) => ({ run: r.index, label: r.label, shifts: classShifts(cmp, r.index, top) })),
    histograms: Object.fromEntries(COMPARE_COMPONENTS.map((c) => [c, deltaHistogram(cmp, c, opts.bins)])) as Record<CompareComponent, DeltaHistogram>,
    movers: others.map((r) => ({ run: r.index, label: r.label, page: moversPage(cmp, { run: r.index, component: 'any', order: opts.order ?? 'abs', limit: top }) })),
    warnings: cmp.warnings,
  };
}
