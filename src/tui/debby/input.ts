/** The Debby view's input line as a plain function: what a typed line asks for. */

/** What a line typed in the view asks for. */
export type DebbyInput = { kind: 'none' } | { kind: 'quit' } | { kind: 'ask'; text: string } | { kind: 'debate'; rounds?: number } | { kind: 'error'; message: string };

/** `/quit`, `/debate [N]`, or a question; any other `/word` is a typo, not a question. */
export function parseInput(line: string): DebbyInput {
  const t = line.trim();
  if (!t) return { kind: 'none' };
  const m = /^\/(\S+)\s*(.*)$/s.exec(t);
  if (!m) return { kind: 'ask', text: t };
  const [, cmd, rest] = m;
  if (cmd === 'quit' || cmd === 'q') return rest ? { kind: 'error', message: '/quit takes nothing after it' } : { kind: 'quit' };
  if (cmd === 'debate') {
    if (!rest) return { kind: 'debate' };
    const n = Number(rest);
    if (/^\d+$/.test(rest) && n >= 1 && n <= 10) return { kind: 'debate', rounds: n };
    return { kind: 'error', message: `/debate [N]: N is a number of rounds, 1…10 (not "${rest}")` };
  }
  return { kind: 'error', message: `unknown command /${cmd}: /debate [N] starts a debate, /quit leaves, anything else is a question` };
}
