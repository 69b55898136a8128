/**
 * Run files for the preflight and write tests (test/fixtures/make_preflight.py, real pyarrow), made
 * once per content of the script into a shared folder, and a helper that runs the real `lsmi`
 * command line as a child process.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO } from './fixtures';

const SCRIPT = path.join(REPO, 'test', 'fixtures', 'make_preflight.py');
let dir: string | undefined;

export function runFile(name: string): string {
  if (!dir) {
    const target = path.join(os.tmpdir(), `lsmi-preflight-${createHash('sha256').update(fs.readFileSync(SCRIPT)).digest('hex').slice(0, 12)}`);
    if (!fs.existsSync(target)) {
      const tmp = fs.mkdtempSync(target + '-tmp-');
      execFileSync('python3', [SCRIPT, tmp], { stdio: ['ignore', 'ignore', 'inherit'] });
      try {
        fs.renameSync(tmp, target);
      } catch {
        fs.rmSync(tmp, { recursive: true, force: true }); // another test process won the race
      }
    }
    dir = target;
  }
  return path.join(dir, `${name}.arrow`);
}

/** A private copy of a run file in `folder`, so the test owns the folder its results land in. */
export function copyRun(name: string, folder: string): string {
  const dst = path.join(folder, `${name}.arrow`);
  fs.copyFileSync(runFile(name), dst);
  return dst;
}

/** The command line as built by tsc (out/src/cli/main.js runs `runCli` when started as a script). */
export const CLI = path.join(REPO, 'out', 'src', 'cli', 'main.js');
/** The published entry point (needs `npm run build`: dist/cli.js). */
export const BIN = path.join(REPO, 'bin', 'lsmi.js');
export const HAVE_DIST = fs.existsSync(path.join(REPO, 'dist', 'cli.js'));

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/** Starts a command, collecting its output; `done` settles when it exits. */
export function start(command: string, args: string[], opts: { cwd?: string; detached?: boolean; env?: NodeJS.ProcessEnv } = {}): { child: ChildProcess; done: Promise<Finished> } {
  const child = spawn(command, args, { cwd: opts.cwd ?? REPO, detached: opts.detached, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const done = new Promise<Finished>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, out, err })));
  return { child, done };
}

/** Runs `lsmi` (out/src/cli/main.js) to the end. */
export function lsmi(...args: string[]): Promise<Finished> {
  return start(process.execPath, [CLI, ...args]).done;
}

/** Files whose names look like our temporaries or locks, in a folder. */
export function leftovers(folder: string): string[] {
  return fs.readdirSync(folder).filter((f) => f.endsWith('.tmp') || f.endsWith('.lock') || f.endsWith('.stale'));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits until `f` is true (polling), or throws after `ms`. */
export async function until(f: () => boolean, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!f()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}
