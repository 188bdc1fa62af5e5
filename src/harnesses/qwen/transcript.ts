import { JsonlCursor } from '../../core/jsonl.js';
import type { UsageData } from '../../core/events.js';
import type { FlushHint, Ingestor, IngestCursor, SignalContext } from '../types.js';
import { pollForText } from '../log-wait.js';

/**
 * Qwen Code's chat log (`transcript_path` in every hook payload:
 * `~/.qwen/projects/<cwd with / as ->/chats/<session id>.jsonl`) is the source of assistant text
 * and usage. Measured on 0.24.4: one `assistant` row per model response, written once the
 * response is complete, with Gemini-style `message.parts` (text, `thought`, `functionCall`) and
 * `usageMetadata`. Side requests (the auto mode classifier, titles) are not logged there.
 */
export interface QwenRow {
  uuid?: string;
  type?: string;
  model?: string;
  message?: { role?: string; parts?: QwenPart[] };
  usageMetadata?: QwenUsage;
}

export interface QwenPart {
  text?: string;
  thought?: boolean;
  functionCall?: { id?: string; name?: string; args?: unknown };
}

export interface QwenUsage {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  cachedContentTokenCount?: number;
  totalTokenCount?: number;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);

/**
 * One response's usage in omni's terms. The prompt count includes cached input (omni counts it
 * apart). Over the OpenAI APIs the candidates count already holds the reasoning tokens (total =
 * prompt + candidates); where a provider reports thoughts apart (total = prompt + candidates +
 * thoughts) they are added to the output.
 */
export function qwenUsage(u: QwenUsage, model: string, messageId: string): UsageData | undefined {
  const prompt = num(u.promptTokenCount);
  const cached = Math.min(num(u.cachedContentTokenCount), prompt);
  const candidates = num(u.candidatesTokenCount);
  const thoughts = num(u.thoughtsTokenCount);
  const total = num(u.totalTokenCount);
  const thoughtsApart = thoughts > 0 && total >= prompt + candidates + thoughts;
  const outputTokens = candidates + (thoughtsApart ? thoughts : 0);
  if (prompt + outputTokens === 0) return undefined; // aborted before any token
  return { model, inputTokens: prompt - cached, outputTokens, cacheReadTokens: cached, cacheWriteTokens: 0, source: 'qwen.transcript', messageId };
}

/** The key a tool call is known by before Qwen names its id to a hook: its name and arguments. */
export function callKey(tool: string, input: unknown): string {
  return `${tool}\u0000${JSON.stringify(input ?? null)}`;
}

export class QwenTranscript implements Ingestor {
  private cursor: JsonlCursor | undefined;
  private texts = new Set<string>();
  /** The model's call ids by name and arguments, newest last (a PermissionRequest names neither). */
  private calls = new Map<string, string[]>();

  constructor(
    private readonly file: () => string | undefined,
    private readonly ctx: Pick<SignalContext, 'emit'>,
    private readonly seen: IngestCursor,
  ) {}

  async poll(): Promise<void> {
    const file = this.file();
    if (!file) return;
    if (file !== this.cursor?.file) this.cursor = new JsonlCursor(file);
    this.cursor.read<QwenRow>((row) => this.row(row));
  }

  watchPaths(): string[] {
    const file = this.file();
    return file ? [file] : [];
  }

  flush(hint: FlushHint = {}): Promise<void> {
    return pollForText(() => this.poll(), (t) => this.texts.has(t), hint);
  }

  /** The id the model gave the newest call of `tool` with these arguments that no hook claimed yet. */
  takeCallId(tool: string, input: unknown): string | undefined {
    const ids = this.calls.get(callKey(tool, input));
    return ids?.shift();
  }

  /** A hook named this call's id itself (PreToolUse): it is no longer waiting to be claimed. */
  claim(tool: string, input: unknown, id: string): void {
    const ids = this.calls.get(callKey(tool, input));
    const at = ids?.indexOf(id) ?? -1;
    if (ids && at >= 0) ids.splice(at, 1);
  }

  private row(row: QwenRow): void {
    if (row.type !== 'assistant' || !row.message) return;
    const id = row.uuid ?? '';
    const model = row.model ?? 'unknown';
    const parts = Array.isArray(row.message.parts) ? row.message.parts : [];
    parts.forEach((p, i) => {
      const fc = p.functionCall;
      if (fc?.id && fc.name) {
        const k = callKey(fc.name, fc.args ?? {});
        const ids = this.calls.get(k) ?? [];
        if (!ids.includes(fc.id)) ids.push(fc.id);
        this.calls.set(k, ids);
      }
      if (p.thought || typeof p.text !== 'string' || !p.text.trim()) return;
      this.texts.add(p.text.trim());
      if (this.texts.size > 50) this.texts.delete(this.texts.values().next().value!);
      const key = `text:${id}:${i}`;
      if (this.seen.has(key)) return;
      this.seen.add(key);
      this.ctx.emit({ type: 'message.assistant', data: { text: p.text, messageId: id, model } });
    });
    const usage = row.usageMetadata ? qwenUsage(row.usageMetadata, model, id) : undefined;
    if (usage && !this.seen.has(`usage:${id}`)) {
      this.seen.add(`usage:${id}`);
      this.ctx.emit({ type: 'usage', data: usage });
    }
  }
}
