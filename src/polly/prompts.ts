import type { PollyRun, PollyTask, Review } from './types.js';
import { MAX_TASKS } from './plan.js';

/**
 * Every text omni types into a Polly session. Plain text, no ANSI; each names what omni expects
 * back. Tests and the fake model key on some words here (docs/POLLY.md): keep `"tasks"` in the
 * lead's prompt, `omni review <task>` on the reviewer's first line, `"verdict"`, `review round`.
 */

const PLAN_SHAPE = `\`\`\`json
{
  "tasks": [
    {
      "id": "t1",
      "title": "Short title",
      "brief": "Everything the worker needs to know to do this task alone: what to change, where, how to check it.",
      "files": ["src/path/file.ts", "src/dir/**"],
      "depends_on": [],
      "worker": "<one of the workers, optional>"
    }
  ]
}
\`\`\``;

const PLAN_RULES = `Rules for the plan:
- "id": 1 to 40 letters, digits, - or _; unique. "title" and "brief" are required.
- "files": the files or globs the task will touch. Tasks whose files overlap run one after another, in plan order.
- "depends_on": ids of tasks that must be approved before this one starts (no cycles).
- "worker": optional; without it omni gives tasks to the workers in turn.
- At most ${MAX_TASKS} tasks. Keep tasks that share an interface in one task, or sequence them with depends_on.`;

/** The lead's first prompt: the goal, the workers it may plan for, and the plan's JSON shape. */
export function leadPrompt(run: Pick<PollyRun, 'goal' | 'workers' | 'reviewers' | 'parallel'>): string {
  return `You are Polly, the lead of a team of coding agents run by omni. You plan; you write no code.

The goal:
${run.goal}

Read the code you need to understand the goal, then split the work into tasks. omni starts one worker per task in its own git worktree (at most ${run.parallel} at a time), sends each finished diff to a reviewer of another vendor, and a person merges the approved work. Do not edit files, start agents, merge or push yourself.

Workers you may assign: ${run.workers.join(', ')}. Reviewers: ${run.reviewers.join(', ')}.

${PLAN_RULES}

End your answer with the plan as one JSON block, exactly this shape:
${PLAN_SHAPE}`;
}

/** The plan was refused: why, and the JSON shape again. */
export function planRefused(errors: readonly string[]): string {
  return `omni could not accept your plan:
${errors.map((e) => `- ${e}`).join('\n')}

Fix these and send the whole plan again as one JSON block:
${PLAN_SHAPE}

${PLAN_RULES}`;
}

/** The plan was accepted: what omni runs, in which order (the lead writes no code and merges nothing). */
export function planAccepted(tasks: readonly PollyTask[]): string {
  const rows = tasks.map((t) => `- ${t.id} (${t.harness}): ${t.title}${t.after.length ? ` — after ${t.after.join(', ')}` : ' — starts now'}`);
  return `omni accepted your plan of ${tasks.length} task${tasks.length === 1 ? '' : 's'}:
${rows.join('\n')}

omni starts the workers, routes each diff to a reviewer of another vendor and tells a person when work is approved. You have nothing to run: do not write code, start agents, merge or push. Answer questions if a person asks you in this pane.`;
}

/** A worker's first prompt: the goal, its task's brief and files; commit, do not merge or push. */
export function workerPrompt(task: PollyTask, goal: string): string {
  const files = task.files?.length ? `\nFiles you are expected to touch: ${task.files.join(', ')}\n` : '';
  return `You are a worker on a team run by omni. Your task: ${task.id} — ${task.title}

${task.brief}
${files}
It is one part of this goal (other workers do the other parts; stay within your task):
${goal}

You work in your own git worktree on your own branch. When you are done, commit your work on this branch with a clear message (if your sandbox does not let you commit, leave the changes in the worktree: omni commits them). Do not merge, rebase onto other branches, or push: a reviewer of another vendor reads your diff, and a person merges it.`;
}

/** A reviewer's prompt: the task's brief and the diff (not the worktree); the verdict's JSON shape. */
export function reviewerPrompt(task: PollyTask, diff: string, opts: { round: number; truncated?: boolean }): string {
  // A fence longer than any run of backticks in the diff, so a diff of Markdown cannot close it.
  const longest = [...diff.matchAll(/`+/g)].reduce((n, m) => Math.max(n, m[0].length), 0);
  const fence = '`'.repeat(Math.max(3, longest + 1));
  const cut = opts.truncated ? '\n(The diff was too long and is cut off here: judge what you see, and say in a finding what you could not check.)' : '';
  return `omni review ${task.id} — round ${opts.round}
You review another agent's work for omni. You read; you do not edit files, run git commands that change anything, merge or push.

The task (${task.id}: ${task.title}) as the worker was told:
${task.brief}

The worker's diff against its base:
${fence}diff
${diff}
${fence}${cut}

Check that the diff does what the brief asks, is correct, and breaks nothing else. You may read the repository (it shows the base, before this diff) for context.

End your answer with your verdict as one JSON block:
\`\`\`json
{
  "verdict": "approve" or "changes",
  "summary": "one or two sentences",
  "findings": [
    {"file": "src/a.ts", "line": 12, "severity": "blocker" | "major" | "minor" | "nit", "text": "what is wrong and what to do"}
  ]
}
\`\`\`
"changes" needs at least one finding; "approve" may list nits.`;
}

/** The reviewer's answer had no verdict omni could read: why, and the shape again. */
export function verdictUnreadable(error: string): string {
  return `omni could not read a verdict in your answer: ${error}

Answer again, ending with one JSON block of this shape:
\`\`\`json
{"verdict": "approve", "summary": "…", "findings": [{"file": "src/a.ts", "line": 12, "severity": "major", "text": "…"}]}
\`\`\`
"verdict" is "approve" or "changes"; "changes" needs at least one finding; severity is one of blocker, major, minor, nit.`;
}

function findingLine(f: Review['findings'][number]): string {
  const at = f.file ? ` ${f.file}${f.line ? `:${f.line}` : ''}` : '';
  return `- [${f.severity}]${at}: ${f.text}`;
}

/** To the worker: the reviewer asked for changes (its findings); fix them and commit. */
export function changesRequested(review: Review, maxRounds: number): string {
  const left = Math.max(0, maxRounds - review.round);
  const last = left === 0 ? 'This was the last review round: after it a person decides.' : `${left} review round${left === 1 ? '' : 's'} left before a person decides.`;
  return `A reviewer (${review.reviewer.harness}) asked for changes in review round ${review.round} of ${maxRounds}.${review.summary ? `\n${review.summary}` : ''}

Findings:
${review.findings.map(findingLine).join('\n')}

Fix them in your worktree and commit. Do not merge or push. ${last}`;
}

/** To the worker: a person sent the task back with a note. */
export function sentBack(note: string): string {
  return `A person sent your task back with this note:
${note}

Make the changes in your worktree and commit. Do not merge or push. omni then sends your diff to review again.`;
}
