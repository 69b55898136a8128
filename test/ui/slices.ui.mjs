// Playwright test of saved slices in a real VS Code workbench (code-server): Save slice… in the
// results panel asks a name in VS Code's input box and writes the slice; the LSMI Runs view lists it
// under its run; clicking it brings the panel back to the slice's filters.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { THEMES } from '../harness/lib.mjs';
import { estimateFromPalette, pickClasses } from './common.mjs';

const NAME = 'ui shirts';

export const tests = [
  {
    name: 'Save slice… names a slice in the input box; the runs view lists it; clicking it re-applies its filters',
    theme: THEMES.dark,
    timeout: 240_000,
    fn: async (ctx) => {
      const { page } = ctx;
      await ctx.runCommand('View: Close All Editors');
      const frame = await estimateFromPalette(ctx, 'fmnist-late-fusion');
      await frame.locator('#tab-samples').click();
      await frame.locator('#count', { hasText: /^2,000 samples$/ }).waitFor({ timeout: 60_000 });
      await pickClasses(frame, '#class-filter', ['Shirt']);
      await frame.locator('#count', { hasText: /^\d+ of 2,000 samples$/ }).waitFor({ timeout: 15_000 });
      const listed = (await frame.locator('#count').textContent()).trim();
      const n = Number(listed.split(' ')[0]);

      await frame.locator('#save-slice').click();
      const input = page.locator('.quick-input-widget input');
      await input.waitFor();
      // a name the engine refuses is flagged in the box
      await input.fill('a/b');
      await page.locator('.quick-input-widget', { hasText: /no path separators/ }).waitFor();
      await input.fill(NAME);
      await page.keyboard.press('Enter');
      const def = path.join(ctx.workspace, 'fashion-mnist', 'lsmi-exports', 'slices', `${NAME}.slice.json`);
      for (let t = 0; t < 100 && !fs.existsSync(def); t++) await page.waitForTimeout(100);
      assert.ok(fs.existsSync(def), `${def} written`);
      const slice = JSON.parse(fs.readFileSync(def, 'utf8'));
      assert.deepEqual(slice.query, { sort: 's', desc: true, classes: [6] });
      assert.equal(slice.n, n);
      assert.ok(fs.existsSync(def.replace(/\.json$/, '.arrow')));
      await page.locator('.notifications-toasts', { hasText: `saved the slice '${NAME}'` }).waitFor({ timeout: 10_000 });
      await ctx.shot('slices-saved-dark');

      // the panel lists every sample again
      await frame.locator('#chip-class').click();
      await frame.locator('#count', { hasText: /^2,000 samples$/ }).waitFor();

      // the runs view: the run unfolds to its slice; a click applies it
      await ctx.runCommand('LSMI: Show Runs');
      const runs = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'LSMI Runs' }) });
      // room for the fashion-mnist runs in a short sidebar: collapse the Explorer's folder view (the
      // runs view then takes its height; a list row out of view is not rendered) and fold the circuits folder
      const folders = page.locator('.pane-header[aria-expanded="true"]', { hasText: /lsmi-example-ws/i });
      if (await folders.count()) await folders.first().click();
      const circuits = runs.locator('.monaco-list-row[role="treeitem"]', { hasText: /^\s*circuits/ });
      await circuits.waitFor({ timeout: 20_000 });
      if ((await circuits.getAttribute('aria-expanded')) === 'true') await circuits.locator('.monaco-tl-twistie').click();
      const runRow = runs.locator('.monaco-list-row[role="treeitem"][aria-label^="fmnist-late-fusion.arrow"]');
      await runRow.waitFor({ timeout: 20_000 });
      const sliceRow = runs.locator(`.monaco-list-row[role="treeitem"][aria-label^="slice ${NAME},"]`);
      for (let t = 0; t < 50 && !(await sliceRow.count()); t++) {
        if ((await runRow.getAttribute('aria-expanded')) === 'false') await runRow.locator('.monaco-tl-twistie').click();
        await page.waitForTimeout(200);
      }
      await sliceRow.waitFor();
      assert.match(await sliceRow.textContent(), new RegExp(`${NAME}.*${n} samples · s ↓ · class Shirt`));
      await ctx.shot('slices-runs-view-dark');
      await sliceRow.click();
      const again = await ctx.webview({ title: 'LSMI Results: fmnist-late-fusion', timeout: 30_000 });
      await again.locator('#count', { hasText: listed }).waitFor({ timeout: 20_000 });
      await again.locator('#chip-class', { hasText: 'Shirt' }).waitFor();
      ctx.errors.assertNone({ webviewOnly: true });
      // later test files see the workspace without this slice
      fs.rmSync(path.dirname(def), { recursive: true, force: true });
    },
  },
];
