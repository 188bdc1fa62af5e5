import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Approval } from '../../src/approvals/types.js';
import { OmniClient } from '../../src/client/api.js';
import { viewHosts } from '../../src/client/all-hosts.js';
import { HostApprovals } from '../../src/client/host-approvals.js';
import { resolvePaths } from '../../src/core/paths.js';
import { ApprovalsStore } from '../../src/tui/approvals/store.js';
import { HostsDashboard } from '../../src/tui/dashboard/hosts-source.js';
import { DashboardStore } from '../../src/tui/dashboard/store.js';
import { until, type TestEnv } from '../helpers/omni.js';
import { api, sendText, waitFor } from '../helpers/scripted.js';
import { startTwoHosts } from '../helpers/two-hosts.js';

/**
 * Views across hosts with two real daemons (the scripted harness, in real tmux): this machine's,
 * and a "remote" one reached as a `unix://` host of hosts.json (another OMNI_HOME's socket; an
 * ssh host goes through the same OmniClient). `omni ls --all-hosts`, `omni approvals`,
 * `omni status-line` and the approvals store, run as a user would from the local side.
 */
describe('views across hosts', () => {
  let near: TestEnv;
  let far: TestEnv;
  const hostsFile = () => path.join(near.omniHome, 'config', 'hosts.json');
  const writeHosts = (hosts: Array<{ name: string; url: string }>) => {
    fs.mkdirSync(path.dirname(hostsFile()), { recursive: true });
    fs.writeFileSync(hostsFile(), JSON.stringify({ hosts }));
  };
  const devbox = () => ({ name: 'devbox', url: `unix://${path.join(far.omniHome, 'run', 'omni.sock')}` });
  const pending = async (t: TestEnv) => (await api<{ approvals: Approval[] }>(t, 'GET', '/v1/approvals')).body.approvals;

  beforeAll(async () => {
    ({ near, far } = await startTwoHosts());
    writeHosts([devbox()]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([near?.cleanup(), far?.cleanup()]);
  });

  it('omni ls --all-hosts shows both daemons\' sessions with a HOST column, and a host on every --json row', async () => {
    const plain = await near.omni(['ls']);
    expect(plain.exitCode, String(plain.stderr)).toBe(0);
    expect(String(plain.stdout)).toMatch(/^ID\s+NAME/);
    expect(String(plain.stdout)).not.toContain('there');

    const r = await near.omni(['ls', '--all-hosts', '--wide']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stderr)).toBe('');
    const lines = String(r.stdout).split('\n');
    expect(lines[0]).toMatch(/^HOST\s+ID\s+NAME\s+HARNESS/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 3).filter((_, i) => i !== 1))).toEqual([
      ['local', 'here'],
      ['devbox', 'there'],
    ]);

    const json = await near.omniJson<Array<{ host: string; name: string; id: string }>>(['ls', '--all-hosts']);
    expect(json.map((s) => [s.host, s.name])).toEqual([
      ['local', 'here'],
      ['devbox', 'there'],
    ]);
    // The program option works the other way round too: aimed at devbox alone.
    const far1 = await near.omniJson<Array<{ name: string }>>(['--host', 'devbox', 'ls']);
    expect(far1.map((s) => s.name)).toEqual(['there']);
  });

  it('an ask pending on devbox shows in omni approvals and status-line with its host, and is answered there from here', async () => {
    await sendText(far, 'there', 'tool: touch far.txt');
    await until(async () => (await pending(far)).length === 1, 10_000, 'the ask on devbox');
    const [ask] = await pending(far);

    const list = await near.omniJson<Approval[]>(['approvals']);
    expect(list.map((a) => [a.host, a.id, a.sessionName])).toEqual([['devbox', ask!.id, 'there']]);
    const table = await near.omni(['approvals']);
    expect(table.exitCode, String(table.stderr)).toBe(0);
    expect(String(table.stdout).split('\n')[0]).toMatch(/^HOST\s+ID\s+SESSION/);
    expect(String(table.stdout).split('\n')[1]).toMatch(new RegExp(`^devbox\\s+${ask!.id}\\s+there\\s`));

    const line = await near.omni(['status-line']);
    expect(String(line.stdout).trim()).toBe('omni ⚠ 1 ask (devbox 1) · 2 sessions (1 waiting)');
    const sl = JSON.parse(String((await near.omni(['status-line', '--json'])).stdout)) as { asks: number; hosts: Array<{ host: string; asks: number }> };
    expect(sl.asks).toBe(1);
    expect(sl.hosts.map((h) => [h.host, h.asks])).toEqual([
      ['local', 0],
      ['devbox', 1],
    ]);

    const ok = await near.omni(['approve', ask!.id, '--host', 'devbox']);
    expect(ok.exitCode, String(ok.stderr)).toBe(0);
    await waitFor(far, 'there', 'idle');
    expect(fs.existsSync(path.join(far.work, 'far.txt'))).toBe(true);
    expect(await near.omniJson<Approval[]>(['approvals'])).toEqual([]);
  });

  it("the approvals store follows devbox's asks through the hosts file and approves one on devbox", async () => {
    const paths = resolvePaths(near.env);
    const merged = new HostApprovals(await viewHosts(paths, new OmniClient(paths)));
    const store = new ApprovalsStore({ actions: merged.actions('tui') });
    const abort = new AbortController();
    const following = store.follow((s) => merged.open(s), abort.signal);
    try {
      await sendText(far, 'there', 'tool: touch store.txt');
      await until(() => store.getSnapshot().pending.length === 1, 10_000, 'the ask in the store');
      const [a] = store.getSnapshot().pending;
      expect([a!.host, a!.sessionName]).toEqual(['devbox', 'there']);
      await store.approve(a!.id, 'once');
      expect(store.getSnapshot().message).toEqual({ text: `approved ${a!.id} (devbox:there) once`, kind: 'info' });
      await until(() => fs.existsSync(path.join(far.work, 'store.txt')), 10_000, 'the approved tool call on devbox');
      const resolved = (await api<{ approvals: Approval[] }>(far, 'GET', '/v1/approvals?all=1')).body.approvals.find((x) => x.id === a!.id);
      expect(resolved?.resolution?.via).toBe('tui');
    } finally {
      abort.abort();
      store.dispose();
      await following;
    }
  });

  it('the dashboard shows both hosts\' sessions (devbox:there), sends to the remote one on devbox, and its --json carries the host', async () => {
    const snap = await near.omniJson<{ sessions: Array<{ name: string; host?: string }>; asks: unknown[] }>(['dashboard']);
    expect(snap.sessions.map((s) => [s.host ?? '', s.name])).toEqual([
      ['', 'here'],
      ['devbox', 'there'],
    ]);
    const text = await near.omni(['dashboard']);
    expect(text.exitCode, String(text.stderr)).toBe(0);
    expect(String(text.stdout)).toMatch(/devbox:there \(s_/);

    const paths = resolvePaths(near.env);
    const hosts = new HostsDashboard(await viewHosts(paths, new OmniClient(paths)), { timeoutMs: 5000 });
    const caller = { env: near.env, cwd: near.work };
    const store = new DashboardStore({ source: hosts.source(), actions: hosts.actions(caller) });
    const abort = new AbortController();
    const following = store.follow(abort.signal);
    try {
      await until(() => store.getSnapshot().rows.length === 2, 10_000, 'both rows');
      const far1 = store.getSnapshot().rows.find((r) => r.name === 'there')!;
      expect(far1.host).toBe('devbox');
      store.selectSession(far1.id);
      expect(await store.sendPrompt('tool: touch sent.txt')).toEqual([far1.id]);
      // The remote session's events arrive through the merged stream (it asks: the policy).
      await until(() => store.getSnapshot().asks.some((a) => a.host === 'devbox'), 10_000, "devbox's ask in the dashboard");
      await until(() => store.getSnapshot().rows.find((r) => r.id === far1.id)?.asks === 1, 10_000, 'the ask counted on its row');
      const [ask] = store.getSnapshot().asks;
      const ok = await near.omni(['approve', ask!.id, '--host', 'devbox']);
      expect(ok.exitCode, String(ok.stderr)).toBe(0);
      await until(() => fs.existsSync(path.join(far.work, 'sent.txt')), 10_000, 'the prompt run on devbox');
      await until(() => store.getSnapshot().asks.length === 0, 10_000, 'the ask gone from the dashboard');
    } finally {
      abort.abort();
      store.dispose();
      await following;
    }
  });

  it('a host that is down is one line on stderr (exit 4) and the others still print; status-line marks it', async () => {
    writeHosts([devbox(), { name: 'dead', url: `unix://${path.join(near.dir, 'nobody', 'omni.sock')}` }]);
    try {
      const r = await near.omni(['ls', '--all-hosts']);
      expect(r.exitCode).toBe(4);
      expect(String(r.stderr)).toBe(`dead: unreachable: the omni daemon is not running (no answer on ${path.join(near.dir, 'nobody', 'omni.sock')})`);
      expect(String(r.stdout)).toMatch(/\nlocal\s+s_\S+\s+here[^\n]*\ndevbox\s+s_\S+\s+there/);
      const j = await near.omni(['ls', '--all-hosts', '--json']);
      expect(j.exitCode).toBe(4);
      expect((JSON.parse(String(j.stdout)) as Array<{ host: string }>).map((s) => s.host)).toEqual(['local', 'devbox']);
      const a = await near.omni(['approvals', '--json']);
      expect(a.exitCode).toBe(4);
      expect(String(a.stderr)).toMatch(/^dead: unreachable: /);
      expect(JSON.parse(String(a.stdout))).toEqual([]);
      const d = await near.omni(['dashboard', '--json']);
      expect(d.exitCode).toBe(4);
      expect(String(d.stderr)).toMatch(/^dead: unreachable: [^\n]+$/);
      const dj = JSON.parse(String(d.stdout)) as { sessions: Array<{ name: string }>; hostErrors: Array<{ host: string }> };
      expect(dj.sessions.map((x) => x.name)).toEqual(['here', 'there']);
      expect(dj.hostErrors.map((h) => h.host)).toEqual(['dead']);

      // status-line asks a remote host at most every 10 s (run/status-line-hosts.json): start afresh.
      fs.rmSync(path.join(near.omniHome, 'run', 'status-line-hosts.json'), { force: true });
      const line = await near.omni(['status-line']);
      expect(String(line.stdout).trim()).toBe('omni 2 sessions · dead off');

      // A host that takes the connection and never answers costs its time limit, no more.
      const mute = path.join(near.dir, 'mute.sock');
      const server = net.createServer(() => {}).listen(mute);
      writeHosts([devbox(), { name: 'mute', url: `unix://${mute}` }]);
      try {
        const t0 = Date.now();
        const m = await near.omni(['ls', '--all-hosts', '--host-timeout', '700']);
        expect(Date.now() - t0).toBeLessThan(5000);
        expect(m.exitCode).toBe(4);
        expect(String(m.stderr)).toBe('mute: unreachable: the daemon did not answer within 700 ms');
        expect(String(m.stdout)).toMatch(/\ndevbox\s+s_\S+\s+there/);
        const t1 = Date.now();
        const sl = await near.omni(['status-line', '--timeout', '500']);
        expect(Date.now() - t1).toBeLessThan(4000);
        expect(String(sl.stdout).trim()).toBe('omni 2 sessions · mute error');
      } finally {
        server.close();
      }
    } finally {
      writeHosts([devbox()]);
    }
  });
});
