import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import type { PollyRun, PollyTask } from '../../src/polly/types.js';
import { answerCodexTitles, codexUserEnv, writeCodexUserConfig } from '../conformance/profiles/codex.js';
import { startFakeModel, type Answer, type CapturedRequest, type FakeModel } from '../fake-model/server.js';
import { parseEvents, toolResultText } from '../helpers/events.js';
import { initRepo, sh } from '../helpers/git-repo.js';
import { claudeEnv, makeTestEnv, pinnedCli, until, type TestEnv } from '../helpers/omni.js';

/**
 * Polly end to end, as a person runs it: `omni polly "goal"` starts a Claude lead whose plan (the
 * fake model's answer to the lead's prompt) omni validates and runs: each task's worker on its
 * harness in its own worktree, its diff reviewed by a reviewer of ANOTHER vendor, changes sent back
 * to the same worker, and `omni polly merge --yes` puts the approved work on the base branch.
 * Real Claude Code and Codex against test/fake-model (only the model is faked), real tmux and git.
 * The fake is keyed on docs/POLLY.md's prompt texts: the lead's prompt holds the goal and `"tasks"`,
 * a worker's its task's brief, a reviewer's starts with `omni review <task>`, a send-back holds the
 * findings and `review round`.
 */

const ready = pinnedCli('claude') && pinnedCli('codex');

/**
 * Claude and Codex pointed at one fake model, git with a fixed identity, nothing else seeded: the
 * harnesses run as a user starts them. Claude runs in its default mode (auto), whose server-side
 * check of a Bash call the fake cannot answer ("Auto mode can't check actions"), so the Claude
 * workers here only write files (writes in the working folder need no check) and leave them
 * uncommitted, as Codex does inside its own sandbox: omni commits a worker's uncommitted work where
 * it needs it (a dependent task's base, the merge queue), and that path is what these runs test.
 */
function world(fake: FakeModel): TestEnv {
  const t = makeTestEnv(claudeEnv(fake.url));
  Object.assign(t.env, codexUserEnv(t));
  writeCodexUserConfig(t.home, fake.url);
  answerCodexTitles(fake);
  fs.writeFileSync(path.join(t.home, '.gitconfig'), '[user]\n\tname = Test\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n');
  return t;
}

/** Marks the lead's own answer, so a script can tell the lead's conversation from a worker's. */
const LEAD_MARK = 'PLAN-FROM-LEAD';

const bodyHas = (r: CapturedRequest, s: string) => JSON.stringify(r.body ?? '').includes(s);
/** The reviewer's prompt for `task`: its first line names `omni review` and the task id. */
const reviewOf = (task: string) => (r: CapturedRequest) => new RegExp(`omni review[^\\n]*\\b${task}\\b`).test(r.latestUserText);
const isReview = (r: CapturedRequest) => /omni review/.test(r.latestUserText);
/** A worker's turn: its brief (or `also`) in the latest prompt, not a review, not the lead's conversation. */
const workerTurn = (token: string, also?: string) => (r: CapturedRequest) =>
  r.latestUserText.includes(token) && (also === undefined || r.latestUserText.includes(also)) && !isReview(r) && !bodyHas(r, LEAD_MARK);

/** The lead's answer: a plan in a ```json block. */
function planAnswer(tasks: Array<Record<string, unknown>>): Answer {
  return { text: `${LEAD_MARK}: here is the plan.\n\n\`\`\`json\n${JSON.stringify({ tasks }, null, 2)}\n\`\`\`\n` };
}

function verdictAnswer(v: Record<string, unknown>): Answer {
  return { text: `Reviewed.\n\n\`\`\`json\n${JSON.stringify(v)}\n\`\`\`\n` };
}

/** A Claude worker that writes a file (and leaves it uncommitted: see world()). */
function claudeWrites(file: string, content: string, done: string): Answer[] {
  return [{ toolUses: [{ name: 'Write', input: { file_path: file, content } }] }, { text: done }];
}

interface Board {
  run: PollyRun;
  rows: unknown[];
}

async function board(t: TestEnv, run: string): Promise<Board> {
  return t.omniJson<Board>(['polly', 'board', run]);
}

const task = (b: Board, id: string): PollyTask => {
  const hit = b.run.tasks?.find((x) => x.id === id);
  if (!hit) throw new Error(`no task ${id} in ${JSON.stringify(b.run)}`);
  return hit;
};

/** Until every task is in one of `statuses`; fails early, with the run, when one needs a person. */
async function untilTasks(t: TestEnv, run: string, statuses: string[], timeoutMs: number): Promise<Board> {
  let last: Board | undefined;
  try {
    return await until(async () => {
      last = await board(t, run);
      const stuck = last.run.tasks?.find((x) => x.status === 'needs_person' && !statuses.includes('needs_person'));
      if (stuck) throw new Error(`task ${stuck.id} needs a person: ${stuck.reason}`);
      return !!last.run.tasks?.length && last.run.tasks.every((x) => statuses.includes(x.status)) && last;
    }, timeoutMs, `every task of ${run} to be ${statuses.join('|')}`);
  } catch (err) {
    throw new Error(`${(err as Error).message}\nlast run: ${JSON.stringify(last?.run, null, 1)}`);
  }
}

async function startRun(t: TestEnv, args: string[]): Promise<string> {
  const r = await t.omni(['polly', ...args, '--detach', '--json']);
  expect(r.exitCode, String(r.stderr)).toBe(0);
  const out = JSON.parse(String(r.stdout)) as { run: PollyRun };
  expect(out.run.id).toMatch(/^p_[0-9a-z]{8}$/);
  return out.run.id;
}

async function leadEvents(t: TestEnv, b: Board): Promise<OmniEvent[]> {
  return parseEvents((await t.omni(['events', b.run.lead.session, '--json'])).stdout);
}

describe.skipIf(!ready)('Polly: a planned run on Claude and Codex, cross-vendor review, a person merges', () => {
  let fake: FakeModel;
  let t: TestEnv;
  beforeEach(async () => {
    fake = await startFakeModel();
    t = world(fake);
  });
  afterEach(async () => {
    await t.cleanup();
    await fake.close();
  });

  it('two independent tasks: each reviewed by the other vendor, one sent back once with a finding, both merged by `omni polly merge --yes`', async () => {
    initRepo(t.work);
    const goal = 'POLLY-GOAL-ONE: add the alpha and beta notes';
    const finding = 'FINDING-ALPHA: alpha.txt needs its companion alpha-fix.txt';
    // Reviews first: a review prompt holds the task's brief too, and must not reach a worker's script.
    fake.script({
      name: 'review t1',
      match: reviewOf('t1'),
      turns: [
        verdictAnswer({ verdict: 'changes', findings: [{ file: 'alpha.txt', line: 1, severity: 'major', text: finding }], summary: 'one thing missing' }),
        verdictAnswer({ verdict: 'approve', findings: [], summary: 'good now' }),
      ],
    });
    fake.script({ name: 'review t2', match: reviewOf('t2'), turns: [verdictAnswer({ verdict: 'approve', findings: [] })] });
    fake.script({
      name: 'lead',
      match: (r) => r.latestUserText.includes(goal) && r.latestUserText.includes('"tasks"') && !r.latestUserText.includes('BRIEF-'),
      turns: [
        planAnswer([
          { id: 't1', title: 'Alpha note', brief: 'BRIEF-ALPHA: create alpha.txt holding ALPHA-V1 and commit it.', files: ['alpha.txt'], worker: 'claude' },
          { id: 't2', title: 'Beta note', brief: 'BRIEF-BETA: create beta.txt holding BETA-V1.', files: ['beta.txt'], worker: 'codex' },
        ]),
      ],
    });
    fake.script({ name: 'worker t1', match: workerTurn('BRIEF-ALPHA'), turns: claudeWrites('alpha.txt', 'ALPHA-V1\n', 'alpha done') });
    fake.script({ name: 'worker t1 fix', match: workerTurn(finding, 'review round'), turns: claudeWrites('alpha-fix.txt', 'ALPHA-FIX\n', 'alpha fixed') });
    // Codex keeps .git read-only inside its sandbox (docs/WORKTREES.md): it leaves the change uncommitted.
    fake.script({
      name: 'worker t2',
      match: workerTurn('BRIEF-BETA'),
      turns: [{ toolUses: [{ name: 'exec_command', input: { cmd: "printf 'BETA-V1\\n' > beta.txt" } }] }, { text: 'beta done' }],
    });

    const id = await startRun(t, [goal, '--workers', 'claude,codex', '--reviewers', 'claude,codex']);
    const done = await untilTasks(t, id, ['approved'], 200_000);
    const { run } = done;
    expect(run).toMatchObject({ goal, status: 'running', base: 'main', workers: ['claude', 'codex'], reviewers: ['claude', 'codex'] });
    expect(run.repo).toBe(fs.realpathSync(t.work));
    expect(run.lead.harness).toBe('claude');

    // Each task on the harness the plan named, in its own worktree, reviewed by the other vendor.
    const t1 = task(done, 't1');
    const t2 = task(done, 't2');
    expect(t1.session).toMatchObject({ harness: 'claude', vendor: 'anthropic' });
    expect(t2.session).toMatchObject({ harness: 'codex', vendor: 'openai' });
    expect(t1.after).toEqual([]);
    expect(t2.after).toEqual([]);
    const verdicts = (x: PollyTask) => x.reviews.map((r) => [r.round, r.verdict, r.reviewer.harness, r.reviewer.vendor]);
    expect(verdicts(t1)).toEqual([
      [1, 'changes', 'codex', 'openai'],
      [2, 'approve', 'codex', 'openai'],
    ]);
    expect(verdicts(t2)).toEqual([[1, 'approve', 'claude', 'anthropic']]);
    expect(t1.reviews[0]!.findings).toEqual([expect.objectContaining({ file: 'alpha.txt', line: 1, severity: 'major', text: finding })]);
    expect(t1.approvedBy).toBe('review');
    expect(t2.approvedBy).toBe('review');
    // Two rounds of a fresh reviewer each: three different reviewer sessions.
    const reviewerIds = [...t1.reviews, ...t2.reviews].map((r) => r.reviewer.session);
    expect(new Set(reviewerIds).size).toBe(3);

    // The review prompts went to the other vendor's API, with the brief and the diff inline.
    const t1Reviews = fake.requests.filter((r) => r.kind === 'turn' && reviewOf('t1')(r) && r.servedBy === 'script');
    const t2Reviews = fake.requests.filter((r) => r.kind === 'turn' && reviewOf('t2')(r) && r.servedBy === 'script');
    expect(t1Reviews.map((r) => r.api)).toEqual(['openai-responses', 'openai-responses']);
    expect(t2Reviews.map((r) => r.api)).toEqual(['anthropic']);
    expect(t1Reviews[0]!.latestUserText).toContain('BRIEF-ALPHA');
    expect(t1Reviews[0]!.latestUserText).toContain('+ALPHA-V1');
    expect(t1Reviews[1]!.latestUserText).toContain('+ALPHA-FIX');
    expect(t2Reviews[0]!.latestUserText).toContain('+BETA-V1');
    expect(t2Reviews[0]!.latestUserText).toContain('"verdict"');

    // The finding went back to the same Claude worker: its next request, in the conversation of its brief.
    const fix = fake.requests.find((r) => r.api === 'anthropic' && r.latestUserText.includes(finding) && !isReview(r));
    expect(fix, 'a Claude request carrying the finding').toBeDefined();
    expect(fix!.latestUserText).toContain('review round');
    expect(bodyHas(fix!, 'BRIEF-ALPHA')).toBe(true);
    expect(bodyHas(fix!, LEAD_MARK)).toBe(false);

    // Workers and reviewers are the lead's children; the reviewers were stopped after their verdict.
    const all = await t.omniJson<SessionRecord[]>(['ls', '--all']);
    const byId = (s: string) => all.find((x) => x.id === s);
    for (const s of [t1.session!.session, t2.session!.session, ...reviewerIds]) expect(byId(s)?.parent, s).toBe(run.lead.session);
    for (const s of reviewerIds) expect(byId(s)?.status, s).toBe('exited');
    expect(byId(t1.session!.session)?.worktree?.branch).toBe(t1.session!.branch);
    expect(byId(t2.session!.session)?.worktree?.branch).toBe(t2.session!.branch);
    // Neither worker committed (see world()): their work is in their worktrees, not yet on a branch.
    expect(sh(t.work, 'log', '--format=%s', `main..${t1.session!.branch}`)).toBe('');
    expect(fs.readFileSync(path.join(t1.session!.worktree, 'alpha-fix.txt'), 'utf8')).toBe('ALPHA-FIX\n');

    // The lead's log tells the story.
    const ev = await leadEvents(t, done);
    const plans = ev.filter((e) => e.type === 'polly.plan').map((e) => e.data as { accepted: boolean; tasks?: number });
    expect(plans).toEqual([expect.objectContaining({ accepted: true, tasks: 2 })]);
    const reviews = ev.filter((e) => e.type === 'polly.review').map((e) => e.data as { task: string; round: number; verdict: string; vendor: string });
    expect(reviews.map((r) => `${r.task} r${r.round} ${r.verdict} ${r.vendor}`).sort()).toEqual(['t1 r1 changes openai', 't1 r2 approve openai', 't2 r1 approve anthropic']);

    // Nothing is on main until a person merges.
    expect(sh(t.work, 'log', '--format=%s', 'main')).toBe('initial');
    const merge = await t.omni(['polly', 'merge', id, '--yes', '--json'], { timeoutMs: 180_000 });
    expect(merge.exitCode, `${merge.stdout}\n${merge.stderr}`).toBe(0);
    const mergeOut = JSON.parse(String(merge.stdout)) as { run: string; tasks: string[]; marked: string[]; result: { outcomes: Array<{ ref: string; outcome: string }> } };
    expect(mergeOut).toMatchObject({ run: id, tasks: ['t1', 't2'], marked: ['t1', 't2'] });
    expect(mergeOut.result.outcomes.map((o) => [o.ref, o.outcome])).toEqual([
      ['t1', 'merged'],
      ['t2', 'merged'],
    ]);
    // In plan order; each worker's uncommitted change was committed by the queue once its session was stopped.
    const subjects = sh(t.work, 'log', '--format=%s', 'main').split('\n');
    expect(subjects).toHaveLength(3);
    expect(subjects[2]).toBe('initial');
    expect(subjects[1]).toMatch(/uncommitted work left by session polly1-t1/);
    expect(subjects[0]).toMatch(/uncommitted work left by session polly1-t2/);
    expect(sh(t.work, 'show', 'main:alpha.txt')).toBe('ALPHA-V1');
    expect(sh(t.work, 'show', 'main:alpha-fix.txt')).toBe('ALPHA-FIX');
    expect(sh(t.work, 'show', 'main:beta.txt')).toBe('BETA-V1');
    const merged = await board(t, id);
    const head = sh(t.work, 'rev-parse', 'main');
    for (const x of merged.run.tasks!) expect(x.status, x.id).toBe('merged');
    expect(task(merged, 't2').merged?.commit).toBe(head);
    expect(merged.run.status).toBe('done');
  }, 300_000);

  it("two tasks on the same file are sequenced: the second starts after the first is approved, from the first's branch, with the work Codex left uncommitted", async () => {
    initRepo(t.work);
    const goal = 'POLLY-GOAL-TWO: two lines in shared.txt';
    fake.script({ name: 'review s1', match: reviewOf('s1'), turns: [verdictAnswer({ verdict: 'approve', findings: [] })] });
    fake.script({ name: 'review s2', match: reviewOf('s2'), turns: [verdictAnswer({ verdict: 'approve', findings: [] })] });
    fake.script({
      name: 'lead',
      match: (r) => r.latestUserText.includes(goal) && r.latestUserText.includes('"tasks"') && !r.latestUserText.includes('BRIEF-'),
      turns: [
        planAnswer([
          { id: 's1', title: 'First line', brief: 'BRIEF-S1: create shared.txt with the line S1.', files: ['shared.txt'], worker: 'codex' },
          { id: 's2', title: 'Second line', brief: 'BRIEF-S2: add the line S2 to shared.txt.', files: ['shared.txt'], worker: 'claude' },
        ]),
      ],
    });
    // Codex writes the first line and cannot commit it (its own sandbox keeps .git read-only).
    fake.script({
      name: 'worker s1',
      match: workerTurn('BRIEF-S1'),
      turns: [{ toolUses: [{ name: 'exec_command', input: { cmd: "printf 'S1\\n' > shared.txt" } }] }, { text: 's1 done' }],
    });
    fake.script({
      name: 'worker s2',
      match: workerTurn('BRIEF-S2'),
      turns: [
        // Claude writes over a file only after reading it.
        { toolUses: [{ id: 'toolu_s2_read', name: 'Read', input: { file_path: 'shared.txt' } }] },
        ...claudeWrites('shared.txt', 'S1\nS2\n', 's2 done'),
      ],
    });

    const id = await startRun(t, [goal, '--workers', 'claude,codex', '--reviewers', 'claude,codex']);
    const planned = await until(async () => {
      const b = await board(t, id);
      return !!b.run.tasks?.length && b;
    }, 120_000, 'the plan to be accepted');
    // Sequenced by the shared file, not fanned out.
    expect(task(planned, 's2').after).toEqual(['s1']);
    expect(task(planned, 's2').status).toBe('waiting');

    const done = await untilTasks(t, id, ['approved'], 200_000);
    const s1 = task(done, 's1');
    const s2 = task(done, 's2');
    expect(s1.session).toMatchObject({ harness: 'codex' });
    expect(s2.session).toMatchObject({ harness: 'claude' });
    expect(s1.reviews.map((r) => r.reviewer.harness)).toEqual(['claude']);
    expect(s2.reviews.map((r) => r.reviewer.harness)).toEqual(['codex']);
    // The second worked from the first's branch (its base is that branch's commit), on which omni had
    // committed what Codex left uncommitted: Claude read S1 there before it wrote S2.
    expect(s2.session!.base).toBe(sh(t.work, 'rev-parse', s1.session!.branch));
    expect(toolResultText(fake, 'toolu_s2_read')).toContain('S1');
    expect(fs.readFileSync(path.join(s2.session!.worktree, 'shared.txt'), 'utf8')).toBe('S1\nS2\n');
    const onS2 = sh(t.work, 'log', '--format=%s', `main..${s2.session!.branch}`).split('\n');
    expect(onS2).toHaveLength(1);
    expect(onS2[0]).toMatch(/uncommitted work of polly1-s1 \(task s1\)/);

    // Order, from the lead's log: s2 started working only after s1 was approved.
    const ev = (await leadEvents(t, done)).filter((e) => e.type === 'polly.task').map((e) => e.data as { task: string; status: string });
    const at = (tk: string, st: string) => ev.findIndex((d: { task: string; status: string }) => d.task === tk && d.status === st);
    expect(at('s1', 'approved')).toBeGreaterThan(-1);
    expect(at('s2', 'working')).toBeGreaterThan(at('s1', 'approved'));
    // And from the model's side: s2's brief reached a model only after s1's approving review was served.
    const firstS2 = fake.requests.findIndex((r) => workerTurn('BRIEF-S2')(r));
    const s1Review = fake.requests.findIndex((r) => reviewOf('s1')(r) && r.servedBy === 'script');
    expect(s1Review).toBeGreaterThan(-1);
    expect(firstS2).toBeGreaterThan(s1Review);
  }, 300_000);

  it('a same-vendor review is refused: `--workers claude --reviewers claude` exits 2, says why, starts nothing', async () => {
    initRepo(t.work);
    const r = await t.omni(['polly', 'POLLY-GOAL-THREE', '--workers', 'claude', '--reviewers', 'claude', '--detach']);
    expect(r.exitCode, String(r.stdout)).toBe(2);
    expect(String(r.stderr)).toContain('no reviewer of another vendor for worker claude (anthropic)');
    expect(String(r.stderr)).toContain('reviewers: claude (anthropic)');
    expect(await t.omniJson<SessionRecord[]>(['ls', '--all'])).toEqual([]);
    const runs = path.join(t.omniHome, 'polly');
    expect(fs.existsSync(runs) ? fs.readdirSync(runs) : []).toEqual([]);
    expect(fake.turns()).toEqual([]);
  });
});
