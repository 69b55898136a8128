/**
 * The results panel's Gallery tab (image runs): the top and bottom k samples of a component, as
 * thumbnails of both modalities' images (optionally of some classes), and the hover thumbnail of a
 * sample_id in the samples table. The host sends the images (gallery.ts in the extension folder).
 */
import type { Gallery, GalleryRequest, GalleryThumb, ResultsOverview } from '../../src/protocol/messages';
import { ATOMS } from '../shared/charts';
import { classFilter } from '../shared/elements';
import { fmt, formatCount, h } from '../shared/vscode';

type Component = GalleryRequest['component'];
const K_CHOICES = [8, 12, 24];

export interface GalleryOptions {
  initial: { component?: Component; k?: number; classes?: number[] };
  request(req: GalleryRequest): void;
  save(req: GalleryRequest): void;
  /** Reveal a sample in the samples table. */
  show(row: number): void;
}

/** The tab's content and a render function for the host's answer. */
export function galleryView(o: ResultsOverview, opts: GalleryOptions): { nodes: Node[]; render(g: Gallery): void; refresh(): void } {
  let req: GalleryRequest = { component: opts.initial.component ?? 's', k: opts.initial.k ?? 12, classes: opts.initial.classes };
  const body = h('div', { id: 'gallery-body', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading thumbnails…'));
  const ask = () => {
    opts.save(req);
    opts.request(req);
  };
  const compButtons = ATOMS.map((a) => {
    const b = h('button', { type: 'button', class: 'chip-toggle', id: `gallery-${a.col}`, 'aria-pressed': String(req.component === a.col), title: `The samples with the highest and lowest ${a.name.toLowerCase()}` }, a.col);
    b.addEventListener('click', () => {
      req = { ...req, component: a.col as Component };
      for (const x of ATOMS) document.getElementById(`gallery-${x.col}`)?.setAttribute('aria-pressed', String(x.col === a.col));
      ask();
    });
    return b;
  });
  const kButtons = K_CHOICES.map((k) => {
    const b = h('button', { type: 'button', class: 'chip-toggle', id: `gallery-k-${k}`, 'aria-pressed': String(req.k === k), title: `${k} samples at each end` }, String(k));
    b.addEventListener('click', () => {
      req = { ...req, k };
      for (const x of K_CHOICES) document.getElementById(`gallery-k-${x}`)?.setAttribute('aria-pressed', String(x === k));
      ask();
    });
    return b;
  });
  const classes = classFilter('gallery-class', o.classNames, req.classes, (c) => {
    req = { ...req, classes: c };
    ask();
  });
  const grid = (thumbs: GalleryThumb[], id: string, label: string) =>
    h('ol', { class: 'thumb-grid', id, 'aria-label': label }, ...thumbs.map((t) => {
      const b = h('button', { type: 'button', class: 'thumb', 'data-row': t.row, title: `${t.sample_id} (${t.className}): ${req.component} ${fmt(t.value)}. Click to inspect it in the samples table.` },
        h('span', { class: 'thumb-images' }, ...t.images.map((src, k) => (src ? h('img', { src, alt: `${t.sample_id}, ${o.modalityNames[k]}` }) : h('span', { class: 'thumb-missing muted' }, 'no image')))),
        h('span', { class: 'thumb-caption' }, h('span', { class: 'mono' }, t.sample_id), h('span', { class: 'muted' }, t.className), h('span', { class: 'thumb-value' }, `${req.component} ${fmt(t.value)}`)));
      b.addEventListener('click', () => opts.show(t.row));
      return h('li', null, b);
    }));
  const render = (g: Gallery) => {
    req = g.request;
    const name = ATOMS.find((a) => a.col === g.request.component)?.name.toLowerCase() ?? g.request.component;
    body.replaceChildren(
      h('h2', { id: 'gallery-top-h' }, `Highest ${name} (${g.request.component})`),
      grid(g.top, 'gallery-top', `The ${g.top.length} samples with the highest ${g.request.component}`),
      h('h2', { id: 'gallery-bottom-h' }, `Lowest ${name} (${g.request.component})`),
      grid(g.bottom, 'gallery-bottom', `The ${g.bottom.length} samples with the lowest ${g.request.component}, the lowest first`),
      h('p', { class: 'muted small', id: 'gallery-foot' }, `${formatCount(g.n)} samples${g.request.classes?.length ? ' in the chosen classes' : ''}; images scaled with square pixels. Click a sample to inspect it.`),
    );
  };
  return {
    nodes: [
      h('div', { class: 'controls', role: 'group', 'aria-label': 'Gallery' },
        h('span', { class: 'muted' }, 'Component'), ...compButtons,
        h('span', { class: 'muted' }, 'per end'), ...kButtons,
        classes),
      body,
    ],
    render,
    refresh: ask,
  };
}

/** The floating thumbnail shown while the pointer rests on a sample_id (image runs). */
export class HoverThumb {
  private readonly tip = h('div', { class: 'hover-thumb', id: 'hover-thumb', role: 'tooltip', hidden: true });
  private readonly cache = new Map<number, (string | null)[]>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private over?: { row: number; el: HTMLElement };

  constructor(private readonly ask: (row: number) => void) {
    document.body.append(this.tip);
  }

  /** The sample_id cell's content: the id, with the hover behaviour. */
  cell(id: string, row: number): HTMLElement {
    const span = h('span', { class: 'id-hover' }, id);
    span.addEventListener('mouseenter', () => {
      this.over = { row, el: span };
      clearTimeout(this.timer);
      this.timer = setTimeout(() => (this.cache.has(row) ? this.show() : this.ask(row)), 250);
    });
    span.addEventListener('mouseleave', () => this.hide());
    return span;
  }

  /** The host's images of a row. */
  images(row: number, images: (string | null)[]): void {
    if (this.cache.size > 200) this.cache.delete(this.cache.keys().next().value as number);
    this.cache.set(row, images);
    if (this.over?.row === row) this.show();
  }

  private show(): void {
    const over = this.over;
    const images = over && this.cache.get(over.row);
    if (!over || !images || !over.el.isConnected || !images.some(Boolean)) return this.hide();
    this.tip.replaceChildren(...images.filter((s): s is string => !!s).map((src) => h('img', { src, alt: '' })));
    const r = over.el.getBoundingClientRect();
    this.tip.hidden = false;
    const below = r.bottom + 4 + this.tip.offsetHeight < window.innerHeight;
    this.tip.style.left = `${Math.max(4, Math.min(r.left, window.innerWidth - this.tip.offsetWidth - 4))}px`;
    this.tip.style.top = `${below ? r.bottom + 4 : Math.max(4, r.top - 4 - this.tip.offsetHeight)}px`;
  }

  hide(): void {
    clearTimeout(this.timer);
    this.over = undefined;
    this.tip.hidden = true;
  }
}
