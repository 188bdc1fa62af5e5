import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { NewEvent, SessionStatus } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { EXTENSION_FILE, piAdapter, piToolKind, piUsage } from '../../src/harnesses/pi/index.js';
import { detectPiScreen, piIdleScreen, piInputReady } from '../../src/harnesses/pi/screens.js';
import { resolvePiSessionFile } from '../../src/harnesses/pi/session-file.js';
import type { DecisionRequest, LaunchContext, SignalContext, Verdict } from '../../src/harnesses/types.js';

const FIX = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'pi');
const fixture = (name: string) => fs.readFileSync(path.join(FIX, name), 'utf8');
/** Recorded bodies of the extension's POST /hook/<Event> (Pi 0.73.1, fake model, anthropic-messages). */
const hook = (name: string) => (JSON.parse(fixture(`hook-${name}.json`)) as { payload: Record<string, unknown> }).payload;

const SESSION_ID = '01a2000f-7f8b-725f-8a99-184b96403169';

function recorder(verdict: Verdict = { verdict: 'none' }, status: SessionStatus = 'idle') {
  const events: NewEvent[] = [];
  const statuses: Array<[SessionStatus, string | undefined]> = [];
  const decisions: DecisionRequest[] = [];
  const session = { id: 's_test', name: 't', harness: 'pi', cwd: '/w', status, lastSeq: 0 } as SessionRecord;
  const ctx: SignalContext = {
    session,
    emit: (ev) => events.push(ev),
    setStatus: (s, reason) => {
      statuses.push([s, reason]);
      session.status = s;
      session.statusReason = reason;
    },
    update: (patch) => {
      for (const [k, v] of Object.entries(patch)) if (v !== undefined) (session as unknown as Record<string, unknown>)[k] = v;
    },
    decide: async (req) => {
      decisions.push(req);
      return verdict;
    },
    ingest: () => {},
    flushIngest: async () => {},
  };
  return { ctx, events, statuses, decisions, session };
}

describe('Pi extension events → uniform events (recorded 0.73.1 payloads)', () => {
  it('SessionStart records Pi session id and file, the model, and goes idle', async () => {
    const r = recorder({ verdict: 'none' }, 'starting');
    expect(await piAdapter.handleHook('SessionStart', hook('SessionStart'), r.ctx)).toEqual({});
    expect(r.session.harnessSessionId).toBe(SESSION_ID);
    expect(r.session.transcriptPath).toMatch(new RegExp(`_${SESSION_ID}\\.jsonl$`));
    expect(r.statuses).toEqual([['idle', undefined]]);
  });

  it('SessionStart without a model is waiting with what to do; a ModelSelect then makes it idle', async () => {
    const r = recorder({ verdict: 'none' }, 'starting');
    await piAdapter.handleHook('SessionStart', hook('SessionStart-no-model'), r.ctx);
    expect(r.statuses.at(-1)?.[0]).toBe('waiting');
    expect(r.statuses.at(-1)?.[1]).toMatch(/\/login|models\.json/);
    await piAdapter.handleHook('ModelSelect', { sessionId: SESSION_ID, model: 'anthropic/claude-x', source: 'set' }, r.ctx);
    expect(r.statuses.at(-1)).toEqual(['idle', undefined]);
  });

  it('a model change while waiting on something else (an approval) leaves the status alone', async () => {
    const r = recorder({ verdict: 'none' }, 'waiting');
    r.session.statusReason = 'approval ap_1: ask_on_shell';
    await piAdapter.handleHook('ModelSelect', { sessionId: SESSION_ID, model: 'anthropic/claude-x', source: 'cycle' }, r.ctx);
    expect(r.statuses).toEqual([]);
  });

  it('Prompt is running, then message.user, and asks the prompt phase with the prompt id as key', async () => {
    const r = recorder();
    const payload = hook('Prompt');
    expect(await piAdapter.handleHook('Prompt', payload, r.ctx)).toEqual({});
    expect(r.statuses[0]).toEqual(['running', undefined]);
    expect(r.events).toEqual([{ type: 'message.user', data: { text: 'REC-BASH go' } }]);
    expect(r.decisions).toEqual([{ phase: 'prompt', text: 'REC-BASH go', key: payload.promptId }]);
  });

  it('a denied prompt answers exit 2 with the reason and settles idle', async () => {
    const r = recorder({ verdict: 'deny', reason: 'not that' });
    expect(await piAdapter.handleHook('Prompt', hook('Prompt'), r.ctx)).toEqual({ exitCode: 2, stderr: 'not that' });
    expect(r.statuses.at(-1)).toEqual(['idle', 'prompt blocked by policy']);
  });

  it('a prompt not typed by a person says where it came from', async () => {
    const r = recorder();
    await piAdapter.handleHook('Prompt', { ...hook('Prompt'), source: 'extension' }, r.ctx);
    expect(r.events[0]).toEqual({ type: 'message.user', data: { text: 'REC-BASH go', via: 'pi.extension' } });
  });

  it('ToolCall becomes tool.call (bash = shell) and asks the tool_call phase', async () => {
    const r = recorder();
    expect(await piAdapter.handleHook('ToolCall', hook('ToolCall'), r.ctx)).toEqual({});
    const input = { command: 'echo rec-bash && ls /nonexistent-dir' };
    expect(r.events).toEqual([{ type: 'tool.call', data: { callId: 'toolu_01Y4jCtMvOycTJB8ZX8fPSwcHn', tool: 'bash', kind: 'shell', input } }]);
    expect(r.decisions).toEqual([{ phase: 'tool_call', callId: 'toolu_01Y4jCtMvOycTJB8ZX8fPSwcHn', tool: 'bash', input, call: { kind: 'shell', script: input.command } }]);
    expect(r.statuses.at(-1)?.[0]).toBe('running');
  });

  it('a denied tool call answers exit 2 with the reason (the extension blocks with it)', async () => {
    const r = recorder({ verdict: 'deny', reason: 'CONF no touching' });
    expect(await piAdapter.handleHook('ToolCall', hook('ToolCall'), r.ctx)).toEqual({ exitCode: 2, stderr: 'CONF no touching' });
    const none = recorder({ verdict: 'deny' });
    expect(await piAdapter.handleHook('ToolCall', hook('ToolCall'), none.ctx)).toEqual({ exitCode: 2, stderr: 'blocked by omni policy' });
  });

  it('an allow verdict answers nothing special (Pi has no permission prompt to skip)', async () => {
    const r = recorder({ verdict: 'allow', reason: 'fine' });
    expect(await piAdapter.handleHook('ToolCall', hook('ToolCall'), r.ctx)).toEqual({});
  });

  it('ToolResult becomes tool.result ok / not ok and asks the tool_result phase', async () => {
    const ok = recorder();
    expect(await piAdapter.handleHook('ToolResult', hook('ToolResult'), ok.ctx)).toEqual({});
    expect(ok.events).toEqual([
      { type: 'tool.result', data: { callId: 'toolu_01ZmbzpDz0xBbreynI7G8sYj3y', tool: 'bash', ok: true, output: [{ type: 'text', text: 'NOTE-ME\n' }] } },
    ]);
    expect(ok.decisions[0]).toMatchObject({ phase: 'tool_result', tool: 'bash', call: { kind: 'shell', script: 'echo NOTE-ME' }, ok: true, input: { command: 'echo NOTE-ME' } });
    const bad = recorder();
    await piAdapter.handleHook('ToolResult', hook('ToolResult-error'), bad.ctx);
    expect(bad.events[0]).toMatchObject({ type: 'tool.result', data: { ok: false } });
    expect(JSON.stringify(bad.events[0])).toContain('Command exited with code 2');
  });

  it('a tool_result deny answers exit 2; the extension appends the reason for the model', async () => {
    const r = recorder({ verdict: 'deny', reason: 'stop now' });
    expect(await piAdapter.handleHook('ToolResult', hook('ToolResult'), r.ctx)).toEqual({ exitCode: 2, stderr: 'omni policy: stop now' });
  });

  it('MessageEnd gives one message.assistant per text block and usage with Pi’s reported cost', async () => {
    const r = recorder();
    await piAdapter.handleHook('MessageEnd', hook('MessageEnd-toolUse'), r.ctx);
    expect(r.events).toEqual([
      { type: 'message.assistant', data: { text: 'Running it.', messageId: 'msg_01N1BTqQ5Q3LJMafl0DdrdK0XT', model: 'fake-model' } },
      {
        type: 'usage',
        data: {
          model: 'fake-model',
          inputTokens: 100,
          outputTokens: 20,
          cacheReadTokens: 0,
          cacheWriteTokens: 0,
          reportedCostUsd: 0.0006000000000000001,
          provider: 'fake',
          source: 'pi.extension',
          messageId: 'msg_01N1BTqQ5Q3LJMafl0DdrdK0XT',
        },
      },
    ]);
    const t = recorder();
    await piAdapter.handleHook('MessageEnd', hook('MessageEnd-text'), t.ctx);
    expect(t.events.map((e) => e.type)).toEqual(['message.assistant', 'usage']);
    expect((t.events[0]!.data as { text: string }).text).toBe('The ls failed.');
  });

  it('an interrupted message keeps its usage but not its cut-off text', async () => {
    const r = recorder();
    await piAdapter.handleHook('MessageEnd', hook('MessageEnd-aborted'), r.ctx);
    expect(r.events).toEqual([
      {
        type: 'usage',
        data: { model: 'fake-model', inputTokens: 100, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, reportedCostUsd: 0.000315, provider: 'fake', source: 'pi.extension', messageId: 'msg_01JFAedbkIDWFBjpYsxcr8DdJ2' },
      },
    ]);
  });

  it('a failed model request becomes an error event and no usage (no tokens)', async () => {
    const r = recorder();
    await piAdapter.handleHook('MessageEnd', hook('MessageEnd-error'), r.ctx);
    expect(r.events).toHaveLength(1);
    expect(r.events[0]).toMatchObject({ type: 'error', data: { code: 'harness_model_error' } });
    expect((r.events[0]!.data as { message: string }).message).toContain('fake bad request');
  });

  it('AgentEnd is idle; an aborted run says interrupted', async () => {
    const r = recorder({ verdict: 'none' }, 'running');
    await piAdapter.handleHook('AgentEnd', hook('AgentEnd'), r.ctx);
    expect(r.statuses).toEqual([['idle', undefined]]);
    const a = recorder({ verdict: 'none' }, 'running');
    await piAdapter.handleHook('AgentEnd', hook('AgentEnd-aborted'), a.ctx);
    expect(a.statuses).toEqual([['idle', 'interrupted']]);
  });

  it('SessionEnd and unknown events are accepted quietly', async () => {
    const r = recorder();
    expect(await piAdapter.handleHook('SessionEnd', hook('SessionEnd'), r.ctx)).toEqual({});
    expect(await piAdapter.handleHook('Whatever', {}, r.ctx)).toEqual({});
    expect(r.events).toEqual([]);
  });

  it('tool kinds follow Pi’s built-in tool names', () => {
    expect(['bash', 'read', 'grep', 'find', 'ls', 'write', 'edit', 'todo'].map(piToolKind)).toEqual(['shell', 'read', 'read', 'read', 'read', 'write', 'edit', 'other']);
  });

  it('usage without a price passes no reported cost; a message with no tokens yields no usage', () => {
    expect(piUsage({ model: 'm', usage: { input: 5, output: 1, cacheRead: 0, cacheWrite: 0, cost: { total: 0 } } })).not.toHaveProperty('reportedCostUsd');
    expect(piUsage({ model: 'm', usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, cost: { total: 0 } } })).toBeUndefined();
    expect(piUsage({ model: 'm', timestamp: 7, usage: { input: 1, output: 1, cacheRead: 2, cacheWrite: 3, cost: { total: 0.5 } } })).toEqual({
      model: 'm',
      inputTokens: 1,
      outputTokens: 1,
      cacheReadTokens: 2,
      cacheWriteTokens: 3,
      reportedCostUsd: 0.5,
      source: 'pi.extension',
      messageId: 'pi-7',
    });
  });
});

describe('Pi screens (recorded panes)', () => {
  it('the editor between two rules is ready; the startup banner before it is not', () => {
    expect(piInputReady(fixture('screen-ready.txt'))).toBe(true);
    expect(piInputReady(fixture('screen-busy.txt'))).toBe(true); // Pi takes input while busy (steering)
    expect(piInputReady('fd not found. Offline mode enabled, skipping download.\n\n pi v0.73.1\n')).toBe(false);
  });

  it('idle after an interrupt = editor drawn and no Working... spinner', () => {
    expect(piIdleScreen(fixture('screen-busy.txt'))).toBe(false);
    expect(piIdleScreen(fixture('screen-busy-queued.txt'))).toBe(false);
    expect(piIdleScreen(fixture('screen-ready.txt'))).toBe(true);
  });

  it('no model configured is recognised as waiting with a reason', () => {
    expect(detectPiScreen(fixture('screen-no-models.txt'))).toEqual({ status: 'waiting', reason: expect.stringMatching(/no model/) });
    expect(detectPiScreen(fixture('screen-ready.txt'))).toBeUndefined();
  });
});

describe('Pi launch', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  function launchCtx(over: Partial<LaunchContext> = {}): LaunchContext {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-launch-'));
    dirs.push(dir);
    const sessionDir = path.join(dir, 'state', 's_abc');
    fs.mkdirSync(sessionDir, { recursive: true });
    return {
      session: { id: 's_abc', name: 'p', cwd: dir, model: undefined },
      sessionDir,
      env: { HOME: path.join(dir, 'home') },
      binary: { path: '/bin/pi' },
      extraArgs: ['--thinking', 'off'],
      hooks: { command: (event, mode) => `hook ${event} ${mode}` },
      agentSocket: '/tmp/o/run/agent/s_abc.sock',
      hookClient: { node: '/usr/bin/node', omniJs: '/opt/om ni/bin/omni.js', omniHome: '/tmp/o me' },
      ...over,
    };
  }

  it('writes the extension with this session’s socket and passes it with -e, then the caller’s args', async () => {
    const ctx = launchCtx({ session: { id: 's_abc', name: 'p', cwd: '/w', model: 'fake/fake-model' } });
    const spec = await piAdapter.prepareLaunch(ctx);
    const ext = path.join(ctx.sessionDir, EXTENSION_FILE);
    expect(spec.command).toBe('/bin/pi');
    expect(spec.args).toEqual(['-e', ext, '--model', 'fake/fake-model', '--thinking', 'off']);
    expect(spec.env).toEqual({ OMNI_SESSION_ID: 's_abc', OMNI_SESSION_NAME: 'p' });
    const src = fs.readFileSync(ext, 'utf8');
    expect(src).toContain('registerOmniExtension');
    expect(src).toContain('"socket": "/tmp/o/run/agent/s_abc.sock"');
    expect(src).toContain('"omniJs": "/opt/om ni/bin/omni.js"');
    expect(src).toContain('"omniHome": "/tmp/o me"');
    expect(src).toContain(`"stateFile": ${JSON.stringify(path.join(ctx.sessionDir, 'pi-session.json'))}`);
    expect(fs.statSync(ext).mode & 0o077).toBe(0);
  });

  it('resumes the exact session file the extension recorded', async () => {
    const ctx = launchCtx({ resume: { harnessSessionId: SESSION_ID } });
    const file = `/home/u/.pi/agent/sessions/--w--/2026-11-21T21-42-25-419Z_${SESSION_ID}.jsonl`;
    fs.writeFileSync(path.join(ctx.sessionDir, 'pi-session.json'), JSON.stringify({ sessionId: SESSION_ID, sessionFile: file }));
    const spec = await piAdapter.prepareLaunch(ctx);
    expect(spec.args.slice(2, 4)).toEqual(['--session', file]);
  });

  it('without a record, finds <ts>_<id>.jsonl in Pi’s session folder; else passes the id', () => {
    const ctx = launchCtx();
    const sessions = path.join(ctx.env.HOME!, '.pi', 'agent', 'sessions', '--w--');
    fs.mkdirSync(sessions, { recursive: true });
    const file = path.join(sessions, `2026-11-21T21-42-25-419Z_${SESSION_ID}.jsonl`);
    fs.writeFileSync(file, '{}\n');
    const state = path.join(ctx.sessionDir, 'pi-session.json');
    expect(resolvePiSessionFile(SESSION_ID, state, ctx.env)).toBe(file);
    expect(resolvePiSessionFile('0000-none', state, ctx.env)).toBeUndefined();
    expect(resolvePiSessionFile(SESSION_ID, state, { ...ctx.env, PI_CODING_AGENT_DIR: '/nowhere' })).toBeUndefined();
    expect(resolvePiSessionFile('/abs/file.jsonl', state, ctx.env)).toBe('/abs/file.jsonl');
  });

  it('declares what the conformance suite verifies', () => {
    expect(piAdapter.capabilities).toMatchObject({ interactive: true, toolEvents: true, deny: true, heldAsk: true, costSource: 'reported', interrupt: true, resume: true });
    expect(piAdapter.interruptKeys).toEqual(['Escape']);
  });
});
