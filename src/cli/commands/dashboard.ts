import type { OmniClient } from '../../client/api.js';
import { ExitCode } from '../../core/errors.js';
import { dashboardJson, formatDashboard } from '../../tui/dashboard/format.js';
import { clientActions, clientSource } from '../../tui/dashboard/source.js';
import { DashboardStore, loadDashboard } from '../../tui/dashboard/store.js';
import type { DashboardOutcome } from '../../tui/dashboard/view.js';
import { altScreen, preferProductionReact } from '../../tui/terminal.js';
import { runViewLoop } from '../../tui/view-loop.js';
import { failureLine, msOption } from '../../client/all-hosts.js';
import { HostsDashboard } from '../../tui/dashboard/hosts-source.js';
import { client } from '../context.js';
import { viewClients } from '../view-hosts.js';
import { makeChalk, printJson } from '../output.js';

/**
 * `omni` / `omni dashboard`: the live Ink view on a terminal; a snapshot (sessions with status and
 * spend, pending asks) without one or with --json. Enter attaches to the selected session and
 * `a` opens `omni approvals`; either comes back to the dashboard when it ends. The view lives on
 * the alternate screen, left before attaching (tmux draws its own) and entered again after.
 */
export async function dashboardCommand(opts: { json?: boolean } = {}): Promise<number> {
  const c = await client();
  // With hosts in hosts.json, their sessions and asks too (docs/REMOTE.md, "Every host at once").
  const hosts = await viewClients(c);
  const down = new Map<string, string>();
  // Hosts that are down: collected for the snapshot, or marked in the live view's store.
  let onHost = (host: string, error: string | undefined): void => void (error === undefined ? down.delete(host) : down.set(host, error));
  const multi = hosts.length > 1 ? new HostsDashboard(hosts, { timeoutMs: msOption(process.env.OMNI_HOST_TIMEOUT_MS, 5000), onHost: (h, e) => onHost(h, e) }) : undefined;
  const source = multi ? multi.source() : clientSource(c);
  if (opts.json || !process.stdout.isTTY || !process.stdin.isTTY) {
    const loaded = await loadDashboard(source);
    const snap = down.size ? { ...loaded, hostErrors: [...down].map(([host, error]) => ({ host, error })) } : loaded;
    for (const h of snap.hostErrors ?? []) process.stderr.write(failureLine(h) + '\n');
    if (opts.json) printJson(dashboardJson(snap));
    else process.stdout.write(formatDashboard(snap, Date.now(), makeChalk()) + '\n');
    return snap.hostErrors?.length ? ExitCode.daemonUnreachable : ExitCode.ok;
  }
  // Sessions started or resumed from here get this shell's environment, read before NODE_ENV is set.
  const caller = { env: Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined)), cwd: process.cwd() };
  preferProductionReact();
  const [{ render }, React, { DashboardView }] = await Promise.all([import('ink'), import('react'), import('../../tui/dashboard/view.js')]);
  const store = new DashboardStore({ source, actions: multi ? multi.actions(caller) : clientActions(c, caller), refreshMs: 120_000, previewMs: 700 });
  onHost = (h, e) => store.setHostError(h, e);
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
    if (o.session.host) {
      // A remote session: `omni --host H attach` (ssh -t there), as the user would type it.
      await attachOnHost(o.session.host, o.session.id);
      return { text: `detached from ${o.session.host}:${o.session.name}`, kind: 'info' };
    }
    const { attachSession } = await import('./attach.js');
    const { session } = await c.session(o.session.id);
    await attachSession(session);
    return { text: `detached from ${o.session.name} (omni attach ${o.session.name} to go back)`, kind: 'info' };
  } catch (err) {
    return { text: err instanceof Error ? err.message : String(err), kind: 'error' };
  }
}

/** This omni, run again as `omni --host HOST attach ID` on this terminal; resolves when it ends. */
async function attachOnHost(host: string, id: string): Promise<void> {
  const { spawn } = await import('node:child_process');
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [process.argv[1]!, '--host', host, 'attach', id], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (c) => resolve(c));
  });
  if (code !== 0) throw new Error(`omni --host ${host} attach ${id} exited ${code}`);
}
