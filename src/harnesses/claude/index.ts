import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../core/fsutil.js';
import { findBinary } from '../binary.js';
import { promptSubmitted, toolCalled } from '../signals.js';
import type { HarnessAdapter, HarnessSession, HookReply, IngestCursor, Ingestor, LaunchContext, LaunchSpec, ScreenMatch, SignalContext } from '../types.js';
import { claudeConfigFile, prepareClaudeConfig, userStatusLine, type ClaudeStatusLine } from './config.js';
import { claudeDoctor } from './doctor.js';
import { claudeMcpWiring } from './mcp.js';
import { sandboxedLaunch } from './sandbox.js';
import { claudeClearKeys, claudeIdleScreen, claudeInputReady, claudeInputText, detectClaudeScreen } from './screens.js';
import { claudeNormalize } from './tools.js';
import { ClaudeTranscript } from './transcript.js';

export { claudeToolKind } from './tools.js';

/** Hook events omni wires, and whether each gates (waits for a decision, fails closed). */
const HOOKS: Array<{ event: string; mode: 'gate' | 'observe'; matcher?: string }> = [
  { event: 'SessionStart', mode: 'observe' },
  { event: 'UserPromptSubmit', mode: 'gate' },
  { event: 'PreToolUse', mode: 'gate', matcher: '*' },
  { event: 'PostToolUse', mode: 'observe', matcher: '*' },
  { event: 'PostToolUseFailure', mode: 'observe', matcher: '*' },
  { event: 'Stop', mode: 'observe' },
  { event: 'SubagentStop', mode: 'observe' },
  { event: 'Notification', mode: 'observe' },
  { event: 'PermissionRequest', mode: 'observe', matcher: '*' },
  { event: 'SessionEnd', mode: 'observe' },
];

/**
 * Claude kills a hook that outlives its timeout and then RUNS THE TOOL (fails open), so a gate
 * hook that may hold a human approval gets a day. Observing hooks get a short one.
 */
const GATE_TIMEOUT_S = 86_400;
const OBSERVE_TIMEOUT_S = 30;

/**
 * omni's `--settings` for a session: its hooks, and a status line that hands Claude's own cost
 * (`cost.total_cost_usd`) to omni and then runs the user's status line, if any, keeping its
 * other keys (padding, refreshInterval, …).
 */
export function claudeSettings(hooks: LaunchContext['hooks'], user?: ClaudeStatusLine): Record<string, unknown> {
  const out: Record<string, unknown[]> = {};
  for (const h of HOOKS) {
    out[h.event] = [
      {
        ...(h.matcher ? { matcher: h.matcher } : {}),
        hooks: [{ type: 'command', command: hooks.command(h.event, h.mode), timeout: h.mode === 'gate' ? GATE_TIMEOUT_S : OBSERVE_TIMEOUT_S }],
      },
    ];
  }
  if (!hooks.statusLine) return { hooks: out };
  const { command, ...rest } = user ?? { command: '' };
  return { hooks: out, statusLine: { ...rest, type: 'command', command: hooks.statusLine(command || undefined) } };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export const claudeAdapter: HarnessAdapter = {
  name: 'claude',
  doctor: claudeDoctor,
  displayName: 'Claude Code',
  binaryName: 'claude',
  installHint: 'install it with `npm install -g @anthropic-ai/claude-code` (or see https://docs.claude.com/claude-code)',
  capabilities: {
    interactive: true,
    headless: true,
    toolEvents: true,
    deny: true,
    heldAsk: true,
    costSource: 'reported',
    interrupt: true,
    resume: true,
    fork: true,
  },
  interruptKeys: ['Escape'],
  submitDelayMs: 100,

  findBinary(env, versions) {
    return findBinary('claude', env, env.OMNI_BINARY_OVERRIDE, versions);
  },

  async prepareLaunch(ctx: LaunchContext): Promise<LaunchSpec> {
    const settingsFile = path.join(ctx.sessionDir, 'claude-settings.json');
    const user = userStatusLine(ctx.env, ctx.session.cwd);
    // Sandboxed: Claude's own prompts off, omni's policies and the walls guard (./sandbox.ts).
    const sbx = ctx.sandboxed ? sandboxedLaunch(ctx.extraArgs) : { args: [], env: {}, settings: {} };
    const mcp = ctx.mcp ? claudeMcpWiring(ctx.mcp, ctx.sessionDir, ctx.env) : undefined;
    writeFileAtomic(settingsFile, JSON.stringify({ ...claudeSettings(ctx.hooks, user.statusLine), ...sbx.settings, ...mcp?.settings }, null, 2) + '\n');
    const notes = [...user.notes, ...prepareClaudeConfig(ctx.env, ctx.session.cwd), ...(mcp ? [`omni's MCP server wired in (${mcp.file})`] : [])];
    const args = ['--settings', settingsFile, ...sbx.args, ...(mcp?.args ?? [])];
    if (ctx.resume) args.push('--resume', ctx.resume.harnessSessionId);
    // A fork: Claude's resume of the source conversation into a new session id.
    else if (ctx.fork) args.push('--resume', ctx.fork.harnessSessionId, '--fork-session');
    if (ctx.session.model) args.push('--model', ctx.session.model);
    args.push(...ctx.extraArgs);
    return {
      command: ctx.binary.path,
      args,
      env: { OMNI_SESSION_ID: ctx.session.id, OMNI_SESSION_NAME: ctx.session.name, ...sbx.env, ...mcp?.env },
      notes,
      generated: [settingsFile, ...(mcp ? [mcp.file] : [])],
    };
  },

  sandboxNeeds(env) {
    // Claude keeps sessions, transcripts and settings in its config dir, and onboarding and
    // folder trust in .claude.json (inside CLAUDE_CONFIG_DIR when set, else in $HOME).
    const configDir = env.CLAUDE_CONFIG_DIR || path.join(env.HOME || '', '.claude');
    fs.mkdirSync(configDir, { recursive: true, mode: 0o700 });
    const writable = [configDir];
    if (!env.CLAUDE_CONFIG_DIR) writable.push(claudeConfigFile(env));
    return {
      env: ['ANTHROPIC_*', 'CLAUDE_*', 'DISABLE_*', 'MCP_*', 'MAX_THINKING_TOKENS', 'MAX_MCP_OUTPUT_TOKENS', 'BASH_DEFAULT_TIMEOUT_MS', 'BASH_MAX_TIMEOUT_MS', 'API_TIMEOUT_MS'],
      writable,
      readable: [],
      modelEndpoints: [env.ANTHROPIC_BASE_URL || 'https://api.anthropic.com'],
      modelCredentials: [
        { env: 'ANTHROPIC_API_KEY', header: 'x-api-key', value: '${secret}' },
        { env: 'ANTHROPIC_AUTH_TOKEN', header: 'authorization', value: 'Bearer ${secret}' },
      ],
    };
  },

  normalizeToolCall: claudeNormalize,

  vendor: () => 'anthropic',

  provider(model) {
    // Bedrock model ids (`us.anthropic.claude-…`) are billed by AWS.
    return /(^|\.)anthropic\./i.test(model) ? 'aws' : 'anthropic';
  },

  open: () => new ClaudeSession(),

  detectScreen(text: string): ScreenMatch | undefined {
    return detectClaudeScreen(text);
  },

  inputReady: claudeInputReady,
  // Claude fires no Stop for an interrupted turn, and puts the interrupted prompt back in the box.
  idleAfterInterrupt: claudeIdleScreen,
  clearInputKeys: claudeClearKeys,
  // A prompt its UserPromptSubmit hook blocked comes back into the box (measured on 2.1.330).
  restoresBlockedPrompt: true,
  inputText: claudeInputText,
};

/** One omni session under Claude Code: its hooks, and the transcript reader once ingestion starts. */
class ClaudeSession implements HarnessSession {
  private transcript?: ClaudeTranscript;

  async handleHook(event: string, payload: Record<string, unknown>, ctx: SignalContext): Promise<HookReply> {
    noteIdentity(payload, ctx);
    switch (event) {
      case 'SessionStart':
        ctx.setStatus('idle', undefined, 'hook');
        return {};
      case 'UserPromptSubmit': {
        const v = await promptSubmitted(ctx, str(payload.prompt) ?? '', { key: str(payload.prompt_id) });
        if (v.verdict === 'deny' || v.verdict === 'ask') return { exitCode: 2, stderr: v.reason ?? 'blocked by omni policy' };
        return {};
      }
      case 'PreToolUse': {
        const tool = str(payload.tool_name) ?? 'unknown';
        const input = payload.tool_input ?? null;
        const v = await toolCalled(ctx, { callId: str(payload.tool_use_id) ?? '', tool, input, call: claudeNormalize(tool, input, str(payload.cwd)) });
        return preToolUseReply(v.verdict, v.reason);
      }
      case 'PostToolUse':
      case 'PostToolUseFailure': {
        const ok = event === 'PostToolUse';
        const tool = str(payload.tool_name) ?? 'unknown';
        const callId = str(payload.tool_use_id) ?? '';
        const output = ok ? (payload.tool_response ?? null) : (payload.error ?? payload.tool_response ?? null);
        ctx.emit({ type: 'tool.result', data: { callId, tool, ok, output } });
        ctx.setStatus('running', undefined, 'hook');
        void ctx.flushIngest().catch(() => {});
        // The tool already ran; a policy can still learn from it (state) or tell the model to stop.
        const input = payload.tool_input ?? null;
        const v = await ctx.decide({ phase: 'tool_result', callId, tool, input, call: claudeNormalize(tool, input, str(payload.cwd)), ok, output });
        if (v.verdict === 'deny') return { stdout: JSON.stringify({ decision: 'block', reason: v.reason ?? 'blocked by omni policy' }) };
        return {};
      }
      case 'PermissionRequest':
        // Claude's own permission dialog is opening (the Notification comes ~6 s later). It can be
        // drawn up to ~1 s after this hook, and a key typed before that is dropped.
        ctx.setStatus('waiting', `Claude Code asks permission for ${str(payload.tool_name) ?? 'a tool'}`, 'hook');
        return {};
      case 'Notification': {
        const type = str(payload.notification_type);
        const message = str(payload.message);
        if (type === 'permission_prompt' || type === 'agent_needs_input') {
          ctx.setStatus('waiting', message ?? 'Claude Code needs input', 'hook');
        } else if (type === 'idle_prompt') {
          ctx.setStatus('idle', undefined, 'hook');
        }
        return {};
      }
      case 'Stop':
        // Stop can fire before the transcript has the reply; wait briefly for it so that
        // whoever waits for idle finds the answer in the log.
        await ctx.flushIngest({ lastText: str(payload.last_assistant_message), timeoutMs: 3000 });
        ctx.setStatus('idle', undefined, 'hook');
        return {};
      case 'SubagentStop': {
        // A sub-agent (Agent tool) finished; its usage is in its own transcript, whose last row
        // may land after this hook: wait briefly for it, then count what it spent.
        const file = str(payload.agent_transcript_path);
        const last = str(payload.last_assistant_message);
        if (file && last) await untilFileHas(file, last, 3000);
        await ctx.flushIngest();
        return {};
      }
      case 'SessionEnd':
        await ctx.flushIngest();
        return {};
      case 'StatusLine': {
        // Claude's own running cost of its session (a new session id after /clear starts at 0;
        // a resumed one goes on from its total). The daemon logs it only when it changes.
        const total = (payload.cost as { total_cost_usd?: unknown } | undefined)?.total_cost_usd;
        const sid = str(payload.session_id);
        const model = str((payload.model as { id?: unknown } | undefined)?.id);
        if (typeof total === 'number' && Number.isFinite(total) && total >= 0 && sid) {
          ctx.emit({ type: 'cost.reported', data: { totalUsd: total, source: 'claude.statusline', harnessSessionId: sid, ...(model ? { model } : {}) } });
        }
        return {};
      }
      default:
        return {};
    }
  }

  createIngestor(ctx: SignalContext, seen: IngestCursor): Ingestor {
    this.transcript = new ClaudeTranscript(() => ctx.session.transcriptPath, ctx, seen);
    return this.transcript;
  }

  close(): void {
    this.transcript = undefined;
  }
}

function noteIdentity(payload: Record<string, unknown>, ctx: SignalContext): void {
  const sid = str(payload.session_id);
  const transcript = str(payload.transcript_path);
  const isNewTranscript = transcript !== undefined && transcript !== ctx.session.transcriptPath;
  ctx.update({ harnessSessionId: sid, transcriptPath: transcript });
  if (isNewTranscript || (transcript && fs.existsSync(transcript))) ctx.ingest();
}

/** Wait until a transcript holds this text (as JSON encodes it), up to `timeoutMs`. */
async function untilFileHas(file: string, text: string, timeoutMs: number): Promise<void> {
  const needle = JSON.stringify(text.trim()).slice(1, -1);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = fs.openSync(file, 'r');
      try {
        const size = fs.fstatSync(fd).size;
        const len = Math.min(size, 256 * 1024);
        const buf = Buffer.alloc(len);
        fs.readSync(fd, buf, 0, len, size - len);
        if (buf.toString('utf8').includes(needle)) return;
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      /* not written yet */
    }
    if (Date.now() >= deadline) return;
    await new Promise((r) => setTimeout(r, 25));
  }
}

function preToolUseReply(verdict: string, reason?: string): HookReply {
  if (verdict === 'deny') {
    return {
      stdout: JSON.stringify({
        hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: reason ?? 'blocked by omni policy' },
      }),
    };
  }
  if (verdict === 'allow') {
    return {
      stdout: JSON.stringify({ hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'allow', permissionDecisionReason: reason ?? 'allowed by omni policy' } }),
    };
  }
  return {};
}
