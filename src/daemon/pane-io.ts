import { OmniError } from '../core/errors.js';
import type { OmniEvent } from '../core/events.js';
import { isLive, type PromptBlock, type SessionRecord } from '../core/session.js';
import type { HarnessRegistry } from '../harnesses/registry.js';
import type { HarnessAdapter } from '../harnesses/types.js';
import type { TmuxPort } from './ports.js';
import type { SessionLog } from './session-log.js';

export interface PaneIODeps {
  tmux: TmuxPort;
  harnesses: HarnessRegistry;
  events: SessionLog;
}

export interface SendOptions {
  submit?: boolean;
  verifyMs?: number;
  force?: boolean;
  /** A prompt-phase policy will decide on the prompt: wait for its verdict before answering. */
  gated?: boolean;
}

export interface SendResult {
  accepted: boolean;
  verified: boolean;
  queued: boolean;
  /** The prompt was blocked by policy and never ran (the input box is left empty). */
  blocked?: PromptBlock;
  /** The prompt waits on a person: an omni approval (`omni approve` / `omni deny`). */
  held?: { approval: string; policy?: string; reason?: string };
}

/**
 * Writing to a session's pane the way a person would: typed input (checked against the log
 * that the harness took it) and interrupts. Holds no state; the pane lock lives in tmux.
 */
export class PaneIO {
  constructor(private readonly deps: PaneIODeps) {}

  /** Paste text into the pane the way a person types it, submit, and check it was taken. */
  async send(rec: SessionRecord, text: string, opts: SendOptions = {}): Promise<SendResult> {
    if (!isLive(rec.status)) throw new OmniError(`session ${rec.name} (${rec.id}) has ${rec.status}; nothing to send to`, 'conflict');
    // Typed text would answer the harness's own dialog or first-run screen (a permission prompt
    // takes "1" or Enter). An omni approval is different: the harness is busy and queues input.
    if (rec.status === 'waiting' && rec.statusSource !== 'daemon' && !opts.force) {
      throw new OmniError(
        `session ${rec.name} is waiting on its own screen (${rec.statusReason ?? 'a dialog'}); typing would answer it. Attach to answer it, or send with --force`,
        'conflict',
      );
    }
    const { tmux, events } = this.deps;
    const adapter = this.deps.harnesses.get(rec.harness);
    const submit = opts.submit ?? true;
    const wasBusy = rec.status === 'running' || rec.status === 'waiting';
    const before = events.lastSeq(rec);
    const taken = promptTaken(text, before);
    const accepted = events.waitForEvent(rec.id, taken, opts.verifyMs ?? adapter.promptAckMs ?? 10_000);
    // Subscribed before typing: a prompt policy can answer within the same tick as the prompt.
    const verdict = opts.gated && submit && !wasBusy ? this.promptVerdict(rec, before) : undefined;
    const pane = paneTarget(rec);
    await tmux.withPaneLock(pane, async () => {
      if (!wasBusy) await this.untilInputReady(pane, adapter.inputReady, 5_000);
      await this.type(pane, adapter, text, submit);
    });
    if (!submit) return { accepted: true, verified: false, queued: false };
    if (wasBusy) {
      // A busy harness queues typed input and reports it only when it takes it up.
      void accepted.catch(() => {});
      return { accepted: true, verified: false, queued: true };
    }
    try {
      await accepted;
      return { accepted: true, verified: true, queued: false, ...(verdict ? await verdict : {}) };
    } catch {
      // One more Enter covers a paste that arrived while the input box was still settling; a
      // paste the harness dropped (its box is empty and the text is nowhere on screen) is typed again.
      const retry = events.waitForEvent(rec.id, taken, 5_000);
      await tmux.withPaneLock(pane, async () => {
        if (await this.pasteWasLost(pane, adapter, text)) await this.type(pane, adapter, text, true);
        else await tmux.sendKeys(pane, ['Enter']);
      });
      try {
        await retry;
        return { accepted: true, verified: true, queued: false, ...(verdict ? await verdict : {}) };
      } catch {
        throw new OmniError(
          `${adapter.displayName} did not take the input in session ${rec.name} (status ${rec.status}${rec.statusReason ? `: ${rec.statusReason}` : ''}); attach to see the pane`,
          'not_accepted',
        );
      }
    }
  }

  /**
   * The first prompt goes in once the harness is ready; a failure is logged as an event.
   * `settled` runs once it was taken, or once omni gave up on it (the error event says why).
   */
  sendWhenReady(rec: SessionRecord, text: string, settled: () => void = () => {}): void {
    void this.deps.events
      .waitForStatus(rec, 'idle', 120_000)
      .then(() => this.send(rec, text))
      .then(settled, (err: Error) => {
        this.deps.events.emit(rec, { type: 'error', data: { message: `could not deliver the agent's prompt: ${err.message}`, code: 'prompt_not_delivered' } });
        settled();
      });
  }

  async interrupt(rec: SessionRecord): Promise<{ idle: boolean }> {
    if (!isLive(rec.status)) throw new OmniError(`session ${rec.name} (${rec.id}) has ${rec.status}; nothing to interrupt`, 'conflict');
    const { tmux } = this.deps;
    const adapter = this.deps.harnesses.get(rec.harness);
    const pane = paneTarget(rec);
    const wasRunning = rec.status === 'running' || rec.status === 'waiting';
    await tmux.withPaneLock(pane, async () => {
      if (!adapter.interruptKeyGapMs) return tmux.sendKeys(pane, adapter.interruptKeys);
      for (const [i, key] of adapter.interruptKeys.entries()) {
        if (i > 0) await sleep(adapter.interruptKeyGapMs);
        await tmux.sendKeys(pane, [key]);
      }
    });
    if (!wasRunning || !adapter.idleAfterInterrupt) return { idle: rec.status === 'idle' };
    // Watch the pane for the harness to settle, since no hook reports an interrupted turn.
    const deadline = performance.now() + 10_000;
    while (performance.now() < deadline) {
      await sleep(150);
      if (rec.status === 'idle' || !isLive(rec.status)) return { idle: rec.status === 'idle' };
      let text = '';
      try {
        text = await tmux.capturePane(pane);
      } catch {
        break;
      }
      if (adapter.idleAfterInterrupt(text)) {
        if (adapter.clearInputKeys) await tmux.withPaneLock(pane, () => this.clearInput(pane, adapter, adapter.inputText?.(text) ?? ''));
        this.deps.events.setStatus(rec, 'idle', 'interrupted', 'daemon');
        return { idle: true };
      }
    }
    return { idle: false };
  }

  /**
   * A prompt was just blocked by policy. A harness that puts it back in its input box would
   * have the next prompt appended to it (and blocked again): wait for it to come back, then
   * clear the box. Takes the pane lock at once, so a send that follows types into an empty box.
   */
  clearBlockedPrompt(rec: SessionRecord): Promise<void> {
    const adapter = this.deps.harnesses.get(rec.harness);
    if (!adapter.restoresBlockedPrompt || !adapter.inputText || !adapter.clearInputKeys) return Promise.resolve();
    const pane = paneTarget(rec);
    return this.deps.tmux.withPaneLock(pane, async () => {
      // Claude puts the prompt back a moment after its hook blocked it; on a loaded machine that
      // took over 3 s once. Only a harness that says it restores the prompt is waited for.
      // Once cleared, the box is watched a little longer: a harness that redraws the prompt it
      // restored (seen on a loaded CI machine with Claude 2.1.332) is cleared again.
      const deadline = performance.now() + 15_000;
      let quietUntil = Infinity;
      while (performance.now() < Math.min(deadline, quietUntil)) {
        const typed = adapter.inputText!(await this.deps.tmux.capturePane(pane));
        if (typed) {
          await this.clearInput(pane, adapter, typed);
          quietUntil = performance.now() + 750;
        }
        await sleep(50);
      }
    }).catch(() => {});
  }

  /** A bracketed paste, then Enter after the harness's paste settles (the caller holds the pane lock). */
  private async type(pane: string, adapter: HarnessAdapter, text: string, submit: boolean): Promise<void> {
    await this.deps.tmux.pasteText(pane, text, { bracketed: true });
    if (!submit) return;
    await sleep(adapter.submitDelayMs);
    await this.deps.tmux.sendKeys(pane, ['Enter']);
  }

  /**
   * The harness dropped the typed text: its input box reads empty and the text's first line is
   * nowhere on the screen (a prompt it took would show in its chat). Unknown means no.
   */
  private async pasteWasLost(pane: string, adapter: HarnessAdapter, text: string): Promise<boolean> {
    if (!adapter.inputText) return false;
    const probe = firstLine(text).slice(0, 40);
    if (!probe) return false;
    try {
      const screen = await this.deps.tmux.capturePane(pane);
      return adapter.inputText(screen) === '' && !screen.includes(probe);
    } catch {
      return false;
    }
  }

  /** Press the adapter's clear keys until its input box reads empty (a few rounds for several lines). */
  private async clearInput(pane: string, adapter: HarnessAdapter, typed: string): Promise<void> {
    const { tmux } = this.deps;
    for (let round = 0; round < 20; round++) {
      await tmux.sendKeys(pane, adapter.clearInputKeys!(typed));
      if (!adapter.inputText) return;
      await sleep(50);
      typed = adapter.inputText(await tmux.capturePane(pane)) ?? '';
      if (!typed) return;
    }
  }

  /**
   * What the prompt policy made of the prompt sent after `before`: nothing (it may run), a
   * block (once the session is idle again and its input box cleared), or an ask held for a person.
   */
  private async promptVerdict(rec: SessionRecord, before: number): Promise<Pick<SendResult, 'blocked' | 'held'>> {
    const { events, tmux } = this.deps;
    const after = (ev: OmniEvent) => ev.seq > before;
    const quiet = <T>(p: Promise<T>) => p.catch(() => undefined);
    const decision = quiet(events.waitForEvent(rec.id, (ev) => after(ev) && ev.type === 'policy.decision' && (ev as OmniEvent<'policy.decision'>).data.phase === 'prompt', 15_000));
    const requested = quiet(events.waitForEvent(rec.id, (ev) => after(ev) && ev.type === 'approval.requested', 15_000));
    const idle = quiet(events.waitForEvent(rec.id, (ev) => after(ev) && ev.type === 'session.status' && (ev as OmniEvent<'session.status'>).data.status === 'idle', 15_000));
    const d = (await decision) as OmniEvent<'policy.decision'> | undefined;
    if (!d || (d.data.verdict !== 'deny' && d.data.verdict !== 'ask')) return {};
    if (d.data.verdict === 'ask') {
      const r = (await Promise.race([requested, sleep(2_000)])) as OmniEvent<'approval.requested'> | undefined;
      const id = r?.data.id ?? /approval (ap_\S+):/.exec(rec.statusReason ?? '')?.[1];
      return id ? { held: { approval: id, ...(d.data.policy ? { policy: d.data.policy } : {}), ...(d.data.reason ? { reason: d.data.reason } : {}) } } : {};
    }
    await idle;
    // The box is cleared under the pane lock (clearBlockedPrompt): answer once that is done.
    await tmux.withPaneLock(paneTarget(rec), async () => {});
    return { blocked: rec.blocked ?? { ...(d.data.policy ? { policy: d.data.policy } : {}), reason: d.data.reason ?? 'blocked by policy' } };
  }

  /** Poll the pane until the harness draws its input box (or give up and type anyway). */
  private async untilInputReady(pane: string, ready: (text: string) => boolean, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      try {
        if (ready(await this.deps.tmux.capturePane(pane))) return;
      } catch {
        return;
      }
      await sleep(50);
    }
  }
}

/**
 * The harness logged this prompt: a message.user after `before` that holds the text's first line
 * (whitespace aside; harnesses trim and re-wrap). Another prompt's event, e.g. the first prompt of
 * a session just started, typed a moment earlier, does not count.
 */
export function promptTaken(text: string, before: number): (ev: OmniEvent) => boolean {
  const squash = (s: string) => s.replace(/\s+/g, ' ').trim();
  const probe = squash(firstLine(text)).slice(0, 32);
  return (ev) => ev.seq > before && ev.type === 'message.user' && squash((ev as OmniEvent<'message.user'>).data.text ?? '').includes(probe);
}

/** The text's first line that is not blank, trimmed: what a harness shows and logs of a prompt. */
const firstLine = (text: string) => text.split('\n').find((l) => l.trim())?.trim() ?? '';

/** A pane id (%N) is an exact tmux target; the session name is the fallback. */
export const paneTarget = (rec: SessionRecord) => rec.paneId ?? `=${rec.tmuxSession}:`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
