import { describe, expect, it } from 'vitest';
import { cutPath, lsTable } from '../../src/cli/commands/ls-table.js';
import { shortReason, shortStatus } from '../../src/core/status-text.js';
import type { SessionRecord } from '../../src/core/session.js';

const REASON =
  'approval ap_fc9d1e2a3b: policy no-network asks before any network access: curl https://example.com/some/long/path would reach example.com, which is not on the allow list of this session';

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

describe('short status (omni ls, the dashboard)', () => {
  it('an approval reason becomes its whole id', () => {
    expect(shortStatus('waiting', REASON, 26)).toBe('waiting (ap_fc9d1e2a3b)');
    expect(shortStatus('waiting', REASON, 20)).toBe('waiting'); // no room for the whole id: left out, not cut
  });

  it('other reasons are cut at a word, never inside an id', () => {
    expect(shortReason('prompt blocked by policy', 40)).toBe('prompt blocked by policy');
    expect(shortReason('Claude Code asks permission for Bash', 20)).toBe('Claude Code asks…');
    expect(shortReason('waiting on ap_0123456789 and more', 18)).toBe('waiting on…');
    expect(shortStatus('idle', undefined, 5)).toBe('idle');
  });
});

describe('omni ls at 80 columns', () => {
  const sessions = [
    rec({ status: 'waiting', statusReason: REASON, cost: { computedUsd: 0.13, inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, messages: 2 } }),
    rec({ id: 's_wxyz6789', name: 'docs', harness: 'codex', sandbox: true, cwd: '/tmp/x' }),
  ];

  it('fits every row in the width, with whole ids', () => {
    const out = lsTable(sessions, { width: 80 });
    const lines = out.split('\n');
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    expect(out).toContain('s_abcd2345');
    expect(out).toContain('s_wxyz6789');
    expect(out).toContain('waiting (ap_fc9d1e2a3b)');
    expect(out).toContain('$0.13');
    expect(lines[0]).not.toContain('CWD'); // no room left for it: --wide shows it
  });

  it('cuts the cwd from the left when some room is left', () => {
    const out = lsTable([rec({ name: 'api' })], { width: 80 });
    for (const l of out.split('\n')) expect(l.length).toBeLessThanOrEqual(80);
    expect(out.split('\n')[1]).toMatch(/ …[a-z/-]*name$/);
  });

  it('--wide keeps the whole reason and path', () => {
    const out = lsTable(sessions, { width: 80, wide: true });
    expect(out).toContain(REASON.replace(/\s+/g, ' '));
    expect(out).toContain('a-rather-long-repository-name');
    expect(out.split('\n')[1]!.length).toBeGreaterThan(200);
  });

  it('keeps the TAGS column (when a session has tags) inside the width', () => {
    const out = lsTable([rec({ name: 'api', tags: ['api', 'urgent'] }), rec({ id: 's_wxyz6789', name: 'docs' })], { width: 80 });
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/AGE\s+TAGS\s+CWD$/);
    expect(lines[1]).toMatch(/\sapi,urgent\s+…/);
    expect(lines[2]).toMatch(/\s-\s+…/);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
  });

  it('cuts a path from the left', () => {
    expect(cutPath('/a/b/c/project', 10)).toBe('…c/project');
    expect(cutPath('/a', 10)).toBe('/a');
  });
});
