/**
 * Writes a results file and saved slices of it with the engine's own code, for the Python round
 * trip (python/tests/test_slices.py bundles this file with esbuild and runs it with node).
 * Usage: node <bundle> <spec.json>, spec = { dir, run: SmallRun, slices: [{ name, query }] };
 * prints { results, slices: [{ definition, table, n }] } as JSON.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readResults, writeResults } from '../../src/engine/io/results';
import { writeSlice } from '../../src/engine/slices';
import type { RowsQueryInput } from '../../src/engine/rowsQuery';
import { type SmallRun, smallResults } from './results-fixtures';

async function main(): Promise<void> {
  const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8')) as { dir: string; run: SmallRun; slices: { name: string; query: Partial<RowsQueryInput> }[] };
  const results = path.join(spec.dir, `${spec.run.name ?? 'run'}.lsmi.arrow`);
  await writeResults(results, smallResults(spec.run));
  const data = await readResults(results);
  const slices = [];
  for (const s of spec.slices) {
    const w = await writeSlice(results, data, s.name, s.query);
    slices.push({ definition: w.definition, table: w.table, n: w.slice.n });
  }
  process.stdout.write(JSON.stringify({ results, slices }));
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
