import { JsonlCursor } from '../../core/jsonl.js';
import type { FlushHint, Ingestor, IngestCursor, SignalContext } from '../types.js';
import { pollForText, pollUntil } from '../log-wait.js';

/**
 * Copilot's per-session event log (`$COPILOT_HOME/session-state/<id>/events.jsonl`, the
 * agentStop hook's `transcriptPath`): one `{type, data, id, timestamp, parentId}` per line.
 * What omni reads (1.0.102; fixture test/fixtures/copilot/events.jsonl):
 *
 * - `session.start` / `session.model_change` → the model (`selectedModel`, `newModel`);
 * - `user.message` opens a turn; the `assistant.message` that asks for no tool closes it (the
 *   agentStop hook's flush reads until then);
 * - `assistant.message` → assistant text (`content`, keyed by `messageId`), and its
 *   `toolRequests` (`toolCallId`, `name`, `arguments`): the call ids no hook payload carries;
 * - `session.usage_record` → one per model call: `usage.{model, inputTokens, outputTokens,
 *   cacheReadTokens, cacheWriteTokens, cost}`, inputTokens counting the cached ones too
 *   (measured: prompt_tokens 500 with 200 cached → inputTokens 500). `cost` is 0 with a custom provider (BYOK) and
 *   counts premium requests, not dollars, with GitHub's models: the daemon prices the tokens.
 * - `abort` (`reason: user_abort` / `user_initiated`) → an interrupted turn, for which no hook fires;
 * - `session.error` (`message`, e.g. "400 …") → a failed model call, which ends the turn without
 *   an agentStop hook.
 */

interface Row {
  type?: string;
  id?: string;
  data?: Record<string, unknown>;
}

type Ctx = Pick<SignalContext, 'emit' | 'setStatus' | 'session'>;

const obj = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** A tool call the model asked for, waiting for its preToolUse hook to claim its id. */
export interface ToolRequest {
  id: string;
  name: string;
  args: string;
}

export class CopilotEventsFile implements Ingestor {
  private tail: JsonlCursor | undefined;
  private model = 'unknown';
  private readonly texts = new Set<string>();
  /** Tool calls seen in the log, oldest first, not yet claimed by a hook. */
  private readonly requests: ToolRequest[] = [];
  /** A prompt is in the log and its final reply (a message asking for no tool), error or abort is not yet. */
  private turnOpen = false;

  constructor(
    private readonly file: () => string | undefined,
    private readonly ctx: Ctx,
    private readonly seen: IngestCursor,
  ) {}

  async poll(): Promise<void> {
    const file = this.file();
    if (!file) return;
    if (file !== this.tail?.file) this.tail = new JsonlCursor(file);
    this.tail.read<Row>((row) => this.row(row));
  }

  watchPaths(): string[] {
    const file = this.file();
    return file ? [file] : [];
  }

  flush(hint: FlushHint = {}): Promise<void> {
    // agentStop can run before the turn's last rows are in events.jsonl (seen under load in CI).
    if (hint.turnEnd) return pollUntil(() => this.poll(), () => !this.turnOpen, hint.timeoutMs);
    return pollForText(() => this.poll(), (t) => this.texts.has(t), hint);
  }

  /** The oldest unclaimed call of `name` with these arguments (the hooks name no call id). */
  claim(name: string, args: unknown): string | undefined {
    const key = stableJson(args);
    const i = this.requests.findIndex((r) => r.name === name && r.args === key);
    if (i < 0) return undefined;
    return this.requests.splice(i, 1)[0]!.id;
  }

  private row(row: Row): void {
    const d = obj(row.data);
    if (!d) return;
    switch (row.type) {
      case 'session.start':
        this.model = str(d.selectedModel) ?? this.model;
        return;
      case 'session.model_change':
        this.model = str(d.newModel) ?? this.model;
        return;
      case 'user.message':
        this.turnOpen = true;
        return;
      case 'assistant.message':
        if (!Array.isArray(d.toolRequests) || d.toolRequests.length === 0) this.turnOpen = false;
        this.assistant(d, row);
        return;
      case 'session.usage_record':
        this.usage(obj(d.usage), row);
        return;
      case 'session.error': {
        this.turnOpen = false;
        // A failed model call ends the turn with no agentStop: this is the only sign it ended.
        const key = `error:${row.id ?? ''}`;
        if (this.seen.has(key)) return;
        this.seen.add(key);
        const message = str(d.message) ?? 'Copilot reported an error';
        this.ctx.emit({ type: 'error', data: { message, code: 'model_error' } });
        if (this.ctx.session.status === 'running') this.ctx.setStatus('idle', `the turn failed: ${message.slice(0, 200)}`, 'hook');
        return;
      }
      case 'abort': {
        this.turnOpen = false;
        const key = `abort:${row.id ?? ''}`;
        if (this.seen.has(key)) return;
        this.seen.add(key);
        if (this.ctx.session.status === 'running') this.ctx.setStatus('idle', 'interrupted', 'hook');
        return;
      }
      default:
        return;
    }
  }

  private assistant(d: Record<string, unknown>, row: Row): void {
    const reqs = Array.isArray(d.toolRequests) ? (d.toolRequests as unknown[]).map(obj) : [];
    for (const r of reqs) {
      const id = str(r?.toolCallId);
      const name = str(r?.name);
      if (!id || !name || this.requests.some((x) => x.id === id)) continue;
      this.requests.push({ id, name, args: stableJson(r?.arguments ?? null) });
      if (this.requests.length > 100) this.requests.shift();
    }
    const text = str(d.content) ?? '';
    if (!text.trim()) return;
    this.texts.add(text.trim());
    if (this.texts.size > 50) this.texts.delete(this.texts.values().next().value!);
    const messageId = str(d.messageId) ?? row.id ?? '';
    const key = `text:${messageId}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.ctx.emit({ type: 'message.assistant', data: { text, messageId, model: str(d.model) ?? this.model } });
  }

  private usage(u: Record<string, unknown> | undefined, row: Row): void {
    if (!u) return;
    const key = `usage:${row.id ?? ''}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const cacheRead = num(u.cacheReadTokens);
    const cacheWrite = num(u.cacheWriteTokens);
    this.ctx.emit({
      type: 'usage',
      data: {
        model: str(u.model) ?? this.model,
        // Copilot's inputTokens include the cached ones (OpenAI's prompt_tokens): omni counts them apart.
        inputTokens: Math.max(0, num(u.inputTokens) - cacheRead - cacheWrite),
        outputTokens: num(u.outputTokens),
        cacheReadTokens: cacheRead,
        cacheWriteTokens: cacheWrite,
        source: 'copilot.events',
        ...(row.id ? { messageId: row.id } : {}),
      },
    });
  }
}

/** JSON with sorted keys, so the same arguments compare equal whatever their order. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
