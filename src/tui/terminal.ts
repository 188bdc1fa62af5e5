/**
 * The terminal around a full-screen Ink view (no React here): the alternate screen, so leaving
 * a view leaves the shell's screen as it was and no stale frame behind; and React's production
 * build, chosen before React loads.
 */

const ENTER = '\x1b[?1049h\x1b[2J\x1b[H';
const LEAVE = '\x1b[?1049l';

export interface AltScreen {
  /** Switch to the alternate screen, cleared (again after a view handed the terminal to tmux). */
  enter(): void;
  /** Back to the normal screen; idempotent. */
  leave(): void;
}

export function altScreen(out: NodeJS.WriteStream = process.stdout): AltScreen {
  let on = false;
  // A crash or a signal must not leave the user's terminal on the alternate screen.
  const onExit = () => {
    if (on) out.write(LEAVE);
  };
  return {
    enter() {
      if (!out.isTTY) return;
      if (!on) process.once('exit', onExit);
      on = true;
      out.write(ENTER);
    },
    leave() {
      if (!on) return;
      on = false;
      process.removeListener('exit', onExit);
      out.write(LEAVE);
    },
  };
}

/**
 * React's production build for the TUIs, unless NODE_ENV says otherwise. Call it before the
 * first `import('react')`; the caller keeps its own copy of the environment for the agents it
 * starts (they must not inherit a NODE_ENV the user never set).
 */
export function preferProductionReact(env: NodeJS.ProcessEnv = process.env): void {
  env.NODE_ENV ??= 'production';
}
