import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SessionRecord } from '../../src/core/session.js';
import { newSessionId, validateSessionName } from '../../src/core/session.js';
import { SessionStore } from '../../src/daemon/store.js';

const rec = (id: string, name: string): SessionRecord => ({
  id,
  name,
  harness: 'claude',
  cwd: '/tmp',
  status: 'idle',
  createdAt: new Date().toISOString(),
  updatedAt: new Date().toISOString(),
  tmuxSession: id,
  command: ['claude'],
  lastSeq: 0,
});

describe('SessionStore', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-store-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('persists records in the index and reloads them', () => {
    const a = new SessionStore(path.join(dir, 'state', 'sessions.json'), path.join(dir, 'state', 'sessions'));
    a.load();
    a.put(rec('s_aaaa', 'one'));
    a.put(rec('s_bbbb', 'two'));
    const b = new SessionStore(path.join(dir, 'state', 'sessions.json'), path.join(dir, 'state', 'sessions'));
    expect(b.load().map((s) => s.name).sort()).toEqual(['one', 'two']);
    expect(fs.statSync(path.join(dir, 'state', 'sessions', 's_aaaa')).mode & 0o777).toBe(0o700);
  });

  it('rebuilds from per-session copies when the index is corrupt or missing', () => {
    const a = new SessionStore(path.join(dir, 'sessions.json'), path.join(dir, 'sessions'));
    a.load();
    a.put(rec('s_aaaa', 'one'));
    fs.writeFileSync(path.join(dir, 'sessions.json'), '{"version":1,"sess');
    const b = new SessionStore(path.join(dir, 'sessions.json'), path.join(dir, 'sessions'));
    expect(b.load().map((s) => s.id)).toEqual(['s_aaaa']);
  });
});

describe('session names and ids', () => {
  it('makes short unique-looking ids', () => {
    const ids = new Set(Array.from({ length: 200 }, () => newSessionId()));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(id).toMatch(/^s_[a-z2-9]{8}$/);
  });

  it('accepts plain names and explains bad ones', () => {
    expect(validateSessionName('fix-login')).toBeUndefined();
    expect(validateSessionName('a_b-2')).toBeUndefined();
    expect(validateSessionName('')).toMatch(/empty/);
    expect(validateSessionName('has space')).toMatch(/letters, digits/);
    expect(validateSessionName('a.b')).toMatch(/letters, digits/);
    expect(validateSessionName('s_abcdefgh')).toMatch(/session id/);
    expect(validateSessionName('x'.repeat(65))).toMatch(/64/);
  });
});
