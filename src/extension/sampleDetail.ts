/**
 * What a panel shows when a sample row is expanded: its values, where it stands in each
 * distribution, and previews of its files (images and audio as data: URIs, text as an excerpt),
 * each file resolved and confined by sampleLinks.
 */
import * as fs from 'node:fs';
import type { ResultsData } from '../engine';
import { SPLITS } from '../engine';
import type { SampleDetail, SampleFilePreview } from '../protocol/messages';
import { mimeOf, resolveSampleFile } from './sampleLinks';
import { percentileOf, sortedColumn } from '../engine';
import { formatBytes } from '../engine';

/** Largest image/audio file sent to a webview inline. */
export const MAX_INLINE_BYTES = 8 << 20;
/** How much of a text file is shown. */
export const TEXT_EXCERPT_BYTES = 4096;

export async function sampleDetail(resultsFile: string, data: ResultsData, row: number): Promise<SampleDetail> {
  const c = data.columns;
  const files: SampleFilePreview[] = [];
  for (const which of [1, 2] as const) {
    const modality = data.meta.run.modalityNames[which - 1];
    const raw = (which === 1 ? data.paths1 : data.paths2)?.[row] ?? undefined;
    const resolved = resolveSampleFile(resultsFile, data, row, which);
    if (!resolved.ok) {
      files.push({ which, modality, raw: raw ?? undefined, error: resolved.error });
      continue;
    }
    files.push({ which, modality, raw: raw ?? undefined, ...(await preview(resolved.path, resolved.kind)) });
  }
  const pct = (k: 'r' | 'u1' | 'u2' | 's' | 'i12') => percentileOf(sortedColumn(c[k]), c[k][row]);
  return {
    row,
    sample_id: data.sampleIds[row],
    label: data.labels[row],
    className: data.meta.run.classNames[data.labels[row]] ?? String(data.labels[row]),
    split: data.split ? SPLITS[data.split[row]] : undefined,
    values: {
      r: c.r[row], u1: c.u1[row], u2: c.u2[row], s: c.s[row], i1: c.i1[row], i2: c.i2[row], i12: c.i12[row],
      r_raw: c.r_raw[row], u1_raw: c.u1_raw[row], u2_raw: c.u2_raw[row], s_raw: c.s_raw[row],
    },
    percentiles: { r: pct('r'), u1: pct('u1'), u2: pct('u2'), s: pct('s'), i12: pct('i12') },
    ...(data.stability && data.meta.stability
      ? { stability: { sd: { r: data.stability.r_sd[row], u1: data.stability.u1_sd[row], u2: data.stability.u2_sd[row], s: data.stability.s_sd[row] }, replicates: data.meta.stability.replicates } }
      : {}),
    files,
  };
}

async function preview(file: string, kind: 'image' | 'audio' | 'text'): Promise<Omit<SampleFilePreview, 'which' | 'modality' | 'raw'>> {
  try {
    const st = await fs.promises.stat(file);
    if (!st.isFile()) return { path: file, kind, error: { code: 'NOT_A_FILE', message: `${file} is not a file.` } };
    if (kind === 'text') {
      const fh = await fs.promises.open(file, 'r');
      try {
        const buf = Buffer.alloc(Math.min(TEXT_EXCERPT_BYTES, st.size));
        const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
        const bytes = buf.subarray(0, bytesRead);
        if (bytes.includes(0)) return { path: file, kind, bytes: st.size, error: { code: 'BINARY', message: 'Binary file: no preview. Open it to view it.' } };
        return { path: file, kind, bytes: st.size, text: bytes.toString('utf8').replace(/\uFFFD+$/, ''), truncated: st.size > bytesRead };
      } finally {
        await fh.close();
      }
    }
    if (st.size > MAX_INLINE_BYTES) {
      return { path: file, kind, bytes: st.size, error: { code: 'TOO_LARGE', message: `${formatBytes(st.size)}: too large to preview inline. Open it to view it.` } };
    }
    const data = await fs.promises.readFile(file);
    return { path: file, kind, bytes: st.size, dataUri: `data:${mimeOf(file)};base64,${data.toString('base64')}` };
  } catch (e) {
    return { path: file, kind, error: { code: 'READ_FAILED', message: `${file}: ${(e as Error).message}` } };
  }
}
