import fs from 'node:fs';
import path from 'node:path';
import { JsonlCursor } from '../../core/jsonl.js';
import type { FlushHint, Ingestor, IngestCursor, SignalContext } from '../types.js';
import { pollForText } from '../log-wait.js';

/**
 * Claude Code's transcript (`transcript_path`, JSONL) is the source of assistant text and
 * usage. Claude writes several rows per message while streaming (one per content block, usage
 * growing), so text is keyed by row and usage by message id, keeping the largest and emitting
 * it only once the message is over (a newer message starts, the turn stops, or the session ends).
 *
 * Sub-agents (the `Agent` tool) write their own transcripts next to it:
 * `<transcript without .jsonl>/subagents/agent-<agentId>.jsonl` (nested ones too, flat).
 * Their usage counts toward this session (`source: 'claude.subagent'`); their text is not the
 * session's assistant talking, so it is not emitted. Usage keys are shared (`usage:<message id>`):
 * a fork's transcript repeats the parent message that spawned it, which is counted once.
 */
export interface TranscriptRow {
  type?: string;
  uuid?: string;
  requestId?: string;
  isSidechain?: boolean;
  agentId?: string;
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

type UsageSource = 'claude.transcript' | 'claude.subagent';

interface PendingUsage {
  messageId: string;
  model: string;
  usage: ClaudeUsage;
}

/** Where Claude Code puts the sub-agent transcripts of a session transcript. */
export function subagentDir(transcript: string): string {
  return path.join(transcript.replace(/\.jsonl$/, ''), 'subagents');
}

/** One sub-agent transcript: its tail and the usage of its message in progress. */
interface SubagentLog {
  tail: JsonlCursor;
  pending?: PendingUsage;
}

export class ClaudeTranscript implements Ingestor {
  private main: JsonlCursor | undefined;
  private pending: PendingUsage | undefined;
  /** Recent assistant texts (trimmed), to recognise the one a Stop hook names. */
  private texts = new Set<string>();
  /** Sub-agent directories of every transcript this session had (a /clear starts a new one). */
  private subDirs = new Set<string>();
  private subs = new Map<string, SubagentLog>();

  constructor(
    private readonly file: () => string | undefined,
    private readonly ctx: Pick<SignalContext, 'emit'>,
    private readonly seen: IngestCursor,
  ) {}

  async poll(): Promise<void> {
    const file = this.file();
    if (!file) return;
    if (file !== this.main?.file) {
      // A new transcript (a resumed or cleared session): read it from the start; the keys
      // of what was already emitted keep anything from repeating.
      this.main = new JsonlCursor(file);
      this.subDirs.add(subagentDir(file));
    }
    // The parent first: a fork's copy of the message that spawned it is then already known.
    this.main.read<TranscriptRow>((row) => this.row(row));
    this.pollSubagents();
  }

  /** The transcript, and the sub-agent directories (a write to a sub-agent's file shows there). */
  watchPaths(): string[] {
    const file = this.file();
    return file ? [file, ...this.subDirs] : [];
  }

  async flush(hint: FlushHint = {}): Promise<void> {
    await pollForText(() => this.poll(), (t) => this.texts.has(t), hint);
    this.emitPendingUsage();
    for (const sub of this.subs.values()) this.emitSubPending(sub);
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

  /** Find new sub-agent transcripts (the directory is listed on every poll) and read them all. */
  private pollSubagents(): void {
    for (const dir of this.subDirs) {
      let names: string[];
      try {
        names = fs.readdirSync(dir);
      } catch {
        continue; // no sub-agent yet
      }
      for (const name of names.sort()) {
        if (!/^agent-[^/]+\.jsonl$/.test(name)) continue;
        const file = path.join(dir, name);
        if (!this.subs.has(file)) this.subs.set(file, { tail: new JsonlCursor(file) });
      }
    }
    for (const sub of this.subs.values()) sub.tail.read<TranscriptRow>((row) => this.subRow(sub, row));
  }

  private subRow(sub: SubagentLog, row: TranscriptRow): void {
    if (row.type !== 'assistant' || !row.message) return;
    const msg = row.message;
    const model = msg.model ?? 'unknown';
    if (model === '<synthetic>') return;
    const messageId = msg.id ?? row.uuid ?? '';
    if (sub.pending && sub.pending.messageId !== messageId) this.emitSubPending(sub);
    if (!msg.usage || !messageId) return;
    // A fork starts with a copy of the parent's message that spawned it: the parent's to count.
    if (messageId === this.pending?.messageId || this.seen.has(`usage:${messageId}`)) return;
    if (!sub.pending) sub.pending = { messageId, model, usage: msg.usage };
    else if (total(msg.usage) >= total(sub.pending.usage)) sub.pending.usage = msg.usage;
  }

  private emitSubPending(sub: SubagentLog): void {
    const p = sub.pending;
    sub.pending = undefined;
    if (p) this.emitUsage(p, 'claude.subagent');
  }

  private emitPendingUsage(): void {
    const p = this.pending;
    this.pending = undefined;
    if (p) this.emitUsage(p, 'claude.transcript');
  }

  private emitUsage(p: PendingUsage, source: UsageSource): void {
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
        source,
        messageId: p.messageId,
      },
    });
  }
}

function total(u: ClaudeUsage): number {
  return (u.input_tokens ?? 0) + (u.output_tokens ?? 0) + (u.cache_read_input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0);
}
