import type { OmniClient } from '../../client/api.js';
import { ExitCode } from '../../core/errors.js';
import { dashboardJson, formatDashboard } from '../../tui/dashboard/format.js';
import { clientActions, clientSource } from '../../tui/dashboard/source.js';
import { DashboardStore, loadDashboard } from '../../tui/dashboard/store.js';
import type { DashboardOutcome } from '../../tui/dashboard/view.js';
import { altScreen, preferProductionReact } from '../../tui/terminal.js';
import { runViewLoop } from '../../tui/view-loop.js';
import { client } from '../context.js';
import { makeChalk, printJson } from '../output.js';

/**
 * `omni` / `omni dashboard`: the live Ink view on a terminal; a snapshot (sessions with status and
 * spend, pending asks) without one or with --json. Enter attaches to the selected session and
 * `a` opens `omni approvals`; either comes back to the dashboard when it ends. The view lives on
 * the alternate screen, left before attaching (tmux draws its own) and entered again after.
 */
export async function dashboardCommand(opts: { json?: boolean } = {}): Promise<number> {
  const c = await client();
  if (opts.json || !process.stdout.isTTY || !process.stdin.isTTY) {
    const snap = await loadDashboard(clientSource(c));
    if (opts.json) printJson(dashboardJson(snap));
    else process.stdout.write(formatDashboard(snap, Date.now(), makeChalk()) + '\n');
    return ExitCode.ok;
  }
  // Sessions started or resumed from here get this shell's environment, read before NODE_ENV is set.
  const caller = { env: Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined)), cwd: process.cwd() };
  preferProductionReact();
  const [{ render }, React, { DashboardView }] = await Promise.all([import('ink'), import('react'), import('../../tui/dashboard/view.js')]);
  const store = new DashboardStore({ source: clientSource(c), actions: clientActions(c, caller), refreshMs: 120_000, previewMs: 700 });
  try {
    await runViewLoop<DashboardOutcome>({
      screen: altScreen(),
      follow: (signal) => store.follow(signal),
      render: (onExit) => render(React.createElement(DashboardView, { store, onExit })),
      away: async (outcome) => {
        const msg = await leaveFor(c, outcome);
        store.setMessage(msg?.text, msg?.kind);
      },
    });
    return ExitCode.ok;
  } finally {
    store.dispose();
  }
}

/** Attach or open the approvals view; what to show when the dashboard comes back. */
async function leaveFor(c: OmniClient, o: Exclude<DashboardOutcome, { kind: 'quit' }>): Promise<{ text: string; kind: 'info' | 'error' } | undefined> {
  try {
    if (o.kind === 'approvals') {
      await (await import('./approvals.js')).approvalsCommand({});
      return undefined;
    }
    const { attachSession } = await import('./attach.js');
    const { session } = await c.session(o.session.id);
    await attachSession(session);
    return { text: `detached from ${o.session.name} (omni attach ${o.session.name} to go back)`, kind: 'info' };
  } catch (err) {
    return { text: err instanceof Error ? err.message : String(err), kind: 'error' };
  }
}
