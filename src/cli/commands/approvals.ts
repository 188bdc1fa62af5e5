import type { Approval, ApprovalVia } from '../../approvals/types.js';
import type { OmniClient } from '../../client/api.js';
import { ExitCode, OmniError } from '../../core/errors.js';
import { describeResolution } from '../../tui/approvals/format.js';
import { ApprovalsStore } from '../../tui/approvals/store.js';
import { altScreen, preferProductionReact } from '../../tui/terminal.js';
import { HostApprovals } from '../../client/host-approvals.js';
import { client } from '../context.js';
import { viewClients } from '../view-hosts.js';
import { printJson } from '../output.js';
import { formatApprovalsTable } from './approvals-table.js';
export { formatApprovalsTable } from './approvals-table.js';

/** `omni approvals`: the Ink view on a terminal, a plain listing otherwise (or with --json). */
export async function approvalsCommand(opts: { json?: boolean; all?: boolean }): Promise<number> {
  const c = await client();
  // With hosts in hosts.json, their approvals too (docs/REMOTE.md, "Every host at once").
  const hosts = await viewClients(c);
  if (opts.json || !process.stdout.isTTY || !process.stdin.isTTY) {
    if (hosts.length > 1) return (await import('./approvals-hosts.js')).listAllHosts(hosts, opts);
    const { approvals } = await c.approvals({ all: Boolean(opts.all) });
    if (opts.json) printJson(approvals);
    else process.stdout.write(formatApprovalsTable(approvals, Date.now(), Boolean(opts.all)) + '\n');
    return ExitCode.ok;
  }
  preferProductionReact();
  const [{ render }, React, { ApprovalsView }] = await Promise.all([import('ink'), import('react'), import('../../tui/approvals/view.js')]);
  const abort = new AbortController();
  const merged = hosts.length > 1 ? new HostApprovals(hosts, { onHost: (h, e) => store.setHostError(h, e) }) : undefined;
  const store = new ApprovalsStore({ actions: merged ? merged.actions('tui') : actionsFor(c, 'tui'), messageTtlMs: 10_000 });
  const following = store.follow((signal) => (merged ? merged.open(signal) : c.approvalsStream(signal)), abort.signal);
  // The alternate screen: leaving the view (back to the shell or to the dashboard) leaves no frame behind.
  const screen = altScreen();
  screen.enter();
  const app = render(React.createElement(ApprovalsView, { store }));
  try {
    await app.waitUntilExit();
  } finally {
    app.unmount();
    screen.leave();
    abort.abort();
    store.dispose();
    await following.catch(() => undefined);
  }
  return ExitCode.ok;
}

/**
 * `omni approvals popup <id>`: one ask, meant for `tmux display-popup -E` over the agent's pane.
 * Closes when answered here or elsewhere, or on q/Esc (the ask stays pending).
 */
export async function approvalPopupCommand(id: string): Promise<number> {
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    throw new OmniError('the approval popup needs a terminal (run it in tmux display-popup -E, or use omni approve/deny)', 'bad_request', ExitCode.usage);
  }
  const c = await client();
  const { approvals } = await c.approvals({ all: true });
  const found = approvals.find((a) => a.id === id);
  if (!found) {
    const pending = approvals.filter((a) => a.status === 'pending').map((a) => a.id);
    throw new OmniError(
      `no approval ${id}; ${pending.length ? `pending: ${pending.join(', ')}` : 'nothing is pending'}`,
      'not_found',
      ExitCode.notFound,
      { pending },
    );
  }
  if (found.status !== 'pending') {
    process.stdout.write(describeResolution(found) + '\n');
    return ExitCode.ok;
  }
  preferProductionReact();
  const [{ render }, React, { ApprovalPopup }] = await Promise.all([import('ink'), import('react'), import('../../tui/approvals/popup.js')]);
  const abort = new AbortController();
  // The daemon opened this popup with a one-time nonce; without it an answer from under omni's tmux server is refused.
  const store = new ApprovalsStore({ actions: actionsFor(c, 'popup', process.env.OMNI_POPUP_NONCE), filter: (a) => a.id === id });
  const following = store.follow((signal) => c.approvalsStream(signal), abort.signal);
  const app = render(React.createElement(ApprovalPopup, { store, id }));
  try {
    await app.waitUntilExit();
  } finally {
    abort.abort();
    store.dispose();
    await following.catch(() => undefined);
  }
  return ExitCode.ok;
}

/** The store's actions, answering through the daemon as `via`. */
export function actionsFor(c: OmniClient, via: ApprovalVia, nonce?: string) {
  return {
    approve: (id: string, scope: 'once' | 'session') => c.approve(id, { scope, via, ...(nonce ? { nonce } : {}) }),
    deny: (id: string, reason?: string) => c.deny(id, { reason, via, ...(nonce ? { nonce } : {}) }),
  };
}
