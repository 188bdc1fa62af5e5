import type http from 'node:http';
import { OmniError, httpStatusFor } from '../core/errors.js';

const MAX_BODY = 8 * 1024 * 1024;
/**
 * Both sockets: how long a peer may take to send a request's headers, and the whole request.
 * They bound receiving only (Node's server stops timing a request once it is in), so a held
 * ask, `omni wait` or a follow answers as late as it needs.
 */
export const HEADERS_TIMEOUT_MS = 20_000;
export const REQUEST_TIMEOUT_MS = 30_000;

/** A body over the limit. Its reply closes the connection, so the rest of the body is never read. */
export class BodyTooLarge extends OmniError {
  constructor(limit: number) {
    super(`request body over ${limit} bytes`, 'bad_request');
  }
}

export async function readBody(req: http.IncomingMessage, limit = MAX_BODY): Promise<string> {
  // Refused before a byte of it is read when the request says how big it is.
  if (Number(req.headers['content-length']) > limit) throw new BodyTooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLarge(limit);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function readJson<T = Record<string, unknown>>(req: http.IncomingMessage): Promise<T> {
  const text = await readBody(req);
  if (!text.trim()) return {} as T;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new OmniError(`request body is not JSON: ${(err as Error).message}`, 'bad_json');
  }
  // Every route takes an object; `null` or `[]` would reach a handler as one and fail there as a 500.
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new OmniError('request body must be a JSON object', 'bad_json');
  return body as T;
}

/**
 * The request's URL, or undefined when it does not parse (`GET //[ HTTP/1.1` passes Node's
 * HTTP parser but makes `new URL` throw, which in a request handler would end the daemon).
 */
export function requestUrl(req: http.IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? '/', 'http://omni');
  } catch {
    return undefined;
  }
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: http.ServerResponse, err: unknown): void {
  const e = err instanceof OmniError ? err : new OmniError((err as Error)?.message ?? String(err), 'internal');
  if (res.headersSent) {
    res.end();
    return;
  }
  if (err instanceof BodyTooLarge) res.setHeader('connection', 'close');
  sendJson(res, httpStatusFor(e.code), e.toJSON());
}

/** Start an NDJSON stream; returns a writer that reports whether the peer is still there. */
export function startNdjson(res: http.ServerResponse): (obj: unknown) => boolean {
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
  res.flushHeaders();
  return (obj) => {
    if (res.destroyed || res.writableEnded) return false;
    res.write(JSON.stringify(obj) + '\n');
    return true;
  };
}
