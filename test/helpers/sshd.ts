import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ensureUnixUser, userTempDir, type UnixUser } from './unix-user.js';

/**
 * A real OpenSSH server on loopback for the remote-host tests (issue 17): `/usr/sbin/sshd -D -e`
 * with a config, host key and user key made per run, admitting only `user` by public key. The
 * client side is the real `ssh` with a ~/.ssh/config the test writes (`clientConfig`): what a
 * user of `omni hosts add NAME ssh://alias` has. Needs root (sshd, a second Unix user).
 */
export interface Sshd {
  port: number;
  user: UnixUser;
  dir: string;
  /** Host key line for known_hosts and the client's private key. */
  knownHosts: string;
  identity: string;
  /** A ~/.ssh/config block: `Host <alias>` → 127.0.0.1:port as `user`, host key checked. */
  clientConfig(alias: string): string;
  proc: ChildProcess;
  log(): string;
  stop(): Promise<void>;
}

export const SSHD = '/usr/sbin/sshd';

export function canRunSshd(): boolean {
  return process.getuid?.() === 0 && fs.existsSync(SSHD) && fs.existsSync('/usr/bin/ssh') && fs.existsSync('/usr/bin/ssh-keygen');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Start sshd for `userName` (created if need be). `setEnv`: variables every login gets (sshd's
 * SetEnv: the remote machine's own configuration, e.g. PATH and the fake model's URL).
 */
export async function startSshd(userName: string, setEnv: Record<string, string> = {}): Promise<Sshd> {
  const user = ensureUnixUser(userName);
  // A fresh useradd leaves the password field '!' (locked); without PAM, sshd refuses locked
  // accounts even for keys. '*' is "no password" but not locked.
  execFileSync('/usr/sbin/usermod', ['-p', '*', user.name], { stdio: 'pipe' });
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege-separation dir
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omsshd-'));
  fs.chmodSync(dir, 0o755);
  const keygen = (file: string) => execFileSync('/usr/bin/ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'omni-test', '-f', file], { stdio: 'pipe' });
  const hostKey = path.join(dir, 'host_ed25519');
  const identity = path.join(dir, 'id_ed25519');
  keygen(hostKey);
  keygen(identity);
  const authorized = path.join(dir, 'authorized_keys');
  fs.writeFileSync(authorized, fs.readFileSync(`${identity}.pub`));
  fs.chmodSync(authorized, 0o644);
  const port = await freePort();
  const env = Object.entries(setEnv).map(([k, v]) => `${k}=${v}`);
  const config = path.join(dir, 'sshd_config');
  fs.writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorized}`,
      'UsePAM no',
      'StrictModes no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      `AllowUsers ${user.name}`,
      'PermitRootLogin no',
      'LogLevel VERBOSE',
      ...(env.length ? [`SetEnv ${env.map((e) => (/\s|"/.test(e) ? JSON.stringify(e) : e)).join(' ')}`] : []),
      '',
    ].join('\n'),
  );
  const logFile = path.join(dir, 'sshd.log');
  const out = fs.openSync(logFile, 'a');
  const proc = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const log = () => fs.readFileSync(logFile, 'utf8');
  // Up when the port accepts.
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`sshd exited at start (${proc.exitCode}): ${log()}`);
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`sshd did not listen on ${port}: ${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const pub = fs.readFileSync(`${hostKey}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
  const knownHosts = `[127.0.0.1]:${port} ${pub}\n`;
  fs.writeFileSync(path.join(dir, 'known_hosts'), knownHosts);
  return {
    port,
    user,
    dir,
    knownHosts,
    identity,
    clientConfig: (alias) =>
      [
        `Host ${alias}`,
        '  HostName 127.0.0.1',
        `  Port ${port}`,
        `  User ${user.name}`,
        `  IdentityFile ${identity}`,
        '  IdentitiesOnly yes',
        `  UserKnownHostsFile ${path.join(dir, 'known_hosts')}`,
        '  StrictHostKeyChecking yes',
        '  BatchMode yes',
        '',
      ].join('\n'),
    proc,
    log,
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await new Promise((r) => proc.once('exit', r));
      }
      if (!process.env.OMNI_KEEP_TEST_DIRS) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * `omni` on the remote user's PATH: a wrapper running this checkout's bin/omni.js with this node,
 * in a directory `user` can read. Every component of the paths it needs must be traversable by
 * others, or the remote side could not run it: say which one is not.
 */
export function remoteOmniWrapper(user: UnixUser, repo: string): string {
  for (const p of [repo, path.join(repo, 'bin', 'omni.js'), path.join(repo, 'dist'), process.execPath]) checkTraversable(p);
  const dir = userTempDir(user, 'ombin-');
  fs.chmodSync(dir, 0o755);
  const wrapper = path.join(dir, 'omni');
  fs.writeFileSync(wrapper, `#!/bin/sh\nexec ${process.execPath} ${path.join(repo, 'bin', 'omni.js')} "$@"\n`);
  fs.chmodSync(wrapper, 0o755);
  return dir;
}

export function checkTraversable(p: string): void {
  const real = fs.realpathSync(p);
  let at = '/';
  for (const part of real.split('/').filter(Boolean)) {
    at = path.join(at, part);
    const st = fs.statSync(at);
    const need = st.isDirectory() ? 0o005 : 0o004;
    if ((st.mode & need) !== need) throw new Error(`${at} is not readable/traversable by other users (mode ${(st.mode & 0o777).toString(8)}); the remote-host test's second user must reach ${real}`);
  }
}
