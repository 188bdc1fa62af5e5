import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseJsonc } from '../../src/core/jsonc.js';
import { GEMINI_HOOKS, mergedSettings, prepareGeminiHome, userGeminiDir } from '../../src/harnesses/gemini/home.js';
import { geminiSandboxNeeds } from '../../src/harnesses/gemini/sandbox.js';

const hooks = { command: (event: string, mode: string) => `omni-hook ${event} ${mode}` };
const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'gemini-home-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('gemini settings merge', () => {
  it('reads JSON with comments and trailing commas, keeping // inside strings', () => {
    expect(parseJsonc('{\n // a comment\n "url": "http://x//y", /* block */ "a": [1, 2,],\n}')).toEqual({ url: 'http://x//y', a: [1, 2] });
  });

  it("appends omni's hooks after the user's own and keeps the user's policy folder", () => {
    const userHook = { matcher: 'write_file', hooks: [{ type: 'command', command: 'my-linter' }] };
    const out = mergedSettings({ hooks: { BeforeTool: [userHook] }, general: { vimMode: true } }, { hooks, policyDir: '/s/pol', userPoliciesDir: '/h/.gemini/policies' });
    const before = (out.hooks as Record<string, unknown[]>).BeforeTool!;
    expect(before[0]).toEqual(userHook);
    expect(before[1]).toMatchObject({ matcher: '*', hooks: [{ type: 'command', name: 'omni', command: 'omni-hook BeforeTool gate', timeout: 86_400_000 }] });
    for (const h of GEMINI_HOOKS) expect((out.hooks as Record<string, unknown[]>)[h.event]).toBeDefined();
    expect(out.policyPaths).toEqual(['/s/pol', '/h/.gemini/policies']);
    expect(out.general).toEqual({ enableAutoUpdate: false, enableAutoUpdateNotification: false, vimMode: true });
    expect(out.hooksConfig).toMatchObject({ enabled: true });
  });

  it("leaves the user's hooks off when they turned hooks off, and keeps their own policyPaths and update choice", () => {
    const out = mergedSettings(
      { hooksConfig: { enabled: false }, hooks: { BeforeTool: [{ hooks: [{ type: 'command', command: 'x' }] }] }, policyPaths: ['/mine'], general: { enableAutoUpdate: true } },
      { hooks, policyDir: '/s/pol', userPoliciesDir: '/h/p', mcp: { command: 'node', args: ['omni.js', 'mcp'], env: { OMNI_HOME: '/o' } } },
    );
    expect((out.hooks as Record<string, unknown[]>).BeforeTool).toHaveLength(1);
    expect(out.policyPaths).toEqual(['/s/pol', '/mine']);
    expect((out.general as { enableAutoUpdate: boolean }).enableAutoUpdate).toBe(true);
    expect(out.mcpServers).toEqual({ omni: { command: 'node', args: ['omni.js', 'mcp'], env: { OMNI_HOME: '/o' }, trust: false } });
  });
});

describe('gemini home', () => {
  it("links the user's ~/.gemini into omni's GEMINI_CLI_HOME and leaves their settings.json untouched", () => {
    const home = tmp();
    const sessionDir = tmp();
    const user = path.join(home, '.gemini');
    fs.mkdirSync(user);
    const settings = '{ // mine\n "security": { "auth": { "selectedType": "gemini-api-key" } } }\n';
    fs.writeFileSync(path.join(user, 'settings.json'), settings);
    fs.writeFileSync(path.join(user, 'GEMINI.md'), 'be brief');
    const g = prepareGeminiHome({ session: { id: 's_1', name: 'n', cwd: '/w' }, sessionDir, env: { HOME: home }, hooks });
    const dot = path.join(g.cliHome, '.gemini');
    expect(g.cliHome).toBe(path.join(user, 'omni', 's_1'));
    expect(fs.existsSync(path.join(dot, 'omni'))).toBe(false);
    expect(fs.readFileSync(path.join(user, 'settings.json'), 'utf8')).toBe(settings);
    expect(fs.readlinkSync(path.join(dot, 'GEMINI.md'))).toBe(path.join(user, 'GEMINI.md'));
    // Folders Gemini fills (chats, history) exist in the user's folder, linked in.
    expect(fs.readlinkSync(path.join(dot, 'tmp'))).toBe(path.join(user, 'tmp'));
    expect(fs.statSync(path.join(user, 'tmp')).isDirectory()).toBe(true);
    // A file Gemini creates later is written through the link into the user's folder.
    fs.writeFileSync(path.join(dot, 'trustedFolders.json'), '{}');
    expect(fs.existsSync(path.join(user, 'trustedFolders.json'))).toBe(true);
    const merged = JSON.parse(fs.readFileSync(g.settingsFile, 'utf8'));
    expect(merged.security).toEqual({ auth: { selectedType: 'gemini-api-key' } });
    expect(merged.policyPaths).toEqual([path.dirname(g.policyFile), path.join(dot, 'policies')]);
    expect(fs.readFileSync(g.policyFile, 'utf8')).toMatch(/toolName = "\*"\ndecision = "allow"/);
    // A relaunch (resume) builds it again from the user's current files.
    expect(() => prepareGeminiHome({ session: { id: 's_1', name: 'n', cwd: '/w' }, sessionDir, env: { HOME: home }, hooks })).not.toThrow();
  });
});

describe('gemini user folder and sandbox needs', () => {
  it("finds the user's ~/.gemini, also from inside an omni session's home", () => {
    expect(userGeminiDir({ HOME: '/h' })).toBe('/h/.gemini');
    expect(userGeminiDir({ HOME: '/h', GEMINI_CLI_HOME: '/g' })).toBe('/g/.gemini');
    expect(userGeminiDir({ HOME: '/h', GEMINI_CLI_HOME: '/h/.gemini/omni/s_abc' })).toBe('/h/.gemini');
  });

  it('declares the model endpoint, the key the proxy adds, and ~/.gemini as writable', () => {
    const home = tmp();
    const needs = geminiSandboxNeeds({ HOME: home, GOOGLE_GEMINI_BASE_URL: 'http://127.0.0.1:9' });
    expect(needs.modelEndpoints).toEqual(['http://127.0.0.1:9']);
    expect(needs.writable).toEqual([path.join(home, '.gemini')]);
    expect(needs.modelCredentials[0]).toEqual({ env: 'GEMINI_API_KEY', header: 'x-goog-api-key', value: '${secret}' });
    expect(geminiSandboxNeeds({ HOME: home }).modelEndpoints).toEqual(['https://generativelanguage.googleapis.com']);
  });
});
