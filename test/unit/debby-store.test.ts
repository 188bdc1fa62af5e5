import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DebbyStore } from '../../src/daemon/debby-store.js';
import type { DebbyRun } from '../../src/debby/types.js';

describe('DebbyStore', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'debby-store-'));
    dirs.push(d);
    return path.join(d, 'debby');
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  const run = (id: string, createdAt: string, extra: Partial<DebbyRun> = {}): DebbyRun => ({
    id,
    createdAt,
    cwd: '/w',
    synth: 'claude',
    status: 'live',
    heads: [
      { label: 'claude', harness: 'claude', session: 's_1', name: 'debby-1-claude' },
      { label: 'codex', harness: 'codex', session: 's_2', name: 'debby-1-codex' },
    ],
    exchanges: [],
    ...extra,
  });

  it('writes each run as <id>.json, 0600 in a 0700 dir, and reads them back newest first', () => {
    const dir = tmp();
    const a = new DebbyStore(dir);
    a.put(run('d_aaaaaaaa', '2026-01-01T00:00:00.000Z'));
    a.put(run('d_bbbbbbbb', '2026-01-02T00:00:00.000Z'));
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(dir, 'd_aaaaaaaa.json')).mode & 0o777).toBe(0o600);
    fs.writeFileSync(path.join(dir, 'd_cccccccc.json'), '{ torn');
    const b = new DebbyStore(dir);
    b.load();
    expect(b.all().map((r) => r.id)).toEqual(['d_bbbbbbbb', 'd_aaaaaaaa']);
    expect(fs.existsSync(path.join(dir, 'd_cccccccc.json'))).toBe(true); // skipped, never deleted
  });

  it('ends an exchange a stopped daemon left under way: not busy, each missing answer says why', () => {
    const dir = tmp();
    new DebbyStore(dir).put(
      run('d_aaaaaaaa', '2026-01-01T00:00:00.000Z', {
        busy: true,
        exchanges: [
          { n: 1, kind: 'ask', prompt: 'Q', startedAt: 'x', endedAt: 'y', answers: [{ head: 'claude', text: 'A' }, { head: 'codex', text: 'B' }] },
          { n: 2, kind: 'synthesis', prompt: 'synthesis by codex', startedAt: 'z', answers: [] },
        ],
      }),
    );
    const s = new DebbyStore(dir, () => {}, () => new Date('2026-01-03T00:00:00.000Z'));
    s.load();
    const r = s.get('d_aaaaaaaa')!;
    expect(r.busy).toBeUndefined();
    expect(r.exchanges[1]).toMatchObject({ endedAt: '2026-01-03T00:00:00.000Z', answers: [{ head: 'codex', text: '', error: expect.stringContaining('daemon stopped') }] });
    // …and it is stored so.
    expect((JSON.parse(fs.readFileSync(path.join(dir, 'd_aaaaaaaa.json'), 'utf8')) as DebbyRun).busy).toBeUndefined();
  });
});
