/** Saved slices (src/engine/slices.ts): write / read round trip, names, damaged definitions, changed results. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tableFromIPC } from 'apache-arrow';
import { LsmiInputError } from '../../src/engine/errors';
import { readResults, writeResults } from '../../src/engine/io/results';
import { listSlices, openSlice, parseSliceDefinition, readSliceDefinition, slicePaths, validateSliceName, writeSlice } from '../../src/engine/slices';
import { type SmallRun, smallResults, writeSmall } from './results-fixtures';
import { runCli } from './cli-run';

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lsmi-slices-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const RUN: SmallRun = {
  name: 'pets',
  ids: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'],
  labels: [0, 1, 2, 1, 0, 1, 1, 2],
  r: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8],
  u1: [1, 2, 3, 4, 5, 6, 7, 8],
  u2: [0, 0, 0, 0, 0, 0, 0, 0],
  s: [0.5, -1, 2, 3, 0.25, 1.5, -0.5, 9],
  split: ['train', 'val', 'test', 'test', 'train', 'train', 'test', 'val'],
};

const code = (c: string) => (e: unknown) => e instanceof LsmiInputError && e.code === c;

describe('slice names', () => {
  it('accepts letters, digits, - _ . and spaces (trimmed), up to 80 characters', () => {
    assert.equal(validateSliceName('  high synergy dogs_v1.2-b '), 'high synergy dogs_v1.2-b');
    assert.equal(validateSliceName('x'.repeat(80)), 'x'.repeat(80));
  });
  it('refuses empty, long, separators, other characters, dots at the ends, device names', () => {
    for (const bad of ['', '   ', 'x'.repeat(81), 'a/b', 'a\\b', '../up', 'tab\there', 'é', 'a:b', '.hidden', 'end.', 'CON', 'nul.txt', 42]) {
      assert.throws(() => validateSliceName(bad), code('BAD_SLICE_NAME'), JSON.stringify(bad));
    }
  });
});

describe('writing and reading a slice', () => {
  it('writes the definition and the table beside the results; reading re-applies the query', async () => {
    const results = await writeSmall(dir, RUN);
    const data = await readResults(results);
    const query = { sort: 's' as const, desc: true, classes: [1, 2], split: 'test', range: { col: 'u1' as const, lo: 3, hi: null } };
    const w = await writeSlice(results, data, 'dogs and fish', query);
    assert.equal(w.definition, path.join(dir, 'lsmi-exports', 'slices', 'dogs and fish.slice.json'));
    assert.equal(w.table, path.join(dir, 'lsmi-exports', 'slices', 'dogs and fish.slice.arrow'));
    // classes 1, 2 in test with u1 ≥ 3: c (s 2), d (s 3), g (s -0.5), by s descending
    const def = JSON.parse(fs.readFileSync(w.definition, 'utf8'));
    assert.equal(def.kind, 'lsmi-slice');
    assert.equal(def.formatVersion, 1);
    assert.equal(def.results, '../../pets.lsmi.arrow');
    assert.equal(def.run, 'pets');
    assert.equal(def.n, 3);
    assert.deepEqual(def.query, { sort: 's', desc: true, classes: [1, 2], split: 'test', range: { col: 'u1', lo: 3, hi: null } });
    assert.deepEqual(def.resultsIdentity, { createdAt: '2025-01-01T00:00:00.000Z', inputHash: 'sha256:test', n: 8, toolVersion: 'test' });
    assert.deepEqual(def.manifest.columns, ['sample_id', 'label', 'class', 'split', 'r', 'u1', 'u2', 's', 'i1', 'i2', 'i12']);
    assert.deepEqual(def.manifest.classes, [{ label: 1, name: 'dog', count: 2 }, { label: 2, name: 'fish', count: 1 }]);
    assert.deepEqual(def.manifest.splits, { test: 3 });
    assert.deepEqual(def.manifest.range, { col: 'u1', lo: 3, hi: null, rule: 'lo <= value < hi; a null end is open' });
    assert.deepEqual(def.manifest.values.s, { min: -0.5, mean: 1.5, max: 3 });
    const t = tableFromIPC(fs.readFileSync(w.table));
    assert.deepEqual(t.schema.fields.map((f) => f.name), def.manifest.columns);
    assert.deepEqual(t.getChild('sample_id')!.toArray(), ['d', 'c', 'g']);
    assert.deepEqual(Array.from(t.getChild('s')!.toArray() as Float64Array), [3, 2, -0.5]);
    assert.deepEqual(Array.from(t.getChild('label')!.toArray() as Int32Array), [1, 2, 1]);
    assert.equal(JSON.parse(t.schema.metadata.get('lsmi_export')!).kind, 'slice');

    const opened = await openSlice(w.definition);
    assert.equal(opened.resultsFile, results);
    assert.deepEqual(Array.from(opened.rows), [3, 2, 6]);
    assert.deepEqual(opened.changes, []);
    const listed = await listSlices(results);
    assert.deepEqual(listed.map((l) => ('slice' in l ? l.slice.name : l.error.code)), ['dogs and fish']);
  });

  it('refuses a taken name unless asked to overwrite', async () => {
    const results = await writeSmall(dir, RUN);
    const data = await readResults(results);
    await writeSlice(results, data, 'twice', { sort: 'r', desc: false });
    await assert.rejects(writeSlice(results, data, 'twice', { sort: 'r', desc: true }), code('SLICE_EXISTS'));
    const again = await writeSlice(results, data, 'twice', { sort: 'r', desc: true, search: ' B ' }, { overwrite: true });
    assert.deepEqual(again.slice.query, { sort: 'r', desc: true, search: 'B' });
    assert.equal(again.slice.n, 1);
    await assert.rejects(writeSlice(results, data, '../escape', { sort: 'r', desc: true }), code('BAD_SLICE_NAME'));
    assert.ok(!fs.existsSync(path.join(dir, 'lsmi-exports', 'escape.slice.json')));
  });

  it('an invalid query from an untrusted caller is reduced to what the results have', async () => {
    const results = await writeSmall(dir, RUN);
    const data = await readResults(results);
    const w = await writeSlice(results, data, 'sanitised', { sort: 'nope' as never, desc: 'x' as never, classes: [1, 99, -1, 1.5], split: 'holdout', range: { col: 'zz' as never, lo: 0, hi: 1 } });
    assert.deepEqual(w.slice.query, { sort: 's', desc: true, classes: [1] });
    assert.equal(w.slice.n, 4);
  });

  it('reports what changed when the results were estimated again', async () => {
    const sub = fs.mkdtempSync(path.join(dir, 'changed-'));
    const results = await writeSmall(sub, RUN);
    const w = await writeSlice(results, await readResults(results), 'dogs', { sort: 's', desc: true, classes: [1] });
    const next = smallResults({ ...RUN, ids: [...RUN.ids, 'i'], labels: [...RUN.labels, 1], r: [...RUN.r, 0], u1: [...RUN.u1, 0], u2: [...RUN.u2, 0], s: [...RUN.s, 0], split: [...RUN.split!, 'train'] });
    next.meta.createdAt = '2026-02-02T00:00:00.000Z';
    await writeResults(results, next);
    const opened = await openSlice(w.definition);
    assert.equal(opened.rows.length, 5);
    assert.equal(opened.changes.length, 3, opened.changes.join('; '));
    assert.match(opened.changes[0], /estimated again/);
    assert.match(opened.changes[1], /9 samples, 8 when/);
    assert.match(opened.changes[2], /selects 5 samples now, 4 when/);
  });
});

describe('damaged slice definitions', () => {
  const good = () => ({
    kind: 'lsmi-slice', formatVersion: 1, name: 'ok', results: '../../r.lsmi.arrow', run: 'r', query: { sort: 's', desc: true }, n: 1,
    createdAt: 'now', toolVersion: 'x', resultsIdentity: { createdAt: 'c', inputHash: 'h', n: 1, toolVersion: 'x' }, manifest: {},
  });
  it('accepts a well-formed one', () => {
    assert.equal(parseSliceDefinition(JSON.stringify(good()), 'f.slice.json').name, 'ok');
  });
  it('names the problem with a code', () => {
    const cases: [string, string][] = [
      ['{ not json', 'BAD_SLICE'],
      ['[]', 'BAD_SLICE'],
      [JSON.stringify({ ...good(), kind: 'partition' }), 'BAD_SLICE'],
      [JSON.stringify({ ...good(), formatVersion: 2 }), 'UNSUPPORTED'],
      [JSON.stringify({ ...good(), results: 7 }), 'BAD_SLICE'],
      [JSON.stringify({ ...good(), query: { sort: 'bogus', desc: true } }), 'BAD_SLICE'],
      [JSON.stringify({ ...good(), query: { sort: 's', desc: true, classes: ['a'] } }), 'BAD_SLICE'],
      [JSON.stringify({ ...good(), query: { sort: 's', desc: true, range: { col: 'r', lo: 'x', hi: null } } }), 'BAD_SLICE'],
      [JSON.stringify({ ...good(), name: '../x' }), 'BAD_SLICE'],
      [JSON.stringify({ ...good(), resultsIdentity: undefined }), 'BAD_SLICE'],
    ];
    for (const [text, c] of cases) assert.throws(() => parseSliceDefinition(text, 'f.slice.json'), (e: unknown) => e instanceof LsmiInputError && e.code === c && e.message.startsWith('f.slice.json: '), text);
  });
  it('a missing file is NOT_FOUND, a damaged one is listed with its error', async () => {
    assert.throws(() => readSliceDefinition(path.join(dir, 'nope.slice.json')), code('NOT_FOUND'));
    const sub = fs.mkdtempSync(path.join(dir, 'damaged-'));
    const results = await writeSmall(sub, RUN);
    const { definition } = slicePaths(results, 'broken');
    fs.mkdirSync(path.dirname(definition), { recursive: true });
    fs.writeFileSync(definition, '{"kind": "lsmi-slice"');
    const listed = await listSlices(results);
    assert.equal(listed.length, 1);
    assert.ok('error' in listed[0] && listed[0].error.code === 'BAD_SLICE');
    await assert.rejects(openSlice(definition), code('BAD_SLICE'));
  });
});

describe('lsmi slice', () => {
  it('saves a slice from flags, refuses a taken name without --force, and re-applies a saved one', async () => {
    const sub = fs.mkdtempSync(path.join(dir, 'cli-'));
    const results = await writeSmall(sub, RUN);
    let r = await runCli('slice', results, '--name', 'dogs', '--class', 'dog', '--range', 's:0:', '--sort', 'u1', '--order', 'asc', '--json');
    assert.equal(r.code, 0, r.err);
    const saved = JSON.parse(r.out);
    assert.deepEqual(saved.query, { sort: 'u1', desc: false, classes: [1], range: { col: 's', lo: 0, hi: null } });
    // dogs b (s -1), d (3), f (1.5), g (-0.5): s ≥ 0 keeps d, f; by u1 ascending
    assert.equal(saved.n, 2);
    const t = tableFromIPC(fs.readFileSync(saved.table));
    assert.deepEqual(t.getChild('sample_id')!.toArray(), ['d', 'f']);
    r = await runCli('slice', results, '--name', 'dogs');
    assert.equal(r.code, 1);
    assert.match(r.err, /\[SLICE_EXISTS\]/);
    r = await runCli('slice', results, '--name', 'dogs', '--force', '--class', 'dog', '--split', 'train');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /saved slice 'dogs': 1 samples \(s ↓ · class dog · split train\)/);
    r = await runCli('slice', saved.definition);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /slice 'dogs' of .*pets\.lsmi\.arrow: 1 samples/);
    assert.match(r.out, /the same results and selection/);
    for (const bad of [['--range', 's:x:'], ['--range', 'q:0:1'], ['--sort', 'h1'], ['--order', 'abs'], ['--split', 'dev']]) {
      r = await runCli('slice', results, '--name', 'x', ...bad);
      assert.equal(r.code, 2, bad.join(' '));
    }
    r = await runCli('slice', results, '--name', 'a/b');
    assert.equal(r.code, 1);
    assert.match(r.err, /\[BAD_SLICE_NAME\]/);
  });
});
