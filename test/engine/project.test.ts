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

  it('the number formatter the webview bundles imports nothing', () => {
    const text = fs.readFileSync(path.join(REPO, 'src', 'engine', 'format.ts'), 'utf8');
    assert.doesNotMatch(text, /^\s*import\s|require\(/m);
  });

  it('TOOL_VERSION matches package.json', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
    assert.equal(TOOL_VERSION, pkg.version);
  });
});
