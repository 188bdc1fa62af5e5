import path from 'node:path';
import { writeFileAtomic } from '../../core/fsutil.js';
import { findBinary } from '../binary.js';
import { vendorFromModel } from '../model-vendor.js';
import type { HarnessAdapter, LaunchContext, LaunchSpec } from '../types.js';
import { qwenDoctor } from './doctor.js';
import { qwenSandboxNeeds } from './sandbox.js';
import { detectQwenScreen, qwenIdleScreen, qwenInputReady, qwenInputText } from './screens.js';
import { QwenSession } from './session.js';
import { qwenHooks, systemSettings } from './settings.js';
import { qwenNormalize } from './tools.js';

export { qwenToolKind } from './tools.js';

export const SETTINGS_FILE = 'qwen-system-settings.json';

/** 65 minutes: omni_wait may wait an hour. */
const MCP_TIMEOUT_MS = 3_900_000;

export const qwenAdapter: HarnessAdapter = {
  name: 'qwen',
  doctor: qwenDoctor,
  displayName: 'Qwen Code',
  binaryName: 'qwen',
  installHint: 'install it with `npm install -g @qwen-code/qwen-code` (see https://github.com/QwenLM/qwen-code)',
  capabilities: {
    interactive: true,
    headless: true,
    toolEvents: true,
    deny: true,
    heldAsk: true,
    // Qwen logs tokens, never a price: the daemon prices them from the price book.
    costSource: 'tokens',
    interrupt: true,
    resume: true,
    // Qwen can (`--resume <id> --fork-session`), but LaunchContext has no way to ask for a fork yet.
    fork: false,
  },
  interruptKeys: ['Escape'],
  submitDelayMs: 100,

  findBinary(env, versions) {
    return findBinary('qwen', env, env.OMNI_BINARY_OVERRIDE, versions);
  },

  async prepareLaunch(ctx: LaunchContext): Promise<LaunchSpec> {
    const file = path.join(ctx.sessionDir, SETTINGS_FILE);
    // omni's MCP server as the stdio server `omni`, in omni's own settings scope (not the user's).
    // `trust`: no Qwen dialog for its tools (omni's policies gate them, as every tool); `timeout`
    // (ms; Qwen's default is 10 min) lets omni_wait wait its hour.
    const mcpServers = ctx.mcp ? { omni: { command: ctx.mcp.command, args: ctx.mcp.args, env: ctx.mcp.env, trust: true, timeout: MCP_TIMEOUT_MS } } : undefined;
    const sys = systemSettings(ctx.env, file, qwenHooks(ctx.hooks), { mcpServers });
    writeFileAtomic(file, JSON.stringify(sys.settings, null, 2) + '\n');
    const notes = [`wrote omni's hooks for Qwen Code to ${file} (its system settings scope, via QWEN_CODE_SYSTEM_SETTINGS_PATH)`, ...sys.notes];
    if (ctx.mcp) notes.push("omni's MCP server wired in as `omni`");
    // In omni's sandbox every start sends Qwen's usage statistics to Alibaba's RUM host, which
    // would stop the session on an egress ask: off there, unless the caller chose themselves.
    const sandboxEnv: Record<string, string> = ctx.sandboxed && ctx.env.QWEN_USAGE_STATISTICS_ENABLED === undefined ? { QWEN_USAGE_STATISTICS_ENABLED: 'false' } : {};
    if (sandboxEnv.QWEN_USAGE_STATISTICS_ENABLED) notes.push("Qwen Code's usage statistics are off in the sandbox (QWEN_USAGE_STATISTICS_ENABLED=false)");
    const args: string[] = [];
    if (ctx.resume) args.push('--resume', ctx.resume.harnessSessionId);
    if (ctx.session.model) args.push('--model', ctx.session.model);
    args.push(...ctx.extraArgs);
    return {
      command: ctx.binary.path,
      args,
      env: { OMNI_SESSION_ID: ctx.session.id, OMNI_SESSION_NAME: ctx.session.name, ...sys.env, ...sandboxEnv },
      notes,
      generated: [file],
    };
  },

  sandboxNeeds: (env, cwd) => qwenSandboxNeeds(env, cwd),

  normalizeToolCall: qwenNormalize,

  // Qwen Code runs whatever model its provider serves (Qwen, but also GPT, Claude, Gemini…).
  vendor: (model) => vendorFromModel(model, 'alibaba'),

  // The price book has no Alibaba (DashScope) prices: Qwen models stay unpriced unless a
  // provider/ prefix names who serves them; GPT, Claude and Gemini models are their makers'.
  provider(model) {
    const v = vendorFromModel(model, 'alibaba');
    return v === 'alibaba' ? undefined : v;
  },

  open: () => new QwenSession(),

  detectScreen: detectQwenScreen,
  inputReady: qwenInputReady,
  // No hook fires for an interrupted turn, and Qwen puts the interrupted prompt back in the box.
  idleAfterInterrupt: qwenIdleScreen,
  clearInputKeys: () => ['C-u'],
  inputText: qwenInputText,
};
