import os from 'node:os';
import { OmniError } from '../../core/errors.js';
import { ownerShareSocket } from '../../core/paths.js';
import { client } from '../context.js';
import { printJson } from '../json-output.js';

interface GrantView {
  session: string;
  sessionName?: string;
  user: string;
  uid: number;
  role: string;
  at: string;
}

const ROLES = ['watch', 'drive', 'approve'];

/** `omni share SESSION --user U --role R`: give a Unix user of this machine a role on one session. */
export async function shareCommand(ref: string | undefined, opts: { user?: string; role?: string; json?: boolean }): Promise<number> {
  if (!ref) return shareLsCommand(opts);
  if (!opts.user) throw new OmniError('say who: omni share SESSION --user NAME --role watch|drive|approve', 'bad_request');
  const role = opts.role ?? 'watch';
  if (!ROLES.includes(role)) throw new OmniError(`--role is one of ${ROLES.join(', ')}`, 'bad_request');
  const r = await (await client()).request<{ grant: GrantView; previous?: string; sessionName: string; socket: string }>('/v1/shares', { body: { session: ref, user: opts.user, role } });
  if (opts.json) {
    printJson(r);
    return 0;
  }
  const how = reach(r.socket, r.sessionName);
  process.stdout.write(
    `shared ${r.sessionName} (${r.grant.session}) with ${r.grant.user}: ${role}${r.previous ? ` (was ${r.previous})` : ''}\n` +
      `${r.grant.user} reaches it with:\n${how.map((l) => `  ${l}`).join('\n')}\n`,
  );
  return 0;
}

/** The lines a guest types: the socket always; `--owner` when the daemon is at the default location. */
function reach(socket: string, name: string): string[] {
  const verb = 'omni watch';
  const lines = [`OMNI_SOCKET=${socket} ${verb} ${name}     (or: omni --socket ${socket} …)`];
  if (ownerShareSocket(os.homedir()) === socket) lines.push(`omni --owner ${os.userInfo().username} ${verb} ${name}`);
  return lines;
}

export async function shareLsCommand(opts: { json?: boolean }): Promise<number> {
  const r = await (await client()).request<{ socket: string; grants: GrantView[] }>('/v1/shares');
  if (opts.json) {
    printJson(r);
    return 0;
  }
  if (!r.grants.length) {
    process.stdout.write('no session is shared (omni share SESSION --user NAME --role watch|drive|approve)\n');
    return 0;
  }
  const rows = [['SESSION', 'USER', 'ROLE', 'SINCE'], ...r.grants.map((g) => [g.sessionName ?? g.session, g.user, g.role, g.at.slice(0, 16).replace('T', ' ')])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) process.stdout.write(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd() + '\n');
  process.stdout.write(`guests connect to ${r.socket}\n`);
  return 0;
}

export async function shareRmCommand(ref: string, opts: { user?: string; json?: boolean }): Promise<number> {
  if (!opts.user) throw new OmniError('say whose grant: omni share rm SESSION --user NAME', 'bad_request');
  const r = await (await client()).request<{ revoked: GrantView; sessionName: string }>(`/v1/shares/${encodeURIComponent(ref)}/${encodeURIComponent(opts.user)}`, { method: 'DELETE' });
  if (opts.json) printJson(r);
  else process.stdout.write(`${r.revoked.user} no longer has ${r.revoked.role} on ${r.sessionName}; its connections and tmux clients were cut off\n`);
  return 0;
}
