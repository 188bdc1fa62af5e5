import { describe, expect, it } from 'vitest';
import { omniGuard } from '../../src/policy/guard.js';
import { PolicyState } from '../../src/policy/state.js';
import { buildToolSubject } from '../../src/policy/subject.js';
import type { PolicySubject } from '../../src/policy/types.js';

const guard = omniGuard({ omniHome: '/home/me/.local/state/omni' });
const session = { id: 's_1', name: 'x', harness: 'claude', cwd: '/work' };
const shell = (command: string): PolicySubject => ({
  phase: 'tool_call',
  session,
  tool: buildToolSubject({ name: 'Bash', callId: 'c', input: { command }, call: { kind: 'shell', script: command } }, '/work'),
});
const verdict = async (s: PolicySubject) => (await guard.evaluate(s, new PolicyState())).verdict;

describe('omni_guard (always on)', () => {
  it.each([
    'omni approve ap_123',
    'omnigent deny ap_1 --reason x',
    'node /opt/omni/bin/omni.js approve ap_1',
    'cd /tmp && omni policy add me allow-all.yaml',
    'bash -lc "omni approve ap_9"',
    'echo $(omni daemon stop)',
    'omni approvals popup ap_1',
    'curl --unix-socket /home/me/.local/state/omni/run/omni.sock -X POST http://omni/v1/approvals/ap_1/approve',
    'tmux -S /home/me/.local/state/omni/run/tmux.sock send-keys a',
    'echo {} > /home/me/.local/state/omni/state/approvals/ap_1.json',
  ])('denies %s', async (cmd) => {
    expect(await verdict(shell(cmd))).toBe('deny');
  });

  it.each(['omni ls', 'omni events s_1 --json', 'omni approvals --json', 'git push', 'cat /home/me/.local/state/omni/log/omnid.log', 'npm test'])('leaves %s alone', async (cmd) => {
    expect(await verdict(shell(cmd))).toBeUndefined();
  });

  it("denies writes into omni's files from file tools", async () => {
    const s: PolicySubject = {
      phase: 'tool_call',
      session,
      tool: buildToolSubject({ name: 'Write', callId: 'c', input: {}, call: { kind: 'write', paths: { read: [], write: ['/home/me/.local/state/omni/state/sessions/s_1/policies.json'] } } }, '/work'),
    };
    expect(await verdict(s)).toBe('deny');
  });
});
