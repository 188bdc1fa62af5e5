import type { AltScreen } from './terminal.js';

/** What a full-screen view needs from Ink: the rendered app's lifetime. */
export interface ViewInstance {
  waitUntilExit(): Promise<unknown>;
  unmount(): void;
}

/**
 * A full-screen Ink view that can hand the terminal to something else and come back (the
 * dashboard and the Polly board attach to a session; tmux draws its own screen meanwhile). Each
 * pass: the alternate screen, the store following the daemon only while the view is up (the
 * store refetches on each reconnect, so nothing is missed while away), the view until it exits
 * with an outcome. `quit` ends the loop; any other outcome goes to `away` (the view is off the
 * screen then), and the view is drawn again.
 */
export async function runViewLoop<O extends { kind: string }>(opts: {
  screen: AltScreen;
  follow(signal: AbortSignal): Promise<unknown>;
  render(onExit: (outcome: O) => void): ViewInstance;
  away?(outcome: Exclude<O, { kind: 'quit' }>): Promise<void>;
}): Promise<void> {
  try {
    for (;;) {
      opts.screen.enter();
      const abort = new AbortController();
      const following = opts.follow(abort.signal);
      let outcome = { kind: 'quit' } as O;
      const app = opts.render((o) => (outcome = o));
      try {
        await app.waitUntilExit();
      } finally {
        abort.abort();
        await following.catch(() => undefined);
        app.unmount();
        opts.screen.leave();
      }
      if (outcome.kind === 'quit' || !opts.away) return;
      await opts.away(outcome as Exclude<O, { kind: 'quit' }>);
    }
  } finally {
    opts.screen.leave();
  }
}
