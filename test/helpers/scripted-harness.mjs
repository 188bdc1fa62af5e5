// @ts-check
// The adapter for test/fixtures/scripted/harness.mjs, a scripted stand-in for an agent CLI. It
// is a real HarnessAdapter, served by the real daemon (test/helpers/scripted-daemon.mjs), so the
// fast tests (test/integration/session-manager.test.ts) drive SessionManager, the policy
// service, the agent socket, bin/omni-hook and the HTTP API in seconds. Plain JS on dist/
// because the daemon it runs in is a plain node process (no TypeScript loader in Node 20).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promptSubmitted, toolCalled } from '../../dist/harnesses/signals.js';

export const SCRIPTED_HARNESS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'scripted', 'harness.mjs');

/** The events the script fires, and whether each one blocks on the daemon's answer. */
const HOOKS = /** @type {const} */ ({ SessionStart: 'observe', Prompt: 'gate', PreTool: 'gate', PostTool: 'observe', Stop: 'observe', SessionEnd: 'observe' });

/** @param {unknown} v */
const str = (v) => (typeof v === 'string' ? v : undefined);

/** @type {import('../../src/harnesses/types.js').HarnessAdapter} */
export const scriptedAdapter = {
  name: 'scripted',
  displayName: 'Scripted test harness',
  binaryName: 'harness.mjs',
  installHint: 'it is test/fixtures/scripted/harness.mjs in the omni repository',
  capabilities: { interactive: true, headless: false, toolEvents: true, deny: true, heldAsk: true, costSource: 'none', interrupt: true, resume: false, fork: false },
  interruptKeys: ['Escape'],
  submitDelayMs: 20,

  /** The model name's prefix (`acme-1` → `acme`), else `scripted`: a test gives its sessions vendors. */
  vendor(model) {
    return (model && model.split(/[-/:]/)[0]) || 'scripted';
  },

  async findBinary(env) {
    return { path: env.OMNI_BINARY_OVERRIDE || SCRIPTED_HARNESS };
  },

  async prepareLaunch(ctx) {
    const hooks = Object.fromEntries(Object.entries(HOOKS).map(([event, mode]) => [event, ctx.hooks.command(event, mode)]));
    return {
      // The daemon's own node: the pane's PATH is the caller's, which need not have one.
      command: ctx.hookClient.node,
      args: [ctx.binary.path, ...ctx.extraArgs],
      env: { SCRIPTED_HOOKS: JSON.stringify(hooks), OMNI_SESSION_ID: ctx.session.id },
      notes: [`scripted harness ${ctx.binary.path}`],
    };
  },

  /** Every tool of the script is a shell command: `input.command`. */
  normalizeToolCall(_tool, input, hookCwd) {
    const o = input && typeof input === 'object' ? /** @type {Record<string, unknown>} */ (input) : {};
    return { kind: 'shell', ...(typeof o.command === 'string' ? { script: o.command } : {}), ...(hookCwd ? { cwd: hookCwd } : {}) };
  },

  /** The script keeps no log of its own, so a session holds nothing: its hooks say everything. */
  open() {
    return {
      handleHook: (event, payload, ctx) => handleHook(event, payload, ctx),
      createIngestor: () => undefined,
      close() {},
    };
  },

  detectScreen() {
    return undefined;
  },

  inputReady(paneText) {
    const lines = paneText.split('\n').filter((l) => l.trim());
    return lines[lines.length - 1]?.trim() === 'scripted>';
  },
};

/**
 * One hook event of the script, mapped with the helpers every adapter uses.
 * @param {string} event
 * @param {Record<string, unknown>} payload
 * @param {import('../../src/harnesses/types.js').SignalContext} ctx
 * @returns {Promise<import('../../src/harnesses/types.js').HookReply>}
 */
async function handleHook(event, payload, ctx) {
  const sid = str(payload.sessionId);
  if (sid) ctx.update({ harnessSessionId: sid });
  switch (event) {
    case 'SessionStart':
      ctx.setStatus('idle', undefined, 'hook');
      return {};
    case 'Prompt': {
      const v = await promptSubmitted(ctx, str(payload.prompt) ?? '');
      return v.verdict === 'deny' || v.verdict === 'ask' ? { exitCode: 2, stderr: v.reason ?? 'blocked by omni policy' } : {};
    }
    case 'PreTool': {
      const tool = str(payload.tool) ?? 'shell';
      const input = payload.input ?? null;
      const v = await toolCalled(ctx, { callId: str(payload.callId) ?? '', tool, input, call: scriptedAdapter.normalizeToolCall(tool, input, str(payload.cwd)) });
      return v.verdict === 'deny' ? { exitCode: 2, stderr: v.reason ?? 'blocked by omni policy' } : {};
    }
    case 'PostTool': {
      const callId = str(payload.callId) ?? '';
      const tool = str(payload.tool) ?? 'shell';
      const ok = payload.ok === true;
      ctx.emit({ type: 'tool.result', data: { callId, tool, ok, output: payload.output ?? null } });
      const input = payload.input ?? null;
      const v = await ctx.decide({ phase: 'tool_result', callId, tool, input, call: scriptedAdapter.normalizeToolCall(tool, input, str(payload.cwd)), ok, output: payload.output ?? null });
      return v.verdict === 'deny' ? { exitCode: 2, stderr: v.reason ?? 'blocked by omni policy' } : {};
    }
    case 'Stop': {
      const text = str(payload.lastMessage);
      if (text) ctx.emit({ type: 'message.assistant', data: { text } });
      ctx.setStatus('idle', payload.interrupted === true ? 'interrupted' : undefined, 'hook');
      return {};
    }
    default:
      return {};
  }
}

/**
 * The same harness under another name and vendor (SCRIPTED_TWINS in scripted-daemon.mjs), so a
 * test can have workers and reviewers of two vendors (Polly refuses a same-vendor review).
 * @param {string} name
 * @param {string} vendor
 * @returns {import('../../src/harnesses/types.js').HarnessAdapter}
 */
export function scriptedTwin(name, vendor) {
  return { ...scriptedAdapter, name, displayName: `Scripted test harness (${name})`, vendor: (model) => (model && model.split(/[-/:]/)[0]) || vendor };
}
