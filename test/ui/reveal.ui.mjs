// Playwright tests of revealing a sample in a results panel, in a real VS Code
// workbench (code-server): from LSMI: Inspect Sample, from the status bar of a sample's file and from
// a Compare mover, always into a results panel that sits in a background tab (its webview is torn
// down when hidden and rebuilt when shown), for a sample far past the first page of a 100,000-row run.
// Run by scripts/test-all.mjs through test/harness/run-ui-tests.mjs on a throwaway copy of examples/.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { THEMES } from '../harness/lib.mjs';
import { goToFile, openResultsFromPalette, seededValues } from './common.mjs';

const require = createRequire(import.meta.url);
const { readResults, writeResults } = require('../../out/src/engine/io/results.js');

const N = 100_000;
const NAME = 'reveal-big';
const TITLE = `LSMI Results: ${NAME}`;
/** The ranks (0-based, by s descending: the panel's default order) of the samples the tests reveal. */
const RANKS = { inspect: 7000, status: 52_345, compare: 91_234, again: 5_001 };

/**
 * A real results file of 100,000 samples (the example's metadata, seeded distinct values) written by
 * the engine; the samples at RANKS.status has a path_1 file (a copy of an example image), so that
 * opening that file puts its values in the status bar.
 */
async function writeBig(workspace, name, seed0) {
  const base = await readResults(path.join(workspace, 'fashion-mnist', 'fmnist-late-fusion.lsmi.arrow'));
  const rnd = seededValues(seed0);
  const columns = {};
  for (const c of Object.keys(base.columns)) columns[c] = Float64Array.from({ length: N }, rnd);
  const data = {
    meta: { ...base.meta, run: { ...base.meta.run, name, n: N } },
    sampleIds: Array.from({ length: N }, (_, i) => `rv-${String(i).padStart(6, '0')}`),
    labels: Int32Array.from({ length: N }, (_, i) => i % 10),
    columns,
  };
  const byS = Array.from({ length: N }, (_, i) => i).sort((a, b) => data.columns.s[b] - data.columns.s[a]);
  const statusRow = byS[RANKS.status];
  const dir = path.join(workspace, 'fashion-mnist', `${name}-samples`);
  fs.mkdirSync(dir, { recursive: true });
  const sampleFile = path.join(dir, `${data.sampleIds[statusRow]}.png`);
  fs.copyFileSync(path.join(workspace, 'fashion-mnist', 'samples', 'top', 'fmnist-test-00000.png'), sampleFile);
  data.paths1 = data.sampleIds.map((_, i) => (i === statusRow ? path.relative(path.join(workspace, 'fashion-mnist'), sampleFile) : null));
  await writeResults(path.join(workspace, 'fashion-mnist', `${name}.lsmi.arrow`), data);
  return { data, byS, sampleFile };
}

/** Opens README.md in the panel's group: the results panel goes to a background tab (its webview is dropped). */
async function backgroundWithReadme(ctx) {
  await goToFile(ctx, 'README.md');
  // the results panel's webview is gone from the page (VS Code drops a hidden panel's document)
  await ctx.page.waitForFunction(() => ![...document.querySelectorAll('iframe.webview.ready')].some((f) => f.offsetParent !== null), null, { timeout: 10_000 }).catch(() => {});
}

/** The results panel's frame once the reveal brought it to the front (without clicking its tab). */
async function frontFrame(ctx) {
  await ctx.page.locator('.tabs-container .tab.active', { hasText: TITLE }).waitFor({ timeout: 30_000 });
  const outer = ctx.page.locator('iframe.webview.ready').filter({ visible: true }).first();
  await outer.waitFor({ timeout: 30_000 });
  return outer.contentFrame().frameLocator('iframe#active-frame');
}

/**
 * The sample of results row `row` is revealed: its table row is expanded, at its rank (aria-rowindex
 * = rank + 2: the header is row 1), scrolled into view inside the table, and its detail shows it.
 */
async function assertRevealed(frame, data, row, rank, what) {
  const id = data.sampleIds[row];
  const expanded = frame.locator('#samples tr.vrow[aria-expanded="true"]');
  const ok = await expanded.filter({ hasText: id }).first().waitFor({ timeout: 30_000 }).then(() => true, () => false);
  const seen = await frame.locator('#samples tr.vrow').evaluateAll((rows) => rows.slice(0, 3).map((r) => `${r.getAttribute('aria-rowindex')}:${r.dataset.row}:${r.getAttribute('aria-expanded')}`)).catch(() => []);
  assert.ok(ok, `${what}: the row of ${id} (results row ${row}, rank ${rank + 1}) is expanded; the table shows ${JSON.stringify(seen)}`);
  assert.equal(await expanded.count(), 1, `${what}: one row expanded`);
  assert.equal(await expanded.getAttribute('aria-rowindex'), String(rank + 2), `${what}: at its rank`);
  assert.equal(await expanded.getAttribute('data-row'), String(row));
  await frame.locator(`#sample-detail[data-row="${row}"]`).waitFor({ timeout: 20_000 });
  // the row and the start of its detail are inside the table's box, not scrolled away
  const box = await frame.locator('#samples').evaluate((el) => el.getBoundingClientRect().toJSON());
  const r = await expanded.evaluate((el) => el.getBoundingClientRect().toJSON());
  assert.ok(r.top >= box.top - 1 && r.bottom <= box.bottom + 1, `${what}: the row is in view (row ${r.top}–${r.bottom}, table ${box.top}–${box.bottom})`);
  assert.equal(await frame.locator('#tab-samples').getAttribute('aria-selected'), 'true');
}

let big;

export const tests = [
  {
    name: 'Inspect Sample reveals a sample ranked 7,001st of 100,000 in a results panel that sits in a background tab',
    theme: THEMES.dark,
    timeout: 180_000,
    fn: async (ctx) => {
      big = await writeBig(ctx.workspace, NAME, 777);
      await ctx.runCommand('View: Close All Editors');
      const first = await openResultsFromPalette(ctx, NAME);
      await first.locator('#tab-samples').click();
      await first.locator('#count', { hasText: /^100,000 samples$/ }).waitFor({ timeout: 30_000 });
      // a sample on the first page is expanded and saved in the panel's state (a rebuilt webview restores it)
      await first.locator('#samples tbody tr.vrow:not(.loading)').nth(2).click();
      await first.locator('#sample-detail[data-row]').waitFor({ timeout: 15_000 });
      await backgroundWithReadme(ctx);
      const row = big.byS[RANKS.inspect];
      await ctx.runCommand('LSMI: Inspect Sample');
      const input = ctx.page.locator('.quick-input-widget input');
      await input.waitFor();
      await ctx.page.locator('.quick-input-list .monaco-list-row', { hasText: `${NAME}.lsmi.arrow` }).first().click();
      await ctx.page.locator('.quick-input-widget .quick-input-title', { hasText: NAME }).waitFor({ timeout: 20_000 });
      await input.fill(big.data.sampleIds[row]);
      await ctx.page.locator('.quick-input-list .monaco-list-row', { hasText: big.data.sampleIds[row] }).first().waitFor({ timeout: 10_000 });
      await ctx.page.keyboard.press('Enter');
      const frame = await frontFrame(ctx);
      await assertRevealed(frame, big.data, row, RANKS.inspect, 'Inspect Sample');
      await ctx.shot('reveal-inspect-dark');
      // again, for another sample, with the panel in front this time
      const row2 = big.byS[RANKS.again];
      await ctx.runCommand('LSMI: Inspect Sample');
      await ctx.page.locator('.quick-input-widget .quick-input-title', { hasText: NAME }).waitFor({ timeout: 20_000 });
      await input.fill(big.data.sampleIds[row2]);
      await ctx.page.locator('.quick-input-list .monaco-list-row', { hasText: big.data.sampleIds[row2] }).first().waitFor({ timeout: 10_000 });
      await ctx.page.keyboard.press('Enter');
      await assertRevealed(await frontFrame(ctx), big.data, row2, RANKS.again, 'Inspect Sample, panel in front');
      ctx.errors.assertNone({ webviewOnly: true });
    },
  },
  {
    name: 'the status bar of a sample\'s file reveals it (rank 52,346 of 100,000) in the background results panel, twice',
    theme: THEMES.dark,
    timeout: 180_000,
    fn: async (ctx) => {
      const row = big.byS[RANKS.status];
      for (const attempt of [1, 2]) {
        if (attempt === 1) await goToFile(ctx, path.basename(big.sampleFile));
        else {
          // back to the sample's image tab (the results panel goes to the background again)
          await ctx.page.locator('.tabs-container .tab', { hasText: path.basename(big.sampleFile) }).first().click();
        }
        await ctx.page.locator('.tabs-container .tab.active', { hasText: path.basename(big.sampleFile) }).waitFor();
        const item = ctx.page.locator('.statusbar-item', { hasText: 'LSMI r' }).first();
        await item.waitFor({ timeout: 30_000 });
        await item.locator('a, .statusbar-item-label').first().click();
        const frame = await frontFrame(ctx);
        await assertRevealed(frame, big.data, row, RANKS.status, `status bar, click ${attempt}`);
        if (attempt === 1) await ctx.shot('reveal-status-dark');
      }
      ctx.errors.assertNone({ webviewOnly: true });
    },
  },
  {
    name: 'a Compare mover opens the run\'s results panel (a background tab) on that sample, rank 91,235 of 100,000',
    theme: THEMES.dark,
    timeout: 240_000,
    fn: async (ctx) => {
      // a second run of the same samples (other values), to compare with
      await writeBig(ctx.workspace, `${NAME}-b`, 4242);
      const { page } = ctx;
      await ctx.runCommand('LSMI: Compare Runs');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor();
      await input.fill(NAME);
      for (const run of [NAME, `${NAME}-b`]) await page.locator('.quick-input-list .monaco-list-row', { hasText: run }).first().waitFor();
      await page.locator('.quick-input-widget [role="checkbox"][aria-label="Toggle all checkboxes"]').click();
      await page.keyboard.press('Enter');
      const frame = await ctx.webview({ title: 'LSMI Compare:', timeout: 90_000 });
      await frame.locator('#compare-title').waitFor({ timeout: 90_000 });
      const row = big.byS[RANKS.compare];
      const id = big.data.sampleIds[row];
      // find the sample among the movers, expand it, and ask for it in the results of the first run
      await frame.locator('#mover-search').evaluate((e, v) => {
        e.value = v;
        e.dispatchEvent(new Event('input', { bubbles: true }));
      }, id);
      const mover = frame.locator('#movers tbody tr.vrow:not(.loading)', { hasText: id }).first();
      await mover.waitFor({ timeout: 30_000 });
      await mover.click();
      await frame.locator('#per-run tbody tr').nth(1).waitFor({ timeout: 20_000 });
      const runIndex = await frame.locator('#per-run tbody tr').evaluateAll((rows, name) => rows.findIndex((r) => r.querySelector('th')?.textContent.startsWith(name) && !r.querySelector('th')?.textContent.startsWith(`${name}-b`)), NAME);
      assert.ok(runIndex >= 0, 'the run is in the expanded mover');
      await frame.locator(`#show-in-results-${runIndex}`).click();
      await assertRevealed(await frontFrame(ctx), big.data, row, RANKS.compare, 'Compare mover');
      await ctx.shot('reveal-compare-dark');
      ctx.errors.assertNone({ webviewOnly: true });
    },
  },
];
