import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTmuxRunner, type TmuxRunner } from '../../src/tmux/runner.js';
import { KeyedSerialQueue } from '../../src/tmux/serial.js';
import { isValidSessionName, Tmux, type PaneInfo } from '../../src/tmux/tmux.js';
import { TmuxError } from '../../src/tmux/errors.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(fn: () => Promise<T | undefined | false>, what: string, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

let dir: string;
let tmux: Tmux;
let runner: TmuxRunner;

function makeTmux(d: string): Tmux {
  // Short paths: a Unix socket path must fit in ~104 bytes.
  const socketPath = join(d, 's');
  const configPath = join(d, 'tmux.conf');
  runner = createTmuxRunner({ socketPath, configPath });
  return new Tmux({ runner, socketPath, configPath });
}

async function pane(paneId: string): Promise<PaneInfo | undefined> {
  return (await tmux.listPanes()).find((p) => p.paneId === paneId);
}

/** Dead and reaped: exit status (or signal) known. */
const waitDead = (paneId: string) => waitFor(async () => {
  const p = await pane(paneId);
  return p?.dead && (p.deadStatus !== null || p.deadSignal !== null) ? p : undefined;
}, `pane ${paneId} to die with a status`, 3000);

/** Run `cat > out`, give it to fn, end cat with C-d and return what cat wrote. */
async function catSession(name: string, fn: (paneId: string) => Promise<void>, prelude = ''): Promise<string> {
  const out = join(dir, `${name}.out`);
  // exec: so the pane's foreground command is cat itself (readiness check below).
  const { paneId } = await tmux.newSession({ name, cwd: dir, command: `${prelude}exec cat > ${out}` });
  await waitFor(async () => (await pane(paneId))?.currentCommand === 'cat', 'cat to start');
  await fn(paneId);
  await tmux.sendKeys(paneId, ['C-d']);
  await waitDead(paneId);
  return readFileSync(out, 'utf8');
}

beforeEach(async () => {
  dir = mkdtempSync('/tmp/omx-');
  tmux = makeTmux(dir);
  await tmux.writeConfig();
});

afterEach(async () => {
  await tmux.killServer();
  rmSync(dir, { recursive: true, force: true });
});

describe('tmux layer (real tmux)', { timeout: 20000 }, () => {
  it('writes a private 0600 config', () => {
    expect(statSync(tmux.configPath).mode & 0o777).toBe(0o600);
    expect(readFileSync(tmux.configPath, 'utf8')).toContain('remain-on-exit on');
  });

  it('sets what the agents ask of their tmux (focus events, extended keys), and mouse as configured, on a running server too', async () => {
    await tmux.newSession({ name: 'opts', cwd: dir, command: 'exec sleep 30' });
    const show = async (...args: string[]) => (await runner.run(['show', ...args])).stdout.trim();
    // Claude Code asks `tmux show -gv focus-events` and shows a hint unless it is on.
    expect(await show('-gv', 'focus-events')).toBe('on');
    expect(await show('-sv', 'extended-keys')).toBe('on');
    expect(await show('-sv', 'terminal-features')).toContain('xterm*:extkeys');
    expect(await show('-gv', 'mouse')).toBe('off');
    // config.yaml's tmux.mouse reaches the server that is already up (it outlives daemons).
    await tmux.writeConfig({ mouse: true });
    expect(await show('-gv', 'mouse')).toBe('on');
    expect(readFileSync(tmux.configPath, 'utf8')).toContain('set -g mouse on');
    await tmux.writeConfig({ mouse: false });
    expect(await show('-gv', 'mouse')).toBe('off');
  });

  it('creates a session running sh and lists its live pane', async () => {
    const { paneId, panePid } = await tmux.newSession({ name: 'one', cwd: dir, command: 'sh', width: 120, height: 40 });
    expect(paneId).toMatch(/^%\d+$/);
    expect(() => process.kill(panePid, 0)).not.toThrow();
    const p = await pane(paneId);
    expect(p).toMatchObject({ sessionName: 'one', panePid, dead: false, deadStatus: null, currentCommand: 'sh', width: 120 });
    expect(await tmux.displayMessage(paneId, '#{remain-on-exit}')).toBe('on');
    // pane_current_path reads the foreground process's cwd: briefly empty right after spawn.
    await waitFor(async () => (await tmux.displayMessage(paneId, '#{pane_current_path}')) === dir, 'cwd');
  });

  it('hasSession matches exactly, never by prefix', async () => {
    await tmux.newSession({ name: 'ab', cwd: dir, command: 'sh' });
    expect(await tmux.hasSession('ab')).toBe(true);
    expect(await tmux.hasSession('a')).toBe(false);
    await tmux.killSession('a'); // must not kill "ab" by prefix
    expect(await tmux.hasSession('ab')).toBe(true);
    await tmux.killSession('ab');
    expect(await tmux.hasSession('ab')).toBe(false);
  });

  it('rejects session names tmux would silently rewrite', async () => {
    for (const bad of ['a.b', 'a:b', '', '=x', 'a b', 'tab\t']) expect(isValidSessionName(bad)).toBe(false);
    expect(isValidSessionName('s_abc-1')).toBe(true);
    await expect(tmux.newSession({ name: 'a.b', cwd: dir, command: 'sh' })).rejects.toBeInstanceOf(TmuxError);
  });

  it('pastes multi-line text that arrives unchanged (no bracket markers: cat did not ask)', async () => {
    const text = 'first line\n  indented $HOME `x` "q" \'s\';\nlast;\n';
    const got = await catSession('paste', (id) => tmux.pasteText(id, text));
    expect(got).toBe(text);
    // The uniquely named buffer was deleted by paste-buffer -d.
    const buffers = await runner.run(['list-buffers', '-F', '#{buffer_name}']);
    expect(buffers.stdout.split('\n').filter((b) => b.startsWith('omni-'))).toEqual([]);
  });

  it('brackets the paste when the app enabled bracketed paste mode', async () => {
    const got = await catSession('brk', async (id) => {
      await tmux.pasteText(id, 'a\nb\n');
      await tmux.sendKeys(id, ['Enter']); // end the line after the closing marker, for C-d
    }, "printf '\\033[?2004h'; ");
    expect(got).toBe('\x1b[200~a\nb\n\x1b[201~\n');
  });

  it('delivers a 40 KB paste complete', async () => {
    // Lines stay under the tty's 4095-byte canonical line limit (a cat limit, not tmux's).
    const text = Array.from({ length: 512 }, (_, i) => `${String(i).padStart(4, '0')} ${'x'.repeat(74)}\n`).join('');
    expect(text.length).toBe(40960);
    const got = await catSession('big', (id) => tmux.pasteText(id, text, { bracketed: false }));
    expect(got).toBe(text);
  });

  it('sendLiteral chunks long text and keeps trailing semicolons', async () => {
    const text = Array.from({ length: 300 }, (_, i) => `${i};${'y'.repeat(60)};\n`).join('') + ';\n';
    expect(Buffer.byteLength(text)).toBeGreaterThan(16384);
    const got = await catSession('lit', (id) => tmux.sendLiteral(id, text));
    expect(got).toBe(text);
  });

  it('sendKeys C-d ends cat', async () => {
    // Not `exec cat`: GNU cat closes its tty fds just before exiting, and tmux hangs up the
    // pty on seeing that, so a bare cat sometimes "dies" of SIGHUP. The shell keeps the fds.
    const { paneId } = await tmux.newSession({ name: 'eof', cwd: dir, command: 'cat; echo cat-ended' });
    await tmux.sendLiteral(paneId, 'typed\n');
    await tmux.sendKeys(paneId, ['C-d']);
    expect(await waitDead(paneId)).toMatchObject({ deadStatus: 0, deadSignal: null });
    expect(await tmux.capturePane(paneId, { start: -50 })).toMatch(/typed\n(typed\n)?cat-ended/);
  });

  it('reports every exit status (works around tmux losing SIGCHLD with libutempter)', async () => {
    const ids = [];
    for (let i = 0; i < 8; i++) {
      const { paneId } = await tmux.newSession({ name: `r${i}`, cwd: dir, command: `read x; exit ${i}` });
      ids.push(paneId);
    }
    for (const id of ids) await tmux.sendKeys(id, ['Enter']);
    for (const [i, id] of ids.entries()) expect(await waitDead(id)).toMatchObject({ deadStatus: i, deadSignal: null });
  });

  it('reports the signal that killed a pane', async () => {
    const { paneId } = await tmux.newSession({ name: 'sig', cwd: dir, command: 'kill -9 $$' });
    expect(await waitDead(paneId)).toMatchObject({ deadStatus: null, deadSignal: 9 });
  });

  it('keeps a dead pane with its exit status and last output (remain-on-exit)', async () => {
    // The short sleep: tmux may drop pty output it has not read yet when the process is reaped
    // first (seen once on a loaded CI box); what is under test is that the pane stays, with its
    // status and what was on it.
    const { paneId } = await tmux.newSession({ name: 'dies', cwd: dir, command: 'echo last-words; sleep 0.3; exit 3' });
    const p = await waitDead(paneId);
    expect(p.dead).toBe(true);
    expect(p.deadStatus).toBe(3);
    expect(p.deadSignal).toBeNull();
    // tmux prints its dead-pane line at the bottom, which can scroll the first screen line
    // into history, so read a little history too.
    const screen = await waitFor(async () => {
      const s = await tmux.capturePane(paneId, { start: -100 });
      return s.includes('process exited') ? s : undefined;
    }, 'dead-pane message');
    expect(screen).toContain('last-words');
    expect(screen).toContain('[omni] process exited (status 3)');
    expect(screen.endsWith('\n')).toBe(false);
  });

  it('withPaneLock keeps concurrent multi-chunk sequences from interleaving', async () => {
    const seq = (id: string, tag: string) => async () => {
      for (let i = 0; i < 5; i++) {
        await tmux.sendLiteral(id, `${tag}${i}\n`);
        await sleep(15); // give the other writer every chance to cut in
      }
    };
    const block = (tag: string) => [0, 1, 2, 3, 4].map((i) => `${tag}${i}\n`).join('');

    const locked = await catSession('locked', (id) =>
      Promise.all([tmux.withPaneLock(id, seq(id, 'A')), tmux.withPaneLock(id, seq(id, 'B'))]).then(() => undefined));
    expect(locked).toBe(block('A') + block('B'));

    // Control: the same two writers without the lock do interleave.
    const unlocked = await catSession('unlocked', (id) =>
      Promise.all([seq(id, 'A')(), seq(id, 'B')()]).then(() => undefined));
    expect(unlocked).not.toBe(block('A') + block('B'));
    expect(unlocked.split('\n').sort()).toEqual((block('A') + block('B')).split('\n').sort());
  });

  it('treats "no server" as empty, not as an error', async () => {
    expect(await tmux.listPanes()).toEqual([]);
    expect(await tmux.hasSession('x')).toBe(false);
    await tmux.killSession('x');
    await tmux.killServer();
    // Also after a server existed and exited (stale socket file left behind).
    await tmux.newSession({ name: 'x', cwd: dir, command: 'sh' });
    await tmux.killServer();
    expect(await tmux.listPanes()).toEqual([]);
  });

  it('attachArgs targets the exact session on the private socket and unsets TMUX when nested', () => {
    const inside = tmux.attachArgs('s1', { insideTmux: true });
    expect(inside.command).toBe('tmux');
    expect(inside.args).toEqual(['-S', tmux.socketPath, '-f', tmux.configPath, 'attach-session', '-t', '=s1']);
    expect('TMUX' in inside.env && inside.env.TMUX === undefined).toBe(true);
    expect(tmux.attachArgs('s1', { insideTmux: false }).env).toEqual({});
  });

  it('is unaffected by TMUX in the calling environment', async () => {
    const saved = { TMUX: process.env.TMUX, TMUX_PANE: process.env.TMUX_PANE };
    process.env.TMUX = '/tmp/not-omni-sock,1,0';
    process.env.TMUX_PANE = '%99';
    try {
      const { paneId } = await tmux.newSession({ name: 'nested', cwd: dir, command: 'sh' });
      expect(await tmux.hasSession('nested')).toBe(true);
      await tmux.sendLiteral(paneId, 'echo "T=$TMUX P=$TMUX_PANE"\n');
      const screen = await waitFor(async () => {
        const s = await tmux.capturePane(paneId);
        return /^T=.*P=/m.test(s) ? s : undefined;
      }, 'echo output');
      // The pane sees omni's server, never the caller's.
      expect(screen).toMatch(new RegExp(`^T=${tmux.socketPath},\\d+,\\d+ P=${paneId}$`, 'm'));
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('says clearly when tmux is not installed', async () => {
    const runner = createTmuxRunner({ socketPath: join(dir, 's'), configPath: join(dir, 'c'), tmuxBin: '/nonexistent/tmux' });
    await expect(runner.run(['list-sessions'])).rejects.toThrow(/tmux is not installed: install it/);
  });
});

describe('KeyedSerialQueue', () => {
  it('runs per key in order, survives failures, and forgets idle keys', async () => {
    const q = new KeyedSerialQueue();
    const log: string[] = [];
    const job = (s: string, ms: number, fail = false) => async () => {
      log.push(`${s}>`);
      await sleep(ms);
      log.push(`<${s}`);
      if (fail) throw new Error(s);
      return s;
    };
    const a1 = q.run('a', job('a1', 20, true));
    const a2 = q.run('a', job('a2', 1));
    const b1 = q.run('b', job('b1', 5));
    await expect(a1).rejects.toThrow('a1');
    expect(await a2).toBe('a2');
    expect(await b1).toBe('b1');
    expect(log.indexOf('<a1')).toBeLessThan(log.indexOf('a2>'));
    expect(log.indexOf('b1>')).toBeLessThan(log.indexOf('<a1')); // other keys run concurrently
    await sleep(0);
    expect(q.activeKeys).toBe(0);
  });
});
