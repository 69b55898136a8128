/**
 * The @vscode-elements/elements web components the panels use (buttons, selects, text fields,
 * badges): they follow the VS Code theme and handle focus and keyboard like the workbench's own.
 * Imported for their side effect of defining the custom elements (the package has no
 * sideEffects: false, so esbuild keeps these imports).
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
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
