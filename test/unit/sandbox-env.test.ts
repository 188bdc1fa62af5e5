import { describe, expect, it } from 'vitest';
import { isKnownSecret, KNOWN_SECRET_VARS, looksLikeSecret, proxyEnv, sandboxEnv } from '../../src/sandbox/env.js';

const caller = {
  PATH: '/usr/bin:/bin',
  HOME: '/home/u',
  USER: 'u',
  SHELL: '/bin/zsh',
  LANG: 'en_US.UTF-8',
  LC_ALL: 'C.UTF-8',
  LC_CTYPE: 'UTF-8',
  TERM: 'tmux-256color',
  COLORTERM: 'truecolor',
  TMPDIR: '/var/folders/xx/T',
  EDITOR: 'vim',
  TMUX: '/tmp/tmux-0/default,1,0',
  TMUX_PANE: '%3',
  OLDPWD: '/',
  GH_TOKEN: 'ghp_real',
  GITHUB_TOKEN: 'ghp_real2',
  AWS_ACCESS_KEY_ID: 'AKIA',
  AWS_SECRET_ACCESS_KEY: 'real',
  AWS_REGION: 'eu-west-1',
  AZURE_CLIENT_SECRET: 'real',
  SSH_AUTH_SOCK: '/tmp/ssh-agent.sock',
  NPM_TOKEN: 'npm_real',
  ANTHROPIC_API_KEY: 'sk-ant-real',
  CLAUDE_CONFIG_DIR: '/home/u/.claude',
  CLAUDE_CODE_OAUTH_TOKEN: 'oauth-real',
  MY_SERVICE_TOKEN: 'x',
  MY_SERVICE_URL: 'https://x',
  DB_PASSWORD: 'hunter2',
  APP_SECRET_KEY: 'k',
  SIGNING_PRIVATE_KEY: 'k',
  'BASH_FUNC_f%%': '() { :; }',
  UNSET: undefined,
};

describe('sandboxEnv', () => {
  const { env, dropped } = sandboxEnv(caller, {
    pass: ['ANTHROPIC_API_KEY', 'CLAUDE_*', 'GH_TOKEN', 'AWS_REGION', 'MY_SERVICE_*', 'DB_PASSWORD', 'CLAUDE_CODE_OAUTH_TOKEN'],
    set: { HOME: '/home/u', ANTHROPIC_API_KEY: 'omni-placeholder', GITHUB_TOKEN: 'omni-placeholder-gh' },
  });

  it.each([
    ['PATH', '/usr/bin:/bin'],
    ['USER', 'u'],
    ['SHELL', '/bin/zsh'],
    ['LANG', 'en_US.UTF-8'],
    ['LC_ALL', 'C.UTF-8'],
    ['LC_CTYPE', 'UTF-8'],
    ['TERM', 'tmux-256color'],
    ['COLORTERM', 'truecolor'],
    ['EDITOR', 'vim'],
    ['CLAUDE_CONFIG_DIR', '/home/u/.claude'],
    ['MY_SERVICE_URL', 'https://x'],
    ['TMPDIR', '/tmp'], // the sandbox's private /tmp, not the host's
    ['ANTHROPIC_API_KEY', 'omni-placeholder'], // `set` overrides a passed value
    ['GITHUB_TOKEN', 'omni-placeholder-gh'], // `set` may place a placeholder under a known-secret name
    ['DB_PASSWORD', 'hunter2'], // secret-shaped, but named exactly
    ['CLAUDE_CODE_OAUTH_TOKEN', 'oauth-real'], // named exactly (CLAUDE_* alone would not do)
  ])('passes %s', (name, value) => {
    expect(env[name]).toBe(value);
  });

  it.each([
    'GH_TOKEN', // hard list wins even when `pass` names it
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_REGION', // the whole AWS_* family
    'AZURE_CLIENT_SECRET',
    'SSH_AUTH_SOCK',
    'NPM_TOKEN',
    'MY_SERVICE_TOKEN', // secret-shaped and only matched by a prefix
    'APP_SECRET_KEY',
    'SIGNING_PRIVATE_KEY',
    'TMUX',
    'TMUX_PANE',
    'OLDPWD',
    'BASH_FUNC_f%%',
    'UNSET',
  ])('does not pass %s', (name) => {
    expect(env).not.toHaveProperty(name);
  });

  it('reports the dropped names (never values), sorted, including ones `set` replaced', () => {
    expect(dropped).toEqual([...dropped].sort());
    expect(dropped).toContain('GH_TOKEN');
    expect(dropped).toContain('GITHUB_TOKEN');
    expect(dropped).toContain('TMUX');
    expect(dropped).not.toContain('PATH');
    expect(JSON.stringify(dropped)).not.toMatch(/real|hunter2|AKIA/);
  });

  it('rejects an invalid name in `set`', () => {
    expect(() => sandboxEnv({}, { pass: [], set: { 'A=B': 'x' } })).toThrow(/invalid variable name/);
  });
});

describe('secret names', () => {
  it('knows the hard list, families included', () => {
    for (const n of ['GH_TOKEN', 'GITHUB_TOKEN', 'GITLAB_TOKEN', 'CI_JOB_TOKEN', 'NODE_AUTH_TOKEN', 'AWS_PROFILE', 'AZURE_TENANT_ID', 'GOOGLE_APPLICATION_CREDENTIALS', 'KUBECONFIG', 'VAULT_TOKEN', 'OP_SERVICE_ACCOUNT_TOKEN', 'DOCKER_AUTH_CONFIG', 'GPG_AGENT_INFO']) {
      expect(isKnownSecret(n), n).toBe(true);
    }
    for (const n of ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'GOOGLE_API_KEY', 'PATH', 'AWS', 'MY_TOKEN']) expect(isKnownSecret(n), n).toBe(false);
    expect(KNOWN_SECRET_VARS).toContain('AWS_*');
  });

  it('recognises secret-shaped names', () => {
    for (const n of ['X_TOKEN', 'SECRET', 'CLIENT_SECRET', 'MY_SECRET_VALUE', 'PASSWORD', 'DB_PASSWD', 'SSH_PRIVATE_KEY', 'db_password']) expect(looksLikeSecret(n), n).toBe(true);
    for (const n of ['TOKENIZER', 'SECRETARY', 'PASSWORDLESS', 'ANTHROPIC_API_KEY', 'TOKEN_URL']) expect(looksLikeSecret(n), n).toBe(false);
  });
});

describe('proxyEnv', () => {
  it('points every proxy variable at the forwarder, bypasses nothing, and sets both trust variants', () => {
    const e = proxyEnv(3128, '/run/a/ca.pem', '/run/a/ca-bundle.pem');
    for (const n of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'ALL_PROXY', 'all_proxy']) expect(e[n]).toBe('http://127.0.0.1:3128');
    expect(e.NO_PROXY).toBe('');
    expect(e.no_proxy).toBe('');
    expect(e.NODE_EXTRA_CA_CERTS).toBe('/run/a/ca.pem');
    for (const n of ['SSL_CERT_FILE', 'CURL_CA_BUNDLE', 'REQUESTS_CA_BUNDLE', 'GIT_SSL_CAINFO', 'PIP_CERT']) expect(e[n]).toBe('/run/a/ca-bundle.pem');
    // A harness's own CA variable is its adapter's (SandboxNeeds.caEnv), not here.
    expect(e).not.toHaveProperty('CODEX_CA_CERTIFICATE');
    expect(e).not.toHaveProperty('AWS_CA_BUNDLE');
  });
});
