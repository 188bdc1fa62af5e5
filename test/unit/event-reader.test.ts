import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readEventLines } from '../../src/daemon/event-reader.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-evr-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A log as EventLog writes it, with data of varied size (some lines longer than a 64 KiB block, some non-ASCII). */
function writeLog(name: string, n: number, opts: { seed?: number; extra?: (seq: number) => string | undefined; tail?: string } = {}): { file: string; seqs: number[] } {
  let x = opts.seed ?? 1;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const lines: string[] = [];
  const seqs: number[] = [];
  for (let seq = 1; seq <= n; seq++) {
    const r = rnd();
    const text = r < 0.01 ? 'x'.repeat(70_000 + Math.floor(rnd() * 70_000)) : r < 0.3 ? 'é€😀'.repeat(Math.floor(rnd() * 200)) : 'a'.repeat(Math.floor(rnd() * 300));
    lines.push(JSON.stringify({ seq, ts: '2026-01-01T00:00:00.000Z', session: 's', type: 'harness.output', data: { text } }));
    seqs.push(seq);
    const extra = opts.extra?.(seq);
    if (extra !== undefined) lines.push(extra);
  }
  const file = path.join(dir, name);
  fs.writeFileSync(file, lines.join('\n') + '\n' + (opts.tail ?? ''));
  return { file, seqs };
}

async function read(file: string, range: { since?: number; last?: number } = {}): Promise<number[]> {
  const out: number[] = [];
  for await (const batch of readEventLines(file, range)) for (const l of batch) {
    expect(JSON.parse(l.text).seq).toBe(l.seq); // the text is the stored line, whole
    out.push(l.seq);
  }
  return out;
}

function expected(seqs: number[], range: { since?: number; last?: number }): number[] {
  const after = seqs.filter((s) => s > (range.since ?? 0));
  return range.last === undefined ? after : range.last === 0 ? [] : after.slice(-range.last);
}

describe('readEventLines', () => {
  const { file, seqs } = writeLog('big.ndjson', 3000, { seed: 7 });

  it('reads the whole log in order, lines whole across blocks', async () => {
    expect(fs.statSync(file).size).toBeGreaterThan(4 * 64 * 1024);
    expect(await read(file)).toEqual(seqs);
  });

  it.each([0, 1, 2, 17, 999, 1500, 2998, 2999, 3000, 5000])('since=%i finds the first later event', async (since) => {
    expect(await read(file, { since })).toEqual(expected(seqs, { since }));
  });

  it.each([0, 1, 3, 100, 2999, 3000, 10_000])('last=%i is the last N events', async (last) => {
    expect(await read(file, { last })).toEqual(expected(seqs, { last }));
  });

  it('since and last together: the last N of those after since', async () => {
    for (const [since, last] of [
      [2990, 5],
      [2990, 50],
      [10, 3],
      [3000, 4],
    ] as const)
      expect(await read(file, { since, last })).toEqual(expected(seqs, { since, last }));
  });

  it('skips corrupt and blank lines and a torn tail, and still seeks right', async () => {
    const { file: f, seqs: s } = writeLog('torn.ndjson', 2000, {
      seed: 3,
      extra: (seq) => (seq % 97 === 0 ? '{"seq":' + seq + ',"torn' : seq % 89 === 0 ? '' : undefined),
      tail: '{"seq":2001,"ts":"2026',
    });
    expect(await read(f)).toEqual(s);
    for (const since of [0, 96, 97, 98, 1000, 1999, 2000]) expect(await read(f, { since })).toEqual(expected(s, { since }));
    for (const last of [1, 2, 50, 1999, 2000, 2001]) expect(await read(f, { last })).toEqual(expected(s, { last }));
  });

  it('a missing log reads as empty; an empty one too', async () => {
    expect(await read(path.join(dir, 'nope.ndjson'))).toEqual([]);
    const empty = path.join(dir, 'empty.ndjson');
    fs.writeFileSync(empty, '');
    expect(await read(empty, { last: 3 })).toEqual([]);
    expect(await read(empty, { since: 3 })).toEqual([]);
  });

  it('reads only up to the size it is given (the snapshot the live bus continues from)', async () => {
    const { file: f } = writeLog('snap.ndjson', 10);
    const text = fs.readFileSync(f, 'utf8');
    const cut = Buffer.byteLength(text.split('\n').slice(0, 4).join('\n')) + 5; // 4 lines and part of the 5th
    const out: number[] = [];
    for await (const b of readEventLines(f, {}, cut)) out.push(...b.map((l) => l.seq));
    expect(out).toEqual([1, 2, 3, 4]);
  });
});
