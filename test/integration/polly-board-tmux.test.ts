import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PollyRun } from '../../src/polly/types.js';
import { initRepo, sh, write } from '../helpers/git-repo.js';
import { OMNI_JS, makeTestEnv, until, type TestEnv } from '../helpers/omni.js';
import { pollyRun, review, task } from '../helpers/polly-run.js';
import { api, startScriptedDaemon } from '../helpers/scripted.js';

/**
 * `omni polly board` as a person sees it: in a real terminal (a pane of "the user's" own tmux
 * server, 100 columns) against the real daemon, which loads a run seeded in
 * `$OMNI_HOME/polly/<id>/run.json` before it starts. The tasks are in states the daemon leaves
 * alone (approved, needs a person, waiting on that one), so no agent starts. The diff the board
 * shows is real git: the task's worker worktree is a real one with a commit on its branch.
 */
describe('omni polly board in a real terminal', () => {
  let t: TestEnv;
  let sock: string;
  let run: PollyRun;
  const user = (args: string[]) => execa('tmux', ['-S', sock, ...args], { reject: false, extendEnv: true });
  const screen = async () => String((await user(['capture-pane', '-p', '-t', 'ui'])).stdout);
  const keys = (...k: string[]) => user(['send-keys', '-t', 'ui', ...k]);
  const untilScreen = (pred: (s: string) => boolean, what: string, ms = 15_000) =>
    until(async () => {
      const s = await screen();
      return pred(s) && s;
    }, ms, what).catch(async (err) => {
      throw new Error(`${(err as Error).message}\n--- screen ---\n${await screen()}`);
    });
  const rowOf = (s: string, id: string) => s.split('\n').find((l) => new RegExp(`^[ ›] ${id} `).test(l)) ?? '';

  beforeAll(async () => {
    t = makeTestEnv();
    const repo = t.work;
    const base = initRepo(repo);
    const wt = path.join(t.dir, 'wt-t1');
    sh(repo, 'worktree', 'add', '-q', '-b', 'omni/polly1-t1', wt, 'main');
    write(wt, 'src/limit.ts', 'export const LIMIT_PER_MINUTE = 60;\n');
    sh(wt, 'add', '-A');
    sh(wt, 'commit', '-q', '-m', 'rate limit');
    const session = (id: string, worktree: string) => ({ session: `s_tmux${id}`, name: `polly1-${id}`, harness: 'scripted', vendor: 'scripted', branch: `omni/polly1-${id}`, worktree, base });
    run = pollyRun(
      [
        task('t1', { status: 'approved', approvedBy: 'review', round: 1, reviews: [review(1, 'approve')], diffstat: { files: 1, insertions: 1, deletions: 0 }, session: session('t1', wt) }),
        task('t2', {
          status: 'needs_person',
          harness: 'codex',
          round: 2,
          reviews: [review(1, 'changes'), review(2, 'changes', { findings: [{ file: 'src/limit.ts', line: 1, severity: 'blocker', text: 'sixty is too many' }] })],
          reason: '2 review rounds and still changes requested',
          session: session('t2', path.join(t.dir, 'wt-t2')),
        }),
        task('t3', { status: 'waiting', after: ['t2'], session: undefined }),
      ],
      { id: 'p_tmux0001', cwd: repo, repo, lead: { session: 's_tmuxlead', name: 'polly-1', harness: 'scripted' } },
    );
    const dir = path.join(t.omniHome, 'polly', run.id);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify(run, null, 2));
    await startScriptedDaemon(t);
    sock = path.join(t.dir, 'user.sock');
    const script = path.join(t.dir, 'board.sh');
    const exports = Object.entries(t.env).map(([k, v]) => `export ${k}='${v.replace(/'/g, `'\\''`)}'`);
    fs.writeFileSync(script, [...exports, `cd '${repo}'`, 'echo BEFORE-BOARD', `'${process.execPath}' '${OMNI_JS}' polly board ${run.id}`, 'echo AFTER-BOARD', 'exec sleep 600', ''].join('\n'));
    const r = await user(['-f', '/dev/null', 'new-session', '-d', '-s', 'ui', '-x', '100', '-y', '30', `sh ${script}`]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await user(['kill-server']);
    await t?.cleanup();
  });

  it('scripts: omni polly ls and board --json print the run and its rows; an unknown run is the daemon\'s 404', async () => {
    const runs = await t.omniJson<PollyRun[]>(['polly', 'ls']);
    expect(runs.map((r) => r.id)).toContain(run.id);
    const b = await t.omniJson<{ run: PollyRun; rows: Array<{ id: string; status: string; review?: string; after: string[] }> }>(['polly', 'board', run.id]);
    expect(b.run.id).toBe(run.id);
    expect(b.rows.map((r) => [r.id, r.status, r.review ?? null, r.after])).toEqual([
      ['t1', 'approved', 'approve r1', []],
      ['t2', 'needs_person', 'changes r2', []],
      ['t3', 'waiting', null, ['t2']],
    ]);
    const plain = await t.omni(['polly', 'board', run.id]); // no terminal: the plain table
    expect(plain.exitCode, String(plain.stderr)).toBe(0);
    expect(String(plain.stdout)).toMatch(/t2\s+title of t2\s+codex\s+needs_person/);
    const missing = await t.omni(['polly', 'board', 'p_nope0000']);
    expect(missing.exitCode).toBe(3);
    expect(String(missing.stderr)).toMatch(/^omni: .*p_nope0000.*p_tmux0001/);
    expect((await api(t, 'GET', `/v1/polly/${run.id}`)).status).toBe(200);
  }, 60_000);

  it('omni polly "goal" with no reviewer of another vendor is refused before anything starts (exit 2)', async () => {
    const before = (await t.omniJson<unknown[]>(['ls', '--all'])).length;
    const r = await t.omni(['polly', 'add rate limiting', '--workers', 'claude', '--reviewers', 'claude', '--detach']);
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toContain('no reviewer of another vendor for worker claude (anthropic)');
    expect(String(r.stdout)).toBe('');
    expect((await t.omniJson<PollyRun[]>(['polly', 'ls'])).map((x) => x.id)).toEqual([run.id]);
    expect((await t.omniJson<unknown[]>(['ls', '--all'])).length).toBe(before);
  }, 60_000);

  it('draws the header and a row per task, with branch, diffstat and after', async () => {
    const s = await untilScreen((s) => Boolean(rowOf(s, 't1') && rowOf(s, 't3')), 'the rows');
    expect(s).toContain(`Polly ${run.id} · running`);
    expect(s).toContain('goal: add rate limiting to the API');
    expect(rowOf(s, 't1')).toMatch(/^› t1\s+title of t1\s+claude\s+approved\s+approve r1/);
    expect(rowOf(s, 't2')).toMatch(/t2\s+title of t2\s+codex\s+needs person\s+changes r2/);
    expect(s).toContain('omni/polly1-t1 · +1 −0, 1 file');
    expect(s).toContain('not started · after: t2');
  }, 60_000);

  it('d shows the worker\'s real diff; r the last review\'s findings; q and esc come back', async () => {
    await keys('d');
    await untilScreen((s) => s.includes('diff of t1 (omni/polly1-t1 against main)') && s.includes('+export const LIMIT_PER_MINUTE = 60;'), 'the diff');
    await keys('q');
    await untilScreen((s) => Boolean(rowOf(s, 't1')), 'the board again');
    await keys('j');
    await untilScreen((s) => rowOf(s, 't2').startsWith('›'), 't2 selected');
    await keys('r');
    await untilScreen((s) => s.includes('review of t2') && s.includes('- [blocker] src/limit.ts:1 sixty is too many'), 'the review');
    await keys('Escape');
    await untilScreen((s) => Boolean(rowOf(s, 't2')), 'the board again');
  }, 60_000);

  it('y approves t2 through the daemon, and the row follows', async () => {
    await keys('y');
    await untilScreen((s) => /t2\s+title of t2\s+codex\s+approved/.test(rowOf(s, 't2')), 't2 approved on the board');
    const { body } = await api<{ run: PollyRun }>(t, 'GET', `/v1/polly/${run.id}`);
    expect(body.run.tasks!.find((x) => x.id === 't2')).toMatchObject({ status: 'approved', approvedBy: 'person' });
  }, 60_000);

  it('omni polly merge --task t1 --yes merges its real branch into main and records it; the board follows', async () => {
    const r = await t.omni(['polly', 'merge', run.id, '--task', 't1', '--yes', '--json']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const out = JSON.parse(String(r.stdout)) as { tasks: string[]; marked: string[]; result: { updated: boolean; into: string } };
    expect(out).toMatchObject({ tasks: ['t1'], marked: ['t1'], result: { updated: true, into: 'main' } });
    expect(sh(t.work, 'show', 'main:src/limit.ts')).toBe('export const LIMIT_PER_MINUTE = 60;');
    const { body } = await api<{ run: PollyRun }>(t, 'GET', `/v1/polly/${run.id}`);
    expect(body.run.tasks!.find((x) => x.id === 't1')).toMatchObject({ status: 'merged', merged: { commit: sh(t.work, 'rev-parse', 'main') } });
    await untilScreen((s) => /t1\s+title of t1\s+claude\s+merged/.test(rowOf(s, 't1')), 't1 merged on the board');
  }, 60_000);

  it('q leaves the shell screen as it was', async () => {
    await untilScreen((s) => Boolean(rowOf(s, 't1')), 'the board, still up');
    await keys('q');
    const after = await untilScreen((s) => s.includes('AFTER-BOARD'), 'the shell again');
    expect(after).toContain('BEFORE-BOARD');
    expect(after).not.toMatch(/Polly p_|TASK\s+TITLE/);
  }, 60_000);
});

/**
 * A live run, started the way a person starts one: `omni polly "goal"` typed in a terminal opens
 * the board, which follows the run from planning to approved as the daemon's events arrive (the
 * scripted harness of two vendors plans, works and reviews by its prompts' content); `a` attaches
 * to a real worker and the board comes back on detach; `m` then y merges both tasks.
 */
describe('omni polly "goal" on a terminal: the board follows a live run', () => {
  let t: TestEnv;
  let sock: string;
  const fence = (v: unknown) => '```json\n' + JSON.stringify(v, null, 2) + '\n```';
  const approve = fence({ verdict: 'approve', summary: 'fine', findings: [] });
  const user = (args: string[]) => execa('tmux', ['-S', sock, ...args], { reject: false, extendEnv: true });
  const screen = async () => String((await user(['capture-pane', '-p', '-t', 'ui'])).stdout);
  const keys = (...k: string[]) => user(['send-keys', '-t', 'ui', ...k]);
  const untilScreen = (pred: (s: string) => boolean, what: string, ms = 30_000) =>
    until(async () => {
      const s = await screen();
      return pred(s) && s;
    }, ms, what).catch(async (err) => {
      throw new Error(`${(err as Error).message}\n--- screen ---\n${await screen()}`);
    });
  const rowOf = (s: string, id: string) => s.split('\n').find((l) => new RegExp(`^[ ›] ${id} `).test(l)) ?? '';

  beforeAll(async () => {
    t = makeTestEnv({ SCRIPTED_TWINS: 'scripted-b=vendorb' });
    initRepo(t.work);
    const rules = path.join(t.dir, 'rules.json');
    fs.writeFileSync(
      rules,
      JSON.stringify([
        { match: '^omni review w1 ', delay: 3, replies: [approve] },
        { match: '^omni review w2 ', replies: [approve] },
        { match: 'BRIEF-W1', run: 'echo one > one.txt && git add -A && git commit -qm one' },
        { match: 'BRIEF-W2', run: 'echo two > two.txt && git add -A && git commit -qm two' },
        {
          match: '"tasks"',
          replies: [
            fence({
              tasks: [
                { id: 'w1', title: 'write one', brief: 'BRIEF-W1 write one.txt', files: ['one.txt'], worker: 'scripted' },
                { id: 'w2', title: 'write two', brief: 'BRIEF-W2 write two.txt', files: ['two.txt'], worker: 'scripted-b' },
              ],
            }),
          ],
        },
      ]),
    );
    await startScriptedDaemon(t);
    sock = path.join(t.dir, 'user.sock');
    const env = { ...t.env, GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@example.com', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@example.com', SCRIPTED_RULES: rules };
    const script = path.join(t.dir, 'polly.sh');
    const exports = Object.entries(env).map(([k, v]) => `export ${k}='${v.replace(/'/g, `'\\''`)}'`);
    const cmd = `'${process.execPath}' '${OMNI_JS}' polly 'GOAL-LIVE: two files' --lead scripted --workers scripted,scripted-b --reviewers scripted,scripted-b`;
    fs.writeFileSync(script, [...exports, `cd '${t.work}'`, cmd, 'echo AFTER-POLLY', 'exec sleep 600', ''].join('\n'));
    const r = await user(['-f', '/dev/null', 'new-session', '-d', '-s', 'ui', '-x', '100', '-y', '30', `sh ${script}`]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await user(['kill-server']);
    await t?.cleanup();
  });

  it('opens the board on the new run, which follows it to two approved tasks', async () => {
    await untilScreen((s) => /Polly p_[a-z0-9]{8} · /.test(s) && s.includes('goal: GOAL-LIVE: two files'), 'the board of the new run');
    // w1's review takes a while: the board shows it under review, then approved, from the events.
    await untilScreen((s) => / w1 .*reviewing/.test(rowOf(s, 'w1')), 'w1 under review', 60_000);
    const s = await untilScreen((s) => /approved\s+approve r1/.test(rowOf(s, 'w1')) && /approved\s+approve r1/.test(rowOf(s, 'w2')), 'both approved', 60_000);
    expect(rowOf(s, 'w2')).toMatch(/w2\s+write two\s+scripted-b\s+approved/);
    expect(s).toContain('omni/polly1-w1 · +1 −0, 1 file');
    expect(s).toMatch(/· \S+ · 2 approved/);
  }, 150_000);

  it('a attaches to the worker; detaching comes back to the board', async () => {
    await keys('a');
    await untilScreen((s) => !s.includes('TASK') && /scripted>/.test(s), "the worker's own pane");
    const clients = await until(async () => String((await t.tmux(['list-clients', '-F', '#{client_name}'])).stdout).split('\n').filter(Boolean), 5000, 'the attached client');
    for (const c of clients) await t.tmux(['detach-client', '-t', c]);
    await untilScreen((s) => s.includes('detached from polly1-w1') && Boolean(rowOf(s, 'w2')), 'the board again');
  }, 60_000);

  it('m, then y, merges both tasks into main; the board shows them merged', async () => {
    await keys('m');
    await untilScreen((s) => s.includes('merge w1, w2 into main? y/N'), 'the confirmation');
    await keys('y');
    await untilScreen((s) => /merged/.test(rowOf(s, 'w1')) && /merged/.test(rowOf(s, 'w2')), 'both merged', 60_000);
    expect(sh(t.work, 'show', 'main:one.txt')).toBe('one');
    expect(sh(t.work, 'show', 'main:two.txt')).toBe('two');
    await untilScreen((s) => s.includes('· done'), 'the run done');
    await keys('q');
    await untilScreen((s) => s.includes('AFTER-POLLY'), 'the shell again');
  }, 90_000);
});
