import net from 'node:net';
import { startDaemon } from '../../client/daemon-control.js';
import { ExitCode, OmniError } from '../../core/errors.js';
import { paths } from '../context.js';

/**
 * `omni daemon bridge`: this process's stdin/stdout joined to the local control socket, one
 * connection, until either side closes. It is what a remote client's `ssh host omni daemon
 * bridge` runs (docs/REMOTE.md): the daemon is reached as the ssh login's own user, through its
 * own socket, and never through a TCP port. The daemon is started first if it is not running.
 */
export async function daemonBridge(): Promise<number> {
  const p = paths();
  let sock: net.Socket;
  try {
    sock = await open(p.socket);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ECONNREFUSED') throw bridgeError(p.socket, err as Error);
    await startDaemon(p);
    sock = await open(p.socket).catch((e: Error) => Promise.reject(bridgeError(p.socket, e)));
  }
  return new Promise((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      sock.destroy();
      process.stdin.destroy();
      // stdout to a pipe is written synchronously on Linux; the callback runs once it is out.
      process.stdout.write('', () => resolve(ExitCode.ok));
    };
    process.stdin.on('data', (d: Buffer) => sock.write(d));
    sock.on('data', (d: Buffer) => {
      if (!process.stdout.write(d)) {
        sock.pause();
        process.stdout.once('drain', () => sock.resume());
      }
    });
    // Either side gone (the client's ssh killed, the daemon done answering) ends the bridge.
    process.stdin.on('end', finish);
    process.stdin.on('close', finish);
    process.stdout.on('error', finish);
    sock.on('end', finish);
    sock.on('close', finish);
    sock.on('error', finish);
  });
}

function open(socket: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(socket);
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

function bridgeError(socket: string, err: Error): OmniError {
  return new OmniError(`omni daemon bridge: cannot reach the daemon on ${socket}: ${err.message}`, 'daemon_unreachable', ExitCode.daemonUnreachable);
}
