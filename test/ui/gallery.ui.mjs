// Playwright tests of the results panel's Gallery tab and the samples table's hover thumbnails (image
// runs, the README's "In VS Code" section), in a real VS Code workbench (code-server): the top and
// bottom k samples of a component are exactly those of the results file, both modalities' images
// load, the component, k and class choices re-ask the host, a click reveals the sample in the
// samples table, and resting on a sample_id shows its images. Screenshots in three themes and at half
// width. Run by scripts/test-all.mjs through test/harness/run-ui-tests.mjs.
import assert from 'node:assert/strict';
import path from 'node:path';
import { createRequire } from 'node:module';
import { THEMES } from '../harness/lib.mjs';
import { assertNoSidewaysScroll, expectTheme, openResultsFromPalette, parseShown, pickClasses, splitBesideReadme } from './common.mjs';

const require = createRequire(import.meta.url);
const { readResults } = require('../../out/src/engine/io/results.js');

export const viewport = { width: 1440, height: 900 };

const THUMBS = (id) => `#${id} button.thumb`;

/** The rows a component ranks first and last in the results file (ties by row, as the panel sorts). */
function expected(data, component, k, classes) {
  const v = data.columns[component];
  const rows = [...v.keys()].filter((i) => !classes || classes.includes(data.labels[i]));
  rows.sort((a, b) => v[b] - v[a] || a - b);
  return { top: rows.slice(0, k), bottom: rows.slice(-k).reverse(), n: rows.length };
}

/** The shown thumbnails: row, caption value, and whether every image decoded. */
const shown = (frame, id) =>
  frame.locator(THUMBS(id)).evaluateAll((bs) => bs.map((b) => ({
    row: Number(b.dataset.row),
    value: b.querySelector('.thumb-value').textContent,
    images: [...b.querySelectorAll('img')].map((img) => ({ ok: img.complete && img.naturalWidth > 0, natural: img.naturalWidth, width: img.getBoundingClientRect().width })),
  })));

async function openGallery(ctx, frame) {
  await frame.locator('#tab-gallery').click();
  await frame.locator(THUMBS('gallery-top')).first().waitFor({ timeout: 30_000 });
  // the images are data: URIs; wait until they have decoded
  await frame.locator('#gallery-body img').last().evaluate((img) => img.decode().catch(() => undefined));
}

async function checkGrid(frame, data, component, k, classes) {
  const want = expected(data, component, k, classes);
  for (const [id, rows] of [['gallery-top', want.top], ['gallery-bottom', want.bottom]]) {
    const got = await shown(frame, id);
    assert.deepEqual(got.map((t) => t.row), rows, `${id} (${component}, k ${k}) lists the results file's ${id.endsWith('top') ? 'highest' : 'lowest'} rows`);
    for (const [j, t] of got.entries()) {
      assert.ok(Math.abs(parseShown(t.value.replace(`${component} `, '')) - data.columns[component][rows[j]]) < 6e-5, `${id} #${j}: ${t.value} is the sample's ${component}`);
      assert.equal(t.images.length, 2, `${id} #${j} shows both modalities' images`);
      for (const img of t.images) {
        assert.ok(img.ok, `${id} #${j}: an image did not load`);
        // a 28×14 half image is drawn scaled up (square pixels), never at 1×
        assert.ok(img.width >= 3 * img.natural, `${id} #${j}: image drawn ${img.width} px wide for ${img.natural} px`);
      }
    }
  }
  return want;
}

const themed = (label, theme) => ({
  name: `Gallery (${label}): the top and bottom samples of a component with both images, k and classes, a click reveals the sample`,
  theme,
  timeout: 180_000,
  fn: async (ctx) => {
    await expectTheme(ctx.page, theme);
    const data = await readResults(path.join(ctx.workspace, 'fashion-mnist', 'fmnist-late-fusion.lsmi.arrow'));
    const frame = await openResultsFromPalette(ctx, 'fmnist-late-fusion');
    await openGallery(ctx, frame);
    await frame.locator('#gallery-top-h', { hasText: 'Highest synergy (s)' }).waitFor();
    await checkGrid(frame, data, 's', 12);
    await frame.locator('#gallery-foot', { hasText: `${data.sampleIds.length.toLocaleString('en-US')} samples` }).waitFor();
    await ctx.shot(`gallery-s-${label}`);
    if (label !== 'dark') return;
    // another component and fewer per end: the host is asked again
    await frame.locator('#gallery-u1').click();
    await frame.locator('#gallery-top-h', { hasText: '(u1)' }).waitFor({ timeout: 15_000 });
    await frame.locator('#gallery-k-8').click();
    await frame.locator(THUMBS('gallery-top')).nth(8).waitFor({ state: 'detached', timeout: 15_000 });
    await checkGrid(frame, data, 'u1', 8);
    // one class: every thumbnail of that class, the count says so
    const bag = data.meta.run.classNames.indexOf('Bag');
    assert.ok(bag >= 0, 'Fashion-MNIST has a Bag class');
    await pickClasses(frame, '#gallery-class', ['Bag']);
    await frame.locator('#gallery-foot', { hasText: 'in the chosen classes' }).waitFor({ timeout: 15_000 });
    const want = await checkGrid(frame, data, 'u1', 8, [bag]);
    await frame.locator('#gallery-foot', { hasText: `${want.n} samples in the chosen classes` }).waitFor();
    await ctx.shot('gallery-u1-bag-dark');
    // a click reveals the sample in the samples table, expanded
    const row = want.bottom[2];
    await frame.locator(`#gallery-bottom button.thumb[data-row="${row}"]`).click();
    await frame.locator(`#sample-detail[data-row="${row}"]`).waitFor({ timeout: 20_000 });
    assert.equal(await frame.locator('#tab-samples').getAttribute('aria-selected'), 'true', 'the Samples tab is shown');
    ctx.errors.assertNone({ webviewOnly: true });
  },
});

export const tests = [
  themed('dark', THEMES.dark),
  themed('light', THEMES.light),
  themed('high-contrast', THEMES.hc),
  {
    name: 'Gallery at about 550 px: the grid wraps without sideways scroll; a sample_id in the samples table shows its images on hover',
    theme: THEMES.dark,
    timeout: 180_000,
    fn: async (ctx) => {
      await splitBesideReadme(ctx);
      const data = await readResults(path.join(ctx.workspace, 'fashion-mnist', 'fmnist-late-fusion.lsmi.arrow'));
      const frame = await openResultsFromPalette(ctx, 'fmnist-late-fusion');
      await openGallery(ctx, frame);
      await checkGrid(frame, data, 's', 12);
      await assertNoSidewaysScroll(frame, 'gallery');
      await ctx.shot('gallery-half-dark');
      // hover thumbnails in the samples table
      await frame.locator('#tab-samples').click();
      const cell = frame.locator('#samples tbody tr.vrow:not(.loading) .id-hover').nth(3);
      await cell.waitFor({ timeout: 30_000 });
      const tip = frame.locator('#hover-thumb');
      assert.ok(await tip.isHidden(), 'no thumbnail before hovering');
      await cell.hover();
      await tip.waitFor({ state: 'visible', timeout: 10_000 });
      const imgs = await tip.locator('img').evaluateAll((is) => is.map((i) => i.naturalWidth > 0));
      assert.deepEqual(imgs, [true, true], 'the hover thumbnail shows both images');
      await ctx.shot('gallery-hover-thumb-dark');
      await frame.locator('#samples thead th').first().hover();
      await tip.waitFor({ state: 'hidden', timeout: 5_000 });
      ctx.errors.assertNone({ webviewOnly: true });
    },
  },
];
