/** JSON on stdout, in a module of its own: `--json` paths need not load chalk (src/cli/output.ts). */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
