import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonlCursor } from '../../src/core/jsonl.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-jsonl-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;
const newFile = (text = '') => {
  const f = path.join(dir, `f${n++}.jsonl`);
  fs.writeFileSync(f, text);
  return f;
};

/** One read: the rows and torn lines it handed over. */
function readOnce(c: JsonlCursor) {
  const rows: unknown[] = [];
  const torn: Array<[string, number]> = [];
  const found = c.read(
    (r) => rows.push(r),
    (line, at) => torn.push([line, at]),
  );
  return { found, rows, torn };
}

describe('JsonlCursor', () => {
  it('reads nothing from a missing file, and the file once it appears', () => {
    const f = path.join(dir, 'later.jsonl');
    const c = new JsonlCursor(f);
    expect(readOnce(c)).toEqual({ found: false, rows: [], torn: [] });
    fs.writeFileSync(f, '{"a":1}\n');
    expect(readOnce(c)).toEqual({ found: true, rows: [{ a: 1 }], torn: [] });
  });

  it('hands over only what was appended since the last read', () => {
    const f = newFile('{"a":1}\n{"a":2}\n');
    const c = new JsonlCursor(f);
    expect(readOnce(c).rows).toEqual([{ a: 1 }, { a: 2 }]);
    expect(readOnce(c).rows).toEqual([]);
    fs.appendFileSync(f, '{"a":3}\n');
    expect(readOnce(c).rows).toEqual([{ a: 3 }]);
    expect(c.offset).toBe(fs.statSync(f).size);
  });

  it('holds a partial last line back until its newline comes', () => {
    const f = newFile('{"a":1}\n{"a":');
    const c = new JsonlCursor(f);
    expect(readOnce(c)).toEqual({ found: true, rows: [{ a: 1 }], torn: [] });
    expect([c.offset, c.pendingBytes]).toEqual([8, 5]);
    fs.appendFileSync(f, '2}');
    expect(readOnce(c).rows).toEqual([]); // complete JSON, but no newline yet
    fs.appendFileSync(f, '\n');
    expect(readOnce(c).rows).toEqual([{ a: 2 }]);
    expect([c.offset, c.pendingBytes]).toEqual([16, 0]);
  });

  it('reports a torn line with its byte offset and keeps reading after it; skips blank lines', () => {
    const f = newFile('{"a":1}\n{"a":\n\n   \n{"a":3}\n');
    const c = new JsonlCursor(f);
    expect(readOnce(c)).toEqual({ found: true, rows: [{ a: 1 }, { a: 3 }], torn: [['{"a":', 8]] });
    expect(c.offset).toBe(fs.statSync(f).size);
  });

  it('keeps a multi-byte character whole across reads and across appends', () => {
    const text = JSON.stringify({ t: 'é€😀 naïve' }) + '\n';
    const c = new JsonlCursor(newFile(text), 1); // one byte per read call
    expect(readOnce(c).rows).toEqual([{ t: 'é€😀 naïve' }]);
    const bytes = Buffer.from(text);
    const cut = bytes.indexOf(Buffer.from('😀')) + 2; // inside the emoji
    const f = newFile();
    const d = new JsonlCursor(f);
    fs.appendFileSync(f, bytes.subarray(0, cut));
    expect(readOnce(d).rows).toEqual([]);
    fs.appendFileSync(f, bytes.subarray(cut));
    expect(readOnce(d).rows).toEqual([{ t: 'é€😀 naïve' }]);
  });

  it('starts over when the file was replaced by a shorter one', () => {
    const f = newFile('{"a":1}\n{"a":2}\n');
    const c = new JsonlCursor(f);
    readOnce(c);
    fs.writeFileSync(f, '{"b":1}\n');
    expect(readOnce(c).rows).toEqual([{ b: 1 }]);
    c.reset();
    expect(readOnce(c).rows).toEqual([{ b: 1 }]);
  });

  it('loses only the line whose callback threw', () => {
    const f = newFile('{"a":1}\n{"a":2}\n{"a":3}\n');
    const c = new JsonlCursor(f);
    const seen: unknown[] = [];
    expect(() =>
      c.read<{ a: number }>((r) => {
        if (r.a === 2) throw new Error('boom');
        seen.push(r);
      }),
    ).toThrow('boom');
    c.read((r) => seen.push(r));
    expect(seen).toEqual([{ a: 1 }, { a: 3 }]);
  });

  it('throws errors other than a missing file', () => {
    const c = new JsonlCursor(dir); // a directory: EISDIR on read
    expect(() => c.read(() => {})).toThrow(/EISDIR/);
  });

  it('any appends, any read sizes: every complete line once, in order; the tail held back', () => {
    const notJson = (s: string) => {
      try {
        JSON.parse(s);
        return false;
      } catch {
        return true;
      }
    };
    const line = fc.oneof(
      fc.jsonValue({ stringUnit: 'binary' }).map((v) => ({ kind: 'row' as const, text: JSON.stringify(v) })),
      fc
        .string({ unit: 'binary', minLength: 1 })
        .filter((s) => !s.includes('\n') && s.trim() !== '' && notJson(s))
        .map((text) => ({ kind: 'torn' as const, text })),
      fc.constantFrom('', ' ', '\t').map((text) => ({ kind: 'blank' as const, text })),
    );
    const tail = fc.string({ unit: 'binary' }).filter((s) => !s.includes('\n'));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 20 }), tail, fc.array(fc.nat(), { maxLength: 12 }), fc.integer({ min: 1, max: 40 }), (lines, rest, cuts, chunk) => {
        const body = Buffer.from(lines.map((l) => `${l.text}\n`).join(''));
        const bytes = Buffer.concat([body, Buffer.from(rest)]);
        const f = newFile();
        const c = new JsonlCursor(f, chunk);
        const rows: unknown[] = [];
        const torn: Array<[string, number]> = [];
        const points = [...new Set(cuts.map((x) => x % (bytes.length + 1)))].sort((a, b) => a - b);
        let from = 0;
        for (const to of [...points, bytes.length]) {
          fs.appendFileSync(f, bytes.subarray(from, to));
          from = to;
          c.read(
            (r) => rows.push(r),
            (l, at) => torn.push([l, at]),
          );
        }
        const expectTorn: Array<[string, number]> = [];
        let at = 0;
        for (const l of lines) {
          if (l.kind === 'torn') expectTorn.push([l.text, at]);
          at += Buffer.byteLength(l.text) + 1;
        }
        expect(rows).toEqual(lines.filter((l) => l.kind === 'row').map((l) => JSON.parse(l.text)));
        expect(torn).toEqual(expectTorn);
        expect([c.offset, c.pendingBytes]).toEqual([body.length, Buffer.byteLength(rest)]);
        fs.rmSync(f);
      }),
      { numRuns: 200 },
    );
  });
});
