import { OmniError } from '../core/errors.js';
import { isLive, type SessionRecord } from '../core/session.js';
import type { HarnessRegistry } from '../harnesses/registry.js';
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
}

/**
 * Writing to a session's pane the way a person would: typed input (checked against the log
 * that the harness took it) and interrupts. Holds no state; the pane lock lives in tmux.
 */
export class PaneIO {
  constructor(private readonly deps: PaneIODeps) {}

  /** Paste text into the pane the way a person types it, submit, and check it was taken. */
  async send(rec: SessionRecord, text: string, opts: SendOptions = {}): Promise<{ accepted: boolean; verified: boolean; queued: boolean }> {
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
    const accepted = events.waitForEvent(rec.id, (ev) => ev.seq > before && ev.type === 'message.user', opts.verifyMs ?? 10_000);
    const pane = paneTarget(rec);
    await tmux.withPaneLock(pane, async () => {
      if (!wasBusy) await this.untilInputReady(pane, adapter.inputReady, 5_000);
      await tmux.pasteText(pane, text, { bracketed: true });
      if (!submit) return;
      await sleep(adapter.submitDelayMs);
      await tmux.sendKeys(pane, ['Enter']);
    });
    if (!submit) return { accepted: true, verified: false, queued: false };
    if (wasBusy) {
      // A busy harness queues typed input and reports it only when it takes it up.
      void accepted.catch(() => {});
      return { accepted: true, verified: false, queued: true };
    }
    try {
      await accepted;
      return { accepted: true, verified: true, queued: false };
    } catch {
      // One more Enter covers a paste that arrived while the input box was still settling.
      const retry = events.waitForEvent(rec.id, (ev) => ev.seq > before && ev.type === 'message.user', 5_000);
      await tmux.withPaneLock(pane, () => tmux.sendKeys(pane, ['Enter']));
      try {
        await retry;
        return { accepted: true, verified: true, queued: false };
      } catch {
        throw new OmniError(
          `${adapter.displayName} did not take the input in session ${rec.name} (status ${rec.status}${rec.statusReason ? `: ${rec.statusReason}` : ''}); attach to see the pane`,
          'not_accepted',
        );
      }
    }
  }

  /** The first prompt goes in once the harness is ready; a failure is logged as an event. */
  sendWhenReady(rec: SessionRecord, text: string): void {
    void this.deps.events
      .waitForStatus(rec, 'idle', 120_000)
      .then(() => this.send(rec, text))
      .catch((err: Error) => this.deps.events.emit(rec, { type: 'error', data: { message: `could not deliver the agent's prompt: ${err.message}`, code: 'prompt_not_delivered' } }));
  }

  async interrupt(rec: SessionRecord): Promise<{ idle: boolean }> {
    if (!isLive(rec.status)) throw new OmniError(`session ${rec.name} (${rec.id}) has ${rec.status}; nothing to interrupt`, 'conflict');
    const { tmux } = this.deps;
    const adapter = this.deps.harnesses.get(rec.harness);
    const pane = paneTarget(rec);
    const wasRunning = rec.status === 'running' || rec.status === 'waiting';
    await tmux.withPaneLock(pane, () => tmux.sendKeys(pane, adapter.interruptKeys));
    if (!wasRunning || !adapter.idleAfterInterrupt) return { idle: rec.status === 'idle' };
    // Watch the pane for the harness to settle, since no hook reports an interrupted turn.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      await sleep(150);
      if (rec.status === 'idle' || !isLive(rec.status)) return { idle: rec.status === 'idle' };
      let text = '';
      try {
        text = await tmux.capturePane(pane);
      } catch {
        break;
      }
      if (adapter.idleAfterInterrupt(text)) {
        if (adapter.clearInputKeys?.length) await tmux.withPaneLock(pane, () => tmux.sendKeys(pane, adapter.clearInputKeys!));
        this.deps.events.setStatus(rec, 'idle', 'interrupted', 'daemon');
        return { idle: true };
      }
    }
    return { idle: false };
  }

  /** Poll the pane until the harness draws its input box (or give up and type anyway). */
  private async untilInputReady(pane: string, ready: (text: string) => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        if (ready(await this.deps.tmux.capturePane(pane))) return;
      } catch {
        return;
      }
      await sleep(50);
    }
  }
}

/** A pane id (%N) is an exact tmux target; the session name is the fallback. */
export const paneTarget = (rec: SessionRecord) => rec.paneId ?? `=${rec.tmuxSession}:`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
