import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Approval, ApprovalStreamItem } from '../../src/approvals/types.js';
import type { OmniClient } from '../../src/client/api.js';
import { askHosts, failureLine, viewHosts, type ViewHost } from '../../src/client/all-hosts.js';
import { HostApprovals } from '../../src/client/host-approvals.js';
import { allHostsJson, hostLists } from '../../src/cli/commands/ls-hosts.js';
import { lsTable } from '../../src/cli/commands/ls-table.js';
import { combineStatus, fetchAllHosts, statusCacheFile } from '../../src/cli/commands/status-line-hosts.js';
import { formatStatusLine } from '../../src/cli/commands/status-line.js';
import { formatApprovalsTable } from '../../src/cli/commands/approvals.js';
import { resolvePaths } from '../../src/core/paths.js';
import type { SessionRecord } from '../../src/core/session.js';
import { ApprovalsStore } from '../../src/tui/approvals/store.js';

const session = (id: string, name: string, extra: Partial<SessionRecord> = {}): SessionRecord =>
  ({ id, name, harness: 'claude', status: 'idle', cwd: '/w', createdAt: new Date(Date.now() - 60_000).toISOString(), ...extra }) as SessionRecord;

const approval = (id: string, sessionName: string, createdAt = '2026-01-01T00:00:00Z'): Approval =>
  ({ id, session: `s_${sessionName}`, sessionName, harness: 'claude', phase: 'pre_tool', policies: ['asker'], reason: 'why', request: { command: `touch ${id}` }, status: 'pending', createdAt }) as unknown as Approval;

/** A client whose approvals stream is driven by the test: push items, or fail it. */
function fakeClient(init: Partial<Record<'sessions' | 'approvals' | 'request', (...a: never[]) => Promise<unknown>>> = {}) {
  const answered: Array<[string, string]> = [];
  let opened = 0;
  let lastSignal: AbortSignal | undefined;
  let feed: { push(i: ApprovalStreamItem): void; fail(e: Error): void } | undefined;
  const client = {
    ...init,
    approve: async (id: string) => (answered.push(['approve', id]), { approval: {} }),
    deny: async (id: string) => (answered.push(['deny', id]), { approval: {} }),
    approvalsStream(signal: AbortSignal): AsyncGenerator<ApprovalStreamItem> {
      opened++;
      lastSignal = signal;
      const items: ApprovalStreamItem[] = [];
      let error: Error | undefined;
      let wake: (() => void) | undefined;
      feed = { push: (i) => (items.push(i), wake?.()), fail: (e) => ((error = e), wake?.()) };
      signal.addEventListener('abort', () => wake?.());
      return (async function* () {
        while (!signal.aborted) {
          const i = items.shift();
          if (i) yield i;
          else if (error) throw error;
          else await new Promise<void>((r) => (wake = r));
        }
      })();
    },
  };
  return { client: client as unknown as OmniClient, answered, feed: () => feed!, opened: () => opened, signal: () => lastSignal };
}

const tick = () => new Promise((r) => setTimeout(r, 20));

describe('asking every host', () => {
  it('keeps the answers of the hosts that answered, and one failure per host that did not (an error, a timeout, no client)', async () => {
    const ok = fakeClient({ sessions: async () => ({ sessions: [session('s_1', 'near')] }) }).client;
    const remote = fakeClient({ sessions: async () => ({ sessions: [session('s_2', 'far')] }) }).client;
    const broken = fakeClient({ sessions: async () => Promise.reject(new Error('connect ECONNREFUSED /x/omni.sock')) }).client;
    const hung = fakeClient({ sessions: () => new Promise(() => {}) }).client;
    const hosts: ViewHost[] = [
      { host: 'local', client: ok },
      { host: 'devbox', client: remote },
      { host: 'broken', client: broken },
      { host: 'slow', client: hung },
      { host: 'odd', error: 'host odd: bogus:// hosts are not implemented yet' },
    ];
    const t = Date.now();
    const r = await askHosts(hosts, async (c) => (await c.sessions()).sessions, 200);
    expect(Date.now() - t).toBeLessThan(2000);
    expect(r.results.map((x) => [x.host, x.value.map((s) => s.name)])).toEqual([
      ['local', ['near']],
      ['devbox', ['far']],
    ]);
    expect(r.failures.map(failureLine)).toEqual([
      'broken: unreachable: connect ECONNREFUSED /x/omni.sock',
      'slow: unreachable: no answer within 200 ms',
      'odd: unreachable: host odd: bogus:// hosts are not implemented yet',
    ]);
  });

  it('reads hosts.json: local first, a host this omni cannot make a client for carries why', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'omah-'));
    const paths = resolvePaths({ OMNI_HOME: home });
    fs.mkdirSync(paths.configDir, { recursive: true });
    fs.writeFileSync(path.join(paths.configDir, 'hosts.json'), JSON.stringify({ hosts: [{ name: 'sock', url: 'unix:///tmp/x/omni.sock' }, { name: 'odd', url: 'bogus://x' }] }));
    const local = fakeClient().client;
    const hosts = await viewHosts(paths, local);
    expect(hosts.map((h) => [h.host, Boolean(h.client), h.client === local])).toEqual([
      ['local', true, true],
      ['sock', true, false],
      ['odd', false, false],
    ]);
    expect(hosts[1]!.client!.paths.socket).toBe('/tmp/x/omni.sock');
    expect(hosts[2]!.error).toMatch(/odd/);
    // A hosts.json that cannot be read does not take the local view down with it.
    fs.writeFileSync(path.join(paths.configDir, 'hosts.json'), '{"hosts": [');
    const broken = await viewHosts(paths, local);
    expect(broken.map((h) => [h.host, Boolean(h.client)])).toEqual([
      ['local', true],
      ['hosts.json', false],
    ]);
    expect(broken[1]!.error).toMatch(/JSON/);
    fs.rmSync(home, { recursive: true, force: true });
  });
});

describe('omni ls --all-hosts', () => {
  it('puts a HOST column first and a host on every JSON row (trees stay within their host)', () => {
    const lists = hostLists(
      [
        { host: 'local', value: [session('s_a', 'lead', { cost: { computedUsd: 1, messages: 1 } as never }), session('s_b', 'kid', { parent: 's_a', cost: { computedUsd: 0.5, messages: 1 } as never })] },
        { host: 'devbox', value: [session('s_c', 'far')] },
      ],
      { tree: true },
    );
    const json = allHostsJson(lists, true) as Array<{ host: string; name: string; children: Array<{ host: string; name: string }>; treeCost?: { usd: number } }>;
    expect(json.map((r) => [r.host, r.name, r.children.map((c) => `${c.host}:${c.name}`), r.treeCost?.usd])).toEqual([
      ['local', 'lead', ['local:kid'], 1.5],
      ['devbox', 'far', [], undefined],
    ]);
    const flat = allHostsJson(hostLists([{ host: 'devbox', value: [session('s_c', 'far')] }], {}), false) as Array<{ host: string; id: string }>;
    expect(flat).toEqual([expect.objectContaining({ host: 'devbox', id: 's_c', tags: [] })]);

    const text = lsTable([session('s_a', 'near'), session('s_c', 'far')], { width: 200, hosts: ['local', 'devbox'] });
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^HOST\s+ID\s+NAME\s+HARNESS\s+STATUS/);
    expect(lines[1]).toMatch(/^local\s+s_a\s+near\s/);
    expect(lines[2]).toMatch(/^devbox\s+s_c\s+far\s/);
    // Without hosts the table is as it always was.
    expect(lsTable([session('s_a', 'near')], { width: 200 }).split('\n')[0]).toMatch(/^ID\s+NAME/);
  });
});

describe('approvals across hosts', () => {
  it('merges the hosts\' streams into one list with hosts, drops a host that fails until it answers again, and answers through the right host', async () => {
    const local = fakeClient();
    const remote = fakeClient();
    const downs: Array<[string, string | undefined]> = [];
    const merged = new HostApprovals(
      [
        { host: 'local', client: local.client },
        { host: 'devbox', client: remote.client },
        { host: 'odd', error: 'bogus:// hosts are not implemented yet' },
      ],
      { retryMs: 30, onHost: (h, e) => (downs.push([h, e]), store.setHostError(h, e)) },
    );
    const store = new ApprovalsStore({ actions: merged.actions('tui') });
    const abort = new AbortController();
    const following = store.follow((s) => merged.open(s), abort.signal, 10);
    await tick();
    local.feed().push({ type: 'snapshot', approvals: [approval('ap_l', 'near', '2026-01-01T00:00:01Z')] });
    remote.feed().push({ type: 'snapshot', approvals: [approval('ap_r', 'far', '2026-01-01T00:00:00Z')] });
    await tick();
    expect(store.getSnapshot().pending.map((a) => [a.host, a.id])).toEqual([
      ['devbox', 'ap_r'],
      ['local', 'ap_l'],
    ]);
    expect(store.getSnapshot().hostErrors).toEqual([{ host: 'odd', error: 'bogus:// hosts are not implemented yet' }]);
    remote.feed().push({ type: 'requested', approval: approval('ap_r2', 'far', '2026-01-01T00:00:02Z') });
    await tick();
    expect(store.getSnapshot().pending.map((a) => a.id)).toEqual(['ap_r', 'ap_l', 'ap_r2']);

    // Answers go to the approval's own daemon.
    await store.approve('ap_r', 'once');
    await store.deny('ap_l', 'no');
    expect(remote.answered).toEqual([['approve', 'ap_r']]);
    expect(local.answered).toEqual([['deny', 'ap_l']]);
    expect(store.getSnapshot().message?.text).toBe('denied ap_l (near): no');
    // As the daemons do: each says the ask it was answered is resolved.
    local.feed().push({ type: 'resolved', approval: { ...approval('ap_l', 'near'), status: 'denied' } as Approval });
    remote.feed().push({ type: 'resolved', approval: { ...approval('ap_r', 'far'), status: 'approved' } as Approval });
    await tick();
    expect(store.getSnapshot().pending.map((a) => a.id)).toEqual(['ap_r2']);

    // devbox drops: its asks leave the list, it is marked, and it is reopened on its own.
    remote.feed().fail(new Error('connection reset'));
    await tick();
    expect(store.getSnapshot().pending.map((a) => a.id)).toEqual([]);
    expect(store.getSnapshot().hostErrors).toContainEqual({ host: 'devbox', error: 'connection reset' });
    await until(() => remote.opened() === 2);
    remote.feed().push({ type: 'snapshot', approvals: [approval('ap_r2', 'far')] });
    await tick();
    expect(store.getSnapshot().pending.map((a) => `${a.host}/${a.id}`)).toEqual(['devbox/ap_r2']);
    expect(store.getSnapshot().hostErrors.map((h) => h.host)).toEqual(['odd']);
    expect(local.opened()).toBe(1); // the local stream was never disturbed
    expect(downs.filter(([h]) => h === 'devbox').map(([, e]) => e)).toEqual([undefined, 'connection reset', undefined]);
    abort.abort();
    store.dispose();
    await following;
  });

  it("closes every host's stream when its reader stops, though the view's own signal did not abort", async () => {
    const a = fakeClient();
    const b = fakeClient();
    const merged = new HostApprovals([
      { host: 'local', client: a.client },
      { host: 'devbox', client: b.client },
    ]);
    const outer = new AbortController();
    const it = merged.open(outer.signal);
    const first = it.next();
    await tick();
    a.feed().push({ type: 'snapshot', approvals: [] });
    expect((await first).value).toEqual({ type: 'snapshot', approvals: [] });
    await it.return(undefined);
    expect([a.signal()?.aborted, b.signal()?.aborted, outer.signal.aborted]).toEqual([true, true, false]);
  });

  it('lists with a HOST column', () => {
    const text = formatApprovalsTable([{ ...approval('ap_r', 'far'), host: 'devbox' }], Date.parse('2026-01-01T00:01:00Z'), false, true);
    expect(text.split('\n')[0]).toMatch(/^HOST\s+ID\s+SESSION/);
    expect(text.split('\n')[1]).toMatch(/^devbox\s+ap_r\s+far\s/);
  });
});

describe('omni status-line across hosts', () => {
  it('adds up the hosts that answered, says whose asks they are and which host is off', () => {
    const d = combineStatus([
      { host: 'local', running: true, asks: 1, sessions: 2, waiting: 1, spendUsd: 1.25 },
      { host: 'devbox', running: true, asks: 2, sessions: 1, waiting: 0, spendUsd: 0.5 },
      { host: 'dead', running: false, error: 'no answer within 1500 ms' },
    ]);
    expect(d).toMatchObject({ running: true, asks: 3, sessions: 3, waiting: 1, spendUsd: 1.75 });
    expect(formatStatusLine(d)).toBe('omni ⚠ 3 asks (devbox 2) · 3 sessions (1 waiting) · $1.75 · dead error');
    // The local daemon off, a host up: the host's figures, and local marked off.
    const remoteOnly = combineStatus([
      { host: 'local', running: false },
      { host: 'devbox', running: true, asks: 0, sessions: 1, waiting: 0 },
    ]);
    expect(formatStatusLine(remoteOnly)).toBe('omni 1 session · local off');
    // Nothing answered: as without hosts.
    expect(formatStatusLine(combineStatus([{ host: 'local', running: false }, { host: 'devbox', running: false }]))).toBe('omni: off');
  });

  it('asks a remote host at most once per cache period, and always the local daemon', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'omsl-'));
    const paths = resolvePaths({ OMNI_HOME: home });
    let localAsked = 0;
    let remoteAsked = 0;
    const answer = (count: () => void) => async (p: string) => (count(), p.startsWith('/v1/approvals') ? { approvals: [approval('ap_x', 'far')] } : { sessions: [session('s_1', 'far')] });
    const hosts: ViewHost[] = [
      { host: 'local', client: fakeClient({ request: answer(() => localAsked++) as never }).client },
      { host: 'devbox', client: fakeClient({ request: answer(() => remoteAsked++) as never }).client },
    ];
    // A cache file that is not JSON is no cache (a status line never fails for it).
    fs.mkdirSync(paths.runDir, { recursive: true });
    fs.writeFileSync(statusCacheFile(paths), '{"devbox": {"at": 99');
    const first = await fetchAllHosts(hosts, paths, { timeoutMs: 500, now: 1_000_000 });
    const second = await fetchAllHosts(hosts, paths, { timeoutMs: 500, now: 1_005_000 });
    const third = await fetchAllHosts(hosts, paths, { timeoutMs: 500, now: 1_011_000 });
    expect([localAsked, remoteAsked]).toEqual([6, 4]); // two requests per ask: approvals and sessions
    for (const d of [first, second, third]) expect(d).toMatchObject({ asks: 2, sessions: 2 });
    expect(Object.keys(JSON.parse(fs.readFileSync(statusCacheFile(paths), 'utf8')) as object)).toEqual(['devbox']);
    fs.rmSync(home, { recursive: true, force: true });
  });
});

async function until(ok: () => boolean, ms = 2000): Promise<void> {
  for (const end = Date.now() + ms; !ok(); ) {
    if (Date.now() > end) throw new Error('timed out');
    await tick();
  }
}
