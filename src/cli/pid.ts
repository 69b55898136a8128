/** `lsmi pid`, `lsmi bounds`, `lsmi ensemble`: the seeds' other systems beside LSMI (docs/pid.md). */
import { isInputError, type ResultsData, type DatasetPid, datasetPid, type EnsembleResult, interactionEnsemble, loadEnsemble, readRunAndResults, resolveEnsembleSettings, type EnsembleSettings, type PidSettings, type Interval } from '../engine';
import { UsageError, parseArgs, parseColumnMapping } from './args';
import { table } from './format';
import { formatDelta, formatNats } from '../engine';

export interface Output {
  write(text: string): unknown;
}

export const PID_USAGE = `  lsmi pid <run-or-results> [--clusters K] [--pca D] [--inits N] [--scale l2|standardise|none]
                      [--shuffles R] [--seed S] [--tol T] [--json] [--columns STD=NAME,...]
  lsmi bounds <run-or-results> [same options as pid]
  lsmi ensemble <results> <results>... [--folds K] [--seed S] [--bootstrap R] [--json]`;
export const PID_HELP = `  pid        BROJA partial information decomposition of the dataset (R, U1, U2, S) on clustered
             embeddings, with the solver's duality gap, a label-permutation null and LSMI's values
  bounds     semi-supervised bounds on synergy (Liang et al. 2023) from the same clusters: lower
             bounds from redundancy and from disagreement, the upper bound, and whether LSMI's S lies
             inside them
  ensemble   heads of 2 or more runs (results files with logits, same samples) as single models, a
             simple average, a weighted ensemble and the interaction-guided ensembles, scored out of
             fold with paired-bootstrap intervals and per class (--folds 5, --bootstrap 2000)`;

const PID_FLAGS = ['clusters', 'pca', 'inits', 'scale', 'shuffles', 'seed', 'tol', 'columns'];

function numberFlag(v: string | true | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (v === true) throw new UsageError(`--${name} needs a value`);
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} needs a number, got '${v}'`);
  return n;
}

const FLAG_OF: Record<string, string> = { pcaDims: 'pca', maxSteps: 'max-steps' };

/** A BAD_SETTINGS error from the engine's validation becomes a usage error naming the flag. */
async function asUsage<T>(f: () => Promise<T> | T): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (isInputError(e) && e.code === 'BAD_SETTINGS') throw new UsageError(`--${FLAG_OF[e.setting ?? ''] ?? e.setting}: ${e.message}`);
    throw e;
  }
}

async function pidCommon(argv: string[], command: 'pid' | 'bounds'): Promise<{ result: DatasetPid; results?: ResultsData; notes: string[]; json: boolean }> {
  const args = parseArgs(argv, { boolean: ['json'], value: PID_FLAGS });
  if (args.positional.length !== 1) throw new UsageError(`${command} takes exactly one run or results file`);
  const f = args.flags;
  const scale = f.get('scale');
  if (scale === true) throw new UsageError('--scale needs a value');
  const settings: Partial<PidSettings> = {
    clusters: numberFlag(f.get('clusters'), 'clusters'),
    pcaDims: numberFlag(f.get('pca'), 'pca'),
    inits: numberFlag(f.get('inits'), 'inits'),
    scale: scale as PidSettings['scale'] | undefined,
    // the bounds do not show the null: none unless asked
    shuffles: numberFlag(f.get('shuffles'), 'shuffles') ?? (command === 'bounds' ? 0 : undefined),
    seed: numberFlag(f.get('seed'), 'seed'),
    tol: numberFlag(f.get('tol'), 'tol'),
  };
  const columns = f.get('columns');
  const loaded = await readRunAndResults(args.positional[0], typeof columns === 'string' ? parseColumnMapping(columns) : undefined);
  const result = await asUsage(() => datasetPid(loaded.run, settings, { bounds: command === 'bounds' }));
  return { result, results: loaded.results, notes: loaded.notes, json: f.has('json') };
}

/** Every number through the one formatter (src/engine/format.ts): 4 decimals, U+2212, no negative zero, '—' when missing. */
const f4 = (x: number | undefined | null) => formatNats(x);
const ATOMS = ['R', 'U1', 'U2', 'S'] as const;

/** The one-line difference between the two definitions, shown wherever both appear. */
export const PID_VS_LSMI = "BROJA is one dataset-level decomposition of the clustered embeddings (the synergy is what no joint with the same (x1,y) and (x2,y) pairs can remove); LSMI averages per-sample interactions from the model's heads and densities: the two measure different things and agree only in kind, not in value.";

function lsmiOf(results: ResultsData | undefined) {
  return results?.meta.dataset.adjusted;
}

function clusteringLine(r: DatasetPid): string {
  const s = r.settings;
  const c = r.clustering;
  return `clusters ${c[0].k} × ${c[1].k} × ${r.table.ny} classes (${r.table.nonEmpty} non-empty cells), PCA ${c[0].dims} of ${c[0].width} / ${c[1].dims} of ${c[1].width} dims, ${s.scale} rows, k-means++ ${s.inits} starts, seed ${s.seed}`;
}

export function formatPid(r: DatasetPid, results?: ResultsData, notes: string[] = []): string {
  const [m1, m2] = r.modalityNames;
  const lsmi = lsmiOf(results);
  const lines: string[] = [];
  lines.push(`BROJA PID of ${r.runName}: ${r.n} samples; ${clusteringLine(r)}`);
  for (const w of [...notes, ...r.warnings]) lines.push(`warning: ${w}`);
  lines.push('');
  const nul = r.null;
  lines.push(
    table(
      [
        ['atom', 'BROJA', ...(nul ? [`null (${nul.shuffles} label shuffles)`] : []), ...(lsmi ? ['LSMI (results, adjusted)'] : [])],
        ...ATOMS.map((a) => [a === 'U1' ? `U1 (${m1})` : a === 'U2' ? `U2 (${m2})` : a, f4(r.atoms[a]), ...(nul ? [`${f4(nul.mean[a])} ± ${f4(nul.sd[a])}`] : []), ...(lsmi ? [f4(lsmi[a])] : [])]),
        ['I(X1,X2;Y)', f4(r.info.I12), ...(nul ? [''] : []), ...(lsmi ? [f4(lsmi.R + lsmi.U1 + lsmi.U2 + lsmi.S)] : [])],
      ],
      ['l', 'r', 'r', 'r'],
    ),
  );
  lines.push(`nats; I(X1;Y) ${f4(r.info.I1)}, I(X2;Y) ${f4(r.info.I2)}, H(Y) ${f4(r.info.HY)}; plug-in bias of I(X1,X2;Y) ≈ ${f4(r.biasEstimate)} (the null shows it atom by atom)`);
  const s = r.solver;
  lines.push(`solver: duality gap ${s.gap.toExponential(1)} nats after ${s.steps} steps (${s.converged ? 'converged' : 'NOT converged'}), marginal residual ${s.residual.toExponential(1)}; I* in [${s.iStarLower.toFixed(6)}, ${s.iStar.toFixed(6)}]`);
  lines.push(`note: ${PID_VS_LSMI}`);
  lines.push(`timings: cluster ${r.timings.cluster.toFixed(2)} s, PID ${r.timings.pid.toFixed(2)} s, null ${r.timings.null.toFixed(2)} s${r.bounds ? `, bounds ${r.timings.bounds.toFixed(2)} s` : ''}, total ${r.timings.total.toFixed(2)} s`);
  return lines.join('\n');
}

/** Where LSMI's S lies relative to [lower, upper]. */
export function boundsVerdict(S: number, lower: number, upper: number): 'inside' | 'below' | 'above' {
  return S < lower ? 'below' : S > upper ? 'above' : 'inside';
}

export function formatBounds(r: DatasetPid, results?: ResultsData, notes: string[] = []): string {
  const b = r.bounds!;
  const lsmi = lsmiOf(results);
  const lines: string[] = [];
  lines.push(`Synergy bounds (Liang et al. 2023) of ${r.runName}: ${r.n} samples; ${clusteringLine(r)}`);
  for (const w of [...notes, ...r.warnings]) lines.push(`warning: ${w}`);
  lines.push('');
  const rows = [
    ['bound', 'value', 'needs', 'what'],
    ['S_R (redundancy, 3 margins)', f4(b.lowerRedundancy), 'p(x1,y), p(x2,y), p(x1,x2)', 'lower bound; max-entropy joint by IPF'],
    ['S_R (redundancy, 2 margins)', f4(b.lowerRedundancyRepo), 'same', "lower bound as in the authors' code (looser)"],
    ['S_D (disagreement, table)', f4(b.lowerDisagreement), '+ classifiers', `lower bound; α = ${f4(b.alpha)} from the clusters' posteriors`],
    ...(b.heads ? [['S_D (disagreement, heads)', f4(b.heads.lowerDisagreement), '+ your heads', `estimate only (α̂ = ${f4(b.heads.alpha)} from logits_1, logits_2; not Bayes posteriors)`]] : []),
    ['S_U (upper)', f4(b.upper), 'same', 'upper bound; min-entropy coupling by the majorization meet'],
    ['BROJA S (labels known)', f4(b.brojaS), 'the full table', 'must lie in [lower, upper] (a check of the bounds)'],
  ];
  lines.push(table(rows, ['l', 'r', 'l', 'l']));
  lines.push(`lower = max(S_R, S_D) = ${f4(b.lower)}, upper = ${f4(b.upper)} (nats, on the clustered table)`);
  lines.push(`implied for the other atoms: R, U1, U2 need no labels on pairs (R ${f4(r.atoms.R)}, U1 ${f4(r.atoms.U1)}, U2 ${f4(r.atoms.U2)}); I(X1,X2;Y) lies in [${f4(r.atoms.R + r.atoms.U1 + r.atoms.U2 + b.lower)}, ${f4(r.atoms.R + r.atoms.U1 + r.atoms.U2 + b.upper)}]`);
  if (lsmi) {
    const v = boundsVerdict(lsmi.S, b.lower, b.upper);
    lines.push(`LSMI's S ${f4(lsmi.S)} is ${v === 'inside' ? 'inside' : v === 'below' ? 'below' : 'above'} [${f4(b.lower)}, ${f4(b.upper)}]${v === 'inside' ? '' : ' (the bounds hold for the clustered table; LSMI measures the embeddings through the heads, see the note)'}`);
  } else lines.push("LSMI's S: no matching results file (estimate the run to compare)");
  lines.push(`note: ${PID_VS_LSMI}`);
  lines.push(`timings: cluster ${r.timings.cluster.toFixed(2)} s, PID ${r.timings.pid.toFixed(2)} s, bounds ${r.timings.bounds.toFixed(2)} s, total ${r.timings.total.toFixed(2)} s`);
  return lines.join('\n');
}

export async function pidCommand(argv: string[], out: Output): Promise<number> {
  const { result, results, notes, json } = await pidCommon(argv, 'pid');
  out.write(json ? JSON.stringify({ ...result, lsmi: lsmiOf(results) ?? null, notes }, null, 2) + '\n' : formatPid(result, results, notes) + '\n');
  return 0;
}

export async function boundsCommand(argv: string[], out: Output): Promise<number> {
  const { result, results, notes, json } = await pidCommon(argv, 'bounds');
  const lsmi = lsmiOf(results);
  const verdict = lsmi && result.bounds ? boundsVerdict(lsmi.S, result.bounds.lower, result.bounds.upper) : null;
  out.write(json ? JSON.stringify({ ...result, lsmi: lsmi ?? null, lsmiS: lsmi?.S ?? null, verdict, notes }, null, 2) + '\n' : formatBounds(result, results, notes) + '\n');
  return 0;
}

const iv = (i: Interval | undefined, signed = false) => (i ? ` [${signed ? sf4(i.lo) : f4(i.lo)}, ${signed ? sf4(i.hi) : f4(i.hi)}]` : '');
const sf4 = (x: number) => formatDelta(x);

export function formatEnsemble(r: EnsembleResult, meta: { files: string[]; dropped: { train: number; missing: number }; notes: string[] }): string {
  const lines: string[] = [];
  const s = r.settings;
  lines.push(`Ensembles of ${r.runs.length} runs (${r.runs.join(', ')}): ${r.n} samples out of sample in every run${meta.dropped.train || meta.dropped.missing ? ` (left out: ${meta.dropped.train} train, ${meta.dropped.missing} not in every run)` : ''}, ${r.nClasses} classes`);
  lines.push(`out of fold: stratified ${s.folds} folds (seed ${s.seed}); ${s.bootstrap ? `paired bootstrap ${Math.round(s.level * 100)} % intervals (${s.bootstrap} replicates)` : 'no intervals (--bootstrap 0)'}`);
  for (const w of meta.notes) lines.push(`warning: ${w}`);
  lines.push('');
  lines.push(
    table(
      [
        ['model', 'accuracy', 'log-loss', `Δ log-loss vs best head`, 'Δ log-loss vs Weighted', 'Δ accuracy vs Weighted'],
        ...r.variants.map((v) => [
          v.name + (v.name === r.bestHead ? ' (best head)' : ''),
          f4(v.accuracy) + iv(v.intervals?.accuracy),
          f4(v.logLoss) + iv(v.intervals?.logLoss),
          v.vsBestHead ? sf4(v.vsBestHead.logLoss) + iv(v.vsBestHead.intervals?.logLoss, true) : '',
          v.vsWeighted ? sf4(v.vsWeighted.logLoss) + iv(v.vsWeighted.intervals?.logLoss, true) : '',
          v.vsWeighted ? sf4(v.vsWeighted.accuracy) + iv(v.vsWeighted.intervals?.accuracy, true) : '',
        ]),
      ],
      ['l', 'r', 'r', 'r', 'r', 'r'],
    ),
  );
  const taus = r.folds.map((f) => f.tau);
  lines.push(`LSMI-rule τ per fold: ${taus.join(', ')} (0 = Additive); mean label-free interactions r̄ ${f4(r.meanInteractions.r)}, ū1 ${f4(r.meanInteractions.u1)}, ū2 ${f4(r.meanInteractions.u2)}, s̄ ${f4(r.meanInteractions.s)}`);
  lines.push('');
  const shown = r.variants.filter((v) => v.kind !== 'head' || v.name === r.bestHead);
  lines.push('per class (accuracy / log-loss):');
  lines.push(
    table(
      [
        ['class', 'n', ...shown.map((v) => v.name.replace(/ \(.*\)$/, ''))],
        ...r.classNames.map((name, c) => [name, String(r.classCounts[c]), ...shown.map((v) => `${f4(v.perClass[c].accuracy)} / ${f4(v.perClass[c].logLoss)}`)]),
      ],
      ['l', 'r', ...shown.map(() => 'r' as const)],
    ),
  );
  lines.push(`timing: ${r.seconds.toFixed(2)} s`);
  return lines.join('\n');
}

export async function ensembleCommand(argv: string[], out: Output): Promise<number> {
  const args = parseArgs(argv, { boolean: ['json'], value: ['folds', 'seed', 'bootstrap'] });
  if (args.positional.length < 2 || args.positional.length > 8) throw new UsageError(`ensemble takes 2 to 8 results files, got ${args.positional.length}`);
  const settings: Partial<EnsembleSettings> = {
    folds: numberFlag(args.flags.get('folds'), 'folds'),
    seed: numberFlag(args.flags.get('seed'), 'seed'),
    bootstrap: numberFlag(args.flags.get('bootstrap'), 'bootstrap'),
  };
  await asUsage(() => resolveEnsembleSettings(settings));
  const loaded = await loadEnsemble(args.positional);
  const result = await interactionEnsemble(loaded.input, settings);
  if (args.flags.has('json')) {
    const { oof: _oof, ...rest } = result;
    out.write(JSON.stringify({ ...rest, files: loaded.files, dropped: loaded.dropped, notes: loaded.notes }, null, 2) + '\n');
  } else out.write(formatEnsemble(result, loaded) + '\n');
  return 0;
}
