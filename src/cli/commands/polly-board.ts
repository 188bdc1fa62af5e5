import type { OmniClient } from '../../client/api.js';
import { ExitCode } from '../../core/errors.js';
import { boardHeader, usdText, type BoardRow } from '../../polly/board-rows.js';
import type { PollyRun } from '../../polly/types.js';
import { recordedWorktree } from '../../polly/worktree.js';
import { clientPolly, type PollyApi } from '../../tui/polly/source.js';
import { loadBoard, PollyBoardStore } from '../../tui/polly/store.js';
import type { BoardOutcome } from '../../tui/polly/view.js';
import { altScreen, preferProductionReact } from '../../tui/terminal.js';
import { runViewLoop } from '../../tui/view-loop.js';
import { worktreeDiff } from '../../worktree/inspect.js';
import { createGitRunner } from '../../worktree/git.js';
import { client } from '../context.js';
import { makeChalk, printJson, table } from '../output.js';

/**
 * `omni polly board [RUN]`: the live Ink board on a terminal; `--json` prints {run, rows} once;
 * without a terminal, a plain table. `a` leaves the board to attach to a worker and comes back
 * to it when the person detaches (the alternate screen is left meanwhile, as the dashboard does).
 */
export async function pollyBoardCommand(ref: string | undefined, opts: { json?: boolean }): Promise<number> {
  const c = await client();
  const api = clientPolly(c);
  const cwd = process.cwd();
  if (opts.json || !process.stdout.isTTY || !process.stdin.isTTY) {
    const { run, rows } = await loadBoard(api, ref ?? 'latest', cwd);
    if (opts.json) printJson({ run, rows });
    else process.stdout.write(formatBoard(run, rows) + '\n');
    return ExitCode.ok;
  }
  // The run first, so that an unknown one is the daemon's one-line error, not an empty board.
  const first = await api.run(ref ?? 'latest', cwd);
  preferProductionReact();
  const [{ render }, React, { PollyBoardView }] = await Promise.all([import('ink'), import('react'), import('../../tui/polly/view.js')]);
  const store = new PollyBoardStore({ api, ref: first.id, cwd, diff: readDiff, merge: boardMerge(c, api), refreshMs: 10_000 });
  store.setRun(first);
  try {
    await runViewLoop<BoardOutcome>({
      screen: altScreen(),
      follow: (signal) => store.follow(signal),
      render: (onExit) => render(React.createElement(PollyBoardView, { store, onExit })),
      away: async (outcome) => {
        try {
          const { attachSession } = await import('./attach.js');
          await attachSession((await c.session(outcome.session.id)).session);
          store.setMessage(`detached from ${outcome.session.name} (omni attach ${outcome.session.name} to go back)`);
        } catch (err) {
          store.setMessage(err instanceof Error ? err.message : String(err), 'error');
        }
      },
    });
    return ExitCode.ok;
  } finally {
    store.dispose();
  }
}

/** The task's worker worktree against its base, as `omni worktree diff` reads it (git, here). */
async function readDiff(run: PollyRun, taskId: string): Promise<string> {
  const s = run.tasks?.find((t) => t.id === taskId)?.session;
  if (!s) return '';
  const { diff, truncated, bytes } = await worktreeDiff(createGitRunner(), recordedWorktree(run, s));
  return truncated ? `${diff}\n… cut at 256 KiB of ${bytes} bytes (omni worktree diff ${s.name} prints it all)` : diff;
}

/** The board's `m`: the code of `omni polly merge RUN --yes`, its progress on the status line. */
function boardMerge(c: OmniClient, api: PollyApi) {
  return async (run: PollyRun, progress: (line: string) => void) => {
    const { pollyMerge, cliPollyMergeDeps } = await import('./polly-merge.js');
    const { mergeSummary, exitCodeOf } = await import('./merge.js');
    const r = await pollyMerge(cliPollyMergeDeps(c, api, { progress, interactive: false }), run.id, { yes: true });
    return { text: mergeSummary(r.result), kind: exitCodeOf(r.result) === ExitCode.ok ? ('info' as const) : ('error' as const) };
  };
}

/** The plain board: header lines, then a table of the rows. */
export function formatBoard(run: PollyRun, rows: readonly BoardRow[], c = makeChalk()): string {
  const h = boardHeader(run);
  const head = [
    `${c.bold(`Polly ${h.id}`)} ${h.status} · lead ${h.lead} · into ${h.base} · ${usdText(h.costUsd)}${h.counts ? ` · ${h.counts}` : ''}`,
    `goal: ${h.goal.replace(/\s+/g, ' ')}`,
    ...(h.planErrors ?? []).map((e) => `plan refused: ${e}`),
  ];
  if (!rows.length) return [...head, `no tasks yet: the lead is planning (omni attach ${run.lead.name})`].join('\n');
  const body = table(
    [
      ['TASK', 'TITLE', 'WORKER', 'STATUS', 'BRANCH', 'DIFF', 'REVIEW', 'AFTER', 'COST'],
      ...rows.map((r) => [r.id, r.title, r.harness, r.status + (r.reason ? ` (${r.reason})` : ''), r.branch ?? '-', r.diffstat ?? '-', r.review ?? '-', r.after.join(',') || '-', usdText(r.costUsd)]),
    ],
    c,
  );
  return [...head, '', body].join('\n');
}
