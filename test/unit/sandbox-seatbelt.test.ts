import { describe, expect, it } from 'vitest';
import type { SandboxPlan } from '../../src/sandbox/bwrap.js';
import { sbplString, seatbeltArgs, seatbeltProfile } from '../../src/sandbox/seatbelt.js';

const plan: SandboxPlan & { proxyPort?: number } = {
  home: '/Users/ann',
  hide: ['/opt/omni-home'],
  cwd: '/Users/ann/src/app',
  writable: ['/Users/ann/.claude', '/Users/ann/.claude.json'],
  readable: ['/Users/ann/.nvm/versions/node/v20/bin'],
  agentDir: '/opt/omni-home/run/agent/S1',
  env: {},
  command: 'claude',
  args: [],
  seccomp: '/unused',
  proxyPort: 51234,
};

/** Index of the line containing `needle` (first match). */
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle));

describe('seatbeltProfile', () => {
  const p = seatbeltProfile(plan);

  it('denies by default', () => {
    expect(p.startsWith('(version 1)\n(deny default)\n')).toBe(true);
  });

  it('allows process basics a node CLI needs', () => {
    for (const s of ['(allow process-exec)', '(allow process-fork)', '(allow signal (target same-sandbox))', '(allow sysctl-read)', 'com.apple.system.opendirectoryd.libinfo']) expect(p).toContain(s);
    expect(p).not.toContain('(global-name "com.apple.SecurityServer")'); // no keychain
  });

  it('hides $HOME and the extra trees, then re-allows the exposed paths (last match wins)', () => {
    const deny = lineOf(p, '(deny file-read* file-write* (subpath "/Users/ann") (subpath "/opt/omni-home"))');
    expect(deny).toBeGreaterThan(lineOf(p, '(allow file-read*)'));
    const reallow = lineOf(p, '(allow file-read* (subpath "/Users/ann/.nvm/versions/node/v20/bin")');
    expect(reallow).toBeGreaterThan(deny);
    for (const s of ['(subpath "/opt/omni-home/run/agent/S1")', '(subpath "/Users/ann/src/app")', '(subpath "/Users/ann/.claude")']) expect(p.split('\n')[reallow]).toContain(s);
    // stat() of the hidden parents of exposed paths, nothing more
    expect(p).toContain('(allow file-read-metadata (literal "/Users/ann") (literal "/Users/ann/.nvm")');
    expect(p).not.toContain('(literal "/Users")');
  });

  it('writes only to cwd, the writable paths and temp dirs; the agent dir stays read-only', () => {
    const w = lineOf(p, '(allow file-write* (subpath "/Users/ann/src/app")');
    expect(w).toBeGreaterThan(lineOf(p, '(deny file-read* file-write*'));
    const line = p.split('\n')[w]!;
    for (const s of ['(subpath "/Users/ann/.claude")', '(subpath "/Users/ann/.claude.json")', '(subpath "/private/tmp")', '(subpath "/private/var/folders")']) expect(line).toContain(s);
    expect(line).not.toContain('.nvm');
    expect(lineOf(p, '(deny file-write* (subpath "/opt/omni-home/run/agent/S1"))')).toBeGreaterThan(w);
    expect(p).toMatch(/\(allow file-write\* \(literal "\/dev\/null"\)/);
  });

  it('allows only the hook socket and the proxy port on the network', () => {
    expect(p).toContain('(deny network*)');
    expect(p).toContain('(allow network-outbound (remote unix-socket (path-literal "/opt/omni-home/run/agent/S1/hook.sock")))');
    expect(p).toContain('(allow network-outbound (remote ip "localhost:51234"))');
    expect(p.match(/\(allow network/g)).toHaveLength(2);
    expect(seatbeltProfile({ ...plan, proxyPort: undefined })).not.toContain('remote ip');
    expect(seatbeltProfile({ ...plan, proxyPort: undefined, proxy: { port: 9, socket: '/s', forwarder: '/f', node: '/n' } })).toContain('(remote ip "localhost:9")');
  });

  it('quotes paths with quotes and backslashes', () => {
    expect(sbplString('a"b\\c')).toBe('"a\\"b\\\\c"');
    const q = seatbeltProfile({ ...plan, cwd: '/Users/ann/we"ird\\) (allow default' });
    expect(q).toContain('(subpath "/Users/ann/we\\"ird\\\\) (allow default")');
    expect(q.split('\n').some((l) => l.trim() === '(allow default)')).toBe(false);
  });

  it('refuses relative paths', () => {
    expect(() => seatbeltProfile({ ...plan, readable: ['x'] })).toThrow(/absolute/);
  });
});

describe('seatbeltArgs', () => {
  it('runs the command under sandbox-exec with the profile inline', () => {
    expect(seatbeltArgs('(version 1)', 'claude', ['-p', 'hi'])).toEqual(['sandbox-exec', '-p', '(version 1)', 'claude', '-p', 'hi']);
  });
});
