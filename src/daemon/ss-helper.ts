import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';

interface Ask {
  end: string;
  resolve: (out: string) => void;
  reject: (err: Error) => void;
}

/**
 * `ss -xpn` run by one long-lived `sh` the daemon starts on first use, instead of a spawn from
 * the daemon per call: forking a small shell costs about half what forking the daemon's node
 * does (measured ~15 against ~27 ms p50 on the busy 2-core host), and the person's MCP calls
 * pay it every time (peer.ts). Same command, same output, same failures: no `ss` rejects with
 * ENOENT, anything else with its message. Requests run one at a time; a shell that dies fails
 * what it had and the next call starts another. The shell exits with the daemon (its stdin
 * closes).
 */
export class SsHelper {
  private sh: ChildProcessByStdio<Writable, Readable, null> | undefined;
  private readonly queue: Ask[] = [];
  private out = '';

  /** `env`: the shell's environment (its PATH finds `ss`). */
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  readonly run = (): Promise<string> =>
    new Promise((resolve, reject) => {
      // A random end marker: a socket path in the listing cannot fake it.
      this.queue.push({ end: `omni-ss-end-${randomBytes(9).toString('hex')}`, resolve, reject });
      if (this.queue.length === 1) this.next();
    });

  close(): void {
    this.sh?.stdin.end();
    this.sh = undefined;
  }

  private next(): void {
    const ask = this.queue[0];
    if (!ask) return;
    const sh = this.shell();
    if (!sh) return;
    this.out = '';
    sh.stdin.write(`ss -xpn 2>/dev/null; c=$?; echo; echo "${ask.end} $c"\n`);
  }

  private shell(): ChildProcessByStdio<Writable, Readable, null> | undefined {
    if (this.sh) return this.sh;
    let sh: ChildProcessByStdio<Writable, Readable, null>;
    try {
      sh = spawn('/bin/sh', [], { stdio: ['pipe', 'pipe', 'ignore'], env: this.env });
    } catch (err) {
      this.failAll(err as Error);
      return undefined;
    }
    this.sh = sh;
    sh.stdout.setEncoding('utf8');
    sh.stdout.on('data', (d: string) => this.data(d));
    const gone = (err?: Error) => {
      if (this.sh !== sh) return;
      this.sh = undefined;
      this.failAll(err ?? new Error('the shell running `ss` exited'));
    };
    sh.on('error', gone);
    sh.on('exit', () => gone());
    sh.stdin.on('error', () => {}); // 'exit' reports it
    // Neither the shell nor its pipes keep the daemon alive.
    sh.unref();
    (sh.stdout as unknown as { unref?: () => void }).unref?.();
    (sh.stdin as unknown as { unref?: () => void }).unref?.();
    return sh;
  }

  private data(d: string): void {
    this.out += d;
    const ask = this.queue[0];
    if (!ask) return;
    const at = this.out.indexOf(`\n${ask.end} `);
    const eol = at < 0 ? -1 : this.out.indexOf('\n', at + 1);
    if (eol < 0) return;
    const code = Number(this.out.slice(at + ask.end.length + 2, eol));
    const listing = this.out.slice(0, at);
    this.out = '';
    this.queue.shift();
    if (code === 0) ask.resolve(listing);
    else ask.reject(Object.assign(new Error(code === 127 ? 'ss: not found' : `ss -xpn exited with ${code}`), code === 127 ? { code: 'ENOENT' } : {}));
    this.next();
  }

  private failAll(err: Error): void {
    for (const ask of this.queue.splice(0)) ask.reject(err);
  }
}
