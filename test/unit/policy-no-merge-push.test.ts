import { describe, expect, it } from 'vitest';
import type { LoadedPolicy, PolicyDecision, PolicySubject } from '../../src/policy/types.js';
import { CWD, HOME, PolicyState, bash, edit, load, read, toolSubject, write } from '../helpers/policy.js';

/** One builtin, as a policy file would configure it (as in policy-builtins.test.ts). */
function use(name: string, params?: Record<string, unknown>): LoadedPolicy[] {
  return load(`policies:\n  - use: ${name}\n${params ? `    with: ${JSON.stringify(params)}\n` : ''}`);
}
const decide = async (ps: LoadedPolicy[], s: PolicySubject): Promise<PolicyDecision> => ps[0]!.policy.evaluate(s, new PolicyState());
const verdict = async (ps: LoadedPolicy[], s: PolicySubject) => (await decide(ps, s)).verdict;

describe('no_merge_push', () => {
  const ps = use('no_merge_push');
  const v = (script: string) => verdict(ps, bash(script));
  const all = async (scripts: string[], want: string | undefined) => {
    for (const s of scripts) expect([s, await v(s)]).toEqual([s, want]);
  };

  it('denies push, merge, pull, update-ref however git is reached', async () => {
    await all(
      [
        'git push',
        'git push origin main',
        'git merge feature',
        'git merge --no-ff polly/t1',
        'git pull',
        'git pull --rebase origin main',
        'git update-ref refs/heads/main HEAD',
        'git -C /repo merge x',
        'git -c user.name=x merge x',
        'git --git-dir=/repo/.git --work-tree=/repo push',
        'GIT_DIR=/x git merge y',
        '/usr/bin/git push',
        '\\git merge x',
        "g''it push",
        "sh -c 'cd /repo && git merge x'",
        'bash -lc "git pull"',
        'env FOO=1 git push',
        'true && sudo git push',
        "git -c alias.m=merge m main",
        'git {push,origin}',
        'hub push',
        'hub merge x',
        'echo ok; $(git push)',
        'git merge --continue',
        '"$(git --exec-path)"/git-push origin main',
        '/usr/lib/git-core/git-merge x',
        'git send-pack ../other main',
        'git filter-branch -- --all',
        "git -c alias.p='!git push' p",
        'echo push | xargs -I{} git {}',
        "find . -maxdepth 0 -exec git push \\;",
        'git submodule foreach git push',
        'git rebase --exec "git push" HEAD~1',
      ],
      'deny',
    );
    expect(await decide(ps, bash('git -C repo push origin main'))).toEqual({ verdict: 'deny', reason: 'git -C repo push origin main: pushes to a remote; a person merges and pushes (omni polly merge)' });
  });

  it('denies subcommands only known at run time, and xargs-supplied ones', async () => {
    await all(['git $CMD main', 'git "$(printf push)"', 'echo push | xargs git', 'git pu?h', 'X=push; git $X'], 'deny');
  });

  it('denies branch moves: branch -f/-D/-d/-M/-m/-C, checkout -B, switch -C', async () => {
    await all(
      [
        'git branch -f main HEAD',
        'git branch --force main',
        'git branch -D polly/t1',
        'git branch -d polly/t1',
        'git branch --delete --force x',
        'git branch -df x',
        'git branch -M main',
        'git branch -m old new',
        'git branch -C x main',
        'git checkout -B main',
        'git checkout -qB main origin/main',
        'git switch -C main',
        'git switch --force-create main',
        'git branch "$FLAG" main',
        'git checkout "$X"',
        'git checkout --ignore-other-worktrees main',
        'git switch --ignore-other-worktrees main',
        'git worktree add ../x main',
        'git worktree add -f ../x main',
        'git worktree add -B main ../x',
      ],
      'deny',
    );
    await all(['git branch', 'git branch -a', 'git branch --show-current', 'git branch --merged', 'git branch new-thing', 'git checkout -b topic', 'git switch -c topic', 'git checkout src/a.ts', 'git switch topic', 'git worktree add -b scratch ../x main', 'git worktree add --detach ../x main', 'git worktree add ../x', 'git worktree list', 'git worktree remove ../x'], undefined);
  });

  it('reset and rebase: within the branch\'s own history only', async () => {
    await all(
      [
        'git reset --hard main',
        'git reset --hard origin/main',
        'git reset --soft @{u}',
        'git reset --hard @{-1}',
        'git reset abc1234',
        'git reset "$REF"',
        'git rebase main',
        'git rebase -i origin/main',
        'git rebase --onto main HEAD~2',
        'git rebase --onto=main HEAD~2',
        'git rebase',
        'git rebase HEAD~2 main',
      ],
      'deny',
    );
    await all(
      [
        'git reset',
        'git reset --hard',
        'git reset --soft HEAD~1',
        'git reset HEAD^',
        'git reset HEAD -- src/a.ts',
        'git reset -- src/a.ts',
        'git reset --hard HEAD@{1}',
        'git rebase -i HEAD~3',
        'git rebase --onto HEAD~5 HEAD~3',
        'git rebase -x "npm test" HEAD~2',
        'git rebase --root -i',
        'git rebase --continue',
        'git rebase --abort',
        'git merge --abort',
      ],
      undefined,
    );
    expect(await decide(ps, bash('git reset --hard main'))).toMatchObject({ reason: expect.stringContaining('moves the branch to main') });
  });

  it('fetch into a local ref, symbolic-ref writes, config that hides aliases or hooks', async () => {
    await all(
      [
        'git fetch . HEAD:main',
        'git fetch origin +main:main',
        'git symbolic-ref HEAD refs/heads/main',
        'git config alias.m merge',
        'git config --global alias.up "pull --rebase"',
        'git config set alias.m merge',
        'git config -f ~/.gitconfig alias.m merge',
        'git config --file .git/config --add alias.m merge',
        'git config core.hooksPath /tmp/h',
        'git config include.path /tmp/x',
        'git -c include.path=/tmp/x status',
        'GIT_CONFIG_GLOBAL=/tmp/c git status',
        'GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=alias.m GIT_CONFIG_VALUE_0=merge git m x',
      ],
      'deny',
    );
    await all(['git fetch', 'git fetch origin main', 'git fetch https://host:8080/r.git main', 'git symbolic-ref HEAD', 'git config user.name x', 'git config --get alias.m', 'git config alias.m', 'git status', 'git log --oneline', 'git diff main...HEAD', 'git commit -am "merge notes"', 'git add -A', 'git stash', 'git cherry-pick abc', 'git worktree list', 'echo git push', 'grep -r "git merge" docs'], undefined);
  });

  it('forges: gh pr merge, gh repo sync, glab mr merge, merging API calls and MCP tools', async () => {
    await all(['gh pr merge 12 --squash', 'gh repo sync', 'glab mr merge 3', 'gh api -X PUT repos/o/r/pulls/1/merge', 'gh api repos/o/r/merges -f base=main -f head=x', "gh api graphql -f query='mutation { mergePullRequest(input: {}) { clientMutationId } }'", 'gh api -X PATCH repos/o/r/git/refs/heads/main'], 'deny');
    await all(['gh pr view 12', 'gh pr create --fill', 'gh api repos/o/r/pulls'], undefined);
    expect(await v('gh api "$URL"')).toBe('ask');
    const mcp = toolSubject('mcp__github__merge_pull_request', 'mcp', { owner: 'o', repo: 'r', pull_number: 1 });
    expect(await decide(ps, mcp)).toMatchObject({ verdict: 'deny', reason: expect.stringContaining('mcp__github__merge_pull_request') });
    expect(await decide(ps, toolSubject('mcp__github__get_pull_request', 'mcp', { pull_number: 1 }))).toEqual({});
  });

  it("omni's own merge queue, however omni is spelled: omni merge, omni polly merge", async () => {
    await all(['omni merge coder-1 --yes', 'omni polly merge --yes', 'omnigent polly merge p_1 --task t1', '/usr/local/bin/omni merge x', 'node /opt/omni/bin/omni.js merge x', 'cd /tmp && omni --json merge x', 'P=omni; $P merge x', 'sh -c "omni polly merge --yes"'], 'deny');
    await all(['omni ls', 'omni polly board --json', 'omni worktree diff coder-1', 'omni send x "merge it"', 'echo omni merge'], undefined);
  });

  it('writes to git refs, HEAD, config and hooks are denied; other files pass', async () => {
    for (const p of ['.git/refs/heads/main', '.git/HEAD', '.git/config', '.git/hooks/pre-commit', '.git/packed-refs', '.git', `${HOME}/.gitconfig`, `${HOME}/.config/git/config`]) {
      expect([p, await verdict(ps, write(p))]).toEqual([p, 'deny']);
    }
    expect(await v('echo sha > .git/refs/heads/main')).toBe('deny');
    expect(await verdict(ps, edit('.github/workflows/ci.yml'))).toBeUndefined();
    expect(await verdict(ps, write('.gitignore'))).toBeUndefined();
    expect(await verdict(ps, read('.git/config'))).toBeUndefined();
  });

  it('unknown git subcommands (aliases, extensions) ask; opaque scripts ask unless opaque says otherwise', async () => {
    expect(await decide(ps, bash('git up'))).toMatchObject({ verdict: 'ask', reason: expect.stringContaining('git up is not a git command omni knows') });
    expect(await v('eval "$CMD"')).toBe('ask');
    expect(await verdict(use('no_merge_push', { opaque: 'deny' }), bash('eval "$CMD"'))).toBe('deny');
    expect(await verdict(use('no_merge_push', { opaque: 'ignore' }), bash('eval "$CMD"'))).toBeUndefined();
    // A deny anywhere wins over an ask.
    expect(await v('git up; git push')).toBe('deny');
  });
});

describe('no_merge_push read_only: true', () => {
  const ps = use('no_merge_push', { read_only: true });
  const v = (script: string) => verdict(ps, bash(script));

  it('git may only read', async () => {
    for (const s of [
      'git status',
      'git log --oneline -10',
      'git diff main...HEAD -- src',
      'git show HEAD~1:src/a.ts',
      'git blame -L 10,20 src/a.ts',
      'git grep -n limit',
      'git rev-parse --show-toplevel',
      'git branch',
      'git branch -a --merged main',
      'git branch --list "polly/*"',
      'git tag',
      'git tag -l "v*"',
      'git stash list',
      'git worktree list',
      'git remote -v',
      'git config user.name',
      'git config --get-regexp alias',
      'git reflog',
      'git -C /repo log',
    ]) {
      expect([s, await v(s)]).toEqual([s, undefined]);
    }
  });

  it('anything that changes the repository, the index or the working tree is denied', async () => {
    for (const s of [
      'git commit -am wip',
      'git add -A',
      'git stash',
      'git stash pop',
      'git checkout main',
      'git checkout -- src/a.ts',
      'git switch topic',
      'git restore src/a.ts',
      'git reset --hard',
      'git clean -fd',
      'git branch topic',
      'git tag v1',
      'git fetch',
      'git worktree add ../x',
      'git config user.name x',
      'git remote add o url',
      'git cherry-pick abc',
      'git diff --output=/tmp/x',
      'git log "$RANGE"',
      'git grep -Ovim x',
      'git up',
      'git gc',
    ]) {
      expect([s, await v(s)]).toEqual([s, 'deny']);
    }
    expect(await decide(ps, bash('git stash'))).toMatchObject({ reason: 'git stash: git stash changes the working tree' });
    expect(await decide(ps, bash('git commit -m x'))).toMatchObject({ reason: expect.stringContaining('this session may only read') });
  });
});

describe('ask_on_write verdict: deny', () => {
  it('denies what it would ask about; reads and the default stay as they were', async () => {
    const ps = use('ask_on_write', { verdict: 'deny' });
    expect(await decide(ps, write('a.txt'))).toMatchObject({ verdict: 'deny', reason: 'Write writes a.txt' });
    expect(await decide(ps, bash('echo hi > notes.txt'))).toMatchObject({ verdict: 'deny', reason: 'Bash writes notes.txt' });
    expect(await verdict(ps, toolSubject('Write', 'write', { content: 'no path' }))).toBe('deny');
    expect(await decide(ps, read('a.txt'))).toEqual({});
    expect(await decide(ps, bash('git diff main'))).toEqual({});
    expect(await verdict(use('ask_on_write'), write('a.txt'))).toBe('ask');
    expect(() => use('ask_on_write', { verdict: 'allow' })).toThrow(/ask\|deny|ask, deny/);
    expect(CWD).toBe('/home/u/proj');
  });
});
