/**
 * Which harnesses each e2e file drives, for `npm run test:latest`'s per-harness column. A file
 * named after a harness (`pi.test.ts`, `tmux-claude.test.ts`, `claude-subagent.test.ts`) needs
 * no entry; '*' means every harness (a test per conformance profile). Inside a file of several,
 * a test whose name mentions some of them counts for those alone.
 */
export const E2E_HARNESSES = {
  'agent-swap.test.ts': ['*'],
  'attach-wait.test.ts': ['claude'],
  'blocked-prompt.test.ts': ['claude', 'codex', 'pi'],
  'budget.test.ts': ['claude'],
  'composition.test.ts': ['claude', 'codex', 'pi'],
  'cost.test.ts': ['claude', 'codex', 'pi'],
  'daemon-restart.test.ts': ['claude'],
  'debby.test.ts': ['claude', 'codex'],
  'fork.test.ts': ['claude', 'codex', 'pi', 'gemini'],
  'harness-dialog.test.ts': ['claude'],
  'mcp-wiring.test.ts': ['claude', 'codex', 'pi'],
  'policy.test.ts': ['claude'],
  'polly.test.ts': ['claude', 'codex'],
  'reading-state.test.ts': ['claude'],
  'remote-host.test.ts': ['claude'],
  'sandbox-harnesses.test.ts': ['codex', 'pi'],
  'sandbox.test.ts': ['claude'],
  'security.test.ts': ['claude'],
  'watch.test.ts': ['claude'],
};
