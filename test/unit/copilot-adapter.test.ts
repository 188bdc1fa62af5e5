import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NewEvent, SessionStatus } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { versionIn } from '../../src/harnesses/binary.js';
import { blockedPrompt, copilotAdapter, resultOk } from '../../src/harnesses/copilot/index.js';
import type { DecisionRequest, IngestCursor, SignalContext, Verdict } from '../../src/harnesses/types.js';

const FIX = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'copilot');
const payloads = JSON.parse(fs.readFileSync(path.join(FIX, 'hook-payloads.json'), 'utf8')) as Record<string, Record<string, unknown>>;
const hook = (name: string) => structuredClone(payloads[name]!);

/** A recording SignalContext around one adapter session; ingestion reads `transcript` when given. */
function recorder(verdict: Verdict = { verdict: 'none' }, opts: { transcript?: string; command?: string[] } = {}) {
  const events: NewEvent[] = [];
  const statuses: Array<[SessionStatus, string | undefined]> = [];
  const decisions: DecisionRequest[] = [];
  const session = { id: 's_cop', name: 't', harness: 'copilot', cwd: '/w', status: 'idle', command: opts.command ?? ['copilot'] } as unknown as SessionRecord;
  const keys = new Set<string>();
  const seen: IngestCursor = { has: (k) => keys.has(k), add: (k) => void keys.add(k) };
  const s = copilotAdapter.open(session);
  const ctx: SignalContext = {
    session,
    emit: (ev) => events.push(ev),
    setStatus: (st, reason) => {
      session.status = st;
      statuses.push([st, reason]);
    },
    update: (patch) => {
      Object.assign(session, patch);
      if (opts.transcript) session.transcriptPath = opts.transcript;
    },
    decide: async (req) => {
      decisions.push(req);
      return verdict;
    },
    ingest: () => {},
    flushIngest: async (hint) => {
      await ingestor?.poll();
      if (hint) await ingestor?.flush(hint);
    },
  };
  const ingestor = opts.transcript ? s.createIngestor(ctx, seen) : undefined;
  return { ctx, events, statuses, decisions, session, handle: (ev: string, p: Record<string, unknown>) => s.handleHook(ev, p, ctx) };
}

describe('Copilot hook mapping (recorded 1.0.102 payloads)', () => {
  it('preToolUse: tool.call (bash, kind shell) with the call id from events.jsonl, and allow answers allow (no prompt of its own)', async () => {
    const r = recorder({ verdict: 'allow' }, { transcript: path.join(FIX, 'events.jsonl') });
    const p = hook('preToolUse');
    // The fixture's call (same tool and arguments as in events.jsonl).
    p.toolArgs = { command: 'echo probe1 > /tmp/cop/probe1.txt', description: 'write probe' };
    const reply = await r.handle('preToolUse', p);
    expect(JSON.parse(reply.stdout!)).toEqual({ permissionDecision: 'allow' });
    const call = r.events.find((e) => e.type === 'tool.call') as NewEvent & { data: { callId: string; kind: string } };
    expect(call.data.kind).toBe('shell');
    expect(call.data.callId).toMatch(/^call_/);
    expect(r.decisions[0]).toMatchObject({ phase: 'tool_call', tool: 'bash', call: { kind: 'shell', script: 'echo probe1 > /tmp/cop/probe1.txt', cwd: '/tmp/cop/work' } });
    expect(r.session.harnessSessionId).toBe('07557bb8-faaa-47b8-b031-0aeb14c09820');
    // postToolUse names no id: it is matched to the call by tool and arguments.
    const post = hook('postToolUse');
    post.toolArgs = p.toolArgs;
    await r.handle('postToolUse', post);
    const result = r.events.find((e) => e.type === 'tool.result') as NewEvent & { data: { callId: string; ok: boolean } };
    expect(result.data).toMatchObject({ callId: call.data.callId, ok: true });
  });

  it("no opinion from omni leaves Copilot's own question (says nothing), but omni's own MCP tools are allowed", async () => {
    expect(await recorder().handle('preToolUse', hook('preToolUse'))).toEqual({});
    const mcp = await recorder().handle('preToolUse', { ...hook('preToolUse'), toolName: 'omni-omni_agents', toolArgs: {} });
    expect(JSON.parse(mcp.stdout!)).toEqual({ permissionDecision: 'allow' });
    const other = await recorder().handle('preToolUse', { ...hook('preToolUse'), toolName: 'github-list_issues', toolArgs: {} });
    expect(other).toEqual({});
  });

  it('deny and an unheld ask answer deny with the reason', async () => {
    const deny = await recorder({ verdict: 'deny', reason: 'no writes today' }).handle('preToolUse', hook('preToolUse'));
    expect(JSON.parse(deny.stdout!)).toEqual({ permissionDecision: 'deny', permissionDecisionReason: 'no writes today' });
    const ask = await recorder({ verdict: 'ask' }).handle('preToolUse', hook('preToolUse'));
    expect(JSON.parse(ask.stdout!).permissionDecision).toBe('deny');
  });

  it('userPromptSubmitted: message.user and running; a blocked prompt is replaced, and its stand-in turn ends idle with the reason', async () => {
    const ok = recorder();
    expect(await ok.handle('userPromptSubmitted', hook('userPromptSubmitted'))).toEqual({});
    expect(ok.events[0]).toEqual({ type: 'message.user', data: { text: 'PROBE-TOOL1 go' } });
    expect(ok.statuses[0]![0]).toBe('running');
    const r = recorder({ verdict: 'deny', reason: 'no secrets' });
    const reply = await r.handle('userPromptSubmitted', hook('userPromptSubmitted'));
    expect(JSON.parse(reply.stdout!)).toEqual({ modifiedPrompt: blockedPrompt('no secrets') });
    expect(blockedPrompt('no secrets')).not.toContain('PROBE-TOOL1');
    await r.handle('agentStop', hook('agentStop'));
    expect(r.statuses.at(-1)).toEqual(['idle', 'prompt blocked by policy']);
  });

  it("an allow answers Copilot's question about that tool only, not about the next tool asked", async () => {
    const r = recorder({ verdict: 'allow' });
    await r.handle('preToolUse', { ...hook('preToolUse'), toolName: 'omni-omni_agents', toolArgs: {} });
    expect(await r.handle('permissionRequest', { ...hook('permissionRequest'), toolName: 'github/list_issues', toolInput: {} })).toEqual({});
    expect(r.statuses.at(-1)?.[0]).toBe('waiting');
    expect(JSON.parse((await r.handle('permissionRequest', { ...hook('permissionRequest'), toolName: 'omni/omni_agents', toolInput: {} })).stdout!)).toEqual({ behavior: 'allow' });
  });

  it('permissionRequest right after omni allowed the call (an MCP tool) is answered allow; one omni did not allow waits', async () => {
    const r = recorder({ verdict: 'allow' });
    await r.handle('preToolUse', { ...hook('preToolUse'), toolName: 'omni-omni_agents', toolArgs: {} });
    expect(JSON.parse((await r.handle('permissionRequest', { ...hook('permissionRequest'), toolName: 'omni/omni_agents', toolInput: {} })).stdout!)).toEqual({ behavior: 'allow' });
    expect(await r.handle('permissionRequest', hook('permissionRequest'))).toEqual({});
    expect(r.statuses.at(-1)?.[0]).toBe('waiting');
  });

  it('agentStop makes the session idle and names the events file; permissionRequest is a wait', async () => {
    const r = recorder();
    await r.handle('permissionRequest', hook('permissionRequest'));
    expect(r.statuses.at(-1)).toEqual(['waiting', 'Copilot asks permission to run bash: echo probe1 > /tmp/cop/probe1.txt']);
    await r.handle('agentStop', hook('agentStop'));
    expect(r.statuses.at(-1)).toEqual(['idle', undefined]);
    expect(r.session.transcriptPath).toBe('/tmp/cop/home/.copilot/session-state/07557bb8-faaa-47b8-b031-0aeb14c09820/events.jsonl');
  });

  it('before agentStop names it, the events file is found in the Copilot home recorded beside the plugin', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-cop-'));
    const hooks = { command: (e: string, m: string) => `hook ${e} ${m}` };
    const spec = await copilotAdapter.prepareLaunch({
      session: { id: 's1', name: 'n', cwd: dir },
      sessionDir: dir,
      env: { HOME: dir, COPILOT_HOME: path.join(dir, 'ch') },
      binary: { path: '/bin/copilot' },
      extraArgs: [],
      hooks,
      agentSocket: '/x.sock',
      hookClient: { node: 'node', omniJs: 'omni.js', omniHome: dir },
    });
    const r = recorder({ verdict: 'none' }, { command: [spec.command, ...spec.args] });
    await r.handle('userPromptSubmitted', hook('userPromptSubmitted'));
    expect(r.session.transcriptPath).toBe(path.join(dir, 'ch', 'session-state', '07557bb8-faaa-47b8-b031-0aeb14c09820', 'events.jsonl'));
  });

  it('resultOk reads the exit code from a shell result', () => {
    expect(resultOk({ resultType: 'success', textResultForLlm: '\n<shellId: 0 completed with exit code 0>' })).toBe(true);
    expect(resultOk({ resultType: 'success', textResultForLlm: 'boom\n<shellId: 1 completed with exit code 3>' })).toBe(false);
    expect(resultOk({ resultType: 'failure', textResultForLlm: 'x' })).toBe(false);
    expect(resultOk({ resultType: 'success', textResultForLlm: 'file contents' })).toBe(true);
  });
});

describe('Copilot launch', () => {
  it('loads omni hooks as a --plugin-dir plugin, trusts the folder in config.json keeping the rest, resumes with --resume', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-cop-'));
    const home = path.join(dir, 'home');
    fs.mkdirSync(path.join(home, '.copilot'), { recursive: true });
    const cfg = path.join(home, '.copilot', 'config.json');
    fs.writeFileSync(cfg, '// User settings belong in settings.json.\n// This file is managed automatically.\n{\n  "firstLaunchAt": "x",\n  "trustedFolders": ["/elsewhere"]\n}\n');
    const work = path.join(dir, 'work');
    const spec = await copilotAdapter.prepareLaunch({
      session: { id: 's1', name: 'n', cwd: work, model: 'gpt-4.1' },
      sessionDir: path.join(dir, 'sess'),
      env: { HOME: home },
      binary: { path: '/bin/copilot' },
      extraArgs: ['--banner'],
      hooks: { command: (e, m) => `hook ${e} ${m}` },
      agentSocket: '/x.sock',
      hookClient: { node: 'node', omniJs: 'omni.js', omniHome: dir },
      resume: { harnessSessionId: 'abc' },
      mcp: { command: 'node', args: ['omni.js', 'mcp'], env: { OMNI_HOME: dir } },
    });
    const pluginDir = spec.args[spec.args.indexOf('--plugin-dir') + 1]!;
    const hooks = JSON.parse(fs.readFileSync(path.join(pluginDir, 'hooks', 'hooks.json'), 'utf8'));
    expect(hooks.version).toBe(1);
    expect(hooks.hooks.preToolUse).toEqual([{ type: 'command', bash: 'hook preToolUse gate', timeoutSec: 86400 }]);
    expect(hooks.hooks.agentStop[0].bash).toBe('hook agentStop observe');
    expect(JSON.parse(fs.readFileSync(path.join(pluginDir, '.plugin', 'plugin.json'), 'utf8')).name).toBe('omni');
    expect(spec.args).toEqual(expect.arrayContaining(['--model', 'gpt-4.1', '--resume', 'abc', '--additional-mcp-config']));
    expect(spec.args.at(-1)).toBe('--banner');
    const mcp = JSON.parse(spec.args[spec.args.indexOf('--additional-mcp-config') + 1]!);
    expect(mcp.mcpServers.omni).toMatchObject({ type: 'local', command: 'node', tools: ['*'] });
    const after = fs.readFileSync(cfg, 'utf8');
    expect(after.startsWith('// User settings belong in settings.json.\n// This file is managed automatically.\n')).toBe(true);
    expect(JSON.parse(after.replace(/^\/\/.*$/gm, ''))).toEqual({ firstLaunchAt: 'x', trustedFolders: ['/elsewhere', work] });
    // A folder inside a trusted one is left as it is.
    await copilotAdapter.prepareLaunch({ session: { id: 's2', name: 'n', cwd: path.join(work, 'sub') }, sessionDir: path.join(dir, 's2'), env: { HOME: home }, binary: { path: '/bin/copilot' }, extraArgs: [], hooks: { command: () => 'x' }, agentSocket: '/x', hookClient: { node: 'node', omniJs: 'o', omniHome: dir } });
    expect(fs.readFileSync(cfg, 'utf8')).toBe(after);
  });

  it('its version line ends a sentence: the full stop is not part of the version', () => {
    expect(versionIn('GitHub Copilot CLI 1.0.102.\nRun \'copilot update\' to check for updates.\n')).toBe('1.0.102');
    expect(versionIn('codex-cli 0.169.0-alpha.1')).toBe('0.169.0-alpha.1');
  });

  it('vendor and provider follow the model', () => {
    expect(copilotAdapter.vendor('claude-sonnet-4.5')).toBe('anthropic');
    expect(copilotAdapter.vendor('gpt-4.1')).toBe('openai');
    expect(copilotAdapter.vendor(undefined)).toBe('github');
    expect(copilotAdapter.provider?.('gpt-4.1')).toBe('openai');
    expect(copilotAdapter.provider?.('mystery')).toBeUndefined();
  });
});
