/** Human-readable rendering for the terminal. */
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
