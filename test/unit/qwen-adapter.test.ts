import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { NewEvent, SessionStatus } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { qwenAdapter, SETTINGS_FILE } from '../../src/harnesses/qwen/index.js';
import { detectQwenScreen, qwenIdleScreen, qwenInputReady, qwenInputText } from '../../src/harnesses/qwen/screens.js';
import { parseJsonc } from '../../src/core/jsonc.js';
import { GATE_TIMEOUT, systemSettings } from '../../src/harnesses/qwen/settings.js';
import type { DecisionRequest, LaunchContext, SignalContext, Verdict } from '../../src/harnesses/types.js';

const FIX = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'qwen');
const fixture = (name: string) => fs.readFileSync(path.join(FIX, name), 'utf8');

/** Hook payloads as Qwen Code 0.24.4 sends them (recorded against the fake model). */
const SID = '3ec66d4a-d849-4f57-a0ff-b2c6a24e6894';
const base = { session_id: SID, transcript_path: `/nonexistent/${SID}.jsonl`, cwd: '/w', permission_mode: 'auto' };
const input = { command: 'echo hi-from-qwen > /tmp/qp/out.txt' };
const permissionRequest = { ...base, hook_event_name: 'PermissionRequest', prompt_id: `${SID}########0`, tool_name: 'run_shell_command', tool_input: input };
const preToolUse = { ...base, hook_event_name: 'PreToolUse', tool_name: 'run_shell_command', tool_input: input, tool_use_id: 'toolu_1796516486044_jrfjpbv1s', tool_call_id: 'call_Y5iEmVa6UtH7rhCFDqj7KV5p' };
const postToolUse = { ...preToolUse, hook_event_name: 'PostToolUse', tool_response: { llmContent: 'Command: echo …\nExit Code: 0', returnDisplay: '' } };

function recorder(verdict: Verdict = { verdict: 'none' }) {
  const events: NewEvent[] = [];
  const statuses: Array<[SessionStatus, string | undefined]> = [];
  const decisions: DecisionRequest[] = [];
  const session = { id: 's_test', name: 't', harness: 'qwen', cwd: '/w', status: 'idle', lastSeq: 0 } as SessionRecord;
  const ctx: SignalContext = {
    session,
    emit: (ev) => events.push(ev),
    setStatus: (s, reason) => void statuses.push([s, reason]),
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
  return { ctx, events, statuses, decisions, session, s: qwenAdapter.open(session) };
}

describe('Qwen Code tools → normalized calls', () => {
  it('run_shell_command is shell with its script, and runs in its own directory when it names one', () => {
    expect(qwenAdapter.normalizeToolCall('run_shell_command', { command: 'ls -la' }, '/w')).toEqual({ kind: 'shell', script: 'ls -la', cwd: '/w' });
    expect(qwenAdapter.normalizeToolCall('run_shell_command', { command: 'ls', directory: '/w/sub' }, '/w')).toEqual({ kind: 'shell', script: 'ls', cwd: '/w/sub' });
  });
  it('file tools name their paths, reads apart from writes', () => {
    expect(qwenAdapter.normalizeToolCall('read_file', { file_path: '/w/a' })).toEqual({ kind: 'read', paths: { read: ['/w/a'], write: [] } });
    expect(qwenAdapter.normalizeToolCall('write_file', { file_path: '/w/b', content: 'x' })).toEqual({ kind: 'write', paths: { read: [], write: ['/w/b'] } });
    expect(qwenAdapter.normalizeToolCall('edit', { file_path: '/w/c', old_string: 'a', new_string: 'b' })).toEqual({ kind: 'edit', paths: { read: [], write: ['/w/c'] } });
    expect(qwenAdapter.normalizeToolCall('grep_search', { pattern: 'x' })).toEqual({ kind: 'read', searchesCwd: true });
    expect(qwenAdapter.normalizeToolCall('list_directory', { path: '/w' })).toEqual({ kind: 'read', paths: { read: ['/w'], write: [] } });
    expect(qwenAdapter.normalizeToolCall('web_fetch', { url: 'https://x.test', prompt: 'p' })).toEqual({ kind: 'web', url: 'https://x.test' });
    expect(qwenAdapter.normalizeToolCall('mcp__omni__omni_spawn', {}).kind).toBe('mcp');
  });
  it('vendor and billing follow the model, Qwen models being unpriced', () => {
    expect(qwenAdapter.vendor('qwen3-coder-plus')).toBe('alibaba');
    expect(qwenAdapter.vendor('gpt-4.1')).toBe('openai');
    expect(qwenAdapter.vendor()).toBe('alibaba');
    expect(qwenAdapter.provider?.('gpt-4.1')).toBe('openai');
    expect(qwenAdapter.provider?.('qwen3-coder-plus')).toBeUndefined();
  });
});

describe('Qwen Code hooks → uniform events', () => {
  it('SessionStart records the session id and chat log and goes idle', async () => {
    const r = recorder();
    await r.s.handleHook('SessionStart', { ...base, hook_event_name: 'SessionStart', source: 'startup', model: 'gpt-4.1' }, r.ctx);
    expect(r.session.harnessSessionId).toBe(SID);
    expect(r.session.transcriptPath).toBe(base.transcript_path);
    expect(r.statuses).toEqual([['idle', undefined]]);
  });

  it('a prompt is message.user and the prompt phase; the empty one Qwen sends with tool results is not', async () => {
    const r = recorder();
    await r.s.handleHook('UserPromptSubmit', { ...base, prompt: 'please RUNSHELL now', prompt_id: 'p0' }, r.ctx);
    await r.s.handleHook('UserPromptSubmit', { ...base, prompt: '', prompt_id: 'p0' }, r.ctx);
    expect(r.events.map((e) => [e.type, (e.data as { text?: string }).text])).toEqual([['message.user', 'please RUNSHELL now']]);
    expect(r.decisions.map((d) => d.phase)).toEqual(['prompt']);
  });

  it('a blocked prompt answers with a block decision and its reason', async () => {
    const r = recorder({ verdict: 'deny', reason: 'no prompts today' });
    const reply = await r.s.handleHook('UserPromptSubmit', { ...base, prompt: 'x' }, r.ctx);
    expect(JSON.parse(reply.stdout!)).toEqual({ decision: 'block', reason: 'no prompts today' });
  });

  it('PermissionRequest decides once; its allow answers the dialog; PreToolUse then adds nothing; PostToolUse is the result', async () => {
    const r = recorder({ verdict: 'allow' });
    const reply = await r.s.handleHook('PermissionRequest', permissionRequest, r.ctx);
    expect(JSON.parse(reply.stdout!)).toEqual({ hookSpecificOutput: { hookEventName: 'PermissionRequest', decision: { behavior: 'allow' } } });
    expect(await r.s.handleHook('PreToolUse', preToolUse, r.ctx)).toEqual({});
    await r.s.handleHook('PostToolUse', postToolUse, r.ctx);
    expect(r.decisions.map((d) => d.phase)).toEqual(['tool_call', 'tool_result']);
    const call = r.events.find((e) => e.type === 'tool.call')!.data as { callId: string; kind: string; input: unknown };
    const result = r.events.find((e) => e.type === 'tool.result')!.data as { callId: string; ok: boolean };
    expect(call).toMatchObject({ kind: 'shell', input });
    // No chat log here: a call id of omni's, which the result then names too.
    expect(result).toMatchObject({ callId: call.callId, ok: true });
  });

  it('a deny at PermissionRequest answers the dialog with the reason for the model', async () => {
    const r = recorder({ verdict: 'deny', reason: 'not that' });
    const reply = await r.s.handleHook('PermissionRequest', permissionRequest, r.ctx);
    expect(JSON.parse(reply.stdout!).hookSpecificOutput.decision).toEqual({ behavior: 'deny', message: 'not that' });
  });

  it('an ask that comes back unheld is refused at PermissionRequest, never let through', async () => {
    const r = recorder({ verdict: 'ask' });
    const reply = await r.s.handleHook('PermissionRequest', permissionRequest, r.ctx);
    expect(JSON.parse(reply.stdout!).hookSpecificOutput.decision.behavior).toBe('deny');
  });

  it('no opinion leaves Qwen its own dialog, and says the session waits on it', async () => {
    const r = recorder({ verdict: 'none' });
    expect(await r.s.handleHook('PermissionRequest', permissionRequest, r.ctx)).toEqual({});
    expect(r.statuses.at(-1)?.[0]).toBe('waiting');
  });

  it('PreToolUse without a PermissionRequest decides, and a deny blocks with the reason', async () => {
    const r = recorder({ verdict: 'deny', reason: 'CONF-DENY' });
    const reply = await r.s.handleHook('PreToolUse', preToolUse, r.ctx);
    expect(JSON.parse(reply.stdout!)).toEqual({ hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: 'CONF-DENY' } });
    const call = r.events.find((e) => e.type === 'tool.call')!.data as { callId: string };
    expect(call.callId).toBe('call_Y5iEmVa6UtH7rhCFDqj7KV5p');
  });

  it('Stop is idle; an idle notification is idle; a failed turn is idle with the reason', async () => {
    const r = recorder();
    await r.s.handleHook('Stop', { ...base, last_assistant_message: 'Done running.' }, r.ctx);
    await r.s.handleHook('Notification', { ...base, notification_type: 'idle_prompt', message: 'Qwen Code is waiting for your input' }, r.ctx);
    await r.s.handleHook('StopFailure', { ...base, error_type: 'api_error' }, r.ctx);
    expect(r.statuses.map((s) => s[0])).toEqual(['idle', 'idle', 'idle']);
    expect(r.statuses[2]?.[1]).toMatch(/failed/);
  });
});

describe('Qwen Code screens (0.24.4 panes)', () => {
  it('the provider choice of a first run is waiting; the ready prompt is not a screen', () => {
    expect(detectQwenScreen(fixture('screen-connect-provider.txt'))?.reason).toMatch(/provider/);
    expect(qwenInputReady(fixture('screen-connect-provider.txt'))).toBe(false);
    expect(detectQwenScreen(fixture('screen-idle.txt'))).toBeUndefined();
    expect(qwenInputReady(fixture('screen-idle.txt'))).toBe(true);
    expect(qwenIdleScreen(fixture('screen-idle.txt'))).toBe(true);
  });
  it('reads the input box: the placeholder is empty, typed text is itself, history lines are not the box', () => {
    expect(qwenInputText(fixture('screen-idle.txt'))).toBe('');
    const typed = fixture('screen-idle.txt').replace('>   Type your message or @path/to/file', '> SLOW please \u200b');
    expect(qwenInputText(typed)).toBe('SLOW please');
    expect(qwenIdleScreen(typed.replace('Auto mode', '(5s · esc to cancel)'))).toBe(false);
  });
});

describe('Qwen Code launch: a system settings file of omni\'s own', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'qwen-launch-'));
    dirs.push(d);
    return d;
  };
  const ctx = (dir: string, env: Record<string, string>, extra: Partial<LaunchContext> = {}): LaunchContext => ({
    session: { id: 's_1', name: 'q', cwd: dir, model: undefined },
    sessionDir: dir,
    env,
    binary: { path: '/bin/qwen' },
    extraArgs: [],
    hooks: { command: (ev, mode) => `omni-hook ${mode} ${ev}` },
    agentSocket: '/tmp/sock',
    hookClient: { node: 'node', omniJs: 'omni.js', omniHome: '/o' },
    ...extra,
  });

  it('wires gate and observe hooks through QWEN_CODE_SYSTEM_SETTINGS_PATH, writing nothing of the user\'s', async () => {
    const dir = tmp();
    const home = path.join(dir, 'home');
    const spec = await qwenAdapter.prepareLaunch(ctx(dir, { HOME: home, QWEN_CODE_SYSTEM_SETTINGS_PATH: path.join(dir, 'none.json') }));
    const file = path.join(dir, SETTINGS_FILE);
    expect(spec.env.QWEN_CODE_SYSTEM_SETTINGS_PATH).toBe(file);
    expect(spec.env.QWEN_CODE_SYSTEM_DEFAULTS_PATH).toBe(path.join(dir, 'system-defaults.json'));
    expect(spec.generated).toEqual([file]);
    expect(fs.existsSync(home)).toBe(false);
    const s = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(s.hooks.PreToolUse).toEqual([{ matcher: '*', hooks: [{ type: 'command', command: 'omni-hook gate PreToolUse', timeout: GATE_TIMEOUT }] }]);
    expect(s.hooks.PermissionRequest[0].hooks[0].command).toBe('omni-hook gate PermissionRequest');
    expect(s.hooks.Stop[0].hooks[0]).toMatchObject({ command: 'omni-hook observe Stop', timeout: 30 });
    expect(spec.args).toEqual([]);
  });

  it('keeps the machine\'s own system settings (comments and all), appending to its hooks', () => {
    const dir = tmp();
    const original = path.join(dir, 'etc-settings.json');
    fs.writeFileSync(original, '{\n  // the admin\'s\n  "general": { "vimMode": true },\n  "hooks": { "Stop": [{ "hooks": [{ "type": "command", "command": "admin-stop" }] }] },\n}\n');
    const out = systemSettings({ QWEN_CODE_SYSTEM_SETTINGS_PATH: original, QWEN_CODE_SYSTEM_DEFAULTS_PATH: '/d.json' }, path.join(dir, 'o.json'), { Stop: [{ hooks: [{ command: 'omni' }] }] });
    expect(out.settings.general).toEqual({ vimMode: true });
    expect((out.settings.hooks as Record<string, unknown[]>).Stop).toEqual([{ hooks: [{ type: 'command', command: 'admin-stop' }] }, { hooks: [{ command: 'omni' }] }]);
    expect(out.env).toEqual({ QWEN_CODE_SYSTEM_SETTINGS_PATH: path.join(dir, 'o.json') });
  });

  it('resume passes --resume with Qwen\'s session id; a model passes --model; MCP wires omni as a stdio server', async () => {
    const dir = tmp();
    const spec = await qwenAdapter.prepareLaunch(
      ctx(dir, { HOME: dir, QWEN_CODE_SYSTEM_SETTINGS_PATH: path.join(dir, 'none.json') }, {
        resume: { harnessSessionId: SID },
        session: { id: 's_1', name: 'q', cwd: dir, model: 'gpt-4.1' },
        mcp: { command: 'node', args: ['omni.js', 'mcp'], env: { A: '1' } },
      }),
    );
    expect(spec.args).toEqual(['--resume', SID, '--model', 'gpt-4.1']);
    const s = JSON.parse(fs.readFileSync(path.join(dir, SETTINGS_FILE), 'utf8'));
    expect(s.mcpServers.omni).toEqual({ command: 'node', args: ['omni.js', 'mcp'], env: { A: '1' }, trust: true, timeout: 3_900_000 });
  });

  it('parseJsonc strips comments but not // inside strings', () => {
    expect(parseJsonc('{"u": "http://x" /* c */, // d\n "n": [1,2,],}')).toEqual({ u: 'http://x', n: [1, 2] });
  });
});

describe('Qwen Code in omni\'s sandbox', () => {
  it('the model endpoints are the base URLs of the user\'s and the workspace\'s settings, else OPENAI_BASE_URL, else the defaults', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qwen-sbx-'));
    try {
      const home = path.join(dir, 'home');
      const cwd = path.join(dir, 'work');
      expect(qwenAdapter.sandboxNeeds!({ HOME: home }, cwd).modelEndpoints).toContain('https://api.openai.com/v1');
      expect(fs.statSync(path.join(home, '.qwen')).isDirectory()).toBe(true);
      fs.writeFileSync(path.join(home, '.qwen', 'settings.json'), '{ // mine\n "security": { "auth": { "selectedType": "openai", "baseUrl": "http://127.0.0.1:9/v1" } },\n "modelProviders": { "openai": [{ "id": "m", "baseUrl": "https://llm.example/v1" }] } }');
      fs.mkdirSync(path.join(cwd, '.qwen'), { recursive: true });
      fs.writeFileSync(path.join(cwd, '.qwen', 'settings.json'), '{ "security": { "auth": { "baseUrl": "https://proj.example/v1" } } }');
      const needs = qwenAdapter.sandboxNeeds!({ HOME: home, OPENAI_BASE_URL: 'https://env.example/v1' }, cwd);
      expect(needs.modelEndpoints).toEqual(['https://env.example/v1', 'http://127.0.0.1:9/v1', 'https://llm.example/v1', 'https://proj.example/v1']);
      expect(needs.writable).toEqual([path.join(home, '.qwen')]);
      expect(needs.modelCredentials.map((c) => c.env)).toEqual(['OPENAI_API_KEY', 'DASHSCOPE_API_KEY']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('turns Qwen\'s usage statistics off in the sandbox only, and only when the caller did not choose', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qwen-sbx-'));
    try {
      const base: LaunchContext = {
        session: { id: 's_1', name: 'q', cwd: dir, model: undefined },
        sessionDir: dir,
        env: { HOME: dir, QWEN_CODE_SYSTEM_SETTINGS_PATH: path.join(dir, 'none.json') },
        binary: { path: '/bin/qwen' },
        extraArgs: [],
        hooks: { command: (ev, mode) => `omni-hook ${mode} ${ev}` },
        agentSocket: '/tmp/sock',
        hookClient: { node: 'node', omniJs: 'omni.js', omniHome: '/o' },
      };
      expect((await qwenAdapter.prepareLaunch({ ...base, sandboxed: true })).env.QWEN_USAGE_STATISTICS_ENABLED).toBe('false');
      expect((await qwenAdapter.prepareLaunch(base)).env.QWEN_USAGE_STATISTICS_ENABLED).toBeUndefined();
      expect((await qwenAdapter.prepareLaunch({ ...base, sandboxed: true, env: { ...base.env, QWEN_USAGE_STATISTICS_ENABLED: 'true' } })).env.QWEN_USAGE_STATISTICS_ENABLED).toBeUndefined();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
