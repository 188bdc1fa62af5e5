import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { parseEvents } from '../helpers/events.js';
import { makeTestEnv, until, type TestEnv } from '../helpers/omni.js';
import { createScripted, sendText, startScriptedDaemon, untilPrompt, waitFor } from '../helpers/scripted.js';
import { daemonLog, eventsFile, pidAlive, seqProblems } from './fault-kit.js';

/**
 * A torn line in the middle of an event log (garbage bytes, half a JSON object, both followed by
 * good lines) and a truncated last line, found by a restarted daemon: every whole event is
 * kept and shown, each bad line is reported with its file and byte offset, and seq carries on
 * from the highest one kept. (The summary file's own torn case is helper A's test.)
 */
describe('torn lines in an event log', () => {
  let t: TestEnv;
  let rec: SessionRecord;
  beforeAll(async () => {
    t = makeTestEnv();
    await startScriptedDaemon(t);
    rec = await createScripted(t, { name: 'torn' });
    await waitFor(t, 'torn', 'idle');
    for (const text of ['one', 'two', 'three']) {
      await sendText(t, 'torn', text);
      await waitFor(t, 'torn', 'idle');
      await untilPrompt(t, rec);
    }
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it('keeps every whole event across a restart, reports each bad line, and continues seq from the max', async () => {
    const stop = await t.omni(['daemon', 'stop']);
    expect(stop.exitCode, String(stop.stderr)).toBe(0);
    const file = eventsFile(t, rec.id);
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    const before = lines.map((l) => JSON.parse(l) as OmniEvent);
    expect(before.length).toBeGreaterThan(8);

    // Rebuild the file: garbage bytes after a third of it, half an object after two thirds,
    // and the last line cut short (a crash mid-append).
    const a = Math.floor(lines.length / 3);
    const b = Math.floor((2 * lines.length) / 3);
    const garbage = Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x22, 0x73, 0x65, 0x71, 0xc3]);
    const half = lines[b]!.slice(0, Math.floor(lines[b]!.length / 2));
    const parts: Buffer[] = [];
    const offsets: number[] = [];
    let size = 0;
    const push = (buf: Buffer) => {
      parts.push(buf);
      size += buf.length;
    };
    lines.slice(0, -1).forEach((l, i) => {
      if (i === a) {
        offsets.push(size);
        push(Buffer.concat([garbage, Buffer.from('\n')]));
      }
      if (i === b) {
        offsets.push(size);
        push(Buffer.from(half + '\n'));
      }
      push(Buffer.from(l + '\n'));
    });
    const last = lines[lines.length - 1]!;
    push(Buffer.from(last.slice(0, last.length - 7)));
    fs.writeFileSync(file, Buffer.concat(parts));
    const kept = before.slice(0, -1);

    const pid = await startScriptedDaemon(t);
    expect(pidAlive(pid)).toBe(true);

    // The session was live: the restarted daemon adopts it, appending after the highest seq kept.
    const maxKept = Math.max(...kept.map((e) => e.seq));
    const shown = await until(async () => {
      const r = await t.omni(['events', 'torn', '--json']);
      const evs = r.exitCode === 0 ? parseEvents(r.stdout) : [];
      return evs.some((e) => e.type === 'session.adopted') && evs;
    }, 15_000, 'the adopted session to show its events');
    expect(shown.slice(0, kept.length)).toEqual(kept);
    const adopted = shown.find((e) => e.type === 'session.adopted')!;
    expect(adopted.seq).toBe(maxKept + 1);
    expect(seqProblems(shown)).toBeUndefined();

    // Each bad line named with its file and byte offset; the torn tail reported too.
    const dlog = fs.readFileSync(daemonLog(t), 'utf8');
    for (const off of offsets) expect(dlog).toContain(`unreadable line in ${file} at byte ${off}`);
    expect(dlog).toContain(`cut a torn last line (${last.length - 7} bytes) from ${file}`);

    // And the session carries on: a new turn is logged after them.
    await sendText(t, 'torn', 'four');
    await waitFor(t, 'torn', 'idle');
    const r = await t.omni(['events', 'torn', '--json']);
    const after = parseEvents(r.stdout);
    expect(after.slice(0, kept.length)).toEqual(kept);
    expect(seqProblems(after)).toBeUndefined();
    expect(after.find((e) => e.type === 'message.user' && (e.data as { text: string }).text === 'four')).toBeDefined();
    // The bad lines stay in the file (evidence, not rewritten); the torn tail is gone.
    const text = fs.readFileSync(file);
    expect(text.includes(garbage)).toBe(true);
    expect(text.at(-1)).toBe(0x0a);
  });
});
