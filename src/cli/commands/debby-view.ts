import { ExitCode } from '../../core/errors.js';
import { formatDebby } from '../../tui/debby/format.js';
import { clientDebbySource } from '../../tui/debby/source.js';
import { DebbyStore } from '../../tui/debby/store.js';
import { altScreen, preferProductionReact } from '../../tui/terminal.js';
import { runViewLoop } from '../../tui/view-loop.js';
import { client } from '../context.js';
import { printJson } from '../output.js';

/**
 * `omni debby view [RUN]` (RUN: an id or `latest`, the default): the Ink view of a Debby run in
 * this terminal, on the alternate screen, until `/quit` or Ctrl-C (the heads keep running).
 * `omni debby` runs it in a tmux window of its own. Off a terminal, or with --json, the run once:
 * as text, or `{run}` as `GET /v1/debby/:run` answers it.
 */
export async function debbyViewCommand(run: string | undefined, opts: { json?: boolean }): Promise<number> {
  const c = await client();
  const source = clientDebbySource(c, process.cwd());
  const ref = run ?? 'latest';
  if (opts.json || !process.stdout.isTTY || !process.stdin.isTTY) {
    const r = await source.run(ref); // an unknown run: not_found, exit 3
    if (opts.json) printJson({ run: r });
    else process.stdout.write(formatDebby(r) + '\n');
    return ExitCode.ok;
  }
  preferProductionReact();
  const [{ render }, React, { DebbyView }] = await Promise.all([import('ink'), import('react'), import('../../tui/debby/view.js')]);
  // The run must exist before a screen is drawn for it (an unknown one: not_found, exit 3), and
  // `latest` is resolved once: the view stays on the run it opened.
  const first = await source.run(ref);
  const store = new DebbyStore({ source, run: first.id });
  try {
    // Ctrl-C is a key for the view (exitOnCtrlC off): it leaves the same way /quit does.
    await runViewLoop({ screen: altScreen(), follow: (signal) => store.follow(signal), render: () => render(React.createElement(DebbyView, { store }), { exitOnCtrlC: false }) });
    return ExitCode.ok;
  } finally {
    store.dispose();
  }
}
