#!/usr/bin/env node
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const { spawnSync } = require('node:child_process');
const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write('lsmi: the CLI is not built yet. Run `npm run build` in ' + path.dirname(__dirname) + '\n');
  process.exit(2);
}

// A reader that went away (`lsmi ... | head`) is not an error of lsmi's.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);

/**
 * Run through `npx lsmi` (or an npm script), this process is npm's grandchild (npm → sh -c → node),
 * and npm's signals do not reach it: npm passes SIGINT and SIGTERM to the shell only, where SIGTERM
 * ends the shell and SIGINT waits (the shell acts on it after this process ends), and npm dies of
 * SIGHUP, leaving the shell. So, under npm, watch the launchers: when npm or the shell is gone, or
 * (Linux) the shell wakes up, which a waiting shell does only for a signal, behave as if signalled
 * (SIGHUP when a launcher is gone, SIGINT when the shell woke): the estimate is cancelled and writes
 * nothing. After this process was stopped (Ctrl-Z) the shell wakes for that, so the count starts over.
 */
function watchLauncher() {
  if (!process.env.npm_command && !process.env.npm_execpath) return;
  const parent = process.ppid;
  const npm = npmAncestor(parent);
  // npm's own shell (`sh -c lsmi ...`) without npm above it, or no parent at all: npx went before
  // this process got here
  const shell = processInfo(parent);
  const goneAlready = parent === 1 || (npm === undefined && !!shell && /^\S*sh -c (-- )?'?(\S*[\\/])?lsmi'?(\s|$)/.test(shell.command));
  const alive = (pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (e) {
      return e.code === 'EPERM';
    }
  };
  // a shell between npm and this process (Linux: its wake-ups are counted)
  const viaShell = process.platform === 'linux' && npm !== undefined && npm !== parent;
  let wakeups = viaShell ? shellWakeups(parent) : undefined;
  let last = Date.now();
  let quietUntil = 0;
  if (viaShell) process.on('SIGCONT', () => (quietUntil = Date.now() + 1000));
  let fired = false;
  let confirming = false;
  // signalled directly (Ctrl-C reaches the whole process group): the shell woke for the same signal.
  // Before the command line handles signals (or after), this listener is the only one: stop as the
  // signal would have
  const codes = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };
  for (const s of Object.keys(codes)) {
    process.on(s, () => {
      fired = true;
      clearInterval(timer);
      if (process.listenerCount(s) === 1) {
        process.stderr.write(`lsmi: interrupted (${s})\n`);
        process.exit(codes[s]);
      }
    });
  }
  const fire = (signal) => {
    clearInterval(timer);
    if (!fired) process.kill(process.pid, signal);
    fired = true;
  };
  const timer = setInterval(() => {
    if (goneAlready || process.ppid !== parent || (npm !== undefined && !alive(npm))) return fire('SIGHUP');
    if (wakeups === undefined) return;
    const now = Date.now();
    const gap = now - last;
    last = now;
    const w = shellWakeups(parent);
    // stopped, or starved of the CPU: the shell may have woken for our stop and continue
    if (gap > 600 || now < quietUntil || w === undefined) wakeups = w;
    else if (w > wakeups && !confirming) {
      // a SIGCONT is handled after the timers that were due: look again once it would have been
      confirming = true;
      setTimeout(() => {
        confirming = false;
        if (Date.now() < quietUntil) wakeups = shellWakeups(parent);
        else fire('SIGINT');
      }, 100).unref();
    }
  }, 250);
  timer.unref();
}

/** How often a process went to sleep (Linux: /proc/<pid>/status), or undefined. */
function shellWakeups(pid) {
  try {
    const m = /^voluntary_ctxt_switches:\s*(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The nearest ancestor (at most 4 levels up) that is npm, or undefined. */
function npmAncestor(pid) {
  for (let level = 0; level < 4 && pid > 1; level++) {
    const p = processInfo(pid);
    if (!p) return undefined;
    if (/^npm(\s|$)|npm-cli\.js|npx-cli\.js|[\\/]npm\s|[\\/]npx\s/.test(p.command)) return pid;
    pid = p.ppid;
  }
  return undefined;
}

function processInfo(pid) {
  try {
    if (process.platform === 'linux') {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const command = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      return { ppid, command };
    }
    if (process.platform === 'win32') return undefined;
    const r = spawnSync('ps', ['-o', 'ppid=,command=', '-p', String(pid)], { encoding: 'utf8', timeout: 2000 });
    const m = /^\s*(\d+)\s+(.*)$/.exec(r.stdout || '');
    return m ? { ppid: Number(m[1]), command: m[2] } : undefined;
  } catch {
    return undefined;
  }
}

// before loading the CLI (which takes a while): a launcher that goes in the meantime is noticed
watchLauncher();
const m = require(cli);
(m.runCli ? m.runCli(process.argv.slice(2)) : m.main(process.argv.slice(2))).then((code) => {
  process.exitCode = code;
});
