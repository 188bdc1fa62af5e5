import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SessionRecord } from '../../src/core/session.js';
import { lsTable, attachedText } from '../../src/cli/commands/ls-table.js';
import { Chalk } from 'chalk';
import { formatEvent } from '../../src/cli/output.js';
import type { OmniEvent } from '../../src/core/events.js';
import { forkName } from '../../src/daemon/fork.js';
import { builtinHarnesses } from '../../src/harnesses/index.js';
import type { LaunchContext } from '../../src/harnesses/types.js';
import { createTmuxRunner } from '../../src/tmux/runner.js';
import { Tmux } from '../../src/tmux/tmux.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function ctx(over: Partial<LaunchContext> = {}): LaunchContext {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fork-launch-'));
  dirs.push(dir);
  const sessionDir = path.join(dir, 'state', 's_new');
  fs.mkdirSync(sessionDir, { recursive: true });
  return {
    session: { id: 's_new', name: 'try-b', cwd: dir, model: undefined },
    sessionDir,
    env: { HOME: path.join(dir, 'home') },
    binary: { path: '/bin/harness' },
    extraArgs: ['--extra'],
    hooks: { command: (event, mode) => `hook ${event} ${mode}` },
    agentSocket: '/tmp/o/run/agent/s_new.sock',
    hookClient: { node: '/usr/bin/node', omniJs: '/opt/omni/bin/omni.js', omniHome: '/tmp/o' },
    ...over,
  };
}

const registry = builtinHarnesses();
const SID = '0a1b2c3d-0000-4000-8000-00000000abcd';

describe("omni fork: each harness's own fork, built by its adapter", () => {
  it('Claude Code: --resume <id> --fork-session (a new session id, the same history)', async () => {
    const spec = await registry.get('claude').prepareLaunch(ctx({ fork: { harnessSessionId: SID, sourceSessionDir: '/nowhere' } }));
    const i = spec.args.indexOf('--resume');
    expect(spec.args.slice(i, i + 3)).toEqual(['--resume', SID, '--fork-session']);
    expect(spec.args.at(-1)).toBe('--extra');
  });

  it('Codex: `codex fork <id> -C <cwd>` with the same -c overrides as a start', async () => {
    const c = ctx();
    const fork = await registry.get('codex').prepareLaunch({ ...c, fork: { harnessSessionId: SID, sourceSessionDir: '/nowhere' } });
    const start = await registry.get('codex').prepareLaunch(c);
    expect(fork.args.slice(0, 4)).toEqual(['fork', SID, '-C', c.session.cwd]);
    expect(fork.args.slice(4)).toEqual(start.args);
  });

  it("Pi: --fork <the source's session file>, as the source's extension recorded it", async () => {
    const c = ctx();
    const sourceDir = path.join(path.dirname(c.sessionDir), 's_old');
    fs.mkdirSync(sourceDir);
    const file = `/home/u/.pi/agent/sessions/--w--/2026-11-21T21-42-25-419Z_${SID}.jsonl`;
    fs.writeFileSync(path.join(sourceDir, 'pi-session.json'), JSON.stringify({ sessionId: SID, sessionFile: file }));
    const spec = await registry.get('pi').prepareLaunch({ ...c, fork: { harnessSessionId: SID, sourceSessionDir: sourceDir } });
    expect(spec.args.slice(2, 4)).toEqual(['--fork', file]);
    // Without a record Pi is handed the id (it finds the file by prefix).
    const bare = await registry.get('pi').prepareLaunch(ctx({ fork: { harnessSessionId: SID, sourceSessionDir: '/nowhere' } }));
    expect(bare.args.slice(2, 4)).toEqual(['--fork', SID]);
  });

  it('the capability row says who forks: Claude, Codex and Pi do; the others say they cannot', () => {
    const forks = registry.all().filter((h) => h.capabilities.fork).map((h) => h.name).sort();
    expect(forks).toEqual(['claude', 'codex', 'pi']);
  });

  it("docs/harnesses/README.md's fork table says what the adapters declare", () => {
    const doc = fs.readFileSync(path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'docs', 'harnesses', 'README.md'), 'utf8');
    const rows = doc.slice(doc.indexOf('<!-- fork-row -->')).split('\n').filter((l) => /^\| [a-z]+ \| (✓|—) \|/.test(l));
    const table = Object.fromEntries(rows.map((l) => [l.split('|')[1]!.trim(), l.split('|')[2]!.trim() === '✓']));
    expect(table).toEqual(Object.fromEntries(registry.all().map((h) => [h.name, h.capabilities.fork])));
  });

  it('omni events shows where a fork came from, and in the source where it went', () => {
    const line = (type: string, data: unknown) => formatEvent({ seq: 2, ts: '2026-11-21T20:45:39.374Z', session: 's_x', type, data } as OmniEvent, new Chalk({ level: 0 }));
    expect(line('session.forked', { from: 's_src', fromName: 'api', harnessSessionId: SID })).toBe(`20:45:39 #2 forked from api (s_src, harness session ${SID})`);
    expect(line('session.fork', { to: 's_new', toName: 'api-fork' })).toBe('20:45:39 #2 forked into api-fork (s_new)');
  });

  it('names a fork <source>-fork, then -fork-2, … past names already used', () => {
    const s = (name: string) => ({ name }) as SessionRecord;
    expect(forkName([s('api')], 'api')).toBe('api-fork');
    expect(forkName([s('api'), s('api-fork')], 'api')).toBe('api-fork-2');
    expect(forkName([s('api'), s('api-fork'), s('api-fork-2')], 'api')).toBe('api-fork-3');
  });
});

describe('omni watch: a read-only tmux client', () => {
  const tmux = new Tmux({ runner: createTmuxRunner({ socketPath: '/tmp/s', configPath: '/tmp/c' }), socketPath: '/tmp/s', configPath: '/tmp/c' });
  it('attaches with -r; attach stays read-write', () => {
    expect(tmux.attachArgs('s_1', { insideTmux: false, readOnly: true }).args).toEqual(['-S', '/tmp/s', '-f', '/tmp/c', 'attach-session', '-r', '-t', '=s_1']);
    expect(tmux.attachArgs('s_1', { insideTmux: true }).args).not.toContain('-r');
  });
});

describe('omni ls: who is attached, and forks under their source', () => {
  const rec = (over: Partial<SessionRecord>): SessionRecord => ({
    id: 's_abcd2345',
    name: 'api-refactor',
    harness: 'claude',
    cwd: '/home/someone/src/github.com/acme/a-rather-long-repository-name',
    status: 'running',
    createdAt: new Date(Date.now() - 3_600_000).toISOString(),
    updatedAt: new Date().toISOString(),
    tmuxSession: 's_abcd2345',
    command: [],
    lastSeq: 0,
    ...over,
  });

  it('counts attached terminals and those only watching', () => {
    expect(attachedText(rec({}))).toBe('');
    expect(attachedText(rec({ clients: [{ user: 'me', mode: 'drive', tty: '/dev/pts/1' }] }))).toBe('1');
    expect(attachedText(rec({ clients: [{ user: 'me', mode: 'drive', tty: '/dev/pts/1' }, { user: 'me', mode: 'watch', tty: '/dev/pts/2' }] }))).toBe('2 (1 watching)');
  });

  it('an ATTACHED column only when someone is, and the table still fits 80 columns', () => {
    expect(lsTable([rec({})], { width: 80 })).not.toContain('ATTACHED');
    const out = lsTable(
      [
        rec({ status: 'waiting', statusReason: 'approval ap_fc9d1e2a3b: policy asks', clients: [{ user: 'me', mode: 'drive', tty: '/dev/pts/1' }, { user: 'me', mode: 'watch', tty: '/dev/pts/2' }] }),
        rec({ id: 's_wxyz6789', name: 'docs', harness: 'codex', sandbox: true, cwd: '/tmp/x' }),
      ],
      { width: 80 },
    );
    const lines = out.split('\n');
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    expect(lines[0]).toContain('ATTACHED');
    expect(lines[1]).toContain('2 (1 watching)');
    expect(lines[2]).toMatch(/ - /);
  });

  it('--tree marks a fork [fork]', () => {
    const out = lsTable([rec({}), rec({ id: 's_fork2345', name: 'api-fork', forkedFrom: 's_abcd2345' })], {
      width: 120,
      tree: { prefix: new Map([['s_fork2345', '└─ ']]), forks: new Set(['s_fork2345']), spend: new Map() },
    });
    expect(out).toMatch(/└─ s_fork2345\s+api-fork \[fork\]/);
  });
});
