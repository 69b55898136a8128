/**
 * Thumbnails of image runs: the gallery (the top and bottom k samples of a component, optionally of
 * some classes) and the hover thumbnail of one sample in a table. Images are read through
 * sampleLinks (resolved, confined to the workspace or the run's folder) and sent as data: URIs, at
 * most MAX_THUMB_BYTES each (a larger image is left out: Open shows it).
 */
import * as fs from 'node:fs';
import { type ResultsData, RowsQuery } from '../engine';
import type { Gallery, GalleryRequest, GalleryThumb } from '../protocol/messages';
import { mimeOf, resolveSampleFile } from './sampleLinks';

export const MAX_THUMB_BYTES = 256 << 10;
export const MAX_GALLERY_K = 24;
const COMPONENTS = ['r', 'u1', 'u2', 's'] as const;

/** The data: URIs of a sample's two images (null where there is none, it is not an image, or too large). */
export async function thumbnails(resultsFile: string, data: ResultsData, row: number): Promise<(string | null)[]> {
  const out: (string | null)[] = [];
  for (const which of [1, 2] as const) {
    const r = resolveSampleFile(resultsFile, data, row, which);
    if (!r.ok || r.kind !== 'image') {
      out.push(null);
      continue;
    }
    try {
      const st = await fs.promises.stat(r.path);
      out.push(st.isFile() && st.size <= MAX_THUMB_BYTES ? `data:${mimeOf(r.path)};base64,${(await fs.promises.readFile(r.path)).toString('base64')}` : null);
    } catch {
      out.push(null);
    }
  }
  return out;
}

/** The top and bottom k samples of a component (within the chosen classes), with their thumbnails. */
export async function gallery(resultsFile: string, data: ResultsData, query: RowsQuery, req: GalleryRequest): Promise<Gallery> {
  const component = (COMPONENTS as readonly string[]).includes(req.component) ? req.component : 's';
  const k = Math.max(1, Math.min(MAX_GALLERY_K, Math.floor(Number(req.k) || 12)));
  const classes = RowsQuery.classesOf(req.classes, data.meta.run.classNames.length);
  const rows = query.rows({ sort: component, desc: true, classes: classes ? [...classes] : undefined });
  const n = rows.length;
  const thumb = async (row: number): Promise<GalleryThumb> => ({
    row,
    sample_id: data.sampleIds[row],
    className: data.meta.run.classNames[data.labels[row]] ?? String(data.labels[row]),
    value: data.columns[component][row],
    images: await thumbnails(resultsFile, data, row),
  });
  const top: GalleryThumb[] = [];
  const bottom: GalleryThumb[] = [];
  for (let i = 0; i < Math.min(k, n); i++) top.push(await thumb(rows[i]));
  // the lowest first; a sample already among the top is not shown twice (n < 2k)
  for (let i = n - 1; i >= Math.max(Math.min(k, n), n - k); i--) bottom.push(await thumb(rows[i]));
  return { request: { component, k, classes: classes ? [...classes] : undefined }, n, top, bottom };
}
