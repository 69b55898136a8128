/** The engine's public surface. Pure TypeScript: never imports vscode. */
export * from './errors';
export * from './io';
export * from './summary';
export { TOOL_VERSION } from './version';
export * as pid from './pid';
