import fs from 'node:fs';
import type { FlushHint, Ingestor, IngestCursor, SignalContext } from '../types.js';

/**
 * Claude Code's transcript (`transcript_path`, JSONL) is the source of assistant text and
 * usage. Claude writes several rows per message while streaming (one per content block, usage
 * growing), so text is keyed by row and usage by message id, keeping the largest and emitting
 * it only once the message is over (a newer message starts, the turn stops, or the session ends).
 */
export interface TranscriptRow {
  type?: string;
  uuid?: string;
  requestId?: string;
  isSidechain?: boolean;
  message?: {
    id?: string;
    model?: string;
    role?: string;
    content?: unknown;
    usage?: ClaudeUsage;
  };
}

export interface ClaudeUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
  /** The cache writes split by TTL (5-minute and 1-hour are priced apart). */
  cache_creation?: { ephemeral_5m_input_tokens?: number; ephemeral_1h_input_tokens?: number };
}

interface PendingUsage {
  messageId: string;
  model: string;
  usage: ClaudeUsage;
}

export class ClaudeTranscript implements Ingestor {
  private offset = 0;
  private partial = '';
  private current: string | undefined;
  private pending: PendingUsage | undefined;
  /** Recent assistant texts (trimmed), to recognise the one a Stop hook names. */
  private texts = new Set<string>();

  constructor(
    private readonly file: () => string | undefined,
    private readonly ctx: Pick<SignalContext, 'emit'>,
    private readonly seen: IngestCursor,
  ) {}

  async poll(): Promise<void> {
    const file = this.file();
    if (!file) return;
    if (file !== this.current) {
      // A new transcript (a resumed or cleared session): read it from the start; the keys
      // of what was already emitted keep anything from repeating.
      this.current = file;
      this.offset = 0;
      this.partial = '';
    }
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch {
      return; // not written yet
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size < this.offset) {
        this.offset = 0; // replaced (e.g. /clear started a new file at the same path)
        this.partial = '';
      }
      while (this.offset < size) {
        const len = Math.min(size - this.offset, 1 << 20);
        const buf = Buffer.alloc(len);
        const n = fs.readSync(fd, buf, 0, len, this.offset);
        if (n <= 0) break;
        this.offset += n;
        this.consume(buf.subarray(0, n).toString('utf8'));
      }
    } finally {
      fs.closeSync(fd);
    }
  }

  async flush(hint: FlushHint = {}): Promise<void> {
    await this.poll();
    const want = hint.lastText?.trim();
    if (want) {
      const deadline = Date.now() + (hint.timeoutMs ?? 3000);
      while (!this.texts.has(want) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 25));
        await this.poll();
      }
    }
    this.emitPendingUsage();
  }

  private consume(chunk: string): void {
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = lines.pop() ?? ''; // a row still being written
    for (const line of lines) {
      if (!line.trim()) continue;
      let row: TranscriptRow;
      try {
        row = JSON.parse(line) as TranscriptRow;
      } catch {
        continue;
      }
      this.row(row);
    }
  }

  private row(row: TranscriptRow): void {
    if (row.type !== 'assistant' || !row.message) return;
    const msg = row.message;
    const model = msg.model ?? 'unknown';
    if (model === '<synthetic>') return; // Claude's own notices (errors, interrupts), not model output
    const messageId = msg.id ?? row.uuid ?? '';
    if (this.pending && this.pending.messageId !== messageId) this.emitPendingUsage();
    if (msg.usage && messageId) {
      if (!this.pending) this.pending = { messageId, model, usage: msg.usage };
      else if (total(msg.usage) >= total(this.pending.usage)) this.pending.usage = msg.usage;
    }
    const blocks = Array.isArray(msg.content) ? (msg.content as Array<{ type?: string; text?: string }>) : [];
    blocks.forEach((b, i) => {
      if (b.type !== 'text' || !b.text?.trim()) return;
      const key = `text:${row.uuid ?? messageId}:${i}`;
      this.texts.add(b.text.trim());
      if (this.texts.size > 50) this.texts.delete(this.texts.values().next().value!);
      if (this.seen.has(key)) return;
      this.seen.add(key);
      this.ctx.emit({ type: 'message.assistant', data: { text: b.text, messageId, model } });
    });
  }

  private emitPendingUsage(): void {
    const p = this.pending;
    this.pending = undefined;
    if (!p) return;
    const key = `usage:${p.messageId}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const oneHour = p.usage.cache_creation?.ephemeral_1h_input_tokens ?? 0;
    this.ctx.emit({
      type: 'usage',
      data: {
        model: p.model,
        inputTokens: p.usage.input_tokens ?? 0,
        outputTokens: p.usage.output_tokens ?? 0,
        cacheReadTokens: p.usage.cache_read_input_tokens ?? 0,
        cacheWriteTokens: p.usage.cache_creation_input_tokens ?? 0,
        ...(oneHour > 0 ? { cacheWrite1hTokens: oneHour } : {}),
        source: 'claude.transcript',
        messageId: p.messageId,
      },
    });
  }
}

function total(u: ClaudeUsage): number {
  return (u.input_tokens ?? 0) + (u.output_tokens ?? 0) + (u.cache_read_input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0);
}
