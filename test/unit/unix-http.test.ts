import { describe, expect, it } from 'vitest';
import { NotHttp, parseResponse } from '../../src/client/unix-http.js';

const b = (s: string) => Buffer.from(s, 'utf8');

describe('parseResponse (the CLI client reading a whole answer without node:http)', () => {
  it('reads a content-length body, multi-byte characters included, and waits while it is short', () => {
    const full = 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nContent-Length: 15\r\n\r\n{"a":"é—x"}\n';
    expect(Buffer.byteLength('{"a":"é—x"}\n')).toBe(15);
    expect(parseResponse(b(full), false)).toEqual({ status: 200, body: '{"a":"é—x"}\n' });
    expect(parseResponse(b(full).subarray(0, b(full).length - 3), false)).toBeUndefined();
    expect(parseResponse(b(full).subarray(0, b(full).length - 3), true)).toBeInstanceOf(NotHttp);
  });

  it('decodes a chunked body; without a length the end of the connection ends it', () => {
    const chunked = 'HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\n3\r\n12}\r\n0\r\n\r\n';
    expect(parseResponse(b(chunked), false)).toEqual({ status: 404, body: '{"a":12}' });
    expect(parseResponse(b('HTTP/1.0 500 x\r\n\r\nboom'), false)).toBeUndefined();
    expect(parseResponse(b('HTTP/1.0 500 x\r\n\r\nboom'), true)).toEqual({ status: 500, body: 'boom' });
  });

  it('says when what answered is not HTTP, with what it said', () => {
    const r = parseResponse(b('SSH-2.0-OpenSSH_9.2\r\n'), false);
    expect(r).toBeInstanceOf(NotHttp);
    expect((r as NotHttp).text).toBe('SSH-2.0-OpenSSH_9.2\r\n');
    expect(parseResponse(b('SSH'), false)).toBeUndefined(); // too short to tell yet
    expect(parseResponse(b('SSH'), true)).toBeInstanceOf(NotHttp);
  });
});
