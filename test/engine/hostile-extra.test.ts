/**
 * More hostile files (docs/run-format.md#limits), beside hostile.test.ts: the reproductions that
 * test/fixtures/make_hostile.py does not build (a FixedSizeList child too short, a split whose
 * dictionary index is out of range, label 2^31 as uint32 and in npz, a results file whose footer
 * points at the schema, an npz entry of 2^32 bytes read through `lsmi inspect`), and what the
 * targeted fuzz suite (scripts/fuzz/targeted.mjs) found in results files after them.
 *
 * Every read runs in a child process (scripts/fuzz/reader-child.cjs: readRun + summarizeRun, or
 * readResults + resultsReport, as `lsmi inspect` does) with a time limit and a resident-memory
 * limit: a reader that loops, allocates gigabytes or aborts the process (an assertion in fs.read)
 * fails its test instead of hanging or killing the test run.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createHash } from 'node:crypto';
import { CodecError, zstdDecode } from '../../src/engine/io/codecs';
import { REPO } from './fixtures';
import { writeSmall } from './results-fixtures';

const CHILD = path.join(REPO, 'scripts', 'fuzz', 'reader-child.cjs');
const TIME_LIMIT_MS = 20_000;
const RSS_LIMIT_MB = 1536;
/** The JavaScript engine's own words, which must never reach a user. */
const RAW_JS = /Cannot read prop|undefined|is not a function|RangeError|TypeError|out of bounds|Invalid (typed )?array length|Maximum call stack|Invalid code point|ERR_[A-Z_]{3,}/;

let dir = '';
const file = (name: string) => path.join(dir, name);

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lsmi-hostile-extra-'));
  const n = 12;
  const v = Array.from({ length: n }, (_, i) => Math.sin(i + 1));
  const results = await writeSmall(dir, {
    name: 'valid',
    ids: v.map((_, i) => `s${i}`),
    labels: v.map((_, i) => i % 3),
    r: v,
    u1: v,
    u2: v,
    s: v,
    split: v.map((_, i) => (['train', 'val', 'test'] as const)[i % 3]),
    paths1: v.map((_, i) => `img/${i}.png`),
  });
  execFileSync('python3', [path.join(REPO, 'test', 'fixtures', 'make_hostile_extra.py'), dir, results], { stdio: ['ignore', 'ignore', 'inherit'] });
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

interface ChildError {
  name: string;
  code?: string;
  file?: string;
  column?: string;
  rows?: number[];
  message: string;
  stack?: string;
}
type Outcome =
  | { kind: 'answer'; ok: true; hashes: Record<string, string | number> }
  | { kind: 'answer'; ok: false; error: ChildError }
  | { kind: 'hang' | 'oom' | 'died'; detail: string };

/** Reads `file` in a child process under the time and memory limits. */
function readInChild(name: string, kind: 'run' | 'results' = name.endsWith('.lsmi.arrow') ? 'results' : 'run'): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${RSS_LIMIT_MB}`, CHILD, file(name), kind], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let done = false;
    const finish = (o: Outcome) => {
      if (done) return;
      done = true;
      clearInterval(poll);
      clearTimeout(timer);
      if (child.exitCode === null) child.kill('SIGKILL');
      resolve(o);
    };
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err = (err + d).slice(-3000)));
    const poll = setInterval(() => {
      try {
        const kb = Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
        if (kb / 1024 > RSS_LIMIT_MB) finish({ kind: 'oom', detail: `${Math.round(kb / 1024)} MB resident` });
      } catch {
        // not on Linux, or the child is gone: the time limit still holds
      }
    }, 50);
    const timer = setTimeout(() => finish({ kind: 'hang', detail: `no answer within ${TIME_LIMIT_MS} ms` }), TIME_LIMIT_MS);
    child.on('close', (code, signal) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        const a = JSON.parse(line);
        finish({ kind: 'answer', ...a });
      } catch {
        finish({ kind: 'died', detail: `exit ${code}${signal ? ` (${signal})` : ''}: ${err.trim().split('\n').slice(0, 4).join(' | ')}` });
      }
    });
  });
}

/** A clean LsmiInputError with one of `codes`, naming the file, matching `message`, in bounded time and memory. */
async function refused(name: string, codes: string[], message: RegExp, extra: { column?: string; rows?: number[] } = {}): Promise<ChildError> {
  const o = await readInChild(name);
  if (o.kind !== 'answer') assert.fail(`${name}: ${o.kind}: ${o.detail}`);
  if (o.ok) assert.fail(`${name} was accepted`);
  const e = o.error;
  assert.equal(e.name, 'LsmiInputError', `${name}: not an input error: ${e.name}: ${e.message}\n${e.stack ?? ''}`);
  assert.ok(codes.includes(e.code ?? ''), `${name}: code ${e.code}, expected ${codes.join(' or ')}: ${e.message}`);
  assert.ok(e.file && e.message.includes(path.basename(name)), `${name}: the message names the file: ${e.message}`);
  assert.doesNotMatch(e.message, RAW_JS, `${name}: raw JavaScript error text in: ${e.message}`);
  assert.match(e.message.split(file(name)).join('<file>'), message);
  if (extra.column) assert.equal(e.column, extra.column, `${name}: column`);
  if (extra.rows) assert.deepEqual(e.rows, extra.rows, `${name}: rows`);
  return e;
}

describe('hostile files, more: a clear error in bounded time and memory, in a child process', () => {
  it('the valid results file the damage starts from is read', async () => {
    const o = await readInChild('valid.lsmi.arrow');
    assert.ok(o.kind === 'answer' && o.ok, JSON.stringify(o));
  });

  it('a FixedSizeList child buffer too short for rows × width (once "chunk of 93 values is not a multiple of 4 columns")', async () => {
    await refused('fsl-short.arrow', ['TRUNCATED'], /'emb_1'.*93 values/, { column: 'emb_1' });
  });

  it('a split whose dictionary index is out of range is corruption at its row (once "first value \'undefined\'")', async () => {
    const e = await refused('split-dict-index.arrow', ['TRUNCATED', 'BAD_SPLIT'], /row 5/, { column: 'split' });
    assert.doesNotMatch(e.message, /'undefined'/);
  });

  it('a uint32 label of 2^31 is above the class limit, not "negative"', async () => {
    const e = await refused('label-uint32-2e31.arrow', ['LABEL_RANGE'], /2147483648/, { column: 'label', rows: [4] });
    assert.doesNotMatch(e.message, /negative/);
  });

  it('an npz label of 2^31 without class names is above the class limit, not "negative"', async () => {
    const e = await refused('label-2e31.npz', ['LABEL_RANGE'], /2147483648/, { column: 'label', rows: [4] });
    assert.doesNotMatch(e.message, /negative/);
  });

  it('an npz entry of 2^32 + 5 bytes: `lsmi inspect` exits 1 with the problem, never 134 (an assertion in fs.read)', async () => {
    await refused('entry-4g.npz', ['TRUNCATED', 'UNSUPPORTED'], /sample_id\.npy/);
    let code = 0;
    let stderr = '';
    try {
      execFileSync(process.execPath, [path.join(REPO, 'bin', 'lsmi.js'), 'inspect', file('entry-4g.npz'), '--json'], { stdio: ['ignore', 'pipe', 'pipe'], timeout: TIME_LIMIT_MS });
    } catch (e) {
      code = (e as { status: number }).status;
      stderr = String((e as { stderr: Buffer }).stderr);
    }
    assert.equal(code, 1, stderr);
    assert.match(stderr, /lsmi: error \[(TRUNCATED|UNSUPPORTED)\] .*entry-4g\.npz/);
  });

  it('a results file whose footer block points at the schema message (apache-arrow looped forever; the status bar reads these unasked)', async () => {
    await refused('results-footer-schema.lsmi.arrow', ['TRUNCATED'], /record batch 0|footer|Schema message/);
  });

  it('a results file with a null per-sample value is refused, not read as 0', async () => {
    await refused('results-r-null.lsmi.arrow', ['NULLS', 'WRONG_TYPE'], /\br\b/, { column: 'r' });
  });

  it('a results file with a split value other than train, val, test (or null) is refused, not read as train', async () => {
    await refused('results-split-dev.lsmi.arrow', ['BAD_SPLIT', 'WRONG_TYPE'], /row 2/, { column: 'split' });
    await refused('results-split-null.lsmi.arrow', ['BAD_SPLIT', 'NULLS', 'WRONG_TYPE'], /row 2/, { column: 'split' });
  });

  it('a results file with a duplicate sample_id is refused (ids join runs and find samples)', async () => {
    await refused('results-dup-ids.lsmi.arrow', ['DUPLICATE_ID'], /rows 1, 3/, { column: 'sample_id' });
  });

  it('results metadata that is not an object is damage, not a TypeError in the report', async () => {
    await refused('results-meta-array.lsmi.arrow', ['BAD_METADATA', 'NOT_RESULTS'], /lsmi_results/);
  });
});

describe('hostile files: gaps the targeted fuzz suite found in the Arrow reader (pyarrow refuses each; make_hostile_extra.py checks that)', () => {
  it("a footer block whose metaDataLength is 8 bytes too long is refused, naming the record batch and both lengths (pyarrow: 'Message metadata too long by 8 bytes')", async () => {
    const e = await refused('block-meta-plus8.arrow', ['TRUNCATED'], /record batch 1 says its message's metadata is (\d+) bytes, but the message at byte \d+ declares (\d+)/);
    const [, said, declared] = /metadata is (\d+) bytes, but the message at byte \d+ declares (\d+)/.exec(e.message)!;
    assert.equal(Number(said) - Number(declared), 8, e.message);
  });

  it('a footer block whose bodyLength disagrees with its message is refused (pyarrow: "advertised body size is …, but message decoder expects …")', async () => {
    await refused('block-body-plus8.arrow', ['TRUNCATED'], /record batch 0 says its message's body is \d+ bytes, but the message at byte \d+ declares \d+/);
  });

  it("a nullable path column whose null_count disagrees with its validity bitmap is refused, naming the column and the batch (pyarrow's full validation refuses it)", async () => {
    await refused('path1-nullcount-3.arrow', ['TRUNCATED'], /record batch 0 declares 3 null\(s\) in 24 values, but its validity bitmap marks 5/, { column: 'path_1' });
    // zstd, three batches: rows 0-9 hold 2 nulls (rows 0, 5), the node says 1
    await refused('path1-nullcount-zstd.arrow', ['TRUNCATED'], /record batch 0 declares 1 null\(s\) in 10 values, but its validity bitmap marks 2/, { column: 'path_1' });
  });

  it('a null_count of 0 means no bitmap, as in pyarrow: the column is read with its values (the bitmap ignored), the same bytes pyarrow reads', async () => {
    const o = await readInChild('path1-nullcount-0.arrow');
    assert.ok(o.kind === 'answer' && o.ok, JSON.stringify(o));
  });

  it('damaged zstd data that libzstd refuses is refused, not decoded into wrong bytes or zeros (fuzz flip/7/79, truncate/7/131)', async () => {
    await refused('zstd-flip-7-79.arrow', ['TRUNCATED'], /zstd data is corrupt/);
    await refused('zstd-truncate-7-131.arrow', ['TRUNCATED'], /zstd data is corrupt|truncated/);
  });

  // libzstd's fast Huffman path (4 literal streams) checks that each stream yields its symbols, not
  // that it ends on its last bit, so it decodes some damaged streams into other bytes: the reader
  // refuses those (as fzstd did). Where libzstd refuses, so must the reader; where both decode, the
  // bytes must be libzstd's; the reader refuses only damaged data (never the undamaged buffer).
  for (const name of ['text', 'floats', 'mixed']) {
    it(`every one-byte change of a zstd buffer (${name}): refused where libzstd refuses it, else libzstd's bytes or refused as damage`, () => {
      const d = path.join(dir, 'zstd-flips');
      const raw = fs.readFileSync(path.join(d, `${name}.raw`));
      const comp = fs.readFileSync(path.join(d, `${name}.zst`));
      const rawHash = createHash('sha256').update(raw).digest('hex');
      const cases = JSON.parse(fs.readFileSync(path.join(d, `${name}.json`), 'utf8')) as [number, number, string | null][];
      assert.ok(Buffer.from(zstdDecode(new Uint8Array(comp), raw.length)).equals(raw), 'the undamaged buffer');
      const wrong: string[] = [];
      let refusedByLibzstd = 0;
      for (const [pos, x, want] of cases) {
        const bad = new Uint8Array(comp);
        bad[pos] ^= x;
        let got: string | null;
        try {
          got = createHash('sha256').update(zstdDecode(bad, raw.length)).digest('hex');
        } catch (e) {
          if (!(e instanceof CodecError)) wrong.push(`byte ${pos} ^ ${x}: ${(e as Error).name}: ${(e as Error).message}`);
          got = null;
        }
        if (want === null) refusedByLibzstd++;
        if (want === null && got !== null) wrong.push(`byte ${pos} ^ ${x}: libzstd refuses it, the reader decoded it`);
        else if (want !== null && got !== null && got !== want) wrong.push(`byte ${pos} ^ ${x}: decoded to other bytes than libzstd`);
        else if (want !== null && got === null && want === rawHash) wrong.push(`byte ${pos} ^ ${x}: libzstd decodes it to the original bytes, the reader refused it`);
      }
      assert.ok(refusedByLibzstd > 0, 'libzstd refuses some of the changes');
      assert.deepEqual(wrong.slice(0, 10), [], `${wrong.length} of ${cases.length} differ`);
    });
  }
});
