/** The expanded view of one sample: its files, the waterfall of its decomposition, its percentiles. */
import type { Histogram, SampleDetail, SampleFilePreview } from '../../src/protocol/messages';
import { waterfall } from './charts';
import { histogramChart } from './histogram';
import { formatNats, h } from './vscode';

export interface SampleViewContext {
  modalityNames: [string, string];
  histograms?: Partial<Record<'r' | 'u1' | 'u2' | 's', Histogram>>;
  open(row: number, which: 1 | 2): void;
  reveal(row: number, which: 1 | 2): void;
}

export function detailPlaceholder(sampleId: string): HTMLElement {
  return h('div', { class: 'detail-box', role: 'region', 'aria-label': `Sample ${sampleId}` }, h('p', { class: 'muted' }, `Loading sample ${sampleId}…`));
}

function ordinal(p: number): string {
  const n = Math.round(p);
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th';
  return `${n}${s}`;
}

function fileView(d: SampleDetail, f: SampleFilePreview, ctx: SampleViewContext): HTMLElement {
  const label = `${f.modality} (path_${f.which})`;
  let preview: Node;
  if (f.error) preview = h('p', { class: 'muted file-error', role: 'note' }, f.error.message);
  else if (f.kind === 'image' && f.dataUri) preview = h('img', { class: 'preview-img', src: f.dataUri, alt: `${f.modality} of sample ${d.sample_id}`, id: `preview-${f.which}` });
  else if (f.kind === 'audio' && f.dataUri) preview = h('audio', { controls: true, src: f.dataUri, 'aria-label': `${f.modality} of sample ${d.sample_id}`, id: `preview-${f.which}` });
  else preview = h('pre', { class: 'text-excerpt', id: `preview-${f.which}`, tabindex: 0, 'aria-label': `${f.modality} of sample ${d.sample_id}` }, (f.text ?? '') + (f.truncated ? '\n…' : ''));
  const actions = f.path
    ? h('div', { class: 'file-actions' },
        button(`Open`, `open-${f.which}`, () => ctx.open(d.row, f.which), `Open the ${f.modality} file of ${d.sample_id} in an editor`),
        button(`Reveal`, `reveal-${f.which}`, () => ctx.reveal(d.row, f.which), `Reveal the ${f.modality} file of ${d.sample_id} in the Explorer`, true))
    : null;
  return h('figure', { class: 'sample-file' },
    h('figcaption', null, h('strong', null, label), f.raw ? h('span', { class: 'mono muted small path-inline', title: f.path ?? f.raw }, ` ${f.raw}`) : null),
    preview,
    actions);
}

export function button(label: string, id: string | undefined, onClick: () => void, title?: string, secondary = false): HTMLElement {
  const b = h('vscode-button', { id, title, 'aria-label': title ?? label, secondary: secondary || undefined }, label);
  b.addEventListener('click', (e) => {
    e.stopPropagation();
    onClick();
  });
  return b;
}

export function sampleView(d: SampleDetail, ctx: SampleViewContext): HTMLElement {
  const v = d.values;
  const positions = (['r', 'u1', 'u2', 's'] as const).map((c) => {
    const hist = ctx.histograms?.[c];
    const text = `${c} ${formatNats(v[c])}: ${ordinal(d.percentiles[c])} percentile`;
    return hist
      ? h('div', { class: 'position' }, histogramChart(hist, { id: `pos-${c}`, colour: c, name: c, caption: text, mark: v[c], small: true }).el)
      : h('p', { class: 'position' }, text);
  });
  // u1 / u2 exactly the RUS adjustment's shift: the raw value was a structural 0 (docs/estimator.md)
  const shifted = (['u1', 'u2'] as const).filter((c) => Math.abs(v[`${c}_raw`]) <= 1e-9 && Math.abs(v[c]) > 1e-9);
  const shiftNote = shifted.length
    ? h('p', { class: 'muted small explain', id: 'shift-note' },
        `${shifted.map((c) => `${c} = ${formatNats(v[c])}`).join(' and ')} ${shifted.length > 1 ? 'are' : 'is'} only the RUS adjustment's shift: before it ${shifted.length > 1 ? 'both were' : `this sample's ${shifted[0]} was`} 0 (its modality adds nothing the other lacks, by how r is defined), and the adjustment moves every sample's u1 and u2 by the same amount so that no dataset component is negative.`)
    : null;
  return h('div', { class: 'detail-box', role: 'region', 'aria-label': `Sample ${d.sample_id}`, id: 'sample-detail', 'data-row': d.row },
    h('div', { class: 'detail-files' }, ...d.files.map((f) => fileView(d, f, ctx))),
    h('div', { class: 'detail-waterfall' },
      h('h3', null, 'Decomposition (nats)'),
      waterfall(v, ctx.modalityNames),
      shiftNote,
      h('p', { class: 'muted small' }, `${d.sample_id} · ${d.className}${d.split ? ` · ${d.split}` : ''} · raw r ${formatNats(v.r_raw)}, s ${formatNats(v.s_raw)}`),
      d.stability
        ? h('div', { class: 'small', id: 'sample-stability' },
            h('p', null, `± one standard deviation over ${d.stability.replicates + 1} fits (this estimate and ${d.stability.replicates} replicate${d.stability.replicates === 1 ? '' : 's'} with forked seeds):`),
            h('p', { class: 'sd-values' }, ...(['r', 'u1', 'u2', 's'] as const).flatMap((c, k) => [k ? ', ' : '', h('span', { class: 'nowrap', id: `sd-${c}` }, `${c} ${formatNats(v[c])} ± ${formatNats(d.stability!.sd[c])}`)])))
        : null),
    h('div', { class: 'detail-positions' }, h('h3', null, 'Where it stands'), ...positions));
}
