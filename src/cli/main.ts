/**
 * `lsmi`: the command line on the same engine as the extension.
 * Exit codes: 0 success, 1 a problem with the input or the output folder (message on stderr), 2 a
 * usage error, 3 a bug, 128 + the signal's number when interrupted (SIGHUP 129, SIGINT 130, SIGTERM 143).
 */
import * as fs from 'node:fs';
import { BACKEND_REQUESTS, WorkerPool, isInputError, type ProgressEvent, type SettingsInput, resolveSettings, readRun, removeInflightTemporaries, isResultsFile, readResults, resultsPathFor, resultsReport, summarizeRun, TOOL_VERSION } from '../engine';
import { UsageError, parseArgs, parseColumnMapping } from './args';
import { COMPARE_HELP, COMPARE_USAGE, compareCommand } from './compare';
import { EXPORT_HELP, EXPORT_USAGE, exportCommand } from './export';
import { SLICE_HELP, SLICE_USAGE, sliceCommand } from './slice';
import { type ClassTableOptions, formatReport, formatSummary } from './format';
import { PID_HELP, PID_USAGE, boundsCommand, ensembleCommand, pidCommand } from './pid';

const USAGE = `lsmi ${TOOL_VERSION}: per-sample multimodal interactions (LSMI)

Usage:
  lsmi estimate <run> [--out FILE] [--probe auto|lda|logistic|mlp] [--calibrate temperature|bias|vector|none]
                      [--mode em|knife] [--covariance auto|diag|full|tied] [--components auto|K]
                      [--prior empirical|uniform] [--folds N] [--seed S]
                      [--backend auto|webgpu|tensorflow-gpu|wasm|cpu] [--threads auto|1|2]
                      [--bootstrap R] [--replicates R] [--top K] [--force] [--json] [--columns STD=NAME,...]
                      [--class-sort R|U1|U2|S] [--class-rank mean|lower] [--min-n N] [--normalised]
  lsmi inspect <run-or-results> [--json] [--top K] [--columns STD=NAME,...]
                      [--class-sort R|U1|U2|S] [--class-rank mean|lower] [--min-n N] [--normalised]
${COMPARE_USAGE}
${EXPORT_USAGE}
${PID_USAGE}
${SLICE_USAGE}
  lsmi --version | --help

Commands:
  estimate   estimate per-sample interactions (r, u1, u2, s) and write <run>.lsmi.arrow beside the run
             (reused when the run's content, the settings and the tool version are unchanged)
  inspect    summarise a run file (samples, classes, embeddings, heads) or a results file (.lsmi.arrow)
${COMPARE_HELP}
${EXPORT_HELP}
${PID_HELP}
${SLICE_HELP}

Options:
  --out          results file (default: <run>.lsmi.arrow)
  --probe        probe for heads without logits: auto (default: per head, the family with the lowest
                 held-out log-loss, chosen inside the cross-fit), lda, logistic or mlp
  --calibrate    calibration of every head, fitted out of fold: temperature (default), bias (temperature
                 and per-class biases, for a shifted label prior), vector, or none
  --mode         density model: em (default; Gaussian mixture fitted by EM) or knife (official KNIFE fit)
  --covariance   auto (default: by held-out log-likelihood), diag, full or tied
  --components   mixture components K, or auto (default: by held-out log-likelihood)
  --prior        label prior: empirical (default; label frequencies, or the run's metadata) or uniform (official)
  --folds        cross-fitting folds of the probes and of the calibration (default 5)
  --seed         random seed (default 0)
  --backend      compute backend: auto (default: a GPU backend when one is installed and usable, else
                 wasm, then cpu), webgpu, tensorflow-gpu (CUDA 11.2), wasm or cpu. GPU backends run in a
                 separate process; if they fail, the run falls back to wasm and says why.
                 LSMI_BACKEND_PATH: a folder with webgpu / @tensorflow/tfjs-node-gpu installed
  --threads      threads for the estimate's stages (heads, densities): auto (default: 1), 1, or 2 (wasm
                 backend; the second thread copies the data it reads, up to 128 MiB; on the 2-core
                 reference machine slower on small runs, ~20 % faster on larger ones: BENCHMARKS.md);
                 the results are the same either way
  --bootstrap    bootstrap replicates for the dataset atoms' 95 % intervals (default 1000; 0: none)
  --replicates   per-sample stability (opt-in): estimate R more times with forked seeds (new folds,
                 calibration halves and density fits) and store each sample's standard deviation of r,
                 u1, u2, s (columns r_sd ... s_sd); costs about (1 + R) × one estimate (default 0: off)
  --class-sort   rank the per-class table by R, U1, U2 or S (default: every class, in class order)
  --class-rank   mean (default) or lower: by the interval's lower bound (conservative: a small class
                 with a wide interval ranks below a large one with the same mean)
  --min-n        leave classes with fewer samples out of the ranking (default 30; the count is shown)
  --normalised   rank each class's value divided by its surprisal −log p(y): the share of the label's
                 information, comparable across classes of different frequency
  --top          samples listed per component (default 5; --json: 10)
  --force        estimate again even if a matching results file exists
  --json         print one JSON object instead of tables
  --columns      map standard column names to yours, e.g. --columns emb_1=image_emb,label=y

Compare and export options:
  --baseline     the run the others are compared with: its run name, label, file or 0-based position (default: the first)
  --top          (compare) classes and samples listed (default 5; --json: 10); (export) keep the first K rows
  --out          (export) the file to write (a folder with --partition)
  --format       (export) csv or arrow (default: from the --out extension, else csv)
  --csv-raw      (export) write text cells as they are; by default a cell starting with = + - @, a tab
                 or a carriage return gets a leading ' so that spreadsheets do not run it as a formula
  --class, --split, --search   (export) keep these classes (names or indices, comma-separated), this split,
                 sample ids containing this text
  --sort, --order  (export) sort by a column (or, for several runs, by Δ of r, u1, u2 or s in --run), desc|asc|abs
  --run          (export) the run for --sort / --partition among several results files
  --partition, --quantiles  (export) split the samples at these quantiles of a component: low/mid/high id lists
  --delta        (export --partition) partition by Δ = run − baseline instead of the run's values
  --weights      (export) per-sample interaction weights for training code

PID, bounds and ensemble options (docs/pid.md):
  --clusters     k-means clusters per modality (default 20)     --pca     principal components (default 5)
  --inits        k-means++ starts (default 10)                  --scale   l2 (default), standardise or none
  --shuffles     label permutations of the null (pid: 20; bounds: 0)
  --tol          BROJA duality gap to stop at (default 1e-6)    --seed    seed (default 0)
  --folds        (ensemble) stratified folds (default 5)        --bootstrap  (ensemble) replicates (default 2000)

Rows and sample ids are 0-based. Errors go to stderr; exit codes: 1 bad input (or an output that cannot be
written, or is locked by another estimate), 2 bad usage, 3 a bug; interrupted: 130 SIGINT (Ctrl-C), 143
SIGTERM, 129 SIGHUP or npx gone (an estimate is cancelled and writes nothing).
`;

export interface Output {
  write(text: string): unknown;
}

export interface MainOptions {
  /** Cancels a running estimate (the command line's signals, see {@link runCli}). */
  signal?: AbortSignal;
}

/** The signals that interrupt the command line, and its exit code for each (128 + the signal's number). */
export const SIGNAL_EXIT_CODES = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const;
type CliSignal = keyof typeof SIGNAL_EXIT_CODES;

/** The reason an estimate was cancelled by a signal. */
class Interrupted extends Error {
  override readonly name = 'AbortError';
  constructor(readonly signal: CliSignal) {
    super(`interrupted by ${signal}`);
  }
}

/**
 * The command line as a process (bin/lsmi.js): `main` with SIGINT, SIGTERM and SIGHUP handled. An
 * estimate is cancelled (its worker stops, its temporary file and lock are removed, nothing is
 * written) and exits with 128 + the signal's number; another command, or a second signal, stops at
 * once after removing this thread's temporary files. (Under npx, bin/lsmi.js turns npm's signals,
 * which do not reach this process, into these.)
 */
export async function runCli(argv: string[] = process.argv.slice(2)): Promise<number> {
  const controller = new AbortController();
  const graceful = argv[0] === 'estimate';
  let first: CliSignal | undefined;
  const onSignal = (s: NodeJS.Signals) => {
    const signal = s as CliSignal;
    if (!graceful || first) {
      removeInflightTemporaries();
      try {
        process.stderr.write(`\nlsmi: interrupted (${signal})\n`);
      } catch {
        // stderr is gone
      }
      process.exit(SIGNAL_EXIT_CODES[first ?? signal]);
    }
    first = signal;
    controller.abort(new Interrupted(signal));
  };
  const signals = Object.keys(SIGNAL_EXIT_CODES) as CliSignal[];
  for (const s of signals) process.on(s, onSignal);
  try {
    return await main(argv, process.stdout, process.stderr, { signal: controller.signal });
  } finally {
    for (const s of signals) process.removeListener(s, onSignal);
  }
}

export async function main(argv: string[], out: Output = process.stdout, err: Output = process.stderr, opts: MainOptions = {}): Promise<number> {
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
      const args = parseArgs(rest, { boolean: ['json', 'normalised'], value: ['columns', 'top', ...CLASS_FLAGS] });
      if (args.positional.length !== 1) throw new UsageError('inspect takes exactly one run or results file');
      const json = args.flags.has('json');
      const file = args.positional[0];
      if (isResultsFile(file)) {
        const report = resultsReport(await readResults(file), file, { top: intFlag(args.flags.get('top'), 'top') ?? (json ? 10 : 5) });
        out.write(json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report, { classes: classOptions(args.flags) }) + '\n');
        return 0;
      }
      const columnsFlag = args.flags.get('columns');
      const columns = typeof columnsFlag === 'string' ? parseColumnMapping(columnsFlag) : undefined;
      const run = await readRun(file, { columns });
      const summary = summarizeRun(run);
      out.write(json ? JSON.stringify(summary, null, 2) + '\n' : formatSummary(summary) + '\n');
      return 0;
    }
    if (command === 'estimate') return await estimate(rest, out, err, opts.signal);
    if (command === 'compare') return await compareCommand(rest, out);
    if (command === 'export') return await exportCommand(rest, out);
    if (command === 'pid') return await pidCommand(rest, out);
    if (command === 'bounds') return await boundsCommand(rest, out);
    if (command === 'ensemble') return await ensembleCommand(rest, out);
    if (command === 'slice') return await sliceCommand(rest, out);
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

const CLASS_FLAGS = ['class-sort', 'class-rank', 'min-n'];

/** The per-class table's ranking from --class-sort, --class-rank, --min-n and --normalised. */
function classOptions(flags: Map<string, string | true>): ClassTableOptions {
  const sort = choice(flags.get('class-sort'), 'class-sort', ['R', 'U1', 'U2', 'S'] as const);
  const by = choice(flags.get('class-rank'), 'class-rank', ['mean', 'lower'] as const);
  const minN = intFlag(flags.get('min-n'), 'min-n');
  const normalised = flags.has('normalised');
  if (!sort && (by || minN !== undefined || normalised)) throw new UsageError('--class-rank, --min-n and --normalised rank the per-class table: give --class-sort R|U1|U2|S too');
  return { sort, by, minN, normalised };
}

function intFlag(v: string | true | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v === true || !Number.isInteger(n) || n < 0) throw new UsageError(`--${name} needs a non-negative integer, got '${v}'`);
  return n;
}

function choice<T extends string>(v: string | true | undefined, name: string, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (v === true || !allowed.includes(v as T)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got '${v}'`);
  return v as T;
}

async function estimate(argv: string[], out: Output, err: Output, signal?: AbortSignal): Promise<number> {
  const args = parseArgs(argv, {
    boolean: ['json', 'force', 'normalised'],
    value: [...CLASS_FLAGS, 'bootstrap', 'replicates', 'out', 'probe', 'calibrate', 'mode', 'covariance', 'components', 'prior', 'folds', 'seed', 'backend', 'threads', 'top', 'columns'],
  });
  if (args.positional.length !== 1) throw new UsageError('estimate takes exactly one run file');
  const f = args.flags;
  const text = (name: string) => {
    const v = f.get(name);
    if (v === true) throw new UsageError(`--${name} needs a value`);
    return v;
  };
  const number = (name: string) => {
    const v = text(name);
    return v === undefined ? undefined : v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : (v as unknown as number);
  };
  const components = text('components');
  const settings = {
    probe: text('probe'),
    calibrate: text('calibrate'),
    mode: text('mode'),
    covariance: text('covariance'),
    components: components === undefined || components === 'auto' ? components : number('components'),
    prior: text('prior'),
    folds: number('folds'),
    seed: number('seed'),
    bootstrap: f.has('bootstrap') ? { replicates: number('bootstrap') } : undefined,
    replicates: number('replicates'),
  } as SettingsInput;
  // one validation for every caller (src/engine/estimate/settings.ts); here a bad value is a usage error
  try {
    resolveSettings(settings);
  } catch (e) {
    if (isInputError(e) && e.code === 'BAD_SETTINGS') throw new UsageError(`--${e.setting === 'bootstrap.replicates' ? 'bootstrap' : (e.setting ?? '')}: ${e.message}`);
    throw e;
  }
  const backend = choice(f.get('backend'), 'backend', BACKEND_REQUESTS);
  const threadsFlag = choice(f.get('threads'), 'threads', ['auto', '1', '2'] as const);
  const threads = threadsFlag === undefined || threadsFlag === 'auto' ? threadsFlag : (Number(threadsFlag) as 1 | 2);
  const columnsFlag = f.get('columns');
  const json = f.has('json');
  const file = args.positional[0];
  const outFile = f.get('out');
  if (outFile === true) throw new UsageError('--out needs a file name');

  const target = outFile ?? resultsPathFor(file);
  const before = fileIdentity(target);
  const bar = progressBar(err);
  const pool = new WorkerPool({ size: 1 });
  try {
    const result = await pool.estimateFile(
      file,
      { out: outFile, settings, backend, threads, reuse: !f.has('force'), columns: typeof columnsFlag === 'string' ? parseColumnMapping(columnsFlag) : undefined },
      { signal, onProgress: bar.update, onFallback: (reason) => {
        // auto on a machine without a usable GPU is the normal case (the backend line says why);
        // a requested GPU backend that fails, or a GPU process that crashed, is worth a warning
        if (!/^auto: no usable GPU/.test(reason)) (bar.done(), err.write(`lsmi: GPU backend not used: ${reason}; computing on wasm\n`));
      } },
    );
    bar.done();
    const report = resultsReport(result.results, result.out, { top: intFlag(f.get('top'), 'top') ?? (json ? 10 : 5), reused: result.reused });
    out.write(json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report, { classes: classOptions(f) }) + '\n');
    return 0;
  } catch (e) {
    bar.done();
    if ((e as Error).name === 'AbortError') {
      const by = signal?.reason instanceof Interrupted ? signal.reason.signal : undefined;
      // the cancel can come just after the results were renamed into place
      const written = fileIdentity(target) !== before;
      err.write(`lsmi: cancelled${by && by !== 'SIGINT' ? ` (${by})` : ''}; ${written ? `${target} had just been written (it is complete)` : 'nothing was written'}\n`);
      return by ? SIGNAL_EXIT_CODES[by] : 130;
    }
    throw e;
  } finally {
    await pool.dispose();
  }
}

/** Which file is at a path (device, inode, size, mtime), or undefined when there is none. */
function fileIdentity(file: string): string | undefined {
  try {
    const s = fs.statSync(file, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}`;
  } catch {
    return undefined;
  }
}

/** A one-line progress bar on a terminal's stderr; silent when stderr is not a TTY. */
function progressBar(err: Output): { update: (e: ProgressEvent) => void; done: () => void } {
  const tty = err === process.stderr && process.stderr.isTTY;
  if (!tty) return { update: () => undefined, done: () => undefined };
  let last = '';
  return {
    update: (e) => {
      const width = 30;
      const filled = Math.round(e.fraction * width);
      const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(e.fraction * 100).toFixed(0).padStart(3)}% ${e.message}`.slice(0, (process.stderr.columns ?? 100) - 1);
      if (line !== last) err.write(`\r\x1b[K${line}`);
      last = line;
    },
    done: () => {
      if (last) err.write('\r\x1b[K');
      last = '';
    },
  };
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
