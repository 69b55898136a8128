/**
 * Real files for the reader tests, written by real pyarrow and numpy (test/fixtures/make_fixtures.py).
 * Generated once per content of the script into a shared folder; safe when test files run in parallel.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '..', '..', '..');
const SCRIPT = path.join(REPO, 'test', 'fixtures', 'make_fixtures.py');

let dir: string | undefined;

export function fixturesDir(): string {
  if (dir) return dir;
  const exporter = path.join(REPO, 'python', 'lsmi_export');
  const hash = createHash('sha256').update(fs.readFileSync(SCRIPT));
  if (fs.existsSync(exporter)) for (const f of fs.readdirSync(exporter).sort()) if (f.endsWith('.py')) hash.update(fs.readFileSync(path.join(exporter, f)));
  const target = path.join(os.tmpdir(), `lsmi-fixtures-${hash.digest('hex').slice(0, 12)}`);
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
  return dir;
}

export function fixture(name: string): string {
  return path.join(fixturesDir(), name);
}

export interface Expected {
  ids: string[];
  labels: number[];
  matrices: Record<string, Float32Array>;
  strings: Record<string, (string | null)[]>;
}

export function expected(name: string): Expected {
  const d = fixture(`${name}.expected`);
  const matrices: Record<string, Float32Array> = {};
  for (const f of fs.readdirSync(d)) {
    if (!f.endsWith('.f32')) continue;
    const b = fs.readFileSync(path.join(d, f));
    matrices[f.slice(0, -4)] = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  }
  return {
    ids: JSON.parse(fs.readFileSync(path.join(d, 'ids.json'), 'utf8')),
    labels: JSON.parse(fs.readFileSync(path.join(d, 'labels.json'), 'utf8')),
    matrices,
    strings: JSON.parse(fs.readFileSync(path.join(d, 'strings.json'), 'utf8')),
  };
}
