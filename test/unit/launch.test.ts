import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { filterEnv, launchScript } from '../../src/daemon/sessions.js';
import { shQuote } from '../../src/core/fsutil.js';

describe('launch script', () => {
  it("runs the command with exactly the caller's environment plus the pane's TERM (no TMUX: no way back to omni's tmux server), then is gone", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-launch-'));
    const script = path.join(dir, 'launch.sh');
    const env = filterEnv({
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      WEIRD: `it's "quoted" $HOME \`x\` \\ end`,
      MULTI: 'line1\nline2',
      TMUX: '/tmp/users-own-tmux,1,0',
      TERM: 'xterm-kitty',
    });
    fs.writeFileSync(script, launchScript(env, 'env', ['-0']), { mode: 0o700 });
    const r = await execa('sh', [script], {
      env: { TERM: 'tmux-256color', TMUX: '/omni/tmux.sock,9,0', TMUX_PANE: '%3', DAEMON_ONLY: 'leak?' },
      extendEnv: false,
    });
    const got = Object.fromEntries(
      String(r.stdout)
        .split('\0')
        .filter(Boolean)
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
    expect(got.WEIRD).toBe(`it's "quoted" $HOME \`x\` \\ end`);
    expect(got.MULTI).toBe('line1\nline2');
    expect(got.TERM).toBe('tmux-256color'); // the pane's, not the caller's terminal
    expect(got.TMUX).toBeUndefined();
    expect(got.TMUX_PANE).toBeUndefined();
    expect(got.DAEMON_ONLY).toBeUndefined();
    expect(fs.existsSync(script)).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('quotes words for sh', () => {
    expect(shQuote('plain-word_1.2/x')).toBe('plain-word_1.2/x');
    expect(shQuote('')).toBe("''");
    expect(shQuote("a'b")).toBe(`'a'\\''b'`);
    expect(shQuote('$(rm -rf /)')).toBe(`'$(rm -rf /)'`);
  });
});
