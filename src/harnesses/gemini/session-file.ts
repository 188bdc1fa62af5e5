import { JsonlCursor } from '../../core/jsonl.js';
import type { FlushHint, Ingestor, IngestCursor, SignalContext } from '../types.js';
import { pollForText } from '../log-wait.js';

/**
 * Gemini CLI's chat file (`~/.gemini/tmp/<project>/chats/session-<time>-<id8>.jsonl`, the hooks'
 * `transcript_path`), the source of the reply text and token counts no hook reports. 0.61.0
 * appends JSON lines (fixtures in test/fixtures/gemini/):
 *
 * - the first, `{sessionId, projectHash, startTime, kind}`;
 * - a message `{id, timestamp, type: "user" | "gemini" | "info" | "error", content, tokens?, model?,
 *   toolCalls?}`: a `gemini` message is written again under the same id once its tool calls
 *   are known, so each id counts once; an `error` message is a failed model call
 *   (`[API Error: {"error":{…,"message":…}}]`), reported as an `error` event;
 * - `{"$set": {…}}` updates of the session's fields; `$set.messages` carries whole messages
 *   (the first prompt, a resumed history).
 *
 * `tokens` is `{input, output, cached, thoughts, tool, total}` from the response's usageMetadata:
 * input is the prompt with its cached part, output excludes thinking. omni's usage counts input
 * without cache reads and thinking as output (docs/EVENTS.md).
 */

interface Tokens {
  input?: number;
  output?: number;
  cached?: number;
  thoughts?: number;
  tool?: number;
}

interface Message {
  id?: string;
  type?: string;
  content?: unknown;
  tokens?: Tokens;
  model?: string;
}

type Ctx = Pick<SignalContext, 'emit'>;

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** Text of a message's content: a string, or parts with `text`. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((p) => (p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : ''))
    .join('');
}

export class GeminiSessionFile implements Ingestor {
  private tail: JsonlCursor | undefined;
  private readonly texts = new Set<string>();

  constructor(
    private readonly file: () => string | undefined,
    private readonly ctx: Ctx,
    private readonly seen: IngestCursor,
  ) {}

  async poll(): Promise<void> {
    const file = this.file();
    if (!file) return;
    if (file !== this.tail?.file) this.tail = new JsonlCursor(file);
    this.tail.read<Record<string, unknown>>((row) => this.row(row));
  }

  watchPaths(): string[] {
    const file = this.file();
    return file ? [file] : [];
  }

  flush(hint: FlushHint = {}): Promise<void> {
    return pollForText(() => this.poll(), (t) => this.texts.has(t), hint);
  }

  private row(row: Record<string, unknown>): void {
    const set = row.$set as { messages?: unknown } | undefined;
    if (set && Array.isArray(set.messages)) for (const m of set.messages) this.message(m as Message);
    else if (typeof row.id === 'string' && typeof row.type === 'string') this.message(row as Message);
  }

  private message(m: Message): void {
    if (m?.type === 'error' && typeof m.id === 'string') return this.error(m.id, contentText(m.content));
    if (m?.type !== 'gemini' || typeof m.id !== 'string') return;
    const model = m.model ?? 'unknown';
    const text = contentText(m.content);
    if (text.trim()) {
      this.texts.add(text.trim());
      if (this.texts.size > 50) this.texts.delete(this.texts.values().next().value!);
      const key = `text:${m.id}`;
      if (!this.seen.has(key)) {
        this.seen.add(key);
        this.ctx.emit({ type: 'message.assistant', data: { text, messageId: m.id, model } });
      }
    }
    const t = m.tokens;
    const key = `usage:${m.id}`;
    if (!t || this.seen.has(key)) return;
    this.seen.add(key);
    const cached = num(t.cached);
    this.ctx.emit({
      type: 'usage',
      data: {
        model,
        inputTokens: Math.max(0, num(t.input) - cached),
        outputTokens: num(t.output) + num(t.thoughts),
        cacheReadTokens: cached,
        cacheWriteTokens: 0,
        source: 'gemini.chat',
        messageId: m.id,
      },
    });
  }

  /** A failed model call (`[API Error: {json}]`): the turn ends with Gemini's message for it. */
  private error(id: string, text: string): void {
    const key = `error:${id}`;
    if (!text.trim() || this.seen.has(key)) return;
    this.seen.add(key);
    this.ctx.emit({ type: 'error', data: { message: apiErrorMessage(text), code: 'model_error' } });
  }
}

/** The API's own message inside Gemini's `[API Error: {"error":{"message":…}}]`, else the text. */
export function apiErrorMessage(text: string): string {
  const m = /"message"\s*:\s*("(?:[^"\\]|\\.)*")/.exec(text);
  if (m) {
    try {
      return JSON.parse(m[1]!) as string;
    } catch {
      /* not JSON after all */
    }
  }
  return text;
}
