/**
 * Every message between the extension host and a webview panel. Both sides import these types;
 * nothing else is ever posted. Adding a message means adding a member here first.
 */
import type { RunSummary } from '../engine/summary';

/** An error as the user should see it: what, where, what to do. */
export interface UserError {
  code: string;
  message: string;
}

/** Run panel: host → webview. */
export type RunPanelToWebview =
  | { type: 'loading'; file: string }
  | { type: 'summary'; summary: RunSummary }
  | { type: 'error'; file: string; error: UserError };

/** Run panel: webview → host. */
export type RunPanelFromWebview =
  | { type: 'ready' }
  | { type: 'reload' }
  | { type: 'revealInExplorer' };

/** What a run panel persists across reloads (webview getState/setState and the serializer). */
export interface RunPanelState {
  file: string;
}

export const RUN_PANEL_VIEW_TYPE = 'lsmi.runPanel';
