import fc from 'fast-check';

/**
 * Malformed, oversized and half-open requests for the daemon's two sockets, as raw bytes
 * (test/faults/fuzz-sockets.test.ts). Each is invalid by construction: none may change a
 * session, start one, or log an event that a valid request would have logged. The control
 * routes that take a body name the bystander session `by`, with a field of the wrong type.
 */

export type Target = 'control' | 'agent';
/** complete: sent and half-closed; open: sent in part and left open; slow: a header byte now and then. */
export type Mode = 'complete' | 'open' | 'slow';

export interface BadRequest {
  target: Target;
  kind: string;
  mode: Mode;
  bytes: Buffer;
  /** Makes `bytes` when they are too big to keep until then. */
  build?: () => Buffer;
  /** What the reply's body must start with, when the request is complete HTTP that reaches a handler. */
  expect?: RegExp;
}

/** The scripted harness's hook events (test/helpers/scripted-harness.mjs): an unknown one logs nothing. */
const KNOWN_EVENTS = new Set(['SessionStart', 'Prompt', 'PreTool', 'PostTool', 'Stop', 'SessionEnd']);
/** The bystander session the control routes name. */
export const BYSTANDER = 'by';
/** Above the daemon's body limit (src/daemon/http.ts, 8 MiB). */
const HUGE_BODY = 9 * 1024 * 1024;

const CRLF = '\r\n';
const text = fc.string({ maxLength: 40 });
const binary = fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a));
/** Text that does not parse as JSON (it starts like an object and is not one). */
const notJson = fc
  .string({ unit: 'binary', maxLength: 120 })
  .map((s) => `{${s}`)
  .filter((s) => {
    try {
      JSON.parse(s);
      return false;
    } catch {
      return s.trim().length > 0;
    }
  });
/** Anything but a non-empty string. */
const notText = fc.oneof(fc.constant(null), fc.constant(''), fc.integer(), fc.double(), fc.boolean(), fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }), fc.dictionary(text, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }));
/** Anything but a list of strings (null and undefined mean "none", a valid answer). */
const notList = fc.oneof(fc.integer(), fc.boolean(), text.map((s) => `x${s}`), fc.dictionary(text, fc.integer(), { maxKeys: 2 }), fc.array(fc.oneof(fc.integer(), fc.constant(null), fc.boolean()), { minLength: 1, maxLength: 3 }));
const extras = fc.dictionary(text.filter((k) => !['harness', 'cwd', 'text', 'add', 'remove', 'name', 'olderThanMs', 'tags', 'sessions'].includes(k)), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 });

function http11(method: string, path: string, headers: string[], body: Buffer | string = ''): Buffer {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body);
  // `connection: close`: the daemon closes the connection after its answer, so the fuzzer need
  // not half-close it (Node's server drops an answer still being worked out when the peer does).
  return Buffer.concat([Buffer.from([`${method} ${path} HTTP/1.1`, 'Host: omni', 'connection: close', ...headers, `content-length: ${b.length}`, '', ''].join(CRLF)), b]);
}

const json = (v: unknown) => JSON.stringify(v);

/** A POST of a route that takes a body, with a body it must refuse. */
const controlBadBody: fc.Arbitrary<{ path: string; body: string }> = fc.oneof(
  fc.record({ path: fc.constant('/v1/sessions'), body: fc.oneof(notJson, fc.tuple(notText, text, extras).map(([h, cwd, x]) => json({ ...x, harness: h, cwd }))) }),
  fc.record({ path: fc.constant(`/v1/sessions/${BYSTANDER}/input`), body: fc.oneof(notJson, fc.tuple(notText, extras).map(([t, x]) => json({ ...x, text: t }))) }),
  fc.record({ path: fc.constant(`/v1/sessions/${BYSTANDER}/tags`), body: fc.oneof(notJson, fc.tuple(notList, extras).map(([a, x]) => json({ ...x, add: a }))) }),
  fc.record({ path: fc.constant(`/v1/sessions/${BYSTANDER}/rename`), body: fc.oneof(notJson, fc.tuple(notText, extras).map(([n, x]) => json({ ...x, name: n }))) }),
  fc.record({ path: fc.constant('/v1/broadcast'), body: fc.oneof(notJson, fc.tuple(notText, extras).map(([t, x]) => json({ ...x, text: t }))) }),
  fc.record({
    path: fc.constant('/v1/sessions/prune'),
    body: fc.oneof(notJson, fc.oneof(fc.constant(-1), text, fc.boolean(), fc.constant({})).map((o) => json({ olderThanMs: o }))),
  }),
  fc.record({ path: fc.tuple(text, fc.constantFrom('approve', 'deny')).map(([id, v]) => `/v1/approvals/ap_none${encodeURIComponent(id)}/${v}`), body: fc.oneof(notJson, fc.jsonValue().map(json)) }),
  // JSON that is not an object, on any route with a body.
  fc.record({ path: fc.constantFrom('/v1/sessions', `/v1/sessions/${BYSTANDER}/input`, '/v1/broadcast'), body: fc.oneof(fc.constant('null'), fc.constant('[]'), fc.integer().map(String), text.map(json)) }),
);

/** A route with no side effects, or none at all, under a random path and method. */
const controlNoRoute = fc.tuple(fc.constantFrom('GET', 'PUT', 'PATCH', 'OPTIONS', 'POST', 'DELETE'), text).map(([m, s]) => ({
  method: m,
  // Under /v1/nowhere/, so no random path can name a route that acts.
  path: `/v1/nowhere/${encodeURIComponent(s)}`,
}));

/** Requests the agent socket's handler must refuse, or take as an event that logs nothing. */
const agentBad: fc.Arbitrary<{ method: string; path: string; body: string; expect: RegExp }> = fc.oneof(
  // Not JSON: the gate fails closed (docs/PROTOCOL.md), nothing is logged.
  notJson.map((body) => ({ method: 'POST', path: '/hook/PreTool?mode=gate', body, expect: /^2\nomni: blocked because the daemon failed to handle this hook/ })),
  notJson.map((body) => ({ method: 'POST', path: '/hook/PostTool?mode=observe', body, expect: /^0\n$/ })),
  // An event the harness does not have: answered, nothing logged.
  fc.tuple(fc.stringMatching(/^[A-Za-z]{1,24}$/).filter((e) => !KNOWN_EVENTS.has(e)), fc.dictionary(text, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 })).map(([e, p]) => ({ method: 'POST', path: `/hook/${e}?mode=gate`, body: json(p), expect: /^0\n/ })),
  // Other methods and paths: 404 with the protocol's body.
  fc.tuple(fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'), fc.constantFrom('/hook/PreTool', '/hook/PreTool?mode=gate', '/')).map(([m, p]) => ({ method: m, path: p, body: '', expect: /^1\nomni agent endpoint/ })),
  fc.tuple(text, fc.constantFrom('', '?mode=gate')).map(([s, q]) => ({ method: 'POST', path: `/hook/${encodeURIComponent(s)}-x${q}`, body: '{}', expect: /^1\nomni agent endpoint/ })),
);

/** Bytes that are not HTTP, or not quite. */
const garbage = fc.oneof(
  binary,
  fc.tuple(fc.constantFrom('GET', 'POST', 'G\0T', 'GE T', '', 'POST\t', 'BREW'), fc.string({ unit: 'binary', maxLength: 60 }), fc.constantFrom('HTTP/1.1', 'HTTP/9.9', 'HTTP/1', '', 'HTTP/1.1 x', 'http/1.1')).map(([m, p, v]) => Buffer.from(`${m} ${p} ${v}${CRLF}Host: omni${CRLF}${CRLF}`)),
  // Paths that pass the HTTP parser and not `new URL` (this one ended the daemon once).
  fc.constantFrom('//[', '//a:b@', '//:99999', 'http://[', '//%', '//[::1'.concat(']x')).map((p) => Buffer.from(`GET ${p} HTTP/1.1${CRLF}Host: omni${CRLF}${CRLF}`)),
);

/** A request line that is fine and headers that are not. */
const badHeaders = fc
  .tuple(
    fc.constantFrom(
      'content-length: -1',
      'content-length: 12abc',
      'content-length: 5\r\ncontent-length: 6',
      'transfer-encoding: chunked\r\ncontent-length: 3',
      'transfer-encoding: gzip, chunked, x',
      'x-a\0b: 1',
      'no colon here',
      ' folded: value',
      'x: \x7f\x01',
      ': empty name',
    ),
    fc.constantFrom('/hook/PreTool?mode=gate', '/v1/sessions', `/v1/sessions/${BYSTANDER}/input`),
  )
  .map(([h, p]) => Buffer.from(`POST ${p} HTTP/1.1${CRLF}Host: omni${CRLF}${h}${CRLF}${CRLF}{}`));

/** Chunked bodies that lie. */
const badChunks = fc.tuple(fc.constantFrom('zz', '-1', 'ffffffffffffffffff', '5', '3;x=\0'), fc.string({ maxLength: 10 }), fc.constantFrom('/hook/PreTool?mode=gate', `/v1/sessions/${BYSTANDER}/input`)).map(([size, data, p]) => Buffer.from(`POST ${p} HTTP/1.1${CRLF}Host: omni${CRLF}transfer-encoding: chunked${CRLF}${CRLF}${size}${CRLF}${data}${CRLF}`));

const hugeHeader = fc.tuple(fc.integer({ min: 17_000, max: 200_000 }), fc.constantFrom('/hook/PreTool?mode=gate', '/v1/daemon')).map(([n, p]) => Buffer.from(`GET ${p} HTTP/1.1${CRLF}Host: omni${CRLF}x-big: ${'a'.repeat(n)}${CRLF}${CRLF}`));

export function badRequest(target: Target): fc.Arbitrary<BadRequest> {
  const complete = (kind: string, a: fc.Arbitrary<Buffer | { bytes: Buffer; expect?: RegExp }>): fc.Arbitrary<BadRequest> =>
    a.map((x) => (Buffer.isBuffer(x) ? { target, kind, mode: 'complete' as const, bytes: x } : { target, kind, mode: 'complete' as const, ...x }));
  const routed =
    target === 'agent'
      ? complete('bad hook', agentBad.map((r) => ({ bytes: http11(r.method, r.path, ['content-type: application/json'], r.body), expect: r.expect })))
      : fc.oneof(
          complete('bad body', controlBadBody.map((r) => ({ bytes: http11('POST', r.path, ['content-type: application/json'], r.body), expect: /^\{"error":\{"code":"(bad_request|bad_json|not_found)"/ }))),
          complete('no route', controlNoRoute.map((r) => ({ bytes: http11(r.method, r.path, []), expect: /^\{"error":\{"code":"not_found"/ }))),
        );
  const hugePath = target === 'agent' ? '/hook/PreTool?mode=gate' : `/v1/sessions/${BYSTANDER}/input`;
  const expectHuge = target === 'agent' ? /^2\nomni: blocked because the daemon failed to handle this hook: request body over/ : undefined;
  return fc.oneof(
    { weight: 40, arbitrary: routed },
    { weight: 15, arbitrary: complete('garbage', garbage) },
    { weight: 10, arbitrary: complete('bad headers', badHeaders) },
    { weight: 5, arbitrary: complete('bad chunks', badChunks) },
    { weight: 3, arbitrary: complete('huge header', hugeHeader) },
    // Built when sent (`build`): 10,000 samples would otherwise hold a gigabyte of bodies.
    { weight: 1, arbitrary: fc.constant(0).map(() => ({ target, kind: 'huge body', mode: 'complete' as const, bytes: Buffer.alloc(0), build: () => http11('POST', hugePath, [], Buffer.alloc(HUGE_BODY, 'a')), ...(expectHuge ? { expect: expectHuge } : {}) })) },
    // A body shorter than its content-length, then the connection half-closed.
    { weight: 6, arbitrary: fc.tuple(fc.integer({ min: 10, max: 100_000 }), text).map(([n, s]) => ({ target, kind: 'truncated body', mode: 'complete' as const, bytes: Buffer.from(`POST ${hugePath} HTTP/1.1${CRLF}Host: omni${CRLF}content-length: ${n + s.length + 10}${CRLF}${CRLF}${s}`) })) },
    // Opened and never finished: part of the headers, or all of them and part of the body.
    { weight: 3, arbitrary: fc.tuple(fc.integer({ min: 0, max: 40 }), fc.boolean()).map(([cut, headersDone]) => ({ target, kind: 'half-open', mode: 'open' as const, bytes: Buffer.from(headersDone ? `POST ${hugePath} HTTP/1.1${CRLF}Host: omni${CRLF}content-length: 1000${CRLF}${CRLF}{"a":` : `POST ${hugePath} HTTP/1.1${CRLF}Host: omni${CRLF}`.slice(0, cut)) })) },
    { weight: 1, arbitrary: fc.constant(0).map(() => ({ target, kind: 'slowloris', mode: 'slow' as const, bytes: Buffer.from(`GET /v1/daemon HTTP/1.1${CRLF}Host: omni${CRLF}`) })) },
  );
}
