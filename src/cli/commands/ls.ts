import { sessionSpend } from '../../cost/format.js';
import { client } from '../context.js';
import { age, colorStatus, makeChalk, printJson, table, tildify } from '../output.js';

export async function lsCommand(opts: { all?: boolean; json?: boolean }): Promise<number> {
  const { sessions } = await (await client()).sessions(Boolean(opts.all));
  if (opts.json) {
    printJson(sessions);
    return 0;
  }
  if (sessions.length === 0) {
    process.stdout.write(opts.all ? 'no sessions\n' : 'no live sessions (omni ls --all shows ended ones)\n');
    return 0;
  }
  const c = makeChalk();
  const rows = [['ID', 'NAME', 'HARNESS', 'STATUS', 'COST', 'AGE', 'CWD']];
  for (const s of sessions) {
    const status = colorStatus(c, s.status) + (s.statusReason && s.status === 'waiting' ? c.dim(` (${s.statusReason})`) : '');
    const spend = sessionSpend(s.cost);
    // A sandboxed session says so where the harness is named: "claude[sbx]".
    rows.push([s.id, s.name, s.sandbox ? `${s.harness}${c.dim('[sbx]')}` : s.harness, status, spend.includes('$?') ? c.yellow(spend) : spend === '-' ? c.dim(spend) : spend, age(s.createdAt), tildify(s.cwd)]);
  }
  process.stdout.write(table(rows, c) + '\n');
  return 0;
}
