/** Runs the `lsmi` CLI in-process, capturing what it writes (shared by the CLI tests). */
import { Writable } from 'node:stream';
import { main } from '../../src/cli/main';

function sink(): Writable & { text: string } {
  const w = new Writable({
    write(chunk, _enc, cb) {
      w.text += chunk.toString();
      cb();
    },
  }) as Writable & { text: string };
  w.text = '';
  return w;
}

export async function runCli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = sink();
  const err = sink();
  const code = await main(argv, out, err);
  return { code, out: out.text, err: err.text };
}
