/** Human-readable rendering for the terminal. */
import type { ResultsReport } from '../engine/report';
import type { RunSummary } from '../engine/summary';

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  while (n >= 1024 && u < units.length - 1) (n /= 1024), u++;
  return `${u === 0 ? n : n.toFixed(1)} ${units[u]}`;
}

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
  lines.push(`  samples: ${s.n}   classes: ${s.nClasses}`);
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
        [['head', 'accuracy', 'log-loss (nats)'], ...s.heads.map((h) => [headName[h.head], h.accuracy.toFixed(4), h.logLoss.toFixed(4)])],
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
        ...s.classCounts.map((c, k) => [String(k), s.classNames[k] ?? '', String(c), (c / s.n).toFixed(3)]),
      ],
      ['r', 'l', 'r', 'r'],
    ),
  );
  return lines.join('\n');
}

const f4 = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : String(x));

export function formatReport(r: ResultsReport): string {
  const lines: string[] = [];
  const d = r.dataset;
  lines.push(`LSMI ${r.run.name}: ${r.run.n} samples, ${r.run.nClasses} classes${r.reused ? '  (reused results)' : ''}`);
  lines.push('');
  lines.push(
    table(
      [
        ['nats', 'R (redundancy)', `U1 (${r.run.modalityNames[0]})`, `U2 (${r.run.modalityNames[1]})`, 'S (synergy)'],
        ['adjusted', f4(d.adjusted.R), f4(d.adjusted.U1), f4(d.adjusted.U2), f4(d.adjusted.S)],
        ['raw', f4(d.raw.R), f4(d.raw.U1), f4(d.raw.U2), f4(d.raw.S)],
      ],
      ['l', 'r', 'r', 'r', 'r'],
    ),
  );
  lines.push(`adjustment: ${d.branch}, adj = ${f4(d.adj)}; prior: ${r.prior.source}`);
  const headLine = (h: '1' | '2' | '12') => {
    const x = r.heads[h];
    return `  head ${h.padEnd(2)}: ${x.source === 'logits' ? 'logits' : `probe (${x.scheme})`}, log-loss ${f4(x.logLoss)}${x.accuracy !== undefined ? `, accuracy ${x.accuracy.toFixed(3)}` : ''}, mean MI ${f4(x.meanMI)}`;
  };
  lines.push(headLine('1'), headLine('2'), headLine('12'));
  for (const m of ['1', '2'] as const) {
    const x = r.density[m];
    lines.push(`  density ${m}: ${x.mode} ${x.covariance} K=${x.K}${x.iterations !== undefined ? `, ${x.iterations} iterations${x.converged === false ? ' (not converged)' : ''}` : ''}, mean log-lik ${f4(x.meanLogLik)} on ${x.fitRows} rows`);
  }
  lines.push('');
  lines.push('per class (adjusted means)');
  lines.push(
    table(
      [['class', 'name', 'n', 'R', 'U1', 'U2', 'S'], ...r.perClass.map((c) => [String(c.index), c.name, String(c.n), f4(c.R), f4(c.U1), f4(c.U2), f4(c.S)])],
      ['r', 'l', 'r', 'r', 'r', 'r', 'r'],
    ),
  );
  const names = { r: 'redundant', u1: `unique to ${r.run.modalityNames[0]}`, u2: `unique to ${r.run.modalityNames[1]}`, s: 'synergistic' };
  for (const c of ['r', 'u1', 'u2', 's'] as const) {
    lines.push('');
    lines.push(`most ${names[c]} samples (top ${r.top[c].length} by ${c})`);
    lines.push(
      table(
        [
          ['sample_id', 'class', ...(['r', 'u1', 'u2', 's'] as const).map((k) => (k === c ? `${k} (sorted)` : k))],
          ...r.top[c].map((t) => [t.sample_id, t.class, f4(t.r), f4(t.u1), f4(t.u2), f4(t.s)]),
        ],
        ['l', 'l', 'r', 'r', 'r', 'r'],
      ),
    );
  }
  lines.push('');
  const t = r.timings;
  lines.push(`backend: ${r.backend.detail}; time ${t.total !== undefined ? `${t.total.toFixed(1)} s` : 'n/a'}`);
  lines.push(`results: ${r.results}`);
  return lines.join('\n');
}
