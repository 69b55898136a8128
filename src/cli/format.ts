/** Human-readable rendering for the terminal. */
import { formatBytes, formatCount, formatFraction, formatInterval, formatLevel, formatNats, formatPercent, formatSeconds, formatTemperature, type ResultsReport, type Interval, rankClasses, type RunSummary } from '../engine';

export { formatBytes };

export function table(rows: string[][], align: ('l' | 'r')[] = []): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) => r.map((cell, c) => (align[c] === 'r' ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd())
    .join('\n');
}

export function formatSummary(s: RunSummary): string {
  const lines: string[] = [];
  lines.push(`Run ${s.runName}  (${s.file})`);
  lines.push(
    `  ${s.format === 'arrow' ? 'Arrow IPC' : 'npz'}, ${formatBytes(s.bytes)}, ${s.batches} record batch${s.batches === 1 ? '' : 'es'}, ${s.compression}`,
  );
  if (s.architecture || s.fusion) lines.push(`  model: ${[s.architecture, s.fusion && `fusion: ${s.fusion}`].filter(Boolean).join('; ')}`);
  lines.push(`  samples: ${formatCount(s.n)}   classes: ${s.nClasses}`);
  lines.push(
    `  modality 1 "${s.modalityNames[0]}": d = ${s.dims[0]}${s.dtypes.emb_1 ? ` (${s.dtypes.emb_1})` : ''}` +
      (s.pathCounts[1] !== undefined ? `, files for ${s.pathCounts[1]} samples` : ''),
  );
  lines.push(
    `  modality 2 "${s.modalityNames[1]}": d = ${s.dims[1]}${s.dtypes.emb_2 ? ` (${s.dtypes.emb_2})` : ''}` +
      (s.pathCounts[2] !== undefined ? `, files for ${s.pathCounts[2]} samples` : ''),
  );
  if (s.splitCounts) lines.push(`  splits: ${Object.entries(s.splitCounts).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  lines.push('');
  const headName = { '1': 'logits_1 (modality 1)', '2': 'logits_2 (modality 2)', '12': 'logits_12 (both)' };
  if (s.heads.length) {
    lines.push(
      table(
        [['head', 'accuracy', 'log-loss (nats)'], ...s.heads.map((h) => [headName[h.head], formatFraction(h.accuracy), formatNats(h.logLoss)])],
        ['l', 'r', 'r'],
      ),
    );
  }
  if (s.missingHeads.length) lines.push(`no logits for: ${s.missingHeads.map((h) => headName[h]).join(', ')} (probes will be trained)`);
  lines.push('');
  lines.push(
    table(
      [
        ['class', 'name', 'samples', 'share'],
        ...s.classCounts.map((c, k) => [String(k), s.classNames[k] ?? '', formatCount(c), formatPercent(c / s.n)]),
      ],
      ['r', 'l', 'r', 'r'],
    ),
  );
  return lines.join('\n');
}

// numbers as every surface prints them (src/engine/format.ts): nats 4 decimals, fractions 3
const f4 = formatNats;

const HEAD_LABEL = { '1': 'head 1', '2': 'head 2', '12': 'head 12' } as const;
const ATOMS = ['R', 'U1', 'U2', 'S'] as const;
const pct = formatLevel;
const ivText = (iv: Interval | null | undefined) => formatInterval(iv);

/** How the CLI's per-class table is ranked (`--class-sort`, `--class-rank`, `--min-n`, `--normalised`). */
export interface ClassTableOptions {
  /** Rank by this atom (default: class order, every class). */
  sort?: 'R' | 'U1' | 'U2' | 'S';
  by?: 'mean' | 'lower';
  minN?: number;
  normalised?: boolean;
}

/** The per-class table: every class with n, means and intervals; or one atom's fair ranking. */
export function formatClasses(r: ResultsReport, o: ClassTableOptions = {}): string[] {
  const level = r.dataset.intervals?.level ?? 0.95;
  if (!o.sort) {
    const rows = r.perClass.map((c) => [String(c.index), c.name, formatCount(c.n), ...ATOMS.flatMap((a) => [f4(c[a]), ivText(c.intervals?.[a])])]);
    return [
      `per class (adjusted means, ${pct(level)} t intervals)`,
      table([['class', 'name', 'n', 'R', '', 'U1', '', 'U2', '', 'S', ''], ...rows], ['r', 'l', 'r', 'r', 'l', 'r', 'l', 'r', 'l', 'r', 'l']),
    ];
  }
  const perClass = r.perClass.map((c) => ({ ...c, adjusted: { R: c.R, U1: c.U1, U2: c.U2, S: c.S } }));
  const ranked = rankClasses(perClass, o.sort, { by: o.by, minN: o.minN, normalised: o.normalised });
  const what = o.normalised ? `${o.sort} / −log p(y) (the share of the label's information)` : `${o.sort} (nats)`;
  const lines = [
    `classes ranked by ${o.by === 'lower' ? `the ${pct(level)} interval's lower bound` : 'the mean'} of ${what}; classes with n < ${ranked.minN} left out: ${ranked.excluded}`,
    table([['rank', 'class', 'name', 'n', o.normalised ? 'share' : 'mean', 'interval'], ...ranked.rows.map((x, k) => [String(k + 1), String(x.index), x.name, formatCount(x.n), o.normalised ? formatFraction(x.value) : f4(x.value), formatInterval(x.interval, o.normalised ? formatFraction : formatNats)])], ['r', 'r', 'l', 'r', 'r', 'l']),
  ];
  if (o.normalised) lines.push("normalised: each value divided by the label's surprisal −log p(y), so classes of different frequency compare fairly");
  return lines;
}

/**
 * The heads' diagnostics: where each head comes from (logits, or the probe family and how it was
 * chosen), held-out log-loss before → after calibration, temperature, accuracy, calibration error,
 * mean MI; then every candidate's held-out log-loss and the learning curve.
 */
export function formatHeads(r: ResultsReport): string[] {
  const rows: string[][] = [['head', 'source', 'log-loss (held out)', 'calibration', 'T', 'accuracy', 'ECE', 'mean MI']];
  const detail: string[] = [];
  for (const h of ['1', '2', '12'] as const) {
    const x = r.heads[h];
    const cal = x.calibration;
    const temps = cal?.temperatures;
    const t = temps?.length ? temps.reduce((a, b) => a + b, 0) / temps.length : undefined;
    const source = x.source === 'logits' ? `logits_${h}` : `${x.family ?? 'mlp'} probe${x.candidates ? ' (auto)' : ''}`;
    rows.push([
      HEAD_LABEL[h],
      source,
      cal ? `${f4(cal.logLossBefore)} → ${f4(cal.logLossAfter)}` : f4(x.logLoss),
      cal?.method ?? 'none',
      t === undefined ? '' : formatTemperature(t),
      x.accuracy === undefined ? '' : formatFraction(x.accuracy),
      x.reliability ? `${formatFraction(x.reliability.before.ece)} → ${formatFraction(x.reliability.after.ece)}` : '',
      f4(x.meanMI),
    ]);
    if (x.candidates) {
      const c = x.candidates.map((k) => `${k.family} ${k.selectionLogLoss === null ? `(${k.note ?? 'not fitted'})` : f4(k.selectionLogLoss)}${k.chosen ? ` ✓${k.chosen > 1 ? '×' + k.chosen : ''}` : ''}${k.detail ? ` [${k.detail}]` : ''}`);
      detail.push(`  ${HEAD_LABEL[h]}: held-out log-loss in the family selection (${x.selections} selections): ${c.join('; ')}`);
    }
    if (x.learningCurve) {
      const lc = x.learningCurve;
      detail.push(`  ${HEAD_LABEL[h]}: learning curve ${lc.logLoss.map(f4).join(' → ')} at ${lc.rows.map(formatCount).join(' / ')} training rows (${f4(lc.dropPerDoubling)} nats per doubling${lc.stillFalling ? ', still falling' : ''})`);
    }
    if (x.scheme) detail.push(`  ${HEAD_LABEL[h]}: ${x.scheme}${x.folds ? `; per fit: ${x.folds.map((f) => `${f.family} (${f.detail})`).join(', ')}` : ''}`);
  }
  return ['heads (log p(y|x): held-out log-loss before → after calibration)', table(rows, ['l', 'l', 'r', 'l', 'r', 'r', 'r', 'r']), ...detail];
}

export function formatReport(r: ResultsReport, opts: { classes?: ClassTableOptions } = {}): string {
  const lines: string[] = [];
  const d = r.dataset;
  lines.push(`LSMI ${r.run.name}: ${formatCount(r.run.n)} samples, ${r.run.nClasses} classes${r.reused ? '  (reused results)' : ''}`);
  lines.push('');
  lines.push(
    table(
      [
        ['nats', 'R (redundancy)', `U1 (${r.run.modalityNames[0]})`, `U2 (${r.run.modalityNames[1]})`, 'S (synergy)'],
        ['adjusted', f4(d.adjusted.R), f4(d.adjusted.U1), f4(d.adjusted.U2), f4(d.adjusted.S)],
        ...(d.intervals ? [[`${pct(d.intervals.level)} interval`, ...ATOMS.map((a) => ivText(d.intervals!.adjusted[a]))]] : []),
        ['raw', f4(d.raw.R), f4(d.raw.U1), f4(d.raw.U2), f4(d.raw.S)],
      ],
      ['l', 'r', 'r', 'r', 'r'],
    ),
  );
  lines.push(`adjustment: ${d.branch}, adj = ${f4(d.adj)}; prior: ${r.prior.source}`);
  if (d.intervals) lines.push(`intervals: ${d.intervals.method}, ${formatCount(d.intervals.replicates)} replicates${d.intervals.blocks < r.run.n ? ` of ${formatCount(d.intervals.blocks)} blocks` : ''}; a difference smaller than an interval's width is within noise`);
  if (r.stability) {
    const st = r.stability;
    lines.push(`stability over ${st.replicates + 1} fits (seeds forked from ${r.settings.seed}): sd of the dataset means ${ATOMS.map((a) => `${a} ${f4(st.dataset[a])}`).join(', ')}; mean per-sample sd ${ATOMS.map((a) => `${a.toLowerCase()} ${f4(st.meanSampleSd[a])}`).join(', ')}`);
  }
  lines.push('');
  lines.push(...formatHeads(r));
  for (const m of ['1', '2'] as const) {
    const x = r.density[m];
    let search = '';
    if (x.search) {
      const fitted = x.search.candidates.filter((c) => c.heldOutLogLik !== null).sort((a, b) => b.heldOutLogLik! - a.heldOutLogLik!);
      const skipped = x.search.candidates.length - fitted.length;
      search = `; chosen by held-out log-lik (${x.search.valRows} rows) among ${fitted.length} fitted: ${fitted
        .slice(0, 3)
        .map((c) => `${c.covariance} K=${c.K} ${f4(c.heldOutLogLik!)}`)
        .join(', ')}${fitted.length > 3 ? ', ...' : ''}${skipped ? `; ${skipped} skipped (--json says why)` : ''}`;
    }
    lines.push(`density ${m}: ${x.mode} ${x.covariance} K=${x.K}${x.iterations !== undefined ? `, ${x.iterations} iterations${x.converged === false ? ' (not converged)' : ''}` : ''}, mean log-lik ${f4(x.meanLogLik)} on ${formatCount(x.fitRows)} rows${x.shrinkage ? `; covariances shrunk toward the pooled one by λ = ${x.shrinkage.lambda}${x.shrinkage.lambda === 1 ? ' (tied)' : ''}, chosen by held-out log-lik (${formatCount(x.shrinkage.valRows)} rows)` : ''}${search}`);
  }
  if (r.warnings.length) {
    lines.push('');
    for (const w of r.warnings) lines.push(`warning: ${w}`);
  }
  lines.push('');
  lines.push(...formatClasses(r, opts.classes));
  const names = { r: 'redundant', u1: `unique to ${r.run.modalityNames[0]}`, u2: `unique to ${r.run.modalityNames[1]}`, s: 'synergistic' };
  for (const c of ['r', 'u1', 'u2', 's'] as const) {
    lines.push('');
    lines.push(`most ${names[c]} samples (top ${r.top[c].length} by ${c})`);
    lines.push(
      table(
        [
          ['sample_id', 'class', ...(['r', 'u1', 'u2', 's'] as const).map((k) => (k === c ? `${k} (sorted)` : k)), ...(r.stability ? [`${c} sd`] : [])],
          ...r.top[c].map((t) => [t.sample_id, t.class, f4(t.r), f4(t.u1), f4(t.u2), f4(t.s), ...(r.stability ? [f4(t.sd ?? NaN)] : [])]),
        ],
        ['l', 'l', 'r', 'r', 'r', 'r', 'r'],
      ),
    );
  }
  lines.push('');
  const t = r.timings;
  lines.push(`backend: ${r.backend.detail}; time ${t.total !== undefined ? formatSeconds(t.total) : 'n/a'}`);
  lines.push(`results: ${r.results}`);
  return lines.join('\n');
}
