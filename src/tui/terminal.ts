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
 * React's production build for the TUIs, unless NODE_ENV says otherwise, and Ink's live drawing
 * on a terminal. Call it before the first `import('react')` / `import('ink')`; the caller keeps its own copy of the environment for the agents it
 * starts (they must not inherit a NODE_ENV the user never set).
 */
export function preferProductionReact(env: NodeJS.ProcessEnv = process.env, out: NodeJS.WriteStream = process.stdout): void {
  env.NODE_ENV ??= 'production';
  // Ink draws only a last frame at exit when `CI` is set (read once, when Ink loads). A view on a
  // real terminal is for a person, whatever the shell exports, so it draws as usual there.
  if (out.isTTY) for (const k of ['CI', 'CONTINUOUS_INTEGRATION']) if (k in env) env[k] = 'false';
}
