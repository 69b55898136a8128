/**
 * Writes that lose nothing (README: The lsmi command line): temporary files of killed writers are removed by the next
 * write; one writer per results file (a lock), a dead writer's lock taken over; an output folder that
 * cannot be written is reported before any computation, as an input problem; SIGTERM, and a stopped
 * parent (`npx` does not forward signals), cancel the CLI and leave no file. Real processes and files.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { estimateFile } from '../../src/engine/estimate/lsmi';
import { removeStaleTemps } from '../../src/engine/io/atomic';
import { acquireLock } from '../../src/engine/io/lock';
import { writeResults } from '../../src/engine/io/results';
import { REPO } from './fixtures';
import { smallResults } from './results-fixtures';

const EXAMPLE = path.join(REPO, 'examples', 'fashion-mnist', 'fmnist-late-fusion.arrow');
const CLI = path.join(REPO, 'bin', 'lsmi.js');
const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'lsmi-writes-'));
/** The pid of a process that has exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;
const FAST = { components: 2, covariance: 'diag' as const, bootstrap: { replicates: 10 } };

describe('writes: temporary files, locks, unwritable folders, signals', () => {
  it('the temporary file of a killed writer is removed by the next write; a live writer\'s is left alone', async () => {
    const dir = tmpDir();
    const out = path.join(dir, 'r.lsmi.arrow');
    const dead = path.join(dir, `.r.lsmi.arrow.${deadPid()}-abcdef.tmp`);
    const alive = path.join(dir, `.r.lsmi.arrow.${process.ppid}-abcdef.tmp`);
    const old = path.join(dir, '.r.lsmi.arrow.0123456789ab.tmp');
    for (const f of [dead, alive, old]) fs.writeFileSync(f, 'partial');
    const hourAgo = new Date(Date.now() - 2 * 3600_000);
    fs.utimesSync(old, hourAgo, hourAgo);
    await writeResults(out, smallResults({ ids: ['a'], labels: [0], r: [1], u1: [0], u2: [0], s: [0] }));
    assert.ok(fs.existsSync(out));
    assert.ok(!fs.existsSync(dead), 'a dead writer\'s temporary file is removed');
    assert.ok(!fs.existsSync(old), 'an hour-old temporary file without a pid is removed');
    assert.ok(fs.existsSync(alive), 'a live writer\'s temporary file is kept');
    assert.deepEqual(await removeStaleTemps(out), []);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('one writer per results file: a second estimate is refused while the first holds the lock; a dead holder\'s lock is taken over', async () => {
    const dir = tmpDir();
    const out = path.join(dir, 'r.lsmi.arrow');
    const lock = await acquireLock(out);
    const t0 = performance.now();
    await assert.rejects(estimateFile(EXAMPLE, { out, settings: FAST }), (e: Error & { code: string }) => {
      assert.equal(e.code, 'LOCKED');
      assert.match(e.message, new RegExp(`another estimate is writing this results file \\(pid ${process.pid}, since .*\\)\\. Wait for it to finish, or write elsewhere with --out`));
      return true;
    });
    assert.ok(performance.now() - t0 < 5000, 'refused before computing');
    await lock.release();
    fs.writeFileSync(`${out}.lock`, JSON.stringify({ pid: deadPid(), host: os.hostname(), started: 'earlier' }));
    const r = await estimateFile(EXAMPLE, { out, settings: FAST });
    assert.equal(r.reused, false);
    assert.ok(fs.existsSync(out));
    assert.ok(!fs.existsSync(`${out}.lock`), 'the lock is released');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('an output folder that is missing, or a path through a file, is an input problem reported before computing', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, 'x');
    for (const [out, why] of [[path.join(dir, 'missing', 'r.lsmi.arrow'), /its folder does not exist \(ENOENT\)/], [path.join(file, 'r.lsmi.arrow'), /a part of its path is a file, not a folder \(ENOTDIR\)/]] as const) {
      const t0 = performance.now();
      await assert.rejects(estimateFile(EXAMPLE, { out, settings: FAST }), (e: Error & { code: string }) => {
        assert.equal(e.name, 'LsmiInputError');
        assert.equal(e.code, 'NOT_WRITABLE');
        assert.match(e.message, why);
        return true;
      });
      assert.ok(performance.now() - t0 < 5000, 'before any computation');
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('SIGTERM cancels `lsmi estimate`: exit 143, no results, no temporary file', { skip: !fs.existsSync(path.join(REPO, 'dist', 'cli.js')) && 'needs the built CLI (npm run build)' }, async () => {
    const dir = tmpDir();
    const out = path.join(dir, 'r.lsmi.arrow');
    const child = spawn(process.execPath, [CLI, 'estimate', EXAMPLE, '--out', out, '--replicates', '4', '--force'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b) => (err += b));
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    assert.equal(code, 143, err);
    assert.match(err, /cancelled \(SIGTERM\); nothing was written/);
    assert.deepEqual(fs.readdirSync(dir), [], 'no results, temporary or lock file');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a parent that is stopped (as npx, which does not forward signals) cancels the estimate: no file appears', { skip: !fs.existsSync(path.join(REPO, 'dist', 'cli.js')) && 'needs the built CLI (npm run build)' }, async () => {
    const dir = tmpDir();
    const out = path.join(dir, 'r.lsmi.arrow');
    const pidFile = path.join(os.tmpdir(), `lsmi-orphan-${process.pid}.pid`);
    // a shell stands in for npx: it starts lsmi and waits; SIGKILL to the shell orphans lsmi
    const sh = spawn('sh', ['-c', `"${process.execPath}" "${CLI}" estimate "${EXAMPLE}" --out "${out}" --replicates 4 --force & echo $! > "${pidFile}"; wait`], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 1500));
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    sh.kill('SIGKILL');
    const t0 = Date.now();
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    while (alive() && Date.now() - t0 < 15_000) await new Promise((r) => setTimeout(r, 100));
    assert.ok(!alive(), 'the orphaned estimate stopped');
    assert.deepEqual(fs.readdirSync(dir), [], 'no results, temporary or lock file');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(pidFile, { force: true });
  });
});
