import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApprovalQueue, type NewApproval } from '../../src/approvals/queue.js';
import type { ApprovalStreamItem } from '../../src/approvals/types.js';

const ask = (key: string): NewApproval => ({
  session: 's_1',
  sessionName: 'one',
  harness: 'claude',
  phase: 'tool_call',
  policies: ['ask_on_shell'],
  reason: 'shell',
  request: { tool: 'Bash', command: 'git push' },
  key,
});

describe('ApprovalQueue', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-ap-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('persists asks, joins a retried one by key, and the first answer wins', async () => {
    const q = new ApprovalQueue(dir);
    q.load();
    const seen: ApprovalStreamItem['type'][] = [];
    q.subscribe((i) => seen.push(i.type));
    const a = q.request(ask('tool_call:toolu_1'));
    expect(a.created).toBe(true);
    expect(a.approval.id).toMatch(/^ap_[0-9a-f]{10}$/);
    expect(q.request(ask('tool_call:toolu_1'))).toEqual({ approval: a.approval, created: false });

    // A restarted daemon still has it, and a retried hook joins it.
    const q2 = new ApprovalQueue(dir);
    q2.load();
    expect(q2.list().map((x) => x.id)).toEqual([a.approval.id]);
    const waiting = q2.wait(a.approval.id);
    const answered = q2.resolve(a.approval.id, { verdict: 'approve', scope: 'session', via: 'cli', by: 'alice' });
    expect((await waiting).resolution).toMatchObject({ verdict: 'approve', scope: 'session', by: 'alice', via: 'cli' });
    expect(answered.status).toBe('approved');
    expect(() => q2.resolve(a.approval.id, { verdict: 'deny', via: 'tui', by: 'bob' })).toThrow(/already approved by alice via cli/);
    expect(() => q2.resolve('ap_nope', { verdict: 'deny', via: 'cli', by: 'x' })).toThrow(/no approval ap_nope; none is pending/);
    expect(q2.list()).toEqual([]);
    expect(q2.list({ all: true })).toHaveLength(1);
    expect(seen).toEqual(['requested']);
  });

  it('withdraws an ask whose agent stopped waiting; a later answer is refused', async () => {
    const q = new ApprovalQueue(dir);
    q.load();
    const { approval } = q.request(ask('tool_call:toolu_2'));
    const waiting = q.wait(approval.id);
    q.cancel(approval.id, 'the agent stopped waiting');
    expect((await waiting).status).toBe('cancelled');
    expect(q.list()).toEqual([]);
    expect(() => q.resolve(approval.id, { verdict: 'approve', via: 'cli', by: 'alice' })).toThrow(/already cancelled/);
  });
});
