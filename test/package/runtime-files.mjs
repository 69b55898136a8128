// Which files the extension and the CLI load at run time, derived from the built code rather than
// listed by hand, so that a new worker, binary, stylesheet or asset cannot be left out of a package:
//
// - bundles: `path.join(__dirname, "worker.js")`, `path.join(__dirname, "..", "dist", "cli.js")` and
//   folders such as `path.join(__dirname, "wasm")`, followed from bundle to bundle;
// - file names a bundle looks for in such a folder (`"tfjs-backend-wasm-simd.wasm"`);
// - `vscode.Uri.joinPath(extensionUri, "media", "panel.css")` (template parts such as `${bundle}.js`
//   become a wildcard that must match a packaged file);
// - whole string literals naming a path under dist/, media/ or docs/;
// - url(...) in packaged stylesheets;
// - package.json: main, bin, icon, and the icons of views and commands.
import path from 'node:path';

/**
 * Paths the bundles name that are deliberately absent from both packages: fallbacks for the layout
 * of the TypeScript output (out/), which tests run, each guarded by fs.existsSync in the code.
 */
export const DEV_ONLY = new Map([
  ['dist/io/read-worker.js', 'src/engine/io/isolated.ts: the worker in the tsc output (out/src/engine/io/); bundles use dist/read-worker.js'],
  ['compute/stage-worker.js', 'src/engine/estimate/stages.ts: the worker in the tsc output (out/src/engine/compute/); bundles use dist/stage-worker.js'],
  ['dist/gpu-backends.js', 'src/engine/compute/backend.ts: tests load the GPU backends from the tsc output; bundles register them inside dist/gpu-worker.js'],
]);

const STR = String.raw`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + '`[^`]*`';
const unquote = (s) => s.slice(1, -1);

/** The string arguments of every `<fn>(<first>, "a", "b", ...)` call whose other arguments are all literals. */
function literalCalls(js, fn, first) {
  const re = new RegExp(String.raw`\b${fn}\(\s*${first}\s*((?:,\s*(?:${STR})\s*)+)\)`, 'g');
  return [...js.matchAll(re)].map((m) => [...m[1].matchAll(new RegExp(STR, 'g'))].map((x) => unquote(x[0])));
}

/** A requirement: one of `paths` must be in the package (a folder: must hold a file; a glob: must match one). */
function req(kind, paths, why) {
  return { kind, paths: [paths].flat(), why };
}

/** Glob with `*` (no `/`) to a RegExp. */
const globRe = (g) => new RegExp('^' + g.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*') + '$');

/**
 * What the code reachable from `entries` loads, as requirements on a package rooted like the
 * repository (`dist/…`, `media/…`). `tree.has(p)` and `tree.read(p)` look files up in a built tree.
 */
export function runtimeRequirements(tree, entries) {
  const out = [];
  const seen = new Set();
  const queue = entries.map(([file, why]) => [file, why]);
  while (queue.length) {
    const [file, why] = queue.shift();
    if (seen.has(file)) continue;
    seen.add(file);
    out.push(req('file', file, why));
    if (!tree.has(file)) continue;
    const dir = path.posix.dirname(file);
    if (file.endsWith('.css')) {
      for (const m of tree.read(file).matchAll(/url\(\s*(["']?)([^"')]+)\1\s*\)/g)) {
        if (/^(data:|https?:|#)/.test(m[2])) continue;
        queue.push([path.posix.join(dir, m[2].split(/[?#]/)[0]), `${file}: url(${m[2]})`]);
      }
      continue;
    }
    if (!/\.(c|m)?js$/.test(file)) continue;
    const js = tree.read(file);
    const folders = [];
    for (const parts of literalCalls(js, 'join', '__dirname')) {
      const target = path.posix.join(dir, ...parts);
      const call = `${file}: join(__dirname, ${parts.map((p) => JSON.stringify(p)).join(', ')})`;
      if (DEV_ONLY.has(target)) continue;
      if (path.posix.extname(target)) queue.push([target, call]);
      else {
        folders.push(target);
        out.push(req('dir', target, call));
      }
    }
    for (const m of js.matchAll(/["']([\w.-]+\.wasm)["']/g)) {
      const where = folders.length ? folders : [dir];
      out.push(req('file', where.map((d) => `${d}/${m[1]}`), `${file}: "${m[1]}" (looked for in ${where.join(', ')})`));
    }
    for (const parts of literalCalls(js, 'joinPath', String.raw`[\w$.]+`)) {
      const target = path.posix.join(...parts.map((p) => p.replace(/\$\{[^}]*\}/g, '*')));
      const call = `${file}: joinPath(<extension>, ${parts.map((p) => (p.includes('${') ? '`' + p + '`' : JSON.stringify(p))).join(', ')})`;
      if (target.includes('*')) out.push(req('glob', target, call));
      else if (path.posix.extname(target)) queue.push([target, call]);
      else out.push(req('dir', target, call));
    }
    for (const m of js.matchAll(/["'`]((?:dist|media|docs)\/[\w./-]*[\w-])["'`]/g)) {
      const target = path.posix.normalize(m[1]);
      if (DEV_ONLY.has(target)) continue;
      if (path.posix.extname(target)) queue.push([target, `${file}: "${m[1]}"`]);
    }
  }
  // merge duplicates (the same file named by several bundles)
  const byKey = new Map();
  for (const r of out) {
    const key = `${r.kind}:${r.paths.join('|')}`;
    if (!byKey.has(key)) byKey.set(key, r);
  }
  return [...byKey.values()];
}

/** The package.json entries that name files: main, bin, icon, icons of views and commands. */
export function manifestEntries(pkg, { extension = true, cli = true } = {}) {
  const norm = (p) => path.posix.normalize(p.replace(/^\.\//, ''));
  const out = [];
  if (extension) {
    out.push([norm(pkg.main), 'package.json main']);
    if (pkg.icon) out.push([norm(pkg.icon), 'package.json icon']);
    for (const [where, views] of Object.entries(pkg.contributes?.views ?? {})) {
      for (const v of views) if (typeof v.icon === 'string' && !v.icon.startsWith('$(')) out.push([norm(v.icon), `package.json contributes.views.${where} ${v.id} icon`]);
    }
    for (const c of pkg.contributes?.commands ?? []) {
      const icons = typeof c.icon === 'string' ? [c.icon] : c.icon ? Object.values(c.icon) : [];
      for (const i of icons) if (!i.startsWith('$(')) out.push([norm(i), `package.json command ${c.command} icon`]);
    }
  }
  if (cli) for (const [name, file] of Object.entries(pkg.bin ?? {})) out.push([norm(file), `package.json bin ${name}`]);
  return out;
}

/** The requirements a package's file list does not meet, as readable lines. */
export function unmet(requirements, files) {
  const list = [...files];
  const missing = [];
  for (const r of requirements) {
    const ok = r.paths.some((p) => {
      if (r.kind === 'file') return files.has(p);
      if (r.kind === 'dir') return list.some((f) => f.startsWith(p + '/'));
      const re = globRe(p);
      return list.some((f) => re.test(f));
    });
    if (!ok) missing.push(`${r.paths.join(' or ')}${r.kind === 'dir' ? '/ (a folder with files)' : ''}  <- ${r.why}`);
  }
  return missing;
}
