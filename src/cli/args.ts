/** A small, strict argument parser: unknown flags are errors, not silently ignored. */
import { type ColumnMapping, type StandardColumn, STANDARD_COLUMNS } from '../engine';

export class UsageError extends Error {}

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string | true>;
}

export function parseArgs(argv: string[], spec: { boolean: string[]; value: string[] }): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    if (spec.boolean.includes(name)) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      flags.set(name, true);
    } else if (spec.value.includes(name)) {
      const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new UsageError(`--${name} needs a value`);
      flags.set(name, v);
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return { positional, flags };
}

/** "emb_1=image_emb,label=y" → { emb_1: 'image_emb', label: 'y' } */
export function parseColumnMapping(text: string): ColumnMapping {
  const mapping: ColumnMapping = {};
  for (const pair of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [std, name] = pair.split('=').map((s) => s.trim());
    if (!name || !(STANDARD_COLUMNS as readonly string[]).includes(std)) {
      throw new UsageError(`--columns expects STANDARD=NAME pairs with STANDARD one of ${STANDARD_COLUMNS.join(', ')}; got '${pair}'`);
    }
    mapping[std as StandardColumn] = name;
  }
  return mapping;
}
