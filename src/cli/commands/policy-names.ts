import fs from 'node:fs';
import path from 'node:path';
import { resolvePaths } from '../../core/paths.js';
import { builtinNames } from '../../policy/builtins/index.js';
import { printJson } from '../output.js';

/**
 * `omni policy names`: what `--policy <name>` takes besides a file path: the builtins and the
 * config's `policies/<name>.yaml`. Never asks the daemon (shell completion calls it on TAB).
 */
export function policyNamesCommand(opts: { json?: boolean }): number {
  const dir = path.join(resolvePaths().configDir, 'policies');
  let files: string[] = [];
  try {
    files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => f.replace(/\.ya?ml$/, ''));
  } catch {
    /* no named policies */
  }
  const names = [...builtinNames().map((name) => ({ name, kind: 'builtin' })), ...[...new Set(files)].sort().map((name) => ({ name, kind: 'named', file: path.join(dir, `${name}.yaml`) }))];
  if (opts.json) printJson(names);
  else process.stdout.write(names.map((n) => `${n.name}${n.kind === 'named' ? ' (policies/)' : ''}`).join('\n') + '\n');
  return 0;
}
