import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveItems } from '../../src/cli/commands/merge.js';
import type { WorktreeSession } from '../../src/cli/commands/worktree-sessions.js';
import { shellCheck } from '../../src/merge/check.js';
import { runMergeQueue } from '../../src/merge/queue.js';
import type { MergeDeps, MergeItem, MergeOptions } from '../../src/merge/types.js';
import { createWorktree } from '../../src/worktree/create.js';
import { createGitRunner } from '../../src/worktree/git.js';
import { worktreeState } from '../../src/worktree/inspect.js';
import { commitFile, initRepo, sh, TEST_GIT_ENV, write } from '../helpers/git-repo.js';

/**
 * The merge queue on real git repositories: real rebases, a real `sh -c` check, a bare remote
 * that must stay untouched. Only the notifier (the daemon's input route) and the prompt are
 * stand-ins; the e2e covers the message reaching a real session.
 */

let tmp: string;
let repo: string;
let remote: string;
let workRoot: string;
const git = createGitRunner({ env: TEST_GIT_ENV });

interface Told {
  session: string;
  text: string;
}

function deps(told: Told[] = [], answer = true, asked: string[] = []): MergeDeps & { lines: string[] } {
  const lines: string[] = [];
  return {
    git,
    now: () => new Date(),
    check: (cmd, cwd) => shellCheck(cmd, cwd, TEST_GIT_ENV),
    notify: async (session, text) => void told.push({ session, text }),
    progress: (l) => lines.push(l),
    confirm: async (q) => (asked.push(q), answer),
    lines,
  };
}

const opts = (items: MergeItem[], more: Partial<MergeOptions> = {}): MergeOptions => ({ repo, into: 'main', items, workRoot, interactive: false, yes: true, ...more });

/** A branch off main's first commit with one commit writing `file`. */
function branch(name: string, file: string, text: string): void {
  sh(repo, 'checkout', '-q', '-b', name, 'main');
  commitFile(repo, file, text, `${name}: ${file}`);
  sh(repo, 'checkout', '-q', 'main');
}

beforeEach(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'omni-mq-')));
  repo = path.join(tmp, 'repo');
  remote = path.join(tmp, 'remote.git');
  workRoot = path.join(tmp, 'home', 'merge');
  initRepo(repo);
  commitFile(repo, 'shared.txt', 'line one\n', 'shared');
  sh(tmp, 'init', '-q', '--bare', remote);
  sh(repo, 'remote', 'add', 'origin', remote);
  sh(repo, 'push', '-q', 'origin', 'main');
  branch('a', 'a.txt', 'a\n');
  branch('b', 'b.txt', 'b\n');
  // c changes the line a's sibling below changes too: c conflicts once that one is in.
  sh(repo, 'checkout', '-q', '-b', 'c', 'main');
  commitFile(repo, 'shared.txt', 'line one, as c wants it\n', 'c: shared');
  sh(repo, 'checkout', '-q', 'main');
  sh(repo, 'checkout', '-q', '-b', 'a2', 'a');
  commitFile(repo, 'shared.txt', 'line one, as a2 wants it\n', 'a2: shared');
  sh(repo, 'checkout', '-q', 'main');
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('the merge queue', () => {
  it('merges clean branches linearly, checking after each, stops a conflicting one and tells its session; nothing is pushed', async () => {
    const remoteBefore = sh(tmp, 'ls-remote', remote);
    const checkLog = path.join(tmp, 'check.log');
    const told: Told[] = [];
    const d = deps(told);
    const items: MergeItem[] = [
      { ref: 'a2', branch: 'a2' },
      { ref: 'b', branch: 'b' },
      { ref: 'coder-c', branch: 'c', session: { id: 's_c', name: 'coder-c', live: true } },
    ];
    const r = await runMergeQueue(d, opts(items, { check: `ls *.txt | tr '\\n' ' ' >> ${checkLog}; echo >> ${checkLog}` }));

    expect(r.outcomes.map((o) => [o.ref, o.outcome])).toEqual([['a2', 'merged'], ['b', 'merged'], ['coder-c', 'conflict']]);
    expect(r.merged).toEqual(['a2', 'b']);
    expect(r.updated).toBe(true);
    // The check ran after each merged branch, on the result so far (and not after the conflict).
    expect(fs.readFileSync(checkLog, 'utf8').split('\n').filter(Boolean).map((l) => l.trim())).toEqual(['a.txt shared.txt', 'a.txt b.txt shared.txt']);
    // Linear: main moved fast-forward to b on a2 on the old main, no merge commits.
    expect(sh(repo, 'rev-parse', 'main')).toBe(r.to);
    expect(sh(repo, 'log', '--format=%s', 'main')).toBe(['b: b.txt', 'a2: shared', 'a: a.txt', 'shared', 'initial'].join('\n'));
    expect(sh(repo, 'rev-list', '--merges', 'main')).toBe('');
    // a2 already sat on main: its own commits went in unchanged; b was rebased onto it.
    expect(sh(repo, 'rev-parse', 'main~1')).toBe(sh(repo, 'rev-parse', 'a2'));
    expect(sh(repo, 'rev-parse', 'main^')).not.toBe(sh(repo, 'rev-parse', 'b^'));
    // The main checkout followed (merge --ff-only there) and is clean.
    expect(fs.readFileSync(path.join(repo, 'b.txt'), 'utf8')).toBe('b\n');
    expect(sh(repo, 'status', '--porcelain')).toBe('');

    const c = r.outcomes[2]!;
    expect(c.files).toEqual(['shared.txt']);
    expect(c.output).toMatch(/CONFLICT/);
    expect(c.told).toBe(true);
    expect(told).toHaveLength(1);
    expect(told[0]!.session).toBe('s_c');
    expect(told[0]!.text).toContain('branch c did not merge into main');
    expect(told[0]!.text).toContain('shared.txt');
    expect(told[0]!.text).toMatch(/rebase c on main/);
    // The branch itself is untouched, and is not merged.
    expect(sh(repo, 'log', '-1', '--format=%s', 'c')).toBe('c: shared');
    // Never pushed: the remote is as it was. The integration worktree is gone.
    expect(sh(tmp, 'ls-remote', remote)).toBe(remoteBefore);
    expect(sh(repo, 'worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1);
    expect(fs.readdirSync(workRoot)).toEqual([]);
    expect(d.lines.some((l) => l.startsWith('rebasing a2'))).toBe(true);
    expect(d.lines.some((l) => l.startsWith('conflict coder-c'))).toBe(true);
  });

  it('a failing check rolls back that branch only; an ended session is not told', async () => {
    branch('bad', 'bad.txt', 'bad\n');
    const told: Told[] = [];
    const items: MergeItem[] = [
      { ref: 'a', branch: 'a' },
      { ref: 'bad-one', branch: 'bad', session: { id: 's_bad', name: 'bad-one', live: false } },
      { ref: 'b', branch: 'b' },
    ];
    const r = await runMergeQueue(deps(told), opts(items, { check: 'if [ -f bad.txt ]; then echo "FAIL: bad.txt must not exist"; exit 3; fi; echo ok' }));
    expect(r.outcomes.map((o) => o.outcome)).toEqual(['merged', 'check_failed', 'merged']);
    const bad = r.outcomes[1]!;
    expect(bad.output).toContain('FAIL: bad.txt must not exist');
    expect(bad.reason).toBe('exit 3');
    expect(bad.told).toBe(false);
    expect(told).toEqual([]);
    expect(sh(repo, 'ls-tree', '--name-only', 'main').split('\n')).toEqual(['README', 'a.txt', 'b.txt', 'shared.txt']);
  });

  it('without a terminal and without --yes it refuses to update the target; on a terminal it asks', async () => {
    const before = sh(repo, 'rev-parse', 'main');
    const r = await runMergeQueue(deps(), opts([{ ref: 'a', branch: 'a' }], { yes: false, interactive: false }));
    expect(r.updated).toBe(false);
    expect(r.notUpdated?.reason).toBe('no_terminal');
    expect(r.notUpdated?.message).toContain('--yes');
    expect(r.outcomes[0]!.outcome).toBe('merged');
    expect(sh(repo, 'rev-parse', 'main')).toBe(before);

    const asked: string[] = [];
    const no = await runMergeQueue(deps([], false, asked), opts([{ ref: 'a', branch: 'a' }], { yes: false, interactive: true }));
    expect(no.notUpdated?.reason).toBe('declined');
    expect(asked[0]).toMatch(/^Update main from [0-9a-f]{10} to [0-9a-f]{10} \(a\)\? \[y\/N\] $/);
    expect(sh(repo, 'rev-parse', 'main')).toBe(before);

    const yes = await runMergeQueue(deps([], true), opts([{ ref: 'a', branch: 'a' }], { yes: false, interactive: true }));
    expect(yes.updated).toBe(true);
    expect(sh(repo, 'rev-parse', 'main')).toBe(yes.to);
  });

  it('moves a target that is not checked out with update-ref; reports a checkout whose changes are in the way', async () => {
    sh(repo, 'branch', 'release', 'main');
    const r = await runMergeQueue(deps(), opts([{ ref: 'a', branch: 'a' }], { into: 'release' }));
    expect(r.updated).toBe(true);
    expect(sh(repo, 'rev-parse', 'release')).toBe(r.to);
    expect(sh(repo, 'symbolic-ref', '--short', 'HEAD')).toBe('main');

    // An untracked b.txt in the main checkout: the fast-forward would overwrite it, git refuses.
    write(repo, 'b.txt', 'mine, not committed\n');
    const before = sh(repo, 'rev-parse', 'main');
    const refused = await runMergeQueue(deps(), opts([{ ref: 'b', branch: 'b' }]));
    expect(refused.updated).toBe(false);
    expect(refused.notUpdated?.reason).toBe('git_refused');
    expect(refused.notUpdated?.message).toMatch(/merge --ff-only/);
    expect(sh(repo, 'rev-parse', 'main')).toBe(before);
    expect(fs.readFileSync(path.join(repo, 'b.txt'), 'utf8')).toBe('mine, not committed\n');
  });

  it("commits an ended session's uncommitted work first, skips a live session with a dirty worktree", async () => {
    const root = path.join(tmp, 'home', 'worktrees');
    const ended = await createWorktree(git, { repoDir: repo, root, id: 's_e', name: 'ended' });
    commitFile(ended.path, 'e1.txt', 'committed\n');
    write(ended.path, 'e2.txt', 'left uncommitted\n');
    const live = await createWorktree(git, { repoDir: repo, root, id: 's_l', name: 'live' });
    write(live.path, 'l.txt', 'in progress\n');
    const items: MergeItem[] = [
      { ref: 'ended', branch: ended.branch, worktree: ended, session: { id: 's_e', name: 'ended', live: false } },
      { ref: 'live', branch: live.branch, worktree: live, session: { id: 's_l', name: 'live', live: true } },
    ];
    const d = deps();
    const r = await runMergeQueue(d, opts(items));
    expect(r.outcomes.map((o) => o.outcome)).toEqual(['merged', 'skipped']);
    expect(r.outcomes[0]!.savedCommit).toBe(sh(repo, 'rev-parse', 'omni/ended'));
    expect(sh(repo, 'log', '-1', '--format=%s', 'omni/ended')).toMatch(/^omni merge: uncommitted work left by session ended \(s_e\), which has ended/);
    expect(d.lines.some((l) => l.startsWith('committed the uncommitted work of ended'))).toBe(true);
    expect(r.outcomes[1]!.reason).toMatch(/live with uncommitted changes/);
    expect(sh(repo, 'show', 'main:e2.txt')).toBe('left uncommitted');
    // Merged by patch: the worktree now counts as merged, the skipped one keeps its work.
    expect((await worktreeState(git, ended)).merged).toBe(true);
    expect(fs.readFileSync(path.join(live.path, 'l.txt'), 'utf8')).toBe('in progress\n');
  });

  it("runs none of the repository's hooks in the integration worktree", async () => {
    const log = path.join(tmp, 'hooks.log');
    for (const hook of ['post-checkout', 'post-rewrite', 'pre-rebase']) {
      fs.writeFileSync(path.join(repo, '.git', 'hooks', hook), `#!/bin/sh\necho ${hook} >> ${log}\n`, { mode: 0o755 });
    }
    sh(repo, 'checkout', '-q', 'a'); // the hooks do run for git itself here
    sh(repo, 'checkout', '-q', 'main');
    expect(fs.readFileSync(log, 'utf8')).toContain('post-checkout');
    fs.rmSync(log);
    sh(repo, 'branch', 'release', 'main');
    const r = await runMergeQueue(deps(), opts([{ ref: 'a2', branch: 'a2' }, { ref: 'b', branch: 'b' }], { into: 'release' }));
    expect(r.merged).toEqual(['a2', 'b']);
    expect(fs.existsSync(log)).toBe(false);
  });

  it('an interrupt stops before the next branch: the target stays, the integration worktree goes', async () => {
    const before = sh(repo, 'rev-parse', 'main');
    const ac = new AbortController();
    const d = deps();
    // Ctrl-C while the first branch's check runs (the check itself passes).
    d.check = async (cmd, cwd) => (ac.abort(), shellCheck(cmd, cwd, TEST_GIT_ENV));
    await expect(runMergeQueue(d, opts([{ ref: 'a', branch: 'a' }, { ref: 'b', branch: 'b' }], { check: 'true', signal: ac.signal }))).rejects.toThrow(/interrupted: main was not updated/);
    expect(sh(repo, 'rev-parse', 'main')).toBe(before);
    expect(d.lines.some((l) => l.includes('rebasing b'))).toBe(false);
    expect(fs.readdirSync(workRoot)).toEqual([]);
    expect(sh(repo, 'worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1);
  });

  it('resolves sessions (id or name) and plain branches; a branch of a session gets its session; unknown names list what exists', async () => {
    const wt = await createWorktree(git, { repoDir: repo, root: path.join(tmp, 'home', 'worktrees'), id: 's_w1', name: 'w' });
    const ts = new Date().toISOString();
    const rec = (id: string, status: 'idle' | 'exited'): WorktreeSession => ({ id, name: 'w', harness: 'pi', cwd: wt.path, status, createdAt: ts, updatedAt: ts, tmuxSession: id, command: [], lastSeq: 0, worktree: wt });
    const sessions = [rec('s_old', 'exited'), rec('s_w1', 'idle')];
    const r = await resolveItems(git, sessions, ['w', 'a', 'omni/w', 's_old'], path.join(tmp));
    expect(r.repo).toBe(repo);
    expect(r.items).toEqual([
      { ref: 'w', branch: 'omni/w', session: { id: 's_w1', name: 'w', live: true }, worktree: wt },
      { ref: 'a', branch: 'a' },
      { ref: 'omni/w', branch: 'omni/w', session: { id: 's_w1', name: 'w', live: true }, worktree: wt },
      { ref: 's_old', branch: 'omni/w', session: { id: 's_old', name: 'w', live: false }, worktree: wt },
    ]);
    // Plain branches only: the current directory's repository (here a linked worktree of it).
    expect((await resolveItems(git, [], ['a'], wt.path)).repo).toBe(repo);
    await expect(resolveItems(git, sessions, ['nope'], repo)).rejects.toThrow(/no session with a worktree and no branch named "nope" .*sessions with a worktree: w\)/);
  });

  it('a branch already in the target merges as nothing new; a missing branch is skipped', async () => {
    sh(repo, 'merge', '-q', '--ff-only', 'a');
    const r = await runMergeQueue(deps(), opts([{ ref: 'a', branch: 'a' }, { ref: 'nope', branch: 'nope' }]));
    expect(r.outcomes[0]).toMatchObject({ outcome: 'merged', reason: 'nothing new: already in main' });
    expect(r.outcomes[1]).toMatchObject({ outcome: 'skipped', reason: 'no branch nope' });
    expect(r.updated).toBe(false);
    expect(r.from).toBe(r.to);
  });
});
