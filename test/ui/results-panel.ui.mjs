// Playwright tests of Estimate Interactions and the results panel in a real VS Code workbench (code-server).
// Run by scripts/test-all.mjs through test/harness/run-ui-tests.mjs on a throwaway copy of examples/.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { THEMES } from '../harness/lib.mjs';
import { assertNoSidewaysScroll, estimateFromPalette, expectTheme, fixed, openResultsFromPalette, parseShown, pickClasses, reloadWindowAndFind, seededValues, splitBesideReadme } from './common.mjs';

const PANEL = 'LSMI Results: fmnist-late-fusion';
const { readResults } = createRequire(import.meta.url)('../../out/src/engine/io/results.js');

async function checkOverview(ctx, frame) {
  assert.equal(await frame.locator('#run-name').textContent({ timeout: 60_000 }), 'fmnist-late-fusion');
  const value = async (k) => parseShown(await frame.locator(`#stat-${k} .stat-value`).textContent());
  // the README's numbers for this run with the default settings
  assert.ok(Math.abs((await value('R')) - 1.7075) < 0.02, `R = ${await value('R')}`);
  assert.ok(Math.abs((await value('U1')) - 0.0619) < 0.02);
  assert.ok(Math.abs((await value('U2')) - 0.0) < 0.02);
  assert.ok(Math.abs((await value('S')) - 0.1492) < 0.02);
  // the raw mean and the adjustment branch on hover, as the results file records them
  const { meta } = await readResults(path.join(ctx.workspace, 'fashion-mnist', 'fmnist-late-fusion.lsmi.arrow'));
  assert.equal(meta.dataset.branch, 'priority2');
  assert.match(await frame.locator('#stat-U2').getAttribute('title'), new RegExp(`raw ${fixed(meta.dataset.raw.U2, 4)} nats[\\s\\S]*priority 2`));
  assert.equal(await frame.locator('#composition .seg').count(), 3, 'R, U1 and S have a share; U2 is 0');
  // 30 bins each (far outliers, if any, in separate "<" / "≥" bars)
  for (const c of ['r', 'u1', 'u2', 's']) assert.equal(await frame.locator(`#hist-${c} rect.bin:not(.outlier)`).count(), 30);
  assert.match(await frame.locator('#settings').textContent(), /Gaussian mixture \(EM\), covariance auto, K auto/);
  const d = meta.density['1'];
  assert.match(await frame.locator('#density-1').textContent(), new RegExp(`top half: Gaussian mixture \\(EM\\), ${d.covariance} covariance, K = ${d.K}`));
  // every card carries its 95 % bootstrap interval, as the results file records it
  const iv = meta.dataset.intervals;
  assert.equal(iv.replicates, 1000);
  for (const k of ['R', 'U1', 'U2', 'S']) {
    assert.equal(await frame.locator(`#interval-${k}`).textContent(), `[${fixed(iv.adjusted[k].lo)}, ${fixed(iv.adjusted[k].hi)}]`);
    const title = await frame.locator(`#stat-${k}`).getAttribute('title');
    assert.ok(title.includes(`95 % bootstrap interval, 1,000 replicates, seed ${meta.settings.seed}: adjusted [${fixed(iv.adjusted[k].lo, 4)}, ${fixed(iv.adjusted[k].hi, 4)}], raw [${fixed(iv.raw[k].lo, 4)}, ${fixed(iv.raw[k].hi, 4)}]`), title);
  }
  const help = await frame.locator('#interval-help').textContent();
  assert.match(help, /^\[lo, hi\]: 95 % bootstrap interval, 1,000 replicates, seed 0 /);
  assert.match(help, /two values whose intervals overlap are not known to differ/);
  // one number format: no negative zero anywhere in the overview
  assert.doesNotMatch(await frame.locator('#panel-overview').textContent(), /[-−]0\.0+(?![0-9])/);
}

const ROWS = '#samples tbody tr.vrow:not(.loading)';
const cellValues = (frame, col) =>
  frame.locator(ROWS).evaluateAll((rows, k) => rows.map((r) => r.children[k].textContent), col).then((t) => t.map(parseShown));

async function columnIndex(frame, name) {
  return frame.locator('#samples thead th').evaluateAll((ths, n) => ths.findIndex((th) => th.textContent.trim().replace(/[▲▼]/g, '').trim() === n), name);
}

/** Picks an option of a vscode-single-select (its list lives in the element's shadow root). */
export async function choose(frame, select, text) {
  await frame.locator(select).click();
  await frame.locator(`${select} li[role="option"]`, { hasText: text }).first().click();
}

async function checkSamples(ctx, frame, label) {
  await frame.locator('#tab-samples').click();
  const rows = frame.locator(ROWS);
  await rows.nth(9).waitFor();
  await frame.locator('#count', { hasText: /^2,000 samples$/ }).waitFor();
  // virtualized: only the rows in view are in the DOM
  const inDom = await frame.locator('#samples tbody tr').count();
  assert.ok(inDom > 5 && inDom < 80, `${inDom} rows in the DOM for 2,000 samples`);
  assert.equal(await frame.locator('#samples').getAttribute('aria-rowcount'), '2001');
  // sort by u1, then by s (descending)
  await frame.locator('#sort-u1').click();
  await frame.locator('#samples th[data-col="u1"][aria-sort="descending"]').waitFor();
  const u1 = await columnIndex(frame, 'u1');
  await assertSorted(frame, u1);
  await frame.locator('#sort-s').click();
  await frame.locator('#samples th[data-col="s"][aria-sort="descending"]').waitFor();
  const s = await columnIndex(frame, 's');
  await rows.first().filter({ hasText: 'fmnist-test-01592' }).waitFor();
  await assertSorted(frame, s);
  // scroll to the end: the last sample is rendered with its row index
  await frame.locator('#samples').evaluate((el) => (el.scrollTop = el.scrollHeight));
  await frame.locator('#samples tr.vrow[aria-rowindex="2001"]:not(.loading)').waitFor();
  await frame.locator('#samples').evaluate((el) => (el.scrollTop = 0));
  await rows.first().filter({ hasText: 'fmnist-test-01592' }).waitFor();
  // the class filter (a vscode-multi-select with type-ahead)
  await pickClasses(frame, '#class-filter', ['Shirt']);
  await frame.locator('#count', { hasText: '197 of 2,000' }).waitFor();
  await frame.locator('#chip-class', { hasText: 'Shirt' }).waitFor();
  const classes = await rows.evaluateAll((rs) => rs.map((r) => r.children[2].textContent));
  assert.ok(classes.length > 0 && classes.every((c) => c === 'Shirt'), classes.join(','));
  await assertSorted(frame, s);
  // search by id (a vscode-textfield)
  await frame.locator('#search input').fill('0159');
  await frame.locator('#count', { hasText: /^[1-9] of 2,000/ }).waitFor();
  const ids = await rows.evaluateAll((rs) => rs.map((r) => r.children[1].textContent));
  assert.ok(ids.every((id) => id.includes('0159')), ids.join(','));
  await frame.locator('#search input').fill('');
  await frame.locator('#count', { hasText: '197 of 2,000' }).waitFor();
  await ctx.shot(`results-samples-${label}`);
  if (label === 'dark') {
    // export what the table lists (the 197 shirts, by s): the save dialog proposes lsmi-exports/
    await frame.locator('#export-csv').click();
    const input = ctx.page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 15_000 });
    // the simple file dialog fills in the folder first, then the proposed name
    await ctx.page.waitForFunction(() => /\.csv$/.test(document.querySelector('.quick-input-widget input')?.value ?? ''), null, { timeout: 10_000 }).catch(() => {});
    const target = await input.inputValue();
    assert.match(target, /fashion-mnist\/(lsmi-exports\/)?fmnist-late-fusion-samples\.csv$/);
    await ctx.page.keyboard.press('Enter');
    await ctx.page.locator('.notifications-toasts', { hasText: 'exported 197 samples (CSV)' }).waitFor({ timeout: 20_000 });
    const csv = fs.readFileSync(target, 'utf8').trim().split(/\r?\n/);
    assert.equal(csv.length, 198);
    const head = csv[0].split(',');
    // the first row as listed: the most synergistic shirt of the results file
    const { sampleIds, labels, columns } = await readResults(path.join(ctx.workspace, 'fashion-mnist', 'fmnist-late-fusion.lsmi.arrow'));
    let top = -1;
    for (let i = 0; i < labels.length; i++) if (labels[i] === 6 && (top < 0 || columns.s[i] > columns.s[top])) top = i;
    assert.equal(csv[1].split(',')[head.indexOf('sample_id')], sampleIds[top], 'the first row as listed: the most synergistic shirt');
    assert.ok(csv.slice(1).every((l) => l.split(',')[head.indexOf('label')] === '6'));
  }
  // removing the class chip shows every sample again
  await frame.locator('#chip-class').click();
  await frame.locator('#count', { hasText: /^2,000 samples$/ }).waitFor();
}

/** Top-k one click away, a histogram bin as a filter, a row expanded into its files. */
async function checkInspect(ctx, frame, label) {
  await frame.locator('#tab-overview').click();
  // the S card lists the most synergistic samples
  await frame.locator('#stat-S').click();
  await frame.locator('#tab-samples[aria-selected="true"]').waitFor();
  const rows = frame.locator(ROWS);
  await rows.first().filter({ hasText: 'fmnist-test-01592' }).waitFor();
  // expand the top row: both half-images are previewed beside the waterfall
  await rows.first().click();
  const detail = frame.locator('#sample-detail[data-row]');
  await detail.waitFor({ timeout: 15_000 });
  for (const which of [1, 2]) {
    const img = frame.locator(`#preview-${which}`);
    await img.waitFor();
    const w = await img.evaluate((el) => (el.complete ? el.naturalWidth : new Promise((r) => el.addEventListener('load', () => r(el.naturalWidth)))));
    assert.ok(w > 0, `preview ${which} decoded`);
  }
  assert.match(await frame.locator('#sample-detail .waterfall').getAttribute('aria-label'), /i12 = \d/);
  assert.equal(await frame.locator('#sample-detail rect.bin.mark').count(), 4, 'the sample is marked in all four distributions');
  assert.equal(await rows.first().getAttribute('aria-expanded'), 'true');
  await ctx.shot(`results-inspect-${label}`);
  // open the first file in an editor (VS Code's image preview)
  await frame.locator('#open-1').click();
  await ctx.page.locator('.tabs-container .tab', { hasText: 'fmnist-test-01592.png' }).first().waitFor({ timeout: 20_000 });
  // back to the panel: a click on a histogram bin filters the samples to its range
  const frame2 = await ctx.webview({ title: PANEL });
  await frame2.locator('#tab-overview').click();
  const n = Number(await frame2.locator('#hist-r rect.bin[data-bin="29"]').getAttribute('data-count'));
  await frame2.locator('#hist-r rect.bin-hit[data-bin="29"]').click();
  await frame2.locator('#chip-range').waitFor();
  await frame2.locator('#count', { hasText: `${n.toLocaleString('en-US')} of 2,000` }).waitFor();
  await frame2.locator('#chip-range').click();
  await frame2.locator('#count', { hasText: /^2,000 samples$/ }).waitFor();
  return frame2;
}

/** The rows arrive from the host after the click: retry until they are sorted (or time out with the last failure). */
async function assertSorted(frame, col, ms = 10_000) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const v = await cellValues(frame, col);
      assert.ok(v.length > 0, 'no rows');
      for (let i = 1; i < v.length; i++) assert.ok(v[i - 1] >= v[i], `column ${col} not descending at ${i}: ${v[i - 1]} < ${v[i]}`);
      return;
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

const themed = (label, theme) => ({
  name: `Estimate Interactions → results panel in the ${label} theme`,
  theme,
  timeout: 180_000,
  fn: async (ctx) => {
    await expectTheme(ctx.page, theme);
    const frame = await estimateFromPalette(ctx, 'fmnist-late-fusion');
    await checkOverview(ctx, frame);
    await ctx.shot(`results-overview-${label}`);
    await checkSamples(ctx, frame, label);
    const again = await checkInspect(ctx, frame, label);
    await again.locator('#tab-categories').click();
    await again.locator('#categories tbody tr').nth(9).waitFor();
    await again.locator('#table3 tr#table3-s td button').first().waitFor();
    // which ranking is on shows in every theme, high contrast included (there toggles have no fill)
    const look = (sel) => again.locator(sel).evaluate((b) => { const c = getComputedStyle(b); return `${c.backgroundColor} ${c.outlineStyle} ${c.outlineColor} ${c.fontWeight}`; });
    assert.notEqual(await look('#rank-mode-mean'), await look('#rank-mode-lower'), 'the pressed "mean" looks different from "lower bound"');
    assert.notEqual(await look('#rank-s'), await look('#rank-r'));
    await ctx.shot(`results-categories-${label}`);
    ctx.errors.assertNone({ webviewOnly: true });
  },
});

/** A real results file of 100,000 samples (the example's metadata, seeded values), written by the engine. */
async function writeBigResults(workspace) {
  const require = createRequire(import.meta.url);
  const { readResults, writeResults } = require('../../out/src/engine/io/results.js');
  const base = await readResults(path.join(workspace, 'fashion-mnist', 'fmnist-late-fusion.lsmi.arrow'));
  const n = 100_000;
  const rnd = seededValues(12345);
  const columns = {};
  for (const c of Object.keys(base.columns)) columns[c] = Float64Array.from({ length: n }, rnd);
  const data = {
    meta: { ...base.meta, run: { ...base.meta.run, name: 'big-run', n } },
    sampleIds: Array.from({ length: n }, (_, i) => `big-${String(i).padStart(6, '0')}`),
    labels: Int32Array.from({ length: n }, (_, i) => i % 10),
    columns,
  };
  const file = path.join(workspace, 'fashion-mnist', 'big-run.lsmi.arrow');
  await writeResults(file, data);
  return { file, data };
}

const bigTable = {
  name: 'a 100,000-sample run: the table stays virtualized and is paged from the host while scrolling',
  theme: THEMES.dark,
  timeout: 120_000,
  fn: async (ctx) => {
    const { data } = await writeBigResults(ctx.workspace);
    // with no results panel active, Open Results asks which results to open
    await ctx.runCommand('View: Close All Editors');
    const frame = await openResultsFromPalette(ctx, 'big-run');
    await frame.locator('#tab-samples').click();
    await frame.locator('#count', { hasText: /^100,000 samples$/ }).waitFor({ timeout: 30_000 });
    const grid = frame.locator('#samples');
    assert.equal(await grid.getAttribute('aria-rowcount'), '100001');
    // sorted by s, descending: the first row is the largest s
    const maxS = Math.max(...data.columns.s);
    const idxMax = data.columns.s.indexOf(maxS);
    await frame.locator(ROWS).first().filter({ hasText: data.sampleIds[idxMax] }).waitFor({ timeout: 20_000 });
    // jump to the middle and to the end: those rows are fetched and rendered, and only a window is in the DOM
    for (const frac of [0.5, 1]) {
      await grid.evaluate((el, f) => (el.scrollTop = f * (el.scrollHeight - el.clientHeight)), frac);
      const want = frac === 1 ? 100_001 : null;
      if (want) await frame.locator(`#samples tr.vrow[aria-rowindex="${want}"]:not(.loading)`).waitFor({ timeout: 20_000 });
      else {
        const first = frame.locator(ROWS).first();
        await first.waitFor({ timeout: 20_000 });
        const idx = Number(await first.getAttribute('aria-rowindex'));
        assert.ok(idx > 45_000 && idx < 55_000, `the middle of the run is in view (row ${idx})`);
      }
      const inDom = await frame.locator('#samples tbody tr').count();
      assert.ok(inDom < 80, `${inDom} rows in the DOM`);
    }
    // the last row holds the smallest s
    const minS = Math.min(...data.columns.s);
    const last = frame.locator('#samples tr.vrow[aria-rowindex="100001"]');
    assert.equal((await last.locator('td').nth(1).textContent()).trim(), data.sampleIds[data.columns.s.indexOf(minS)]);
    // keyboard: Home goes back to the top
    await grid.focus();
    await grid.press('Home');
    await frame.locator(ROWS).first().filter({ hasText: data.sampleIds[idxMax] }).waitFor({ timeout: 20_000 });
    await ctx.shot('results-big-run-dark');
    ctx.errors.assertNone({ webviewOnly: true });
  },
};

/** Reads the ranked table: per row the class, n, the ranked component's value and its interval's lower end. */
const rankedRows = (frame, col) =>
  frame.locator('#categories tbody tr').evaluateAll((rows, k) => rows.map((r) => {
    const iv = /\[(\u2212?[\d.]+), (\u2212?[\d.]+)\]/.exec(r.querySelector('td.interval').textContent);
    return { name: r.children[1].textContent, n: r.children[2].textContent, value: r.children[k].textContent, lo: iv ? iv[1] : 'NaN' };
  }), col).then((rs) => rs.map((r) => ({ ...r, n: parseShown(r.n), value: parseShown(r.value), lo: parseShown(r.lo) })));

/** The Categories tab's fair rankings: lower bound, minimum n, the normalised view. */
const fairRankings = {
  name: 'Categories: ranked by the interval\'s lower bound, with a visible minimum n and the normalised view',
  theme: THEMES.dark,
  timeout: 120_000,
  fn: async (ctx) => {
    const frame = await ctx.webview({ title: PANEL });
    await frame.locator('#tab-categories').click();
    await frame.locator('#categories tbody tr').nth(9).waitFor();
    // defaults: by the mean, minimum n 30 (every Fashion-MNIST class has about 200 samples)
    assert.equal(await frame.locator('#min-n').evaluate((e) => e.value), '30');
    assert.equal(await frame.locator('#min-n-note').textContent(), 'Every class has n ≥ 30.');
    assert.match(await frame.locator('#normalised-help').textContent(), /divided by the label's surprisal −log p\(y\)/);
    await frame.locator('#rank-s').click();
    const sCol = 3 + 3; // rank, class, n, R, U1, U2, S
    let rows = await rankedRows(frame, sCol);
    for (let i = 1; i < rows.length; i++) assert.ok(rows[i - 1].value >= rows[i].value, `by the mean: ${rows.map((r) => r.value)}`);
    assert.ok(rows.every((r) => Number.isFinite(r.lo)), 'every class has an interval');
    // by the lower bound
    await frame.locator('#rank-mode-lower').click();
    await frame.locator('#rank-mode-lower[aria-pressed="true"]').waitFor();
    await frame.locator('#categories[aria-label*="lower bound"]').waitFor();
    rows = await rankedRows(frame, sCol);
    for (let i = 1; i < rows.length; i++) assert.ok(rows[i - 1].lo >= rows[i].lo, `by the lower bound: ${rows.map((r) => r.lo)}`);
    // a minimum n of 200 hides the 5 classes with fewer samples, and says so
    await frame.locator('#min-n').evaluate((e) => {
      e.value = '200';
      e.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await frame.locator('#min-n-note', { hasText: '5 classes with n < 200 hidden' }).waitFor({ timeout: 10_000 });
    rows = await rankedRows(frame, sCol);
    assert.equal(rows.length, 5);
    assert.ok(rows.every((r) => r.n >= 200), rows.map((r) => `${r.name} ${r.n}`).join(', '));
    await ctx.shot('results-categories-fair-dark');
    // the normalised view: every value divided by −log p(y) (Fashion-MNIST is nearly balanced: about 1/2.3 of the mean)
    const before = rows[0];
    await frame.locator('#normalised').click();
    await frame.locator('#categories[aria-label*="normalised"]').waitFor();
    rows = await rankedRows(frame, sCol);
    const same = rows.find((r) => r.name === before.name);
    assert.ok(same && same.value < before.value && same.value > before.value / 3, `normalised ${same?.value} from ${before.value}`);
    // back to the defaults for the tests that follow
    await frame.locator('#normalised').click();
    await frame.locator('#rank-mode-mean').click();
    await frame.locator('#min-n').evaluate((e) => {
      e.value = '30';
      e.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await frame.locator('#min-n-note', { hasText: 'Every class has n ≥ 30.' }).waitFor({ timeout: 10_000 });
    ctx.errors.assertNone({ webviewOnly: true });
  },
};

/** Results estimated with replicates: each sample's standard deviation in the table (sortable) and in its detail. */
const stability = {
  name: 'Stability: results estimated with --replicates show and sort each sample\'s sd, and the expanded sample shows it',
  theme: THEMES.dark,
  timeout: 180_000,
  fn: async (ctx) => {
    const require = createRequire(import.meta.url);
    const { execFileSync } = require('node:child_process');
    const { writeResults } = require('../../out/src/engine/io/results.js');
    const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
    const tmp = fs.mkdtempSync(path.join(ctx.workspace, '.replicates-'));
    const out = path.join(tmp, 'r.lsmi.arrow');
    execFileSync(process.execPath, [path.join(root, 'bin', 'lsmi.js'), 'estimate', path.join(ctx.workspace, 'fashion-mnist', 'fmnist-late-fusion.arrow'), '--replicates', '2', '--out', out], { stdio: 'pipe' });
    const data = await readResults(out);
    assert.equal(data.meta.stability.replicates, 2);
    data.meta.run.name = 'fmnist-replicates';
    await writeResults(path.join(ctx.workspace, 'fashion-mnist', 'fmnist-replicates.lsmi.arrow'), data);
    fs.rmSync(tmp, { recursive: true, force: true });
    await ctx.runCommand('View: Close All Editors');
    const frame = await openResultsFromPalette(ctx, 'fmnist-replicates');
    await frame.locator('#stability-note', { hasText: 'Estimated with 2 replicate fits' }).waitFor({ timeout: 60_000 });
    await frame.locator('#tab-samples').click();
    await frame.locator('#sort-s_sd').click();
    await frame.locator(ROWS).nth(5).waitFor();
    const k = await columnIndex(frame, 's_sd');
    assert.ok(k > 0, 'an s_sd column');
    await assertSorted(frame, k);
    const top = (await cellValues(frame, k))[0];
    const maxSd = Math.max(...data.stability.s_sd);
    assert.equal(fixed(top), fixed(maxSd), 'the least stable sample first');
    await frame.locator(ROWS).first().click();
    await frame.locator('#sample-stability').waitFor({ timeout: 15_000 });
    assert.match(await frame.locator('#sample-stability').textContent(), /^± one standard deviation over 3 fits \(this estimate and 2 replicates with forked seeds\):r \u2212?\d\.\d{4} ± \d\.\d{4}, u1 .* s \u2212?\d\.\d{4} ± \d\.\d{4}$/);
    // the expanded sample's sd is the one in its row, from the results file
    const id = (await frame.locator(ROWS).first().locator('td').nth(1).textContent()).trim();
    const i = data.sampleIds.indexOf(id);
    assert.equal(await frame.locator('#sd-s').textContent(), `s ${fixed(data.columns.s[i])} ± ${fixed(data.stability.s_sd[i])}`);
    await ctx.shot('results-stability-dark');
    ctx.errors.assertNone({ webviewOnly: true });
  },
};

/** The results panel beside a text editor: the cards with intervals, the Categories controls and the sd columns stay readable. */
const halfWidth = {
  name: 'at half the editor width: interval cards, the Categories controls and the sd columns fit (wide tables scroll in their box)',
  theme: THEMES.dark,
  timeout: 120_000,
  fn: async (ctx) => {
    await splitBesideReadme(ctx);
    const frame = await openResultsFromPalette(ctx, 'fmnist-replicates');
    await frame.locator('#interval-S').waitFor({ timeout: 60_000 });
    await assertNoSidewaysScroll(frame, 'results overview');
    // the four cards with their intervals: two per row, nothing clipped
    const cards = await frame.locator('#dataset .stat').evaluateAll((els) => els.map((e) => ({ w: e.clientWidth, sw: e.scrollWidth })));
    assert.ok(cards.every((c) => c.sw <= c.w + 1), `card contents fit: ${JSON.stringify(cards)}`);
    await ctx.shot('results-overview-dark-half');
    await frame.locator('#tab-categories').click();
    await frame.locator('#categories tbody tr').nth(9).waitFor();
    await assertNoSidewaysScroll(frame, 'results categories');
    await ctx.shot('results-categories-dark-half');
    await frame.locator('#tab-samples').click();
    await frame.locator(ROWS).nth(5).waitFor();
    await assertNoSidewaysScroll(frame, 'results samples');
    await frame.locator(ROWS).first().click();
    await frame.locator('#sample-stability').waitFor({ timeout: 15_000 });
    await frame.locator('#sample-stability').scrollIntoViewIfNeeded();
    await ctx.shot('results-samples-dark-half');
    ctx.errors.assertNone({ webviewOnly: true });
  },
};

export const tests = [
  themed('dark', THEMES.dark),
  fairRankings,
  {
    name: 'Categories: clicking a class lists its samples; the tabs work from the keyboard',
    theme: THEMES.dark,
    fn: async (ctx) => {
      const frame = await ctx.webview({ title: PANEL });
      await frame.locator('#tab-categories').click();
      await frame.locator('#categories tbody tr', { hasText: 'Bag' }).locator('button').click();
      await frame.locator('#tab-samples[aria-selected="true"]').waitFor();
      await frame.locator('#count', { hasText: '194 of 2,000' }).waitFor();
      await frame.locator('#tab-samples').press('ArrowLeft');
      await frame.locator('#tab-overview[aria-selected="true"]').waitFor();
      assert.ok(await frame.locator('#panel-overview').isVisible());
      assert.ok(!(await frame.locator('#panel-samples').isVisible()));
      ctx.errors.assertNone({ webviewOnly: true });
    },
  },
  {
    name: 'the results panel comes back after a window reload, on the tab it showed',
    theme: THEMES.dark,
    timeout: 180_000,
    fn: async (ctx) => {
      const frame = await ctx.webview({ title: PANEL });
      await frame.locator('#tab-categories').click();
      await frame.locator('#tab-categories[aria-selected="true"]').waitFor();
      const again = await reloadWindowAndFind(ctx, PANEL, '#categories tbody tr:nth-child(10)');
      assert.equal(await again.locator('#tab-categories').getAttribute('aria-selected'), 'true');
      assert.equal(await again.locator('#run-name').textContent(), 'fmnist-late-fusion');
      ctx.errors.assertNone({ webviewOnly: true });
    },
  },
  bigTable,
  stability,
  halfWidth,
  themed('light', THEMES.light),
  themed('high-contrast', THEMES.hc),
];
