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
