// The scale bench's state: sessions and event logs in the daemon's real on-disk format
// (state/sessions.json, state/sessions/<id>/session.json and events.ndjson; src/daemon/store.ts,
// src/core/events.ts, docs/EVENTS.md), with the event mix of real Claude Code sessions.
//
// Generated once into a cache dir keyed by GEN_VERSION and the shape, reused on later runs
// (checked against its manifest: every log's size), regenerated with --fresh. Deterministic:
// a seeded PRNG, a fixed end date, so two machines get the same bytes.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seededRandom } from './lib.mjs';

/** Bump when the generated content changes: old caches are then left alone and a new one made. */
export const GEN_VERSION = 1;

export const cacheRoot = () => process.env.OMNI_BENCH_CACHE || path.join(os.homedir(), '.cache', 'omni-bench');

// ------------------------------------------------------------------------------ text pools
// Mixed prose as people and Claude write it, non-ASCII included (BMP only, so a slice never
// splits a surrogate pair), and code as Read/Edit outputs carry it.
const PROSE = [
  'Let me look at the failing test first, then the function it calls.',
  'The build fails because the import path is missing its .js extension under NodeNext.',
  'Ich habe die Konfiguration geprüft: die Größe des Puffers ist zu klein für große Dateien.',
  'テストが失敗しています。原因はタイムゾーンの扱いです。修正を提案します。',
  'Проверил логи: демон перезапускается из-за устаревшего сокета.',
  'Voilà : la fonction renvoie désormais une erreur claire au lieu de planter — à vérifier.',
  '✅ All 42 tests pass. • lint clean • types clean → ready for review.',
  'I will refactor the parser so each token kind has its own function; this keeps files small.',
  'El resultado es correcto, pero la caché no se invalida cuando cambia el año (año → 2027).',
  '修改了配置文件的读取逻辑，现在会跳过损坏的行并记录警告。',
  'Next I run the type checker, then the unit tests for the module I touched.',
  'The diff is small: one guard clause and a test that fails without it.',
];
const CODE = [
  "import fs from 'node:fs';",
  "import path from 'node:path';",
  'export function parseConfig(text: string): Config {',
  '  const lines = text.split("\\n").filter((l) => l.trim() && !l.startsWith("#"));',
  '  for (const [i, line] of lines.entries()) {',
  '    if (!line.includes("=")) throw new Error(`line ${i + 1}: expected key=value`);',
  '  }',
  '  // 設定ファイルのキーは小文字に正規化する',
  '  return Object.fromEntries(lines.map((l) => l.split("=", 2).map((s) => s.trim())));',
  '}',
  'describe("parseConfig", () => {',
  '  it("skips comments — und leere Zeilen", () => {',
  '    expect(parseConfig("# c\\na = 1\\n")).toEqual({ a: "1" });',
  '  });',
  '});',
  'const retries = Number(process.env.RETRIES ?? 3); // ≥ 1',
  'async function main(): Promise<number> {',
  '  await using server = await startServer({ port: 0 });',
  '  return server.closed.then(() => 0);',
];
const proseTail = (() => {
  let s = '';
  while (s.length < 70_000) s += PROSE[s.length % PROSE.length] + ' ';
  return s;
})();
const codeTail = (() => {
  let s = '';
  for (let i = 0; s.length < 70_000; i++) s += CODE[(i * 7) % CODE.length] + '\n';
  return s;
})();

// ------------------------------------------------------------------------------ the shapes
const MODELS = [
  ['claude-sonnet-4-5-20250929', 0.7, { in: 3, out: 15, cr: 0.3, cw: 3.75 }],
  ['claude-opus-4-1-20250805', 0.2, { in: 15, out: 75, cr: 1.5, cw: 18.75 }],
  ['claude-haiku-4-5-20251001', 0.1, { in: 1, out: 5, cr: 0.1, cw: 1.25 }],
];
const ID_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
const B62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const END = Date.parse('2026-11-30T18:00:00Z');
const DAY = 86_400_000;

/** Generation state for one run: the PRNG and small helpers on it. */
function makeRand(seed) {
  const r = seededRandom(seed);
  const int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const chars = (alpha, n) => {
    let s = '';
    for (let i = 0; i < n; i++) s += alpha[Math.floor(r() * alpha.length)];
    return s;
  };
  const uuid = () => `${chars('0123456789abcdef', 8)}-${chars('0123456789abcdef', 4)}-4${chars('0123456789abcdef', 3)}-a${chars('0123456789abcdef', 3)}-${chars('0123456789abcdef', 12)}`;
  /** A size with a long tail: most small, some large (median ≈ mean/2). */
  const size = (mean) => Math.max(8, Math.round(-Math.log(1 - r() * 0.999) * mean));
  const slice = (pool, n) => {
    const at = int(0, pool.length - n - 1);
    return pool.slice(at, at + n);
  };
  return { r, int, pick, chars, uuid, size, prose: (n) => slice(proseTail, Math.min(n, 60_000)), code: (n) => slice(codeTail, Math.min(n, 60_000)) };
}

const FILES = ['src/index.ts', 'src/config.ts', 'src/parser/tokens.ts', 'src/server/http.ts', 'test/config.test.ts', 'README.md', 'package.json', 'docs/guide.md', 'src/cli/main.ts', 'src/util/retry.ts'];

/** One tool call and its result as Claude Code's hooks carry them (tool_input, tool_response). */
function toolPair(R, cwd) {
  const x = R.r();
  const file = `${cwd}/${R.pick(FILES)}`;
  if (x < 0.35) {
    const command = R.pick(['npm test', 'npx tsc --noEmit', 'git status --short', 'git diff --stat', 'ls -la src', 'rg -n "TODO" src', 'npx vitest run test/config.test.ts', 'git log --oneline -20']);
    return { tool: 'Bash', kind: 'shell', input: { command, description: R.prose(R.int(15, 60)) }, output: { stdout: R.prose(R.size(2000)), stderr: R.r() < 0.2 ? R.prose(R.size(150)) : '', interrupted: false, isImage: false, noOutputExpected: false } };
  }
  if (x < 0.65) {
    const content = R.code(R.size(3400));
    const numLines = content.split('\n').length;
    return { tool: 'Read', kind: 'read', input: { file_path: file }, output: { type: 'text', file: { filePath: file, content, numLines, startLine: 1, totalLines: numLines } } };
  }
  if (x < 0.8) {
    const oldString = R.code(R.int(40, 300));
    const newString = R.code(R.int(40, 400));
    return {
      tool: 'Edit',
      kind: 'edit',
      input: { file_path: file, old_string: oldString, new_string: newString, replace_all: false },
      output: { filePath: file, oldString, newString, originalFile: R.code(R.size(2200)), structuredPatch: [{ oldStart: R.int(1, 200), oldLines: 3, newStart: R.int(1, 200), newLines: 4, lines: newString.split('\n').map((l) => `+${l}`) }], userModified: false, replaceAll: false },
    };
  }
  if (x < 0.9) {
    const filenames = Array.from({ length: R.int(1, 25) }, () => `${cwd}/${R.pick(FILES)}`);
    return { tool: 'Grep', kind: 'read', input: { pattern: R.pick(['TODO', 'parseConfig', 'retries', 'export function']), path: cwd, output_mode: 'files_with_matches' }, output: { mode: 'files_with_matches', filenames, numFiles: filenames.length } };
  }
  if (x < 0.96) {
    const filenames = Array.from({ length: R.int(1, 40) }, () => `${cwd}/${R.pick(FILES)}`);
    return { tool: 'Glob', kind: 'read', input: { pattern: '**/*.ts' }, output: { filenames, durationMs: R.int(3, 80), numFiles: filenames.length, truncated: false } };
  }
  const content = R.code(R.size(1500));
  return { tool: 'Write', kind: 'write', input: { file_path: file, content }, output: { type: 'create', filePath: file, content, structuredPatch: [] } };
}

/**
 * Writes one session's log (`n` events, exactly) and returns what its record needs. Buffered
 * writes straight to the file: one JSON.stringify per event, no whole-log string in memory.
 */
function writeLog(R, file, { id, name, cwd, model, live, startMs, spanMs, n, withPolicies }) {
  const fd = fs.openSync(file, 'w', 0o600);
  const chunks = [];
  let pending = 0;
  let bytes = 0;
  let seq = 0;
  const flush = () => {
    if (!chunks.length) return;
    const buf = Buffer.from(chunks.join(''));
    fs.writeSync(fd, buf);
    bytes += buf.length;
    chunks.length = 0;
    pending = 0;
  };
  // Leave room for the closing events (idle, exited) so the count comes out exact.
  const tail = live ? 0 : 2;
  const step = spanMs / n;
  const emit = (type, data) => {
    seq++;
    const line = `${JSON.stringify({ seq, ts: new Date(startMs + Math.round(seq * step)).toISOString(), session: id, type, data })}\n`;
    chunks.push(line);
    pending += line.length;
    if (pending > 1 << 20) flush();
  };
  const room = () => n - tail - seq;
  const cost = { computedUsd: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, messages: 0 };
  const harnessSessionId = R.uuid();
  let reported = 0;
  let status = 'starting';
  const setStatus = (s, reason) => {
    emit('session.status', { status: s, previous: status, ...(reason ? { reason } : {}), source: s === 'exited' ? 'tmux' : 'hook' });
    status = s;
  };
  const usage = (m, sub) => {
    const price = MODELS.find((x) => x[0] === m)[2];
    const u = { inputTokens: R.int(1, 40), outputTokens: R.size(350), cacheReadTokens: R.int(8_000, 120_000), cacheWriteTokens: R.size(1_500) };
    const usd = Math.round(((u.inputTokens * price.in + u.outputTokens * price.out + u.cacheReadTokens * price.cr + u.cacheWriteTokens * price.cw) / 1e6) * 1e10) / 1e10;
    const messageId = `msg_01${R.chars(B62, 22)}`;
    emit('usage', { model: m, ...u, computedCostUsd: usd, source: sub ? 'claude.subagent' : 'claude.transcript', messageId });
    cost.messages++;
    cost.computedUsd += usd;
    cost.inputTokens += u.inputTokens;
    cost.outputTokens += u.outputTokens;
    cost.cacheReadTokens += u.cacheReadTokens;
    cost.cacheWriteTokens += u.cacheWriteTokens;
    reported += usd * 1.02;
    return messageId;
  };

  emit('session.started', { harness: 'claude', name, cwd, model, command: ['claude', '--settings', `${cwd}/.omni/claude-settings.json`, '--session-id', harnessSessionId] });
  if (room() > 0) setStatus('idle');
  while (room() > 0) {
    // One turn: a prompt, tool calls (each: usage, maybe text, call, decision, result), the
    // answer, idle, the statusLine's running cost.
    emit('message.user', { text: R.prose(R.size(260)) });
    if (room() > 0) setStatus('running');
    const tools = R.int(1, 8);
    for (let t = 0; t < tools && room() > 6; t++) {
      const sub = R.r() < 0.08;
      const messageId = usage(R.r() < 0.85 ? model : R.pick(MODELS)[0], sub);
      if (R.r() < 0.5) emit('message.assistant', { text: R.prose(R.size(220)), messageId, model });
      const callId = `toolu_01${R.chars(B62, 22)}`;
      const p = toolPair(R, cwd);
      emit('tool.call', { callId, tool: p.tool, kind: p.kind, input: p.input });
      if (withPolicies) emit('policy.decision', { phase: 'tool_call', verdict: p.kind === 'shell' ? 'allow' : 'none', ...(p.kind === 'shell' ? { policy: 'ask_on_shell', reason: 'allowed by an exception' } : {}), callId });
      const ok = R.r() > 0.04;
      emit('tool.result', { callId, tool: p.tool, ok, output: ok ? p.output : `Error: ${R.prose(R.size(120))}` });
    }
    if (room() > 1) emit('message.assistant', { text: R.prose(R.size(600)), messageId: usage(model, false), model });
    if (room() > 0) setStatus('idle');
    if (room() > 0) emit('cost.reported', { totalUsd: Math.round(reported * 1e4) / 1e4, source: 'claude.statusline', harnessSessionId, model });
  }
  // `usage` may have stepped past the room left by a turn's fixed parts: fill exactly.
  while (seq < n - tail) emit('session.status', { status: 'idle', previous: status, source: 'hook' });
  if (!live) {
    setStatus('exited', 'the harness exited');
    emit('session.exited', { code: 0 });
  }
  flush();
  fs.closeSync(fd);
  return { lastSeq: seq, bytes, cost: { ...cost, computedUsd: Math.round(cost.computedUsd * 1e10) / 1e10, reportedUsd: Math.round(reported * 1e4) / 1e4 }, harnessSessionId, status };
}

/**
 * Event counts per session summing to `total`: a long-tailed spread (a few big sessions, many
 * small), with session 0 at exactly `target` events (the `omni events` subject).
 */
function spread(R, sessions, total, target) {
  const w = Array.from({ length: sessions - 1 }, () => Math.exp(R.r() * 3.2));
  const rest = total - target;
  const sum = w.reduce((a, b) => a + b, 0);
  const counts = w.map((x) => Math.max(12, Math.floor((x / sum) * rest)));
  counts[0] += rest - counts.reduce((a, b) => a + b, 0);
  return [target, ...counts];
}

/**
 * Generates (or reuses) the state for `sessions` × `events` with `live` live sessions; returns
 * `{ dir, manifest, reused }`. `dir` holds `state/` exactly as $OMNI_HOME/state.
 */
export function ensureState({ sessions, events, live, fresh = false, say = () => {} }) {
  const key = `v${GEN_VERSION}-${sessions}s-${events}e-${live}l`;
  const dir = path.join(cacheRoot(), key);
  const manifestFile = path.join(dir, 'manifest.json');
  if (!fresh) {
    const why = checkState(dir);
    if (!why) return { dir, manifest: JSON.parse(fs.readFileSync(manifestFile, 'utf8')), reused: true };
    if (fs.existsSync(dir)) say(`cache ${dir}: ${why}; regenerating`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const t0 = Date.now();
  const R = makeRand(0x0a11ce + sessions * 7 + events);
  const sessionsDir = path.join(dir, 'state', 'sessions');
  fs.mkdirSync(sessionsDir, { recursive: true, mode: 0o700 });
  const target = Math.min(10_000, Math.floor(events / sessions));
  const counts = spread(R, sessions, events, target);
  const records = [];
  const entries = [];
  let totalBytes = 0;
  for (let i = 0; i < sessions; i++) {
    const id = `s_${R.chars(ID_ALPHABET, 8)}`;
    const isLive = i >= sessions - live; // the newest ones
    const name = i === 0 ? 'ten-k' : `${R.pick(['fix', 'feat', 'docs', 'refactor', 'test', 'spike'])}-${R.pick(['auth', 'parser', 'cli', 'cache', 'build', 'ui'])}-${i}`;
    // Spread over 60 days; the live ones end now-ish.
    const startMs = END - (isLive ? R.int(1, 6) * 3_600_000 : Math.round((1 - i / sessions) * 60 * DAY) + R.int(0, 3_600_000));
    const spanMs = isLive ? END - startMs : R.int(20, 300) * 60_000;
    const cwd = `/home/dev/projects/${R.pick(['omni', 'webshop', 'infra', 'ml-notebooks'])}`;
    const model = R.r() < 0.8 ? MODELS[0][0] : MODELS[1][0];
    fs.mkdirSync(path.join(sessionsDir, id), { mode: 0o700 });
    const log = writeLog(R, path.join(sessionsDir, id, 'events.ndjson'), { id, name, cwd, model, live: isLive, startMs, spanMs, n: counts[i], withPolicies: R.r() < 0.6 });
    totalBytes += log.bytes;
    const createdAt = new Date(startMs).toISOString();
    const endIso = new Date(startMs + spanMs).toISOString();
    const rec = {
      id,
      name,
      harness: 'claude',
      model,
      cwd,
      status: isLive ? 'idle' : 'exited',
      statusSource: isLive ? 'hook' : 'tmux',
      createdAt,
      updatedAt: endIso,
      ...(isLive ? {} : { exitedAt: endIso, exitCode: 0 }),
      tmuxSession: id,
      paneId: `%${i}`,
      panePid: 100_000 + i,
      harnessSessionId: log.harnessSessionId,
      // Where Claude would keep it; it does not exist here (exited sessions never read it; live
      // ones only when it does).
      transcriptPath: `/home/dev/.claude/projects/-home-dev-projects/${log.harnessSessionId}.jsonl`,
      command: ['claude', '--settings', `${cwd}/.omni/claude-settings.json`, '--session-id', log.harnessSessionId],
      cost: log.cost,
      ...(i % 17 === 3 ? { tags: ['nightly'] } : {}),
      lastSeq: log.lastSeq,
    };
    fs.writeFileSync(path.join(sessionsDir, id, 'session.json'), JSON.stringify(rec, null, 2) + '\n', { mode: 0o600 });
    records.push(rec);
    entries.push({ id, name, events: log.lastSeq, bytes: log.bytes, live: isLive });
  }
  fs.writeFileSync(path.join(dir, 'state', 'sessions.json'), JSON.stringify({ version: 1, sessions: records }, null, 2) + '\n', { mode: 0o600 });
  const manifest = { version: GEN_VERSION, sessions: entries, totalEvents: entries.reduce((a, e) => a + e.events, 0), totalBytes, generatedMs: Date.now() - t0 };
  // Written last: a cache without it is an interrupted generation.
  fs.writeFileSync(manifestFile, JSON.stringify(manifest) + '\n');
  return { dir, manifest, reused: false };
}

/** Why the cached state at `dir` cannot be used (undefined: it can). */
export function checkState(dir) {
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  } catch {
    return 'no manifest';
  }
  if (manifest.version !== GEN_VERSION) return `version ${manifest.version}, want ${GEN_VERSION}`;
  for (const s of manifest.sessions) {
    let size = -1;
    try {
      size = fs.statSync(path.join(dir, 'state', 'sessions', s.id, 'events.ndjson')).size;
    } catch {
      /* missing */
    }
    if (size !== s.bytes) return `${s.id}/events.ndjson is ${size} bytes, the manifest says ${s.bytes}`;
  }
  return undefined;
}

/**
 * A working $OMNI_HOME/state from the cache: exited sessions' logs hard-linked (the daemon never
 * writes to them; checkState afterwards catches one that did), everything else copied. Falls
 * back to copying when links fail (another file system).
 */
export function materialize(cacheDir, manifest, stateDir) {
  const from = path.join(cacheDir, 'state');
  fs.mkdirSync(path.join(stateDir, 'sessions'), { recursive: true, mode: 0o700 });
  fs.copyFileSync(path.join(from, 'sessions.json'), path.join(stateDir, 'sessions.json'));
  let linked = 0;
  for (const s of manifest.sessions) {
    const a = path.join(from, 'sessions', s.id);
    const b = path.join(stateDir, 'sessions', s.id);
    fs.mkdirSync(b, { mode: 0o700 });
    fs.copyFileSync(path.join(a, 'session.json'), path.join(b, 'session.json'));
    const log = path.join(a, 'events.ndjson');
    if (!s.live) {
      try {
        fs.linkSync(log, path.join(b, 'events.ndjson'));
        linked++;
        continue;
      } catch {
        /* copy instead */
      }
    }
    fs.copyFileSync(log, path.join(b, 'events.ndjson'));
  }
  return { linked };
}
