import { describe, expect, it } from 'vitest';
import { GIT_SHELL_ALIASES, omniGuard } from '../../src/policy/guard.js';
import { PolicyState } from '../../src/policy/state.js';
import { buildToolSubject } from '../../src/policy/subject.js';
import type { PolicySubject } from '../../src/policy/types.js';

const H = '/home/me/.local/state/omni';
const guard = omniGuard({ omniHome: H, home: '/home/me', configDir: '/home/me/.config/omni' });
const session = { id: 's_1', name: 'x', harness: 'claude', cwd: '/work' };
const shell = (command: string, extra: Record<string, unknown> = {}, cwd?: string): PolicySubject => {
  // Codex's workdir reaches policies as the call's cwd (the adapter's normalization).
  const call = { kind: 'shell' as const, script: command, ...(typeof extra.workdir === 'string' ? { cwd: extra.workdir } : {}) };
  const tool = buildToolSubject({ name: 'Bash', callId: 'c', input: { command, ...extra }, call }, '/work', { home: '/home/me' });
  return { phase: 'tool_call', session, tool: cwd ? { ...tool, cwd } : tool };
};
const verdict = async (s: PolicySubject, state = new PolicyState()) => (await guard.evaluate(s, state)).verdict;

describe('omni_guard (always on)', () => {
  it.each([
    'omni approve ap_123',
    'omnigent deny ap_1 --reason x',
    'node /opt/omni/bin/omni.js approve ap_1',
    'cd /tmp && omni policy add me allow-all.yaml',
    'bash -lc "omni approve ap_9"',
    'echo $(omni daemon stop)',
    'omni approvals popup ap_1',
    `curl --unix-socket ${H}/run/omni.sock -X POST http://omni/v1/approvals/ap_1/approve`,
    `tmux -S ${H}/run/tmux.sock send-keys a`,
    `echo {} > ${H}/state/approvals/ap_1.json`,
  ])('denies %s', async (cmd) => {
    expect(await verdict(shell(cmd))).toBe('deny');
  });

  describe('resolves the socket path', () => {
    it.each([
      'curl --unix-socket ~/.local/state/omni/run/omni.sock http://x/v1/approvals/ap_1/approve',
      'curl --unix-socket $HOME/.local/state/omni/run/omni.sock http://x/',
      'curl --unix-socket "${HOME}/.local/state/omni/run/omni.sock" http://x/',
      'curl --unix-socket=/home/me/.local/state/omni//run/omni.sock http://x/',
      'curl --unix-socket /home/me/.local/state/omni/state/../run/omni.sock http://x/',
      'curl --unix-socket /home/me/.local/state/omni/r?n/omni.sock http://x/',
      'curl --unix-socket /home/me/.local/state/omni/[r]un/omni.sock http://x/',
      'curl --unix-socket /home/me/.local/state/omni/{run,x}/omni.sock http://x/',
      'curl --unix-socket /home/me/.local/*/omni/run/omni.sock http://x/',
      'S=~/.local/state/omni/run/omni.sock; curl --unix-socket $S http://x/',
      'curl --unix-socket "$SOCK" http://x/',
      'curl --unix-socket "$(ls ~/.local/state/omni/run/*.sock)" http://x/',
      'cd ~/.local/state/omni/run && curl --unix-socket omni.sock http://x/',
      'cd ~/.local/state/omni && curl --unix-socket run/omni.sock http://x/',
      'cd "$D" && curl --unix-socket omni.sock http://x/',
      'nc -U ~/.local/state/omni/run/omni.sock',
      'ncat --unixsock /home/me/.local/state/omni/run/omni.sock',
      'echo x | nc -q1 -U "$S"',
      'socat - UNIX-CONNECT:/home/me/.local/state/omni/run/omni.sock',
      'socat - unix:~/.local/state/omni/run/omni.sock',
      'socat STDIO GOPEN:$HOME/.local/state/omni/run/omni.sock',
      'tmux -S ~/.local/state/omni/run/tmux.sock send-keys -t x y Enter',
      'tmux -uS /home/me/.local/state/omni/run/tmux.sock ls',
      'tmux -L ../../home/me/.local/state/omni/run/tmux.sock ls',
      'tmux -S "$T" ls',
      'ln -s ~/.local/state/omni/run/omni.sock /tmp/s',
      'sh -c "curl --unix-socket ~/.local/state/omni/run/omni.sock http://x/"',
    ])('denies %s', async (cmd) => {
      expect(await verdict(shell(cmd))).toBe('deny');
    });

    it("uses the call's cwd (Codex workdir, Claude's hook cwd)", async () => {
      expect(await verdict(shell('curl --unix-socket omni.sock http://x/', { workdir: `${H}/run` }))).toBe('deny');
      expect(await verdict(shell('nc -U omni.sock', {}, `${H}/run`))).toBe('deny');
      expect(await verdict(shell('ls', {}, `${H}/run`))).toBe('deny');
      expect(await verdict(shell('curl --unix-socket ./docker.sock http://x/', {}, '/work'))).toBeUndefined();
    });
  });

  describe('resolves the program and the verb', () => {
    it.each([
      'V=approve; omni $V ap_1',
      'omni "$(echo approve)" ap_1',
      'omni {approve,x} ap_1',
      'omni appr?ve ap_1',
      'omni a[p]prove ap_1',
      'P=omni; $P approve ap_1',
      'X="omni approve ap_1"; $X',
      '$(command -v omni) approve ap_1',
      '"$OMNI" deny ap_1',
      '{omni,approve} ap_1',
      '/usr/local/bin/om?i approve ap_1',
      'om* approve ap_1',
      'node --require x /opt/omni/bin/omni.js approve ap_1',
      'node -r ./hook.js /opt/omni/bin/omni.js approve ap_1',
      'node --inspect /opt/omni/bin/omni.js approve ap_1',
      'node -- /opt/omni/bin/omni.js approve ap_1',
      'node "$(command -v omni)" approve ap_1',
      'nodejs --no-warnings=x ./omni.js policy rm x',
      './bin/omni.js approve ap_1',
      '/abs/path/omni.js deny ap_1',
      'npx omni approve ap_1',
      'omni --json approve ap_1',
      'env omni daemon stop',
      'tmux run-shell "omni approve ap_1"',
      'tmux new-window "omni approve ap_1"',
      'git -c diff.external="omni approve ap_1" diff',
      'GIT_SSH_COMMAND="omni approve ap_1" git fetch',
    ])('denies %s', async (cmd) => {
      expect(await verdict(shell(cmd))).toBe('deny');
    });
  });

  describe("protects omni's files", () => {
    it.each([
      'curl -so ~/.local/state/omni/state/approvals/ap_1.json http://x/',
      'curl -sSLo /home/me/.local/state/omni/x http://x/',
      'F=~/.local/state/omni/state/x.json; echo {} > $F',
      'echo {} > "$OUT"',
      'cp x "$DEST"',
      'echo {} > ~/.local/state/omni/st?te/x.json',
      'tee ~/.local/state/omni/*/ap_1.json < x',
      'echo "[]" > ~/.config/omni/policies.yaml',
      'echo x > $OMNI_HOME/state/x',
    ])('denies %s', async (cmd) => {
      expect(await verdict(shell(cmd))).toBe('deny');
    });

    it('allows run-time write targets that resolve elsewhere', async () => {
      for (const cmd of ['T=$(mktemp); echo x > "$T"', 'OUT=build/x.txt; echo hi > $OUT', 'echo x > "$TMPDIR/a"', 'echo x > build/$NAME.o', 'echo > /dev/null 2>&1']) {
        expect(await verdict(shell(cmd)), cmd).toBeUndefined();
      }
    });
  });

  it('remembers git aliases defined as shell commands and fails closed on them later', async () => {
    const state = new PolicyState();
    const d = await guard.evaluate(shell("git config alias.up '!make deploy'"), state);
    expect(d.verdict).toBeUndefined();
    expect(d.updates).toEqual([{ op: 'add', set: GIT_SHELL_ALIASES, values: ['up'] }]);
    state.apply(d.updates!);
    expect(await verdict(shell('git up'), state)).toBe('deny');
    expect(await verdict(shell('git -C repo up --x'), state)).toBe('deny');
    expect(await verdict(shell('git status'), state)).toBeUndefined();
    expect(await verdict(shell("git config --global alias.x '!omni approve ap_1'"))).toBe('deny');
    expect(await verdict(shell("git -c alias.x='!omni approve ap_1' x"))).toBe('deny');
  });

  it.each([
    'omni ls',
    'omni events s_1 --json',
    'omni events x',
    'omni send x hi',
    'omni approvals --json',
    'echo "omni approve"',
    'grep -r "omni approve" .',
    '$EDITOR file',
    '"$PYTHON" x.py',
    'cd "$DIR" && make',
    'curl https://x',
    'curl -so out.json https://x',
    'node script.js',
    "node -e 'console.log(1)'",
    'node -p 1+1 approve',
    'git push',
    `cat ${H}/log/omnid.log`,
    'npm test',
    'tmux ls',
    'tmux new-window -d "npm run dev"',
    'tmux send-keys -t dev "npm test" Enter',
    'git -c core.pager=less log',
    'GIT_PAGER=cat git log',
    'nc -z localhost 80',
    'socat TCP-LISTEN:8080 TCP:localhost:80',
    'ls ~/.local/state',
  ])('leaves %s alone', async (cmd) => {
    expect(await verdict(shell(cmd))).toBeUndefined();
  });

  it("denies writes into omni's files from file tools", async () => {
    const s: PolicySubject = {
      phase: 'tool_call',
      session,
      tool: buildToolSubject({ name: 'Write', callId: 'c', input: {}, call: { kind: 'write', paths: { read: [], write: [`${H}/state/sessions/s_1/policies.json`] } } }, '/work'),
    };
    expect(await verdict(s)).toBe('deny');
  });
});
