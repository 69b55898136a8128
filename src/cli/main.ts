/**
 * `lsmi`: the command line on the same engine as the extension.
 * Exit codes: 0 success, 1 a problem with the input (message on stderr), 2 a usage error, 3 a bug.
 */
import { isInputError } from '../engine/errors';
import { readRun } from '../engine/io';
import { summarizeRun } from '../engine/summary';
import { TOOL_VERSION } from '../engine/version';
import { UsageError, parseArgs, parseColumnMapping } from './args';
import { formatSummary } from './format';

const USAGE = `lsmi ${TOOL_VERSION}: per-sample multimodal interactions (LSMI)

Usage:
  lsmi inspect <run.arrow|run.feather|run.npz> [--json] [--columns STD=NAME,...]
  lsmi --version | --help

Commands:
  inspect    validate a run file and summarise it (samples, classes, embeddings, heads, splits)

Options:
  --json     print one JSON object instead of a table
  --columns  map standard column names to yours, e.g. --columns emb_1=image_emb,label=y
`;

export interface Output {
  write(text: string): unknown;
}

export async function main(argv: string[], out: Output = process.stdout, err: Output = process.stderr): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      out.write(USAGE);
      return command === undefined ? 2 : 0;
    }
    if (command === '--version') {
      out.write(`${TOOL_VERSION}\n`);
      return 0;
    }
    if (command === 'inspect') {
      const args = parseArgs(rest, { boolean: ['json'], value: ['columns'] });
      if (args.positional.length !== 1) throw new UsageError('inspect takes exactly one run file');
      const columnsFlag = args.flags.get('columns');
      const columns = typeof columnsFlag === 'string' ? parseColumnMapping(columnsFlag) : undefined;
      const run = await readRun(args.positional[0], { columns });
      const summary = summarizeRun(run);
      out.write(args.flags.has('json') ? JSON.stringify(summary, null, 2) + '\n' : formatSummary(summary) + '\n');
      return 0;
    }
    throw new UsageError(`unknown command '${command}'`);
  } catch (e) {
    if (e instanceof UsageError) {
      err.write(`lsmi: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    if (isInputError(e)) {
      err.write(`lsmi: error [${e.code}] ${e.message}\n`);
      return 1;
    }
    err.write(`lsmi: internal error: ${(e as Error).stack ?? e}\nPlease report this.\n`);
    return 3;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
