import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OmniEvent, UsageData } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { CostArchive } from '../../src/cost/archive.js';
import { CostLedger, localDate } from '../../src/cost/ledger.js';
import { Meter, repriceWith } from '../../src/cost/meter.js';
import { costReport } from '../../src/cost/report.js';
import { EventBus } from '../../src/daemon/bus.js';
import { PriceWatch } from '../../src/daemon/price-watch.js';
import { SessionLog } from '../../src/daemon/session-log.js';
import { SessionRemoval } from '../../src/daemon/session-removal.js';
import { SessionStore } from '../../src/daemon/store.js';

// 1,000 input + 1,000 output tokens of a model no book knows, until prices.yaml says $1 and $3
// per million: $0.004 a message.
const MODEL = 'my-finetune-7';
const u = (over: Partial<UsageData> = {}): UsageData => ({ model: MODEL, inputTokens: 1000, outputTokens: 1000, cacheReadTokens: 0, cacheWriteTokens: 0, source: 'test', ...over });

describe('repricing and removal (daemon parts on a real store, real files)', () => {
  let dir: string;
  let store: SessionStore;
  let meter: Meter;
  let log: SessionLog;
  let ledger: CostLedger;
  let archive: CostArchive;
  let watch: () => PriceWatch;
  let current: PriceWatch | undefined;
  const work = () => ({ sessions: () => store.all(), rebuildCost: (r: SessionRecord) => log.rebuildCost(r), rebuildLedger: () => ledger.rebuild() });
  /** Check the prices and wait for the rebuild it starts (it runs in the background). */
  const check = async (w: PriceWatch) => {
    const changed = w.check(work());
    await w.settled();
    return changed;
  };
  const archivePrice = (harness: string, x: UsageData, at: Date) => repriceWith(meter, { harness }, x, at);
  const newLog = () => {
    const l = new SessionLog({
      store,
      bus: new EventBus(),
      priceUsage: (r, x, at) => meter.price(r, x, at),
      repriceUsage: (r, x, at) => (stale(at) ? repriceWith(meter, r, x, at) : x),
      fingerprint: () => current?.fingerprint,
    });
    l.onUsage((_r, x) => ledger.add(x, new Date())); // as the policy service does
    return l;
  };
  /** A daemon restart: a new session log over the same files (the old one closed, its summaries written). */
  const restart = (rec: SessionRecord) => {
    log.closeAll();
    log = newLog();
    log.load(rec);
  };
  const report = (extra: { archived?: boolean } = {}) =>
    costReport(
      {
        sessions: store.all(),
        buckets: (r) => log.summaries.buckets(r),
        meter,
        ...(extra.archived ? { archived: () => archive.bucketInputs(meter.fingerprint(), archivePrice) } : {}),
      },
      { by: 'session' },
    );
  const stale = (at: Date) => !current || current.stale(at);
  const configDir = () => path.join(dir, 'config');
  const price = (input: number) => fs.writeFileSync(path.join(configDir(), 'prices.yaml'), `models:\n  ${MODEL}:\n    input: ${input}\n    output: 3\n`);

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-reprice-'));
    fs.mkdirSync(configDir());
    store = new SessionStore(path.join(dir, 'state', 'sessions.json'), path.join(dir, 'state', 'sessions'));
    store.load();
    meter = new Meter({ configDir: configDir(), cacheDir: path.join(dir, 'cache') });
    log = newLog();
    archive = new CostArchive(path.join(dir, 'state', 'cost-archive'));
    const seedDays = () => [...store.all().map((r) => log.summaries.ledgerDays(r)), ...archive.summaries(meter.fingerprint(), archivePrice).map((a) => a.fold.ledgerDays)];
    ledger = new CostLedger(path.join(dir, 'state', 'cost-ledger.json'), { seedDays }).load();
    current = undefined;
    watch = () =>
      (current = new PriceWatch({
        fingerprint: () => meter.fingerprint(),
        file: path.join(dir, 'state', 'prices-applied.json'),
      }));
  });
  afterEach(() => {
    log.closeAll();
    store.flush();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const session = (id: string, status: SessionRecord['status'] = 'idle'): SessionRecord => {
    const now = new Date().toISOString();
    const rec: SessionRecord = { id, name: `n-${id}`, harness: 'pi', cwd: dir, status, createdAt: now, updatedAt: now, tmuxSession: id, command: [], lastSeq: 0 };
    store.put(rec);
    return rec;
  };
  const spend = (rec: SessionRecord) => log.emit(rec, { type: 'usage', data: u() });

  it('prices old unpriced usage in the session totals, the day ledger and omni cost once the model is priced; the log keeps what it said', async () => {
    const w = watch();
    await check(w);
    const rec = session('s_aaaaaaaa');
    spend(rec);
    spend(rec);
    expect(rec.cost).toMatchObject({ computedUsd: 0, unpricedModels: [MODEL], messages: 2 });
    expect(ledger.day(new Date())).toMatchObject({ usd: 0, unpricedModels: [MODEL] });

    price(1);
    expect(await check(w)).toBe(true);
    expect(rec.cost).toMatchObject({ computedUsd: 0.008, messages: 2 });
    expect(rec.cost?.unpricedModels).toBeUndefined();
    expect(ledger.day(new Date())).toEqual({ date: localDate(new Date()), usd: 0.008, unpricedModels: [] });
    expect(report().total).toMatchObject({ computedUsd: 0.008, unpricedMessages: 0 });
    expect(readUsage(store.eventsFile(rec.id)).every((e) => e.data.unpriced === true && e.data.computedCostUsd === undefined)).toBe(true);
    expect(await check(w)).toBe(false); // nothing changed since

    // A changed price reprices history too; a reopened log (daemon restart) agrees.
    price(2);
    log.emit(rec, { type: 'usage', data: u() }); // priced with the new book; the watch runs first in the daemon
    await check(w);
    expect(rec.cost?.computedUsd).toBe(0.015);
    rec.cost = undefined;
    restart(rec);
    expect(rec.cost?.computedUsd).toBe(0.015);

    // Events logged since the prices were applied keep their logged figure (no price book work):
    // a collector's own figure stays until the prices change again.
    log.emit(rec, { type: 'usage', data: u({ computedCostUsd: 1 }) });
    rec.cost = undefined;
    restart(rec);
    expect(rec.cost?.computedUsd).toBe(1.015);
    price(1);
    await check(w);
    expect(rec.cost?.computedUsd).toBe(0.016);
  });

  it('a price change made while the daemon was down is applied at start', async () => {
    await check(watch());
    const rec = session('s_bbbbbbbb');
    spend(rec);
    price(1);
    const restarted = watch(); // reads the fingerprint it last applied
    expect(await check(restarted)).toBe(true);
    expect(rec.cost?.computedUsd).toBe(0.004);
  });

  it('rm refuses a live session, keeps an ended one’s cost history for omni cost, the ledger and repricing', async () => {
    price(1);
    await check(watch());
    const live = session('s_cccccccc');
    spend(live);
    const removal = new SessionRemoval({ store, archive, closeLog: (id) => log.close(id), forget: () => {} });
    expect(() => removal.remove(live)).toThrow(/is idle; only ended sessions can be removed \(omni stop n-s_cccccccc first\)/);
    live.status = 'exited';
    live.exitedAt = new Date(Date.now() - 8 * 86_400_000).toISOString();
    store.put(live);
    const fresh = session('s_dddddddd', 'exited');
    fresh.exitedAt = new Date().toISOString();
    store.put(fresh);
    expect(removal.prune({ olderThanMs: 7 * 86_400_000, dryRun: true }).map((r) => r.id)).toEqual(['s_cccccccc']);
    expect(store.get('s_cccccccc')).toBeDefined();
    expect(removal.prune({ olderThanMs: 7 * 86_400_000 })).toEqual([expect.objectContaining({ id: 's_cccccccc', costKept: true })]);
    expect(store.get('s_cccccccc')).toBeUndefined();
    expect(fs.existsSync(store.sessionDir('s_cccccccc'))).toBe(false);
    expect(store.all().map((r) => r.id)).toEqual(['s_dddddddd']);

    expect(report({ archived: true }).groups).toEqual([expect.objectContaining({ key: 's_cccccccc', label: 'n-s_cccccccc', computedUsd: 0.004 })]);
    price(2); // repricing reaches the archive
    expect(report({ archived: true }).total.computedUsd).toBe(0.005);
    ledger.rebuild();
    expect(ledger.day(new Date()).usd).toBe(0.005);
  });
});

function readUsage(file: string): OmniEvent<'usage'>[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"type":"usage"'))
    .map((l) => JSON.parse(l) as OmniEvent<'usage'>);
}
