import { vendorFromModel } from '../model-vendor.js';
import fs from 'node:fs';
import path from 'node:path';
import type { UsageData } from '../../core/events.js';
import { readJsonFile, writeFileAtomic } from '../../core/fsutil.js';
import { findBinary } from '../binary.js';
import { promptSubmitted, toolCalled } from '../signals.js';
import type { HarnessAdapter, HarnessSession, HookReply, LaunchContext, LaunchSpec, SignalContext } from '../types.js';
import { piDoctor } from './doctor.js';
import { piExtensionSource } from './extension.js';
import { detectPiScreen, piIdleScreen, piInputReady } from './screens.js';
import { resolvePiSessionFile, STATE_FILE } from './session-file.js';
import { piNormalize } from './tools.js';
import { piWiring } from './wiring.js';

export { piToolKind } from './tools.js';

export const EXTENSION_FILE = 'omni-pi-extension.mjs';

const NO_MODEL = 'Pi has no model: use /login, or add a provider to ~/.pi/agent/models.json';

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

interface PiUsage {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
  totalTokens?: number;
  cost?: { total?: number };
}

interface PiAssistantMessage {
  content?: Array<{ type?: string; text?: string }>;
  provider?: string;
  model?: string;
  usage?: PiUsage;
  stopReason?: string;
  errorMessage?: string;
  responseId?: string;
  timestamp?: number;
}

/**
 * Usage of one assistant message as Pi reports it. Pi prices every message from its model table
 * (`cost` in models.json for custom providers); a total of 0 means "no price known" as often as
 * "free", so it is passed on as reportedCostUsd only when positive.
 */
export function piUsage(m: PiAssistantMessage): UsageData | undefined {
  const u = m.usage;
  if (!u) return undefined;
  const inputTokens = num(u.input);
  const outputTokens = num(u.output);
  const cacheReadTokens = num(u.cacheRead);
  const cacheWriteTokens = num(u.cacheWrite);
  if (inputTokens + outputTokens + cacheReadTokens + cacheWriteTokens === 0) return undefined; // aborted before any token
  const cost = u.cost?.total;
  return {
    model: m.model ?? 'unknown',
    inputTokens,
    outputTokens,
    cacheReadTokens,
    cacheWriteTokens,
    ...(typeof cost === 'number' && Number.isFinite(cost) && cost > 0 ? { reportedCostUsd: cost } : {}),
    // Pi's provider name (a built-in id such as anthropic/openai, or the user's models.json key).
    ...(m.provider ? { provider: m.provider } : {}),
    source: 'pi.extension',
    messageId: piMessageId(m),
  };
}

export function piMessageId(m: PiAssistantMessage): string {
  return m.responseId ?? `pi-${m.timestamp ?? 'unknown'}`;
}

/** Providers Pi reaches without configuration (its built-in model list). */
const PI_BUILTIN_ENDPOINTS = ['https://api.anthropic.com', 'https://api.openai.com', 'https://generativelanguage.googleapis.com', 'https://api.groq.com', 'https://api.x.ai', 'https://openrouter.ai', 'https://api.mistral.ai', 'https://api.cerebras.ai'];
const PI_PROVIDER_VARS = ['ANTHROPIC_*', 'OPENAI_*', 'GEMINI_API_KEY', 'GROQ_API_KEY', 'XAI_API_KEY', 'OPENROUTER_API_KEY', 'MISTRAL_API_KEY', 'CEREBRAS_API_KEY', 'ZAI_API_KEY'];

export const piAdapter: HarnessAdapter = {
  name: 'pi',
  doctor: piDoctor,
  displayName: 'Pi',
  binaryName: 'pi',
  installHint: 'install it with `npm install -g @mariozechner/pi-coding-agent` (see https://github.com/badlogic/pi-mono)',
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
  submitDelayMs: 50,

  findBinary(env, versions) {
    return findBinary('pi', env, env.OMNI_BINARY_OVERRIDE, versions);
  },

  async prepareLaunch(ctx: LaunchContext): Promise<LaunchSpec> {
    const stateFile = path.join(ctx.sessionDir, STATE_FILE);
    const extFile = path.join(ctx.sessionDir, EXTENSION_FILE);
    writeFileAtomic(extFile, piExtensionSource(piWiring(ctx, stateFile), ctx.session.id));
    const notes = [`wrote the omni extension for Pi to ${extFile}`];
    const args = ['-e', extFile];
    if (ctx.resume) {
      const file = resolvePiSessionFile(ctx.resume.harnessSessionId, stateFile, ctx.env);
      args.push('--session', file ?? ctx.resume.harnessSessionId);
      notes.push(file ? `resuming Pi session file ${file}` : `no file found for Pi session ${ctx.resume.harnessSessionId}; Pi looks it up by id`);
    } else if (ctx.fork) {
      // `--fork <file>`: a new Pi session file with the source's history (the source's extension recorded its file).
      const file = resolvePiSessionFile(ctx.fork.harnessSessionId, path.join(ctx.fork.sourceSessionDir, STATE_FILE), ctx.env);
      args.push('--fork', file ?? ctx.fork.harnessSessionId);
      notes.push(file ? `forking Pi session file ${file}` : `no file found for Pi session ${ctx.fork.harnessSessionId}; Pi looks it up by id`);
    }
    if (ctx.session.model) args.push('--model', ctx.session.model);
    args.push(...ctx.extraArgs);
    const env: Record<string, string> = { OMNI_SESSION_ID: ctx.session.id, OMNI_SESSION_NAME: ctx.session.name };
    // In omni's sandbox Pi's start-up traffic (version check, install telemetry, package updates,
    // fd/ripgrep downloads) would each wait on an egress ask, and Pi awaits the downloads before
    // drawing its UI: offline mode, unless the user chose PI_OFFLINE themselves.
    if (ctx.sandboxed && ctx.env.PI_OFFLINE === undefined) {
      env.PI_OFFLINE = '1';
      notes.push('PI_OFFLINE=1 in the sandbox: no version check, telemetry or fd/ripgrep download at start');
    }
    return {
      command: ctx.binary.path,
      args,
      env,
      notes,
      // In a sandbox the extension cannot write its state file beside it (hidden): resume then
      // finds the Pi session by id instead.
      generated: [extFile],
    };
  },

  sandboxNeeds(env, cwd) {
    const agentDir = env.PI_CODING_AGENT_DIR || path.join(env.HOME || '', '.pi', 'agent');
    fs.mkdirSync(agentDir, { recursive: true, mode: 0o700 });
    // Pi talks to many providers: the built-in ones it knows, and any baseUrl in models.json.
    const endpoints = new Set(PI_BUILTIN_ENDPOINTS);
    try {
      const models = readJsonFile<{ providers?: Record<string, { baseUrl?: string }> }>(path.join(agentDir, 'models.json'));
      for (const p of Object.values(models?.providers ?? {})) if (p.baseUrl) endpoints.add(p.baseUrl);
    } catch {
      /* not valid JSON: Pi will say so */
    }
    // Sessions may live elsewhere (PI_CODING_AGENT_SESSION_DIR); Pi writes them there.
    const sessions = env.PI_CODING_AGENT_SESSION_DIR ? [path.resolve(cwd, env.PI_CODING_AGENT_SESSION_DIR)] : [];
    for (const d of sessions) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
    return {
      env: ['PI_*', ...PI_PROVIDER_VARS],
      writable: [agentDir, ...sessions],
      readable: [],
      modelEndpoints: [...endpoints],
      // Provider keys pass as they are: which header each provider wants is Pi's knowledge.
      modelCredentials: [],
    };
  },

  // Pi's tools run in its own cwd, which its payloads do not carry (the session's).
  normalizeToolCall: (tool, input) => piNormalize(tool, input),

  vendor: (model) => piVendor(model),

  open: () => new PiSession(),

  detectScreen: detectPiScreen,
  inputReady: piInputReady,
  // Pi reports an interrupted run (agent_end), but the pane settles first; either makes it idle.
  idleAfterInterrupt: piIdleScreen,
};

/** One omni session under Pi: everything arrives through the extension, so it holds nothing. */
class PiSession implements HarnessSession {
  async handleHook(event: string, payload: Record<string, unknown>, ctx: SignalContext): Promise<HookReply> {
    noteIdentity(payload, ctx);
    switch (event) {
      case 'SessionStart':
      case 'ModelSelect':
        if (payload.model === null) ctx.setStatus('waiting', NO_MODEL, 'hook');
        else if (event === 'SessionStart' || ctx.session.statusReason === NO_MODEL) ctx.setStatus('idle', undefined, 'hook');
        return {};
      case 'Prompt': {
        const source = str(payload.source);
        const v = await promptSubmitted(ctx, str(payload.text) ?? '', { key: str(payload.promptId), via: source && source !== 'interactive' ? `pi.${source}` : undefined });
        if (v.verdict === 'deny' || v.verdict === 'ask') return { exitCode: 2, stderr: v.reason ?? 'blocked by omni policy' };
        return {};
      }
      case 'ToolCall': {
        const tool = str(payload.toolName) ?? 'unknown';
        const input = payload.input ?? null;
        const v = await toolCalled(ctx, { callId: str(payload.toolCallId) ?? '', tool, input, call: piNormalize(tool, input) });
        if (v.verdict === 'deny') return { exitCode: 2, stderr: v.reason ?? 'blocked by omni policy' };
        return {};
      }
      case 'ToolResult': {
        const tool = str(payload.toolName) ?? 'unknown';
        const callId = str(payload.toolCallId) ?? '';
        const ok = payload.isError !== true;
        const output = payload.content ?? null;
        ctx.emit({ type: 'tool.result', data: { callId, tool, ok, output } });
        ctx.setStatus('running', undefined, 'hook');
        // The tool already ran; a policy can still learn from it or tell the model to stop.
        const input = payload.input ?? null;
        const v = await ctx.decide({ phase: 'tool_result', callId, tool, input, call: piNormalize(tool, input), ok, output });
        if (v.verdict === 'deny') return { exitCode: 2, stderr: `omni policy: ${v.reason ?? 'blocked by omni policy'}` };
        return {};
      }
      case 'MessageEnd': {
        const m = (payload.message ?? {}) as PiAssistantMessage;
        const messageId = piMessageId(m);
        const model = m.model;
        // An interrupted message is cut short (its text never reached the model's answer); an
        // errored one has no text. Both still cost their tokens.
        if (m.stopReason !== 'aborted' && m.stopReason !== 'error') {
          for (const b of m.content ?? []) {
            if (b.type === 'text' && b.text?.trim()) ctx.emit({ type: 'message.assistant', data: { text: b.text, messageId, ...(model ? { model } : {}) } });
          }
        }
        if (m.stopReason === 'error') ctx.emit({ type: 'error', data: { message: `Pi: ${m.errorMessage ?? 'the model request failed'}`, code: 'harness_model_error' } });
        const usage = piUsage(m);
        if (usage) ctx.emit({ type: 'usage', data: usage });
        return {};
      }
      case 'AgentEnd':
        ctx.setStatus('idle', str(payload.stopReason) === 'aborted' ? 'interrupted' : undefined, 'hook');
        return {};
      case 'SessionEnd':
      default:
        return {};
    }
  }

  // Everything arrives through the extension; there is no log to read.
  createIngestor(): undefined {
    return undefined;
  }

  close(): void {}
}

function noteIdentity(payload: Record<string, unknown>, ctx: SignalContext): void {
  const sid = str(payload.sessionId);
  const file = str(payload.sessionFile);
  if (sid || file) ctx.update({ harnessSessionId: sid, transcriptPath: file });
}

/** Pi runs many vendors' models: the maker when the model's name says so, else `pi`. */
export function piVendor(model?: string): string {
  return vendorFromModel(model, 'pi');
}
