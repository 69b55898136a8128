/**
 * The @vscode-elements/elements web components the panels use (buttons, selects, text fields,
 * badges): they follow the VS Code theme and handle focus and keyboard like the workbench's own.
 * Imported for their side effect of defining the custom elements (the package has no
 * sideEffects: false, so esbuild keeps these imports).
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-multi-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';

/** A vscode-single-select with options; `value` '' means "all". */
export function singleSelect(id: string, label: string, options: [string, string][], value: string, onChange: (v: string) => void): HTMLElement {
  const sel = document.createElement('vscode-single-select') as HTMLElement & { value: string };
  sel.id = id;
  sel.setAttribute('aria-label', label);
  for (const [v, text] of options) {
    const o = document.createElement('vscode-option') as HTMLElement & { value: string };
    o.setAttribute('value', v);
    if (v === value) o.setAttribute('selected', '');
    o.textContent = text;
    sel.append(o);
  }
  sel.addEventListener('change', () => onChange(sel.value));
  return sel;
}

export function setSelectValue(id: string, value: string): void {
  const sel = document.getElementById(id) as (HTMLElement & { value: string }) | null;
  if (sel && sel.value !== value) sel.value = value;
}

/**
 * The class filter of a samples or movers table: a multi-select with type-ahead (a combobox that
 * filters the class list as the user types: 100 classes stay usable). No class selected means every class.
 */
export function classFilter(id: string, classNames: string[], selected: number[] | undefined, onChange: (classes: number[] | undefined) => void): HTMLElement {
  const sel = document.createElement('vscode-multi-select') as HTMLElement & { value: string[]; combobox: boolean; filter: string };
  sel.id = id;
  sel.setAttribute('aria-label', 'Filter by class (type to find; several may be chosen)');
  sel.setAttribute('combobox', '');
  sel.setAttribute('filter', 'contains');
  sel.setAttribute('placeholder', 'All classes: type to find');
  sel.setAttribute('title', 'Show only the chosen classes (none chosen: every class)');
  const on = new Set(selected ?? []);
  classNames.forEach((name, k) => {
    const o = document.createElement('vscode-option') as HTMLElement;
    o.setAttribute('value', String(k));
    if (on.has(k)) o.setAttribute('selected', '');
    o.textContent = `${k}: ${name}`;
    sel.append(o);
  });
  // @vscode-elements 2.5.1: a mousedown on an option blurs the type-ahead input, which clears the
  // filter and re-renders the list before the click lands, so a click on a filtered option did
  // nothing. Keeping the focus in the input keeps the filter until the click is handled.
  sel.addEventListener('mousedown', (e) => {
    if (e.composedPath().some((t) => t instanceof HTMLElement && t.matches('li.option'))) e.preventDefault();
  });
  sel.addEventListener('change', () => {
    const v = (sel.value ?? []).map(Number).filter((k) => Number.isInteger(k)).sort((a, b) => a - b);
    onChange(v.length ? v : undefined);
  });
  return sel;
}

/** Sets a class filter's selection (undefined: none, every class) without firing its change. */
export function setClassFilter(id: string, classes: number[] | undefined): void {
  const sel = document.getElementById(id) as (HTMLElement & { value: string[] }) | null;
  if (!sel) return;
  const want = (classes ?? []).map(String);
  const have = sel.value ?? [];
  if (want.length !== have.length || want.some((v, i) => v !== have[i])) sel.value = want;
}

/** A chip's text for a class selection: its names (the first three, then how many more). */
export function classesText(classNames: string[], classes: number[]): string {
  const names = classes.map((k) => classNames[k] ?? String(k));
  return `class${names.length === 1 ? '' : 'es'} ${names.slice(0, 3).join(', ')}${names.length > 3 ? ` +${names.length - 3}` : ''}`;
}
