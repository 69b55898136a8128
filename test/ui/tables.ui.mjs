// Playwright tests of the panels' tables in a narrow editor and with many classes, in a real VS Code workbench (code-server): the samples table at about 550 px (every column
// reachable, sample_id pinned, the expanded sample inside the box), the column chooser, the table's
// actions in reach, the class filter's type-ahead over 100 classes, and the Categories header that
// stays in view. Run by scripts/test-all.mjs through test/harness/run-ui-tests.mjs.
import assert from 'node:assert/strict';
import path from 'node:path';
import { createRequire } from 'node:module';
import { THEMES } from '../harness/lib.mjs';
import { assertNoSidewaysScroll, expectTheme, openResultsFromPalette, pickClasses, splitBesideReadme } from './common.mjs';

const require = createRequire(import.meta.url);
const { readResults, writeResults } = require('../../out/src/engine/io/results.js');

// a wider window than the default: half the editor is then about 550 px, the width users report
export const viewport = { width: 1440, height: 900 };

const ROWS = '#samples tbody tr.vrow:not(.loading)';
const VALUE_COLUMNS = ['r', 'u1', 'u2', 's', 'i1', 'i2', 'i12'];

/** Where each header cell of the samples table is, and the grid's box (frame coordinates). */
const headerBoxes = (frame) =>
  frame.locator('#samples').evaluate((grid) => {
    const box = grid.getBoundingClientRect();
    const ths = [...grid.querySelectorAll('thead th')].map((th) => {
      const r = th.getBoundingClientRect();
      return { name: th.textContent.replace(/[▲▼]/g, '').trim(), left: r.left, right: r.right, width: r.width, pinned: th.classList.contains('pin') };
    });
    return { box: { left: box.left, right: box.left + grid.clientWidth }, ths };
  });

/** The header cells fully in view: pinned ones inside the box, the others right of the pinned ones. */
function inView({ box, ths }) {
  const pinnedRight = Math.max(box.left, ...ths.filter((t) => t.pinned).map((t) => t.right));
  return ths.filter((t) => (t.pinned ? t.left >= box.left - 1 && t.right <= box.right + 1 : t.left >= pinnedRight - 1 && t.right <= box.right + 1)).map((t) => t.name);
}

/** A 20,000-sample run with 100 classes with long names (values and class statistics from the example, repeated). */
async function writeHundredClasses(workspace) {
  const base = await readResults(path.join(workspace, 'fashion-mnist', 'fmnist-late-fusion.lsmi.arrow'));
  const n = 20_000;
  const C = 100;
  const classNames = Array.from({ length: C }, (_, k) => (k === 42 ? 'Pseudacteon tricuspis (a phorid fly that parasitises fire ants)' : `category ${String(k).padStart(2, '0')} ${base.meta.run.classNames[k % 10]}`));
  const columns = {};
  for (const c of Object.keys(base.columns)) columns[c] = Float64Array.from({ length: n }, (_, i) => base.columns[c][i % base.columns[c].length] + (i % 7) * 1e-4);
  const perClass = classNames.map((_, k) => ({ ...base.meta.perClass[k % 10], n: n / C }));
  const meta = {
    ...base.meta,
    run: { ...base.meta.run, name: 'hundred-classes', n, nClasses: C, classNames },
    perClass,
    logPrior: classNames.map(() => Math.log(1 / C)),
  };
  const data = { meta, sampleIds: Array.from({ length: n }, (_, i) => `hc-${String(i).padStart(5, '0')}`), labels: Int32Array.from({ length: n }, (_, i) => i % C), columns };
  await writeResults(path.join(workspace, 'fashion-mnist', 'hundred-classes.lsmi.arrow'), data);
  return data;
}

const halfWidth = (label, theme) => ({
  name: `the samples table at about 550 px (${label}): every column reachable, sample_id pinned, the expanded sample in its box, actions in reach, a column chooser`,
  theme,
  timeout: 180_000,
  fn: async (ctx) => {
    await expectTheme(ctx.page, theme);
    await splitBesideReadme(ctx);
    const frame = await openResultsFromPalette(ctx, 'fmnist-late-fusion');
    await frame.locator('#tab-samples').click();
    await frame.locator(ROWS).nth(5).waitFor({ timeout: 30_000 });
    const width = await frame.locator('body').evaluate((b) => b.clientWidth);
    assert.ok(width >= 480 && width <= 620, `the panel is about 550 px wide (${width} px)`);
    await assertNoSidewaysScroll(frame, 'results samples');
    // at the start: sample_id is readable (not squeezed), and the table scrolls sideways in its box
    let at = await headerBoxes(frame);
    const id = at.ths.find((t) => t.name === 'sample_id');
    assert.ok(id && id.width >= 80, `sample_id is ${id?.width} px wide`);
    const seen = new Set(inView(at));
    const scroll = await frame.locator('#samples').evaluate((g) => ({ sw: g.scrollWidth, cw: g.clientWidth }));
    assert.ok(scroll.sw > scroll.cw, `the table is wider than its box and scrolls (${scroll.sw} > ${scroll.cw})`);
    // scrolling sideways step by step brings every column into view beside the pinned ones
    for (let x = 40; ; x += 40) {
      await frame.locator('#samples').evaluate((g, v) => (g.scrollLeft = v), x);
      await ctx.page.waitForTimeout(60);
      at = await headerBoxes(frame);
      for (const name of inView(at)) seen.add(name);
      if (x >= scroll.sw - scroll.cw) break;
    }
    // scrolled all the way: the last columns are in view, sample_id still is (pinned), beside them
    await frame.locator('#samples.scrolled-x').waitFor();
    await ctx.page.waitForTimeout(200);
    at = await headerBoxes(frame);
    for (const name of ['row', 'sample_id', 'class', ...VALUE_COLUMNS]) assert.ok(seen.has(name), `column ${name} can be scrolled into view (seen: ${[...seen].join(', ')})`);
    assert.ok(inView(at).includes('sample_id') && inView(at).includes('i12'), `sample_id and i12 side by side: ${inView(at).join(', ')}`);
    const firstId = await frame.locator(ROWS).first().locator('td').nth(1).evaluate((td) => {
      const g = td.closest('.vscroll').getBoundingClientRect();
      const r = td.getBoundingClientRect();
      return { text: td.textContent.trim(), inside: r.left >= g.left - 1 && r.right <= g.right + 1 };
    });
    assert.match(firstId.text, /^fmnist-test-\d{5}$/);
    assert.ok(firstId.inside, 'the first row\'s sample_id is in view while scrolled sideways');
    // the expanded sample fits the box, wherever the table is scrolled
    await frame.locator(ROWS).first().click();
    await frame.locator('#sample-detail[data-row]').waitFor({ timeout: 15_000 });
    await ctx.page.waitForTimeout(200);
    const detail = await frame.locator('#sample-detail').evaluate((d) => {
      const g = d.closest('.vscroll');
      const gr = g.getBoundingClientRect();
      const r = d.getBoundingClientRect();
      return { left: r.left - gr.left, right: gr.left + g.clientWidth - r.right };
    });
    assert.ok(detail.left >= -1 && detail.right >= -1, `the expanded sample is inside the table's box: ${JSON.stringify(detail)}`);
    // the table's actions are above it, in view without scrolling the panel
    const exportBox = await frame.locator('#export-csv').evaluate((b) => ({ bottom: b.getBoundingClientRect().bottom, h: window.innerHeight }));
    assert.ok(exportBox.bottom <= exportBox.h, `Export CSV is in view (${exportBox.bottom} ≤ ${exportBox.h})`);
    await ctx.shot(`tables-samples-half-${label}`);
    // the column chooser hides a column and shows it again (the header follows)
    await frame.locator('#samples').evaluate((g) => (g.scrollLeft = 0));
    const cells = await frame.locator(ROWS).first().locator('td').count();
    await frame.locator('#columns-button').click();
    await frame.locator('#column-chooser:not([hidden])').waitFor();
    await frame.locator('#column-i1').click();
    await frame.locator('#samples thead th[data-col="i1"]').waitFor({ state: 'detached', timeout: 10_000 });
    assert.equal(await frame.locator(ROWS).first().locator('td').count(), cells - 1, 'a column fewer in the rows too');
    await frame.locator('#column-i1').click();
    await frame.locator('#samples thead th[data-col="i1"]').waitFor({ timeout: 10_000 });
    await frame.locator('#columns-button').click();
    ctx.errors.assertNone({ webviewOnly: true });
  },
});

export const tests = [
  halfWidth('dark', THEMES.dark),
  {
    name: 'a 100-class run: the class filter finds classes as you type and takes several; long names never push the Categories off screen; its header stays in view',
    theme: THEMES.dark,
    timeout: 180_000,
    fn: async (ctx) => {
      const data = await writeHundredClasses(ctx.workspace);
      await ctx.runCommand('View: Close All Editors');
      const frame = await openResultsFromPalette(ctx, 'hundred-classes');
      await frame.locator('#tab-samples').click();
      await frame.locator('#count', { hasText: /^20,000 samples$/ }).waitFor({ timeout: 30_000 });
      await pickClasses(frame, '#class-filter', ['category 07', 'Pseudacteon']);
      await frame.locator('#count', { hasText: /^400 of 20,000 samples$/ }).waitFor({ timeout: 15_000 });
      await frame.locator('#chip-class', { hasText: 'classes category 07 Sneaker, Pseudacteon' }).waitFor();
      const classes = new Set(await frame.locator(ROWS).evaluateAll((rs) => rs.map((r) => r.children[2].textContent)));
      const want = new Set([data.meta.run.classNames[7], data.meta.run.classNames[42]]);
      assert.ok(classes.size > 0 && [...classes].every((c) => want.has(c)), `only the chosen classes are listed: ${[...classes].join(', ')}`);
      await ctx.shot('tables-class-filter-dark');
      await frame.locator('#chip-class').click();
      await frame.locator('#count', { hasText: /^20,000 samples$/ }).waitFor();
      // Categories: the ranked table scrolls in its box with its header in view; no column pushed off screen
      await frame.locator('#tab-categories').click();
      await frame.locator('#categories tbody tr').nth(99).waitFor({ timeout: 20_000 });
      const sideways = await frame.locator('body').evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(sideways <= 0, `long class names make the panel scroll sideways by ${sideways} px`);
      const box = frame.locator('#categories').locator('xpath=..');
      await box.evaluate((b) => (b.scrollTop = b.scrollHeight / 2));
      await ctx.page.waitForTimeout(200);
      const head = await box.evaluate((b) => ({ box: b.getBoundingClientRect().top, th: b.querySelector('thead th').getBoundingClientRect().top, scrolled: b.scrollTop }));
      assert.ok(head.scrolled > 100, `the table scrolled in its box (${head.scrolled} px)`);
      assert.ok(Math.abs(head.th - head.box) <= 2, `the header stays at the top of the box (${head.th} vs ${head.box})`);
      const lowest = await frame.locator('#table3 thead th').last().evaluate((th) => th.getBoundingClientRect().right <= document.documentElement.clientWidth + 1);
      assert.ok(lowest, 'the "lowest" column of the top-3 table is on screen');
      await ctx.shot('tables-categories-100-dark');
      ctx.errors.assertNone({ webviewOnly: true });
    },
  },
  halfWidth('light', THEMES.light),
  halfWidth('high-contrast', THEMES.hc),
];
