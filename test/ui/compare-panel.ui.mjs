// Playwright tests of Compare Runs in a real VS Code workbench (code-server): both Fashion-MNIST runs
// are estimated from the palette, compared from the palette, and the compare panel is used like a
// user would: which component moved, which classes and samples moved most, a mover's files, the
// high-redundancy partition. Screenshots in dark, light and high contrast.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { THEMES } from '../harness/lib.mjs';
import { estimateFromPalette, expectTheme, reloadWindowAndFind } from './common.mjs';

const TITLE = 'LSMI Compare: fmnist-early-fusion vs fmnist-late-fusion';

/** Palette → LSMI: Compare Runs → tick both Fashion-MNIST runs → the compare panel. */
async function compareFromPalette(ctx) {
  const { page } = ctx;
  await ctx.runCommand('LSMI: Compare Runs');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill('fmnist');
  for (const run of ['fmnist-early-fusion', 'fmnist-late-fusion']) await page.locator('.quick-input-list .monaco-list-row', { hasText: run }).first().waitFor();
  // the filter leaves exactly the two Fashion-MNIST runs: tick both with the list's "toggle all"
  // (ticking rows one by one raced with the list re-rendering)
  await page.locator('.quick-input-widget [role="checkbox"][aria-label="Toggle all checkboxes"]').click();
  for (const run of ['fmnist-early-fusion', 'fmnist-late-fusion']) {
    await page.locator(`.quick-input-widget [role="checkbox"][aria-label="${run}"][aria-checked="true"]`).waitFor({ timeout: 10_000 });
  }
  await page.keyboard.press('Enter');
  return ctx.webview({ title: TITLE, timeout: 60_000 });
}

async function checkPanel(ctx, frame, label) {
  await frame.locator('#compare-title').waitFor({ timeout: 60_000 });
  assert.equal(await frame.locator('#compare-title').textContent(), 'fmnist-late-fusion vs fmnist-early-fusion');
  assert.equal(await frame.locator('#runs tbody tr').count(), 2);
  assert.match(await frame.locator('#runs tbody tr').first().textContent(), /fmnist-early-fusion.*baseline/);
  // which component moved: none beyond noise (late − early ΔR = −0.0094 nats, and its
  // 95 % paired-bootstrap interval includes 0; the panel once led with "R moved most: −0.0095")
  assert.equal(await frame.locator('#moved-headline').textContent(), 'No component moved beyond noise');
  const moved = await frame.locator('#moved').textContent();
  assert.doesNotMatch(moved, /moved most|R moved:/);
  assert.match(moved, /every 95 % interval includes 0\. Largest: R −0\.0094 \[−0\.\d{4}, \+0\.\d{4}\] nats/);
  assert.match(moved, /cover the samples' noise; estimate both runs with replicates/);
  // every Δ of the dataset table is within noise: greyed, marked ~, not coloured
  assert.equal(await frame.locator('#dataset-table td.within-noise').count(), 4);
  assert.equal(await frame.locator('#dataset-table td.gain, #dataset-table td.loss').count(), 0);
  assert.match(await frame.locator('#dataset-table td.within-noise').first().getAttribute('title'), /^within noise: the interval \[−?\d\.\d{4}, [+−]?\d\.\d{4}\] includes 0$/);
  assert.equal(await frame.locator('#dataset-bars rect.gbar').count(), 8);
  assert.equal(await frame.locator('#dataset-table tbody tr').count(), 2);
  // per-class shifts: ten classes, sorted by ΔS
  const rows = frame.locator('#class-shifts tbody tr');
  await rows.nth(9).waitFor();
  const dS = await rows.evaluateAll((rs) => rs.map((r) => Number(r.children[5].textContent.split(' ')[0].replace('−', '-'))));
  for (let i = 1; i < dS.length; i++) assert.ok(dS[i - 1] >= dS[i], `class shifts sorted by ΔS: ${dS.join(', ')}`);
  // each class Δ carries its interval; none of the Fashion-MNIST class shifts is beyond noise
  assert.match(await rows.first().locator('td').nth(5).textContent(), /^[+−]\d\.\d{3} \[[+−]?\d\.\d{3}, [+−]?\d\.\d{3}\] ~$/);
  assert.match(await frame.locator('#shift-summary').textContent(), /^No class moved beyond noise in any component \(intervals simultaneous over the 10 classes at 95 %\)\.$/);
  // the movers cannot be ranked by stability: neither run was estimated with replicates
  assert.ok(await frame.locator('#mover-order vscode-option[value="stable"][disabled]').count() === 1, 'the "relative to stability" order is disabled');
  for (const c of ['r', 'u1', 'u2', 's']) assert.equal(await frame.locator(`#delta-${c} .hbar`).count(), 40);
  // the scatter: every sample of 2,000 drawn
  await frame.locator('#scatter svg circle').nth(100).waitFor();
  assert.match(await frame.locator('#scatter-info').textContent(), /2,000 samples in both runs/);
  // the biggest movers, ranked by |Δ|
  const movers = frame.locator('#movers tbody tr.vrow:not(.loading)');
  await movers.nth(5).waitFor();
  await frame.locator('#movers-count', { hasText: '2,000 samples ranked' }).waitFor();
  const d = await movers.evaluateAll((rs) => rs.map((r) => Math.abs(Number(r.children[4].textContent.replace('−', '-').replace('+', '')))));
  for (let i = 1; i < d.length; i++) assert.ok(d[i - 1] >= d[i] - 1e-9, `movers ranked by |Δ|: ${d.slice(0, 10).join(', ')}`);
  await ctx.shot(`compare-overview-${label}`);
  await frame.locator('#dataset-table').evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await ctx.shot(`compare-shifts-${label}`);
  await frame.locator('#movers-h').scrollIntoViewIfNeeded();
  // expand the biggest mover: its files beside its values in every run
  await movers.first().click();
  await frame.locator('#sample-detail #preview-1').waitFor({ timeout: 15_000 });
  assert.equal(await frame.locator('#per-run tbody tr').count(), 2);
  const id = (await movers.first().locator('td').nth(1).textContent()).trim();
  await ctx.shot(`compare-movers-${label}`);
  return id;
}

const themed = (label, theme) => ({
  name: `Compare Runs → compare panel in the ${label} theme`,
  theme,
  timeout: 240_000,
  fn: async (ctx) => {
    await expectTheme(ctx.page, theme);
    if (label === 'dark') {
      for (const run of ['fmnist-early-fusion', 'fmnist-late-fusion']) {
        const results = await estimateFromPalette(ctx, run);
        await results.locator('#run-name').waitFor({ timeout: 90_000 });
      }
    }
    const frame = await compareFromPalette(ctx);
    const id = await checkPanel(ctx, frame, label);
    if (label !== 'dark') return;
    // open the mover's image
    await frame.locator('#open-1').click();
    await ctx.page.locator('.tabs-container .tab', { hasText: `${id}.png` }).first().waitFor({ timeout: 20_000 });
    // export the high-redundancy partition: component r, quantiles 0.25,0.75 (the default)
    const again = await ctx.webview({ title: TITLE });
    await again.locator('#export-partition').click();
    const pick = ctx.page.locator('.quick-input-list .monaco-list-row', { hasText: /^r/ }).first();
    await pick.waitFor({ timeout: 15_000 });
    await pick.click();
    const box = ctx.page.locator('.quick-input-widget input');
    await box.waitFor();
    assert.equal(await box.inputValue(), '0.25,0.75');
    await ctx.page.keyboard.press('Enter');
    await ctx.page.locator('.notifications-toasts', { hasText: 'exported the r partition' }).waitFor({ timeout: 20_000 });
    const dir = path.join(ctx.workspace, 'fashion-mnist', 'lsmi-exports');
    const high = fs.readdirSync(dir).find((f) => /-r-high\.txt$/.test(f));
    assert.ok(high, `a high-redundancy list in ${dir}: ${fs.readdirSync(dir).join(', ')}`);
    const ids = fs.readFileSync(path.join(dir, high), 'utf8').trim().split('\n');
    assert.equal(ids.length, 500, 'the top quarter of 2,000 samples');
    assert.ok(ids.every((x) => /^fmnist-test-\d{5}$/.test(x)));
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, high.replace(/-high\.txt$/, '-partition.json')), 'utf8'));
    assert.deepEqual(manifest.groups.map((g) => g.count), [500, 1000, 500]);
    await ctx.shot('compare-exported-dark');
    // the compare panel comes back after a window reload (serializer + webview state)
    const restored = await reloadWindowAndFind(ctx, TITLE, '#compare-title');
    assert.equal(await restored.locator('#compare-title').textContent(), 'fmnist-late-fusion vs fmnist-early-fusion');
    // at half the editor width (a text editor beside it): the headline and the Δ tables stay readable
    await ctx.runCommand('View: Close All Editors');
    await ctx.runCommand('Go to File...');
    const go = ctx.page.locator('.quick-input-widget input');
    await go.waitFor();
    await go.fill('README.md');
    await ctx.page.locator('.quick-input-list .monaco-list-row', { hasText: 'README.md' }).first().waitFor();
    await ctx.page.keyboard.press('Enter');
    await ctx.page.locator('.tabs-container .tab.active', { hasText: 'README.md' }).waitFor();
    await ctx.runCommand('View: Split Editor Right');
    await ctx.page.locator('.editor-group-container').nth(1).waitFor();
    const half = await compareFromPalette(ctx);
    await half.locator('#moved-headline').waitFor({ timeout: 60_000 });
    const width = await half.locator('body').evaluate((b) => b.clientWidth);
    assert.ok(width < 640, `the panel is at half the editor width (${width} px)`);
    const overflow = await half.locator('body').evaluate(() => {
      const w = document.documentElement.clientWidth;
      const wide = [...document.querySelectorAll('body *')].filter((el) => el.getBoundingClientRect().right > w + 1 && !el.closest('.table-scroll, .vscroll'));
      // the outermost offenders, to say what overflows
      const outer = wide.filter((el) => !wide.some((p) => p !== el && p.contains(el))).map((el) => `${el.tagName.toLowerCase()}#${el.id}.${[...el.classList].join('.')}`);
      return { by: document.documentElement.scrollWidth - w, outer };
    });
    assert.ok(overflow.by <= 0, `the panel scrolls sideways by ${overflow.by} px at half width: ${overflow.outer.join(', ')}`);
    await ctx.shot('compare-overview-dark-half');
    await half.locator('#dataset-table').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await ctx.shot('compare-shifts-dark-half');
    ctx.errors.assertNone({ webviewOnly: true });
  },
});

export const tests = process.env.DARK_ONLY ? [themed('dark', THEMES.dark)] : [themed('dark', THEMES.dark), themed('light', THEMES.light), themed('high-contrast', THEMES.hc)];
