// Playwright tests of the results overview's "BROJA PID and synergy bounds" section and the Compare
// panel's "Ensembles" section (docs/pid.md) in a real VS Code workbench, in every theme and at half width.
import assert from 'node:assert/strict';
import { THEMES } from '../harness/lib.mjs';
import { assertNoSidewaysScroll, compareFromPalette, estimateFromPalette, expectTheme, openResultsFromPalette, splitBesideReadme } from './common.mjs';

// `lsmi pid examples/fashion-mnist/fmnist-late-fusion.lsmi.arrow` with the default (seeded) settings: README
const BROJA = { R: '1.1527', U1: '0.2524', U2: '0.2067', S: '0.1728' };

async function checkPid(frame) {
  await frame.locator('#pid-table').waitFor({ timeout: 300_000 });
  for (const [k, v] of Object.entries(BROJA)) assert.equal(await frame.locator(`#pid-${k}`).textContent(), v, k);
  assert.match(await frame.locator('#pid-note').textContent(), /BROJA is one dataset-level decomposition/);
  assert.match(await frame.locator('#pid-solver').textContent(), /duality gap \d\.\de-\d nats after \d+ steps\./);
  assert.match(await frame.locator('#pid-verdict').textContent(), /^LSMI's S 0\.1492 is (inside|below|above) \[-?\d\.\d{4}, \d\.\d{4}\]/);
  assert.equal(await frame.locator('#bounds-table tbody tr').count(), 6, 'S_R ×2, S_D, S_D from the heads, S_U, BROJA S');
}

const themed = (label, theme) => ({
  name: `BROJA PID section and ensembles in the ${label} theme`,
  theme,
  timeout: 600_000,
  fn: async (ctx) => {
    await expectTheme(ctx.page, theme);
    if (label === 'dark') {
      await (await estimateFromPalette(ctx, 'fmnist-early-fusion')).locator('#run-name').waitFor({ timeout: 90_000 });
    }
    const frame = label === 'dark' ? await estimateFromPalette(ctx, 'fmnist-late-fusion') : await openResultsFromPalette(ctx, 'fmnist-late-fusion');
    await frame.locator('#run-name').waitFor({ timeout: 90_000 });
    await checkPid(frame);
    await frame.locator('#pid-h').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await ctx.shot(`pid-results-${label}`);
    const cmp = await compareFromPalette(ctx);
    await cmp.locator('#ensemble-table').waitFor({ timeout: 300_000 });
    const rows = await cmp.locator('#ensemble-table tbody tr th').allTextContents();
    assert.equal(rows.length, 10, rows.join(' | '));
    for (const v of ['Additive', 'Weighted', 'LSMI-rule', 'LSMI-gate']) assert.ok(rows.some((r) => r.startsWith(v)), v);
    assert.match(await cmp.locator('#ensemble').textContent(), /2,000 samples out of sample in every run/);
    await cmp.locator('#ensemble-classes summary').click();
    assert.equal(await cmp.locator('#ensemble-classes tbody tr').count(), 10);
    await cmp.locator('#ensemble-h').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await ctx.shot(`pid-ensemble-${label}`);
    ctx.errors.assertNone({ webviewOnly: true });
  },
});

const halfWidth = {
  name: 'BROJA PID and ensembles at half the editor width: no sideways scroll',
  theme: THEMES.dark,
  timeout: 600_000,
  fn: async (ctx) => {
    await splitBesideReadme(ctx);
    const frame = await openResultsFromPalette(ctx, 'fmnist-late-fusion');
    await checkPid(frame);
    await frame.locator('#pid-h').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await assertNoSidewaysScroll(frame, 'results with the PID section');
    await ctx.shot('pid-results-half');
    const cmp = await compareFromPalette(ctx);
    await cmp.locator('#ensemble-table').waitFor({ timeout: 300_000 });
    await cmp.locator('#ensemble-h').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await assertNoSidewaysScroll(cmp, 'compare with the ensembles section');
    await ctx.shot('pid-ensemble-half');
  },
};

export const tests = process.env.DARK_ONLY
  ? [themed('dark', THEMES.dark), halfWidth]
  : [themed('dark', THEMES.dark), halfWidth, themed('light', THEMES.light), themed('high-contrast', THEMES.hc)];
