/**
 * The engine's public surface: what the CLI (src/cli) and the VS Code host (src/extension) use of the
 * engine, and only from here (test/engine/project.test.ts checks it). Pure TypeScript: never imports
 * vscode. Nothing here loads tfjs: the estimator runs in the worker threads and the GPU process
 * (src/engine/compute: worker.ts, stage-worker.ts, gpu-worker.ts, entry points inside the engine)
 * and is reached from outside through `WorkerPool`; its types are exported as types only.
 *
 * Inside the engine, modules import each other by path, never through this file (no import cycles).
 * The webview bundles only the formatter (src/engine/format.ts) and types, by path.
 */
export * from './errors';
export { TOOL_VERSION } from './version';

// run files: reading, validation, the in-memory run
export * from './io';
export { readRunIsolated, readResultsIsolated } from './io/isolated';
export { removeInflightTemporaries } from './io/atomic';
export * from './summary';

// results files, their report and staleness
export * from './io/results';
export * from './report';
export * from './staleness';

// estimation: settings and their validation, the worker pool; the pipeline's types
export * from './estimate/settings';
export type { ProgressEvent } from './estimate/lsmi';
export * from './compute/backend-request';
export { WorkerPool, defaultPoolSize } from './compute/pool';

// samples tables: the query, histograms, intervals and rankings, the formatter
export * from './rowsQuery';
export * from './select';
export * from './json';
export * from './histogram';
export * from './uncertainty';
export * from './format';

// comparing runs, exports, saved slices
export * from './compare';
export * from './export';
export * from './slices';

// the seeds' other systems (docs/pid.md), off the host's thread through runPidJob
export * from './pid';
export { runPidJob } from './pid/isolated';
