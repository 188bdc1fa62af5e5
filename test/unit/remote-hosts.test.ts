import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { addHost, checkHostName, checkUrl, clientFor, loadHosts, removeHost } from '../../src/client/hosts.js';
import { parseSshUrl, remoteCommand, shellQuote, sshArgv, sshFailure } from '../../src/client/ssh.js';
import { remoteCwd } from '../../src/cli/commands/start.js';
import { resolvePaths } from '../../src/core/paths.js';

const paths = resolvePaths({ OMNI_HOME: '/h/omni' });

describe('ssh:// URLs', () => {
  it('gives ssh its destination and port', () => {
    expect(parseSshUrl('ssh://devbox')).toEqual({ dest: 'devbox', port: undefined });
    expect(parseSshUrl('ssh://me@devbox:2222')).toEqual({ dest: 'me@devbox', port: 2222 });
    expect(parseSshUrl('ssh://me@10.0.0.5/')).toEqual({ dest: 'me@10.0.0.5', port: undefined });
  });
  it('refuses what it does not understand, and anything ssh would read as an option', () => {
    expect(() => parseSshUrl('devbox')).toThrow(/not a URL/);
    expect(() => parseSshUrl('ssh://devbox/some/path')).toThrow(/only ssh:\/\/\[user@\]host\[:port\]/);
    expect(() => parseSshUrl('ssh://me:secret@devbox')).toThrow();
    expect(() => parseSshUrl('ssh://-oProxyCommand=x')).toThrow();
    expect(() => parseSshUrl('ssh://-x@devbox')).toThrow(/may not start with '-'/);
  });
});

describe('the ssh command line', () => {
  it('runs the bridge with the host entry omni and OMNI_HOME, quoted for the remote shell', () => {
    expect(remoteCommand({ name: 'd', url: 'ssh://d' }, ['daemon', 'bridge'])).toBe('omni daemon bridge');
    expect(remoteCommand({ name: 'd', url: 'ssh://d', omni: 'node /opt/omni/bin/omni.js', home: '/srv/my omni' }, ['attach', "it's"])).toBe(
      `env OMNI_HOME='/srv/my omni' node /opt/omni/bin/omni.js attach 'it'\\''s'`,
    );
    expect(shellQuote('a;rm -rf /')).toBe(`'a;rm -rf /'`);
  });
  it('shares one connection (ControlMaster under OMNI_HOME/run) unless OMNI_SSH_CONTROL=no', () => {
    const host = { name: 'd', url: 'ssh://me@devbox:2222' };
    expect(sshArgv(host, paths, ['daemon', 'bridge'], { tty: false, env: {} })).toEqual([
      '-T', '-o', 'ControlMaster=auto', '-o', 'ControlPath=/h/omni/run/ssh-%C', '-o', 'ControlPersist=60', '-p', '2222', 'me@devbox', '--', 'omni daemon bridge',
    ]);
    expect(sshArgv(host, paths, ['attach', 'x'], { tty: true, env: { OMNI_SSH_CONTROL: 'no' } })).toEqual(['-t', '-p', '2222', 'me@devbox', '--', 'omni attach x']);
  });
  it('says which host ssh could not reach, and when omni is missing there', () => {
    const host = { name: 'devbox', url: 'ssh://devbox' };
    expect(sshFailure(host, 255, null, 'ssh: connect to host devbox port 22: Connection refused\n').message).toBe(
      'cannot reach host devbox (ssh://devbox): ssh failed: ssh: connect to host devbox port 22: Connection refused',
    );
    const missing = sshFailure(host, 127, null, 'sh: 1: omni: not found\n');
    expect(missing.message).toMatch(/^omni not found on devbox: install it there/);
    expect(missing.code).toBe('daemon_unreachable');
    expect(sshFailure(host, 1, null, "error: unknown command 'bridge'\n").message).toBe('the omni on devbox has no `daemon bridge` (an older omni): update it there');
  });
});

describe('the hosts file', () => {
  it('validates names and URLs, refuses duplicates and unknown names', async () => {
    expect(() => checkHostName('local')).toThrow(/this machine/);
    expect(() => checkHostName('my box')).toThrow(/bad host name/);
    expect(() => checkUrl('http://devbox')).toThrow(/only ssh:\/\/ and unix:\/\//);
    expect(() => checkUrl('unix://relative.sock')).toThrow();
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'omhosts-'));
    const p = resolvePaths({ OMNI_HOME: home });
    await addHost(p, { name: 'devbox', url: 'ssh://me@devbox', home: '/srv/omni' });
    await expect(addHost(p, { name: 'devbox', url: 'ssh://other' })).rejects.toThrow(/exists already/);
    await expect(addHost(p, { name: 'x', url: 'ssh://x', home: 'rel' })).rejects.toThrow(/absolute/);
    await addHost(p, { name: 'shared', url: 'unix:///tmp/other/omni.sock' });
    expect(await loadHosts(p)).toEqual([
      { name: 'devbox', url: 'ssh://me@devbox', home: '/srv/omni' },
      { name: 'shared', url: 'unix:///tmp/other/omni.sock' },
    ]);
    expect(clientFor((await loadHosts(p))[1]!, p).where).toBe('host shared');
    await removeHost(p, 'devbox');
    await expect(removeHost(p, 'devbox')).rejects.toThrow(/no host named devbox; known hosts: shared/);
    fs.rmSync(home, { recursive: true, force: true });
  });
});

describe('a remote session directory', () => {
  it('is never this machine cwd: the remote home, or --cwd as the remote reads it', () => {
    expect(remoteCwd(undefined)).toBe('~');
    expect(remoteCwd('.')).toBe('~');
    expect(remoteCwd('/srv/app')).toBe('/srv/app');
    expect(remoteCwd('src/app')).toBe('~/src/app');
    expect(remoteCwd('~/x')).toBe('~/x');
  });
});
