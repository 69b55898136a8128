/**
 * What every LSMI panel (run, results, compare) shares: the webview panel's lifecycle, restore after
 * a window reload, the readiness handshake, the replay of the panel's state to a rebuilt webview,
 * message validation and one failure path. A panel is a thin subclass that loads its data and
 * answers its own messages (`handle`).
 *
 * Readiness, exactly (no polling):
 * - The webview announces `{ type: 'ready', instance }` when its script starts; `instance` is new for
 *   every document, so the host can tell a rebuilt webview from a repeated announcement.
 * - The host posts `{ type: 'hostReady' }` when it starts listening (a panel restored after a window
 *   reload may start after the webview announced itself) and whenever a hidden panel is shown again;
 *   a webview answers it with its announcement (webview/shared/vscode.ts).
 * - A hidden panel's webview document is destroyed by VS Code (no retainContextWhenHidden: it keeps
 *   memory low with many panels), so on hide the host stops sending; messages are kept as state
 *   (`last`, the reveal a subclass holds) and replayed to the next instance that announces itself.
 */
import * as vscode from 'vscode';
import type { HostReady, PanelReady, UserError } from '../../protocol/messages';
import { log } from '../output';
import { localRoots, panelHtml } from '../webviewHtml';
import { toUserError } from '../errors';

type Tagged = { type: string };
export type PanelKind = 'run' | 'results' | 'compare';

/**
 * The open panels, by kind and key (a run panel's run file, a results panel's results file, a
 * compare panel's files joined by newlines): the one place commands ask which panel is open or
 * active (see src/extension/runFiles.ts: targetResultsFile).
 */
export const openPanels = {
  byKind: new Map<PanelKind, Map<string, PanelHost<Tagged, Tagged>>>(),
  of(kind: PanelKind): Map<string, PanelHost<Tagged, Tagged>> {
    let m = this.byKind.get(kind);
    if (!m) this.byKind.set(kind, (m = new Map()));
    return m;
  },
  /** The keys of the open panels of a kind, in the order they were opened. */
  keys(kind: PanelKind): string[] {
    return [...this.of(kind).keys()];
  },
  /** The key of the active panel of a kind (the one the user looks at), if any. */
  activeKey(kind: PanelKind): string | undefined {
    for (const [key, p] of this.of(kind)) if (p.active) return key;
    return undefined;
  },
  get<P>(kind: PanelKind, key: string): P | undefined {
    return this.of(kind).get(key) as P | undefined;
  },
  /** The open panel of a kind and key, revealed; or a new one in the active editor group (every panel's show). */
  revealOrCreate<P extends { reveal(): void }>(kind: PanelKind, key: string, viewType: string, title: string, extensionUri: vscode.Uri, create: (panel: vscode.WebviewPanel) => P): P {
    const open = this.get<P>(kind, key);
    if (open) {
      open.reveal();
      return open;
    }
    return create(vscode.window.createWebviewPanel(viewType, title, vscode.ViewColumn.Active, PanelHost.panelOptions(extensionUri)));
  },
};

export abstract class PanelHost<Out extends Tagged, In extends Tagged> {
  protected readonly disposables: vscode.Disposable[] = [];
  /** The message that states what the panel shows (loading, the data, an error): replayed to every new webview. */
  private last?: Out;
  /** The webview document that announced itself and has not been torn down since. */
  private instance?: string;
  private disposed = false;

  protected constructor(
    protected readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly kind: PanelKind,
    private readonly key: string,
    title: string,
  ) {
    openPanels.of(kind).set(key, this as unknown as PanelHost<Tagged, Tagged>);
    panel.title = title;
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'lsmi.svg');
    panel.webview.options = { enableScripts: true, localResourceRoots: localRoots(extensionUri) };
    panel.webview.onDidReceiveMessage((m: unknown) => this.receive(m), undefined, this.disposables);
    panel.onDidChangeViewState(() => {
      if (!panel.visible) this.instance = undefined; // its document is gone (see above)
      else if (!this.instance) this.hello();
    }, undefined, this.disposables);
    panel.onDidDispose(() => this.dispose(), undefined, this.disposables);
    panel.webview.html = panelHtml(panel.webview, extensionUri, kind, title);
    this.hello();
  }

  /** The options of a new webview panel of this extension. */
  static panelOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return { enableScripts: true, localResourceRoots: localRoots(extensionUri) };
  }

  /** True while a webview document is listening (it announced itself and was not hidden since). */
  protected get ready(): boolean {
    return this.instance !== undefined && !this.disposed;
  }

  get active(): boolean {
    return !this.disposed && this.panel.active;
  }

  reveal(): void {
    this.panel.reveal();
  }

  /** Whether a message states what the panel shows (kept and replayed) rather than answering a request. */
  protected abstract isState(m: Out): boolean;
  /** The state before any data (a new panel, or a reload). */
  protected abstract loadingMessage(): Out;
  /** Messages other than the handshake; they are not trusted (fields are checked where used). */
  protected abstract handle(m: In): void;
  /** After the state was replayed to a new webview (a subclass sends what it held for it, e.g. a reveal). */
  protected onReady(): void {}
  protected onDispose(): void {}

  /** Sends a message now if a webview listens; state messages are also kept for the next one. */
  protected post(message: Out): void {
    if (this.isState(message)) this.last = message;
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  /** The one failure path of a load: logged, shown in the panel and as a notification. */
  protected fail(e: unknown, errorMessage: (error: UserError) => Out): UserError {
    const error = toUserError(e);
    log().error(`${error.code}: ${error.message}`);
    this.post(errorMessage(error));
    void vscode.window.showErrorMessage(`LSMI: ${error.message}`);
    return error;
  }

  protected get state(): Out | undefined {
    return this.last;
  }

  private hello(): void {
    if (!this.disposed) void this.panel.webview.postMessage({ type: 'hostReady' } satisfies HostReady);
  }

  /** Messages from the webview are not trusted: a malformed one is logged, never thrown into the host. */
  private receive(m: unknown): void {
    if (!m || typeof m !== 'object' || typeof (m as Tagged).type !== 'string') return;
    try {
      if ((m as Tagged).type === 'ready') {
        const instance = String((m as PanelReady).instance ?? '');
        if (instance && instance === this.instance) return; // announced again (it heard our hostReady late)
        this.instance = instance || `anonymous-${Date.now()}`;
        void this.panel.webview.postMessage(this.last ?? this.loadingMessage());
        this.onReady();
        return;
      }
      this.handle(m as In);
    } catch (e) {
      const error = toUserError(e);
      log().error(`${this.panel.viewType}: a message was not handled (${error.code}: ${error.message})`);
    }
  }

  private dispose(): void {
    if (openPanels.of(this.kind).get(this.key) === (this as unknown)) openPanels.of(this.kind).delete(this.key);
    this.disposed = true;
    this.instance = undefined;
    this.onDispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
