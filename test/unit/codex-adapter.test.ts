import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NewEvent, SessionStatus } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { codexAdapter, codexToolKind } from '../../src/harnesses/codex/index.js';
import { codexIdleAfterInterrupt, codexInputReady, detectCodexScreen } from '../../src/harnesses/codex/screens.js';
import type { DecisionRequest, FlushHint, IngestCursor, LaunchContext, SignalContext, Verdict } from '../../src/harnesses/types.js';

const FIX = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'codex');
const fixture = (name: string) => fs.readFileSync(path.join(FIX, name), 'utf8');
const hook = (name: string) => JSON.parse(fixture(`hook-${name}.json`)) as Record<string, unknown>;

let sessionCounter = 0;

/** A recording SignalContext whose ingestion runs the adapter's real rollout reader. */
function recorder(verdict: Verdict = { verdict: 'none' }, opts: { transcript?: string; status?: SessionStatus } = {}) {
  const events: NewEvent[] = [];
  const statuses: Array<[SessionStatus, string | undefined]> = [];
  const decisions: DecisionRequest[] = [];
  const flushes: Array<FlushHint | undefined> = [];
  const session = { id: `s_codex_${++sessionCounter}`, name: 't', harness: 'codex', cwd: '/w', status: opts.status ?? 'idle', lastSeq: 0 } as SessionRecord;
  const keys = new Set<string>();
  const seen: IngestCursor = { has: (k) => keys.has(k), add: (k) => void keys.add(k) };
  let ingests = 0;
  const ctx: SignalContext = {
    session,
    emit: (ev) => events.push(ev),
    setStatus: (s, reason) => {
      session.status = s;
      statuses.push([s, reason]);
    },
    update: (patch) => {
      Object.assign(session, patch);
      if (opts.transcript) session.transcriptPath = opts.transcript; // point at the fixture
    },
    decide: async (req) => {
      decisions.push(req);
      return verdict;
    },
    ingest: () => void ingests++,
    flushIngest: async (hint) => {
      flushes.push(hint);
      await ingestor?.poll();
      if (hint !== undefined) await ingestor?.flush(hint);
    },
  };
  const ingestor = opts.transcript ? codexAdapter.createIngestor(ctx, seen) : undefined;
  return { ctx, events, statuses, decisions, flushes, session, ingests: () => ingests };
}

describe('Codex hook mapping (recorded 0.169.0 payloads)', () => {
  it('PreToolUse becomes tool.call (Bash, kind shell) and asks policy; no opinion answers nothing', async () => {
    const r = recorder();
    const reply = await codexAdapter.handleHook('PreToolUse', hook('PreToolUse'), r.ctx);
    expect(reply).toEqual({});
    const call = { callId: 'call_Y7vbUks0MJhWGbvez8JOEOFW', tool: 'Bash', input: { command: 'echo hi > /tmp/codex-explore/g1/out.txt' } };
    expect(r.events).toEqual([{ type: 'tool.call', data: { ...call, kind: 'shell' } }]);
    expect(r.decisions).toEqual([{ phase: 'tool_call', ...call, call: { kind: 'shell', script: 'echo hi > /tmp/codex-explore/g1/out.txt', cwd: '/tmp/codex-explore/g1' } }]);
    expect(r.statuses.at(-1)?.[0]).toBe('running');
    expect(r.session.harnessSessionId).toBe('01a2000d-e8dd-7540-aebb-3c94ebe308c8');
    expect(r.session.transcriptPath).toMatch(/rollout-.*-01a2000d-e8dd-7540-aebb-3c94ebe308c8\.jsonl$/);
    expect(r.ingests()).toBe(1);
  });

  it('allow says nothing (Codex rejects permissionDecision "allow"); deny answers with the reason', async () => {
    expect(await codexAdapter.handleHook('PreToolUse', hook('PreToolUse'), recorder({ verdict: 'allow' }).ctx)).toEqual({});
    const reply = await codexAdapter.handleHook('PreToolUse', hook('PreToolUse'), recorder({ verdict: 'deny', reason: 'no writes today' }).ctx);
    expect(JSON.parse(reply.stdout!)).toEqual({
      hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: 'no writes today' },
    });
    expect(reply.exitCode ?? 0).toBe(0);
  });

  it('an ask that reaches the adapter (the daemon should have held it) is refused, never let through', async () => {
    const reply = await codexAdapter.handleHook('PreToolUse', hook('PreToolUse'), recorder({ verdict: 'ask' }).ctx);
    expect(JSON.parse(reply.stdout!).hookSpecificOutput.permissionDecision).toBe('deny');
  });

  it('UserPromptSubmit is running, then message.user, keyed by turn; a denied prompt blocks (exit 2) and goes idle', async () => {
    const ok = recorder();
    expect(await codexAdapter.handleHook('UserPromptSubmit', hook('UserPromptSubmit'), ok.ctx)).toEqual({});
    expect(ok.statuses).toEqual([['running', undefined]]);
    expect(ok.events).toEqual([{ type: 'message.user', data: { text: 'please WRITE-IT now' } }]);
    expect(ok.decisions).toEqual([{ phase: 'prompt', text: 'please WRITE-IT now', key: '01a2000d-f343-70a0-9b6f-b458b30e6fe8' }]);

    const bad = recorder({ verdict: 'deny', reason: 'not that' });
    expect(await codexAdapter.handleHook('UserPromptSubmit', hook('UserPromptSubmit'), bad.ctx)).toEqual({ exitCode: 2, stderr: 'not that' });
    // Codex fires no Stop for a blocked prompt.
    expect(bad.statuses.at(-1)).toEqual(['idle', 'prompt blocked by policy']);
  });

  it('PostToolUse becomes tool.result; ok comes from the rollout exit code', async () => {
    const good = recorder({ verdict: 'none' }, { transcript: path.join(FIX, 'rollout-exec-command.jsonl') });
    await codexAdapter.handleHook('PostToolUse', hook('PostToolUse'), good.ctx);
    expect(good.events.filter((e) => e.type === 'tool.result')).toEqual([
      { type: 'tool.result', data: { callId: 'call_Y7vbUks0MJhWGbvez8JOEOFW', tool: 'Bash', ok: true, output: '' } },
    ]);

    const failed = recorder({ verdict: 'none' }, { transcript: path.join(FIX, 'rollout-mixed.jsonl') });
    const payload = hook('PostToolUse-failed');
    await codexAdapter.handleHook('PostToolUse', payload, failed.ctx);
    expect(failed.events.find((e) => e.type === 'tool.result')).toEqual({
      type: 'tool.result',
      data: { callId: 'call_MGX5btDd2hSe2FWWhPh1MFZC', tool: 'Bash', ok: false, output: payload.tool_response },
    });
    expect(failed.decisions[0]).toMatchObject({ phase: 'tool_result', ok: false, call: { kind: 'shell' } });
  });

  it('a tool_result deny tells the model with decision block', async () => {
    const r = recorder({ verdict: 'deny', reason: 'stop here' });
    const reply = await codexAdapter.handleHook('PostToolUse', hook('PostToolUse'), r.ctx);
    expect(JSON.parse(reply.stdout!)).toEqual({ decision: 'block', reason: 'stop here' });
  });

  it('Stop waits for the reply in the rollout, then idle; Interrupt is idle (interrupted)', async () => {
    const r = recorder({ verdict: 'none' }, { transcript: path.join(FIX, 'rollout-exec-command.jsonl') });
    await codexAdapter.handleHook('Stop', hook('Stop'), r.ctx);
    expect(r.flushes[0]).toEqual({ lastText: 'Wrote the file.', timeoutMs: 3000 });
    expect(r.events.filter((e) => e.type === 'message.assistant').map((e) => (e.data as { text: string }).text)).toEqual(['I will write it.', 'Wrote the file.']);
    expect(r.statuses.at(-1)).toEqual(['idle', undefined]);

    const i = recorder({}, { status: 'running' });
    await codexAdapter.handleHook('Interrupt', hook('Interrupt'), i.ctx);
    expect(i.statuses.at(-1)).toEqual(['idle', 'interrupted']);
  });

  it('SessionStart only learns the identity (it fires with the first prompt, not at launch)', async () => {
    const r = recorder({}, { status: 'starting' });
    await codexAdapter.handleHook('SessionStart', hook('SessionStart'), r.ctx);
    expect(r.statuses).toEqual([]);
    expect(r.events).toEqual([]);
    expect(r.session.harnessSessionId).toBe('01a2000d-e8dd-7540-aebb-3c94ebe308c8');
  });

  it("PermissionRequest (Codex's own approval dialog) is waiting, with the command", async () => {
    const r = recorder({}, { status: 'running' });
    await codexAdapter.handleHook('PermissionRequest', hook('PermissionRequest'), r.ctx);
    expect(r.statuses.at(-1)).toEqual(['waiting', 'Codex asks permission to run Bash: touch /tmp/codex-explore/outside-ws.txt']);
  });

  it('tool kinds', () => {
    expect(codexToolKind('Bash')).toBe('shell');
    expect(codexToolKind('exec_command')).toBe('shell');
    expect(codexToolKind('apply_patch')).toBe('edit');
    expect(codexToolKind('web_search')).toBe('web');
    expect(codexToolKind('mcp__github__list')).toBe('mcp');
    expect(codexToolKind('update_goal')).toBe('other');
  });
});

describe('Codex launch', () => {
  const hooks: LaunchContext['hooks'] = { command: (event, mode) => `sh '/opt/omni hook' /run/s.sock ${event} ${mode}` };
  const base = (over: Partial<LaunchContext> = {}): LaunchContext => ({
    session: { id: 's_1', name: 'n', cwd: '/work/my "proj"' },
    sessionDir: '/state/s_1',
    env: { HOME: os.homedir(), TMPDIR: '/var/tmp-elsewhere' },
    binary: { path: '/bin/codex' },
    extraArgs: ['--search'],
    hooks,
    ...over,
  });

  it('passes hooks, trust and notices as -c overrides, with the hook-trust bypass; no files written', async () => {
    const spec = await codexAdapter.prepareLaunch(base());
    expect(spec.command).toBe('/bin/codex');
    const a = spec.args;
    expect(a.at(-1)).toBe('--search');
    expect(a).toContain('--dangerously-bypass-hook-trust');
    const values = a.filter((_, i) => a[i - 1] === '-c');
    expect(values).toContain('features.daemon_auto_start=false');
    expect(values).toContain('projects={"/work/my \\"proj\\""={trust_level="trusted"}}');
    expect(values).toContain('notice.model_migrations={"gpt-5.5"="gpt-6-sol"}');
    expect(values).toContain(`hooks.PreToolUse=[{matcher="*",hooks=[{type="command",command="sh '/opt/omni hook' /run/s.sock PreToolUse gate",timeout=86400}]}]`);
    expect(values).toContain(`hooks.Interrupt=[{hooks=[{type="command",command="sh '/opt/omni hook' /run/s.sock Interrupt observe",timeout=3}]}]`);
    expect(values.filter((v) => v.startsWith('hooks.')).map((v) => v.slice(6, v.indexOf('=')))).toEqual([
      'SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PermissionRequest', 'PostToolUse', 'Stop', 'Interrupt', 'SessionEnd',
    ]);
    expect(spec.env).toEqual({ OMNI_SESSION_ID: 's_1', OMNI_SESSION_NAME: 'n' });
  });

  it('resumes with `codex resume <id>` and the same overrides; --model when asked', async () => {
    const spec = await codexAdapter.prepareLaunch(base({ resume: { harnessSessionId: '01a2000e-c2ba-7f02-ad0f-441046d551aa' }, session: { id: 's_1', name: 'n', cwd: '/w', model: 'gpt-5.5' } }));
    expect(spec.args.slice(0, 2)).toEqual(['resume', '01a2000e-c2ba-7f02-ad0f-441046d551aa']);
    expect(spec.args).toContain('--dangerously-bypass-hook-trust');
    expect(spec.args.join(' ')).toContain('--model gpt-5.5');
  });

  it('warns when the Codex home sits under the temporary directory (Codex then has no sandbox helpers)', async () => {
    const spec = await codexAdapter.prepareLaunch(base({ env: { HOME: '/tmp/h' } }));
    expect(spec.notes.some((n) => /under the temporary directory \/tmp/.test(n))).toBe(true);
    const fine = await codexAdapter.prepareLaunch(base({ env: { HOME: '/tmp/h', TMPDIR: '/tmp/h/tmp' } }));
    expect(fine.notes.some((n) => /temporary directory/.test(n))).toBe(false);
  });
});

describe('Codex screens (recorded 0.169.0 panes)', () => {
  const screen = (name: string) => fixture(`screen-${name}.txt`);

  it('first-run and blocking screens are waiting, with the reason', () => {
    expect(detectCodexScreen(screen('model-migration'))).toEqual({ status: 'waiting', reason: 'first-run screen: model migration notice' });
    expect(detectCodexScreen(screen('trust'))).toEqual({ status: 'waiting', reason: 'first-run screen: folder trust' });
    expect(detectCodexScreen(screen('hooks-review'))).toEqual({ status: 'waiting', reason: 'first-run screen: hooks need review' });
    expect(detectCodexScreen(screen('login'))).toEqual({ status: 'waiting', reason: 'first-run screen: login required' });
    expect(detectCodexScreen(screen('approval-exec'))).toEqual({ status: 'waiting', reason: 'Codex asks permission to run a command' });
  });

  it('an empty composer is ready (Codex reports nothing at launch); typed text in it is not', () => {
    expect(detectCodexScreen(screen('prompt-ready'))).toEqual({ status: 'idle', reason: 'ready for input' });
    expect(detectCodexScreen(screen('resumed'))).toEqual({ status: 'idle', reason: 'ready for input' });
    const typed = screen('prompt-ready').replace('› Ask Codex to do anything', '› CONF-TOOL now');
    expect(detectCodexScreen(typed)).toBeUndefined();
    expect(codexInputReady(typed)).toBe(true);
  });

  it('input is ready on the composer, not on a dialog', () => {
    expect(codexInputReady(screen('prompt-ready'))).toBe(true);
    expect(codexInputReady(screen('busy-hook-held'))).toBe(true);
    for (const s of ['model-migration', 'trust', 'hooks-review', 'login', 'approval-exec']) expect(codexInputReady(screen(s)), s).toBe(false);
  });

  it('idle after an interrupt: "Conversation interrupted" above an empty composer', () => {
    expect(codexIdleAfterInterrupt(screen('after-interrupt'))).toBe(true);
    expect(codexIdleAfterInterrupt(screen('busy-streaming'))).toBe(false);
    expect(codexIdleAfterInterrupt(screen('busy-hook-held'))).toBe(false);
  });
});
