/** Typed access to the `lsmi.*` settings. */
import * as vscode from 'vscode';
import { type ColumnMapping, STANDARD_COLUMNS } from '../engine/io/run';
import { log } from './output';

export function columnMappingSetting(): ColumnMapping | undefined {
  const raw = vscode.workspace.getConfiguration('lsmi').get<Record<string, unknown>>('columns') ?? {};
  const mapping: ColumnMapping = {};
  for (const [k, v] of Object.entries(raw)) {
    if ((STANDARD_COLUMNS as readonly string[]).includes(k) && typeof v === 'string' && v) mapping[k as keyof ColumnMapping] = v;
    else log().warn(`ignoring lsmi.columns entry ${JSON.stringify(k)}: ${JSON.stringify(v)} (keys: ${STANDARD_COLUMNS.join(', ')})`);
  }
  return Object.keys(mapping).length ? mapping : undefined;
}
