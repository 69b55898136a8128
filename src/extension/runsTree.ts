/**
 * The "LSMI Runs" view in the Explorer: the workspace's run files, grouped by folder, each with its
 * state: estimated, stale (the run's content changed after its results, or the results come from
 * another tool version) or not yet estimated. Tooltips read the results lazily.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { resultsPathFor, type SliceDefinition, describeSliceQuery, listSlices, StalenessCache, runStaleness, TOOL_VERSION, formatCount, formatNats } from '../engine';
import { log } from './output';
import { loadResults } from './resultsStore';
import { isRunFile } from './runFiles';

export const RUNS_VIEW_ID = 'lsmi.runs';
export const RUN_GLOB = '**/*.{arrow,feather,npz}';
const EXCLUDE_GLOB = '**/node_modules/**';
const MAX_RUNS = 2000;

export type RunState = 'estimated' | 'stale' | 'notYet';

const STATE_TEXT: Record<RunState, string> = { estimated: 'estimated', stale: 'stale', notYet: 'not yet estimated' };

/** A run file in the tree. Commands get these as (item, selectedItems[]): resourceUri is the run file. */
export class RunTreeItem extends vscode.TreeItem {
  declare resourceUri: vscode.Uri;
  /** Where the results are (or would be written): `<run>.lsmi.arrow`. */
  readonly resultsFile: string;
  /** Why a run is stale, when it is. */
  staleReason?: string;

  constructor(
    readonly file: string,
    readonly state: RunState,
    relDir: string | undefined,
    staleReason?: string,
  ) {
    super(vscode.Uri.file(file), vscode.TreeItemCollapsibleState.None);
    this.label = path.basename(file);
    this.resultsFile = resultsPathFor(file);
    this.staleReason = staleReason;
    this.id = `run:${file}`;
    this.contextValue = `lsmi.run.${state}`;
    this.description = relDir ? `${STATE_TEXT[state]} · ${relDir}` : STATE_TEXT[state];
    this.iconPath =
      state === 'estimated'
        ? new vscode.ThemeIcon('beaker', new vscode.ThemeColor('charts.green'))
        : state === 'stale'
          ? new vscode.ThemeIcon('history', new vscode.ThemeColor('list.warningForeground'))
          : new vscode.ThemeIcon('circle-large-outline');
    this.command =
      state === 'notYet'
        ? { command: 'lsmi.inspectRun', title: 'Inspect Run File', arguments: [this.resourceUri] }
        : { command: 'lsmi.openResults', title: 'Open Results', arguments: [this.resourceUri] };
    this.accessibilityInformation = { label: `${path.basename(file)}, ${STATE_TEXT[state]}${relDir ? `, in ${relDir}` : ''}` };
  }
}

/** A folder of run files (shown when the runs are in more than one folder). */
export class RunFolderItem extends vscode.TreeItem {
  constructor(
    readonly dir: string,
    readonly runs: RunTreeItem[],
  ) {
    super(vscode.Uri.file(dir), vscode.TreeItemCollapsibleState.Expanded);
    this.label = vscode.workspace.asRelativePath(dir, (vscode.workspace.workspaceFolders?.length ?? 0) > 1) || path.basename(dir);
    if (this.label === dir) this.label = path.basename(dir) || dir;
    this.id = `folder:${dir}`;
    this.contextValue = 'lsmi.runFolder';
    this.iconPath = vscode.ThemeIcon.Folder;
    const done = runs.filter((r) => r.state === 'estimated').length;
    this.description = `${done} of ${runs.length} estimated`;
  }
}

/** A saved slice of an estimated run's results (a child of its run): click opens the results with its query. */
export class SliceTreeItem extends vscode.TreeItem {
  declare resourceUri: vscode.Uri;

  constructor(
    readonly file: string,
    readonly slice: SliceDefinition,
  ) {
    super(slice.name, vscode.TreeItemCollapsibleState.None);
    this.resourceUri = vscode.Uri.file(file);
    this.id = `slice:${file}`;
    this.contextValue = 'lsmi.slice';
    const names = new Map((slice.manifest?.classes ?? []).map((c) => [c.label, c.name]));
    const query = describeSliceQuery(slice.query, (k) => names.get(k) ?? String(k));
    this.description = `${slice.n.toLocaleString('en-US')} samples · ${query}`;
    this.tooltip = `Slice '${slice.name}' of ${slice.run}: ${slice.n} samples (${query}), saved ${slice.createdAt}. Click to open the results with this query.`;
    this.iconPath = new vscode.ThemeIcon('filter');
    this.command = { command: 'lsmi.openSlice', title: 'Open Slice', arguments: [this.resourceUri] };
    this.accessibilityInformation = { label: `slice ${slice.name}, ${slice.n} samples` };
  }
}

export type RunsNode = RunTreeItem | RunFolderItem | SliceTreeItem;

/** The saved slices of a run's results (unreadable slice files are logged and left out). */
async function sliceItems(run: RunTreeItem): Promise<SliceTreeItem[]> {
  const out: SliceTreeItem[] = [];
  for (const s of await listSlices(run.resultsFile)) {
    if ('slice' in s) out.push(new SliceTreeItem(s.file, s.slice));
    else log().warn(`runs view: slice ${s.file}: ${s.error.message}`);
  }
  return out;
}

/** The argument of a run command given from the tree, the Explorer or code: the run file's Uri. */
export function runUriOf(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (arg instanceof RunTreeItem) return arg.resourceUri;
  const r = (arg as { resourceUri?: unknown } | undefined)?.resourceUri;
  return r instanceof vscode.Uri ? r : undefined;
}

const footerCache = new Map<string, { mtimeMs: number; size: number; info: ResultsFooter }>();

/** What the runs view needs of a results file, from its footer: the tool version and the run's content hash. */
export interface ResultsFooter {
  toolVersion?: string;
  inputHash?: string;
}

/**
 * The tool version and input hash recorded in a results file, read from the Arrow file footer only
 * (the schema's `lsmi_results` metadata lives there): a few KiB, whatever the size of the file.
 */
export function resultsFooter(file: string, st?: fs.Stats): ResultsFooter {
  try {
    st ??= fs.statSync(file);
    const hit = footerCache.get(file);
    if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.info;
    const info: ResultsFooter = {};
    const fd = fs.openSync(file, 'r');
    try {
      const tail = Buffer.alloc(10);
      if (st.size >= 16 && fs.readSync(fd, tail, 0, 10, st.size - 10) === 10 && tail.subarray(4).toString('latin1') === 'ARROW1') {
        const len = tail.readInt32LE(0);
        if (len > 0 && len <= Math.min(st.size - 16, 64 << 20)) {
          const footer = Buffer.alloc(len);
          fs.readSync(fd, footer, 0, len, st.size - 10 - len);
          const text = footer.toString('utf8');
          info.toolVersion = /"toolVersion":"([^"\\]*)"/.exec(text)?.[1];
          info.inputHash = /"inputHash":"([^"\\]*)"/.exec(text)?.[1];
        }
      }
    } finally {
      fs.closeSync(fd);
    }
    footerCache.set(file, { mtimeMs: st.mtimeMs, size: st.size, info });
    return info;
  } catch {
    return {};
  }
}

/** The tool version recorded in a results file (see {@link resultsFooter}). */
export function resultsToolVersion(file: string, st?: fs.Stats): string | undefined {
  return resultsFooter(file, st).toolVersion;
}

/** Run content hashes, one per run file state (the runs view hashes a run only when its mtime says it may have changed). */
export const stalenessCache = new StalenessCache();

/**
 * The state of one run file: stale only when its content (hash) differs from what the results were
 * computed from, or the results come from another version; the mtimes only decide whether to hash
 * (src/engine/staleness.ts).
 */
export async function runState(file: string): Promise<{ state: RunState; staleReason?: string }> {
  const out = resultsPathFor(file);
  let results: fs.Stats;
  try {
    results = fs.statSync(out);
  } catch {
    return { state: 'notYet' };
  }
  const footer = resultsFooter(out, results);
  try {
    const s = await runStaleness(file, { mtimeMs: results.mtimeMs, ...footer }, TOOL_VERSION, stalenessCache);
    return s.stale ? { state: 'stale', staleReason: s.reason } : { state: 'estimated' };
  } catch {
    // the run was deleted or cannot be read meanwhile: its results are what there is
    return footer.toolVersion && footer.toolVersion !== TOOL_VERSION
      ? { state: 'stale', staleReason: `the results were written by LSMI Explorer ${footer.toolVersion} (this is ${TOOL_VERSION})` }
      : { state: 'estimated' };
  }
}

const fmt = formatNats;

export class RunsTreeProvider implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsNode | undefined | void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private timer?: NodeJS.Timeout;
  /** How many times the tree was told to refresh (tests: the file watcher works). */
  changes = 0;

  constructor() {
    const onFile = (uri: vscode.Uri) => {
      if (!uri.fsPath.split(path.sep).includes('node_modules')) this.scheduleRefresh();
    };
    for (const glob of [RUN_GLOB, '**/*.slice.json']) {
      const watcher = vscode.workspace.createFileSystemWatcher(glob);
      this.disposables.push(watcher, watcher.onDidCreate(onFile), watcher.onDidChange(onFile), watcher.onDidDelete(onFile));
    }
    this.disposables.push(vscode.workspace.onDidChangeWorkspaceFolders(() => this.refresh()));
  }

  /** Refreshes after a burst of file events has settled (an estimation writes a temp file, then renames). */
  private scheduleRefresh(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), 250);
  }

  refresh(): void {
    clearTimeout(this.timer);
    this.changes++;
    this.changed.fire();
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    return node;
  }

  async getChildren(node?: RunsNode): Promise<RunsNode[]> {
    if (node instanceof RunFolderItem) return node.runs;
    if (node instanceof RunTreeItem) return node.state === 'notYet' ? [] : sliceItems(node);
    if (node) return [];
    const files = await this.runFiles();
    const byDir = new Map<string, string[]>();
    for (const f of files) {
      const d = path.dirname(f);
      (byDir.get(d) ?? byDir.set(d, []).get(d)!).push(f);
    }
    const states = new Map(await Promise.all(files.map(async (f) => [f, await runState(f)] as const)));
    const item = async (f: string, relDir?: string) => {
      const { state, staleReason } = states.get(f)!;
      const it = new RunTreeItem(f, state, relDir, staleReason);
      // an estimated run with saved slices unfolds to them
      if (state !== 'notYet' && (await sliceItems(it)).length) it.collapsibleState = vscode.TreeItemCollapsibleState.Collapsed;
      return it;
    };
    if (byDir.size <= 1) return Promise.all(files.map((f) => item(f)));
    return Promise.all(
      [...byDir.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(async ([dir, fs_]) => new RunFolderItem(dir, await Promise.all(fs_.map((f) => item(f))))),
    );
  }

  /** The run items, flattened (tests; Compare Runs). */
  async runItems(): Promise<RunTreeItem[]> {
    const top = await this.getChildren();
    return top.flatMap((n) => (n instanceof RunFolderItem ? n.runs : n instanceof RunTreeItem ? [n] : []));
  }

  /** The saved slices under a run (tests). */
  async sliceItems(run: RunTreeItem): Promise<SliceTreeItem[]> {
    return (await this.getChildren(run)).filter((n): n is SliceTreeItem => n instanceof SliceTreeItem);
  }

  /** The tooltip, filled in when the item is hovered: the dataset means of estimated runs. */
  async resolveTreeItem(item: vscode.TreeItem, node: RunsNode): Promise<vscode.TreeItem> {
    if (node instanceof RunTreeItem) item.tooltip = await this.tooltip(node);
    return item;
  }

  async tooltip(node: RunTreeItem): Promise<vscode.MarkdownString> {
    const md = new vscode.MarkdownString('', true);
    md.appendMarkdown(`**${escapeMd(path.basename(node.file))}** — ${STATE_TEXT[node.state]}\n\n`);
    md.appendMarkdown(`${escapeMd(vscode.workspace.asRelativePath(node.file))}\n\n`);
    if (node.state === 'notYet') {
      md.appendMarkdown('No results yet: run **LSMI: Estimate Interactions** on it.');
      return md;
    }
    if (node.staleReason) md.appendMarkdown(`$(warning) Stale: ${escapeMd(node.staleReason)}. Estimate again to update.\n\n`);
    try {
      const data = await loadResults(node.resultsFile);
      const m = data.meta;
      const d = m.dataset.adjusted;
      const [m1, m2] = m.run.modalityNames;
      md.appendMarkdown(`N = ${formatCount(data.sampleIds.length)}, ${m.run.nClasses} classes${m.run.fusion ? `, ${escapeMd(m.run.fusion)} fusion` : ''}\n\n`);
      md.appendMarkdown(`| R | U1 (${escapeMd(m1)}) | U2 (${escapeMd(m2)}) | S |\n| ---: | ---: | ---: | ---: |\n`);
      md.appendMarkdown(`| ${fmt(d.R)} | ${fmt(d.U1)} | ${fmt(d.U2)} | ${fmt(d.S)} |\n\n`);
      md.appendMarkdown(`nats, adjusted; ${escapeMd(m.settings.mode)}, ${escapeMd(m.settings.covariance)}, K = ${m.settings.components}; ${escapeMd(m.createdAt)}`);
    } catch (e) {
      log().warn(`runs view: could not read ${node.resultsFile}: ${(e as Error).message}`);
      md.appendMarkdown(`$(error) Could not read the results: ${escapeMd((e as Error).message)}`);
    }
    return md;
  }

  private async runFiles(): Promise<string[]> {
    const found = await vscode.workspace.findFiles(RUN_GLOB, EXCLUDE_GLOB, MAX_RUNS);
    return [...new Set(found.filter((u) => u.scheme === 'file' && isRunFile(u.fsPath)).map((u) => u.fsPath))].sort((a, b) =>
      a.localeCompare(b),
    );
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}

export function escapeMd(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>$]/g, '\\$&');
}

/** What the tests see of the runs view. */
export interface RunsViewApi {
  items(): Promise<RunTreeItem[]>;
  children(node?: RunsNode): Promise<RunsNode[]>;
  /** The saved slices listed under a run. */
  slices(item: RunTreeItem): Promise<SliceTreeItem[]>;
  tooltip(item: RunTreeItem): Promise<string>;
  visible(): boolean;
  changes(): number;
  refresh(): void;
}

/** Creates the view and its commands. */
export function registerRunsView(context: vscode.ExtensionContext): RunsViewApi {
  const provider = new RunsTreeProvider();
  const view = vscode.window.createTreeView(RUNS_VIEW_ID, { treeDataProvider: provider, canSelectMany: true, showCollapseAll: true });
  context.subscriptions.push(
    provider,
    view,
    vscode.commands.registerCommand('lsmi.refreshRuns', () => provider.refresh()),
    vscode.commands.registerCommand('lsmi.showRuns', async () => {
      await vscode.commands.executeCommand(`${RUNS_VIEW_ID}.focus`);
      return true;
    }),
  );
  return {
    items: () => provider.runItems(),
    children: (node) => provider.getChildren(node),
    slices: (item) => provider.sliceItems(item),
    tooltip: async (item) => (await provider.tooltip(item)).value,
    visible: () => view.visible,
    changes: () => provider.changes,
    refresh: () => provider.refresh(),
  };
}
