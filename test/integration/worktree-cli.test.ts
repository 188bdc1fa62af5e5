import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionRecord, SessionWorktree } from '../../src/core/session.js';
import { createWorktree } from '../../src/worktree/create.js';
import { createGitRunner } from '../../src/worktree/git.js';
import { makeTestEnv, type TestEnv } from '../helpers/omni.js';
import { commitFile, initRepo, sh, TEST_GIT_ENV, write } from '../helpers/git-repo.js';

/**
 * `omni worktree ls|diff|rm` and `omni merge` through bin/omni.js against a real daemon whose
 * session index holds two ended sessions with worktrees (as the composer records them), on real
 * git. No terminal: stdin is not a TTY, so the merge needs --yes.
 */

let t: TestEnv;
let repo: string;
const wts: Record<string, SessionWorktree> = {};

function record(id: string, name: string, worktree: SessionWorktree): SessionRecord {
  const ts = new Date(Date.now() - 60_000).toISOString();
  return { id, name, harness: 'claude', cwd: worktree.path, status: 'exited', exitCode: 0, exitedAt: ts, createdAt: ts, updatedAt: ts, tmuxSession: id, command: ['claude'], worktree, lastSeq: 0 };
}

beforeAll(async () => {
  // No git identity in the test HOME: omni's own commits (the save before a merge) must cope.
  t = makeTestEnv({ GIT_CONFIG_NOSYSTEM: '1' });
  repo = path.join(t.work, 'repo');
  initRepo(repo);
  const git = createGitRunner({ env: TEST_GIT_ENV });
  const root = path.join(t.omniHome, 'worktrees');
  wts.one = await createWorktree(git, { repoDir: repo, root, id: 's_one00001', name: 'coder-1' });
  commitFile(wts.one.path, 'one.txt', 'one\n');
  wts.two = await createWorktree(git, { repoDir: repo, root, id: 's_two00002', name: 'coder-2' });
  write(wts.two.path, 'two.txt', 'two, never committed\n');
  wts.three = await createWorktree(git, { repoDir: repo, root, id: 's_thr00003', name: 'coder-3' });
  commitFile(wts.three.path, 'three.txt', 'three\n');
  write(wts.three.path, 'three-wip.txt', 'not committed\n');
  const recs = [record('s_one00001', 'coder-1', wts.one), record('s_two00002', 'coder-2', wts.two), record('s_thr00003', 'coder-3', wts.three)];
  const state = path.join(t.omniHome, 'state');
  for (const r of recs) {
    fs.mkdirSync(path.join(state, 'sessions', r.id), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(state, 'sessions', r.id, 'session.json'), JSON.stringify(r));
    fs.writeFileSync(path.join(state, 'sessions', r.id, 'events.ndjson'), '');
  }
  fs.chmodSync(state, 0o700);
  fs.writeFileSync(path.join(state, 'sessions.json'), JSON.stringify({ version: 1, sessions: recs }));
});
afterAll(async () => {
  await t?.cleanup();
});

const run = (args: string[]) => t.omni(args);

describe('omni worktree and omni merge (CLI)', () => {
  it('ls shows each worktree with its state and diffstat', async () => {
    const r = await run(['worktree', 'ls', '--json']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const worktrees = JSON.parse(String(r.stdout)) as Array<Record<string, unknown>>;
    expect(worktrees.map((w) => [w.name, w.state, w.branch, w.files])).toEqual([
      ['coder-1', 'unmerged', 'omni/coder-1', 1],
      ['coder-2', 'dirty', 'omni/coder-2', 1],
      ['coder-3', 'dirty', 'omni/coder-3', 2],
    ]);
    const text = String((await run(['worktree', 'ls'])).stdout);
    expect(text).toMatch(/SESSION\s+STATUS\s+BRANCH\s+BASE\s+CHANGES\s+STATE/);
    expect(text).toMatch(/coder-2\s+exited\s+omni\/coder-2\s+main@[0-9a-f]{7}\s+1 file \+1 -0\s+dirty/);
  });

  it('diff prints the whole worktree against its base; an unknown session says what exists', async () => {
    const d = await run(['worktree', 'diff', 'coder-2']);
    expect(d.exitCode).toBe(0);
    expect(String(d.stdout)).toContain('+++ b/two.txt');
    expect(String(d.stdout)).toContain('+two, never committed');
    expect(String((await run(['worktree', 'diff', 'coder-1', '--stat'])).stdout)).toMatch(/one\.txt \| 1 \+/);
    const none = await run(['worktree', 'diff', 'nobody']);
    expect(none.exitCode).toBe(3);
    expect(String(none.stderr)).toContain('no session "nobody" with a worktree; sessions with one: coder-1 (s_one00001), coder-2 (s_two00002), coder-3 (s_thr00003)');
  });

  it('rm refuses unmerged and dirty worktrees without --force', async () => {
    const r = await run(['worktree', 'rm', 'coder-1', 'coder-2']);
    expect(r.exitCode).toBe(8);
    expect(String(r.stderr)).toMatch(/coder-1: refusing to remove: branch omni\/coder-1 has 1 commit not in main/);
    expect(String(r.stderr)).toMatch(/coder-2: refusing to remove: .* has uncommitted changes/);
    expect(fs.existsSync(wts.one!.path) && fs.existsSync(wts.two!.path)).toBe(true);
  });

  it('merge without a terminal and without --yes refuses to update (exit 8); with --yes it merges and reports JSON', async () => {
    const main = sh(repo, 'rev-parse', 'main');
    const no = await run(['merge', 'coder-1', 'coder-2', '--json']);
    expect(no.exitCode).toBe(8);
    expect(String(no.stderr)).toContain('pass --yes');
    const refused = JSON.parse(String(no.stdout));
    expect(refused).toMatchObject({ into: 'main', updated: false, merged: ['coder-1', 'coder-2'] });
    // coder-2 has ended with uncommitted work: it was committed on its branch first (and stays so).
    expect(refused.outcomes[1].savedCommit).toBe(sh(repo, 'rev-parse', 'omni/coder-2'));
    expect(sh(wts.two!.path, 'status', '--porcelain')).toBe('');
    expect(sh(repo, 'rev-parse', 'main')).toBe(main);

    const yes = await run(['merge', 'coder-1', 'coder-2', '--yes', '--json', '--check', 'test -f one.txt']);
    expect(yes.exitCode, String(yes.stderr)).toBe(0);
    const out = JSON.parse(String(yes.stdout));
    expect(out).toMatchObject({ into: 'main', updated: true, merged: ['coder-1', 'coder-2'] });
    expect(out.outcomes).toEqual([
      { ref: 'coder-1', session: 's_one00001', branch: 'omni/coder-1', outcome: 'merged', commit: expect.stringMatching(/^[0-9a-f]{40}$/) },
      { ref: 'coder-2', session: 's_two00002', branch: 'omni/coder-2', outcome: 'merged', commit: expect.stringMatching(/^[0-9a-f]{40}$/) },
    ]);
    expect(String(yes.stderr)).toMatch(/omni merge: checking omni\/coder-1: test -f one\.txt/);
    expect(sh(repo, 'rev-parse', 'main')).toBe(out.to);
    expect(sh(repo, 'ls-tree', '--name-only', 'main').split('\n')).toEqual(['README', 'one.txt', 'two.txt']);
  });

  it('after the merge both are merged, and rm removes worktrees and branches', async () => {
    const ls = JSON.parse(String((await run(['worktree', 'ls', '--json'])).stdout)) as Array<{ state: string }>;
    expect(ls.map((w) => w.state)).toEqual(['merged', 'merged', 'dirty']);
    const r = await run(['worktree', 'rm', 'coder-1', 'coder-2', '--json']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const { removed } = JSON.parse(String(r.stdout)) as { removed: Array<{ removed: boolean; branchDeleted: boolean; saved?: unknown }> };
    expect(removed.map((x) => [x.removed, x.branchDeleted, x.saved])).toEqual([[true, true, undefined], [true, true, undefined]]);
    expect(fs.existsSync(wts.one!.path)).toBe(false);
    expect(sh(repo, 'branch', '--list', 'omni/coder-1', 'omni/coder-2')).toBe('');
    const again = JSON.parse(String((await run(['worktree', 'ls', '--json'])).stdout)) as Array<{ state: string }>;
    expect(again.map((w) => w.state)).toEqual(['missing', 'missing', 'dirty']);
  });

  it('rm --force keeps unmerged and uncommitted work under refs/omni/saved/ and says so', async () => {
    const r = await run(['worktree', 'rm', 'coder-3', '--force']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stdout)).toMatch(/^removed the worktree of coder-3 .*; deleted branch omni\/coder-3; its unmerged or uncommitted work is kept under refs\/omni\/saved\/omni\/coder-3 \([0-9a-f]{10}; git show refs\/omni\/saved\/omni\/coder-3\)$/);
    expect(sh(repo, 'show', 'refs/omni/saved/omni/coder-3:three-wip.txt')).toBe('not committed');
    expect(sh(repo, 'show', 'refs/omni/saved/omni/coder-3:three.txt')).toBe('three');
    expect(fs.existsSync(wts.three!.path)).toBe(false);
    expect(sh(repo, 'branch', '--list', 'omni/*')).toBe('');
  });
});
