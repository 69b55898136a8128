/** The tool version recorded in results files; kept equal to package.json's by a unit test. */
export const TOOL_VERSION = '0.3.0';
