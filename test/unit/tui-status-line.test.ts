import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Approval } from '../../src/approvals/types.js';
import { OmniClient } from '../../src/client/api.js';
import { resolvePaths } from '../../src/core/paths.js';
import { formatApprovalsTable } from '../../src/cli/commands/approvals.js';
import { fetchStatusLine, formatStatusLine } from '../../src/cli/commands/status-line.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const ap = (id: string, s: number, over: Partial<Approval> = {}): Approval => ({
  id,
  session: 's_1',
  sessionName: `sess-${id}`,
  harness: 'claude',
  phase: 'tool_call',
  policies: ['no-rm', 'budget'],
  reason: 'r',
  request: { tool: 'Bash', kind: 'shell', command: `rm -rf\n  /tmp/${id}` },
  key: 'k',
  createdAt: new Date(T0 + s * 1000).toISOString(),
  status: 'pending',
  ...over,
});

describe('formatStatusLine', () => {
  it('summarises asks and sessions in one short line', () => {
    expect(formatStatusLine({ running: true, asks: 2, sessions: 3, waiting: 1 })).toBe('omni ⚠ 2 asks · 3 sessions (1 waiting)');
    expect(formatStatusLine({ running: true, asks: 1, sessions: 1, waiting: 0 })).toBe('omni ⚠ 1 ask · 1 session');
    expect(formatStatusLine({ running: true, asks: 0, sessions: 0, waiting: 0 })).toBe('omni 0 sessions');
    expect(formatStatusLine({ running: false })).toBe('omni: off');
    expect(formatStatusLine({ running: true, error: 'boom' })).toBe('omni: error');
  });

  it('uses tmux style codes only with --tmux', () => {
    expect(formatStatusLine({ running: true, asks: 2, sessions: 3, waiting: 1 }, { tmux: true })).toBe(
      'omni #[fg=yellow,bold]⚠ 2 asks#[default] · 3 sessions (#[fg=yellow]1 waiting#[default])',
    );
    expect(formatStatusLine({ running: false }, { tmux: true })).toBe('#[fg=colour244]omni: off#[default]');
  });
});

describe('fetchStatusLine', () => {
  let dir: string | undefined;
  let server: http.Server | undefined;
  afterEach(async () => {
    if (server) await new Promise((r) => server!.close(r));
    server = undefined;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('says off, quickly and without starting anything, when no daemon is listening', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-sl-'));
    const paths = resolvePaths({ OMNI_HOME: dir });
    const t = Date.now();
    expect(await fetchStatusLine(new OmniClient(paths), 500)).toEqual({ running: false });
    expect(Date.now() - t).toBeLessThan(500);
    expect(fs.existsSync(paths.socket)).toBe(false);
  });

  it('counts pending asks, sessions and waiting sessions from the daemon', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-sl-'));
    const paths = resolvePaths({ OMNI_HOME: dir });
    fs.mkdirSync(paths.runDir, { recursive: true });
    const seen: string[] = [];
    server = http.createServer((req, res) => {
      seen.push(req.url ?? '');
      res.setHeader('content-type', 'application/json');
      if (req.url === '/v1/approvals') res.end(JSON.stringify({ approvals: [ap('ap_1', 1), ap('ap_2', 2)] }));
      else if (req.url === '/v1/sessions') res.end(JSON.stringify({ sessions: [{ status: 'waiting' }, { status: 'running' }, { status: 'idle' }] }));
      else (res.statusCode = 404), res.end(JSON.stringify({ error: { code: 'not_found', message: 'no' } }));
    });
    await new Promise<void>((r) => server!.listen(paths.socket, r));
    const data = await fetchStatusLine(new OmniClient(paths), 1000);
    expect(data).toEqual({ running: true, asks: 2, sessions: 3, waiting: 1 });
    expect(formatStatusLine(data)).toBe('omni ⚠ 2 asks · 3 sessions (1 waiting)');
    expect(seen.sort()).toEqual(['/v1/approvals', '/v1/sessions']);
  });
});

describe('formatApprovalsTable', () => {
  it('prints an aligned table, oldest first, with one-line requests', () => {
    const out = formatApprovalsTable([ap('ap_2', 90), ap('ap_1', 0)], T0 + 120_000);
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^ID\s+SESSION\s+POLICY\s+REQUEST\s+AGE$/);
    expect(lines[1]).toMatch(/^ap_1\s+sess-ap_1\s+no-rm,budget\s+rm -rf \/tmp\/ap_1\s+2m$/);
    expect(lines[2]).toMatch(/^ap_2\s+sess-ap_2\s+no-rm,budget\s+rm -rf \/tmp\/ap_2\s+30s$/);
    expect(lines[1]!.indexOf('sess-ap_1')).toBe(lines[0]!.indexOf('SESSION'));
  });

  it('adds a STATUS column with --all and says when nothing is pending', () => {
    const done = ap('ap_3', 0, { status: 'denied', resolution: { verdict: 'deny', scope: 'once', by: 'me', via: 'popup', at: '' } });
    expect(formatApprovalsTable([done], T0, true).split('\n')[1]).toMatch(/denied \(popup\)$/);
    expect(formatApprovalsTable([], T0)).toBe('no pending approvals');
  });
});
