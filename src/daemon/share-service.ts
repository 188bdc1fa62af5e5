import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { NewEvent } from '../core/events.js';
import { OmniError } from '../core/errors.js';
import type { SessionRecord } from '../core/session.js';
import { addArgv, closeFor, dirsToOpen, openFor, type AclRunner } from './share-acl.js';
import type { PeerCred } from './share-cred.js';
import { maxRole, SHARE_ROLES, type ShareRole } from './share-roles.js';
import type { Grant, ShareStore } from './share-store.js';

/** A guest connection: who the kernel says connected (share-cred.ts). */
export interface Guest {
  user: string;
  uid: number;
  pid: number;
}

export type TmuxRun = (args: string[]) => Promise<{ exitCode: number; stdout: string; stderr: string }>;

export interface ShareServiceDeps {
  store: ShareStore;
  /** The guests' socket (paths.shareSocket) and omni's tmux socket. */
  shareSocket: string;
  tmuxSocket: string;
  /** The daemon's own uid: a peer with it is the owner. */
  ownerUid: number;
  emit: (rec: SessionRecord, ev: NewEvent) => void;
  tmux: TmuxRun;
  acl: AclRunner;
  cred: (socket: net.Socket) => Promise<PeerCred>;
  /** Hands an admitted connection to the control API's HTTP server. */
  serve: (socket: net.Socket) => void;
  /** A Unix user's uid (NSS: `id -u`); undefined when there is no such user. */
  uidOf?: (user: string) => Promise<number | undefined>;
  log: (msg: string) => void;
}

const uidOfUser = (user: string) =>
  new Promise<number | undefined>((resolve) => execFile('id', ['-u', '--', user], (err, out) => resolve(err ? undefined : Number(String(out).trim()))));

/**
 * Sharing sessions with other Unix users (docs/COLLABORATION.md): the grants, the guests'
 * socket (listened on only while a grant exists, so the owner's socket and path never change),
 * who each guest connection is, the ACLs and tmux's `server-access` that match the grants, and
 * cutting a guest off when a grant goes.
 */
export class ShareService {
  private listener: net.Server | undefined;
  private readonly guests = new WeakMap<net.Socket, Guest>();
  private readonly open = new Map<number, Set<net.Socket>>();

  constructor(private readonly deps: ShareServiceDeps) {}

  /** The guest behind this connection; undefined for the owner (the fast path: one lookup). */
  guestOf(socket: net.Socket): Guest | undefined {
    return this.guests.get(socket);
  }

  grants(): Grant[] {
    return this.deps.store.all();
  }

  /** After a start (grants from disk) and whenever omni's tmux server may be new: listener, ACLs, server-access. */
  async sync(): Promise<void> {
    const grants = this.deps.store.all();
    if (!grants.length) return;
    await this.listen();
    for (const user of new Set(grants.map((g) => g.user))) await this.openUser(user).catch((err) => this.deps.log(`share: ${user}: ${(err as Error).message}`));
  }

  async grant(rec: SessionRecord, user: string, role: ShareRole): Promise<{ grant: Grant; previous?: ShareRole }> {
    if (!SHARE_ROLES.includes(role)) throw new OmniError(`role is one of ${SHARE_ROLES.join(', ')}`, 'bad_request');
    if (!/^[a-z_][a-z0-9_.-]*\$?$/i.test(user)) throw new OmniError(`not a Unix user name: ${JSON.stringify(user)}`, 'bad_request');
    const uid = await (this.deps.uidOf ?? uidOfUser)(user);
    if (uid === undefined || !Number.isInteger(uid)) throw new OmniError(`no Unix user ${user} on this machine`, 'not_found');
    if (uid === this.deps.ownerUid) throw new OmniError(`${user} is you: the owner already has every right`, 'bad_request');
    if (uid === 0) throw new OmniError('root reads everything of yours already; a grant would change nothing', 'bad_request');
    const grant: Grant = { session: rec.id, user, uid, role, at: new Date().toISOString() };
    const prev = this.deps.store.put(grant);
    this.deps.emit(rec, { type: 'share.granted', data: { user, uid, role, ...(prev ? { previous: prev.role } : {}) } });
    await this.listen();
    await this.openUser(user);
    // A lower role than before: what the guest holds open may exceed it now.
    if (prev && prev.role !== role) await this.cutOff(uid, rec);
    return { grant, ...(prev ? { previous: prev.role } : {}) };
  }

  async revoke(rec: SessionRecord, user: string): Promise<Grant> {
    const g = this.deps.store.all().find((x) => x.session === rec.id && x.user === user);
    if (!g) throw new OmniError(`${user} has no grant on session ${rec.name}`, 'not_found');
    this.deps.store.remove(rec.id, g.uid);
    this.deps.emit(rec, { type: 'share.revoked', data: { user, uid: g.uid, role: g.role } });
    await this.cutOff(g.uid, rec);
    if (!this.deps.store.forUid(g.uid).length) await this.closeUser(g.user, g.uid);
    else await this.openUser(user);
    if (!this.deps.store.all().length) this.stopListening();
    return g;
  }

  /** Ends the guest's open connections (streams end at once) and detaches its tmux clients on that session. */
  private async cutOff(uid: number, rec: SessionRecord): Promise<void> {
    for (const s of this.open.get(uid) ?? []) s.destroy();
    this.open.delete(uid);
    const others = this.deps.store.forUid(uid).length > 0;
    const r = await this.deps.tmux(['list-clients', '-F', '#{client_uid}\t#{client_name}\t#{session_name}']);
    if (r.exitCode !== 0) return;
    for (const line of r.stdout.split('\n').filter(Boolean)) {
      const [cuid, name, session] = line.split('\t');
      if (Number(cuid) !== uid) continue;
      if (others && session !== rec.tmuxSession) continue;
      await this.deps.tmux(['detach-client', '-t', name!]);
    }
  }

  /**
   * ACL entries and tmux access for `user`, at the highest role it holds on any session. A
   * watch guest gets no tmux access at all (tmux's ACL is per server and does not hold a
   * control-mode client read-only): its `omni watch` is drawn from the daemon's screen route.
   */
  private async openUser(user: string): Promise<void> {
    const mine = this.deps.store.all().filter((g) => g.user === user);
    if (!mine.length) return;
    const role = mine.map((g) => g.role).reduce(maxRole);
    const uid = mine[0]!.uid;
    const tmux = role !== 'watch';
    const added = new Set(this.deps.store.dirs(user));
    const dirs = new Set([...dirsToOpen(path.dirname(this.deps.shareSocket), uid), ...(tmux ? dirsToOpen(path.dirname(this.deps.tmuxSocket), uid) : [])]);
    for (const d of dirs) {
      // Ours already: set again, as a chmod (the daemon's start makes run/ 0700) empties the ACL mask.
      if (added.has(d)) await this.deps.acl(addArgv(user, 'x', d));
      else if (await openFor(this.deps.acl, user, 'x', d)) added.add(d);
    }
    this.deps.store.setDirs(user, [...added]);
    if (fs.existsSync(this.deps.shareSocket)) await openFor(this.deps.acl, user, 'rw', this.deps.shareSocket);
    if (!tmux) return this.closeTmux(user, uid);
    if (fs.existsSync(this.deps.tmuxSocket)) await openFor(this.deps.acl, user, 'rw', this.deps.tmuxSocket);
    // tmux's own ACL (server-access, tmux ≥ 3.3), read-write. No server yet: done at its start (sync).
    await this.deps.tmux(['server-access', '-a', user]); // fails when already listed: -w below still applies
    await this.deps.tmux(['server-access', '-w', user]);
  }

  /** No tmux access for `user` (a watch guest, or no grant left): server-access, the socket's ACL, its clients. */
  private async closeTmux(user: string, uid: number): Promise<void> {
    await this.deps.tmux(['server-access', '-d', user]);
    // server-access -d keeps clients already attached: detach every one of the user's.
    await this.detachAll(uid);
    await closeFor(this.deps.acl, user, this.deps.tmuxSocket);
  }

  private async detachAll(uid: number): Promise<void> {
    const r = await this.deps.tmux(['list-clients', '-F', '#{client_uid}\t#{client_name}']);
    if (r.exitCode !== 0) return;
    for (const line of r.stdout.split('\n').filter(Boolean)) {
      const [cuid, name] = line.split('\t');
      if (Number(cuid) === uid) await this.deps.tmux(['detach-client', '-t', name!]);
    }
  }

  private async closeUser(user: string, uid: number): Promise<void> {
    for (const s of this.open.get(uid) ?? []) s.destroy();
    this.open.delete(uid);
    await this.closeTmux(user, uid);
    await closeFor(this.deps.acl, user, this.deps.shareSocket);
    for (const d of this.deps.store.dirs(user)) await closeFor(this.deps.acl, user, d);
    this.deps.store.setDirs(user, []);
  }

  private async listen(): Promise<void> {
    if (this.listener) return;
    const sock = this.deps.shareSocket;
    fs.mkdirSync(path.dirname(sock), { recursive: true, mode: 0o700 });
    fs.rmSync(sock, { force: true });
    const server = net.createServer({ pauseOnConnect: true }, (s) => void this.admit(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(sock, () => resolve());
    });
    fs.chmodSync(sock, 0o600);
    this.listener = server;
  }

  /** Stops the guests' socket (no grant left). */
  stopListening(): void {
    this.listener?.close();
    this.listener = undefined;
    fs.rmSync(this.deps.shareSocket, { force: true });
  }

  /** A connection on the guests' socket: the kernel's word on who it is, then served or closed. */
  private async admit(s: net.Socket): Promise<void> {
    let cred: PeerCred;
    try {
      cred = await this.deps.cred(s);
    } catch (err) {
      this.deps.log(`share: connection refused: ${(err as Error).message}`);
      s.destroy();
      return;
    }
    if (cred.uid !== this.deps.ownerUid) {
      const mine = this.deps.store.forUid(cred.uid);
      if (!mine.length) {
        this.deps.log(`share: uid ${cred.uid} (pid ${cred.pid}) has no grant; connection closed`);
        s.end('HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{"error":{"code":"forbidden","message":"no session is shared with you here"}}\n');
        return;
      }
      this.guests.set(s, { user: mine[0]!.user, uid: cred.uid, pid: cred.pid });
      const set = this.open.get(cred.uid) ?? new Set<net.Socket>();
      set.add(s);
      this.open.set(cred.uid, set);
      s.once('close', () => set.delete(s));
    }
    this.deps.serve(s);
    s.resume();
  }
}
