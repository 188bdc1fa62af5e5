import path from 'node:path';
import { writeFileAtomic } from '../../core/fsutil.js';
import { findBinary } from '../binary.js';
import { vendorFromModel } from '../model-vendor.js';
import type { HarnessAdapter, LaunchContext, LaunchSpec } from '../types.js';
import { wireConfig } from './config.js';
import { opencodeDoctor } from './doctor.js';
import { opencodeProvider } from './events.js';
import { opencodePluginSource, opencodeWiring, PLUGIN_FILE } from './plugin.js';
import { opencodeSandboxNeeds } from './sandbox.js';
import { detectOpenCodeScreen, opencodeIdleScreen, opencodeInputReady } from './screens.js';
import { OpenCodeSession } from './session.js';
import { opencodeNormalize } from './tools.js';

export { opencodeToolKind } from './tools.js';

/**
 * Start-up traffic OpenCode can do without: the update check and the models.dev catalogue
 * fetch. In omni's sandbox each would wait on an egress ask at every start.
 */
const OFFLINE_VARS = { OPENCODE_DISABLE_AUTOUPDATE: '1', OPENCODE_DISABLE_MODELS_FETCH: '1' };

export const opencodeAdapter: HarnessAdapter = {
  name: 'opencode',
  doctor: opencodeDoctor,
  displayName: 'OpenCode',
  binaryName: 'opencode',
  installHint: 'install it with `npm install -g opencode-ai` (see https://opencode.ai/docs)',
  capabilities: {
    interactive: true,
    headless: true,
    toolEvents: true,
    deny: true,
    heldAsk: true,
    costSource: 'tokens',
    interrupt: true,
    resume: true,
    // OpenCode can (`--fork`), but LaunchContext has no way to ask for a fork yet.
    fork: false,
  },
  // The TUI interrupts on the second Esc ("esc again to interrupt"); two sent together read as one.
  interruptKeys: ['Escape', 'Escape'],
  interruptKeyGapMs: 500,
  submitDelayMs: 100,
  // A new OpenCode session's first prompt reaches the plugin 10–20 s after Enter on a busy machine.
  promptAckMs: 45_000,

  findBinary(env, versions) {
    return findBinary('opencode', env, env.OMNI_BINARY_OVERRIDE, versions);
  },

  async prepareLaunch(ctx: LaunchContext): Promise<LaunchSpec> {
    const pluginFile = path.join(ctx.sessionDir, PLUGIN_FILE);
    writeFileAtomic(pluginFile, opencodePluginSource(opencodeWiring(ctx), ctx.session.id));
    const notes = [`wrote the omni plugin for OpenCode to ${pluginFile}`];
    const cfg = wireConfig(ctx.sessionDir, pluginFile, ctx.mcp, ctx.env);
    if ('error' in cfg) throw new Error(cfg.error);
    notes.push(cfg.note);
    const env: Record<string, string> = { OMNI_SESSION_ID: ctx.session.id, OMNI_SESSION_NAME: ctx.session.name, ...cfg.env };
    const args: string[] = [];
    if (ctx.resume) {
      args.push('--session', ctx.resume.harnessSessionId);
      notes.push(`resuming OpenCode session ${ctx.resume.harnessSessionId}`);
    }
    if (ctx.session.model) args.push('--model', ctx.session.model);
    args.push(...ctx.extraArgs);
    if (ctx.sandboxed) {
      for (const [k, v] of Object.entries(OFFLINE_VARS)) if (ctx.env[k] === undefined) env[k] = v;
      notes.push('in the sandbox: no update check or models.dev fetch at start');
    }
    return { command: ctx.binary.path, args, env, notes, generated: [pluginFile, ...cfg.files] };
  },

  sandboxNeeds: (env) => opencodeSandboxNeeds(env),

  normalizeToolCall: (tool, input) => opencodeNormalize(tool, input),

  provider: (model) => opencodeProvider(model),

  vendor: (model) => opencodeVendor(model),

  open: () => new OpenCodeSession(),

  detectScreen: detectOpenCodeScreen,
  inputReady: opencodeInputReady,
  idleAfterInterrupt: opencodeIdleScreen,
};

/** OpenCode runs many vendors' models: the maker when the model's name says so, else `opencode`. */
export function opencodeVendor(model?: string): string {
  return vendorFromModel(model, 'opencode');
}
