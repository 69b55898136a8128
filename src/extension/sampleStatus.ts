/**
 * A sample's interactions where its files are opened: a status bar item when the active tab is the
 * path_1 / path_2 file of a sample of an estimated run, and a hover on sample ids in CSV, TSV and
 * JSONL files (captions, metadata keyed by sample_id). Both look the sample up in the workspace's
 * results files through the shared results store (each file read once, indexed on first use).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { type ResultsData, RESULTS_SUFFIX, formatNats } from '../engine';
import { log } from './output';
import { loadResults, rowOfSampleFile, rowOfSampleId, cachedResults } from './resultsStore';
import { isRunFile } from './runFiles';
import { escapeMd } from './runsTree';

const MAX_RESULTS_FILES = 50;
const LIST_MAX_AGE_MS = 5_000;
export const REVEAL_SAMPLE_COMMAND = 'lsmi.revealSample';

/** The workspace's results files (at most 50), kept up to date by a file watcher. */
export class ResultsFiles implements vscode.Disposable {
  private files?: Promise<string[]>;
  private listedAt = 0;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor() {
    const watcher = vscode.workspace.createFileSystemWatcher(`**/*${RESULTS_SUFFIX}`);
    const reset = () => {
      this.files = undefined;
      this.changed.fire();
    };
    this.disposables.push(
      this.changed,
      watcher,
      watcher.onDidCreate(reset),
      watcher.onDidDelete(reset),
      watcher.onDidChange(() => this.changed.fire()),
      vscode.workspace.onDidChangeWorkspaceFolders(reset),
    );
  }

  list(): Promise<string[]> {
    // the watcher keeps the list current; the age limit covers files it did not report
    if (Date.now() - this.listedAt > LIST_MAX_AGE_MS) this.files = undefined;
    if (!this.files) this.listedAt = Date.now();
    this.files ??= Promise.resolve(vscode.workspace.findFiles(`**/*${RESULTS_SUFFIX}`, '**/node_modules/**', MAX_RESULTS_FILES)).then(
      (uris) => uris.filter((u) => u.scheme === 'file').map((u) => u.fsPath).sort((a, b) => a.localeCompare(b)),
      () => [],
    );
    return this.files;
  }

  /** Forgets the list (tests, or a results file written where the watcher does not see it). */
  reset(): void {
    this.files = undefined;
  }

  /**
   * The results files, those whose folder contains `file` first (nearest first), then the most
   * recently written first.
   */
  async forFile(file: string): Promise<string[]> {
    const all = await this.list();
    const depth = (r: string) => {
      const rel = path.relative(path.dirname(r), file);
      return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).length : Infinity;
    };
    const mtime = (r: string) => {
      try {
        return fs.statSync(r).mtimeMs;
      } catch {
        return 0;
      }
    };
    // only results whose folder holds the file (sample files usually live under their run's folder)
    // or that are already in memory: an unrelated file must not make the host read every results file
    return all
      .map((r) => ({ r, d: depth(r) }))
      .filter((x) => x.d !== Infinity || cachedResults(x.r) !== undefined)
      .map((x) => ({ ...x, t: mtime(x.r) }))
      .sort((a, b) => a.d - b.d || b.t - a.t)
      .map((x) => x.r);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

const f4 = formatNats;

export interface SampleHit {
  resultsFile: string;
  row: number;
  data: ResultsData;
}

function className(data: ResultsData, row: number): string {
  const label = data.labels[row];
  return data.meta.run.classNames[label] ?? String(label);
}

function runName(hit: SampleHit): string {
  return hit.data.meta.run.name || path.basename(hit.resultsFile, RESULTS_SUFFIX);
}

/** The markdown table of one sample's values (r, u1, u2, s, i1, i2, i12). */
function valuesTable(data: ResultsData, row: number): string {
  const c = data.columns;
  return (
    '| r | u1 | u2 | s | i1 | i2 | i12 |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n' +
    `| ${f4(c.r[row])} | ${f4(c.u1[row])} | ${f4(c.u2[row])} | ${f4(c.s[row])} | ${f4(c.i1[row])} | ${f4(c.i2[row])} | ${f4(c.i12[row])} |\n`
  );
}

function revealLink(hit: SampleHit): string {
  const args = encodeURIComponent(JSON.stringify([hit.resultsFile, hit.row]));
  // no run-supplied text inside the link: an id with '"' or ')' could otherwise end its title early
  return `[Reveal in LSMI results](command:${REVEAL_SAMPLE_COMMAND}?${args} "Show this sample in the results panel")`;
}

/** What the status bar shows (tests). */
export interface SampleStatusInfo {
  text: string;
  tooltip: string;
  accessibilityLabel: string;
  resultsFile: string;
  row: number;
  which: 1 | 2;
  file: string;
}

/** The status bar item for the active tab's sample file. */
export class SampleStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];
  private seq = 0;
  private timer?: NodeJS.Timeout;
  private info?: SampleStatusInfo;
  private pending: Promise<void> = Promise.resolve();

  constructor(private readonly results: ResultsFiles) {
    this.item = vscode.window.createStatusBarItem('lsmi.sampleStatus', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'LSMI Sample Interactions';
    this.disposables.push(
      this.item,
      vscode.window.tabGroups.onDidChangeTabs(() => this.schedule()),
      vscode.window.tabGroups.onDidChangeTabGroups(() => this.schedule()),
      vscode.window.onDidChangeActiveTextEditor(() => this.schedule()),
      results.onDidChange(() => this.schedule()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.schedule()),
    );
    this.schedule();
  }

  /** What it shows now, or undefined when it is hidden. */
  current(): SampleStatusInfo | undefined {
    return this.info;
  }

  /** Waits for the update in progress (tests). */
  settled(): Promise<void> {
    return this.pending;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.pending = this.update();
    }, 50);
  }

  private activeFile(): string | undefined {
    const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    const uri = input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom ? input.uri : undefined;
    return uri?.scheme === 'file' ? uri.fsPath : undefined;
  }

  async update(): Promise<void> {
    const seq = ++this.seq;
    const file = this.activeFile();
    let hit: (SampleHit & { which: 1 | 2 }) | undefined;
    // Workspace Trust: results files in an untrusted folder are not read behind the user's back
    // (opening a panel still reads them, in a worker: src/engine/io/isolated.ts)
    if (file && vscode.workspace.isTrusted && !isRunFile(file) && !file.endsWith(RESULTS_SUFFIX)) {
      for (const r of await this.results.forFile(file)) {
        if (seq !== this.seq) return;
        try {
          const found = await rowOfSampleFile(r, file);
          if (found) {
            hit = { resultsFile: r, row: found.row, which: found.which, data: await loadResults(r) };
            break;
          }
        } catch (e) {
          log().warn(`status bar: could not read ${r}: ${(e as Error).message}`);
        }
      }
    }
    if (seq !== this.seq) return;
    if (!hit || !file) {
      this.info = undefined;
      this.item.hide();
      return;
    }
    const { data, row, which } = hit;
    const c = data.columns;
    const id = data.sampleIds[row];
    const text = `$(beaker) LSMI r ${formatNats(c.r[row])} · u1 ${formatNats(c.u1[row])} · u2 ${formatNats(c.u2[row])} · s ${formatNats(c.s[row])}`;
    const modality = data.meta.run.modalityNames[which - 1];
    const md = new vscode.MarkdownString('', true);
    md.isTrusted = { enabledCommands: [REVEAL_SAMPLE_COMMAND] };
    md.appendMarkdown(`**Sample ${escapeMd(id)}** — class ${escapeMd(className(data, row))}\n\n`);
    md.appendMarkdown(`Run **${escapeMd(runName(hit))}**; this file is its path\\_${which} (modality ${which}: ${escapeMd(modality ?? '')})\n\n`);
    md.appendMarkdown(valuesTable(data, row));
    md.appendMarkdown(`\nnats; r, u1, u2, s adjusted. ${revealLink(hit)}`);
    this.item.text = text;
    this.item.tooltip = md;
    this.item.command = { command: REVEAL_SAMPLE_COMMAND, title: 'Reveal in LSMI results', arguments: [hit.resultsFile, row] };
    const accessibilityLabel =
      `LSMI interactions of sample ${id} in run ${runName(hit)}: redundancy ${formatNats(c.r[row])}, unique to modality 1 ${formatNats(c.u1[row])}, ` +
      `unique to modality 2 ${formatNats(c.u2[row])}, synergy ${formatNats(c.s[row])}. Click to reveal it in the results.`;
    this.item.accessibilityInformation = { label: accessibilityLabel, role: 'button' };
    this.item.show();
    this.info = { text, tooltip: md.value, accessibilityLabel, resultsFile: hit.resultsFile, row, which, file };
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.seq++;
    for (const d of this.disposables) d.dispose();
  }
}

/** Ids: letters, digits and - _ . / : (e.g. fmnist-test-00042, coco/val:123.jpg). */
const ID_PATTERN = /[\p{L}\p{N}_\-./:]+/u;
const MAX_HOVER_RUNS = 5;

export const HOVER_SELECTOR: vscode.DocumentSelector = [
  { scheme: 'file', pattern: '**/*.{csv,tsv,jsonl}' },
  { language: 'csv' },
  { language: 'tsv' },
  { language: 'jsonl' },
];

/** The hover on sample ids in CSV / TSV / JSONL files. */
export class SampleIdHoverProvider implements vscode.HoverProvider {
  constructor(private readonly results: ResultsFiles) {}

  async provideHover(document: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    if (!vscode.workspace.isTrusted) return undefined; // see SampleStatusBar.update
    const range = document.getWordRangeAtPosition(position, ID_PATTERN);
    if (!range) return undefined;
    const word = document.getText(range);
    // a sentence's full stop or a key's colon around the id are not part of it
    const candidates = [...new Set([word, word.replace(/^[.:/]+|[.:/]+$/g, '')])].filter((w) => w.length > 0);
    const hits: SampleHit[] = [];
    const files = document.uri.scheme === 'file' ? await this.results.forFile(document.uri.fsPath) : await this.results.list();
    for (const r of files) {
      if (token.isCancellationRequested || hits.length >= MAX_HOVER_RUNS) break;
      try {
        for (const id of candidates) {
          const row = await rowOfSampleId(r, id);
          if (row !== undefined) {
            hits.push({ resultsFile: r, row, data: await loadResults(r) });
            break;
          }
        }
      } catch (e) {
        log().warn(`hover: could not read ${r}: ${(e as Error).message}`);
      }
    }
    if (hits.length === 0 || token.isCancellationRequested) return undefined;
    const md = new vscode.MarkdownString('', true);
    md.isTrusted = { enabledCommands: [REVEAL_SAMPLE_COMMAND] };
    hits.forEach((hit, i) => {
      const { data, row } = hit;
      if (i > 0) md.appendMarkdown('\n\n---\n\n');
      md.appendMarkdown(`**LSMI ${escapeMd(data.sampleIds[row])}** — class ${escapeMd(className(data, row))}, run **${escapeMd(runName(hit))}**\n\n`);
      md.appendMarkdown(valuesTable(data, row));
      md.appendMarkdown(`\n${revealLink(hit)}`);
    });
    return new vscode.Hover(md, range);
  }
}

/** What the tests see of the status bar. */
export interface SampleStatusApi {
  current(): SampleStatusInfo | undefined;
  settled(): Promise<void>;
}

export function registerSampleStatus(context: vscode.ExtensionContext): SampleStatusApi {
  const results = new ResultsFiles();
  const bar = new SampleStatusBar(results);
  context.subscriptions.push(results, bar, vscode.languages.registerHoverProvider(HOVER_SELECTOR, new SampleIdHoverProvider(results)));
  return { current: () => bar.current(), settled: () => bar.settled() };
}
