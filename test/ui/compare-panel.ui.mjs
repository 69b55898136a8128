// Playwright tests of Compare Runs in a real VS Code workbench (code-server): both Fashion-MNIST runs
// are estimated from the palette, compared from the palette, and the compare panel is used like a
// user would: which component moved, which classes and samples moved most, a mover's files, the
// high-redundancy partition. Screenshots in dark, light and high contrast.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { THEMES } from '../harness/lib.mjs';
import { assertNoSidewaysScroll, compareFromPalette, estimateFromPalette, expectTheme, FMNIST_COMPARE, reloadWindowAndFind, splitBesideReadme } from './common.mjs';

const { readResults, writeResults } = createRequire(import.meta.url)('../../out/src/engine/io/results.js');
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const TITLE = FMNIST_COMPARE;

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
  // one row per component, a column per run and one for the Δ with its interval
  assert.equal(await frame.locator('#dataset-table tbody tr').count(), 4);
  assert.match(await frame.locator('#dataset-table tr[data-component="r"] td').nth(2).textContent(), /^−0\.0094 \[−0\.\d{4}, \+0\.\d{4}\] ~ \(within noise\)$/);
  // per-class shifts: ten classes, sorted by ΔS
  const rows = frame.locator('#class-shifts tbody tr');
  await rows.nth(9).waitFor();
  const dS = await rows.evaluateAll((rs) => rs.map((r) => Number(r.children[5].textContent.split(' ')[0].replace('−', '-'))));
  for (let i = 1; i < dS.length; i++) assert.ok(dS[i - 1] >= dS[i], `class shifts sorted by ΔS: ${dS.join(', ')}`);
  // each class Δ carries its interval; none of the Fashion-MNIST class shifts is beyond noise
  assert.match(await rows.first().locator('td').nth(5).textContent(), /^[+−]\d\.\d{4} \[[+−]?\d\.\d{4}, [+−]?\d\.\d{4}\] ~ \(within noise\)$/);
  assert.equal(await frame.locator('#class-shifts td.within-noise').count(), 40, 'every class Δ of the example runs is within noise');
  assert.equal(await frame.locator('#class-shifts td.gain, #class-shifts td.loss').count(), 0);
  assert.match(await frame.locator('#shift-summary').textContent(), /^No class moved beyond noise in any component \(95 % intervals, simultaneous over the 10 classes\)\.$/);
  // within noise is shown by more than colour: greyed (reduced opacity) and the "~" mark
  const look = await frame.locator('#dataset-table td.within-noise').first().evaluate((td) => ({ opacity: Number(getComputedStyle(td).opacity), mark: td.querySelector('.noise-mark')?.textContent }));
  assert.ok(look.opacity < 1 && look.mark === ' ~', JSON.stringify(look));
  // the movers cannot be ranked by stability: neither run was estimated with replicates
  assert.ok(await frame.locator('#mover-order vscode-option[value="stable"][disabled]').count() === 1, 'the "relative to stability" order is disabled');
  // the Δ histograms: 40 bins (outliers, if any, in separate bars)
  for (const c of ['r', 'u1', 'u2', 's']) assert.equal(await frame.locator(`#delta-${c} rect.bin:not(.outlier)`).count(), 40);
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
    await splitBesideReadme(ctx);
    const half = await compareFromPalette(ctx);
    await half.locator('#moved-headline').waitFor({ timeout: 60_000 });
    await assertNoSidewaysScroll(half, 'compare panel');
    await ctx.shot('compare-overview-dark-half');
    await half.locator('#dataset-table').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await ctx.shot('compare-shifts-dark-half');
    ctx.errors.assertNone({ webviewOnly: true });
  },
});

/**
 * Two runs that differ by a known amount: the late-fusion run estimated with replicates (by the CLI,
 * so both carry per-sample stability), and a copy of it whose per-sample s is higher by 0.2 nats
 * plus seeded noise of ±0.3 (mean 0): S moved (its interval excludes 0), R, U1, U2 did not.
 */
async function writeShiftedPair(workspace) {
  const dir = path.join(workspace, 'replicates');
  fs.mkdirSync(dir, { recursive: true });
  const a = path.join(dir, 'stable-a.lsmi.arrow');
  execFileSync(process.execPath, [path.join(ROOT, 'bin', 'lsmi.js'), 'estimate', path.join(workspace, 'fashion-mnist', 'fmnist-late-fusion.arrow'), '--replicates', '2', '--out', a], { stdio: 'pipe' });
  const data = await readResults(a);
  assert.equal(data.meta.stability.replicates, 2);
  data.meta.run.name = 'stable-a';
  await writeResults(a, data);
  let seed = 7;
  const rnd = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const shift = Float64Array.from({ length: data.meta.run.n }, () => 0.2 + 0.6 * (rnd() - 0.5));
  const mean = shift.reduce((x, y) => x + y, 0) / shift.length;
  const columns = { ...data.columns, s: data.columns.s.map((v, i) => v + shift[i]), s_raw: data.columns.s_raw.map((v, i) => v + shift[i]) };
  const meta = structuredClone(data.meta);
  meta.run.name = 'stable-b';
  meta.dataset.adjusted.S += mean;
  meta.dataset.raw.S += mean;
  for (const pc of meta.perClass) {
    let sum = 0;
    let n = 0;
    for (let i = 0; i < data.labels.length; i++) if (data.labels[i] === pc.index) (sum += shift[i]), n++;
    pc.adjusted.S += sum / n;
    pc.raw.S += sum / n;
  }
  await writeResults(path.join(dir, 'stable-b.lsmi.arrow'), { ...data, meta, columns });
  return mean;
}

const movedBeyondNoise = {
  name: 'Compare Runs: a component that moved beyond noise is named with its interval; movers ranked relative to stability',
  theme: THEMES.dark,
  timeout: 240_000,
  fn: async (ctx) => {
    const mean = await writeShiftedPair(ctx.workspace);
    await ctx.runCommand('View: Close All Editors');
    const { page } = ctx;
    const pair = { filter: 'stable-', runs: ['stable-a', 'stable-b'], title: 'LSMI Compare: stable-a vs stable-b' };
    const frame = await compareFromPalette(ctx, pair);
    await frame.locator('#moved-headline').waitFor({ timeout: 60_000 });
    // the headline names S only, with its Δ and interval; the rest are listed as within noise
    const headline = await frame.locator('#moved-headline').textContent();
    const m = /^S moved: \+(\d\.\d{4}) \[\+(\d\.\d{4}), \+(\d\.\d{4})\] nats$/.exec(headline);
    assert.ok(m, headline);
    assert.ok(Math.abs(Number(m[1]) - mean) < 1e-3, `ΔS ${m[1]} = the mean shift ${mean}`);
    assert.ok(Number(m[2]) < mean && mean < Number(m[3]), `the interval [${m[2]}, ${m[3]}] holds the shift`);
    const moved = await frame.locator('#moved').textContent();
    assert.match(moved, /Within noise: R /);
    assert.doesNotMatch(moved, /R moved|U1 moved|U2 moved/);
    // both runs carry replicates: the intervals include the seed-to-seed noise, and say so
    assert.match(await frame.locator('#noise-note').textContent(), /seed-to-seed noise \(both runs were estimated with replicates\)/);
    // the dataset table: ΔS coloured (a gain) and not greyed; the other three greyed and marked ~
    const dS = frame.locator('#dataset-table tbody tr[data-component="s"] td').nth(2);
    assert.match(await dS.getAttribute('class'), /\bgain\b/);
    assert.doesNotMatch(await dS.getAttribute('class'), /within-noise/);
    assert.match(await dS.getAttribute('title'), /^beyond noise: the interval \[\+0\.\d{4}, \+0\.\d{4}\] excludes 0$/);
    assert.equal(await frame.locator('#dataset-table td.within-noise').count(), 3);
    // the classes that moved beyond noise: every class gained synergy, listed with its Δ, interval and n
    const gained = await frame.locator('#shift-summary li[data-shift="s-gained"]').textContent();
    assert.match(gained, /^Gained synergy: \S.* \+0\.\d{4} \[\+0\.\d{4}, \+0\.\d{4}\] \(n \d+\), .* and 7 more$/);
    assert.equal(await frame.locator('#shift-summary li').count(), 1, 'only synergy moved');
    assert.equal(await frame.locator('#class-shifts td.gain').count(), 10);
    // the movers: "relative to stability" is offered, and shows each sample's noise
    assert.equal(await frame.locator('#mover-order vscode-option[value="stable"][disabled]').count(), 0);
    await frame.locator('#movers-h').scrollIntoViewIfNeeded();
    await frame.locator('#mover-order').click();
    await frame.locator('#mover-order li[role="option"]', { hasText: 'largest |Δ| relative to stability' }).first().click();
    const rows = frame.locator('#movers tbody tr.vrow:not(.loading)');
    await frame.locator('#movers thead th', { hasText: 'noise sd' }).waitFor();
    await rows.nth(5).waitFor();
    const head = await frame.locator('#movers thead th').allTextContents();
    const ratio = head.findIndex((t) => t.trim() === '|Δ| / sd');
    assert.ok(ratio > 0, head.join(' | '));
    const end = Date.now() + 10_000;
    for (;;) {
      const v = await rows.evaluateAll((rs, k) => rs.map((r) => Number(r.children[k].textContent)), ratio);
      const sorted = v.length > 5 && v.every((x, i) => i === 0 || v[i - 1] >= x - 0.05);
      if (sorted) break;
      assert.ok(Date.now() < end, `movers ranked by |Δ| / sd: ${v.join(', ')}`);
      await page.waitForTimeout(200);
    }
    await frame.locator('#moved').scrollIntoViewIfNeeded();
    await ctx.shot('compare-moved-dark');
    await frame.locator('#movers-h').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await ctx.shot('compare-stable-movers-dark');
    // at half the editor width: the headline, the tables and the wider movers table (scrolled in its box)
    await splitBesideReadme(ctx);
    const half = await compareFromPalette(ctx, pair);
    await half.locator('#moved-headline', { hasText: 'S moved' }).waitFor({ timeout: 60_000 });
    await half.locator('#movers tbody tr.vrow:not(.loading)').nth(3).waitFor();
    await assertNoSidewaysScroll(half, 'compare panel, S moved');
    await half.locator('#moved').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await ctx.shot('compare-moved-dark-half');
    await half.locator('#shift-summary').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await ctx.shot('compare-moved-shifts-dark-half');
    await half.locator('#movers-h').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await ctx.shot('compare-stable-movers-dark-half');
    ctx.errors.assertNone({ webviewOnly: true });
  },
};

export const tests = process.env.DARK_ONLY
  ? [themed('dark', THEMES.dark), movedBeyondNoise]
  : [themed('dark', THEMES.dark), movedBeyondNoise, themed('light', THEMES.light), themed('high-contrast', THEMES.hc)];
