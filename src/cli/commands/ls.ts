import { sessionSpend } from '../../cost/format.js';
import { client } from '../context.js';
import { age, colorStatus, makeChalk, printJson, table, tildify } from '../output.js';

export async function lsCommand(opts: { all?: boolean; json?: boolean; tag?: string[] }): Promise<number> {
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
  const c = makeChalk();
  // TAGS only when a session has some: most people never tag, and the table stays narrow.
  const withTags = sessions.some((s) => s.tags?.length);
  const rows = [['ID', 'NAME', 'HARNESS', 'STATUS', 'COST', 'AGE', ...(withTags ? ['TAGS'] : []), 'CWD']];
  for (const s of sessions) {
    const status = colorStatus(c, s.status) + (s.statusReason && s.status === 'waiting' ? c.dim(` (${s.statusReason})`) : '');
    const spend = sessionSpend(s.cost);
    // A sandboxed session says so where the harness is named: "claude[sbx]".
    rows.push([s.id, s.name, s.sandbox ? `${s.harness}${c.dim('[sbx]')}` : s.harness, status, spend.includes('$?') ? c.yellow(spend) : spend === '-' ? c.dim(spend) : spend, age(s.createdAt), ...(withTags ? [s.tags?.join(',') || c.dim('-')] : []), tildify(s.cwd)]);
  }
  process.stdout.write(table(rows, c) + '\n');
  return 0;
}
