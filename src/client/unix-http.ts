import net from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * One HTTP/1.1 request over a Unix socket, its answer read whole: what `OmniClient.request`
 * needs, without node:http, whose loading and first request cost a short command like
 * `omni ls` about a fifth of its start-up. Streams (`OmniClient.stream`) keep node:http.
 *
 * Rejects with the socket's own error (ENOENT, ECONNREFUSED, …), with `NotHttp` when what
 * answers does not speak HTTP, or with what `onTimeout` makes. `to` is a socket path, or a
 * connector that gives an already-open stream (a remote host's ssh, src/client/ssh.ts).
 */
export function unixRequest(
  to: string | (() => Duplex),
  req: { method: string; path: string; body?: string; timeoutMs?: number; onTimeout?: () => Error },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const sock: Duplex = typeof to === 'string' ? net.connect(to) : to();
    const chunks: Buffer[] = [];
    let total = 0;
    /** The answer's whole length once its head says (content-length); until then, its end is the connection's. */
    let whole: number | null | undefined;
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      sock.destroy();
      fn();
    };
    const answer = (complete: boolean): void => {
      if (settled) return;
      const parsed = parseResponse(Buffer.concat(chunks), complete);
      if (parsed instanceof NotHttp) settle(() => reject(parsed));
      else if (parsed) settle(() => resolve(parsed));
      else if (complete) settle(() => reject(new NotHttp(Buffer.concat(chunks).toString('utf8', 0, 200))));
    };
    const send = (): void => {
      const head = [`${req.method} ${req.path} HTTP/1.1`, 'host: omni', 'connection: close'];
      if (req.body !== undefined) head.push('content-type: application/json', `content-length: ${Buffer.byteLength(req.body)}`);
      // write, not end: the daemon closes the connection once it has answered (connection: close).
      sock.write(head.join('\r\n') + '\r\n\r\n' + (req.body ?? ''));
    };
    if (typeof to === 'string') sock.on('connect', send);
    else send();
    sock.on('data', (d: Buffer) => {
      chunks.push(d);
      total += d.length;
      // The head is looked at until it is whole (it comes in the first chunk); the body only counted.
      if (whole === undefined) {
        const data = Buffer.concat(chunks);
        const head = expectedLength(data);
        if (head instanceof NotHttp) return settle(() => reject(head));
        whole = head;
      }
      if (typeof whole === 'number' && total >= whole) answer(true);
    });
    sock.on('end', () => answer(true));
    sock.on('close', () => answer(true));
    sock.on('error', (err) => settle(() => reject(err)));
    if (req.timeoutMs) {
      const onTimeout = (): void => settle(() => reject(req.onTimeout?.() ?? new Error(`no answer within ${req.timeoutMs} ms`)));
      if (sock instanceof net.Socket) sock.setTimeout(req.timeoutMs, onTimeout);
      else {
        const timer = setTimeout(onTimeout, req.timeoutMs);
        sock.on('close', () => clearTimeout(timer));
      }
    }
  });
}

/** What answered on the socket is not an HTTP server; `text` is the start of what it said. */
export class NotHttp extends Error {
  constructor(readonly text: string) {
    super('not an HTTP answer');
  }
}

/**
 * The whole answer's length in bytes if its head gives a content-length; null if the head says
 * nothing of it (the end is the connection's); undefined until the head is whole.
 */
function expectedLength(data: Buffer): number | null | undefined | NotHttp {
  if (!/^HTTP\/1\.[01] \d{3}/.test(data.toString('latin1', 0, Math.min(data.length, 16)))) return data.length >= 12 ? new NotHttp(data.toString('utf8', 0, 200)) : undefined;
  const headEnd = data.indexOf('\r\n\r\n');
  if (headEnd === -1) return undefined;
  const length = /\r\ncontent-length: *(\d+)/.exec(data.toString('latin1', 0, headEnd).toLowerCase());
  return length ? headEnd + 4 + Number(length[1]) : null;
}

/**
 * The status and body once the answer is whole (by its content-length, its last chunk, or the
 * connection's end); undefined while more is to come.
 */
export function parseResponse(data: Buffer, complete: boolean): { status: number; body: string } | NotHttp | undefined {
  const headEnd = data.indexOf('\r\n\r\n');
  const statusLine = /^HTTP\/1\.[01] (\d{3})/.exec(data.toString('latin1', 0, Math.min(data.length, 16)));
  if (!statusLine) return data.length >= 12 || complete ? new NotHttp(data.toString('utf8', 0, 200)) : undefined;
  if (headEnd === -1) return complete ? new NotHttp(data.toString('utf8', 0, 200)) : undefined;
  const status = Number(statusLine[1]);
  const headers = data.toString('latin1', 0, headEnd).toLowerCase();
  const body = data.subarray(headEnd + 4);
  const length = /\r\ncontent-length: *(\d+)/.exec(headers);
  if (length) {
    const n = Number(length[1]);
    return body.length >= n ? { status, body: body.toString('utf8', 0, n) } : complete ? new NotHttp('a cut-short answer') : undefined;
  }
  if (/\r\ntransfer-encoding: *chunked/.test(headers)) {
    const out: Buffer[] = [];
    let at = 0;
    for (;;) {
      const eol = body.indexOf('\r\n', at);
      if (eol === -1) return complete ? new NotHttp('a cut-short answer') : undefined;
      const size = parseInt(body.toString('latin1', at, eol), 16);
      if (!Number.isFinite(size)) return new NotHttp('a malformed chunked answer');
      if (size === 0) return { status, body: Buffer.concat(out).toString('utf8') };
      if (body.length < eol + 2 + size + 2) return complete ? new NotHttp('a cut-short answer') : undefined;
      out.push(body.subarray(eol + 2, eol + 2 + size));
      at = eol + 2 + size + 2;
    }
  }
  return complete ? { status, body: body.toString('utf8') } : undefined;
}
