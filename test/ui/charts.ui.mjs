// Playwright tests of the charts in a real VS Code workbench (code-server): the results panel's
// histograms (counts, count axis, log scale, brushing that filters the samples table, keyboard),
// the sample detail's waterfall and the RUS-adjustment note, and Compare Runs' scatter (axis
// titles, tooltips, a dragged box that filters the movers) and Δ histograms. Both Fashion-MNIST
// runs are estimated by the CLI first. Screenshots in dark, light, high contrast and at half width.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { THEMES } from '../harness/lib.mjs';
import { assertNoSidewaysScroll, compareFromPalette, expectTheme, fixed, openResultsFromPalette, parseShown, splitBesideReadme } from './common.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { readResults } = createRequire(import.meta.url)('../../out/src/engine/io/results.js');
const RUN = 'fmnist-late-fusion';
const PANEL = `LSMI Results: ${RUN}`;

/** Both example runs estimated with the CLI (the results panel and Compare read the files). */
function estimate(workspace) {
  for (const run of ['fmnist-late-fusion', 'fmnist-early-fusion']) {
    const out = path.join(workspace, 'fashion-mnist', `${run}.lsmi.arrow`);
    if (!fs.existsSync(out)) execFileSync(process.execPath, [path.join(ROOT, 'bin', 'lsmi.js'), 'estimate', path.join(workspace, 'fashion-mnist', `${run}.arrow`)], { stdio: 'pipe' });
  }
}

async function openResults(ctx) {
  estimate(ctx.workspace);
  await ctx.runCommand('View: Close All Editors');
  const frame = await openResultsFromPalette(ctx, RUN);
  await frame.locator('#hist-u1 svg rect.bin').first().waitFor({ timeout: 60_000 });
  return frame;
}

/** The bars of a histogram: slot, count and value range as the DOM carries them. */
const bars = (frame, id) =>
  frame.locator(`#${id} rect.bin`).evaluateAll((rs) => rs.map((r) => ({ bin: Number(r.dataset.bin), count: Number(r.dataset.count), height: Number(r.getAttribute('height')) })));

/** Drags across a histogram from the middle of slot `from` to the middle of slot `to` (page coordinates). */
async function dragBins(ctx, frame, id, from, to) {
  await frame.locator(`#${id} svg`).scrollIntoViewIfNeeded();
  const a = await frame.locator(`#${id} rect.bin-hit[data-bin="${from}"]`).boundingBox();
  const b = await frame.locator(`#${id} rect.bin-hit[data-bin="${to}"]`).boundingBox();
  await ctx.page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await ctx.page.mouse.down();
  await ctx.page.mouse.move((a.x + b.x) / 2 + a.width / 2, a.y + a.height / 2, { steps: 4 });
  await ctx.page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 4 });
  await ctx.page.mouse.up();
}

const count = (n) => `${n.toLocaleString('en-US')} of 2,000`;
const ROWS = '#samples tbody tr.vrow:not(.loading)';

const brushing = {
  name: 'brushing a histogram filters the samples table to exactly the bins\' counts; the chip and Escape clear it; keyboard too',
  timeout: 180_000,
  fn: async (ctx) => {
    await expectTheme(ctx.page, THEMES.dark);
    const frame = await openResults(ctx);
    // counts and a count axis: every bar carries its count, the axis its ticks and title
    const s = await bars(frame, 'hist-s');
    const n = Number(await frame.locator('#hist-s').getAttribute('data-n'));
    assert.equal(n, 2000);
    assert.equal(s.reduce((t, b) => t + b.count, 0), 2000, 'the bars (with the outlier bars) hold every sample');
    assert.ok((await frame.locator('#hist-s text.hist-tick').count()) >= 5, 'count and value ticks');
    assert.match(await frame.locator('#hist-s .hist-axis-title').first().textContent(), /^samples$/);
    assert.match(await frame.locator('#hist-s-note').textContent(), /outliers|Every sample/);
    // drag across six bins of s
    const from = 11;
    const to = 16;
    const expected = s.filter((b) => b.bin >= from && b.bin <= to).reduce((t, b) => t + b.count, 0);
    assert.ok(expected > 0 && expected < 2000);
    await dragBins(ctx, frame, 'hist-s', from, to);
    await frame.locator('#tab-samples[aria-selected="true"]').waitFor();
    await frame.locator('#chip-range').waitFor();
    await frame.locator('#count', { hasText: new RegExp(`^${count(expected)}`) }).waitFor({ timeout: 15_000 });
    // the same count straight from the results file, with the range the brush selected (lo ≤ s < hi)
    const edges = await frame.locator('#hist-s rect.bin-hit').evaluateAll((rs) => rs.map((r) => [Number(r.dataset.bin), Number(r.dataset.lo), Number(r.dataset.hi)]));
    const edgeOf = Object.fromEntries(edges.map(([k, a, b]) => [k, [a, b]]));
    const { columns } = await readResults(path.join(ctx.workspace, 'fashion-mnist', `${RUN}.lsmi.arrow`));
    const inFile = columns.s.filter((x) => x >= edgeOf[from][0] && x < edgeOf[to][1]).length;
    assert.equal(inFile, expected, 'the bins count exactly the samples in their range');
    // every listed row lies in the range
    const sCol = await frame.locator('#samples thead th').evaluateAll((ths) => ths.findIndex((th) => th.textContent.trim().replace(/[▲▼]/g, '').trim() === 's'));
    const vals = await frame.locator(ROWS).evaluateAll((rows, k) => rows.map((r) => Number(r.children[k].textContent.replace(/\u2212/g, "-"))), sCol);
    assert.ok(vals.length > 0 && vals.every((x) => x >= edgeOf[from][0] - 5e-4 && x < edgeOf[to][1] + 5e-4), vals.join(','));
    await ctx.shot('charts-brushed-table-dark');
    // back on the overview the selection is drawn, with its clear button
    await frame.locator('#tab-overview').click();
    await frame.locator('#hist-s rect.hist-brush').waitFor();
    assert.equal(await frame.locator('#hist-s-clear').isVisible(), true);
    await frame.locator('#hist-s').scrollIntoViewIfNeeded();
    await ctx.shot('charts-brushed-hist-dark');
    // clearing from the chip restores every sample and removes the drawn selection
    await frame.locator('#tab-samples').click();
    await frame.locator('#chip-range').click();
    await frame.locator('#count', { hasText: /^2,000 samples$/ }).waitFor();
    await frame.locator('#tab-overview').click();
    assert.equal(await frame.locator('#hist-s rect.hist-brush').count(), 0);
    // the keyboard: focus u2's chart, End, Shift+Left twice, Enter: the last three slots
    const u2 = await bars(frame, 'hist-u2');
    const last3 = u2.slice(-3).reduce((t, b) => t + b.count, 0);
    await frame.locator('#hist-u2 svg').focus();
    await frame.locator('#hist-u2 svg').press('End');
    await frame.locator('#hist-u2 svg').press('Shift+ArrowLeft');
    await frame.locator('#hist-u2 svg').press('Shift+ArrowLeft');
    assert.match(await frame.locator('#hist-u2-status').textContent(), new RegExp(`${last3.toLocaleString('en-US')} samples?; Enter lists them`));
    await frame.locator('#hist-u2 svg').press('Enter');
    await frame.locator('#count', { hasText: new RegExp(`^${count(last3)}`) }).waitFor({ timeout: 15_000 });
    // Escape on the chart clears it
    await frame.locator('#tab-overview').click();
    await frame.locator('#hist-u2 svg').focus();
    await frame.locator('#hist-u2 svg').press('Escape');
    await frame.locator('#tab-samples').click();
    await frame.locator('#count', { hasText: /^2,000 samples$/ }).waitFor();
    ctx.errors.assertNone({ webviewOnly: true });
  },
};

const logScale = {
  name: 'the log-scale toggle redraws the count axis (small bins grow, counts unchanged) and is remembered',
  timeout: 120_000,
  fn: async (ctx) => {
    const frame = await ctx.webview({ title: PANEL });
    await frame.locator('#tab-overview').click();
    const before = await bars(frame, 'hist-u1');
    assert.equal(await frame.locator('#hist-u1 svg').getAttribute('data-scale'), 'linear');
    await frame.locator('#hist-log').click();
    assert.equal(await frame.locator('#hist-log').getAttribute('aria-pressed'), 'true');
    for (const c of ['r', 'u1', 'u2', 's']) await frame.locator(`#hist-${c} svg[data-scale="log"]`).waitFor();
    const after = await bars(frame, 'hist-u1');
    assert.deepEqual(after.map((b) => b.count), before.map((b) => b.count), 'the counts are the same');
    // the spike (the RUS adjustment's structural zeros) stays the tallest; a bin of a few samples grows
    const tallest = before.reduce((m, b) => (b.count > m.count ? b : m));
    const small = before.find((b) => b.count > 0 && b.count < tallest.count / 50);
    assert.ok(small, 'a small bin');
    const smallAfter = after.find((b) => b.bin === small.bin);
    assert.ok(smallAfter.height > 3 * small.height, `log: ${small.height} → ${smallAfter.height}`);
    assert.equal(after.find((b) => b.bin === tallest.bin).height, tallest.height, 'the tallest bin keeps its height');
    assert.match(await frame.locator('#hist-u1 .hist-axis-title').first().textContent(), /samples \(log\)/);
    // the shift explained where it shows
    const note = await frame.locator('#shift-explain').textContent();
    assert.match(note, /^[\d,]+ samples \(\d+ %\) have u1 = 0\.0426.*the RUS adjustment moves every sample by the same amount/);
    assert.equal(await frame.locator('#hist-u1 line.hist-ref').count(), 1, 'the shift marked on u1');
    await frame.locator('#hist-h').scrollIntoViewIfNeeded();
    await ctx.shot('charts-log-dark');
    // remembered across a reload of the webview
    await ctx.runCommand('Developer: Reload Webviews');
    const again = await ctx.webview({ title: PANEL });
    await again.locator('#hist-u1 svg[data-scale="log"]').waitFor({ timeout: 30_000 });
    await again.locator('#hist-log').click();
    await again.locator('#hist-u1 svg[data-scale="linear"]').waitFor();
    ctx.errors.assertNone({ webviewOnly: true });
  },
};

/** A sample whose u1 is only the adjustment's shift, and one with a negative step: expanded, its waterfall legible. */
const waterfall = {
  name: 'the waterfall labels every step and total (i1, i2, i12), a negative value left of its bar; the shift is explained in the detail',
  timeout: 120_000,
  fn: async (ctx) => {
    const frame = await ctx.webview({ title: PANEL });
    await frame.locator('#tab-samples').click();
    // the most synergistic sample first; find one with u1 at the shift (raw u1 = 0) and a negative step
    const data = await readResults(path.join(ctx.workspace, 'fashion-mnist', `${RUN}.lsmi.arrow`));
    const c = data.columns;
    let pick = -1;
    for (let i = 0; i < c.s.length && pick < 0; i++) if (Math.abs(c.u1_raw[i]) <= 1e-9 && (c.u2[i] < -0.05 || c.s[i] < -0.05)) pick = i;
    assert.ok(pick >= 0, 'a sample at the shift with a negative step');
    await frame.locator('#search input').fill(data.sampleIds[pick]);
    await frame.locator('#count', { hasText: /^1 of 2,000/ }).waitFor({ timeout: 15_000 });
    await frame.locator(ROWS).first().click();
    const wf = frame.locator('#sample-detail .waterfall');
    await wf.waitFor({ timeout: 15_000 });
    const rows = await wf.locator('g.wf-row').evaluateAll((gs) => gs.map((g) => {
      const svg = g.ownerSVGElement.getBoundingClientRect();
      const [label, value] = g.querySelectorAll('text');
      const bar = g.querySelector('rect').getBoundingClientRect();
      const v = value.getBoundingClientRect();
      return { row: g.dataset.row, label: label.textContent, value: value.textContent, neg: value.classList.contains('negative'), vLeft: v.left, vRight: v.right, barLeft: bar.left, barRight: bar.right, inside: v.left >= svg.left - 0.5 && v.right <= svg.right + 0.5 };
    }));
    assert.deepEqual(rows.map((r) => r.row), ['r', 'u1', 'u2', 's', 'i1', 'i2', 'i12']);
    assert.ok(rows.every((r) => r.inside), `every value label inside the chart: ${JSON.stringify(rows)}`);
    assert.ok(rows.every((r) => r.value.length > 0));
    for (const r of rows) {
      if (r.neg) assert.ok(r.vRight <= r.barLeft + 0.5, `${r.row}: a negative value left of its bar`);
      else assert.ok(r.vLeft >= r.barRight - 0.5, `${r.row}: a value right of its bar`);
    }
    assert.ok(rows.some((r) => r.neg), 'this sample has a negative step');
    assert.equal(parseShown(rows[5].value), Number(c.i2[pick].toFixed(4)), 'i2 labelled with its value');
    assert.match(await frame.locator('#shift-note').textContent(), /u1 = 0\.0426 is only the RUS adjustment's shift/);
    assert.equal(await frame.locator('#sample-detail rect.bin.mark').count(), 4, 'the sample marked in all four distributions');
    await frame.locator('#sample-detail').scrollIntoViewIfNeeded();
    await ctx.shot('charts-waterfall-dark');
    await frame.locator('#search input').fill('');
    ctx.errors.assertNone({ webviewOnly: true });
  },
};

/** Palette → LSMI: Compare Runs → both Fashion-MNIST runs (in the active editor group). */
async function openCompare(ctx, { close = true } = {}) {
  if (close) await ctx.runCommand('View: Close All Editors');
  const frame = await compareFromPalette(ctx);
  await frame.locator('#scatter svg circle').nth(100).waitFor({ timeout: 60_000 });
  return frame;
}

const moversCount = async (frame) => Number((/^([\d,]+) samples ranked/.exec(await frame.locator('#movers-count').textContent()) ?? [])[1]?.replace(/,/g, ''));

const scatter = {
  name: 'Compare: the scatter has axis titles and tooltips; a dragged box and a brushed Δ range filter the movers',
  timeout: 180_000,
  fn: async (ctx) => {
    estimate(ctx.workspace);
    const frame = await openCompare(ctx);
    // x: the baseline (the first run picked, fmnist-early-fusion), y: the run compared with it
    assert.equal(await frame.locator('#scatter-x-title').textContent(), 's in fmnist-early-fusion (nats)');
    assert.equal(await frame.locator('#scatter-y-title').textContent(), 's in fmnist-late-fusion (nats)');
    assert.ok((await frame.locator('#scatter svg text.tick').count()) >= 6, 'ticks on both axes');
    // a tooltip on the point under the pointer: its sample id, both values and Δ
    await frame.locator('#scatter').scrollIntoViewIfNeeded();
    const dot = frame.locator('#scatter .dots circle').nth(7);
    const [cx, cy] = await dot.evaluate((c) => [Number(c.getAttribute('cx')), Number(c.getAttribute('cy'))]);
    const svgBox = await frame.locator('#scatter svg.scatter').boundingBox();
    const vb = await frame.locator('#scatter svg.scatter').evaluate((s) => [s.viewBox.baseVal.width, s.viewBox.baseVal.height]);
    const toPage = (x, y) => [svgBox.x + (x / vb[0]) * svgBox.width, svgBox.y + (y / vb[1]) * svgBox.height];
    await ctx.page.mouse.move(...toPage(cx, cy));
    const tip = frame.locator('#scatter g.scatter-tip[visibility="visible"]');
    await tip.waitFor({ timeout: 5_000 });
    const tipText = await tip.locator('text').allTextContents();
    const id = /^(fmnist-test-\d{5}) \((.+)\)$/.exec(tipText[0]);
    assert.ok(id, tipText[0]);
    // the values are the sample's s in each results file
    const early = await readResults(path.join(ctx.workspace, 'fashion-mnist', 'fmnist-early-fusion.lsmi.arrow'));
    const late = await readResults(path.join(ctx.workspace, 'fashion-mnist', `${RUN}.lsmi.arrow`));
    const sOf = (d) => fixed(d.columns.s[d.sampleIds.indexOf(id[1])]);
    assert.equal(tipText[1], `x fmnist-early-fusion: ${sOf(early)}`);
    assert.equal(tipText[2], `y fmnist-late-fusion: ${sOf(late)}`);
    assert.match(tipText[3], /^Δs = y − x: [+−]?\d\.\d{4}$/);
    // the tooltip stays inside the chart
    const tipInside = await tip.evaluate((g) => {
      const b = g.getBoundingClientRect();
      const s = g.ownerSVGElement.getBoundingClientRect();
      return b.left >= s.left - 0.5 && b.right <= s.right + 0.5 && b.top >= s.top - 0.5 && b.bottom <= s.bottom + 0.5;
    });
    assert.ok(tipInside, "the tooltip is not clipped");
    await ctx.shot('charts-scatter-tooltip-dark');
    // drag a box over the middle of the plot: the movers are the samples inside it (every sample is a point here)
    const [x0, y0] = toPage(90, 90);
    const [x1, y1] = toPage(260, 260);
    await ctx.page.mouse.move(x0, y0);
    await ctx.page.mouse.down();
    await ctx.page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, { steps: 5 });
    await ctx.page.mouse.move(x1, y1, { steps: 5 });
    await ctx.page.mouse.up();
    await frame.locator('#chip-brush').waitFor();
    const inside = Number(/: ([\d,]+) samples/.exec(await frame.locator('#scatter-status').textContent())[1].replace(/,/g, ''));
    assert.ok(inside > 0 && inside < 2000, `${inside} inside`);
    await frame.locator('#movers-count', { hasText: new RegExp(`^${inside.toLocaleString('en-US')} samples ranked`) }).waitFor({ timeout: 15_000 });
    await frame.locator('#scatter').scrollIntoViewIfNeeded();
    await ctx.shot('charts-scatter-box-dark');
    // a brushed Δs range replaces the box; the movers are its samples
    const ds = await bars(frame, 'delta-s');
    const mid = Math.floor(ds.filter((b) => b.bin >= 0 && b.bin < 1000).length / 2);
    const want = ds.filter((b) => b.bin >= mid - 2 && b.bin <= mid + 2).reduce((t, b) => t + b.count, 0);
    await dragBins(ctx, frame, 'delta-s', mid - 2, mid + 2);
    await frame.locator('#chip-brush', { hasText: 'Δs' }).waitFor();
    await frame.locator('#movers-count', { hasText: new RegExp(`^${want.toLocaleString('en-US')} samples ranked`) }).waitFor({ timeout: 15_000 });
    assert.equal(await frame.locator('#scatter svg rect.scatter-box-sel').getAttribute('visibility'), 'hidden', 'the box is dropped');
    await frame.locator('#delta-h').scrollIntoViewIfNeeded();
    await ctx.shot('charts-delta-brushed-dark');
    await frame.locator('#chip-brush').click();
    for (let i = 0; i < 50 && (await moversCount(frame)) !== 2000; i++) await ctx.page.waitForTimeout(200);
    assert.equal(await moversCount(frame), 2000);
    ctx.errors.assertNone({ webviewOnly: true });
  },
};

const halfWidth = {
  name: 'at half the editor width: the histograms, the waterfall and the scatter fit',
  timeout: 180_000,
  fn: async (ctx) => {
    await splitBesideReadme(ctx);
    const frame = await openResultsFromPalette(ctx, RUN);
    await frame.locator('#hist-u1 svg rect.bin').first().waitFor({ timeout: 60_000 });
    await assertNoSidewaysScroll(frame, 'results overview');
    await frame.locator('#hist-h').scrollIntoViewIfNeeded();
    await ctx.shot('charts-hists-dark-half');
    await frame.locator('#tab-samples').click();
    await frame.locator(ROWS).first().click();
    await frame.locator('#sample-detail .waterfall').waitFor({ timeout: 15_000 });
    await frame.locator('#sample-detail .waterfall').scrollIntoViewIfNeeded();
    await assertNoSidewaysScroll(frame, 'results samples');
    await ctx.shot('charts-waterfall-dark-half');
    await splitBesideReadme(ctx);
    const cmp = await openCompare(ctx, { close: false });
    await assertNoSidewaysScroll(cmp, 'compare');
    await cmp.locator('#delta-h').scrollIntoViewIfNeeded();
    await ctx.shot('charts-compare-dark-half');
    ctx.errors.assertNone({ webviewOnly: true });
  },
};

/** The same charts in another theme: drawn, labelled, a screenshot of each. */
const themed = (label, theme) => ({
  name: `the charts in the ${label} theme`,
  theme,
  timeout: 180_000,
  fn: async (ctx) => {
    await expectTheme(ctx.page, theme);
    const frame = await openResults(ctx);
    await frame.locator('#hist-log').click();
    await frame.locator('#hist-u1 svg[data-scale="log"]').waitFor();
    await frame.locator('#hist-h').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await ctx.shot(`charts-hists-${label}`);
    await frame.locator('#hist-log').click();
    await frame.locator('#tab-samples').click();
    await frame.locator(ROWS).first().click();
    await frame.locator('#sample-detail .waterfall').waitFor({ timeout: 15_000 });
    await ctx.shot(`charts-waterfall-${label}`);
    const cmp = await openCompare(ctx);
    await cmp.locator('#delta-h').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await ctx.shot(`charts-compare-deltas-${label}`);
    await cmp.locator('#scatter-h').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await ctx.shot(`charts-compare-scatter-${label}`);
    ctx.errors.assertNone({ webviewOnly: true });
  },
});

export const tests = process.env.DARK_ONLY
  ? [brushing, logScale, waterfall, scatter, halfWidth]
  : [brushing, logScale, waterfall, scatter, halfWidth, themed('light', THEMES.light), themed('high-contrast', THEMES.hc)];
