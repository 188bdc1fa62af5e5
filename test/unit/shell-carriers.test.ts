import { describe, expect, it } from 'vitest';
import { findCommands, parseShell } from '../../src/policy/shell.js';

/** The commands of `s` that match `pattern`, as `via… :: argv`. */
const seen = (s: string, pattern: string) => findCommands(parseShell(s), pattern).map((c) => (c.via.length ? `${c.via.join(' > ')} :: ` : '') + c.argv.join(' '));
const opaque = (s: string) => parseShell(s).opaque.map((o) => o.reason);

describe('parseShell: tmux is a wrapper', () => {
  it.each([
    ["tmux run-shell 'omni approve ap_1'", 'tmux run-shell'],
    ["tmux run -b 'omni approve ap_1'", 'tmux run-shell'],
    ["tmux run-shell -t x -d 1 -c /tmp 'omni approve ap_1'", 'tmux run-shell'],
    ["tmux run-sh 'omni approve ap_1'", 'tmux run-shell'],
    ["tmux new-window 'omni approve ap_1'", 'tmux new-window'],
    ["tmux neww -d -n w -c /tmp -t s: 'omni approve ap_1'", 'tmux new-window'],
    ['tmux new-window omni approve ap_1', 'tmux new-window'],
    ["tmux new-session -d -s x 'omni approve ap_1'", 'tmux new-session'],
    ["tmux new -d 'omni approve ap_1'", 'tmux new-session'],
    ["tmux split-window -h -l 10 'omni approve ap_1'", 'tmux split-window'],
    ["tmux splitw -t x 'omni approve ap_1'", 'tmux split-window'],
    ["tmux respawn-pane -k -t x 'omni approve ap_1'", 'tmux respawn-pane'],
    ["tmux respawnp -k 'omni approve ap_1'", 'tmux respawn-pane'],
    ["tmux respawn-window -k 'omni approve ap_1'", 'tmux respawn-window'],
    ["tmux respawnw 'omni approve ap_1'", 'tmux respawn-window'],
    ["tmux display-popup -E -w 50% 'omni approve ap_1'", 'tmux display-popup'],
    ["tmux popup -E 'omni approve ap_1'", 'tmux display-popup'],
    ["tmux if-shell 'omni approve ap_1' ''", 'tmux if-shell'],
    ["tmux if -b 'omni approve ap_1' 'display x'", 'tmux if-shell'],
    ["tmux if-shell -F 1 'run-shell \"omni approve ap_1\"'", 'tmux run-shell'],
    ["tmux pipe-pane -o 'omni approve ap_1'", 'tmux pipe-pane'],
    ["tmux pipep -t x 'omni approve ap_1'", 'tmux pipe-pane'],
    ["tmux send-keys -t omni:1 'omni approve ap_1' Enter", 'tmux send-keys'],
    ['tmux send -t x omni Space approve Space ap_1 C-m', 'tmux send-keys'],
    ["tmux send-keys -l 'omni approve ap_1'", 'tmux send-keys'],
    ["tmux -S /tmp/s -f /dev/null new-session -d \\; run-shell 'omni approve ap_1'", 'tmux run-shell'],
    ["tmux bind-key x run-shell 'omni approve ap_1'", 'tmux run-shell'],
    ["tmux set-buffer 'omni approve ap_1\n' \\; paste-buffer", 'tmux set-buffer'],
    ["tmux set -g default-command 'omni approve ap_1'", 'tmux set-option default-command'],
    ["sudo tmux -L x run-shell 'omni approve ap_1'", 'sudo > tmux run-shell'],
    ["tmux -c 'omni approve ap_1'", 'tmux -c'],
  ])('sees omni approve in %s', (s, via) => {
    expect(seen(s, 'omni approve')).toEqual([`${via} :: omni approve ap_1`]);
  });

  it('skips tmux option values and runs nothing for plain commands', () => {
    expect(seen('tmux new-window -c /srv -n omni -t approve', 'omni')).toEqual([]);
    expect(parseShell('tmux ls; tmux attach -t x; tmux kill-server').commands.map((c) => c.program)).toEqual(['tmux', 'tmux', 'tmux']);
    expect(opaque('tmux ls; tmux new -d -s x; tmux send-keys -t x "npm test" Enter')).toEqual([]);
  });

  it('is opaque where tmux runs code it cannot see', () => {
    expect(opaque('tmux run-shell "$X"')).toContain('tmux run-shell runs shell code built at run time');
    expect(opaque('tmux source-file x.conf')).toEqual(['tmux source-file runs tmux commands from a file']);
    expect(opaque('tmux send-keys -H 6f 6d')).toHaveLength(1);
    expect(opaque('tmux $CMD x')).toHaveLength(1);
  });
});

describe('parseShell: commands carried by git config and the environment', () => {
  it.each([
    ["git -c diff.external='omni approve ap_1' diff", 'git -c diff.external'],
    ["git -c core.fsmonitor='omni approve ap_1' status", 'git -c core.fsmonitor'],
    ["git -c core.sshCommand='omni approve ap_1' fetch", 'git -c core.sshcommand'],
    ["git -c core.pager='omni approve ap_1' log", 'git -c core.pager'],
    ["git -c core.editor='omni approve ap_1' commit", 'git -c core.editor'],
    ["git -c sequence.editor='omni approve ap_1' rebase -i x", 'git -c sequence.editor'],
    ["git -c diff.x.textconv='omni approve ap_1' diff", 'git -c diff.x.textconv'],
    ["git -c filter.x.clean='omni approve ap_1' add .", 'git -c filter.x.clean'],
    ["git -c filter.x.smudge='omni approve ap_1' checkout .", 'git -c filter.x.smudge'],
    ["git -c credential.helper='!omni approve ap_1' fetch", 'git -c credential.helper'],
    ["git -c pager.log='omni approve ap_1' log", 'git -c pager.log'],
    ["git -c alias.x='!omni approve ap_1' x", 'git alias'],
    ["git -calias.x='!omni approve ap_1' x", 'git alias'],
    ["X='omni approve ap_1' git --config-env=core.pager=X log", 'git --config-env core.pager'],
    ["X='omni approve ap_1' git --config-env core.pager=X log", 'git --config-env core.pager'],
    ["GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=core.pager GIT_CONFIG_VALUE_0='omni approve ap_1' git log", 'git GIT_CONFIG core.pager'],
    ["export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=alias.x GIT_CONFIG_VALUE_0='!omni approve ap_1'; git x", 'git alias'],
    ["git config alias.x '!omni approve ap_1'", 'git config alias'],
    ["git config --global core.pager 'omni approve ap_1'", 'git config core.pager'],
    ["git clone 'ext::omni approve ap_1' x", 'git ext::'],
    ["GIT_EXTERNAL_DIFF='omni approve ap_1' git diff", 'GIT_EXTERNAL_DIFF='],
    ["GIT_SSH_COMMAND='omni approve ap_1' git fetch", 'GIT_SSH_COMMAND='],
    ["GIT_PAGER='omni approve ap_1' git log", 'GIT_PAGER='],
    ["GIT_EDITOR='omni approve ap_1' git commit", 'GIT_EDITOR='],
    ["EDITOR='omni approve ap_1' git commit", 'EDITOR='],
    ["VISUAL='omni approve ap_1' git commit", 'VISUAL='],
    ["env GIT_SSH_COMMAND='omni approve ap_1' git fetch", 'GIT_SSH_COMMAND='],
    ["export GIT_SSH_COMMAND='omni approve ap_1'; git fetch", 'GIT_SSH_COMMAND='],
    ["GIT_SSH_COMMAND='omni approve ap_1'; git fetch", 'GIT_SSH_COMMAND='],
    ["PROMPT_COMMAND='omni approve ap_1' bash -i", 'PROMPT_COMMAND='],
    ["BASH_ENV='$(omni approve ap_1)' bash -c true", 'BASH_ENV='],
  ])('sees omni approve in %s', (s, via) => {
    expect(seen(s, 'omni approve')).toEqual([`${via} :: omni approve ap_1`]);
  });

  it('is opaque where the carried command is a run-time word or not in the script', () => {
    expect(opaque('GIT_SSH_COMMAND="$X" git fetch')).toContain('GIT_SSH_COMMAND= runs shell code built at run time');
    expect(opaque('git -c core.pager="$P" log')).toContain('git -c core.pager runs shell code built at run time');
    expect(opaque('git --config-env=core.pager=PAGER_FROM_ENV log')).toHaveLength(1);
    expect(opaque('BASH_ENV=./x.sh bash -c true')).toEqual(['BASH_ENV makes the shell run a file first']);
    expect(opaque('ENV=./x.sh sh -i')).toEqual(['ENV makes the shell run a file first']);
    expect(opaque('LD_PRELOAD=./x.so ls')).toEqual(['LD_PRELOAD loads shared libraries the script does not show']);
    expect(opaque('LD_LIBRARY_PATH=./lib ./app')).toHaveLength(1);
    expect(opaque('git -c core.hooksPath=/tmp/h commit')).toHaveLength(1);
    expect(opaque('GIT_CONFIG_COUNT=$N git log')).toHaveLength(1);
  });

  it('leaves ordinary git and environment use clean', () => {
    for (const s of ['git -c user.name=x commit -m y', 'GIT_DIR=.git git log', 'EDITOR=vim git commit', 'git config user.email a@b', 'NODE_ENV=test npm test', 'git -c color.ui=never log']) {
      expect(opaque(s), s).toEqual([]);
      expect(seen(s, 'omni'), s).toEqual([]);
    }
  });

  it('records variables in order', () => {
    expect(parseShell('A=1; export B=$(x) C=2; D=3 git log').variables).toEqual([
      { name: 'A', value: '1', dynamic: false, prefix: false },
      { name: 'B', value: '$(x)', dynamic: true, prefix: false },
      { name: 'C', value: '2', dynamic: false, prefix: false },
      { name: 'D', value: '3', dynamic: false, prefix: true },
    ]);
  });
});
