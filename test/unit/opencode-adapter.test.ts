import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NewEvent, SessionStatus } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { opencodeAdapter } from '../../src/harnesses/opencode/index.js';
import { omniConfig, wireConfig } from '../../src/harnesses/opencode/config.js';
import { opencodeUsage } from '../../src/harnesses/opencode/events.js';
import { opencodePluginSource } from '../../src/harnesses/opencode/plugin.js';
import { detectOpenCodeScreen, opencodeIdleScreen, opencodeInputReady } from '../../src/harnesses/opencode/screens.js';
import type { DecisionRequest, SignalContext, Verdict } from '../../src/harnesses/types.js';

const FIX = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'opencode');
const payloads = JSON.parse(fs.readFileSync(path.join(FIX, 'plugin-payloads.json'), 'utf8')) as Record<string, Record<string, unknown>>;
const screen = (name: string) => fs.readFileSync(path.join(FIX, `screen-${name}.txt`), 'utf8');

function recorder(verdict: Verdict = { verdict: 'none' }) {
  const events: NewEvent[] = [];
  const statuses: Array<[SessionStatus, string | undefined]> = [];
  const decisions: DecisionRequest[] = [];
  const session = { id: 's_test', name: 't', harness: 'opencode', cwd: '/w', status: 'idle', lastSeq: 0 } as SessionRecord;
  const ctx: SignalContext = {
    session,
    emit: (ev) => events.push(ev),
    setStatus: (s, reason) => {
      statuses.push([s, reason]);
      session.status = s;
    },
    update: (patch) => Object.assign(session, patch),
    decide: async (req) => {
      decisions.push(req);
      return verdict;
    },
    ingest: () => {},
    flushIngest: async () => {},
  };
  return { ctx, events, statuses, decisions, session, s: opencodeAdapter.open(session) };
}

describe('OpenCode plugin events → uniform events (recorded 1.18.33 payloads)', () => {
  it('a prompt, a bash call, its result, the text and the usage of a step', async () => {
    const r = recorder();
    await r.s.handleHook('Session', payloads.Session!, r.ctx);
    expect(r.session.harnessSessionId).toBe('ses_db746dfe6ffelVBEPqlF8t7qio');
    expect(await r.s.handleHook('Prompt', payloads.Prompt!, r.ctx)).toEqual({});
    expect(await r.s.handleHook('ToolCall', payloads.ToolCall!, r.ctx)).toEqual({});
    await r.s.handleHook('ToolResult', payloads.ToolResult!, r.ctx);
    await r.s.handleHook('Text', payloads.Text!, r.ctx);
    await r.s.handleHook('MessageEnd', payloads.MessageEnd!, r.ctx);
    await r.s.handleHook('Idle', payloads.Idle!, r.ctx);
    expect(r.events.map((e) => e.type)).toEqual(['message.user', 'tool.call', 'tool.result', 'message.assistant', 'usage']);
    expect(r.events[1]!.data).toEqual({ callId: 'call_VZ0X4p93zirNTIh9KRH5LT3T', tool: 'bash', kind: 'shell', input: payloads.ToolCall!.args });
    expect(r.events[2]!.data).toMatchObject({ callId: 'call_VZ0X4p93zirNTIh9KRH5LT3T', ok: true, output: '(no output)' });
    expect(r.events[4]!.data).toEqual({ model: 'gpt-4.1', inputTokens: 100, outputTokens: 20, cacheReadTokens: 0, cacheWriteTokens: 0, source: 'opencode.plugin', messageId: 'msg_248b942640010EuiKsklCITphp' });
    expect(r.decisions.map((d) => d.phase)).toEqual(['prompt', 'tool_call', 'tool_result']);
    expect(r.statuses.at(-1)).toEqual(['idle', undefined]);
  });

  it('a deny is exit 2 with the reason (the plugin throws it); an ask on a prompt blocks it too', async () => {
    const r = recorder({ verdict: 'deny', reason: 'no bash here' });
    expect(await r.s.handleHook('ToolCall', payloads.ToolCall!, r.ctx)).toEqual({ exitCode: 2, stderr: 'no bash here' });
    const a = recorder({ verdict: 'ask', reason: 'held' });
    expect((await a.s.handleHook('Prompt', payloads.Prompt!, a.ctx)).exitCode).toBe(2);
    // An ask that comes back from decide() could not be held: refused, never run.
    const unheld = recorder({ verdict: 'ask', reason: 'held' });
    expect(await unheld.s.handleHook('ToolCall', payloads.ToolCall!, unheld.ctx)).toEqual({ exitCode: 2, stderr: 'held' });
  });

  it("only an explicit allow tells the plugin to answer OpenCode's own question", async () => {
    const r = recorder({ verdict: 'allow' });
    expect(await r.s.handleHook('ToolCall', payloads.ToolCall!, r.ctx)).toEqual({ stdout: 'allow' });
  });

  it('an aborted step is idle "interrupted" without usage; a request error is an error event', async () => {
    const r = recorder();
    await r.s.handleHook('MessageEnd', payloads.MessageEndAborted!, r.ctx);
    expect(r.events).toEqual([]);
    expect(r.statuses).toEqual([['idle', 'interrupted']]);
    await r.s.handleHook('SessionError', payloads.SessionError!, r.ctx);
    expect(r.events[0]).toMatchObject({ type: 'error', data: { code: 'harness_error' } });
  });

  it("a sub-agent's session neither replaces the session id nor speaks as the reply", async () => {
    const r = recorder();
    await r.s.handleHook('Session', payloads.Session!, r.ctx);
    await r.s.handleHook('Session', { sessionID: 'ses_child', parentID: 'ses_db746dfe6ffelVBEPqlF8t7qio' }, r.ctx);
    await r.s.handleHook('Text', { sessionID: 'ses_child', messageID: 'm', text: 'sub-agent notes' }, r.ctx);
    await r.s.handleHook('Idle', { sessionID: 'ses_child' }, r.ctx);
    expect(r.session.harnessSessionId).toBe('ses_db746dfe6ffelVBEPqlF8t7qio');
    expect(r.events).toEqual([]);
    expect(r.statuses).toEqual([]);
  });

  it("reports OpenCode's cost when positive, and a built-in provider id", () => {
    expect(opencodeUsage({ id: 'm', modelID: 'claude-sonnet-4-5', providerID: 'anthropic', cost: 0.0123, tokens: { input: 10, output: 5, reasoning: 2, cache: { read: 3, write: 4 } } })).toEqual({
      model: 'claude-sonnet-4-5', inputTokens: 10, outputTokens: 7, cacheReadTokens: 3, cacheWriteTokens: 4, reportedCostUsd: 0.0123, provider: 'anthropic', source: 'opencode.plugin', messageId: 'm',
    });
  });
});

describe('OpenCode screens (captured 1.18.33 panes)', () => {
  it('reads the drawn prompt as ready, and not while a turn runs', () => {
    expect(opencodeInputReady(screen('interrupted'))).toBe(true);
    expect(detectOpenCodeScreen(screen('interrupted'))).toEqual({ status: 'idle', reason: 'ready for input' });
    const busy = screen('interrupted').replace('ctrl+p commands', 'esc interrupt  ctrl+p commands');
    expect(opencodeIdleScreen(busy)).toBe(false);
    expect(detectOpenCodeScreen('')).toBeUndefined();
  });
});

describe('OpenCode launch wiring', () => {
  it("adds omni's config with OPENCODE_CONFIG, or a config folder of omni's when the user set it", () => {
    const dir = fs.mkdtempSync('/tmp/oc-unit-');
    const a = wireConfig(dir, `${dir}/p.mjs`, undefined, {});
    expect('env' in a && a.env).toEqual({ OPENCODE_CONFIG: `${dir}/omni-opencode.json` });
    expect(JSON.parse(fs.readFileSync(`${dir}/omni-opencode.json`, 'utf8'))).toEqual({ plugin: [`file://${dir}/p.mjs`] });
    const b = wireConfig(dir, `${dir}/p.mjs`, undefined, { OPENCODE_CONFIG: '/mine.json' });
    expect('env' in b && b.env).toEqual({ OPENCODE_CONFIG_DIR: `${dir}/opencode-config` });
    expect(fs.existsSync(`${dir}/opencode-config/node_modules`)).toBe(true);
    expect('error' in wireConfig(dir, `${dir}/p.mjs`, undefined, { OPENCODE_CONFIG: '/a', OPENCODE_CONFIG_DIR: '/b' })).toBe(true);
    expect(omniConfig('/p.mjs', { command: 'node', args: ['omni.js', 'mcp'], env: { OMNI_HOME: '/o' } }).mcp).toEqual({ omni: { type: 'local', command: ['node', 'omni.js', 'mcp'], environment: { OMNI_HOME: '/o' }, enabled: true } });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('generates a plugin whose one export returns the hooks', () => {
    const src = opencodePluginSource({ socket: '/s', node: '/n', omniJs: '/o.js', omniHome: '/h' }, 's_x', '/dist/rt.js');
    expect(src).toContain('import { omniHooks } from "file:///dist/rt.js"');
    expect(src).toContain('return omniHooks(input, wiring).hooks;');
    expect(src.match(/^export /gm)).toHaveLength(1);
  });
});
