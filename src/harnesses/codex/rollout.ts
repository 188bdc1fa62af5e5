import path from 'node:path';
import { JsonlCursor } from '../../core/jsonl.js';
import type { FlushHint, Ingestor, IngestCursor, SignalContext } from '../types.js';
import { pollForText } from '../log-wait.js';

/**
 * Codex's rollout log (`$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<session id>.jsonl`, the
 * hooks' `transcript_path`) is the source of assistant text, token usage and turn ends that no
 * hook reports. One JSON object per line: `{timestamp, ordinal, type, payload}`. What omni reads
 * (codex-cli 0.169.0; fixtures in test/fixtures/codex/rollout-*.jsonl):
 *
 * - `turn_context` → `payload.model`, the model of the turns that follow;
 * - `response_item` with `payload.type:"message"`, `role:"assistant"` → assistant text
 *   (`content[].output_text`), keyed by the message id;
 * - `token_usage_record` → one per model response (`response_id`, `usage`): exact, final counts;
 *   older rollouts only have `event_msg/token_count`, whose `last_token_usage` is used when the
 *   running total grows;
 * - `event_msg/item_completed` with a `CommandExecution` item → the exit code of a shell call;
 * - `event_msg/task_complete` (with `error` when the model call failed) and `turn_aborted` →
 *   the end of a turn. A failed turn fires no Stop hook, so this is the only signal that it ended.
 *
 * Counts follow OpenAI's convention (`input_tokens` includes cached input); omni's usage events
 * count input without cache reads and writes (docs/EVENTS.md), so those are split out.
 */

export interface CodexTokenUsage {
  input_tokens?: number;
  cached_input_tokens?: number;
  cache_write_input_tokens?: number;
  output_tokens?: number;
  reasoning_output_tokens?: number;
  total_tokens?: number;
}

interface RolloutLine {
  timestamp?: string;
  ordinal?: number;
  type?: string;
  payload?: Record<string, unknown>;
}

export interface CommandOutcome {
  exitCode?: number;
  status?: string;
}

type Ctx = Pick<SignalContext, 'emit' | 'setStatus' | 'session'>;

const obj = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

export class CodexRollout implements Ingestor {
  private tail: JsonlCursor | undefined;
  private model = 'unknown';
  /** Seen a `token_usage_record`: the `token_count` fallback is then ignored. */
  private hasRecords = false;
  private lastTotal = 0;
  private lastStartedTurn: string | undefined;
  private readonly texts = new Set<string>();
  private readonly commands = new Map<string, CommandOutcome>();

  constructor(
    private readonly file: () => string | undefined,
    private readonly ctx: Ctx,
    private readonly seen: IngestCursor,
    /** The turn the last UserPromptSubmit hook named: only its end may make the session idle. */
    private readonly currentTurn: () => string | undefined = () => undefined,
  ) {}

  /** How a shell call (by call id) ended, once its `CommandExecution` item is in the log. */
  commandOutcome(callId: string): CommandOutcome | undefined {
    return this.commands.get(callId);
  }

  async poll(): Promise<void> {
    const file = this.file();
    if (!file) return;
    if (file !== this.tail?.file) {
      // Another rollout (after /clear or a resume into a new file): read it from the start;
      // the ingest keys keep anything from repeating.
      this.tail = new JsonlCursor(file);
      this.hasRecords = false;
      this.lastTotal = 0;
    }
    this.tail.read<RolloutLine>((row) => this.row(row));
  }

  watchPaths(): string[] {
    const file = this.file();
    return file ? [file] : [];
  }

  flush(hint: FlushHint = {}): Promise<void> {
    return pollForText(() => this.poll(), (t) => this.texts.has(t), hint);
  }

  private row(row: RolloutLine): void {
    const p = obj(row.payload);
    if (!p) return;
    switch (row.type) {
      case 'turn_context':
        this.model = str(p.model) ?? this.model;
        return;
      case 'response_item':
        if (p.type === 'message' && p.role === 'assistant') this.assistant(p, row);
        return;
      case 'token_usage_record': {
        this.hasRecords = true;
        const usage = obj(p.usage);
        const id = str(p.response_id) ?? `${str(p.turn_id) ?? ''}:${row.ordinal ?? row.timestamp ?? ''}`;
        if (usage) this.usage(`usage:${id}`, usage as CodexTokenUsage, str(p.response_id));
        return;
      }
      case 'event_msg':
        this.event(p, row);
        return;
      default:
        return;
    }
  }

  private assistant(p: Record<string, unknown>, row: RolloutLine): void {
    const content = Array.isArray(p.content) ? (p.content as Array<Record<string, unknown>>) : [];
    const text = content
      .filter((c) => c?.type === 'output_text' && typeof c.text === 'string')
      .map((c) => c.text as string)
      .join('');
    if (!text.trim()) return;
    this.texts.add(text.trim());
    if (this.texts.size > 50) this.texts.delete(this.texts.values().next().value!);
    const messageId = str(p.id) ?? `${row.ordinal ?? row.timestamp ?? ''}`;
    const key = `text:${messageId}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.ctx.emit({ type: 'message.assistant', data: { text, messageId, model: this.model } });
  }

  private event(p: Record<string, unknown>, row: RolloutLine): void {
    switch (p.type) {
      case 'task_started':
        this.lastStartedTurn = str(p.turn_id) ?? this.lastStartedTurn;
        return;
      case 'token_count': {
        if (this.hasRecords) return;
        const info = obj(p.info);
        const total = num(obj(info?.total_token_usage)?.total_tokens);
        const last = obj(info?.last_token_usage);
        // token_count repeats the totals (rate-limit updates, interrupted turns): only growth counts.
        if (!last || total <= this.lastTotal) return;
        this.lastTotal = total;
        this.usage(`usage:tc:${path.basename(this.tail?.file ?? '')}:${total}`, last as CodexTokenUsage, undefined);
        return;
      }
      case 'item_completed': {
        const item = obj(p.item);
        if (item?.type === 'CommandExecution' && typeof item.id === 'string') {
          this.commands.set(item.id, { exitCode: typeof item.exit_code === 'number' ? item.exit_code : undefined, status: str(item.status) });
          if (this.commands.size > 200) this.commands.delete(this.commands.keys().next().value!);
        }
        return;
      }
      case 'task_complete':
      case 'turn_aborted':
        this.turnEnded(p, row);
        return;
      default:
        return;
    }
  }

  private turnEnded(p: Record<string, unknown>, row: RolloutLine): void {
    const turn = str(p.turn_id);
    const error = obj(p.error);
    const message = error ? errorText(error) : undefined;
    if (message) {
      const key = `error:${turn ?? row.ordinal ?? row.timestamp ?? ''}`;
      if (!this.seen.has(key)) {
        this.seen.add(key);
        this.ctx.emit({ type: 'error', data: { message, code: 'model_error' } });
      }
    }
    // Only the end of the turn that is running now: a late read of an older turn must not
    // flip a newer one to idle.
    const running = this.currentTurn() ?? this.lastStartedTurn;
    if (this.ctx.session.status === 'running' && turn !== undefined && turn === running) {
      this.ctx.setStatus('idle', message ? `the turn failed: ${clip(message, 200)}` : undefined, 'hook');
    }
  }

  private usage(key: string, u: CodexTokenUsage, responseId: string | undefined): void {
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const cacheRead = num(u.cached_input_tokens);
    const cacheWrite = num(u.cache_write_input_tokens);
    this.ctx.emit({
      type: 'usage',
      data: {
        model: this.model,
        inputTokens: Math.max(0, num(u.input_tokens) - cacheRead - cacheWrite),
        outputTokens: num(u.output_tokens),
        cacheReadTokens: cacheRead,
        cacheWriteTokens: cacheWrite,
        source: 'codex.rollout',
        ...(responseId ? { messageId: responseId } : {}),
      },
    });
  }
}

/** Codex stores the provider's error body as text (often JSON); keep the message. */
function errorText(error: Record<string, unknown>): string | undefined {
  const raw = str(error.message);
  if (!raw) return undefined;
  try {
    const inner = obj(obj(JSON.parse(raw))?.error);
    const m = str(inner?.message);
    if (m) return m;
  } catch {
    /* plain text */
  }
  return raw;
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
