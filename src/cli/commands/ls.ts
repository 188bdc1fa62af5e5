import { printJson } from '../json-output.js';
import { client } from '../context.js';

/**
 * `omni ls`: one row per session, fitted to the terminal's width (a status reason is cut to
 * what fits, ids never are, the working directory gives way first); `--wide` shows every
 * reason whole, `--json` everything. The table (and chalk) load only when printed.
 */
export async function lsCommand(opts: { all?: boolean; json?: boolean; wide?: boolean; tag?: string[] }): Promise<number> {
  const tags = opts.tag ?? [];
  const { sessions } = await (await client()).sessions(Boolean(opts.all), tags);
  if (opts.json) {
    // tags always present in JSON, so a script need not tell "none" from "unknown".
    printJson(sessions.map((s) => ({ ...s, tags: s.tags ?? [] })));
    return 0;
  }
  if (sessions.length === 0) {
    const tagged = tags.length ? ` tagged ${tags.join(' and ')}` : '';
    process.stdout.write(opts.all ? `no sessions${tagged}\n` : `no live sessions${tagged} (omni ls --all shows ended ones)\n`);
    return 0;
  }
  const { lsTable } = await import('./ls-table.js');
  const { terminalWidth } = await import('../output.js');
  const width = opts.wide ? Infinity : terminalWidth();
  process.stdout.write(lsTable(sessions, { width, wide: Boolean(opts.wide) }) + '\n');
  return 0;
}
