import type { OmniClient } from '../../client/api.js';
import { OmniError } from '../../core/errors.js';
import type { SessionRecord } from '../../core/session.js';
import { altScreen } from '../../tui/terminal.js';
import { changedRows, drawRows, fitFrame, footer } from './screen-frame.js';

type ScreenItem = { type: 'screen'; text: string } | { type: 'end'; status: string; reason: string };

/**
 * `omni watch` of a session on another user's daemon (a share guest, a unix:// host): drawn
 * from the daemon's screen stream (GET /v1/sessions/:id/screen?follow=1), never through tmux —
 * a guest has no access to the owner's tmux at all, so its keys cannot reach the agent by
 * construction. Keys are read only to quit (q, Ctrl-C). Ends when the session ends, saying why.
 */
export async function screenWatch(c: OmniClient, session: SessionRecord, io: { stdin?: NodeJS.ReadStream; stdout?: NodeJS.WriteStream } = {}): Promise<number> {
  const stdin = io.stdin ?? process.stdin;
  const out = io.stdout ?? process.stdout;
  if (!stdin.isTTY) throw new OmniError('omni watch needs a terminal', 'bad_request');
  const stop = new AbortController();
  const onKey = (d: Buffer) => {
    const s = d.toString('latin1');
    if (s.includes('q') || s.includes('Q') || s.includes('\x03')) stop.abort();
  };
  let prev: string[] | undefined;
  let last = '';
  const draw = () => {
    const cols = out.columns || 80;
    const rows = Math.max(2, out.rows || 24);
    const frame = fitFrame(last, cols, rows - 1);
    const full = !prev;
    out.write((full ? '\x1b[2J' : '') + drawRows(frame, changedRows(prev, frame)) + (full ? `\x1b[${rows};1H${footer(`omni watch ${session.name}: read-only view from ${c.where} · q quits`, cols)}` : ''));
    prev = frame;
  };
  const onResize = () => {
    prev = undefined;
    draw();
  };
  const screen = altScreen(out);
  stdin.setRawMode(true);
  stdin.on('data', onKey);
  stdin.resume();
  out.on('resize', onResize);
  screen.enter();
  out.write('\x1b[?25l');
  let why: string;
  let code = 0;
  try {
    why = `left the view of ${session.name}`;
    for await (const item of c.stream<ScreenItem>(`/v1/sessions/${encodeURIComponent(session.id)}/screen?follow=1&escapes=1`, stop.signal)) {
      if (item.type === 'end') {
        why = `${item.reason} (omni events ${session.name} shows what happened)`;
        break;
      }
      last = item.text;
      draw();
    }
    if (!stop.signal.aborted && why.startsWith('left')) why = `the daemon ended the view of ${session.name}`;
  } catch (err) {
    if (stop.signal.aborted) why = `left the view of ${session.name}`;
    else {
      why = `the view of ${session.name} was cut off: ${(err as Error).message} (a revoked grant, or the daemon stopped)`;
      code = err instanceof OmniError ? err.exitCode : 1;
    }
  } finally {
    out.write('\x1b[?25h');
    screen.leave();
    out.off('resize', onResize);
    stdin.off('data', onKey);
    stdin.setRawMode(false);
    stdin.pause();
  }
  process.stderr.write(`omni watch: ${why}\n`);
  return code;
}
