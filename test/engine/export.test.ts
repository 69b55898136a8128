/** Exports (src/engine/export.ts) and `lsmi export`: CSV and Arrow round trips, partitions, weights. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tableFromIPC } from 'apache-arrow';
import { loadComparison } from '../../src/engine/compare';
import { comparisonView, csvField, parseQuantiles, partitionByQuantiles, resultsView, viewToCsv, weightsView, writePartition, writeView } from '../../src/engine/export';
import { readResults } from '../../src/engine/io/results';
import { type SmallRun, smallResults, writeSmall } from './results-fixtures';
import { runCli } from './cli-run';

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lsmi-export-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const TRICKY: SmallRun = {
  name: 'tricky',
  ids: ['plain', 'with,comma', 'with "quotes"', 'line\nbreak', ' spaced '],
  labels: [0, 1, 2, 1, 0],
  classNames: ['cat, big', 'dog', 'fish "f"'],
  r: [0.1, -2.5e-9, 1 / 3, 123456.789, -0],
  u1: [1, 2, 3, 4, 5],
  u2: [0, 0, 0, 0, 0],
  s: [0.30000000000000004, 1e21, -1, 2, 3],
  split: ['train', 'val', 'test', 'test', 'train'],
  paths1: ['a.png', null, 'c,d.png', 'e.png', null],
};

/** A strict RFC 4180 parser (quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), (i += 2);
      else if (ch === '"') (quoted = false), i++;
      else (field += ch), i++;
    } else if (ch === '"') {
      assert.equal(field, '', 'a quote only opens a field');
      (quoted = true), i++;
    } else if (ch === ',') row.push(field), (field = ''), i++;
    else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field), rows.push(row), (row = []), (field = ''), (i += 2);
    } else {
      assert.ok(ch !== '\n' && ch !== '\r', 'bare line breaks only inside quotes');
      (field += ch), i++;
    }
  }
  assert.equal(field, '');
  assert.equal(row.length, 0, 'the last record ends with CRLF');
  return rows;
}

function python(code: string, ...args: string[]): string | undefined {
  try {
    execFileSync('python3', ['-c', 'import pyarrow'], { stdio: 'ignore' });
  } catch {
    return undefined; // no pyarrow here: the apache-arrow round trip still runs
  }
  return execFileSync('python3', ['-c', code, ...args], { encoding: 'utf8' });
}

describe('export: samples views', () => {
  it('CSV is formula-safe: text starting with = + - @, a tab or a carriage return gets a leading quote; numbers stay numbers; --csv-raw writes text as it is', async () => {
    assert.equal(csvField('=HYPERLINK("http://x")'), `"'=HYPERLINK(""http://x"")"`);
    assert.equal(csvField('+cmd'), "'+cmd");
    assert.equal(csvField('-2+3'), "'-2+3");
    assert.equal(csvField('@SUM(1)'), "'@SUM(1)");
    assert.equal(csvField('\tx'), "'\tx");
    assert.equal(csvField('\rx'), `"'\rx"`);
    assert.equal(csvField('a=b'), 'a=b');
    assert.equal(csvField('=x', true), '=x');
    const run = { ...TRICKY, ids: ['=HYPERLINK("http://x")', '+cmd', '@SUM(1)', 'plain', '-1'], classNames: ['+cat', 'dog', '=fish'], r: [-0.25, 1, 2, 3, -4] };
    const data = smallResults(run);
    const file = path.join(dir, 'injection.csv');
    await writeView(file, resultsView(data));
    const rows = parseCsv(fs.readFileSync(file, 'utf8'));
    assert.deepEqual(rows.slice(1).map((r) => r[0]), ["'=HYPERLINK(\"http://x\")", "'+cmd", "'@SUM(1)", 'plain', "'-1"]);
    assert.ok(rows.slice(1).every((r) => !/^[=+@]/.test(r[2])), 'class names escaped');
    const r = rows.slice(1).map((x) => x[rows[0].indexOf('r')]);
    assert.equal(r[0], '-0.25', 'a negative number is written as a number');
    const rawFile = path.join(dir, 'injection-raw.csv');
    await writeView(rawFile, resultsView(data), 'csv', undefined, { csvRaw: true });
    assert.deepEqual(parseCsv(fs.readFileSync(rawFile, 'utf8')).slice(1).map((x) => x[0]), run.ids);
  });

  it('CSV quotes as RFC 4180 requires and reads back exactly', async () => {
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('x\r\ny'), '"x\r\ny"');
    assert.equal(csvField(' plain '), ' plain ');
    const data = smallResults(TRICKY);
    const file = path.join(dir, 'tricky.csv');
    const w = await writeView(file, resultsView(data));
    assert.equal(w.format, 'csv');
    assert.equal(w.rows, 5);
    const rows = parseCsv(fs.readFileSync(file, 'utf8'));
    assert.deepEqual(rows[0].slice(0, 6), ['sample_id', 'label', 'class', 'split', 'path_1', 'r']);
    assert.equal(rows.length, 6);
    assert.deepEqual(rows.slice(1).map((r) => r[0]), TRICKY.ids);
    assert.deepEqual(rows.slice(1).map((r) => r[2]), ['cat, big', 'dog', 'fish "f"', 'dog', 'cat, big']);
    assert.deepEqual(rows.slice(1).map((r) => r[4]), ['a.png', '', 'c,d.png', 'e.png', '']);
    const col = (name: string) => rows.slice(1).map((r) => Number(r[rows[0].indexOf(name)]));
    assert.deepEqual(col('r'), [...data.columns.r].map((x) => (Object.is(x, -0) ? 0 : x)));
    assert.deepEqual(col('s'), TRICKY.s);
    assert.deepEqual(col('i12'), [...data.columns.i12], 'floats read back bit for bit');
    const py = python(
      'import csv,json,sys; r=list(csv.reader(open(sys.argv[1],newline=""))); print(json.dumps([r[0][:3], [x[0] for x in r[1:]], [x[2] for x in r[1:]]]))',
      file,
    );
    if (py) assert.deepEqual(JSON.parse(py), [['sample_id', 'label', 'class'], TRICKY.ids, ['cat, big', 'dog', 'fish "f"', 'dog', 'cat, big']]);
  });

  it('filters, sorts, keeps the top rows or exactly the rows a host shows', () => {
    const data = smallResults(TRICKY);
    const ids = (v: ReturnType<typeof resultsView>) => Array.from(v.rows, (j) => TRICKY.ids[j]);
    assert.deepEqual(ids(resultsView(data, { sort: 'u1' })), [...TRICKY.ids].reverse());
    assert.deepEqual(ids(resultsView(data, { sort: 'r', order: 'asc', top: 2 })), ['with,comma', 'spaced'.padStart(7).padEnd(8)]);
    assert.deepEqual(ids(resultsView(data, { sort: 'r', order: 'abs', top: 1 })), ['line\nbreak']);
    assert.deepEqual(ids(resultsView(data, { classes: [1], split: 'test' })), ['line\nbreak']);
    assert.deepEqual(ids(resultsView(data, { search: 'WITH' })), ['with,comma', 'with "quotes"']);
    assert.deepEqual(ids(resultsView(data, { rows: [4, 0, 2] })), [' spaced ', 'plain', 'with "quotes"'], 'explicit rows keep their order');
    assert.deepEqual(ids(resultsView(data, { rows: [4, 0, 2], classes: [0] })), [' spaced ', 'plain']);
    assert.deepEqual(ids(resultsView(data, { sort: 'sample_id' })), [' spaced ', 'line\nbreak', 'plain', 'with "quotes"', 'with,comma']);
    assert.throws(() => resultsView(data, { sort: 'nope' }), /cannot sort by 'nope': no such column/);
  });

  it('Arrow round trip: apache-arrow and pyarrow read the same values; missing values are nulls', async () => {
    const fa = await writeSmall(dir, { ...TRICKY, name: 'a', paths1: undefined });
    const fb = await writeSmall(dir, { ...TRICKY, name: 'b', ids: ['plain', 'new', 'with,comma'], labels: [0, 2, 1], r: [1, 2, 3], u1: [0, 0, 0], u2: [0, 0, 0], s: [0, 0, 0], split: undefined, paths1: undefined });
    const cmp = await loadComparison([fa, fb]);
    const view = comparisonView(cmp, { sort: 'r' });
    const file = path.join(dir, 'cmp.arrow');
    await writeView(file, view);
    const t = tableFromIPC(fs.readFileSync(file));
    assert.equal(t.numRows, 6);
    const names = t.schema.fields.map((f) => f.name);
    assert.deepEqual(names.slice(0, 4), ['sample_id', 'label', 'class', 'split']);
    assert.ok(names.includes('r.a') && names.includes('i12.b') && names.includes('delta_s.b') && !names.includes('delta_r.a'));
    // sorting by a component sorts by its Δ in the first non-baseline run, largest |Δ| first
    const ids = t.getChild('sample_id')!.toArray();
    const dr = t.getChild('delta_r.b')!;
    const drs = Array.from({ length: t.numRows }, (_, i) => dr.get(i));
    assert.deepEqual(drs.slice(0, 2), [3 - -2.5e-9, 1 - 0.1]);
    assert.deepEqual(drs.slice(2), [null, null, null, null], 'samples without a Δ last, as nulls');
    assert.deepEqual(ids.slice(0, 2), ['with,comma', 'plain']);
    assert.equal(t.getChild('r.a')!.get(ids.indexOf('new')), null);
    assert.equal(t.getChild('split')!.get(ids.indexOf('new')), null);
    const meta = JSON.parse(t.schema.metadata.get('lsmi_export')!);
    assert.equal(meta.kind, 'comparison');
    assert.equal(meta.baseline, 'a');
    const py = python(
      'import pyarrow.ipc as i,json,sys; t=i.open_file(sys.argv[1]).read_all(); print(json.dumps({"ids": t.column("sample_id").to_pylist(), "dr": t.column("delta_r.b").to_pylist(), "nulls": t.column("r.b").null_count, "type": str(t.schema.field("r.a").type)}))',
      file,
    );
    if (py) {
      const p = JSON.parse(py);
      assert.deepEqual(p.ids, Array.from(ids));
      assert.deepEqual(p.dr, drs);
      assert.equal(p.nulls, 3);
      assert.equal(p.type, 'double');
    }
  });
});

describe('export: partitions and weights', () => {
  it('splits at numpy-style quantiles: low ≤ t1 < mid ≤ t2 < high', async () => {
    const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'nan'];
    const values = [8, 7, 6, 5, 4, 3, 2, 1, NaN];
    const p = partitionByQuantiles(ids, values, [0.25, 0.75], 'r');
    assert.deepEqual(p.thresholds, [2.75, 6.25]);
    assert.deepEqual(p.groups.map((g) => [g.name, g.count, g.ids]), [['low', 2, ['g', 'h']], ['mid', 4, ['c', 'd', 'e', 'f']], ['high', 2, ['a', 'b']]]);
    assert.equal(p.excluded, 1);
    assert.equal(p.total, 9);
    assert.deepEqual([p.groups[0].lo, p.groups[0].hi, p.groups[2].lo, p.groups[2].hi], [null, 2.75, 6.25, null]);
    // ties at a threshold go to the lower group
    const ties = partitionByQuantiles(['a', 'b', 'c', 'd'], [1, 1, 1, 2], [0.5], 'r');
    assert.deepEqual(ties.groups.map((g) => g.ids), [['a', 'b', 'c'], ['d']]);
    assert.deepEqual(partitionByQuantiles(['a', 'b', 'c', 'd', 'e'], [1, 2, 3, 4, 5], [0.2, 0.4, 0.6], 's').groups.map((g) => g.name), ['q00-q20', 'q20-q40', 'q40-q60', 'q60-q100']);
    assert.deepEqual(parseQuantiles('0.25, 0.75'), [0.25, 0.75]);
    for (const bad of ['0', '1', '0.5,0.5', '0.7,0.2', 'x', '']) assert.throws(() => parseQuantiles(bad), RangeError, bad);
    const w = await writePartition(path.join(dir, 'part'), p, { prefix: 'r' });
    assert.equal(fs.readFileSync(path.join(dir, 'part', 'r-high.txt'), 'utf8'), 'a\nb\n');
    assert.equal(fs.readFileSync(path.join(dir, 'part', 'r-low.txt'), 'utf8'), 'g\nh\n');
    const m = JSON.parse(fs.readFileSync(w.manifest, 'utf8'));
    assert.deepEqual(m.thresholds, [2.75, 6.25]);
    assert.deepEqual(m.groups.map((g: { file: string; count: number }) => [g.file, g.count]), [['r-low.txt', 2], ['r-mid.txt', 4], ['r-high.txt', 2]]);
    await assert.rejects(writePartition(path.join(dir, 'bad'), partitionByQuantiles(['x\ny', 'z'], [1, 2], [0.5], 'r')), /contains a line break/);
  });

  it('weights: the components and their positive shares', () => {
    const data = smallResults({ name: 'w', ids: ['a', 'b'], labels: [0, 1], r: [1, -1], u1: [1, -1], u2: [-5, -1], s: [2, -1] });
    const v = weightsView(data);
    const col = (name: string) => (v.columns.find((c) => c.name === name)!.values as Float64Array)[0];
    assert.deepEqual(v.columns.map((c) => c.name), ['sample_id', 'label', 'r', 'u1', 'u2', 's', 'i1', 'i2', 'i12', 'share_r', 'share_u1', 'share_u2', 'share_s']);
    assert.deepEqual([col('share_r'), col('share_u1'), col('share_u2'), col('share_s')], [0.25, 0.25, 0, 0.5]);
    assert.equal((v.columns.find((c) => c.name === 'share_s')!.values as Float64Array)[1], 0, 'no positive component: all shares 0');
    assert.match(viewToCsv(v), /^sample_id,label,r,u1,u2,s,i1,i2,i12,share_r,share_u1,share_u2,share_s\r\na,0,1,1,-5,2,2,-4,-1,0\.25,0\.25,0,0\.5\r\n/);
  });
});

const LATE: SmallRun = { name: 'late', fusion: 'late', ids: ['a', 'b', 'c', 'd'], labels: [0, 1, 1, 2], r: [1, 2, 3, 4], u1: [0, 0, 0, 0], u2: [0, 0, 0, 0], s: [0.1, 0.2, 0.3, 0.4], paths1: ['img/a.png', 'img/b.png', 'img/c.png', 'img/d.png'] };
const EARLY: SmallRun = { name: 'early', fusion: 'early', ids: ['d', 'c', 'b', 'e'], labels: [2, 1, 1, 0], r: [4, 0, 2.5, 1], u1: [0, 0, 0, 0], u2: [0, 0, 0, 0], s: [0, 1, 0, 0] };

describe('lsmi export', () => {
  it('writes a filtered, sorted samples table of one results file (CSV) or of a comparison (Arrow)', async () => {
    const fl = await writeSmall(dir, LATE);
    const fe = await writeSmall(dir, EARLY);
    let r = await runCli('export', fl, '--out', path.join(dir, 'one.csv'), '--class', 'dog', '--sort', 'r', '--top', '1');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /wrote .*one\.csv: 1 rows, \d+ columns \(csv\)/);
    const rows = parseCsv(fs.readFileSync(path.join(dir, 'one.csv'), 'utf8'));
    assert.deepEqual(rows.slice(1).map((x) => x[0]), ['c']);
    r = await runCli('export', fl, fe, '--out', path.join(dir, 'two.arrow'), '--sort', 's', '--baseline', 'late', '--json');
    assert.equal(r.code, 0, r.err);
    const w = JSON.parse(r.out);
    assert.equal(w.format, 'arrow');
    assert.equal(w.rows, 5);
    const t = tableFromIPC(fs.readFileSync(path.join(dir, 'two.arrow')));
    assert.deepEqual(t.getChild('sample_id')!.toArray().slice(0, 3), ['c', 'd', 'b'], 'by |Δs| of early');
    assert.equal(t.getChild('path_1')!.get(0), 'img/c.png');
  });

  it('--partition writes the id lists and the manifest; --delta partitions by Δ', async () => {
    const fl = await writeSmall(dir, LATE);
    const fe = await writeSmall(dir, EARLY);
    const out = path.join(dir, 'parts');
    let r = await runCli('export', fl, '--partition', 'r', '--quantiles', '0.25,0.75', '--out', out);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /partition of r at quantiles 0\.25, 0\.75 \(thresholds 1\.7500, 3\.2500\), 4 samples/);
    assert.equal(fs.readFileSync(path.join(out, 'r-high.txt'), 'utf8'), 'd\n');
    assert.equal(fs.readFileSync(path.join(out, 'r-mid.txt'), 'utf8'), 'b\nc\n');
    const m = JSON.parse(fs.readFileSync(path.join(out, 'r-partition.json'), 'utf8'));
    assert.deepEqual(m.groups.map((g: { name: string; count: number }) => [g.name, g.count]), [['low', 1], ['mid', 2], ['high', 1]]);
    r = await runCli('export', fl, fe, '--partition', 's', '--quantiles', '0.5', '--delta', '--out', path.join(dir, 'dparts'), '--json');
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.equal(j.value, 'delta_s.early');
    assert.equal(j.total, 5);
    assert.equal(j.excluded, 2, 'a and e have no Δ');
    assert.equal(fs.readFileSync(path.join(dir, 'dparts', 's-high.txt'), 'utf8'), 'c\n');
  });

  it('--weights writes per-sample weights', async () => {
    const fl = await writeSmall(dir, LATE);
    const r = await runCli('export', fl, '--weights', '--out', path.join(dir, 'w.arrow'));
    assert.equal(r.code, 0, r.err);
    const t = tableFromIPC(fs.readFileSync(path.join(dir, 'w.arrow')));
    assert.equal(t.numRows, 4);
    assert.ok(Math.abs(t.getChild('share_r')!.get(0) - 1 / 1.1) < 1e-12);
  });

  it('exit codes: 2 for usage, 1 for bad input; nothing is written', async () => {
    const fl = await writeSmall(dir, LATE);
    const fe = await writeSmall(dir, EARLY);
    const o = path.join(dir, 'never.csv');
    for (const argv of [
      ['export'],
      ['export', fl],
      ['export', fl, '--out', o, '--format', 'xlsx'],
      ['export', fl, '--out', o, '--partition', 'r'],
      ['export', fl, '--out', o, '--partition', 'q', '--quantiles', '0.5'],
      ['export', fl, '--out', o, '--partition', 'r', '--quantiles', '0.5,0.2'],
      ['export', fl, fe, '--out', o, '--weights'],
      ['export', fl, '--out', o, '--class', 'unicorn'],
      ['export', fl, '--out', o, '--run', 'late'],
      ['export', fl, '--out', o, '--split', 'dev'],
    ]) {
      const r = await runCli(...argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.err, /Usage:/);
    }
    let r = await runCli('export', fl, '--out', o, '--sort', 'nope');
    assert.equal(r.code, 1);
    assert.match(r.err, /cannot sort by 'nope'/);
    const run = path.join(dir, 'x.arrow');
    fs.writeFileSync(run, 'not arrow');
    r = await runCli('export', run, '--out', o);
    assert.equal(r.code, 1);
    assert.match(r.err, /error \[NOT_ARROW\]/);
    assert.ok(!fs.existsSync(o));
    assert.equal(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')).length, 0, 'no temporary file left');
    // the written results still read back (export never touches them)
    assert.equal((await readResults(fl)).sampleIds.length, 4);
  });
});

// Formula safety end to end (docs/compare-format.md#exports): every text column (ids, class names,
// paths), the weights and comparison tables, the CLI's --csv-raw; Arrow stays verbatim.
const HOSTILE: SmallRun = {
  name: 'hostile',
  ids: ['=HYPERLINK("http://x")', 'plain', '-5', '\tTAB', '\rCR'],
  labels: [0, 1, 0, 1, 0],
  classNames: ['+cmd', 'ok class'],
  r: [-0.25, 0.5, -1e-9, 2, -0],
  u1: [0, 0, 0, 0, 0],
  u2: [0, 0, 0, 0, 0],
  s: [-0.25, 0, 0, 0, 0],
  paths1: ['@SUM(1)', 'img/b.png', null, '-x.png', 'c.png'],
};

describe('export: CSV formula safety end to end', () => {
  it('ids, class names and paths are prefixed; numbers, including negative ones, are not', async () => {
    const file = path.join(dir, 'hostile.csv');
    await writeView(file, resultsView(smallResults(HOSTILE)));
    const rows = parseCsv(fs.readFileSync(file, 'utf8'));
    const col = (name: string) => rows.slice(1).map((r) => r[rows[0].indexOf(name)]);
    assert.deepEqual(col('sample_id'), ["'=HYPERLINK(\"http://x\")", 'plain', "'-5", "'\tTAB", "'\rCR"]);
    assert.deepEqual(col('class'), ["'+cmd", 'ok class', "'+cmd", 'ok class', "'+cmd"]);
    assert.deepEqual(col('path_1'), ["'@SUM(1)", 'img/b.png', '', "'-x.png", 'c.png']);
    assert.deepEqual(col('r'), ['-0.25', '0.5', '-1e-9', '2', '0']);
    assert.deepEqual(col('label'), ['0', '1', '0', '1', '0']);
    // Python's csv module reads the same cells (the prefix is the only change)
    const py = python('import csv,json,sys; r=list(csv.reader(open(sys.argv[1],newline=""))); print(json.dumps([x[0] for x in r[1:]]))', file);
    if (py) assert.deepEqual(JSON.parse(py), col('sample_id'));
  });

  it('weights and comparison CSVs are prefixed too; Arrow exports keep the text as it is', async () => {
    const data = smallResults(HOSTILE);
    assert.match(viewToCsv(weightsView(data)), /\r\n"'=HYPERLINK\(""http:\/\/x""\)",0,-0\.25,/);
    const fa = await writeSmall(dir, HOSTILE);
    const fb = await writeSmall(dir, { ...HOSTILE, name: 'other', r: [1, 1, 1, 1, 1] });
    const csv = viewToCsv(comparisonView(await loadComparison([fa, fb])));
    assert.ok(csv.includes("'@SUM(1)") && csv.includes("'+cmd") && !/(^|,)[=+@]/m.test(csv), csv.split('\r\n').slice(0, 3).join('\n'));
    const arrow = path.join(dir, 'hostile.arrow');
    await writeView(arrow, resultsView(data));
    const t = tableFromIPC(fs.readFileSync(arrow));
    assert.equal(t.getChild('sample_id')!.get(0), '=HYPERLINK("http://x")');
    assert.equal(t.getChild('class')!.get(0), '+cmd');
  });

  it('lsmi export: formula-safe by default, --csv-raw writes every cell verbatim (tables and weights)', async () => {
    const fh = await writeSmall(dir, HOSTILE);
    let r = await runCli('export', fh, '--out', path.join(dir, 'cli-safe.csv'));
    assert.equal(r.code, 0, r.err);
    assert.ok(fs.readFileSync(path.join(dir, 'cli-safe.csv'), 'utf8').includes("\r\n\"'=HYPERLINK(\"\"http://x\"\")\",0,'+cmd,"));
    r = await runCli('export', fh, '--out', path.join(dir, 'cli-raw.csv'), '--csv-raw');
    assert.equal(r.code, 0, r.err);
    const raw = fs.readFileSync(path.join(dir, 'cli-raw.csv'), 'utf8');
    assert.ok(raw.includes('\r\n"=HYPERLINK(""http://x"")",0,+cmd,') && raw.includes(',@SUM(1),'), raw);
    r = await runCli('export', fh, '--weights', '--out', path.join(dir, 'w-raw.csv'), '--csv-raw');
    assert.equal(r.code, 0, r.err);
    assert.ok(fs.readFileSync(path.join(dir, 'w-raw.csv'), 'utf8').includes('\r\n"=HYPERLINK'));
  });
});
