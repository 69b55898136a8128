// Helpers shared by the UI test files (not a test file itself: the runner takes *.ui.mjs).
import assert from 'node:assert/strict';
import { THEMES } from '../harness/lib.mjs';

/** The workbench's theme class for each theme, so a screenshot is known to show the theme it names. */
const THEME_CLASS = { [THEMES.dark]: 'vs-dark', [THEMES.light]: 'vs', [THEMES.hc]: 'hc-black' };

/** Waits until the workbench uses `theme`; fails with the classes it has otherwise. */
export async function expectTheme(page, theme) {
  const want = THEME_CLASS[theme];
  const ok = await page
    .waitForFunction((cls) => document.querySelector('.monaco-workbench')?.classList.contains(cls), want, { timeout: 20_000 })
    .then(() => true, () => false);
  const got = await page.locator('.monaco-workbench').getAttribute('class');
  assert.ok(ok, `workbench should use ${theme} (class ${want}); classes: ${got}`);
}

/** A failed webview resource load of the web workbench (see reloadWindowAndFind). */
const cdnMiss = (e) => /ERR_NAME_NOT_RESOLVED/.test(e.text) && /vscode-cdn\.net|vscode-resource/.test(`${e.url} ${e.text}`);

/**
 * Reloads the window and returns the restored webview titled `title` once `selector` shows in it.
 * In code-server (VS Code for the web) the webview iframes load their resources through a service
 * worker; right after a window reload that worker sometimes does not yet control a restored
 * iframe, its script and stylesheet requests go to the network and fail offline
 * (ERR_NAME_NOT_RESOLVED on *.vscode-cdn.net). Desktop VS Code has no such worker. When exactly
 * that happened, or when the restored iframe never became ready (seen on a loaded 2-core CI
 * machine, with no error at all), the webviews are reloaded (Developer: Reload Webviews: same
 * panels, same serialized state, new iframes) and the check repeats, at most `attempts` times.
 * A panel that is not restored, or restored without `selector`, still fails every attempt.
 */
export async function reloadWindowAndFind(ctx, title, selector, { attempts = 3 } = {}) {
  await ctx.page.waitForTimeout(1_000);
  await ctx.runCommand('Developer: Reload Window');
  await ctx.page.locator('.monaco-workbench .statusbar').waitFor({ timeout: 90_000 });
  for (let attempt = 1; ; attempt++) {
    const frame = await ctx.webview({ title, timeout: 90_000 });
    const ok = await frame.locator(selector).first().waitFor({ timeout: 20_000 }).then(() => true, () => false);
    const misses = ctx.errors.entries.filter(cdnMiss);
    if (ok) {
      // other restored webviews (hidden tabs, previews) may have hit the same miss: note it, drop it
      if (misses.length) console.log(`      (${misses.length} × ERR_NAME_NOT_RESOLVED on vscode-cdn.net from restored webviews after the reload; not from this panel)`);
      for (let i = ctx.errors.entries.length - 1; i >= 0; i--) if (cdnMiss(ctx.errors.entries[i])) ctx.errors.entries.splice(i, 1);
      return frame;
    }
    if (attempt >= attempts) {
      const html = await frame.locator('html').innerHTML({ timeout: 2_000 }).catch((e) => `(none: ${e.message})`);
      throw new Error(`the restored panel "${title}" did not show ${selector} (attempt ${attempt}); webview html: ${html.slice(0, 800)}; browser errors: ${JSON.stringify(ctx.errors.errors().slice(-6))}`);
    }
    console.log(misses.length
      ? `      (after the reload the web workbench's service worker did not serve the restored webview: ${misses.length} × ERR_NAME_NOT_RESOLVED on vscode-cdn.net; Developer: Reload Webviews, attempt ${attempt + 1})`
      : `      (after the reload the restored webview's frame did not load within 20 s, no error reported; Developer: Reload Webviews, attempt ${attempt + 1})`);
    for (let i = ctx.errors.entries.length - 1; i >= 0; i--) if (cdnMiss(ctx.errors.entries[i])) ctx.errors.entries.splice(i, 1);
    await ctx.runCommand('Developer: Reload Webviews');
  }
}

/** Palette → LSMI: Estimate Interactions → pick `run` → "Estimate with defaults" → the results panel's frame. */
export async function estimateFromPalette(ctx, run) {
  const { page } = ctx;
  await ctx.runCommand('LSMI: Estimate Interactions');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(run);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: `${run}.arrow` }).first().waitFor();
  await page.keyboard.press('Enter');
  const preset = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Estimate with defaults' }).first();
  await preset.waitFor({ timeout: 15_000 });
  await preset.click();
  return ctx.webview({ title: `LSMI Results: ${run}`, timeout: 90_000 });
}

/**
 * Palette → LSMI: Open Results → pick `<name>.lsmi.arrow` → the results panel's frame. The active
 * editor must be neither a results panel nor a run (Open Results opens those without asking).
 */
export async function openResultsFromPalette(ctx, name) {
  await ctx.runCommand('LSMI: Open Results');
  const input = ctx.page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(name);
  await ctx.page.locator('.quick-input-list .monaco-list-row', { hasText: `${name}.lsmi.arrow` }).first().click();
  return ctx.webview({ title: `LSMI Results: ${name}`, timeout: 60_000 });
}

/** Quick Open (Go to File…) → `name` → Enter; waits until its tab is the active one. */
export async function goToFile(ctx, name) {
  await ctx.runCommand('Go to File...');
  const go = ctx.page.locator('.quick-input-widget input');
  await go.waitFor();
  await go.fill(name);
  await ctx.page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
  await ctx.page.keyboard.press('Enter');
  await ctx.page.locator('.tabs-container .tab.active', { hasText: name }).waitFor();
}

/** A seeded uniform generator on [−1, 3) (mulberry32): distinct values, so sorted orders have no ties. */
export function seededValues(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 4 - 1;
  };
}

/**
 * Closes every editor and opens README.md split in two groups, so the next panel opens at half the
 * editor width (beside a text editor), as a user who keeps code beside a panel sees it.
 */
export async function splitBesideReadme(ctx) {
  await ctx.runCommand('View: Close All Editors');
  await goToFile(ctx, 'README.md');
  await ctx.runCommand('View: Split Editor Right');
  await ctx.page.locator('.editor-group-container').nth(1).waitFor();
}

/**
 * Asserts that a panel is at half the editor width and does not scroll sideways: only tables in a
 * scroll box (.table-scroll, the virtual tables' .vscroll) may be wider than the panel.
 */
export async function assertNoSidewaysScroll(frame, what) {
  const width = await frame.locator('body').evaluate((b) => b.clientWidth);
  assert.ok(width < 640, `${what}: the panel is at half the editor width (${width} px)`);
  const overflow = await frame.locator('body').evaluate(() => {
    const w = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll('body *')].filter((el) => el.getBoundingClientRect().right > w + 1 && !el.closest('.table-scroll, .vscroll'));
    // the outermost offenders, to say what overflows
    const outer = wide.filter((el) => !wide.some((p) => p !== el && p.contains(el))).map((el) => `${el.tagName.toLowerCase()}#${el.id}.${[...el.classList].join('.')}`);
    return { by: document.documentElement.scrollWidth - w, outer };
  });
  assert.ok(overflow.by <= 0, `${what}: the panel scrolls sideways by ${overflow.by} px at half width: ${overflow.outer.join(', ')}`);
}

/**
 * A number as every surface prints it (src/engine/format.ts; README "Numbers"): `digits` fixed
 * decimals (default 4, nats), the Unicode minus U+2212, no sign on a value that rounds to zero.
 */
export const fixed = (x, digits = 4) => (Number(x.toFixed(digits)) === 0 ? Math.abs(x).toFixed(digits) : x.toFixed(digits).replace('-', '\u2212'));
/** A printed number read back: U+2212 → '-', thousands separators dropped. */
export const parseShown = (text) => Number(String(text).trim().replace(/\u2212/g, '-').replace(/,/g, ''));

/**
 * Chooses classes in a class filter (a vscode-multi-select combobox, in its shadow root): for each
 * name (the start of a class name), types it (type-ahead filters the list) and clicks its option; Escape closes the list.
 */
export async function pickClasses(frame, select, names) {
  const input = frame.locator(`${select} .combobox-input`);
  for (const name of names) {
    await input.click();
    await input.fill(name);
    const option = frame.locator(`${select} li[role="option"]`, { hasText: new RegExp(`^\\s*\\d+:\\s+${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '\\s+')}`) }).first();
    await option.waitFor({ timeout: 10_000 });
    // type-ahead: the list holds only the classes that match what was typed
    const shown = await frame.locator(`${select} li[role="option"]`).allTextContents();
    assert.ok(shown.every((t) => t.toLowerCase().includes(name.toLowerCase())), `type-ahead for "${name}" left ${shown.join(' | ')}`);
    await option.click();
  }
  await input.press('Escape');
}

/** The compare panel of the two Fashion-MNIST example runs. */
export const FMNIST_COMPARE = 'LSMI Compare: fmnist-early-fusion vs fmnist-late-fusion';

/** Palette → LSMI: Compare Runs → type `filter`, tick the runs it leaves (`runs`) → the compare panel. */
export async function compareFromPalette(ctx, { filter = 'fmnist', runs = ['fmnist-early-fusion', 'fmnist-late-fusion'], title = FMNIST_COMPARE } = {}) {
  const { page } = ctx;
  await ctx.runCommand('LSMI: Compare Runs');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(filter);
  for (const run of runs) await page.locator('.quick-input-list .monaco-list-row', { hasText: run }).first().waitFor();
  // the filter leaves exactly these runs: tick them with the list's "toggle all"
  // (ticking rows one by one raced with the list re-rendering)
  await page.locator('.quick-input-widget [role="checkbox"][aria-label="Toggle all checkboxes"]').click();
  for (const run of runs) {
    await page.locator(`.quick-input-widget [role="checkbox"][aria-label="${run}"][aria-checked="true"]`).waitFor({ timeout: 10_000 });
  }
  await page.keyboard.press('Enter');
  return ctx.webview({ title, timeout: 60_000 });
}
