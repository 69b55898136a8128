// The packages people install, built from a fresh copy of this checkout and tested as installed:
// - the extension: `npm run package` → lsmi-explorer-<version>.vsix (≤ 5 MB; every file the
//   extension loads at run time inside, derived from the built code; metadata; README links; its
//   engine estimating from the unpacked package with every network call refused);
// - the CLI: `npm pack` → lsmi-explorer-<version>.tgz, installed with `npm install -g` into an empty
//   prefix, offline, and run;
// - the Python exporter: `pip install ./python` into a new virtual environment, a run written with
//   it, and `lsmi inspect` on that run.
// Run: node --test test/package/   (scripts/test-all.mjs: suite `package`)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { isBuiltin } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { extract, pngSize, readTgz, readZip } from './archive.mjs';
import { manifestEntries, runtimeRequirements, unmet } from './runtime-files.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const VSIX_LIMIT = 5 * 1000 * 1000;
const TGZ_LIMIT = 5 * 1000 * 1000;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

let work; // a temporary folder for everything this file makes
let fresh; // the fresh copy of the checkout, built by the packaging commands
let vsixFile;
let tgzFile;
let vsix; // entries of the .vsix
let tgz; // entries of the .tgz
let prefix; // where the CLI is installed (npm install -g --prefix)

function sh(cmd, args, opts = {}) {
  const env = { ...process.env, ...opts.env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 240_000, ...opts, env });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0 && !opts.allowFail) {
    throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}${r.error ? ` (${r.error.message})` : ''}:\n${out.slice(-6000)}`);
  }
  return { ...r, out };
}

/** The checkout as a fresh clone would have it: tracked and not-ignored files, plus node_modules (linked). */
function freshCopy(dest) {
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (listed.status === 0) {
    for (const f of listed.stdout.split('\0').filter(Boolean)) {
      const src = path.join(root, f);
      if (!fs.existsSync(src) || fs.statSync(src).isDirectory()) continue; // deleted, or a submodule
      fs.mkdirSync(path.dirname(path.join(dest, f)), { recursive: true });
      fs.copyFileSync(src, path.join(dest, f));
    }
  } else {
    // not a git checkout: everything but what the build makes
    const skip = new Set(['node_modules', '.git', 'dist', 'out', '.test-output']);
    fs.cpSync(root, dest, { recursive: true, filter: (s) => !skip.has(path.relative(root, s).split(path.sep)[0]) && !/\.(vsix|tgz)$/.test(s) });
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dest, 'node_modules'), 'dir');
}

/** A built tree (the fresh copy) as runtime-files.mjs wants it. */
function treeOf(dir) {
  return {
    has: (p) => fs.existsSync(path.join(dir, p)) && fs.statSync(path.join(dir, p)).isFile(),
    read: (p) => fs.readFileSync(path.join(dir, p), 'utf8'),
  };
}

function walk(dir, rel = '') {
  const out = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...walk(dir, p));
    else out.push(p);
  }
  return out;
}

/** A preload that refuses every network call (sockets, DNS, fetch) and says so on stderr. */
function networkBlocker() {
  const file = path.join(work, 'no-network.cjs');
  fs.writeFileSync(
    file,
    `'use strict';
const refuse = (what) => function () {
  process.stderr.write('NETWORK ATTEMPT: ' + what + '\\n');
  throw new Error('network access at run time (' + what + ') refused by test/package');
};
const net = require('node:net');
const dns = require('node:dns');
net.Socket.prototype.connect = refuse('net.Socket.connect');
require('node:tls').connect = refuse('tls.connect');
for (const k of ['lookup', 'resolve', 'resolve4', 'resolve6']) { dns[k] = refuse('dns.' + k); dns.promises[k] = refuse('dns.promises.' + k); }
for (const m of ['node:http', 'node:https']) { const h = require(m); h.request = refuse(m + ' request'); h.get = refuse(m + ' get'); }
globalThis.fetch = refuse('fetch');
`,
  );
  return file;
}

/** A copy of an example run in its own folder (estimates write beside the run). */
function exampleRun(name) {
  const dir = fs.mkdtempSync(path.join(work, 'run-'));
  const file = path.join(dir, path.basename(name));
  fs.copyFileSync(path.join(root, 'examples', name), file);
  return file;
}

before(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'lsmi-package-'));
  fresh = path.join(work, 'checkout');
  freshCopy(fresh);
});

after(() => {
  if (work && !process.env.LSMI_KEEP_PACKAGE_TEST) fs.rmSync(work, { recursive: true, force: true });
  else if (work) console.log(`kept ${work}`);
});

test('npm pack on a fresh checkout builds lsmi-explorer-<version>.tgz (prepack builds the bundles)', (t) => {
  assert.ok(!fs.existsSync(path.join(fresh, 'dist')), 'the fresh copy has no dist/ yet');
  const r = sh(npm, ['pack', '--json', '--pack-destination', work], { cwd: fresh });
  const info = JSON.parse(r.stdout.slice(r.stdout.indexOf('[\n')))[0];
  tgzFile = path.join(work, info.filename);
  assert.equal(info.filename, `lsmi-explorer-${pkg.version}.tgz`);
  tgz = readTgz(tgzFile);
  t.diagnostic(`${info.filename}: ${(fs.statSync(tgzFile).size / 1e6).toFixed(2)} MB (${(info.unpackedSize / 1e6).toFixed(1)} MB unpacked, ${tgz.length} files)`);
});

test('npm run package on a fresh checkout builds lsmi-explorer-<version>.vsix with the pinned @vscode/vsce', (t) => {
  assert.match(pkg.devDependencies['@vscode/vsce'] ?? '', /^\d+\.\d+\.\d+$/, '@vscode/vsce is pinned to an exact version in devDependencies');
  assert.doesNotMatch(pkg.scripts.package, /npx/, 'the package script fetches nothing at run time');
  sh(npm, ['run', 'package'], { cwd: fresh });
  vsixFile = path.join(fresh, `lsmi-explorer-${pkg.version}.vsix`);
  assert.ok(fs.existsSync(vsixFile), `${path.basename(vsixFile)} was written`);
  vsix = readZip(vsixFile);
  // scripts/test-all.mjs installs this very .vsix for the host and UI suites (built once per run)
  if (process.env.LSMI_VSIX_OUT) fs.copyFileSync(vsixFile, process.env.LSMI_VSIX_OUT);
  const size = fs.statSync(vsixFile).size;
  t.diagnostic(`${path.basename(vsixFile)}: ${(size / 1e6).toFixed(2)} MB, ${vsix.length} files`);
});

test('.vsix: at most 5 MB, without source maps, sources, tests, examples or node_modules', (t) => {
  assert.ok(vsix, 'the .vsix was built');
  const size = fs.statSync(vsixFile).size;
  assert.ok(size <= VSIX_LIMIT, `${size} bytes > ${VSIX_LIMIT}`);
  const bloat = vsix.map((e) => e.name).filter((n) => /\.(map|ts|py)$/.test(n) || /^extension\/(src|test|out|examples|scripts|python|webview|node_modules)\//.test(n));
  assert.deepEqual(bloat, []);
  const byFolder = {};
  for (const e of vsix) {
    const k = path.posix.dirname(e.name.replace(/^extension\//, '')).replace(/^\.$/, '(top)');
    byFolder[k] = (byFolder[k] ?? 0) + e.compressedSize;
  }
  t.diagnostic(`compressed: ${Object.entries(byFolder).map(([k, v]) => `${k} ${(v / 1e6).toFixed(2)} MB`).join(', ')}`);
});

test('.vsix: every file the extension loads at run time is in it (derived from the built code)', (t) => {
  assert.ok(vsix, 'the .vsix was built');
  const tree = treeOf(fresh);
  const files = new Set(vsix.filter((e) => e.name.startsWith('extension/')).map((e) => e.name.slice('extension/'.length)));
  const ext = runtimeRequirements(tree, manifestEntries(pkg, { cli: false }));
  const cli = runtimeRequirements(tree, manifestEntries(pkg, { extension: false }));
  const named = (reqs) => new Set(reqs.flatMap((r) => r.paths));
  // the derivation still recognises the code's patterns (a refactor must not silently empty the list)
  for (const p of ['dist/extension.js', 'dist/worker.js', 'dist/read-worker.js', 'dist/wasm/tfjs-backend-wasm-simd.wasm', 'media/panel.css']) {
    assert.ok(named(ext).has(p), `the derivation no longer finds ${p}: update test/package/runtime-files.mjs`);
  }
  assert.ok(ext.some((r) => r.kind === 'glob' && r.paths[0].startsWith('dist/webview/')), 'the webview bundles are found');
  // and every bundle the build made is there, except what only the CLI runs
  const extNamed = named(ext);
  const cliOnly = [...named(cli)].filter((p) => !extNamed.has(p));
  const built = walk(path.join(fresh, 'dist')).map((f) => `dist/${f}`).filter((f) => !f.endsWith('.map') && !cliOnly.includes(f));
  const reqs = [...ext, ...built.map((f) => ({ kind: 'file', paths: [f], why: 'built by scripts/build.mjs' }))];
  const missing = unmet(reqs, files);
  assert.deepEqual(missing, [], `missing from the .vsix (add them to .vscodeignore):\n${missing.join('\n')}`);
  t.diagnostic(`${reqs.length} requirements met: ${[...new Set(reqs.flatMap((r) => r.paths))].sort().join(', ')}`);
});

test('.vsix: the bundles need nothing from node_modules, and the extension host bundle nothing from the network', () => {
  assert.ok(vsix, 'the .vsix was built');
  // packages the bundles may name without shipping: 'vscode' (the host provides it) and the
  // optional GPU packages, located at run time (src/engine/compute/gpu-locate.ts)
  const provided = new Set(['vscode', 'webgpu', '@tensorflow/tfjs-node-gpu']);
  // names bundled libraries try inside a try/catch and do without
  const optional = new Map([['encoding', 'node-fetch, bundled by @tensorflow/tfjs-core']]);
  const problems = [];
  for (const e of vsix.filter((x) => /\.js$/.test(x.name))) {
    const js = e.read().toString('utf8');
    for (const m of js.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)) {
      const id = m[1];
      if (isBuiltin(id) || provided.has(id) || optional.has(id)) continue;
      problems.push(`${e.name}: require("${id}")`);
    }
    if (e.name === `extension/${pkg.main.replace(/^\.\//, '')}` || e.name.includes('/read-worker.js')) {
      for (const m of js.matchAll(/\brequire\(\s*["'](?:node:)?(http|https|http2|net|tls|dns|dgram)["']\s*\)/g)) problems.push(`${e.name}: require("${m[1]}")`);
    }
  }
  assert.deepEqual(problems, []);
});

test('.vsix: marketplace metadata (icon, repository, license, categories, keywords, banner, changelog) and one version', (t) => {
  assert.ok(vsix, 'the .vsix was built');
  const get = (n) => vsix.find((e) => e.name === n);
  const manifest = JSON.parse(get('extension/package.json').read().toString('utf8'));
  assert.ok(manifest.publisher, 'publisher');
  assert.match(manifest.repository?.url ?? '', /^https:\/\//, 'repository URL');
  assert.equal(manifest.license, 'MIT');
  assert.ok(get('extension/LICENSE.txt') || get('extension/LICENSE'), 'LICENSE in the package');
  const icon = get(`extension/${manifest.icon}`);
  assert.ok(icon, `icon ${manifest.icon} in the package`);
  const { width, height } = pngSize(icon.read());
  assert.ok(width >= 128 && width === height, `icon is ${width}x${height}; the marketplace wants a square PNG of at least 128x128`);
  const known = ['AI', 'Azure', 'Chat', 'Data Science', 'Debuggers', 'Education', 'Extension Packs', 'Formatters', 'Keymaps', 'Language Packs', 'Linters', 'Machine Learning', 'Notebooks', 'Other', 'Programming Languages', 'SCM Providers', 'Snippets', 'Testing', 'Themes', 'Visualization'];
  assert.ok(manifest.categories?.length && manifest.categories.every((c) => known.includes(c)), `categories ${manifest.categories}`);
  assert.ok(manifest.keywords?.length > 0 && manifest.keywords.length <= 30, 'keywords (1 to 30)');
  assert.match(manifest.galleryBanner?.color ?? '', /^#[0-9a-fA-F]{6}$/);
  assert.ok(['dark', 'light'].includes(manifest.galleryBanner?.theme));
  const changelog = get('extension/changelog.md')?.read().toString('utf8');
  assert.ok(changelog, 'CHANGELOG.md in the package');
  const released = /^## (\d+\.\d+\.\d+)/m.exec(changelog)?.[1];
  assert.equal(released, manifest.version, 'the newest release in CHANGELOG.md is the package version');
  // the version results files record (src/engine/version.ts) is the package's
  const bundle = get(`extension/${manifest.main.replace(/^\.\//, '')}`).read().toString('utf8');
  assert.equal(/\bTOOL_VERSION = "([^"]+)"/.exec(bundle)?.[1], manifest.version, 'TOOL_VERSION in the bundle');
  t.diagnostic(`${manifest.publisher}.${manifest.name} ${manifest.version}, icon ${width}x${height}, ${manifest.categories.join(', ')}`);
});

test('.vsix: README links work inside the package (absolute or in-page) and in the repository (relative, to files that exist)', () => {
  assert.ok(vsix, 'the .vsix was built');
  const links = (md) => [...md.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)|\b(?:href|src)="([^"]+)"/g)].map((m) => m[1] ?? m[2]);
  const slugs = (md) =>
    new Set(
      [...md.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) =>
        m[1]
          .trim()
          .toLowerCase()
          .replace(/[^\p{L}\p{N}\s_-]/gu, '')
          .replace(/\s/g, '-'),
      ),
    );
  const repoUrl = pkg.repository.url.replace(/\.git$/, '');
  // in the repository: relative links point at files that exist, anchors at headings
  const source = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const problems = [];
  for (const l of links(source)) {
    if (/^(https?:|mailto:)/.test(l)) continue;
    if (l.startsWith('#')) {
      if (!slugs(source).has(l.slice(1))) problems.push(`README.md: no heading for ${l}`);
      continue;
    }
    if (!fs.existsSync(path.join(root, decodeURIComponent(l.split('#')[0])))) problems.push(`README.md: ${l} does not exist`);
  }
  // in the package: VS Code's extension page opens only http(s) and mailto links (and scrolls to anchors)
  const packaged = vsix.find((e) => e.name === 'extension/readme.md').read().toString('utf8');
  for (const l of links(packaged)) {
    if (l.startsWith('#')) {
      if (!slugs(packaged).has(l.slice(1))) problems.push(`packaged readme: no heading for ${l}`);
    } else if (l.startsWith(repoUrl + '/')) {
      const rel = l.slice(repoUrl.length + 1).replace(/^(blob|raw|tree)\/[^/]+\//, '').split('#')[0];
      if (!fs.existsSync(path.join(root, decodeURIComponent(rel)))) problems.push(`packaged readme: ${l} names no file of the repository`);
    } else if (!/^(https?:|mailto:)/.test(l)) problems.push(`packaged readme: ${l} does not open from VS Code's extension page`);
  }
  assert.deepEqual(problems, []);
});

test('.vsix: its engine estimates from the unpacked package, with no node_modules and every network call refused', (t) => {
  assert.ok(vsix, 'the .vsix was built');
  const dir = path.join(work, 'vsix-unpacked');
  extract(vsix, 'extension/', dir);
  // the workers, the GPU process and the wasm binaries are the package's; only the CLI's entry is added
  fs.copyFileSync(path.join(fresh, 'dist', 'cli.js'), path.join(dir, 'dist', 'cli.js'));
  const run = exampleRun('circuits/xor.arrow');
  const cli = path.join(dir, 'dist', 'cli.js');
  const r = sh(process.execPath, ['-e', `require(${JSON.stringify(cli)}).main(process.argv.slice(1)).then((c) => { process.exitCode = c; })`, 'estimate', run, '--top', '1'], {
    cwd: work,
    env: { NODE_OPTIONS: `--require ${networkBlocker()}`, LSMI_WASM_DIR: undefined, LSMI_BACKEND: undefined, LSMI_BACKEND_PATH: undefined },
  });
  assert.doesNotMatch(r.out, /NETWORK ATTEMPT/);
  assert.match(r.out, /R \(redundancy\)/);
  assert.match(r.out, /backend: wasm/);
  assert.ok(fs.existsSync(run.replace(/\.arrow$/, '.lsmi.arrow')), 'results written');
  t.diagnostic(r.out.split('\n').find((l) => l.startsWith('adjusted')) ?? '');
});

test('.tgz: the CLI, its workers and the wasm binaries; no extension bundles, sources, tests, examples or maps', (t) => {
  assert.ok(tgz, 'the .tgz was built');
  const files = new Set(tgz.map((e) => e.name.replace(/^package\//, '')));
  const cli = runtimeRequirements(treeOf(fresh), manifestEntries(pkg, { extension: false }));
  for (const p of ['bin/lsmi.js', 'dist/cli.js', 'dist/worker.js', 'dist/wasm/tfjs-backend-wasm-simd.wasm']) {
    assert.ok(cli.some((r) => r.paths.includes(p)), `the derivation no longer finds ${p}: update test/package/runtime-files.mjs`);
  }
  const missing = unmet(cli, files);
  assert.deepEqual(missing, [], `missing from the .tgz (see .npmignore):\n${missing.join('\n')}`);
  const bloat = [...files].filter((n) => /\.(map|ts|py|vsix|tgz)$/.test(n) || /^(src|test|out|examples|scripts|python|webview|media|node_modules|dist\/webview)\//.test(n) || n === 'dist/extension.js');
  assert.deepEqual(bloat, []);
  const size = fs.statSync(tgzFile).size;
  assert.ok(size <= TGZ_LIMIT, `${size} bytes > ${TGZ_LIMIT}`);
  const manifest = JSON.parse(tgz.find((e) => e.name === 'package/package.json').read().toString('utf8'));
  assert.deepEqual(Object.keys(manifest.dependencies ?? {}), [], 'no dependencies: the bundles carry them');
  t.diagnostic(`${files.size} files: ${[...files].sort().join(', ')}`);
});

test('CLI: npm install -g <tgz> into an empty prefix, offline, gives a working lsmi', (t) => {
  assert.ok(tgzFile, 'the .tgz was built');
  prefix = path.join(work, 'prefix');
  // an empty npm cache and --offline: the install needs nothing from a registry (the optional WebGPU
  // addon is left out; installed online it comes too)
  sh(npm, ['install', '--global', '--prefix', prefix, '--offline', '--omit=optional', '--cache', path.join(work, 'npm-cache'), '--no-audit', '--no-fund', tgzFile], { cwd: work });
  const lsmi = process.platform === 'win32' ? path.join(prefix, 'lsmi.cmd') : path.join(prefix, 'bin', 'lsmi');
  assert.equal(sh(lsmi, ['--version'], { cwd: work }).stdout.trim(), pkg.version);
  const run = exampleRun('circuits/xor.arrow');
  const r = sh(lsmi, ['estimate', run, '--top', '1'], { cwd: work, env: { NODE_OPTIONS: `--require ${networkBlocker()}`, LSMI_WASM_DIR: undefined, LSMI_BACKEND: undefined, LSMI_BACKEND_PATH: undefined } });
  assert.doesNotMatch(r.out, /NETWORK ATTEMPT/);
  assert.match(r.out, /R \(redundancy\)/);
  assert.match(r.out, /backend: wasm/);
  const results = run.replace(/\.arrow$/, '.lsmi.arrow');
  assert.match(sh(lsmi, ['inspect', results], { cwd: work }).out, /4,000 samples/);
  t.diagnostic(r.out.split('\n').find((l) => l.startsWith('adjusted')) ?? '');
});

test('Python: pip install ./python into a new virtual environment writes a run that lsmi inspect reads', (t) => {
  assert.ok(prefix, 'the CLI was installed');
  const venv = path.join(work, 'venv');
  // numpy and pyarrow from the system (--system-site-packages); the exporter from the repository
  sh('python3', ['-m', 'venv', '--system-site-packages', venv]);
  const py = process.platform === 'win32' ? path.join(venv, 'Scripts', 'python.exe') : path.join(venv, 'bin', 'python');
  const src = path.join(work, 'python-src');
  fs.cpSync(path.join(fresh, 'python'), src, { recursive: true });
  sh(py, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', src], { cwd: work, timeout: 180_000 });
  const run = path.join(work, 'exported', 'smoke.arrow');
  const script = `
import sys, numpy as np, lsmi_export
from lsmi_export import write_run
assert lsmi_export.__file__.startswith(sys.prefix), lsmi_export.__file__  # the installed copy, not the checkout
rng = np.random.default_rng(0)
y = rng.integers(0, 3, 300)
p = write_run(sys.argv[1], emb_1=rng.normal(size=(300, 4)) + y[:, None], emb_2=rng.normal(size=(300, 3)), labels=y,
              class_names=["a", "b", "c"], run_name="smoke", split="test")
print(lsmi_export.__version__, p)
`;
  const w = sh(py, ['-c', script, run], { cwd: work });
  const lsmi = process.platform === 'win32' ? path.join(prefix, 'lsmi.cmd') : path.join(prefix, 'bin', 'lsmi');
  const r = sh(lsmi, ['inspect', run], { cwd: work });
  assert.match(r.out, /samples: 300\s+classes: 3/);
  t.diagnostic(`lsmi_export ${w.stdout.trim()}`);
});
