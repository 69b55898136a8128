/** Dataset-level PID, semi-supervised synergy bounds and the interaction-guided ensemble (docs/pid.md). */
export * from './table';
export * from './broja';
export * from './bounds';
export * from './discretise';
export * from './settings';
export * from './dataset';
export * from './ensemble';
export * from './load';
export type { PanelPid, PanelEnsemble } from './isolated';
