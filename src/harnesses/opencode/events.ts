import type { UsageData } from '../../core/events.js';
import { vendorFromModel } from '../model-vendor.js';

/** An assistant message as omni's plugin forwards it (a slice of OpenCode's message.updated). */
export interface OpenCodeMessage {
  id?: string;
  sessionID?: string;
  modelID?: string;
  providerID?: string;
  cost?: number;
  tokens?: { input?: number; output?: number; reasoning?: number; cache?: { read?: number; write?: number } };
  finish?: string;
  error?: { name?: string; message?: string };
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** OpenCode's built-in provider ids that name who bills (a user's own provider id says nothing). */
const BILLING_PROVIDERS = new Set(['anthropic', 'openai', 'google', 'xai', 'groq', 'mistral', 'deepseek', 'openrouter', 'cerebras', 'togetherai', 'deepinfra', 'amazon-bedrock', 'azure', 'google-vertex']);

/**
 * Usage of one assistant message (one model step). OpenCode prices it from its model table
 * (models.dev, or `cost` in the user's config); 0 means "no price known" as often as "free", so
 * it is passed on as reportedCostUsd only when positive, and the daemon prices the rest.
 * OpenCode counts reasoning apart from output; both are billed as output.
 */
export function opencodeUsage(m: OpenCodeMessage): UsageData | undefined {
  const t = m.tokens ?? {};
  const inputTokens = num(t.input);
  const outputTokens = num(t.output) + num(t.reasoning);
  const cacheReadTokens = num(t.cache?.read);
  const cacheWriteTokens = num(t.cache?.write);
  if (inputTokens + outputTokens + cacheReadTokens + cacheWriteTokens === 0) return undefined; // aborted before any token
  const cost = m.cost;
  return {
    model: m.modelID ?? 'unknown',
    inputTokens,
    outputTokens,
    cacheReadTokens,
    cacheWriteTokens,
    ...(typeof cost === 'number' && Number.isFinite(cost) && cost > 0 ? { reportedCostUsd: cost } : {}),
    ...(m.providerID && BILLING_PROVIDERS.has(m.providerID) ? { provider: m.providerID } : {}),
    source: 'opencode.plugin',
    ...(m.id ? { messageId: m.id } : {}),
  };
}

/** Who bills a model when the usage names no provider: its maker, from the name (gpt-4.1 → openai). */
export function opencodeProvider(model: string): string | undefined {
  const v = vendorFromModel(model, '');
  return v === '' ? undefined : v;
}

/** OpenCode's name for an interrupted message. */
export const ABORTED = 'MessageAbortedError';
