import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Duplex } from 'node:stream';
import { ExitCode, OmniError } from '../core/errors.js';
import { ensurePrivateDir } from '../core/fsutil.js';
import type { OmniPaths } from '../core/paths.js';

/**
 * The ssh transport of remote hosts (docs/REMOTE.md): the user's own `ssh` binary (their config,
 * keys, agent, ProxyJump) runs `omni daemon bridge` on the host, and HTTP/1.1 is spoken over its
 * stdio. Nothing here does crypto or opens a port; the remote socket is only ever reached by the
 * remote user's own bridge process.
 */
export interface SshHost {
  name: string;
  url: string;
  omni?: string;
  home?: string;
}

export interface SshTarget {
  /** `[user@]host`: what ssh is given (a Host alias of ~/.ssh/config works). */
  dest: string;
  port?: number;
}

/** `ssh://[user@]host[:port]` → ssh's destination and port; anything else is a clear error. */
export function parseSshUrl(url: string): SshTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new OmniError(`not a URL: ${url} (expected ssh://[user@]host[:port] or unix:///path/omni.sock)`, 'bad_request');
  }
  if (u.protocol !== 'ssh:') throw new OmniError(`not an ssh:// URL: ${url}`, 'bad_request');
  if (!u.hostname) throw new OmniError(`${url}: no host`, 'bad_request');
  if ((u.pathname && u.pathname !== '/') || u.search || u.hash || u.password) throw new OmniError(`${url}: only ssh://[user@]host[:port] is understood`, 'bad_request');
  const user = decodeURIComponent(u.username);
  // A leading '-' would be read by ssh as an option.
  if (u.hostname.startsWith('-') || user.startsWith('-')) throw new OmniError(`${url}: a host or user may not start with '-'`, 'bad_request');
  return { dest: user ? `${user}@${u.hostname}` : u.hostname, port: u.port ? Number(u.port) : undefined };
}

/** A word as the remote POSIX shell reads it back unchanged. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The remote command line: `[env OMNI_HOME=…] <omni> <argv…>`. The host's `omni` is a command the
 * user wrote (it may be `node /opt/omni/bin/omni.js`), so it is passed as written; argv is quoted.
 */
export function remoteCommand(host: SshHost, argv: string[]): string {
  const omni = host.omni?.trim() || 'omni';
  const env = host.home ? `env OMNI_HOME=${shellQuote(host.home)} ` : '';
  return `${env}${omni} ${argv.map(shellQuote).join(' ')}`;
}

/**
 * ssh's arguments before the remote command. Connection sharing (ControlMaster) makes every
 * request after the first skip the handshake; OMNI_SSH_CONTROL=no leaves it to ~/.ssh/config
 * (options given here win over the config file, so that is how the user's own settings apply).
 */
export function sshArgs(host: SshHost, paths: OmniPaths, opts: { tty: boolean; env?: NodeJS.ProcessEnv }): string[] {
  const t = parseSshUrl(host.url);
  const control = (opts.env ?? process.env).OMNI_SSH_CONTROL;
  const share = control !== 'no' && control !== '0' && control !== 'false';
  return [
    opts.tty ? '-t' : '-T',
    ...(share ? ['-o', 'ControlMaster=auto', '-o', `ControlPath=${path.join(paths.runDir, 'ssh-%C')}`, '-o', 'ControlPersist=60'] : []),
    ...(t.port ? ['-p', String(t.port)] : []),
    t.dest,
    '--',
  ];
}

/** The full argv of `ssh … host -- omni <argv>`. */
export function sshArgv(host: SshHost, paths: OmniPaths, argv: string[], opts: { tty: boolean; env?: NodeJS.ProcessEnv }): string[] {
  return [...sshArgs(host, paths, opts), remoteCommand(host, argv)];
}

/** The ssh binary: OMNI_SSH (tests, wrappers) or `ssh` on PATH. */
export function sshBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env.OMNI_SSH || 'ssh';
}

/**
 * A connector for OmniClient: each call runs one `ssh … omni daemon bridge` and gives its stdio
 * as one duplex stream (one HTTP exchange). ssh failing before the bridge said anything becomes
 * an OmniError naming the host and quoting ssh's stderr.
 */
export function sshConnector(host: SshHost, paths: OmniPaths): () => Duplex {
  return () => {
    // The ControlPath's directory must exist, or ssh fails ("cannot bind to path").
    ensurePrivateDir(paths.runDir);
    const child = spawn(sshBinary(), sshArgv(host, paths, ['daemon', 'bridge'], { tty: false }), { stdio: ['pipe', 'pipe', 'pipe'] });
    return new SshStream(child, host);
  };
}

/** The stdio of one ssh child as a duplex; destroying it ends the child. */
class SshStream extends Duplex {
  private received = false;
  private stderr = '';

  constructor(
    private readonly child: ChildProcess,
    private readonly host: SshHost,
  ) {
    super();
    const out = child.stdout!;
    out.on('data', (d: Buffer) => {
      this.received = true;
      if (!this.push(d)) out.pause();
    });
    child.stderr!.on('data', (d: Buffer) => {
      if (this.stderr.length < 4000) this.stderr += d.toString('utf8');
    });
    child.stdin!.on('error', () => {}); // ssh gone: its exit says why
    child.on('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'ENOENT' ? `${sshBinary()} not found: omni reaches remote hosts with OpenSSH's ssh client, install it` : err.message;
      this.destroy(new OmniError(`host ${host.name}: ${why}`, 'daemon_unreachable', ExitCode.daemonUnreachable));
    });
    child.on('close', (code, signal) => {
      if (this.destroyed) return;
      if (code === 0 || this.received) return void this.push(null);
      this.destroy(sshFailure(this.host, code, signal, this.stderr));
    });
  }

  override _read(): void {
    this.child.stdout?.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.child.stdin?.writable) this.child.stdin.write(chunk, () => cb());
    else cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.child.stdin?.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill();
    cb(err);
  }

  // What node:http and unixRequest may call on a socket; a pipe has no such knobs.
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  setTimeout(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
}

/** Why ssh (or the remote omni) ended without an answer, in words naming the host. */
export function sshFailure(host: SshHost, code: number | null, signal: NodeJS.Signals | null, stderr: string): OmniError {
  const said = stderr.trim().split('\n').slice(-3).join(' / ');
  const omni = host.omni?.trim() || 'omni';
  if (code === 127 || /command not found|: not found|No such file or directory/.test(said) && code !== 255) {
    return new OmniError(`${omni} not found on ${host.name}: install it there (or give its path: omni hosts add ${host.name} ${host.url} --omni PATH)${said ? ` (${said})` : ''}`, 'daemon_unreachable', ExitCode.daemonUnreachable);
  }
  if (/unknown command 'bridge'/.test(said)) {
    return new OmniError(`the ${omni} on ${host.name} has no \`daemon bridge\` (an older omni): update it there`, 'daemon_unreachable', ExitCode.daemonUnreachable);
  }
  const how = signal ? `was killed (${signal})` : code === 255 ? 'failed' : `ended with code ${code}`;
  return new OmniError(`cannot reach host ${host.name} (${host.url}): ssh ${how}${said ? `: ${said}` : ''}`, 'daemon_unreachable', ExitCode.daemonUnreachable);
}
