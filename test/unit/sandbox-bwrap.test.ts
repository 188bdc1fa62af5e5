import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bwrapArgs, FORWARDER_READY_FILE, innerCommand, sandboxLaunchScript, type SandboxPlan } from '../../src/sandbox/bwrap.js';

/** Pairs `flag a b` → index of each occurrence of `flag` with its operands. */
function occurrences(argv: string[], flag: string, arity: number): Array<{ at: number; ops: string[] }> {
  const out: Array<{ at: number; ops: string[] }> = [];
  argv.forEach((a, i) => {
    if (a === flag) out.push({ at: i, ops: argv.slice(i + 1, i + 1 + arity) });
  });
  return out;
}

describe('bwrapArgs', () => {
  let dir: string;
  let plan: SandboxPlan;

  beforeAll(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'omni-sbx-unit-')));
    for (const d of ['home/.claude', 'omni/run/agent/S', 'work', 'omni-cfg']) fs.mkdirSync(path.join(dir, d), { recursive: true });
    plan = {
      home: path.join(dir, 'home'),
      hide: [path.join(dir, 'omni'), path.join(dir, 'missing-hidden')],
      cwd: path.join(dir, 'work'),
      writable: [path.join(dir, 'home/.claude'), path.join(dir, 'home/.claude.json')],
      readable: [path.join(dir, 'home/.nvm/versions/node/v20/bin'), path.join(dir, 'home/.claude/agents')],
      agentDir: path.join(dir, 'omni/run/agent/S'),
      env: { PATH: '/usr/bin:/bin', HOME: path.join(dir, 'home'), TERM: 'xterm-256color' },
      command: 'claude',
      args: ['--model', 'x y'],
      seccomp: path.join(dir, 'seccomp.bpf'),
    };
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('starts with the bwrap path, drops capabilities, loads seccomp from fd 5 and unshares everything but the user', () => {
    const argv = bwrapArgs(plan, '/usr/bin/bwrap');
    expect(argv.slice(0, 12)).toEqual([
      '/usr/bin/bwrap', '--cap-drop', 'ALL', '--seccomp', '5',
      '--unshare-net', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--die-with-parent', '--ro-bind', '/',
    ]);
    expect(argv).not.toContain('--new-session');
    expect(argv).not.toContain('--share-net');
    expect(argv.slice(12, 24)).toEqual(['/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', '--tmpfs', '/run', '--tmpfs', '/dev/shm', '--tmpfs']);
  });

  it('hides $HOME and the extra trees with a tmpfs before any bind, and skips hidden trees that do not exist', () => {
    const argv = bwrapArgs(plan);
    const tmpfs = occurrences(argv, '--tmpfs', 1).map((o) => o.ops[0]);
    expect(tmpfs).toEqual(['/tmp', '/run', '/dev/shm', plan.home, plan.hide[0]]);
    const binds = argv.map((a, i) => (/^--(ro-)?bind(-try)?$/.test(a) && argv[i + 1] !== '/' ? i : -1)).filter((i) => i >= 0);
    expect(binds.length).toBe(6); // cwd, 2 writable, 2 readable, agentDir
    for (const i of binds) expect(i).toBeGreaterThan(argv.lastIndexOf('--tmpfs'));
  });

  it('binds cwd and agentDir strictly, optional paths with -try, each after its parent', () => {
    const argv = bwrapArgs(plan);
    expect(occurrences(argv, '--bind', 2).map((o) => o.ops)).toEqual([[plan.cwd, plan.cwd]]);
    expect(occurrences(argv, '--ro-bind', 2).map((o) => o.ops)).toEqual([['/', '/'], [plan.agentDir, plan.agentDir]]);
    const rw = occurrences(argv, '--bind-try', 2);
    const ro = occurrences(argv, '--ro-bind-try', 2);
    expect(rw.map((o) => o.ops[0])).toEqual([path.join(dir, 'home/.claude'), path.join(dir, 'home/.claude.json')]);
    expect(ro.map((o) => o.ops[0]).sort()).toEqual([path.join(dir, 'home/.claude/agents'), path.join(dir, 'home/.nvm/versions/node/v20/bin')]);
    // A read-only path inside a writable one comes later, so it stays read-only.
    const agents = ro.find((o) => o.ops[0]!.endsWith('agents'))!;
    expect(agents.at).toBeGreaterThan(rw[0]!.at);
  });

  it('at the same path: read-write wins over read-only, the agent dir stays read-only, duplicates collapse', () => {
    const p = { ...plan, writable: [plan.cwd, plan.agentDir, path.join(dir, 'x')], readable: [path.join(dir, 'x'), plan.cwd] };
    const argv = bwrapArgs(p);
    expect(argv.filter((a) => a === plan.cwd)).toHaveLength(3); // --bind cwd cwd + --chdir cwd
    expect(occurrences(argv, '--bind', 2)).toHaveLength(1);
    expect(occurrences(argv, '--ro-bind', 2).map((o) => o.ops[0])).toContain(plan.agentDir);
    expect(occurrences(argv, '--bind-try', 2).map((o) => o.ops[0])).toEqual([path.join(dir, 'x')]);
    expect(occurrences(argv, '--ro-bind-try', 2)).toHaveLength(0);
  });

  it('passes the environment only through --clearenv + --setenv, after the mounts', () => {
    const argv = bwrapArgs(plan);
    const clear = argv.indexOf('--clearenv');
    expect(clear).toBeGreaterThan(argv.indexOf('--chdir'));
    expect(occurrences(argv, '--setenv', 2).map((o) => o.ops)).toEqual(Object.entries(plan.env));
    for (const o of occurrences(argv, '--setenv', 2)) expect(o.at).toBeGreaterThan(clear);
    expect(argv.slice(-3)).toEqual(['claude', '--model', 'x y']);
    expect(argv[argv.indexOf('--chdir') + 1]).toBe(plan.cwd);
  });

  it('refuses a missing cwd, relative paths and bad variable names', () => {
    expect(() => bwrapArgs({ ...plan, cwd: path.join(dir, 'nope') })).toThrow(/cwd .* does not exist/);
    expect(() => bwrapArgs({ ...plan, readable: ['rel/path'] })).toThrow(/absolute/);
    expect(() => bwrapArgs({ ...plan, env: { 'A=B': '1' } })).toThrow(/invalid variable/);
  });

  it('with a proxy, starts the forwarder, waits for its ready file, then execs the harness with its args intact', async () => {
    const p: SandboxPlan = { ...plan, args: ['it\'s', '$HOME', ''], proxy: { socket: path.join(plan.agentDir, 'proxy.sock'), port: 3128, forwarder: '/opt/omni pkg/dist/sandbox/forwarder.js', node: '/usr/bin/node' } };
    const inner = innerCommand(p);
    expect(inner.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(inner.slice(3)).toEqual(['sh', 'claude', 'it\'s', '$HOME', '']);
    expect(inner[2]).toContain(`/usr/bin/node '/opt/omni pkg/dist/sandbox/forwarder.js' 3128 ${p.proxy!.socket} ${FORWARDER_READY_FILE} </dev/null >/dev/null &`);
    expect(inner[2]).toMatch(/exec "\$@"$/);
    expect(bwrapArgs(p).slice(-inner.length)).toEqual(inner);
    // The forwarder and node are bound read-only even inside a hidden tree (a checkout under /tmp, node under ~/.nvm).
    const hiddenFwd = path.join(plan.home, 'src/omni/dist/sandbox/forwarder.js');
    const withHidden = bwrapArgs({ ...p, proxy: { ...p.proxy!, forwarder: hiddenFwd, node: path.join(plan.home, '.nvm/bin/node') } });
    const ro = occurrences(withHidden, '--ro-bind-try', 2).map((o) => o.ops[0]);
    expect(ro).toEqual(expect.arrayContaining([path.dirname(hiddenFwd), path.join(plan.home, '.nvm/bin')]));

    // Run the wrapper for real with a fake forwarder that creates the ready file after a delay.
    const fwd = path.join(dir, 'fake-fwd.js');
    const ready = path.join(dir, 'ready');
    fs.writeFileSync(fwd, `setTimeout(() => require('fs').writeFileSync(${JSON.stringify(ready)}, ''), 200);`);
    const script = inner[2]!.replaceAll(FORWARDER_READY_FILE, ready).replace(shq('/opt/omni pkg/dist/sandbox/forwarder.js'), fwd).replace('/usr/bin/node', process.execPath);
    const started = Date.now();
    const r = await execa('/bin/sh', ['-c', script, 'sh', 'sh', '-c', `test -e ${ready} && printf '%s|' "$@"`, 'x', 'a b', '"q"'], { reject: false });
    expect(r.stdout).toBe('a b|"q"|');
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });
});

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

describe('sandboxLaunchScript', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'omni-sbx-unit-')));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A stand-in for bwrap that records its argv (NUL-separated), environment and fd 5. */
  function fakeBwrap(): { bin: string; out: string } {
    const out = path.join(dir, 'out');
    const bin = path.join(dir, 'fake bwrap');
    fs.writeFileSync(bin, `#!/bin/sh\nprintf '%s\\0' "$@" > '${out}.argv'\nenv > '${out}.env'\ncat <&5 > '${out}.fd5'\n`, { mode: 0o755 });
    return { bin, out };
  }

  it('survives nasty paths and values, deletes itself, and starts bwrap under env -i with the seccomp file on fd 5', async () => {
    const nasty = path.join(dir, `we"ird 'dir' $(touch pwned) \`x\` \\ ;&|`);
    for (const d of ['home', 'omni/run/agent/S', 'work dir']) fs.mkdirSync(path.join(nasty, d), { recursive: true });
    const seccomp = path.join(nasty, 'sec comp.bpf');
    fs.writeFileSync(seccomp, 'BPF');
    const plan: SandboxPlan = {
      home: path.join(nasty, 'home'),
      hide: [path.join(nasty, 'omni')],
      cwd: path.join(nasty, 'work dir'),
      writable: [],
      readable: [path.join(nasty, 'home', "it's")],
      agentDir: path.join(nasty, 'omni/run/agent/S'),
      env: { HOME: path.join(nasty, 'home'), MULTI: 'line1\nline2 $HOME `id` "q"', EMPTY: '' },
      command: '/bin/echo',
      args: ['$(id)', "a'b", '--', ''],
      seccomp,
    };
    const { bin, out } = fakeBwrap();
    const text = sandboxLaunchScript(plan, bin);
    expect(text.startsWith('#!/bin/sh\n')).toBe(true);
    expect(text).toContain('rm -f "$0"');
    expect(text).not.toContain('--new-session');
    const file = path.join(dir, 'launch.sh');
    fs.writeFileSync(file, text);
    const r = await execa('sh', [file], { cwd: dir, reject: false, extendEnv: false, env: { TERM: 'screen-256color', GH_TOKEN: 'REAL-SECRET', PATH: process.env.PATH ?? '' } });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.existsSync(path.join(dir, 'pwned'))).toBe(false);

    const argv = fs.readFileSync(`${out}.argv`, 'utf8').split('\0').slice(0, -1);
    // The plan has no TERM, so the pane's is added right after the plan's variables.
    const expected = bwrapArgs(plan, bin).slice(1);
    const at = expected.lastIndexOf('--setenv') + 3;
    expect(argv).toEqual([...expected.slice(0, at), '--setenv', 'TERM', 'screen-256color', ...expected.slice(at)]);
    // Only what env -i set (plus what sh itself adds, like PWD): no GH_TOKEN for bwrap's /proc/1/environ.
    const env = fs.readFileSync(`${out}.env`, 'utf8').split('\n').filter((l) => l && !/^(PWD|OLDPWD|SHLVL|_)=/.test(l)).sort();
    expect(env).toEqual(['PATH=/usr/local/bin:/usr/bin:/bin', 'TERM=screen-256color']);
    expect(fs.readFileSync(`${out}.fd5`, 'utf8')).toBe('BPF');
  });

  it('keeps the plan\'s TERM instead of the pane\'s', () => {
    fs.mkdirSync(path.join(dir, 'w'), { recursive: true });
    const text = sandboxLaunchScript({
      home: path.join(dir, 'nohome'), hide: [], cwd: path.join(dir, 'w'), writable: [], readable: [], agentDir: path.join(dir, 'w'),
      env: { TERM: 'dumb' }, command: 'true', args: [], seccomp: path.join(dir, 's'),
    });
    expect(text).not.toContain('--setenv TERM "');
    expect(text).toContain('--setenv TERM dumb');
  });
});
