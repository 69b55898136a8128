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
import { after, before, describe, it } from 'node:test';
import type { LsmiInputError } from '../../src/engine/errors';
import { estimateFile } from '../../src/engine/estimate/lsmi';
import { STALE_TEMP_MS, removeStaleTemps, temporaryPath } from '../../src/engine/io/atomic';
import { acquireLock } from '../../src/engine/io/lock';
import { readResults, writeResults } from '../../src/engine/io/results';
import { REPO } from './fixtures';
import { smallResults } from './results-fixtures';
import { BIN, CLI as MAIN_JS, HAVE_DIST, copyRun, lsmi, runFile, sleep, start, until } from './run-files';

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
    const progress: string[] = [];
    await assert.rejects(estimateFile(EXAMPLE, { out, settings: FAST, onProgress: (e) => e.stage !== 'hash' && progress.push(e.stage) }), (e: Error & { code: string }) => {
      assert.equal(e.code, 'LOCKED');
      assert.match(e.message, new RegExp(`another estimate is writing this results file \\(pid ${process.pid}, since .*\\)\\. Wait for it to finish, or write elsewhere with --out`));
      return true;
    });
    assert.deepEqual(progress, [], 'refused before reading or computing: no stage but the hash reported progress');
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
      const progress: string[] = [];
      await assert.rejects(estimateFile(EXAMPLE, { out, settings: FAST, onProgress: (e) => e.stage !== 'hash' && progress.push(e.stage) }), (e: Error & { code: string }) => {
        assert.equal(e.name, 'LsmiInputError');
        assert.equal(e.code, 'NOT_WRITABLE');
        assert.match(e.message, why);
        return true;
      });
      assert.deepEqual(progress, [], 'before reading or computing: no stage but the hash reported progress');
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

  it('under npm, a parent that is stopped (as npx, which does not forward signals) cancels the estimate: no file appears', { skip: !fs.existsSync(path.join(REPO, 'dist', 'cli.js')) && 'needs the built CLI (npm run build)' }, async () => {
    const dir = tmpDir();
    const out = path.join(dir, 'r.lsmi.arrow');
    const pidFile = path.join(os.tmpdir(), `lsmi-orphan-${process.pid}.pid`);
    // a shell stands in for npx: it starts lsmi and waits; SIGKILL to the shell orphans lsmi
    const sh = spawn('sh', ['-c', `"${process.execPath}" "${CLI}" estimate "${EXAMPLE}" --out "${out}" --replicates 4 --force & echo $! > "${pidFile}"; wait`], { stdio: 'ignore', env: { ...process.env, npm_command: 'exec' } });
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

// ---------------------------------------------------------------------------------------------
// The command line as a child process, on pyarrow files (test/fixtures/make_preflight.py)

const ATOMIC = path.join(REPO, 'out', 'src', 'engine', 'io', 'atomic.js');
const LOCK = path.join(REPO, 'out', 'src', 'engine', 'io', 'lock.js');
const QUICK = ['--bootstrap', '0', '--backend', 'wasm'];
const ROOT = process.getuid?.() === 0;

let work: string;
before(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'lsmi-writes-cli-'));
  runFile('good');
});
after(() => fs.rmSync(work, { recursive: true, force: true }));

const folder = (name: string) => fs.mkdtempSync(path.join(work, `${name}-`));

/** A tmpfs mounted at a new folder (root with CAP_SYS_ADMIN only), or undefined. */
function mountTmpfs(options: string): string | undefined {
  if (!ROOT || process.platform !== 'linux') return undefined;
  const at = folder('tmpfs');
  return spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', at], { stdio: 'ignore' }).status === 0 ? at : undefined;
}

describe('output folders through the command line: reported plainly (NOT_WRITABLE, exit 1)', () => {
  it('an output that is a folder: before the computation', async () => {
    const f = folder('isdir');
    const run = copyRun('good', f);
    const r = await lsmi('estimate', run, '--out', f, ...QUICK);
    assert.equal(r.code, 1, r.err);
    assert.equal(r.err.trim(), `lsmi: error [NOT_WRITABLE] ${f}: cannot write it: it is a folder (EISDIR). Give a file name (--out).`);
    const stages: string[] = [];
    await assert.rejects(estimateFile(run, { out: f, backend: 'wasm', onProgress: (e) => stages.push(e.stage) }), (e: LsmiInputError) => e.code === 'NOT_WRITABLE');
    assert.deepEqual(stages, ['hash'], 'the run is not even read');
  });

  it('a read-only folder (chmod 555; as root, where chmod does not stop writes, a read-only mount)', async (t) => {
    let f: string | undefined;
    let says: RegExp;
    if (!ROOT) {
      f = folder('readonly');
      fs.chmodSync(f, 0o555);
      says = /permission denied \(the folder is not writable\) \(EACCES\)/;
    } else {
      f = mountTmpfs('ro,size=1m');
      if (!f) return t.skip('running as root (chmod does not stop writes) without permission to mount a read-only file system; the other cases cover the check');
      says = /the file system is read-only \(EROFS\)/;
    }
    try {
      const r = await lsmi('estimate', runFile('good'), '--out', path.join(f, 'good.lsmi.arrow'), ...QUICK);
      assert.equal(r.code, 1, r.err);
      assert.match(r.err, /^lsmi: error \[NOT_WRITABLE\] /);
      assert.match(r.err, says);
      assert.deepEqual(fs.readdirSync(f), []);
    } finally {
      if (ROOT) spawnSync('umount', [f], { stdio: 'ignore' });
      else fs.chmodSync(f, 0o755);
    }
  });

  it('a disk that fills up during the write: "the disk is full", exit 1, no temporary file or lock left', async (t) => {
    const f = mountTmpfs('size=64k');
    if (!f) return t.skip('needs root and permission to mount a small tmpfs');
    try {
      fs.writeFileSync(path.join(f, 'filler'), Buffer.alloc(52 * 1024)); // the results need ~22 KiB
      const out = path.join(f, 'good.lsmi.arrow');
      const r = await lsmi('estimate', runFile('good'), '--out', out, ...QUICK);
      assert.equal(r.code, 1, r.err);
      assert.equal(r.err.trim(), `lsmi: error [NOT_WRITABLE] ${out}: cannot write it: the disk is full (ENOSPC). Free some space, or write elsewhere (--out).`);
      assert.deepEqual(fs.readdirSync(f), ['filler']);
    } finally {
      spawnSync('umount', [f], { stdio: 'ignore' });
    }
  });
});

describe('temporary files of killed writers are removed by the next write to the folder', () => {
  it('SIGKILL during a write leaves .<name>.<pid>@<host>-<hex>.tmp; the next lsmi estimate in that folder removes it', async () => {
    const f = folder('killed');
    const target = path.join(f, 'big.bin');
    // a real writer: writeFileAtomic of 256 MiB, killed as soon as its temporary file exists
    const writer = start(process.execPath, ['-e', `require(${JSON.stringify(ATOMIC)}).writeFileAtomic(${JSON.stringify(target)}, Buffer.alloc(256 * 2 ** 20, 7))`]);
    await until(() => fs.readdirSync(f).some((n) => n.endsWith('.tmp')), 20000, 'the temporary file');
    writer.child.kill('SIGKILL');
    await writer.done;
    const [tmp] = fs.readdirSync(f);
    assert.match(tmp, new RegExp(`^\\.big\\.bin\\.${writer.child.pid}@[0-9a-f]{6}-[0-9a-f]{12}\\.tmp$`));
    assert.equal(fs.existsSync(target), false, 'the target was never written');
    const r = await lsmi('estimate', runFile('good'), '--out', path.join(f, 'good.lsmi.arrow'), ...QUICK);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(fs.readdirSync(f), ['good.lsmi.arrow']);
  });

  it('which ones: a gone writer’s on this host (any target), any over an hour old; never a live writer’s, another host’s fresh one or a stranger’s', async () => {
    const f = folder('which');
    const out = path.join(f, 'r.lsmi.arrow');
    const mine = path.basename(temporaryPath(out)); // .r.lsmi.arrow.<pid>@<host>-<hex>.tmp
    const host = /@([0-9a-f]{6})-/.exec(mine)![1];
    const other = host === '000000' ? '111111' : '000000';
    const named = (pid: number, target = 'r.lsmi.arrow', h = host) => `.${target}.${pid}@${h}-0123456789ab.tmp`;
    const hourAgo = new Date(Date.now() - STALE_TEMP_MS - 60_000);
    const files = {
      gone: named(deadPid()),
      goneOtherTarget: named(deadPid(), 'export.csv'),
      goneOtherHost: named(deadPid(), 'r.lsmi.arrow', other),
      oldOtherHost: named(process.ppid, 'x.csv', other),
      live: named(process.ppid),
      liveOld: named(process.ppid, 'y.csv'),
      oldFormatOtherTarget: `.export.csv.${deadPid()}-abcdef.tmp`,
      legacyOtherOld: '.notes.txt.0123456789ab.tmp',
      stranger: '.something.tmp',
    };
    for (const name of Object.values(files)) fs.writeFileSync(path.join(f, name), 'x');
    for (const name of [files.oldOtherHost, files.liveOld, files.legacyOtherOld]) fs.utimesSync(path.join(f, name), hourAgo, hourAgo);
    const removed = await removeStaleTemps(out);
    assert.deepEqual(removed.map((x) => path.basename(x)).sort(), [files.gone, files.goneOtherTarget, files.oldOtherHost, files.liveOld].sort());
    assert.deepEqual(fs.readdirSync(f).sort(), [files.goneOtherHost, files.live, files.oldFormatOtherTarget, files.legacyOtherOld, files.stranger].sort());
  });
});

describe('one writer per results file, through the command line', () => {
  it('a lock left by a killed estimate is taken over by the next one', async () => {
    const f = folder('locks');
    const out = path.join(f, 'good.lsmi.arrow');
    const holder = start(process.execPath, ['-e', `require(${JSON.stringify(LOCK)}).acquireLock(${JSON.stringify(out)}).then(() => setInterval(() => undefined, 1000))`]);
    await until(() => fs.existsSync(`${out}.lock`), 20000, 'the lock');
    const busy = await lsmi('estimate', runFile('good'), '--out', out, ...QUICK);
    assert.equal(busy.code, 1, busy.err);
    assert.match(busy.err, new RegExp(`^lsmi: error \\[LOCKED\\] ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: another estimate is writing this results file \\(pid ${holder.child.pid}, since `));
    holder.child.kill('SIGKILL');
    await holder.done;
    assert.ok(fs.existsSync(`${out}.lock`), 'a killed writer leaves its lock');
    const r = await lsmi('estimate', runFile('good'), '--out', out, ...QUICK);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(fs.readdirSync(f), ['good.lsmi.arrow']);
  });

  it('two concurrent estimates of one output: each one that succeeds printed what is on disk, the other is refused plainly (or reuses it)', async () => {
    for (const seeds of [['1', '1'], ['1', '2']]) {
      const f = folder('concurrent');
      const run = copyRun('good', f);
      const out = path.join(f, 'r.lsmi.arrow');
      const rs = await Promise.all(seeds.map((seed) => lsmi('estimate', run, '--out', out, ...QUICK, '--json', '--seed', seed)));
      const ok = rs.filter((r) => r.code === 0);
      assert.ok(ok.length >= 1, rs.map((r) => r.err).join('\n'));
      for (const r of rs.filter((x) => x.code !== 0)) {
        assert.equal(r.code, 1, r.err);
        assert.match(r.err, /^lsmi: error \[LOCKED\] .*another estimate is writing this results file/);
      }
      const onDisk = (await readResults(out)).meta;
      const last = ok.map((r) => JSON.parse(r.out)).filter((r) => r.settings.seed === onDisk.settings.seed);
      assert.ok(last.length >= 1);
      // the same settings: whoever succeeded printed the file (the later one reused it)
      for (const r of seeds[0] === seeds[1] ? ok.map((x) => JSON.parse(x.out)) : last.slice(-1)) assert.deepEqual(r.timings, onDisk.timings, 'the printed report is the file on disk');
      assert.deepEqual(fs.readdirSync(f).sort(), ['good.arrow', 'r.lsmi.arrow']);
    }
  });
});

describe('signals cancel an estimate: nothing written, exit 128 + the signal', () => {
  const SLOW = ['--replicates', '3', ...QUICK];
  for (const [signal, code, says] of [['SIGINT', 130, 'cancelled'], ['SIGTERM', 143, 'cancelled (SIGTERM)'], ['SIGHUP', 129, 'cancelled (SIGHUP)']] as const) {
    it(`${signal} to lsmi → exit ${code}`, async () => {
      const f = folder(signal);
      const run = copyRun('slow', f);
      const p = start(process.execPath, [MAIN_JS, 'estimate', run, ...SLOW]);
      await sleep(2500);
      p.child.kill(signal);
      const r = await p.done;
      assert.equal(r.code, code, r.err);
      assert.equal(r.err.trim(), `lsmi: ${says}; nothing was written`);
      assert.deepEqual(fs.readdirSync(f), [path.basename(run)]);
    });
  }

  it('SIGINT to bin/lsmi.js → exit 130', { skip: !HAVE_DIST && 'needs npm run build (dist/cli.js)' }, async () => {
    const f = folder('bin');
    const run = copyRun('slow', f);
    const p = start(process.execPath, [BIN, 'estimate', run, ...SLOW]);
    await sleep(2500);
    p.child.kill('SIGINT');
    const r = await p.done;
    assert.equal(r.code, 130, r.err);
    assert.deepEqual(fs.readdirSync(f), [path.basename(run)]);
  });

  it('not under npm, an estimate whose parent goes away goes on (nohup lsmi … &, then the shell exits)', { skip: !HAVE_DIST && 'needs npm run build (dist/cli.js)' }, async () => {
    const f = folder('nohup');
    const run = copyRun('slow', f);
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_')));
    const pidFile = path.join(f, '..', `nohup-${process.pid}.pid`);
    const sh = spawn('sh', ['-c', `"${process.execPath}" "${BIN}" estimate "${run}" ${QUICK.join(' ')} > /dev/null 2>&1 & echo $! > "${pidFile}"; wait`], { stdio: 'ignore', env });
    await until(() => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').trim() !== '', 10000, 'the pid');
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    await sleep(1000);
    sh.kill('SIGKILL');
    await until(() => !alive(pid), 120000, 'the estimate to finish');
    assert.ok(fs.existsSync(path.join(f, 'slow.lsmi.arrow')), 'it finished and wrote its results');
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\S+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Whether a process is node running the lsmi bin (not npx's own node, whose arguments name the run too). */
function isLsmiNode(pid: number): boolean {
  try {
    const [exe, script] = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return /(^|\/)node$/.test(exe) && /(^|\/)lsmi(\.js)?$/.test(script ?? '');
  } catch {
    return false;
  }
}

/** The pids of processes whose command line contains `text` (Linux). */
function processesWith(text: string): number[] {
  const pids: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(text)) pids.push(Number(name));
    } catch {
      // gone
    }
  }
  return pids;
}

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

const npxSkip = !HAVE_DIST ? 'needs npm run build (dist/cli.js)' : process.platform !== 'linux' ? 'finds the lsmi process through /proc' : spawnSync('npx', ['--version'], { stdio: 'ignore' }).status !== 0 ? 'needs npx' : false;

describe('through npx (npm → sh → node), signals reach the estimate', { skip: npxSkip }, () => {
  // Ctrl-C in a terminal signals the whole process group; npm passes SIGINT and SIGTERM to its shell
  // only (which holds a SIGINT until lsmi ends, and dies of a SIGTERM) and dies of SIGHUP: lsmi
  // (bin/lsmi.js) notices its shell wake up or its launchers go, and cancels
  for (const [what, send] of [
    ['Ctrl-C (SIGINT to the process group)', (pid: number) => process.kill(-pid, 'SIGINT')],
    ['SIGINT to the npx process', (pid: number) => process.kill(pid, 'SIGINT')],
    ['SIGTERM to the npx process', (pid: number) => process.kill(pid, 'SIGTERM')],
    ['SIGHUP to the npx process', (pid: number) => process.kill(pid, 'SIGHUP')],
  ] as const) {
    it(`${what}: lsmi stops and writes nothing`, async () => {
      const f = folder('npx');
      const run = copyRun('slow', f);
      const p = start('npx', ['lsmi', 'estimate', run, '--replicates', '5', ...QUICK], { detached: true });
      const lsmiNode = () => processesWith(run).find(isLsmiNode);
      try {
        await until(() => lsmiNode() !== undefined, 60000, 'the lsmi process');
        const pid = lsmiNode()!;
        await sleep(1500);
        send(p.child.pid!);
        await p.done;
        await until(() => !alive(pid), 20000, 'lsmi to stop');
        assert.deepEqual(fs.readdirSync(f), [path.basename(run)], 'nothing written');
      } finally {
        killAll(processesWith(run));
      }
    });
  }

  it('a stopped and continued lsmi (Ctrl-Z, fg: SIGSTOP, 300 ms, SIGCONT) is not taken for a signal: the estimate completes', async () => {
    const f = folder('npx-stop');
    const run = copyRun('slow', f);
    const p = start('npx', ['lsmi', 'estimate', run, ...QUICK], { detached: true });
    const lsmiNode = () => processesWith(run).find(isLsmiNode);
    try {
      await until(() => lsmiNode() !== undefined, 60000, 'the lsmi process');
      await sleep(1000);
      const pid = lsmiNode()!;
      process.kill(pid, 'SIGSTOP');
      await sleep(300);
      process.kill(pid, 'SIGCONT');
      const r = await p.done;
      assert.equal(r.code, 0, r.err);
      assert.ok(fs.existsSync(path.join(f, 'slow.lsmi.arrow')));
    } finally {
      killAll(processesWith(run));
    }
  });
});
