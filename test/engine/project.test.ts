import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { TOOL_VERSION } from '../../src/engine/version';
import { REPO } from './fixtures';

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

describe('project rules', () => {
  it('src/engine never imports vscode (it runs in the CLI, tests and worker threads)', () => {
    const offenders = filesUnder(path.join(REPO, 'src', 'engine')).filter((f) => /from ['"]vscode['"]|require\(['"]vscode['"]\)/.test(fs.readFileSync(f, 'utf8')));
    assert.deepEqual(offenders, []);
  });

  it('the webview imports nothing from the extension host but the shared protocol and engine types', () => {
    for (const f of filesUnder(path.join(REPO, 'webview'))) {
      const text = fs.readFileSync(f, 'utf8');
      assert.doesNotMatch(text, /from ['"]vscode['"]/, f);
      assert.doesNotMatch(text, /src\/extension\//, f);
      for (const m of text.matchAll(/import (?!type)[^;]*from ['"]([^'"]*src\/[^'"]*)['"]/g)) {
        // the one exception: the number formatter, shared by host, webview and CLI
        if (/(^|\/)src\/engine\/format$/.test(m[1])) continue;
        assert.fail(`${f} imports runtime code from ${m[1]}; import types only`);
      }
    }
  });

  it('no import cycles in src/ and webview/ (runtime imports and re-exports; `import type` is erased)', () => {
    const files = [...filesUnder(path.join(REPO, 'src')), ...filesUnder(path.join(REPO, 'webview'))].filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.d.ts'));
    const known = new Set(files);
    const resolve = (from: string, spec: string): string | undefined => {
      const base = path.resolve(path.dirname(from), spec);
      return [`${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts')].find((c) => known.has(c));
    };
    const graph = new Map<string, string[]>();
    for (const f of files) {
      // comments out, then every `import … from '.…'` / `export … from '.…'` / `import '.…'` that is not type-only
      const text = fs.readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
      const deps: string[] = [];
      for (const m of text.matchAll(/(?:^|\n)\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"](\.[^'"]*)['"]/g)) {
        if (m[2]) continue;
        // import { type A, type B } from …: every name type-only, erased too
        const names = /\{([^}]*)\}/.exec(m[3])?.[1];
        if (names && !/^\s*\*|[A-Za-z_$]/.test(m[3].replace(/\{[^}]*\}/, '')) && names.split(',').every((n) => !n.trim() || /^type\s/.test(n.trim()))) continue;
        const to = resolve(f, m[4]);
        if (to) deps.push(to);
      }
      for (const m of text.matchAll(/(?:^|\n)\s*import\s*['"](\.[^'"]*)['"]/g)) {
        const to = resolve(f, m[1]);
        if (to) deps.push(to);
      }
      graph.set(f, deps);
    }
    // Tarjan's strongly connected components: any component of more than one file (or a self-import) is a cycle
    let index = 0;
    const idx = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const on = new Set<string>();
    const cycles: string[][] = [];
    const visit = (v: string): void => {
      idx.set(v, index);
      low.set(v, index++);
      stack.push(v);
      on.add(v);
      for (const w of graph.get(v) ?? []) {
        if (!idx.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
      }
      if (low.get(v) === idx.get(v)) {
        const scc: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          on.delete(w);
          scc.push(w);
        } while (w !== v);
        if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(scc.map((x) => path.relative(REPO, x)).sort());
      }
    };
    for (const f of files) if (!idx.has(f)) visit(f);
    assert.ok(graph.size > 100, `read the imports of ${graph.size} files`);
    assert.deepEqual(cycles, [], `import cycles: ${cycles.map((c) => c.join(' ↔ ')).join('; ')}`);
  });

  it('src/cli and src/extension use the engine only through its public surface, src/engine/index.ts', () => {
    // Files still to move onto the index (none left); each listed one must still deep-import, so the list only shrinks.
    const pending = new Set<string>();
    const offenders: string[] = [];
    const stale: string[] = [];
    for (const f of [...filesUnder(path.join(REPO, 'src', 'cli')), ...filesUnder(path.join(REPO, 'src', 'extension'))]) {
      const rel = path.relative(REPO, f).split(path.sep).join('/');
      const text = fs.readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
      const deep = [...text.matchAll(/(?:from\s*|import\s*\(\s*|require\(\s*|import\s+)['"]([^'"]*)['"]/g)]
        .map((m) => m[1])
        .filter((spec) => spec.startsWith('.') && path.resolve(path.dirname(f), spec).startsWith(path.join(REPO, 'src', 'engine') + path.sep));
      if (pending.has(rel)) {
        if (deep.length === 0) stale.push(rel);
      } else if (deep.length > 0) offenders.push(`${rel}: ${deep.join(', ')}`);
    }
    assert.deepEqual(offenders, [], 'import from the engine index (src/engine/index.ts), exporting what is missing there');
    assert.deepEqual(stale, [], 'these files no longer deep-import the engine: take them off the pending list');
  });

  it('the number formatter the webview bundles imports nothing', () => {
    const text = fs.readFileSync(path.join(REPO, 'src', 'engine', 'format.ts'), 'utf8');
    assert.doesNotMatch(text, /^\s*import\s|require\(/m);
  });

  it('TOOL_VERSION matches package.json', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
    assert.equal(TOOL_VERSION, pkg.version);
  });
});
