// Playwright tests of Estimate Interactions and the results panel in a real VS Code workbench (code-server).
// Run by scripts/test-all.mjs through test/harness/run-ui-tests.mjs on a throwaway copy of examples/.
import assert from 'node:assert/strict';
import { THEMES } from '../harness/lib.mjs';
import { expectTheme } from './common.mjs';

const PANEL = 'LSMI Results: fmnist-late-fusion';

/** Palette → LSMI: Estimate Interactions → pick the run → pick "Estimate with defaults" → the results panel's frame. */
async function estimateFromPalette(ctx) {
  const { page } = ctx;
  await ctx.runCommand('LSMI: Estimate Interactions');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill('fmnist-late-fusion');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'fmnist-late-fusion.arrow' }).first().waitFor();
  await page.keyboard.press('Enter');
  const preset = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Estimate with defaults' }).first();
  await preset.waitFor({ timeout: 15_000 });
  await preset.click();
  return ctx.webview({ title: PANEL, timeout: 90_000 });
}

async function checkOverview(frame) {
  assert.equal(await frame.locator('#run-name').textContent({ timeout: 60_000 }), 'fmnist-late-fusion');
  const value = async (k) => Number(await frame.locator(`#stat-${k} .stat-value`).textContent());
  // the README's numbers for this run with the default settings
  assert.ok(Math.abs((await value('R')) - 1.7077) < 0.02, `R = ${await value('R')}`);
  assert.ok(Math.abs((await value('U1')) - 0.0614) < 0.02);
  assert.ok(Math.abs((await value('U2')) - 0.0) < 0.02);
  assert.ok(Math.abs((await value('S')) - 0.1487) < 0.02);
  assert.match(await frame.locator('#stat-U2').getAttribute('title'), /raw -0\.04\d\d nats[\s\S]*priority 2/);
  assert.equal(await frame.locator('#composition .seg').count(), 3, 'R, U1 and S have a share; U2 is 0');
  for (const c of ['r', 'u1', 'u2', 's']) assert.equal(await frame.locator(`#hist-${c} .hbar`).count(), 30);
  assert.match(await frame.locator('#settings').textContent(), /Gaussian mixture \(EM\), diag covariance, K = 5/);
}

const cellValues = (frame, col) =>
  frame.locator('#samples tbody tr').evaluateAll((rows, k) => rows.map((r) => Number(r.children[k].textContent)), col);

async function columnIndex(frame, name) {
  return frame.locator('#samples thead th').evaluateAll((ths, n) => ths.findIndex((th) => th.textContent.trim().replace(/[▲▼]/g, '').trim() === n), name);
}

async function checkSamples(ctx, frame, label) {
  await frame.locator('#tab-samples').click();
  const rows = frame.locator('#samples tbody tr');
  await rows.nth(49).waitFor();
  assert.match(await frame.locator('#page-info').textContent(), /1–50 of 2,000/);
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
  // the class filter
  await frame.locator('#class-filter').selectOption('6');
  await frame.locator('#page-info', { hasText: 'of 197' }).waitFor();
  const classes = await rows.evaluateAll((rs) => rs.map((r) => r.children[2].textContent));
  assert.ok(classes.length > 0 && classes.every((c) => c === 'Shirt'), classes.join(','));
  await assertSorted(frame, s);
  // search by id
  await frame.locator('#search').fill('0159');
  await frame.locator('#page-info', { hasText: /of [1-9]$/ }).waitFor();
  const ids = await rows.evaluateAll((rs) => rs.map((r) => r.children[1].textContent));
  assert.ok(ids.every((id) => id.includes('0159')), ids.join(','));
  await frame.locator('#search').fill('');
  await frame.locator('#page-info', { hasText: 'of 197' }).waitFor();
  await ctx.shot(`results-samples-${label}`);
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
    const frame = await estimateFromPalette(ctx);
    await checkOverview(frame);
    await ctx.shot(`results-overview-${label}`);
    await checkSamples(ctx, frame, label);
    await frame.locator('#tab-categories').click();
    await frame.locator('#categories tbody tr').nth(9).waitFor();
    await ctx.shot(`results-categories-${label}`);
    ctx.errors.assertNone({ webviewOnly: true });
  },
});

export const tests = [
  themed('dark', THEMES.dark),
  {
    name: 'Categories: clicking a class lists its samples; the tabs work from the keyboard',
    theme: THEMES.dark,
    fn: async (ctx) => {
      const frame = await ctx.webview({ title: PANEL });
      await frame.locator('#tab-categories').click();
      await frame.locator('#categories tbody tr', { hasText: 'Bag' }).locator('button').click();
      await frame.locator('#tab-samples[aria-selected="true"]').waitFor();
      await frame.locator('#page-info', { hasText: 'of 194' }).waitFor();
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
      await ctx.page.waitForTimeout(1_000);
      await ctx.runCommand('Developer: Reload Window');
      await ctx.page.locator('.monaco-workbench .statusbar').waitFor({ timeout: 90_000 });
      const again = await ctx.webview({ title: PANEL, timeout: 90_000 });
      await again.locator('#categories tbody tr').nth(9).waitFor({ timeout: 60_000 });
      assert.equal(await again.locator('#tab-categories').getAttribute('aria-selected'), 'true');
      assert.equal(await again.locator('#run-name').textContent(), 'fmnist-late-fusion');
      ctx.errors.assertNone({ webviewOnly: true });
    },
  },
  themed('light', THEMES.light),
  themed('high-contrast', THEMES.hc),
];
