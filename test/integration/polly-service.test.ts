import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import type { PollyRun, PollyTask } from '../../src/polly/types.js';
import { parseEvents } from '../helpers/events.js';
import { initRepo, sh } from '../helpers/git-repo.js';
import { makeTestEnv, until, type TestEnv } from '../helpers/omni.js';
import { api, createScripted, getSession, sendText, startScriptedDaemon } from '../helpers/scripted.js';

/**
 * The Polly service in the real daemon (src/daemon/polly-*.ts) with the scripted harness: real
 * tmux, real git worktrees, the real policy service. Two scripted harnesses of two vendors
 * (`scripted`, `scripted-b`); each session answers by its prompt's content (SCRIPTED_RULES), so
 * the lead plans, workers write files, reviewers give verdicts as the rules say.
 */

const GIT_ID = { GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@example.com', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@example.com' };
const fence = (v: unknown) => '```json\n' + JSON.stringify(v, null, 2) + '\n```';
const approve = fence({ verdict: 'approve', summary: 'fine', findings: [] });
const changes = (text: string) => fence({ verdict: 'changes', summary: 'one thing', findings: [{ file: 'a.txt', line: 1, severity: 'major', text }] });

interface Rule {
  match: string;
  flags?: string;
  run?: string;
  delay?: number;
  replies?: string[];
}

function world(): { t: TestEnv; rules: string; env: Record<string, string>; setRules(r: Rule[]): void } {
  const t = makeTestEnv({ SCRIPTED_TWINS: 'scripted-b=vendorb' });
  initRepo(t.work);
  const rules = path.join(t.dir, 'rules.json');
  const setRules = (r: Rule[]) => {
    // Reply counters are per rule index (harness.mjs): new rules start them afresh.
    for (const f of fs.readdirSync(t.dir)) if (f.startsWith('rules.json.')) fs.rmSync(path.join(t.dir, f));
    fs.writeFileSync(rules, JSON.stringify(r));
  };
  return { t, rules, env: { ...t.env, ...GIT_ID, SCRIPTED_RULES: rules }, setRules };
}

const getRun = async (t: TestEnv, id: string) => (await api<{ run: PollyRun }>(t, 'GET', `/v1/polly/${id}`)).body.run;
const task = (run: PollyRun, id: string) => run.tasks!.find((x) => x.id === id)!;
async function untilTasks(t: TestEnv, id: string, ok: (tasks: PollyTask[]) => boolean, what: string, ms = 60_000): Promise<PollyRun> {
  let last: PollyRun | undefined;
  try {
    return await until(async () => {
      last = await getRun(t, id);
      return last.tasks && ok(last.tasks) && last;
    }, ms, what);
  } catch (err) {
    const state = last?.tasks?.map((x) => ({ id: x.id, status: x.status, round: x.round, reason: x.reason })) ?? { status: last?.status, planErrors: last?.planErrors };
    throw new Error(`${(err as Error).message}; the run's tasks: ${JSON.stringify(state)}`);
  }
}
async function events(t: TestEnv, ref: string): Promise<OmniEvent[]> {
  const r = await t.omni(['events', ref, '--json']);
  expect(r.exitCode, String(r.stderr)).toBe(0);
  return parseEvents(r.stdout);
}

describe('Polly in the daemon: plan, workers, cross-vendor review, person actions', () => {
  let w: ReturnType<typeof world>;
  let t: TestEnv;
  beforeAll(async () => {
    w = world();
    t = w.t;
    await startScriptedDaemon(t);
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it('refuses a run it cannot route or start (400), and starts nothing', async () => {
    const post = (body: Record<string, unknown>) => api<{ error: { code: string; message: string } }>(t, 'POST', '/v1/polly', { goal: 'g', cwd: t.work, env: w.env, lead: 'scripted', ...body });
    const same = await post({ workers: ['scripted'], reviewers: ['scripted'] });
    expect(same.status).toBe(400);
    expect(same.body.error).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/no reviewer of another vendor for worker scripted \(scripted\)/) });
    const unknown = await post({ workers: ['nope'], reviewers: ['scripted'] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(/nope.*harnesses: .*scripted-b/);
    const noRepo = await post({ cwd: t.home, workers: ['scripted'], reviewers: ['scripted-b'] });
    expect(noRepo.status).toBe(400);
    expect(noRepo.body.error.message).toMatch(/git repository/);
    expect((await api<{ runs: PollyRun[] }>(t, 'GET', '/v1/polly')).body.runs).toEqual([]);
    expect((await api(t, 'GET', '/v1/sessions')).body).toMatchObject({ sessions: [] });
  });

  let run: PollyRun;
  it('plans two tasks, runs each worker in its worktree, routes each diff to the other vendor; changes once, then approve', async () => {
    w.setRules([
      { match: '^omni review t1 ', replies: [changes('FIX-T1 a.txt needs a second line'), approve] },
      { match: '^omni review t2 ', replies: [approve] },
      { match: 'FIX-T1', run: 'echo second >> a.txt' },
      { match: 'NOTE-T2', run: 'echo more >> b.txt' },
      { match: 'BRIEF-T1', run: 'echo one > a.txt' },
      { match: 'BRIEF-T2', run: 'echo two > b.txt' },
      {
        match: 'GOAL-ONE',
        replies: [
          'Here is my plan.\n' +
            fence({
              tasks: [
                { id: 't1', title: 'write a', brief: 'BRIEF-T1 write a.txt', files: ['a.txt'], worker: 'scripted' },
                { id: 't2', title: 'write b', brief: 'BRIEF-T2 write b.txt', files: ['b.txt'], worker: 'scripted-b' },
              ],
            }),
        ],
      },
    ]);
    const t0 = Date.now();
    const r = await api<{ run: PollyRun }>(t, 'POST', '/v1/polly', { goal: 'GOAL-ONE: two files', cwd: t.work, env: w.env, lead: 'scripted', workers: ['scripted', 'scripted-b'], reviewers: ['scripted', 'scripted-b'] });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    run = r.body.run;
    expect(run).toMatchObject({ id: expect.stringMatching(/^p_[a-z0-9]{8}$/), status: 'planning', base: 'main', repo: t.work, parallel: 2, maxRounds: 2, lead: { name: 'polly-1', harness: 'scripted' } });
    const stored = path.join(t.omniHome, 'polly', run.id);
    expect(fs.statSync(stored).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(stored, 'run.json')).mode & 0o777).toBe(0o600);

    const done = await untilTasks(t, run.id, (ts) => ts.every((x) => x.status === 'approved'), 'both tasks approved', 90_000);
    console.log(`polly: plan → 2 tasks → 4 worker turns and 3 reviews → approved: ${Date.now() - t0} ms`);
    expect(done.status).toBe('running');
    const t1 = task(done, 't1');
    const t2 = task(done, 't2');
    expect(t1).toMatchObject({ harness: 'scripted', round: 2, approvedBy: 'review', after: [], session: { name: 'polly1-t1', harness: 'scripted', vendor: 'scripted', branch: 'omni/polly1-t1' } });
    expect(t1.reviews.map((x) => [x.round, x.verdict, x.reviewer.harness, x.reviewer.vendor])).toEqual([
      [1, 'changes', 'scripted-b', 'vendorb'],
      [2, 'approve', 'scripted-b', 'vendorb'],
    ]);
    expect(t1.reviews[0]!.findings).toEqual([{ file: 'a.txt', line: 1, severity: 'major', text: 'FIX-T1 a.txt needs a second line' }]);
    expect(t2.reviews.map((x) => [x.round, x.verdict, x.reviewer.harness, x.reviewer.vendor])).toEqual([[1, 'approve', 'scripted', 'scripted']]);
    // The workers' changes, in their own worktrees (the second round's fix too), with their diffstat.
    expect(fs.readFileSync(path.join(t1.session!.worktree, 'a.txt'), 'utf8')).toBe('one\nsecond\n');
    expect(fs.readFileSync(path.join(t2.session!.worktree, 'b.txt'), 'utf8')).toBe('two\n');
    expect(fs.existsSync(path.join(t.work, 'a.txt'))).toBe(false);
    expect(t1.diffstat).toEqual({ files: 1, insertions: 2, deletions: 0 });
    // Workers and reviewers are the lead's children; each reviewer was stopped after its verdict.
    const sessions = (await api<{ sessions: SessionRecord[] }>(t, 'GET', '/v1/sessions?all=1')).body.sessions;
    const reviewers = sessions.filter((s) => s.tags?.includes('polly-reviewer'));
    expect(reviewers).toHaveLength(3);
    for (const s of [...reviewers, ...sessions.filter((s) => s.tags?.includes('polly-worker'))]) {
      expect(s.parent).toBe(run.lead.session);
      expect(s.tags).toContain(`polly.${run.id}`);
    }
    expect(reviewers.every((s) => s.status === 'exited' && s.cwd === t.work && !s.worktree)).toBe(true);
    // Polly's policy sets (src/polly/policies.ts, agents/polly.yaml): workers may not merge or
    // push; reviewers and the lead write nothing and git only reads.
    const policies = async (id: string) => (await api<{ policies: Array<{ name: string }> }>(t, 'GET', `/v1/sessions/${id}/policies`)).body.policies.map((p) => p.name);
    expect(await policies(t1.session!.session)).toEqual(expect.arrayContaining(['no_merge_push', 'blast_radius']));
    expect(await policies(reviewers[0]!.id)).toEqual(expect.arrayContaining(['no_merge_push', 'writes_denied']));
    expect(await policies(run.lead.session)).toEqual(expect.arrayContaining(['no_merge_push', 'writes_denied']));
    expect(done.costUsd).toBe(0);
    expect(t1.costUsd).toBe(0);
    // The lead's log tells the story.
    const evs = await events(t, run.lead.session);
    expect(evs.filter((e) => e.type === 'polly.plan').map((e) => e.data)).toEqual([{ run: run.id, accepted: true, tasks: 2 }]);
    expect(evs.filter((e) => e.type === 'polly.review').map((e) => (e.data as { verdict: string }).verdict)).toEqual(expect.arrayContaining(['changes', 'approve', 'approve']));
    const t1steps = evs.filter((e) => e.type === 'polly.task' && (e.data as { task: string }).task === 't1').map((e) => (e.data as { status: string }).status);
    expect(t1steps).toEqual(['working', 'reviewing', 'working', 'reviewing', 'approved']);
    // The bookkeeping stays out of the API.
    expect(Object.keys(t1)).not.toContain('wait');
    expect((await api<{ run: PollyRun }>(t, 'GET', `/v1/polly/latest?cwd=${encodeURIComponent(t.work)}`)).body.run.id).toBe(run.id);
    expect((await api<{ error: { message: string } }>(t, 'GET', '/v1/polly/p_nothere')).body.error.message).toContain(run.id);
  });

  it('refuses person actions from inside an omni pane (403), takes them from the person', async () => {
    const sock = path.join(t.omniHome, 'run', 'omni.sock');
    const url = `http://omni/v1/polly/${run.id}/tasks/t1/merged`;
    const body = JSON.stringify({ commit: sh(t.work, 'rev-parse', 'HEAD') });
    // A process carrying a live session's OMNI_SESSION_ID (everything in its pane does).
    const r = await execa('curl', ['-s', '--unix-socket', sock, '-H', 'content-type: application/json', '-d', body, url], { env: { ...t.env, OMNI_SESSION_ID: run.lead.session }, extendEnv: false, reject: false });
    expect(JSON.parse(String(r.stdout))).toMatchObject({ error: { code: 'forbidden', message: expect.stringContaining('omni polly merge refused') } });
    // A process in a pane's tree: a script a session runs as a tool.
    await createScripted(t, { name: 'agent' });
    await until(async () => (await getSession(t, 'agent')).status === 'idle', 10_000, 'agent idle');
    const script = path.join(t.dir, 'approve.sh');
    const out = path.join(t.dir, 'approve.json');
    fs.writeFileSync(script, `curl -s -o ${out} -w '%{http_code}' --unix-socket ${sock} -H 'content-type: application/json' -d '{"note":"mine"}' http://omni/v1/polly/${run.id}/tasks/t2/approve > ${out}.code\n`);
    await sendText(t, 'agent', `tool: sh ${script}`);
    const code = await until(() => fs.existsSync(`${out}.code`) && fs.readFileSync(`${out}.code`, 'utf8').trim(), 15_000, 'the curl from the pane');
    expect(code).toBe('403');
    expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toMatchObject({ error: { code: 'forbidden', message: expect.stringContaining("agent's process tree") } });
    expect(task(await getRun(t, run.id), 't2').approvedBy).toBe('review');
    // The person (this test's process) may: send t2 back with a note (one more review), then mark both merged.
    const back = await api<{ run: PollyRun; task: PollyTask }>(t, 'POST', `/v1/polly/${run.id}/tasks/t2/send-back`, { note: 'NOTE-T2 one more line' });
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    expect(back.body.task).toMatchObject({ status: 'working' });
    const again = await untilTasks(t, run.id, (ts) => ts[1]!.status === 'approved', 't2 approved again', 30_000);
    expect(task(again, 't2').reviews.map((x) => [x.round, x.verdict])).toEqual([[1, 'approve'], [2, 'approve']]);
    expect(fs.readFileSync(path.join(task(again, 't2').session!.worktree, 'b.txt'), 'utf8')).toBe('two\nmore\n');
    for (const id of ['t1', 't2']) {
      const m = await api<{ run: PollyRun }>(t, 'POST', `/v1/polly/${run.id}/tasks/${id}/merged`, JSON.parse(body));
      expect(m.status, JSON.stringify(m.body)).toBe(200);
    }
    const after = await getRun(t, run.id);
    expect(after.status).toBe('done');
    expect(task(after, 't1')).toMatchObject({ status: 'merged', merged: { commit: JSON.parse(body).commit } });
  });

  it('puts a task before a person: its worker ended, a verdict unreadable twice, rounds used up, nothing changed', async () => {
    w.setRules([
      { match: '^omni review x3 ', replies: [changes('FIX-X3 not yet')] },
      // x2's reviewer, and omni asking it again (that prompt shows the verdict's shape again).
      { match: '^omni review x2 |"verdict"', replies: ['I like it.', 'Still no JSON, sorry.'] },
      { match: 'BRIEF-X1', line: 'exit: 3' },
      { match: 'BRIEF-X2', run: 'echo x2 > x2.txt' },
      { match: 'FIX-X3', run: 'echo more >> x3.txt' },
      { match: 'BRIEF-X3', run: 'echo x3 > x3.txt' },
      { match: 'BRIEF-X4', replies: ['Nothing to do here.'] },
      {
        match: 'GOAL-PERSON',
        replies: [fence({ tasks: ['x1', 'x2', 'x3', 'x4'].map((id) => ({ id, title: id, brief: `BRIEF-${id.toUpperCase()}`, files: [`${id}.txt`] })) })],
      },
    ]);
    const r = await api<{ run: PollyRun }>(t, 'POST', '/v1/polly', { goal: 'GOAL-PERSON', cwd: t.work, env: w.env, lead: 'scripted', workers: ['scripted'], reviewers: ['scripted-b'], parallel: 4 });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const id = r.body.run.id;
    const done = await untilTasks(t, id, (ts) => ts.every((x) => x.status === 'needs_person'), 'all four before a person', 60_000);
    expect(task(done, 'x1').reason).toMatch(/^the worker session \S+-x1 ended \((exited|failed)\) before its turn did$/);
    expect(task(done, 'x2')).toMatchObject({ round: 1, reviews: [], reason: expect.stringMatching(/^the reviewer's verdict could not be read: /) });
    expect(task(done, 'x3')).toMatchObject({ round: 2, reason: '2 review rounds and still changes requested' });
    expect(task(done, 'x3').reviews.map((x) => x.verdict)).toEqual(['changes', 'changes']);
    expect(task(done, 'x4')).toMatchObject({ round: 0, reason: 'the worker changed nothing' });
    // The unreadable verdict was asked for once more, in the same reviewer session, which then was stopped.
    const rev = (await api<{ sessions: SessionRecord[] }>(t, 'GET', '/v1/sessions?all=1')).body.sessions.find((s) => s.name.endsWith('-x2-r1'))!;
    expect((await events(t, rev.id)).filter((e) => e.type === 'message.user')).toHaveLength(2);
    expect(rev.status).toBe('exited');
    // A person approves one anyway.
    const ok = await api<{ task: PollyTask }>(t, 'POST', `/v1/polly/${id}/tasks/x4/approve`, { note: 'fine as it is' });
    expect(ok.body.task).toMatchObject({ status: 'approved', approvedBy: 'person' });
    expect((await api(t, 'POST', `/v1/polly/${id}/stop`)).status).toBe(200);
  });

  it('sequences tasks that share a file: the second starts from the first\'s branch once it is approved', async () => {
    w.setRules([
      { match: '^omni review s1 ', delay: 2, replies: [approve] },
      { match: '^omni review s2 ', replies: [approve] },
      { match: 'BRIEF-S1', run: 'echo s1 > c.txt && git add -A && git commit -qm s1' },
      { match: 'BRIEF-S2', run: 'echo s2 >> c.txt && git add -A && git commit -qm s2' },
      {
        // The lead's first prompt and omni's refusal both show the plan's shape ("tasks").
        match: '"tasks"',
        replies: [
          'No plan yet: I would rather talk.',
          fence({
            tasks: [
              { id: 's1', title: 'first', brief: 'BRIEF-S1', files: ['c.txt'] },
              { id: 's2', title: 'second', brief: 'BRIEF-S2', files: ['c.txt'] },
            ],
          }),
        ],
      },
    ]);
    const r = await api<{ run: PollyRun }>(t, 'POST', '/v1/polly', { goal: 'GOAL-SEQ', cwd: t.work, env: w.env, lead: 'scripted', workers: ['scripted'], reviewers: ['scripted-b'] });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const id = r.body.run.id;
    const busy = await untilTasks(t, id, (ts) => ts[0]!.status === 'reviewing', 's1 in review', 30_000);
    expect(task(busy, 's2')).toMatchObject({ status: 'waiting', after: ['s1'] });
    expect(task(busy, 's2').session).toBeUndefined();
    const done = await untilTasks(t, id, (ts) => ts.every((x) => x.status === 'approved'), 'both approved', 60_000);
    const s1 = task(done, 's1');
    const s2 = task(done, 's2');
    expect(s2.session!.base).toBe(sh(t.work, 'rev-parse', s1.session!.branch));
    expect(fs.readFileSync(path.join(s2.session!.worktree, 'c.txt'), 'utf8')).toBe('s1\ns2\n');
    const steps = (await events(t, done.lead.session))
      .filter((e) => e.type === 'polly.task')
      .map((e) => `${(e.data as { task: string }).task}:${(e.data as { status: string }).status}`);
    expect(steps.indexOf('s2:working')).toBeGreaterThan(steps.indexOf('s1:approved'));
    // The first answer had no plan: refused, the lead told why, its next answer accepted.
    const plans = (await events(t, done.lead.session)).filter((e) => e.type === 'polly.plan').map((e) => e.data);
    expect(plans).toEqual([{ run: id, accepted: false, errors: expect.any(Array) }, { run: id, accepted: true, tasks: 2 }]);
    expect(done.planErrors).toBeUndefined();
    // Stop: the run's live sessions end (workers, then the lead); approved tasks stay approved.
    const stopped = await api<{ run: PollyRun }>(t, 'POST', `/v1/polly/${id}/stop`);
    expect(stopped.body.run.status).toBe('stopped');
    const live = (await api<{ sessions: SessionRecord[] }>(t, 'GET', '/v1/sessions')).body.sessions.filter((s) => s.tags?.includes(`polly.${id}`) && s.status !== 'exited');
    expect(live).toEqual([]);
  });
});

describe('Polly across a daemon restart', () => {
  let t: TestEnv;
  afterAll(async () => {
    await t?.cleanup();
  });

  it("a reviewer's turn under way when the daemon is killed: the next daemon waits for it and finishes", async () => {
    const w = world();
    t = w.t;
    w.setRules([
      { match: '^omni review r1 ', delay: 6, replies: [approve] },
      { match: 'BRIEF-R1', run: 'echo r > r.txt' },
      { match: 'GOAL-RESTART', replies: [fence({ tasks: [{ id: 'r1', title: 'r', brief: 'BRIEF-R1', files: ['r.txt'] }] })] },
    ]);
    const pid = await startScriptedDaemon(t);
    const r = await api<{ run: PollyRun }>(t, 'POST', '/v1/polly', { goal: 'GOAL-RESTART', cwd: t.work, env: w.env, lead: 'scripted', workers: ['scripted'], reviewers: ['scripted-b'] });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const id = r.body.run.id;
    const reviewing = await untilTasks(t, id, (ts) => ts[0]!.status === 'reviewing', 'r1 in review', 30_000);
    const reviewer = (await api<{ sessions: SessionRecord[] }>(t, 'GET', '/v1/sessions')).body.sessions.find((s) => s.tags?.includes('polly-reviewer'))!;
    await until(async () => (await getSession(t, reviewer.id)).status === 'running', 10_000, 'the reviewer busy with its turn');
    expect(task(reviewing, 'r1').reviews).toEqual([]);

    process.kill(pid, 'SIGKILL');
    await until(async () => api(t, 'GET', '/v1/daemon').then(() => false, () => true), 5_000, 'the daemon to be gone');
    await startScriptedDaemon(t);

    const done = await untilTasks(t, id, (ts) => ts[0]!.status === 'approved', 'r1 approved after the restart', 30_000);
    expect(task(done, 'r1').reviews).toEqual([expect.objectContaining({ round: 1, verdict: 'approve', reviewer: expect.objectContaining({ session: reviewer.id, vendor: 'vendorb' }) })]);
    expect((await getSession(t, reviewer.id)).status).toBe('exited');
  });
});
