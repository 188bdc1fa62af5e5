import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { answerCodexTitles, CODEX_FAKE_KEY_VAR, codexUserEnv } from '../conformance/profiles/codex.js';
import { writePiUserConfig } from '../conformance/profiles/pi.js';
import { startFakeModel, type FakeModel } from '../fake-model/server.js';
import { parseEvents, toolResultText } from '../helpers/events.js';
import { makeTestEnv, pinnedCli, type TestEnv } from '../helpers/omni.js';

// Assembled, so no file holds it whole (the checkout may sit under /tmp, which the probes search).
const GH_SECRET = ['ghp_REAL-GH-SECRET', '0123456789'].join('-');
const MODEL_KEY = 'real-model-key-abcdef';

/**
 * The real Codex and Pi in omni's sandbox (real bubblewrap, docs/SANDBOX.md), against the fake
 * model, configured the way their users configure them: a provider in ~/.codex/config.toml (update
 * check, analytics and plugins left at their defaults), in ~/.pi/agent/models.json (no PI_OFFLINE
 * from the caller). The model drives a shell probe; what the probe printed is what the model saw.
 * sandbox.test.ts covers the proxy's rules, asks and secret binding in depth, with Claude Code.
 *
 * Each runs twice: with the model on 127.0.0.1 (reached through the proxy, which trusts the
 * configured model endpoint) and under a name pinned in `sandbox.network.resolve`.
 */
type Endpoint = 'loopback' | 'pinned';
const ENDPOINTS: Endpoint[] = ['loopback', 'pinned'];
const PINNED_HOST = 'model.test';

function modelUrl(fake: FakeModel, how: Endpoint): string {
  return how === 'loopback' ? fake.url : `http://${PINNED_HOST}:${fake.port}`;
}

/** Secrets the sandbox must hide, and config.yaml with a GitHub secret (and the pinned model name). */
function setupHome(t: TestEnv, fake: FakeModel, how: Endpoint): void {
  fs.mkdirSync(path.join(t.home, '.ssh'), { recursive: true });
  fs.writeFileSync(path.join(t.home, '.ssh', 'id_rsa'), '-----BEGIN OPENSSH PRIVATE KEY----- SSH-KEY-MATERIAL\n');
  fs.mkdirSync(path.join(t.omniHome, 'config'), { recursive: true });
  const lines = ['secrets:', '  github:', '    from: { env: GH_TOKEN }', '    env: [GH_TOKEN]', '    inject:', '      - host: api.github.com'];
  if (how === 'pinned') lines.push('sandbox:', '  network:', '    resolve:', `      ${PINNED_HOST}: 127.0.0.1:${fake.port}`);
  fs.writeFileSync(path.join(t.omniHome, 'config', 'config.yaml'), lines.join('\n') + '\n');
}

/** The shell probe: the secret in the environment, ~/.ssh, a file written in the work dir. */
function probe(file: string): string {
  return [
    `echo "TOKEN-IN-ENV:$(env | grep -c REAL-GH-SECRET)"`,
    // A suffix of the key: the command itself (logged as tool.call) must not hold the whole key.
    `echo "MODEL-KEY-IN-ENV:$(env | grep -c ${MODEL_KEY.slice(5)})"`,
    `echo "GH_TOKEN=$GH_TOKEN"`,
    `echo "SSH:$(cat ~/.ssh/id_rsa 2>&1 | head -c 80)"`,
    `echo sandboxed > ${file}`,
    'echo PROBE-DONE',
  ].join('; ');
}

/** `out` is the tool result as the model got it (JSON text: newlines are `\n` escapes). */
function checkProbe(out: string): void {
  const line = (key: string) => new RegExp(`${key}:(.*?)(?:\\\\n|$)`).exec(out)?.[1] ?? `(no ${key} line in: ${out})`;
  expect(out).toContain('PROBE-DONE');
  expect(line('TOKEN-IN-ENV')).toBe('0');
  expect(line('MODEL-KEY-IN-ENV')).toBe('0');
  expect(/GH_TOKEN=([\w-]+)/.exec(out)?.[1]).toMatch(/^omni-placeholder-github-/);
  expect(line('SSH')).toMatch(/No such file/);
  expect(out).not.toContain('SSH-KEY-MATERIAL');
}

async function events(t: TestEnv, name: string): Promise<OmniEvent[]> {
  return parseEvents((await t.omni(['events', name, '--json'])).stdout);
}

/** The model's traffic went through the proxy, allowed, to the configured endpoint; nothing was asked. */
function checkEgress(ev: OmniEvent[], fake: FakeModel, how: Endpoint, apiPath: string): Array<OmniEvent<'egress.request'>> {
  const egress = ev.filter((e) => e.type === 'egress.request') as Array<OmniEvent<'egress.request'>>;
  const model = egress.filter((e) => e.data.path === apiPath);
  expect(model.length).toBeGreaterThanOrEqual(fake.turns().length);
  for (const e of model) {
    expect(e.data).toMatchObject({ scheme: 'http', host: how === 'loopback' ? '127.0.0.1' : PINNED_HOST, port: fake.port, method: 'POST', verdict: 'allow', status: 200 });
  }
  // The harness's own start-up traffic (update checks, telemetry, announcements, plugin sync)
  // neither held an egress ask nor left the session waiting.
  expect(ev.filter((e) => e.type === 'approval.requested').map((e) => (e.data as { reason: string }).reason)).toEqual([]);
  expect(ev.some((e) => e.type === 'session.status' && (e.data as { status: string }).status === 'waiting')).toBe(false);
  return egress;
}

function noSecretsLogged(t: TestEnv, id: string): void {
  const sdir = path.join(t.omniHome, 'state', 'sessions', id);
  const logs = fs.readdirSync(sdir).filter((f) => f.endsWith('.ndjson'));
  for (const f of [...logs.map((l) => path.join(sdir, l)), path.join(t.omniHome, 'log', 'omnid.log')]) {
    const text = fs.readFileSync(f, 'utf8');
    expect(text, f).not.toContain(GH_SECRET);
    expect(text, f).not.toContain(MODEL_KEY);
  }
}

/** A user's own Codex config: a provider whose key is in FAKE_OPENAI_API_KEY; everything else default. */
function writeCodexConfig(home: string, baseUrl: string): void {
  const dir = path.join(home, '.codex');
  fs.mkdirSync(dir, { recursive: true });
  const toml = ['model = "gpt-5.5"', 'model_provider = "fake"', '', '[model_providers.fake]', 'name = "Fake"', `base_url = "${baseUrl}/v1"`, 'wire_api = "responses"', `env_key = "${CODEX_FAKE_KEY_VAR}"`, ''];
  fs.writeFileSync(path.join(dir, 'config.toml'), toml.join('\n'));
}

async function startAndProbe(t: TestEnv, harness: 'codex' | 'pi', name: string): Promise<SessionRecord> {
  const s = await t.omniJson<SessionRecord>([harness, '--sandbox', '--name', name]);
  expect(s.sandbox).toBe(true);
  const ready = await t.omni(['wait', name, '--for', 'idle', '--timeout', '60']);
  expect(ready.exitCode, String(ready.stderr)).toBe(0);
  const sent = await t.omni(['send', name, 'PROBE now']);
  expect(sent.exitCode, String(sent.stderr)).toBe(0);
  const done = await t.omni(['wait', name, '--for', 'idle', '--timeout', '90']);
  expect(done.exitCode, String(done.stderr)).toBe(0);
  return s;
}

describe.skipIf(!pinnedCli('codex'))('sandboxed Codex end to end', () => {
  let fake: FakeModel;
  let t: TestEnv;

  beforeEach(async () => {
    fake = await startFakeModel();
    t = makeTestEnv({ GH_TOKEN: GH_SECRET });
    Object.assign(t.env, codexUserEnv(t), { [CODEX_FAKE_KEY_VAR]: MODEL_KEY });
    answerCodexTitles(fake);
  });
  afterEach(async () => {
    await t.cleanup();
    await fake.close();
  });

  it.each(ENDPOINTS)('model on %s: runs the command inside, secrets and ~/.ssh hidden, the key added outside', async (how) => {
    setupHome(t, fake, how);
    writeCodexConfig(t.home, modelUrl(fake, how));
    const file = path.join(t.work, 'made-in-sandbox.txt');
    const script = fake.script({
      match: 'PROBE',
      turns: [{ toolUses: [{ id: 'call_probe', name: 'exec_command', input: { cmd: probe(file) } }] }, { text: 'Probed from Codex.' }],
    });

    const s = await startAndProbe(t, 'codex', 'sbc');
    // Codex's own sandbox is off (omni's replaces it): the command ran, and wrote in the work dir.
    checkProbe(toolResultText(fake, 'call_probe') ?? '(the model got no tool result)');
    expect(fs.readFileSync(file, 'utf8')).toBe('sandboxed\n');
    const ev = await events(t, 'sbc');
    expect(ev.filter((e) => e.type === 'message.assistant').map((e) => (e.data as { text: string }).text)).toContain('Probed from Codex.');

    // Both scripted turns reached the fake, each with the real key; the sandbox held a placeholder.
    expect(script.served.map((r) => r.status)).toEqual(['done', 'done']);
    for (const r of fake.turns()) expect(r.headers.authorization).toBe(`Bearer ${MODEL_KEY}`);
    const egress = checkEgress(ev, fake, how, '/v1/responses');
    for (const e of egress.filter((x) => x.data.path === '/v1/responses')) expect(e.data.secrets).toEqual([`model:${CODEX_FAKE_KEY_VAR}`]);
    // With the model off loopback, Codex's own loopback MCP server (its thread tools) stays inside.
    if (how === 'pinned') expect(egress.filter((e) => e.data.path === '/mcp')).toEqual([]);
    noSecretsLogged(t, s.id);
  });
});

describe.skipIf(!pinnedCli('pi'))('sandboxed Pi end to end', () => {
  let fake: FakeModel;
  let t: TestEnv;

  beforeEach(async () => {
    fake = await startFakeModel();
    // No PI_OFFLINE: in the sandbox omni turns Pi's start-up traffic off itself.
    t = makeTestEnv({ GH_TOKEN: GH_SECRET });
  });
  afterEach(async () => {
    await t.cleanup();
    await fake.close();
  });

  it.each(ENDPOINTS)('model on %s: runs the command inside, secrets and ~/.ssh hidden, the extension reports to omni', async (how) => {
    setupHome(t, fake, how);
    writePiUserConfig(t.home, modelUrl(fake, how));
    const file = path.join(t.work, 'made-in-sandbox.txt');
    const script = fake.script({
      match: 'PROBE',
      turns: [{ toolUses: [{ id: 'toolu_probe', name: 'bash', input: { command: probe(file) } }] }, { text: 'Probed from Pi.' }],
    });

    const s = await startAndProbe(t, 'pi', 'sbp');
    checkProbe(toolResultText(fake, 'toolu_probe') ?? '(the model got no tool result)');
    expect(fs.readFileSync(file, 'utf8')).toBe('sandboxed\n');
    // The extension reached the daemon through the bound hook socket: the call, its result and the reply.
    const ev = await events(t, 'sbp');
    expect(ev.find((e) => e.type === 'tool.call')?.data).toMatchObject({ callId: 'toolu_probe', tool: 'bash', kind: 'shell' });
    expect(ev.find((e) => e.type === 'tool.result')?.data).toMatchObject({ callId: 'toolu_probe', ok: true });
    expect(ev.filter((e) => e.type === 'message.assistant').map((e) => (e.data as { text: string }).text)).toContain('Probed from Pi.');

    expect(script.served.map((r) => r.status)).toEqual(['done', 'done']);
    // Pi CONNECTs even to a plain-http upstream; the proxy logs the request inside the tunnel.
    checkEgress(ev, fake, how, '/v1/messages');
    noSecretsLogged(t, s.id);
  });
});
