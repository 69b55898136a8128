// Playwright tests of the results panel's Discriminators section and the Overview's warnings, in a real VS Code
// workbench (code-server): per head its source, held-out log-loss before → after calibration, temperature, ECE,
// reliability diagram, the probe families of `probe: 'auto'` and the learning curve; the density models; results of
// an older version. Every expectation is read from the results file the panel shows (out/src/engine/io/results.js).
// Screenshots (full and half editor width, three themes) go to .test-output/screenshots/discriminators-*.png.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { THEMES } from '../harness/lib.mjs';
import { estimateFromPalette, expectTheme, fixed, openResultsFromPalette } from './common.mjs';

const require = createRequire(import.meta.url);
const { readResults, writeResults } = require('../../out/src/engine/io/results.js');
const HERE = path.dirname(fileURLToPath(import.meta.url));

// taller than the default, so a screenshot holds the three head cards
export const viewport = { width: 1280, height: 1000 };

const HEADS = ['1', '2', '12'];
const FAMILY = { lda: 'LDA', logistic: 'logistic', mlp: 'MLP' };
// as the panels print numbers (webview/shared/vscode.ts fmt): a value that rounds to zero has no sign
// as src/engine/format.ts prints them: nats (log-loss, MI, log-likelihood) 4 decimals, fractions (accuracy, ECE) 3
const nats = (x) => fixed(x, 4);
const frac = (x) => fixed(x, 3);
const temp = (t) => (Math.abs(t) >= 100 ? t.toFixed(0) : Math.abs(t) >= 10 ? t.toFixed(1) : t.toFixed(2));
const nonEmpty = (rel) => rel.bins.flatMap((b, k) => (b.n > 0 ? [k] : []));
const results = (ctx, ...p) => path.join(ctx.workspace, ...p);
const fact = (frame, head, name) => frame.locator(`#facts-${head} dd[data-fact="${name}"]`);

/** The facts of every head as the results file records them: log-loss, calibration, accuracy, ECE, mean MI. */
async function checkFacts(frame, meta) {
  for (const h of HEADS) {
    const x = meta.heads[h];
    const cal = x.calibration;
    assert.equal(await fact(frame, h, 'log-loss').textContent(), `${nats(cal.logLossBefore)} → ${nats(cal.logLossAfter)}`, `head ${h} log-loss`);
    const t = cal.temperatures;
    const mean = t.reduce((a, b) => a + b, 0) / t.length;
    const calibration = fact(frame, h, 'calibration');
    assert.equal(await calibration.textContent(), `${cal.method}, T = ${temp(mean)}`);
    // the range over the folds on hover
    const title = await calibration.getAttribute('title');
    assert.ok(title.includes(`range ${temp(Math.min(...t))}–${temp(Math.max(...t))}`) && t.every((v) => title.includes(temp(v))), title);
    assert.equal(await fact(frame, h, 'accuracy').textContent(), frac(x.accuracy));
    assert.equal(await fact(frame, h, 'ECE').textContent(), `${frac(x.reliability.before.ece)} → ${frac(x.reliability.after.ece)}`);
    assert.equal(await fact(frame, h, 'mean MI').textContent(), nats(x.meanMI));
  }
}

/** Three reliability diagrams, each drawing exactly its non-empty bins where the file puts them. */
async function checkReliability(frame, meta) {
  for (const h of HEADS) {
    const rel = meta.heads[h].reliability;
    const fig = frame.locator(`#reliability-${h} svg.reliability`);
    await fig.waitFor();
    for (const which of ['before', 'after']) {
      const pts = fig.locator(`.rel-${which} .rel-pt`);
      const bins = await pts.evaluateAll((cs) => cs.map((c) => Number(c.dataset.bin)));
      assert.deepEqual(bins, nonEmpty(rel[which]), `head ${h}: one point per bin with samples, ${which} calibration`);
      // a point sits at (mean confidence, accuracy) of its bin: the plot is 150 units square at (30, 8)
      const { cx, cy } = await pts.last().evaluate((c) => ({ cx: Number(c.getAttribute('cx')), cy: Number(c.getAttribute('cy')) }));
      const b = rel[which].bins[bins[bins.length - 1]];
      assert.ok(Math.abs(cx - (30 + 150 * b.confidence)) < 0.01 && Math.abs(cy - (8 + 150 * (1 - b.accuracy))) < 0.01, `head ${h} ${which}: (${cx}, ${cy})`);
    }
    assert.deepEqual(await fig.locator('.rel-count').evaluateAll((rs) => rs.map((r) => Number(r.dataset.bin))), nonEmpty(rel.after));
    assert.equal(await fig.locator('.rel-diag').count(), 1, 'the diagonal of perfect calibration');
    assert.match(await fig.getAttribute('aria-label'), new RegExp(`calibration error ${frac(rel.before.ece)} before calibration, ${frac(rel.after.ece)} after`));
  }
}

/** Where the head cards are: side by side (one row) or stacked (one column); nothing wider than the panel. */
async function checkLayout(frame, want) {
  const got = await frame.locator('#heads').evaluate((el) => {
    const cards = [...el.querySelectorAll('.head-card')];
    const r = cards.map((c) => c.getBoundingClientRect());
    return {
      tops: r.map((b) => Math.round(b.top)),
      lefts: r.map((b) => Math.round(b.left)),
      pageOverflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      cardOverflow: cards.map((c) => c.scrollWidth - c.clientWidth),
      svgWidths: [...el.querySelectorAll('svg.reliability')].map((s) => Math.round(s.getBoundingClientRect().width)),
    };
  });
  const msg = JSON.stringify(got);
  if (want === 'row') assert.ok(got.tops.every((t) => t === got.tops[0]) && got.lefts[0] < got.lefts[1] && got.lefts[1] < got.lefts[2], `three cards side by side: ${msg}`);
  else assert.ok(got.lefts.every((l) => l === got.lefts[0]) && got.tops[0] < got.tops[1] && got.tops[1] < got.tops[2], `cards one per row: ${msg}`);
  assert.ok(got.pageOverflow <= 0, `the panel scrolls sideways: ${msg}`);
  assert.ok(got.cardOverflow.every((o) => o <= 0), `a card's content is wider than the card: ${msg}`);
  assert.ok(got.svgWidths.every((w) => w >= 150), `the reliability diagrams keep a readable size: ${msg}`);
}

const scrollTo = (frame, sel) => frame.locator(sel).evaluate((el) => el.scrollIntoView({ block: 'start' }));

/** The panel in the right half of the editor area: a text editor left, the results right (a split editor group). */
async function openAtHalfWidth(ctx, name) {
  await ctx.runCommand('View: Close All Editors');
  await ctx.runCommand('Go to File...');
  const input = ctx.page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill('README.md');
  await ctx.page.locator('.quick-input-list .monaco-list-row', { hasText: 'README.md' }).first().waitFor();
  await ctx.page.keyboard.press('Enter');
  await ctx.page.locator('.tabs-container .tab.active', { hasText: 'README.md' }).waitFor();
  await ctx.runCommand('View: Split Editor Right');
  await ctx.page.locator('.editor-group-container').nth(1).waitFor();
  return openResultsFromPalette(ctx, name);
}

/**
 * Full width, then half width (cards stacked): the XOR results' Discriminators section and the top of the Overview
 * of xor-diagnosed (its warnings), as screenshots.
 */
async function screenshots(ctx, label) {
  await ctx.runCommand('View: Close All Editors'); // a tab "LSMI Results: xor-v1" would also match "LSMI Results: xor"
  const frame = await estimateFromPalette(ctx, 'xor');
  await frame.locator('#heads .head-card').nth(2).waitFor({ timeout: 90_000 });
  assert.equal(await frame.locator('#run-name').textContent(), 'xor');
  await checkLayout(frame, 'row');
  await scrollTo(frame, '#heads-h');
  await ctx.shot(`discriminators-${label}-full`);
  await writeDiagnosed(ctx);
  await ctx.runCommand('View: Close All Editors');
  const warned = await openResultsFromPalette(ctx, 'xor-diagnosed');
  await warned.locator('#warnings').waitFor();
  await ctx.shot(`discriminators-${label}-full-warnings`);

  const half = await openAtHalfWidth(ctx, 'xor');
  await half.locator('#heads .head-card').nth(2).waitFor({ timeout: 30_000 });
  const width = await half.locator('body').evaluate((b) => b.clientWidth);
  assert.ok(width < 560, `the panel is at half the editor width (${width} px)`);
  await checkLayout(half, 'column');
  await scrollTo(half, '#heads-h');
  await ctx.shot(`discriminators-${label}-half`);
  await scrollTo(half, '#head-12');
  await ctx.shot(`discriminators-${label}-half-joint`);
  const halfWarned = await openAtHalfWidth(ctx, 'xor-diagnosed');
  await halfWarned.locator('#warnings').waitFor();
  await checkLayout(halfWarned, 'column');
  await ctx.shot(`discriminators-${label}-half-warnings`);
  ctx.errors.assertNone({ webviewOnly: true });
}

const xorProbes = {
  name: 'XOR without logits: each head names its probe, the three families with the MLP chosen for both modalities, reliability diagrams, learning curves',
  theme: THEMES.dark,
  timeout: 240_000,
  fn: async (ctx) => {
    await expectTheme(ctx.page, THEMES.dark);
    const frame = await estimateFromPalette(ctx, 'xor');
    await frame.locator('#heads .head-card').nth(2).waitFor({ timeout: 90_000 });
    const { meta } = await readResults(results(ctx, 'circuits', 'xor.lsmi.arrow'));
    // XOR: the label is a non-linear function of both modalities; only the MLP can fit it
    assert.equal(meta.heads['12'].family, 'mlp');
    for (const h of HEADS) {
      const x = meta.heads[h];
      assert.equal(await frame.locator(`#source-${h}`).textContent(), `${FAMILY[x.family]} probe (auto)`);
      const rows = frame.locator(`#candidates-${h} tbody tr`);
      assert.deepEqual(await rows.evaluateAll((rs) => rs.map((r) => r.dataset.family)), ['lda', 'logistic', 'mlp'], `head ${h}: every family`);
      for (const c of x.candidates) {
        const cells = frame.locator(`#candidates-${h} tr[data-family="${c.family}"] td`);
        assert.equal(await cells.nth(1).textContent(), c.selectionLogLoss === null ? 'not fitted' : nats(c.selectionLogLoss), `head ${h} ${c.family} log-loss`);
        assert.equal(await cells.nth(2).textContent(), c.chosen ? `${c.chosen} of ${x.selections}` : '');
        if (c.detail) assert.ok((await cells.nth(0).textContent()).includes(c.detail), `head ${h} ${c.family}: its detail`);
      }
      // the family the head used is marked, and only that one
      assert.deepEqual(await frame.locator(`#candidates-${h} tbody tr.used`).evaluateAll((rs) => rs.map((r) => r.dataset.family)), [x.family]);
      // the learning curve: three points, and whether it still falls, in words
      const lc = x.learningCurve;
      const curve = frame.locator(`#learning-${h}`);
      assert.deepEqual(await curve.locator('tr').evaluateAll((rs) => rs.map((r) => [...r.children].map((c) => c.textContent))), [
        ['rows', ...lc.rows.map((n) => n.toLocaleString('en-US'))],
        ['log-loss', ...lc.logLoss.map(nats)],
      ]);
      assert.deepEqual(await curve.locator('tr').first().locator('td').evaluateAll((ts) => ts.map((t) => t.title)), ['50 % of the training rows', '75 % of the training rows', '100 % of the training rows']);
      const verdict = await curve.locator('.lc-verdict').textContent();
      assert.ok(verdict.endsWith(lc.stillFalling ? 'still falling: more samples would lower it' : 'no longer falling'), verdict);
    }
    assert.deepEqual(await frame.locator('#candidates-12 tbody tr.used').evaluateAll((rs) => rs.map((r) => r.dataset.family)), ['mlp']);
    await checkFacts(frame, meta);
    await checkReliability(frame, meta);
    // the density model per modality
    for (const m of ['1', '2']) {
      const d = meta.density[m];
      assert.match(await frame.locator(`#density-${m}`).textContent(), new RegExp(`^x${m}: Gaussian mixture \\(EM\\), ${d.covariance} covariance, K = ${d.K} — ${d.iterations} iterations, mean log-likelihood ${nats(d.meanLogLik)} nats on 4,000 rows(Chosen from ${d.search?.candidates.length} candidates|$)`));
      // K and the covariance are 'auto' by default: the search is in a disclosure under the line
      assert.equal(await frame.locator(`#density-search-${m}`).count(), d.search ? 1 : 0);
    }
    // XOR's heads raise no warning, so the Overview shows none
    assert.deepEqual(meta.warnings, []);
    assert.equal(await frame.locator('#warnings, .head-warning').count(), 0);
    await checkLayout(frame, 'row');
    ctx.errors.assertNone({ webviewOnly: true });
  },
};

const withLogits = {
  name: 'a run with logits: each head is its logits, calibrated before → after, with its reliability diagram; no probe selection',
  theme: THEMES.dark,
  timeout: 180_000,
  fn: async (ctx) => {
    const frame = await estimateFromPalette(ctx, 'fmnist-early-fusion');
    await frame.locator('#heads .head-card').nth(2).waitFor({ timeout: 90_000 });
    const { meta } = await readResults(results(ctx, 'fashion-mnist', 'fmnist-early-fusion.lsmi.arrow'));
    for (const h of HEADS) {
      assert.equal(await frame.locator(`#source-${h}`).textContent(), `logits_${h}`);
      assert.equal(await frame.locator(`#candidates-${h}, #learning-${h}`).count(), 0, 'logits: no probe selection, no learning curve');
    }
    await checkFacts(frame, meta);
    await checkReliability(frame, meta);
    assert.ok(nonEmpty(meta.heads['12'].reliability.after).length >= 5, 'a real model spreads its confidence over several bins');
    await scrollTo(frame, '#heads-h');
    await ctx.shot('discriminators-logits-dark-full');
    ctx.errors.assertNone({ webviewOnly: true });
  },
};

/**
 * The XOR results with warnings, a still-falling learning curve and a density search added to their metadata (no
 * example run raises a warning or searches its density yet), as circuits/xor-diagnosed.lsmi.arrow.
 */
async function writeDiagnosed(ctx) {
  const base = await readResults(results(ctx, 'circuits', 'xor.lsmi.arrow'));
  const meta = structuredClone(base.meta);
  meta.run.name = 'xor-diagnosed';
  const falling = "head 1 (x1): the probe's held-out log-loss is still falling with more training rows (0.690 → 0.600 → 0.520 nats at 50 %/75 %/100 % of 2,560 rows, about 0.200 nats per doubling): its MIs, and so R, U and S, are probably underestimated because of sample size. More samples, or logits from the trained model, would tighten them.";
  const density = 'density 2 (x2): the search ran out of its 20 s budget before full covariances; K = 5 diag was the best of those tried.';
  meta.heads['1'].learningCurve = { ...meta.heads['1'].learningCurve, logLoss: [0.69, 0.6, 0.52], dropPerDoubling: 0.2, stillFalling: true };
  meta.heads['1'].warnings = [falling];
  meta.warnings = [falling, density];
  meta.density['1'].covariance = 'diag';
  delete meta.density['2'].search;
  meta.density['1'].search = {
    chosen: 1,
    candidates: [
      { covariance: 'diag', K: 1, heldOutLogLik: 0.512, seconds: 0.1 },
      { covariance: 'diag', K: meta.density['1'].K, heldOutLogLik: 1.061, seconds: 0.4 },
      { covariance: 'diag', K: 32, heldOutLogLik: Number.NEGATIVE_INFINITY, seconds: 2.2 },
      { covariance: 'full', K: 32, heldOutLogLik: null, seconds: 0, skipped: 'over the time budget' },
    ],
    fitRows: 3200, valRows: 800, budgetSeconds: 20, seconds: 2.7,
  };
  await writeResults(results(ctx, 'circuits', 'xor-diagnosed.lsmi.arrow'), { ...base, meta });
  return { meta, falling, density };
}

/** Warnings, a still-falling learning curve and a density search (writeDiagnosed). */
const diagnosed = {
  name: 'warnings at the top of the Overview and in their head, "still falling", the density search in a disclosure',
  theme: THEMES.dark,
  timeout: 120_000,
  fn: async (ctx) => {
    const { meta, falling, density } = await writeDiagnosed(ctx);
    await ctx.runCommand('View: Close All Editors');
    const frame = await openResultsFromPalette(ctx, 'xor-diagnosed');
    await frame.locator('#warnings').waitFor();
    // first in the Overview, in the file's words and order
    assert.equal(await frame.locator('#panel-overview > *').first().getAttribute('id'), 'warnings');
    assert.deepEqual(await frame.locator('#warnings li').allTextContents(), [falling, density]);
    assert.equal(await frame.locator('#warnings-h').textContent(), '⚠2 warnings');
    // and in its head's card, whose learning curve says so plainly
    assert.deepEqual(await frame.locator('#head-1 .head-warning').allTextContents(), [`⚠ ${falling}`]);
    assert.equal(await frame.locator('#head-2 .head-warning, #head-12 .head-warning').count(), 0);
    assert.equal(await frame.locator('#learning-1 .still-falling').textContent(), 'still falling: more samples would lower it');
    await ctx.shot('discriminators-warnings-dark-top');
    // the density search: closed at first, the chosen candidate marked, the skipped one with its reason
    const search = frame.locator('#density-search-1');
    assert.equal(await frame.locator('#density-search-2').count(), 0);
    assert.equal(await search.getAttribute('open'), null);
    assert.equal(await search.locator('summary').textContent(), 'Chosen from 4 candidates by held-out log-likelihood (fit on 3,200 rows, 800 held out; 2.7 s of a 20 s budget)');
    await search.locator('summary').click();
    const rows = search.locator('tbody tr');
    assert.deepEqual(await rows.evaluateAll((rs) => rs.map((r) => [...r.children].map((td) => td.textContent))), [
      ['diag', '1', '0.5120', '0.1 s'],
      ['✓ diag', String(meta.density['1'].K), '1.0610', '0.4 s'],
      ['diag', '32', '—', '2.2 s'],
      ['full', '32', '—', 'skipped: over the time budget'],
    ]);
    assert.equal(await search.locator('tr.used').count(), 1);
    // the link in the warnings goes to the discriminators
    await scrollTo(frame, '#run-name');
    await frame.locator('#warnings-heads').click();
    await frame.locator('#heads-h').evaluate((el) => new Promise((r) => requestAnimationFrame(() => r(Math.abs(el.getBoundingClientRect().top)))))
      .then((top) => assert.ok(top < 2, `the Discriminators heading is at the top (${top} px)`));
    await scrollTo(frame, '#density');
    await ctx.shot('discriminators-density-search-dark');
    ctx.errors.assertNone({ webviewOnly: true });
  },
};

/** Results written by LSMI Explorer 0.2.0 (results format 1): the metadata it wrote for XOR (its backend detail trimmed), the XOR samples. */
const olderVersion = {
  name: 'results of an older version (format 1) still render: "—" where they record nothing, no diagrams',
  theme: THEMES.dark,
  timeout: 120_000,
  fn: async (ctx) => {
    const base = await readResults(results(ctx, 'circuits', 'xor.lsmi.arrow'));
    const meta = JSON.parse(fs.readFileSync(path.join(HERE, '..', 'fixtures', 'results-meta-v1-xor.json'), 'utf8'));
    meta.run.name = 'xor-v1';
    await writeResults(results(ctx, 'circuits', 'xor-v1.lsmi.arrow'), { ...base, meta });
    await ctx.runCommand('View: Close All Editors');
    const frame = await openResultsFromPalette(ctx, 'xor-v1');
    await frame.locator('#heads .head-card').nth(2).waitFor();
    assert.match(await frame.locator('#heads-old').textContent(), /format 1, LSMI Explorer 0\.2\.0\) record no calibration/);
    for (const h of HEADS) {
      const x = meta.heads[h];
      assert.equal(await frame.locator(`#source-${h}`).textContent(), 'MLP probe');
      assert.equal(await fact(frame, h, 'log-loss').textContent(), nats(x.logLoss));
      assert.equal(await fact(frame, h, 'calibration').textContent(), '—');
      assert.equal(await fact(frame, h, 'ECE').textContent(), '—');
      assert.equal(await fact(frame, h, 'accuracy').textContent(), frac(x.accuracy));
    }
    assert.equal(await frame.locator('svg.reliability, table.candidates, .learning-curve, #warnings').count(), 0);
    assert.match(await frame.locator('#density-1').textContent(), /^x1: Gaussian mixture \(EM\), diag covariance, K = 5 — 6 iterations/);
    assert.match(await frame.locator('#settings').textContent(), /MLP \(hidden 64, 5 epochs\), no calibration/);
    // no intervals in results of 0.2 (format 1; docs/results-format.md): the cards show none and say so on hover, nothing fails
    assert.equal(await frame.locator('#dataset .stat-interval, #interval-help').count(), 0);
    assert.match(await frame.locator('#stat-R').getAttribute('title'), /\nno interval \(results estimated before 0\.3/);
    await scrollTo(frame, '#heads-h');
    await ctx.shot('discriminators-v1-dark');
    // the Categories tab ranks them by the mean; the lower bound and the normalised view need what 0.2 did not record
    await frame.locator('#tab-categories').click();
    await frame.locator('#categories tbody tr').nth(1).waitFor();
    assert.ok(await frame.locator('#rank-mode-lower').isDisabled(), 'no lower bound without class intervals');
    assert.equal(await frame.locator('#normalised').getAttribute('disabled'), '', 'no normalised view without the surprisal');
    assert.deepEqual(await frame.locator('#categories td.interval').allTextContents(), ['—', '—']);
    assert.match(await frame.locator('#categories-foot').textContent(), /no intervals \(results estimated before 0\.3/);
    await frame.locator('#tab-overview').click();
    ctx.errors.assertNone({ webviewOnly: true });
  },
};

const themed = (label, theme) => ({
  name: `Discriminators in the ${label} theme, at full and at half editor width`,
  theme,
  timeout: 240_000,
  fn: async (ctx) => {
    await expectTheme(ctx.page, theme);
    await screenshots(ctx, label);
  },
});

export const tests = [
  xorProbes,
  withLogits,
  diagnosed,
  olderVersion,
  themed('dark', THEMES.dark),
  themed('light', THEMES.light),
  themed('high-contrast', THEMES.hc),
];
