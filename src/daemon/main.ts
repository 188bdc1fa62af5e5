import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { UsageData } from '../core/events.js';
import { resolvePaths, type OmniPaths } from '../core/paths.js';
import { ensurePrivateDir } from '../core/fsutil.js';
import { OMNI_VERSION } from '../core/version.js';
import { builtinHarnesses } from '../harnesses/index.js';
import type { HarnessRegistry } from '../harnesses/registry.js';
import { createTmuxRunner } from '../tmux/runner.js';
import { Tmux } from '../tmux/tmux.js';
import { AgentEndpoints } from './agent-endpoint.js';
import { buildComposer } from './composer-wiring.js';
import { buildDebby } from './debby-wiring.js';
import { buildPolly } from './polly-wiring.js';
import { Turns } from './turns.js';
import type { McpCallReply } from '../mcp/tools.js';
import { cachedServerPid } from './server-pid.js';
import { SsHelper } from './ss-helper.js';
import { peerPids } from './peer.js';
import { ApprovalGate } from './approval-gate.js';
import { createControlServer } from './api.js';
import { LoopWatch } from './loop-watch.js';
import { EventBus } from './bus.js';
import { ApprovalQueue } from '../approvals/queue.js';
import { CostLedger } from '../cost/ledger.js';
import { CostArchive } from '../cost/archive.js';
import { Meter, repriceWith } from '../cost/meter.js';
import { costReport } from '../cost/report.js';
import { PriceWatch } from './price-watch.js';
import { SessionRemoval } from './session-removal.js';
import { DEFAULT_CONFIG, loadConfig } from './config.js';
import { shQuote } from '../core/fsutil.js';
import { alwaysOnGuards } from '../policy/guard.js';
import { PolicyService } from './policy-service.js';
import { SandboxService } from './sandbox-service.js';
import { forkRoute } from './fork.js';
import { createGitRunner, createWorktree } from '../worktree/index.js';
import { HarnessSessions } from './harness-sessions.js';
import { Notifier } from './notifier.js';
import { PathWatches, watchPath } from './file-watch.js';
import { PaneIO } from './pane-io.js';
import { SessionLog } from './session-log.js';
import { SessionManager } from './sessions.js';
import { acquireStartLock } from './start-lock.js';
import { SocketKeeper, wakeRunningDaemon } from './socket-keeper.js';
import { SessionStore } from './store.js';
import { runAclTool } from './share-acl.js';
import { shareAccess } from './share-access.js';
import { peerCred } from './share-cred.js';
import { ShareService } from './share-service.js';
import { ShareStore } from './share-store.js';
import os from 'node:os';

const PKG_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface RunDaemonOptions {
  paths?: OmniPaths;
  /** The slow safety poll of tmux (default 60 s; OMNI_SAFETY_POLL_MS, for tests). */
  pollMs?: number;
  /** The adapters to serve (default: the builtin ones); tests add a scripted one (test/helpers/scripted-daemon.mjs). */
  harnesses?: HarnessRegistry;
}

/**
 * `omni daemon run`: bind the control socket (replacing a stale one), rebuild state from disk
 * and tmux, then serve until stopped. Both happen under the start lock, and a daemon that finds
 * a live one on the socket exits 0 without doing anything, so racing auto-starts are harmless.
 */
export async function runDaemon(opts: RunDaemonOptions = {}): Promise<number> {
  const paths = opts.paths ?? resolvePaths();
  ensurePrivateDir(paths.home);
  ensurePrivateDir(paths.runDir);
  ensurePrivateDir(paths.agentDir);
  ensurePrivateDir(paths.logDir);
  // A write error (ENOSPC) must not crash the daemon: the stream is dropped and the next line reopens it.
  let logStream: fs.WriteStream | undefined;
  const openLog = (): fs.WriteStream => {
    const s = fs.createWriteStream(paths.daemonLog, { flags: 'a', mode: 0o600 });
    s.on('error', () => {
      if (logStream === s) logStream = undefined;
    });
    return s;
  };
  const log = (msg: string) => void (logStream ??= openLog()).write(`${new Date().toISOString()} [${process.pid}] ${msg}\n`);

  // Check, bind and adopt under the start lock: of daemons started at once (several gate hooks
  // after a crash) exactly one serves; the others wait for it, find it serving and exit 0.
  const unlock = await acquireStartLock(paths.runDir, log);
  if (await isAlive(paths.socket)) {
    log('another daemon owns the socket; exiting');
    await unlock?.();
    return 0;
  }
  if (!unlock) throw new Error(`another omni daemon holds ${path.join(paths.runDir, 'daemon.lock')} and does not serve ${paths.socket}`);
  // A daemon whose socket file was deleted still runs: it listens again and this one steps aside.
  try {
    if (await wakeRunningDaemon(paths.pidFile, paths.home, () => isAlive(paths.socket), log)) {
      log('the running daemon listens again; exiting');
      await unlock();
      return 0;
    }
  } catch (err) {
    await unlock();
    throw err;
  }

  const store = new SessionStore(paths.sessionsIndex, paths.sessionsDir);
  store.load();
  const bus = new EventBus();
  const harnesses = opts.harnesses ?? builtinHarnesses();
  const tmux = new Tmux({ runner: createTmuxRunner({ socketPath: paths.tmuxSocket, configPath: paths.tmuxConf }), socketPath: paths.tmuxSocket, configPath: paths.tmuxConf });
  let tmuxSettings = DEFAULT_CONFIG.tmux;
  try {
    tmuxSettings = loadConfig(paths.configDir).tmux;
  } catch (err) {
    // A wrong config.yaml is reported where it is used (session start); tmux gets the defaults.
    log(`config: ${(err as Error).message}`);
  }
  await tmux.writeConfig(tmuxSettings);
  const meter = new Meter({ configDir: paths.configDir, cacheDir: paths.cacheDir, log, defaultProvider: (h, model) => harnesses.all().find((a) => a.name === h)?.provider?.(model) });
  // Built in dependency order, no forward references: the log and the pane writer first (the
  // policy service emits, sets statuses and interrupts through them), then the policy and
  // sandbox services, then the hook dispatch that needs the policy port, then the manager.
  // Repricing (docs/COST.md): totals are built with the current book; `reprice` (below, once the
  // log and the ledger exist) rebuilds them when the prices change.
  const watch = new PriceWatch({ fingerprint: () => meter.fingerprint(), file: path.join(paths.stateDir, 'prices-applied.json'), log });
  const stale = (at: Date) => watch.stale(at);
  const events = new SessionLog({
    store,
    bus,
    log,
    priceUsage: (rec, usage, at) => meter.price(rec, usage, at),
    repriceUsage: (rec, usage, at) => (stale(at) ? repriceWith(meter, rec, usage, at) : usage),
    fingerprint: () => watch.fingerprint,
  });
  const costArchive = new CostArchive(path.join(paths.stateDir, 'cost-archive'));
  const panes = new PaneIO({ tmux, harnesses, events });
  const approvals = new ApprovalQueue(path.join(paths.stateDir, 'approvals'));
  approvals.load();
  const ss = new SsHelper();
  // Sharing with other Unix users (docs/COLLABORATION.md); the HTTP server is set below.
  let serveShared: (socket: net.Socket) => void = (socket) => socket.destroy();
  const tmuxRunner = createTmuxRunner({ socketPath: paths.tmuxSocket, configPath: paths.tmuxConf });
  const shares = new ShareService({
    store: new ShareStore(path.join(paths.stateDir, 'shares.json')).load(),
    shareSocket: paths.shareSocket,
    tmuxSocket: paths.tmuxSocket,
    ownerUid: process.getuid?.() ?? -1,
    emit: (rec, ev) => events.emit(rec, ev),
    tmux: (args) => tmuxRunner.run(args),
    acl: runAclTool,
    cred: peerCred,
    serve: (socket) => serveShared(socket),
    log,
  });
  const gate = new ApprovalGate({
    guest: (socket) => shares.guestOf(socket),
    sessions: () => store.all(),
    approvalSession: (id) => {
      const a = approvals.get(id);
      return a ? store.get(a.session) : undefined;
    },
    tmuxServerPid: cachedServerPid(() => tmux.serverPid()),
    peerPid: (socket) => peerPids(socket, ss.run),
    emit: (rec, ev) => events.emit(rec, ev),
    log,
  });
  approvals.subscribe((item) => {
    if (item.type === 'resolved') gate.forget(item.approval.id);
  });
  const omniJs = path.join(PKG_ROOT, 'bin', 'omni.js');
  // Totals come from the sessions' summaries (docs/COST.md, "How totals are kept"), never from
  // reading every log: the ledger's rebuild, `omni cost`, repricing.
  const archivePrice = (harness: string, usage: UsageData, at: Date) => (stale(at) ? repriceWith(meter, { harness }, usage, at) : usage);
  const archived = () => costArchive.summaries(watch.fingerprint ?? '', archivePrice);
  // An ended session without a usable summary is rebuilt in the background (SessionLog.load);
  // the ledger is added up again once those are done (below, after adoption).
  const ledgerSeedDays = () => [
    ...store.all().map((r) => {
      events.load(r);
      return events.summaries.ledgerDays(r);
    }),
    ...archived().map((a) => a.fold.ledgerDays),
  ];
  const ledger = new CostLedger(path.join(paths.stateDir, 'cost-ledger.json'), { log, seedDays: ledgerSeedDays }).load();
  const reprice = () => watch.check({ sessions: () => store.all(), rebuildCost: (rec) => events.rebuildCost(rec), rebuildLedger: () => ledger.rebuild() });
  reprice();
  const policies = new PolicyService({
    approvals,
    sessionDir: (id) => store.sessionDir(id),
    getSession: (id) => store.get(id),
    emit: (rec, ev) => events.emit(rec, ev),
    setStatus: (rec, status, reason) => events.setStatus(rec, status, reason, 'daemon'),
    usage: events,
    configDir: paths.configDir,
    guards: alwaysOnGuards(paths),
    log,
    interrupt: (rec) => panes.interrupt(rec),
    listSessions: () => store.all(),
    ledger,
    notify: (rec, approval) => {
      let popup = DEFAULT_CONFIG.approvals.popup;
      try {
        popup = loadConfig(paths.configDir).approvals.popup;
      } catch (err) {
        log(`config: ${(err as Error).message}`);
      }
      if (!popup) return;
      // Over the agent's pane, for whoever is attached to it; answering there is via "popup".
      // It runs under omni's tmux server, where only a popup holding its nonce may answer.
      const cmd = `OMNI_HOME=${shQuote(paths.home)} ${shQuote(process.execPath)} ${shQuote(omniJs)} approvals popup ${approval.id}`;
      void tmux
        .listClients(rec.tmuxSession)
        .then((clients) =>
          Promise.all(clients.map((c) => tmux.displayPopup(c, cmd, { title: ` omni: ${rec.name} asks `, height: '60%', env: { OMNI_POPUP_NONCE: gate.popupNonce(approval.id) } }))),
        )
        .catch((err) => log(`popup ${approval.id}: ${(err as Error).message}`));
    },
  });
  const hooks = new HarnessSessions({ store, harnesses, events, policies, panes, log });
  // The sockets' MCP verb calls the composer, built last (below): no socket opens before it is.
  const agents = new AgentEndpoints(
    paths.agentDir,
    (id, event, payload, signal) => hooks.handleHook(id, event, payload, signal),
    log,
    (id, tool, args, signal): Promise<McpCallReply> => composer.call({ kind: 'session', id }, tool, args, signal),
  );
  const sandbox = new SandboxService({
    agentDir: (id) => agents.sessionDir(id),
    sessionDir: (id) => store.sessionDir(id),
    omniHome: paths.home,
    configDir: paths.configDir,
    pkgRoot: PKG_ROOT,
    node: process.execPath,
    decide: (rec, req, signal, extra) => policies.decide(rec, req, signal, extra),
    emit: (rec, ev) => events.emit(rec, ev),
    log,
    daemonEnv: Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => typeof e[1] === 'string')),
  });
  const sessions = new SessionManager({
    store,
    tmux,
    harnesses,
    events,
    panes,
    hooks,
    policies,
    sandbox,
    agentSocket: agents,
    hookClient: {
      script: path.join(PKG_ROOT, 'bin', 'omni-hook'),
      node: process.execPath,
      omniJs,
      omniHome: paths.home,
    },
    log,
  });

  // omni's MCP tools (docs/ARCHITECTURE.md, "omni_spawn, hop by hop"); children tell their parents.
  const composer = buildComposer({ store, sessions, bus, events, policies, ledger, harnesses, paths, log });
  // The orchestrators, on the same parts: Polly (plan, workers, cross-vendor review) and Debby (heads side by side).
  const turns = new Turns({ bus, store, sessions, lastSeq: (rec) => events.lastSeq(rec) });
  const orchestratorParts = { store, sessions, bus, events, policies, harnesses, composer, turns, gate, paths, log };
  const polly = buildPolly(orchestratorParts);
  const debby = buildDebby(orchestratorParts);

  // Tells the person (their tmux, their desktop) when a session needs them or is done.
  const notifier = new Notifier({
    config: () => loadConfig(paths.configDir).notify,
    session: (id) => store.get(id),
    ownTmuxSocket: paths.tmuxSocket,
    log,
  });
  bus.subscribe(null, (ev) => notifier.onEvent(ev));
  // An ended session's policy-state journal is folded into its snapshot and its fd closed.
  bus.subscribe(null, (ev) => {
    if (ev.type === 'session.exited') policies.close(ev.session);
  });

  const info = { pid: process.pid, version: OMNI_VERSION, startedAt: new Date().toISOString(), socket: paths.socket, home: paths.home, tmuxSocket: paths.tmuxSocket };
  let stopping = false;
  const done = deferred<number>();
  const ready = deferred<void>();
  const loopWatch = new LoopWatch({ log });
  const sharing = shareAccess({ shares, sessions: { list: () => sessions.list(), get: (id) => store.get(id), resolve: (r) => sessions.resolve(r) }, approvals, emit: (rec, ev) => events.emit(rec, ev), info: { ...info, shareSocket: paths.shareSocket }, owner: os.userInfo().username });
  const server = createControlServer({
    loopWatch,
    composer,
    share: sharing,
    attached: () => tmux.listAllClients(),
    extraRoutes: [
      ...polly.routes,
      ...debby.routes,
      ...sharing.routes,
      forkRoute({ store, harnesses, sessions, sandbox, resolve: (ref) => sessions.resolve(ref), worktrees: { create: (o) => createWorktree(createGitRunner(), o) }, worktreeRoot: path.join(paths.home, 'worktrees'), flushIngest: (id) => hooks.runIngest(id, true) }),
    ],
    sessions,
    bus,
    harnesses,
    policies,
    approvals,
    gate,
    info,
    log,
    ready: ready.promise,
    shutdown: () => void shutdown('stop requested'),
    cost: (q) =>
      costReport(
        {
          sessions: sessions.list(),
          buckets: (rec) => events.summaries.buckets(rec),
          meter,
          archived: () => costArchive.bucketInputs(watch.fingerprint ?? '', archivePrice),
          repricing: () => events.summaries.repricing + (watch.repricing ? store.all().filter((r) => !events.summaries.current(r)).length : 0),
        },
        q,
      ),
    refreshCost: () => reprice(),
    removal: new SessionRemoval({
      store,
      archive: costArchive,
      closeLog: (id) => {
        events.close(id);
        events.summaries.forget(id);
      },
      forget: (id) => policies.forget(id),
      log,
    }),
  });

  serveShared = (socket) => server.emit('connection', socket);
  // A new tmux server (the first session after none) has a new socket and an empty server-access list.
  bus.subscribe(null, (ev) => {
    if (ev.type === 'session.started' && shares.grants().length) void shares.sync().catch((err) => log(`share: ${(err as Error).message}`));
  });
  const keeper = new SocketKeeper(server, paths.socket, (srv, sock) => listen(srv as import('node:http').Server, sock), log);
  // From a daemon start that found this one running without its socket file: listen again.
  // Set before the pid file is written: SIGUSR2's default action would end the process.
  process.on('SIGUSR2', () => {
    void keeper.check();
    void agents.checkAll();
  });

  async function shutdown(why: string): Promise<void> {
    if (stopping) return;
    stopping = true;
    log(`shutting down: ${why}`);
    keeper.stop();
    shares.stopListening();
    polly.close();
    debby.close();
    priceWatch.close();
    loopWatch.close();
    ss.close();
    server.close();
    server.closeAllConnections();
    await sandbox.closeAll();
    await agents.closeAll();
    await sessions.shutdown();
    policies.closeAll();
    try {
      fs.unlinkSync(paths.socket);
    } catch {
      /* gone */
    }
    try {
      if (fs.readFileSync(paths.pidFile, 'utf8').trim() === String(process.pid)) fs.unlinkSync(paths.pidFile);
    } catch {
      /* gone */
    }
    logStream?.end();
    done.resolve(0);
  }

  // Own the socket first (a daemon that cannot bind changes nothing), then re-adopt; requests
  // that arrive meanwhile wait for `ready`, so the first answer sees the real state.
  try {
    await listen(server, paths.socket);
    fs.chmodSync(paths.socket, 0o600);
    keeper.start();
    const { adopted, exited } = await sessions.adoptAll();
    if (events.summaries.repricing) void events.summaries.settled().then(() => ledger.rebuild());
    ready.resolve();
    await shares.sync().catch((err) => log(`share: ${(err as Error).message}`));
    log(`started (pid ${process.pid}); re-adopted ${adopted.length} live session(s), closed ${exited.length}`);
    void polly.resume().catch((err) => log(`polly: resuming runs failed: ${(err as Error)?.stack ?? err}`));
    fs.writeFileSync(paths.pidFile, `${process.pid}\n`, { mode: 0o600 });
  } finally {
    await unlock();
  }

  // Supervision (supervise-loop.ts): tmux's hooks wake a check; a slow safety poll covers what
  // no hook reports. Prices edited while nothing was logged or listed reach the budgets through
  // a watch of the price files' directories, and on every check.
  const repriceQuietly = () => {
    try {
      reprice();
    } catch (err) {
      log(`prices: ${(err as Error).message}`);
    }
  };
  sessions.supervise({ safetyMs: opts.pollMs ?? safetyPollMs(process.env), afterCheck: repriceQuietly });
  const priceDirs = [paths.configDir, paths.cacheDir];
  // Re-synced on each change: a directory created later gets its own watch.
  const priceWatch: PathWatches = new PathWatches(() => (repriceQuietly(), priceWatch.sync(priceDirs)), watchPath, 100);
  priceWatch.sync(priceDirs);

  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGHUP', () => {
    /* detached daemons ignore terminal hangups */
  });
  return done.promise;
}

async function listen(server: import('node:http').Server, sock: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(sock, () => {
          server.off('error', reject);
          resolve();
        });
      });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt > 2) throw err;
      // A socket file nobody answers on is left by a dead daemon: replace it.
      if (await isAlive(sock)) throw new Error(`another omni daemon is serving ${sock}`);
      fs.unlinkSync(sock);
    }
  }
}

/** True when something accepts connections on the socket. */
export function isAlive(sock: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(sock);
    const t = setTimeout(() => {
      c.destroy();
      resolve(false);
    }, timeoutMs);
    c.once('connect', () => {
      clearTimeout(t);
      c.destroy();
      resolve(true);
    });
    c.once('error', () => {
      clearTimeout(t);
      resolve(false);
    });
  });
}

/** Tests stretch it (to show that nothing depends on it) or shrink it. */
function safetyPollMs(env: NodeJS.ProcessEnv): number {
  const n = Number(env.OMNI_SAFETY_POLL_MS);
  return Number.isFinite(n) && n >= 50 ? n : 60_000;
}

/** A promise and the function that settles it (Promise.withResolvers is Node 22+). */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve: (v: T) => void = () => {};
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
