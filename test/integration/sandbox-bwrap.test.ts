import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { execa, type Result } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shQuote } from '../../src/core/fsutil.js';
import { sandboxLaunchScript, type SandboxPlan } from '../../src/sandbox/bwrap.js';
import { detectBwrap, findOnPath } from '../../src/sandbox/detect.js';
import { proxyEnv, sandboxEnv } from '../../src/sandbox/env.js';
import { DENIED_SYSCALLS, writeSeccompFile } from '../../src/sandbox/seccomp.js';
import { ROOT } from '../helpers/omni.js';

/**
 * The sandbox with REAL bubblewrap, the way a tmux pane runs it (the generated launch script,
 * `sh FILE`), against a fake world: a $HOME full of credentials, an OMNI_HOME with live sockets,
 * a caller environment holding tokens. Nothing is skipped: no bwrap is a failure (CI installs it).
 */

const BWRAP = findOnPath('bwrap', process.env.PATH);
const FORWARDER = path.join(ROOT, 'dist', 'sandbox', 'forwarder.js');
const PORT = 3128;
const MARK = 'REAL-SECRET';

describe('sandbox (bubblewrap)', () => {
  // Not under /tmp: the sandbox gets a private /tmp, which would hide the world and make "cannot
  // write outside" trivially true.
  let W: string;
  let home: string;
  let omniHome: string;
  let agentDir: string;
  let otherDir: string;
  let cwd: string;
  let outside: string;
  let seccomp: string;
  let allowAll: string;
  let hostPort: number;
  let abstractName: string;
  let caller: Record<string, string>;
  let dropped: string[];
  const servers: Array<http.Server | net.Server> = [];
  const proxied: string[] = [];
  let hookHits = 0;
  let runs = 0;

  const listen = (srv: http.Server | net.Server, where: string | number) =>
    new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      if (typeof where === 'number') srv.listen(where, '127.0.0.1', () => resolve());
      else srv.listen(where, () => resolve());
      servers.push(srv);
    });
  const answer = (body: string, onHit?: () => void) =>
    http.createServer((_req, res) => {
      onHit?.();
      res.end(body);
    });

  beforeAll(async () => {
    expect(BWRAP, 'bubblewrap is required for this test: apt-get install bubblewrap').toBeTruthy();
    expect(fs.existsSync(FORWARDER), `${FORWARDER} missing: run npm run build first`).toBe(true);

    W = fs.realpathSync(fs.mkdtempSync('/var/tmp/omni-sbx-it-'));
    home = path.join(W, 'home');
    omniHome = path.join(W, 'omni');
    agentDir = path.join(omniHome, 'run', 'agent', 'S');
    otherDir = path.join(omniHome, 'run', 'agent', 'OTHER');
    cwd = path.join(W, 'work dir'); // a space, to keep the quoting honest
    outside = path.join(W, 'outside');
    for (const d of [home, agentDir, otherDir, cwd, outside, path.join(omniHome, 'state')]) fs.mkdirSync(d, { recursive: true });
    const secretFiles: Record<string, string> = {
      '.ssh/id_rsa': `-----BEGIN OPENSSH PRIVATE KEY----- ${MARK}-ssh`,
      '.aws/credentials': `[default]\naws_secret_access_key = ${MARK}-aws-file`,
      '.config/gh/hosts.yml': `github.com:\n  oauth_token: ${MARK}-gh-file`,
      '.git-credentials': `https://u:${MARK}-gitcred@github.com`,
      '.bash_history': `export GH_TOKEN=${MARK}-history`,
    };
    for (const [f, text] of Object.entries(secretFiles)) {
      fs.mkdirSync(path.dirname(path.join(home, f)), { recursive: true });
      fs.writeFileSync(path.join(home, f), text);
    }
    fs.mkdirSync(path.join(home, '.claude'));
    fs.writeFileSync(path.join(home, '.claude', 'settings.json'), '{}');
    fs.writeFileSync(path.join(home, '.claude.json'), '{"a":1}\n');
    fs.mkdirSync(path.join(home, '.nvm/versions/node/v20/bin'), { recursive: true });
    fs.writeFileSync(path.join(home, '.nvm/versions/node/v20/bin/tool'), 'tool-bytes');
    fs.writeFileSync(path.join(omniHome, 'state', 'key.pem'), `${MARK}-ca-key`);
    fs.writeFileSync(path.join(agentDir, 'ca.pem'), 'CA');
    fs.writeFileSync(path.join(outside, 'file.txt'), 'outside');

    seccomp = path.join(W, 'seccomp.bpf');
    writeSeccompFile(seccomp);
    // Control: a filter that allows everything, to show what the real one changes.
    allowAll = path.join(W, 'allow-all.bpf');
    const ret = Buffer.alloc(8);
    ret.writeUInt16LE(0x06, 0);
    ret.writeUInt32LE(0x7fff0000, 4);
    fs.writeFileSync(allowAll, ret);

    await listen(answer('control'), path.join(omniHome, 'run', 'omni.sock'));
    await listen(net.createServer((s) => s.end('tmux')), path.join(omniHome, 'run', 'tmux.sock'));
    await listen(answer('hook-ok', () => hookHits++), path.join(agentDir, 'hook.sock'));
    await listen(answer('other-session'), path.join(otherDir, 'hook.sock'));
    // The egress proxy stand-in: a plain HTTP proxy on the session's proxy.sock.
    await listen(
      http.createServer((req, res) => {
        proxied.push(`${req.method} ${req.url}`);
        if (req.url?.endsWith('/boom')) return req.socket.destroy();
        res.end(`proxied ${req.method} ${req.url}`);
      }),
      path.join(agentDir, 'proxy.sock'),
    );
    const direct = answer('direct');
    await listen(direct, 0);
    hostPort = (direct.address() as net.AddressInfo).port;
    // Node binds an abstract name padded with NULs to the whole sun_path (108 bytes); the probes pad too.
    abstractName = `\0omni-sbx-it-${process.pid}`;
    await listen(net.createServer((s) => s.end('abstract')), abstractName);

    caller = {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      HOME: home,
      TERM: 'xterm-256color',
      LANG: 'C.UTF-8',
      GH_TOKEN: `${MARK}-gh`,
      GITHUB_TOKEN: `${MARK}-github`,
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: `${MARK}-aws`,
      NPM_TOKEN: `${MARK}-npm`,
      SSH_AUTH_SOCK: path.join(W, 'ssh-agent.sock'),
      TMUX: `/tmp/tmux-0/default,1,0`,
      ANTHROPIC_API_KEY: `${MARK}-anthropic`,
    };
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    if (W) fs.rmSync(W, { recursive: true, force: true });
  });

  /** The plan omni would build for this session, running `sh -c probe`. */
  function plan(probe: string, opts: { proxy?: boolean; seccomp?: string } = {}): SandboxPlan {
    const set = {
      HOME: home,
      ANTHROPIC_API_KEY: 'omni-placeholder-anthropic',
      GITHUB_TOKEN: 'omni-placeholder-gh',
      ...proxyEnv(PORT, path.join(agentDir, 'ca.pem'), path.join(agentDir, 'ca-bundle.pem')),
    };
    const filtered = sandboxEnv(caller, { pass: ['GH_TOKEN', 'ANTHROPIC_*'], set });
    dropped = filtered.dropped;
    return {
      home,
      hide: [omniHome],
      cwd,
      writable: [path.join(home, '.claude'), path.join(home, '.claude.json'), path.join(home, '.missing-state')],
      readable: [path.join(home, '.nvm/versions/node/v20/bin'), path.join(home, '.local/share/not-there')],
      agentDir,
      env: filtered.env,
      command: '/bin/sh',
      args: ['-c', probe],
      ...(opts.proxy ? { proxy: { socket: path.join(agentDir, 'proxy.sock'), port: PORT, forwarder: FORWARDER, node: process.execPath } } : {}),
      seccomp: opts.seccomp ?? seccomp,
    };
  }

  /** Write the launch script and run it like a pane does (`sh FILE`), optionally on a real pty. */
  async function sandboxed(probe: string, opts: { proxy?: boolean; seccomp?: string; tty?: boolean } = {}): Promise<Result & { script: string }> {
    const script = path.join(W, `launch-${++runs}.sh`);
    fs.writeFileSync(script, sandboxLaunchScript(plan(probe, opts), BWRAP));
    const cmd = opts.tty ? ['script', '-qec', `sh ${shQuote(script)}`, '/dev/null'] : ['sh', script];
    const r = await execa(cmd[0]!, cmd.slice(1), { env: caller, extendEnv: false, reject: false, cwd: W, stdin: 'ignore', timeout: 60_000 });
    return Object.assign(r, { script });
  }

  it('detectBwrap finds a working bubblewrap here', async () => {
    const info = await detectBwrap(process.env);
    expect(info.path).toBe(BWRAP);
    expect(info.version).toMatch(/^\d+\.\d+/);
  });

  it('deletes its launch script and runs the command in cwd', async () => {
    const r = await sandboxed('pwd; echo "$0"');
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')[0]).toBe(cwd);
    expect(fs.existsSync(r.script)).toBe(false);
  });

  it('leaks no secret from the environment: not in env, not in any /proc/*/environ, not in files', async () => {
    const r = await sandboxed(
      [
        'env',
        'echo ---proc',
        'for f in /proc/[0-9]*/environ; do printf "%s=" "$f"; (tr "\\0" " " < "$f") 2>/dev/null || printf unreadable; echo; done',
        'echo ---grep',
        `grep -rl "${MARK}" /proc/[0-9]*/environ /tmp "$HOME" "$PWD" 2>/dev/null; echo "grep-exit=$?"`,
        // the same grep does find a canary, so the one above really searched
        `echo "${MARK}-canary" > /tmp/canary; grep -rl "${MARK}" /tmp; rm /tmp/canary`,
        'echo ---fds; test -e /proc/self/fd/5 && echo fd5=open || echo fd5=closed',
      ].join('\n'),
    );
    expect(r.exitCode).toBe(0);
    const [envPart, rest] = r.stdout.split('---proc\n') as [string, string];
    const [procPart, grepAndFds] = rest.split('---grep\n') as [string, string];
    const env = Object.fromEntries(envPart.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(envPart).not.toContain(MARK);
    for (const n of ['GH_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'NPM_TOKEN', 'SSH_AUTH_SOCK', 'TMUX']) expect(env, n).not.toHaveProperty(n);
    expect(env.GITHUB_TOKEN).toBe('omni-placeholder-gh');
    expect(env.ANTHROPIC_API_KEY).toBe('omni-placeholder-anthropic');
    expect(env.HTTPS_PROXY).toBe(`http://127.0.0.1:${PORT}`);
    expect(env.TMPDIR).toBe('/tmp');
    expect(env.TERM).toBe('xterm-256color');
    expect(env.LANG).toBe('C.UTF-8');
    expect(dropped).toEqual(expect.arrayContaining(['GH_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'SSH_AUTH_SOCK', 'TMUX']));

    // bwrap is PID 1 here and its environ is readable: it holds only what `env -i` gave it.
    expect(procPart).not.toContain(MARK);
    expect(procPart).not.toContain('GH_TOKEN');
    expect(procPart).toMatch(/^\/proc\/1\/environ=TERM=xterm-256color PATH=\/usr\/local\/bin:\/usr\/bin:\/bin $/m);
    const [grepPart, fds] = grepAndFds.split('---fds\n') as [string, string];
    expect(grepPart).toBe('grep-exit=1\n/tmp/canary\n');
    // bwrap read the seccomp program and closed its fd.
    expect(fds).toBe('fd5=closed');
  });

  it('hides $HOME and OMNI_HOME except what the plan binds back', async () => {
    const files = ['.ssh/id_rsa', '.aws/credentials', '.config/gh/hosts.yml', '.git-credentials', '.bash_history'].map((f) => path.join(home, f));
    const r = await sandboxed(
      [
        ...files.map((f) => `cat ${shQuote(f)} >/dev/null 2>&1 && echo "READABLE ${f}"`),
        `cat ${shQuote(path.join(omniHome, 'state', 'key.pem'))} >/dev/null 2>&1 && echo READABLE-key`,
        'echo "home: $(ls -A "$HOME" | tr "\\n" " ")"',
        `echo "omni: $(find ${shQuote(omniHome)} | sort | tr "\\n" " ")"`,
        'echo "nvm: $(ls -A "$HOME/.nvm/versions/node/v20")"',
        'echo "tool: $(cat "$HOME/.nvm/versions/node/v20/bin/tool")"',
        'echo "run: $(ls -A /run)"',
        'true',
      ].join('\n'),
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toContain('READABLE');
    // Binds under the tmpfs $HOME work even where their parents do not exist there (.nvm/…);
    // missing optional paths (.missing-state, .local/share/not-there) are skipped, not created.
    expect(r.stdout).toContain('home: .claude .claude.json .nvm \n');
    expect(r.stdout).toContain('nvm: bin\n');
    expect(r.stdout).toContain('tool: tool-bytes\n');
    expect(r.stdout).toContain(`omni: ${omniHome} ${omniHome}/run ${omniHome}/run/agent ${agentDir} ${agentDir}/ca.pem ${agentDir}/hook.sock ${agentDir}/proxy.sock \n`);
    expect(r.stdout).toMatch(/^run: $/m);
  });

  it('writes only to cwd and the writable paths; $HOME is an ephemeral tmpfs; the agent dir, readables, / and outside are read-only', async () => {
    const tryWrite = (label: string, file: string) => `(echo x > ${shQuote(file)}) 2>/dev/null && echo "${label}=ok" || echo "${label}=fail"`;
    const r = await sandboxed(
      [
        tryWrite('cwd', path.join(cwd, 'made-inside.txt')),
        tryWrite('claude', path.join(home, '.claude', 'new.json')),
        `echo '{"b":2}' >> ${shQuote(path.join(home, '.claude.json'))} && echo claudejson=ok`,
        tryWrite('home', path.join(home, 'dropped-in-home')),
        tryWrite('outside', path.join(outside, 'x')),
        tryWrite('etc', '/etc/omni-sbx-test'),
        tryWrite('agent', path.join(agentDir, 'x')),
        tryWrite('readable', path.join(home, '.nvm/versions/node/v20/bin/tool')),
        tryWrite('tmp', '/tmp/x'),
        tryWrite('shm', '/dev/shm/x'),
      ].join('\n'),
    );
    expect(r.stdout.trim().split('\n')).toEqual([
      'cwd=ok', 'claude=ok', 'claudejson=ok', 'home=ok', 'outside=fail', 'etc=fail', 'agent=fail', 'readable=fail', 'tmp=ok', 'shm=ok',
    ]);
    expect(fs.readFileSync(path.join(cwd, 'made-inside.txt'), 'utf8')).toBe('x\n');
    expect(fs.existsSync(path.join(home, '.claude', 'new.json'))).toBe(true);
    expect(fs.readFileSync(path.join(home, '.claude.json'), 'utf8')).toBe('{"a":1}\n{"b":2}\n');
    expect(fs.existsSync(path.join(home, 'dropped-in-home'))).toBe(false);
    expect(fs.readdirSync(home).sort()).toEqual(['.aws', '.bash_history', '.claude', '.claude.json', '.config', '.git-credentials', '.nvm', '.ssh']);
    expect(fs.existsSync('/etc/omni-sbx-test')).toBe(false);
    expect(fs.readdirSync(outside)).toEqual(['file.txt']);
    expect(fs.readFileSync(path.join(home, '.nvm/versions/node/v20/bin/tool'), 'utf8')).toBe('tool-bytes');
  });

  it('reaches only its own hook socket (on a read-only bind); the control, tmux, other sessions and abstract sockets are out of reach', async () => {
    const before = hookHits;
    const curl = (label: string, sock: string) => `curl -sS --max-time 5 --unix-socket ${shQuote(sock)} http://x/ 2>/dev/null; echo " ${label}=$?"`;
    const r = await sandboxed(
      [
        curl('own', path.join(agentDir, 'hook.sock')),
        curl('control', path.join(omniHome, 'run', 'omni.sock')),
        curl('other', path.join(otherDir, 'hook.sock')),
        `test -e ${shQuote(path.join(omniHome, 'run', 'tmux.sock'))} && echo tmux=visible || echo tmux=absent`,
        `python3 -c 'import socket,sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(("\\0" + sys.argv[1]).ljust(108, "\\0")); print("abstract=reached")
except OSError as e:
    print("abstract=" + type(e).__name__)' ${shQuote(abstractName.slice(1))}`,
      ].join('\n'),
    );
    expect(r.stdout).toContain('hook-ok own=0\n');
    expect(hookHits).toBe(before + 1);
    expect(r.stdout).toContain(' control=7\n');
    expect(r.stdout).toContain(' other=7\n');
    expect(r.stdout).toContain('tmux=absent\n');
    expect(r.stdout).not.toContain('abstract=reached');
    expect(r.stdout).toMatch(/abstract=\w+Error/);
  });

  it('the abstract-socket probe does reach the host socket outside the sandbox', async () => {
    // Control for the test above: the probe is right, only the network namespace stops it.
    const r = await execa('python3', ['-c', 'import socket,sys\ns = socket.socket(socket.AF_UNIX)\ns.connect(("\\0" + sys.argv[1]).ljust(108, "\\0")); print(s.recv(100).decode())', abstractName.slice(1)]);
    expect(r.stdout).toBe('abstract');
  });

  it('still reaches the hook socket after the daemon re-creates it (the directory is bound, not the socket file)', async () => {
    const sock = path.join(agentDir, 'hook.sock');
    const flag = path.join(cwd, 'restarted');
    const probe = `curl -sS --unix-socket ${shQuote(sock)} http://x/; echo; i=0; while [ ! -e ${shQuote(flag)} ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; curl -sS --unix-socket ${shQuote(sock)} http://x/`;
    const old = servers.find((s) => s.address() === sock)!;
    const firstHit = new Promise<void>((resolve) => old.once('request', () => resolve()));
    const run = sandboxed(probe);
    await firstHit;
    await new Promise((r) => old.close(r));
    fs.rmSync(sock, { force: true });
    await listen(answer('hook-restarted'), sock);
    fs.writeFileSync(flag, '');
    const r = await run;
    expect(r.stdout).toBe('hook-ok\nhook-restarted');
  });

  it('cannot undo its mounts, create namespaces, or use the denied syscalls', async () => {
    const r = await sandboxed(
      [
        'mount -o remount,rw / 2>/dev/null && echo remount=ok || echo remount=fail',
        'umount "$HOME" 2>/dev/null && echo umount=ok || echo umount=fail',
        'umount -l /tmp 2>/dev/null && echo umount-tmp=ok || echo umount-tmp=fail',
        `cat ${shQuote(path.join(home, '.ssh/id_rsa'))} >/dev/null 2>&1 && echo ssh=readable || echo ssh=hidden`,
        'unshare -Urm true 2>/dev/null && echo unshare=ok || echo unshare=fail',
        'grep CapEff /proc/self/status',
      ].join('\n'),
    );
    expect(r.stdout).toBe('remount=fail\numount=fail\numount-tmp=fail\nssh=hidden\nunshare=fail\nCapEff:\t0000000000000000');
  });

  /** Calls each denied syscall with harmless arguments and prints name=OK or the errno name. */
  const syscallProbe = () => {
    const nr = (n: string) => DENIED_SYSCALLS[n]![process.arch as 'x64' | 'arm64'];
    const calls: Array<[string, number, number[]]> = [
      ['ptrace', nr('ptrace'), [0 /* PTRACE_TRACEME */, 0, 0, 0]],
      ['keyctl', nr('keyctl'), [0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0]],
      ['add_key', nr('add_key'), [0, 0, 0, 0, 0]],
      ['bpf', nr('bpf'), [0, 0, 0]],
      ['userfaultfd', nr('userfaultfd'), [0]],
      ['io_uring_setup', nr('io_uring_setup'), [1, 0]],
      ['unshare', nr('unshare'), [0 /* no flags: a no-op when allowed */]],
      ['perf_event_open', nr('perf_event_open'), [0, 0, -1, -1, 0]],
    ];
    const py = [
      'import ctypes, errno',
      'libc = ctypes.CDLL(None, use_errno=True)',
      'libc.syscall.restype = ctypes.c_long',
      ...calls.map(([name, n, args]) =>
        `r = libc.syscall(${[n, ...args].map((a) => `ctypes.c_long(${a})`).join(', ')}); print("${name}=" + ("OK" if r >= 0 else errno.errorcode[ctypes.get_errno()]))`,
      ),
    ].join('\n');
    return `python3 -c ${shQuote(py)}`;
  };
  // key=value pairs anywhere in the output (on a tty, an injected or echoed character may precede them)
  const parse = (out: string) => Object.fromEntries([...out.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));

  it('seccomp: the denied syscalls fail with EPERM, and only because of the filter', async () => {
    const filtered = parse((await sandboxed(syscallProbe())).stdout);
    for (const n of ['ptrace', 'keyctl', 'add_key', 'bpf', 'userfaultfd', 'io_uring_setup', 'unshare', 'perf_event_open']) expect(filtered[n], n).toBe('EPERM');
    const control = parse((await sandboxed(syscallProbe(), { seccomp: allowAll })).stdout);
    expect(control.ptrace).toBe('OK');
    expect(control.unshare).toBe('OK');
    expect(control.keyctl).not.toBe('EPERM');
    expect(control.add_key).not.toBe('EPERM'); // EFAULT/EINVAL from the kernel proper
  });

  it('on a real tty: TIOCSTI is refused (EPERM), the pane stays the controlling tty and SIGWINCH arrives', async () => {
    const py = [
      'import fcntl, termios, signal, struct, time, errno, os',
      'got = []',
      'signal.signal(signal.SIGWINCH, lambda *a: got.append(1))',
      'try:',
      '    fcntl.ioctl(0, termios.TIOCSTI, b"#")',
      '    print("TIOCSTI=OK")',
      'except OSError as e:',
      '    print("TIOCSTI=" + errno.errorcode[e.errno])',
      'fd = os.open("/dev/tty", os.O_RDWR); print("devtty=OK")',
      'fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 111, 0, 0))',
      'time.sleep(0.3)',
      'print("SIGWINCH=%d" % len(got))',
      'print("size=%d,%d" % os.get_terminal_size(0))',
    ].join('\n');
    const probe = `python3 -c ${shQuote(py)}`;
    const out = parse((await sandboxed(probe, { tty: true })).stdout.replace(/\r/g, ''));
    expect(out).toEqual({ TIOCSTI: 'EPERM', devtty: 'OK', SIGWINCH: '1', size: '111,33' });

    // Control: without the filter TIOCSTI works here (when the kernel still allows it at all),
    // so the EPERM above is the filter's doing, not the dropped capabilities'.
    const legacy = fs.existsSync('/proc/sys/dev/tty/legacy_tiocsti') ? fs.readFileSync('/proc/sys/dev/tty/legacy_tiocsti', 'utf8').trim() : '1';
    const control = parse((await sandboxed(probe, { tty: true, seccomp: allowAll })).stdout.replace(/\r/g, ''));
    expect(control.TIOCSTI).toBe(legacy === '1' ? 'OK' : 'EPERM');
  });

  it('has no network but loopback; the forwarder reaches the proxy on the session socket, ready before the harness starts', async () => {
    const before = proxied.length;
    const r = await sandboxed(
      [
        // first thing the "harness" does, no retry: the launcher waited for the forwarder
        `curl -sS --max-time 5 -x http://127.0.0.1:${PORT} http://example.test/first; echo " first=$?"`,
        // via the environment, as the CLIs do it
        'curl -sS --max-time 5 http://example.test/env; echo " env=$?"',
        // one broken connection does not take the forwarder down
        'curl -sS --max-time 5 http://example.test/boom 2>/dev/null; echo " boom=$?"',
        'curl -sS --max-time 5 http://example.test/after; echo " after=$?"',
        `curl -sS --max-time 3 --noproxy '*' http://127.0.0.1:${hostPort}/ 2>/dev/null; echo " direct=$?"`,
        `curl -sS --max-time 3 --noproxy '*' http://example.com/ 2>/dev/null; echo " dns=$?"`,
        'echo "ifaces: $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | tr "\\n" " ")"',
      ].join('\n'),
      { proxy: true },
    );
    expect(r.stdout).toContain('proxied GET http://example.test/first first=0\n');
    expect(r.stdout).toContain('proxied GET http://example.test/env env=0\n');
    expect(r.stdout).toMatch(/ boom=(52|56)\n/);
    expect(r.stdout).toContain('proxied GET http://example.test/after after=0\n');
    expect(r.stdout).toMatch(/ direct=7\n/);
    expect(r.stdout).toMatch(/ dns=6\n/);
    expect(r.stdout).toMatch(/^ifaces: lo $/m);
    expect(proxied.slice(before)).toEqual(['GET http://example.test/first', 'GET http://example.test/env', 'GET http://example.test/boom', 'GET http://example.test/after']);
  });

  it('the forwarder does not keep the sandbox alive, and starts reliably', async () => {
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      const r = await sandboxed(`curl -sS --max-time 5 http://example.test/run${i}`, { proxy: true });
      expect(r.stdout).toBe(`proxied GET http://example.test/run${i}`);
      expect(r.exitCode).toBe(0);
      expect(Date.now() - started).toBeLessThan(5000);
    }
  });
});
