import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGitRunner, type GitRunner } from '../../src/worktree/git.js';
import { createWorktree } from '../../src/worktree/create.js';
import { worktreeDiff, worktreeState } from '../../src/worktree/inspect.js';
import { removeWorktree, saveUncommitted } from '../../src/worktree/remove.js';
import { commitFile, initRepo, sh, TEST_GIT_ENV, write } from '../helpers/git-repo.js';

let tmp: string;
let repo: string;
let root: string;
let git: GitRunner;

beforeEach(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'omni-wt-')));
  repo = path.join(tmp, 'repo');
  root = path.join(tmp, 'home', 'worktrees');
  initRepo(repo);
  git = createGitRunner({ env: TEST_GIT_ENV });
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('createWorktree', () => {
  it('makes omni/<name> from the lead HEAD, outside the checkout, with baseRef = the lead branch', async () => {
    const head = sh(repo, 'rev-parse', 'HEAD');
    const wt = await createWorktree(git, { repoDir: repo, root, id: 's_1', name: 'coder-1' });
    expect(wt).toEqual({ repo, path: path.join(root, 's_1'), branch: 'omni/coder-1', base: head, baseRef: 'main' });
    expect(sh(wt.path, 'symbolic-ref', '--short', 'HEAD')).toBe('omni/coder-1');
    expect(fs.readFileSync(path.join(wt.path, 'README'), 'utf8')).toBe('hello\n');
    expect(sh(repo, 'worktree', 'list')).toContain(wt.path);
    // The lead's checkout is untouched.
    expect(sh(repo, 'status', '--porcelain')).toBe('');
    expect(sh(repo, 'symbolic-ref', '--short', 'HEAD')).toBe('main');
  });

  it('takes a named base branch, and a name whose branch exists gets -2', async () => {
    sh(repo, 'branch', 'feature');
    commitFile(repo, 'a.txt', 'on main\n');
    sh(repo, 'branch', 'omni/coder');
    const wt = await createWorktree(git, { repoDir: repo, root, id: 's_2', name: 'coder', base: 'feature' });
    expect(wt.branch).toBe('omni/coder-2');
    expect(wt.baseRef).toBe('feature');
    expect(wt.base).toBe(sh(repo, 'rev-parse', 'feature'));
    expect(fs.existsSync(path.join(wt.path, 'a.txt'))).toBe(false);
    // A sha base names no branch.
    const bySha = await createWorktree(git, { repoDir: repo, root, id: 's_3', name: 'x', base: wt.base });
    expect(bySha.baseRef).toBeUndefined();
  });

  it('from a linked worktree: the new one belongs to the main repo and starts at that worktree HEAD', async () => {
    const lead = await createWorktree(git, { repoDir: repo, root, id: 's_lead', name: 'lead' });
    const leadHead = commitFile(lead.path, 'lead.txt', 'lead work\n');
    const child = await createWorktree(git, { repoDir: path.join(lead.path), root, id: 's_child', name: 'child' });
    expect(child.repo).toBe(repo);
    expect(child.base).toBe(leadHead);
    expect(child.baseRef).toBe('omni/lead');
    expect(sh(repo, 'worktree', 'list')).toContain(child.path);
    expect(fs.readFileSync(path.join(child.path, 'lead.txt'), 'utf8')).toBe('lead work\n');
  });

  it('errors clearly outside a git repository, on a bad base, over an existing folder', async () => {
    const plain = path.join(tmp, 'plain');
    fs.mkdirSync(plain);
    await expect(createWorktree(git, { repoDir: plain, root, id: 's_x', name: 'x' })).rejects.toThrow(/is not in a git repository/);
    await expect(createWorktree(git, { repoDir: repo, root, id: 's_x', name: 'x', base: 'nope' })).rejects.toThrow(/base "nope" is not a commit/);
    fs.mkdirSync(path.join(root, 's_x'), { recursive: true });
    await expect(createWorktree(git, { repoDir: repo, root, id: 's_x', name: 'x' })).rejects.toThrow(/exists already/);
  });
});

describe('worktreeDiff and worktreeState', () => {
  it('diffs commits, uncommitted and untracked files against base, leaving the worktree index alone', async () => {
    const wt = await createWorktree(git, { repoDir: repo, root, id: 's_1', name: 'c' });
    commitFile(wt.path, 'committed.txt', 'one\n');
    write(wt.path, 'README', 'hello\nchanged\n');
    write(wt.path, 'staged.txt', 'staged\n');
    sh(wt.path, 'add', 'staged.txt');
    write(wt.path, 'new/untracked.txt', 'untracked\n');
    write(wt.path, '.gitignore', 'ignored.log\n');
    write(wt.path, 'ignored.log', 'noise\n');
    const statusBefore = sh(wt.path, 'status', '--porcelain');

    const { diff, truncated } = await worktreeDiff(git, wt);
    expect(truncated).toBe(false);
    for (const f of ['committed.txt', 'README', 'staged.txt', 'new/untracked.txt', '.gitignore']) expect(diff).toContain(`+++ b/${f}`);
    expect(diff).toContain('+changed');
    expect(diff).not.toContain('ignored.log\n+noise');
    expect(sh(wt.path, 'status', '--porcelain')).toBe(statusBefore);

    const state = await worktreeState(git, wt);
    expect(state).toMatchObject({ exists: true, branchExists: true, dirty: true, ahead: 1, files: 5, insertions: 5, deletions: 0, merged: false, against: 'main' });

    const stat = await worktreeDiff(git, wt, { stat: true });
    expect(stat.diff).toMatch(/5 files changed, 5 insertions/);
    const capped = await worktreeDiff(git, wt, { maxBytes: 200 });
    expect(capped.truncated).toBe(true);
    expect(Buffer.byteLength(capped.diff)).toBeLessThanOrEqual(200);
    expect(capped.diff.endsWith('\n')).toBe(true);
  });

  it('is merged once the branch commits are in the target by patch (cherry-picked), not before', async () => {
    const wt = await createWorktree(git, { repoDir: repo, root, id: 's_1', name: 'c' });
    const clean = await worktreeState(git, wt);
    expect(clean).toMatchObject({ dirty: false, ahead: 0, files: 0, merged: true });
    const sha = commitFile(wt.path, 'f.txt', 'feature\n');
    expect((await worktreeState(git, wt)).merged).toBe(false);
    commitFile(repo, 'other.txt', 'main moved on\n');
    sh(repo, 'cherry-pick', sha);
    expect(await worktreeState(git, wt)).toMatchObject({ merged: true, ahead: 1, dirty: false });
    // Against another target it is not merged.
    expect((await worktreeState(git, wt, wt.base)).merged).toBe(false);
  });

  it('reports a worktree whose folder is gone as missing, still diffing its branch', async () => {
    const wt = await createWorktree(git, { repoDir: repo, root, id: 's_1', name: 'c' });
    commitFile(wt.path, 'f.txt', 'x\n');
    fs.rmSync(wt.path, { recursive: true, force: true });
    expect(await worktreeState(git, wt)).toMatchObject({ exists: false, branchExists: true, dirty: false, ahead: 1, files: 1, merged: false });
    expect((await worktreeDiff(git, wt)).diff).toContain('+++ b/f.txt');
  });
});

describe('saveUncommitted and removeWorktree', () => {
  it('saveUncommitted commits everything on the branch, and is a no-op when clean', async () => {
    const wt = await createWorktree(git, { repoDir: repo, root, id: 's_1', name: 'c' });
    expect(await saveUncommitted(git, wt, 'nothing')).toBeUndefined();
    write(wt.path, 'u.txt', 'untracked\n');
    const sha = await saveUncommitted(git, wt, 'omni: save');
    expect(sha).toBe(sh(repo, 'rev-parse', 'omni/c'));
    expect(sh(repo, 'log', '-1', '--format=%s', 'omni/c')).toBe('omni: save');
    expect(sh(wt.path, 'status', '--porcelain')).toBe('');
  });

  it('refuses a dirty worktree and an unmerged branch, removes a merged one with its branch', async () => {
    const wt = await createWorktree(git, { repoDir: repo, root, id: 's_1', name: 'c' });
    write(wt.path, 'u.txt', 'x\n');
    await expect(removeWorktree(git, wt)).rejects.toThrow(/uncommitted changes/);
    sh(wt.path, 'add', '-A');
    sh(wt.path, 'commit', '-q', '-m', 'work');
    await expect(removeWorktree(git, wt)).rejects.toThrow(/branch omni\/c has 1 commit not in main/);
    expect(fs.existsSync(wt.path)).toBe(true);
    sh(repo, 'merge', '-q', '--ff-only', 'omni/c');
    const r = await removeWorktree(git, wt);
    expect(r).toMatchObject({ removed: true, branchDeleted: true });
    expect(r.saved).toBeUndefined();
    expect(fs.existsSync(wt.path)).toBe(false);
    expect(sh(repo, 'branch', '--list', 'omni/c')).toBe('');
  });

  it('--force saves uncommitted work under refs/omni/saved/<branch> without moving the branch', async () => {
    const wt = await createWorktree(git, { repoDir: repo, root, id: 's_1', name: 'c' });
    const committed = commitFile(wt.path, 'done.txt', 'committed\n');
    write(wt.path, 'wip.txt', 'work in progress\n');
    write(wt.path, 'README', 'edited\n');
    const r = await removeWorktree(git, wt, { force: true });
    expect(r.saved?.ref).toBe('refs/omni/saved/omni/c');
    expect(r).toMatchObject({ removed: true, branchDeleted: true });
    expect(fs.existsSync(wt.path)).toBe(false);
    expect(sh(repo, 'show', 'refs/omni/saved/omni/c:wip.txt')).toBe('work in progress');
    expect(sh(repo, 'show', 'refs/omni/saved/omni/c:README')).toBe('edited');
    // The committed work is kept too: the saved commit's parent is the branch tip.
    expect(sh(repo, 'rev-parse', 'refs/omni/saved/omni/c^')).toBe(committed);
    expect(sh(repo, 'status', '--porcelain')).toBe('');
  });

  it('--force on a clean but unmerged branch keeps its tip under the saved ref', async () => {
    const wt = await createWorktree(git, { repoDir: repo, root, id: 's_1', name: 'c' });
    const tip = commitFile(wt.path, 'f.txt', 'x\n');
    const r = await removeWorktree(git, wt, { force: true });
    expect(r.saved).toEqual({ ref: 'refs/omni/saved/omni/c', sha: tip });
    expect(sh(repo, 'rev-parse', 'refs/omni/saved/omni/c')).toBe(tip);
  });
});
