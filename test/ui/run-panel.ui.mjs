// Playwright tests of the run panel in a real VS Code workbench (code-server) and a real Chromium.
// Run by scripts/test-all.mjs through test/harness/run-ui-tests.mjs on a throwaway copy of examples/.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { THEMES } from '../harness/lib.mjs';
import { expectTheme } from './common.mjs';

const PANEL = 'LSMI: fmnist-late-fusion.arrow';

/** Command palette → LSMI: Inspect Run File → pick a run in the quick pick → the panel's frame. */
async function inspectFromPalette(ctx, filter, title) {
  const { page } = ctx;
  await ctx.runCommand('LSMI: Inspect Run File');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(filter);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: filter }).first().waitFor();
  await page.keyboard.press('Enter');
  return ctx.webview({ title });
}

async function checkSummary(frame) {
  assert.equal(await frame.locator('#run-name').textContent({ timeout: 30_000 }), 'fmnist-late-fusion');
  await frame.locator('#classes tbody tr').nth(9).waitFor({ timeout: 30_000 });
  const facts = await frame.locator('#facts').textContent();
  assert.match(facts, /Samples2,000/);
  assert.match(facts, /Classes10/);
  assert.match(facts, /Modality 1: top halfd = 64 \(Float32\), 2,000 files/);
  assert.match(facts, /Fusionlate/);
  assert.equal(await frame.locator('#heads tbody tr').count(), 3);
  assert.match(await frame.locator('#heads tbody tr').nth(2).textContent(), /both \(logits_12\)0\.862/);
  assert.equal(await frame.locator('#classes tbody tr').count(), 10);
  assert.match(await frame.locator('#classes tbody tr').nth(9).textContent(), /Ankle boot/);
}

const themed = (label, theme) => ({
  name: `the run panel follows the ${label} theme`,
  theme,
  fn: async (ctx) => {
    await expectTheme(ctx.page, theme);
    const frame = await inspectFromPalette(ctx, 'fmnist-late-fusion', PANEL);
    await checkSummary(frame);
    await ctx.shot(`run-panel-${label}`);
    ctx.errors.assertNone({ webviewOnly: true });
  },
});

export const tests = [
  {
    name: 'palette → Inspect Run File → quick pick → the run panel shows the example run',
    theme: THEMES.dark,
    fn: async (ctx) => {
      await expectTheme(ctx.page, THEMES.dark);
      const frame = await inspectFromPalette(ctx, 'fmnist-late-fusion', PANEL);
      await checkSummary(frame);
      await ctx.shot('run-panel-dark');
      ctx.errors.assertNone({ webviewOnly: true });
    },
  },
  {
    name: 'next steps from the run panel: a run without results offers Estimate, which opens the presets; a run with results opens them',
    theme: THEMES.dark,
    timeout: 120_000,
    fn: async (ctx) => {
      // a fresh copy of the circuits' XOR run: no results (other tests may estimate xor itself)
      fs.copyFileSync(path.join(ctx.workspace, 'circuits', 'xor.arrow'), path.join(ctx.workspace, 'circuits', 'fresh-xor.arrow'));
      const frame = await inspectFromPalette(ctx, 'fresh-xor.arrow', 'LSMI: fresh-xor.arrow');
      await frame.locator('#results-state', { hasText: 'Not estimated yet.' }).waitFor({ timeout: 30_000 });
      assert.equal(await frame.locator('#open-results').count(), 0);
      await frame.locator('#estimate').click();
      await ctx.page.locator('.quick-input-list .monaco-list-row', { hasText: 'Estimate with defaults' }).first().waitFor({ timeout: 15_000 });
      await ctx.page.keyboard.press('Escape');
      // an estimated run: Open results first
      const late = await inspectFromPalette(ctx, 'fmnist-late-fusion', PANEL);
      await late.locator('#results-state', { hasText: 'This run has results.' }).waitFor({ timeout: 30_000 });
      await late.locator('#open-results').click();
      await ctx.page.locator('.tabs-container .tab.active', { hasText: 'LSMI Results: fmnist-late-fusion' }).waitFor({ timeout: 30_000 });
      ctx.errors.assertNone({ webviewOnly: true });
    },
  },
  {
    name: 'Reload re-reads the file and renders it again',
    theme: THEMES.dark,
    fn: async (ctx) => {
      const frame = await ctx.webview({ title: PANEL });
      // the summary shown before the click is replaced (loading…, then the new summary): wait for
      // the old one to go before checking, or the check would read the old summary half-replaced
      const before = await frame.locator('#reload').elementHandle();
      await frame.locator('#reload').click();
      await before.waitForElementState('hidden', { timeout: 30_000 });
      await checkSummary(frame);
    },
  },
  {
    name: 'a malformed run shows its error in the panel and nothing crashes',
    theme: THEMES.dark,
    fn: async (ctx) => {
      fs.writeFileSync(path.join(ctx.workspace, 'broken-run.arrow'), 'sample_id,label\na,1\n');
      const frame = await inspectFromPalette(ctx, 'broken-run', 'LSMI: broken-run.arrow');
      const alert = frame.locator('#error');
      await alert.waitFor({ timeout: 30_000 });
      assert.match(await alert.textContent(), /NOT_ARROW.*broken-run\.arrow: not an Arrow IPC file/);
      await ctx.shot('run-panel-error-dark');
      const again = await inspectFromPalette(ctx, 'fmnist-late-fusion', PANEL);
      await checkSummary(again);
      ctx.errors.assertNone({ webviewOnly: true });
    },
  },
  themed('light', THEMES.light),
  themed('high-contrast', THEMES.hc),
];
