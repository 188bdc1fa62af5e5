import { execFileSync } from 'node:child_process';
import { resolvePaths } from '../../core/paths.js';
import { compareVersions, type CredentialFinding } from '../../harnesses/doctor-types.js';
import { builtinHarnesses } from '../../harnesses/index.js';
import { daemonStatus } from '../../client/daemon-control.js';
import { makeChalk, printJson } from '../output.js';

export interface HarnessHealth {
  harness: string;
  displayName: string;
  installed: boolean;
  path?: string;
  version?: string;
  testedVersion?: string;
  versionOk: boolean;
  credentials: CredentialFinding[];
  usable: boolean;
  todo: string[];
}

/** Checks run in the caller's environment: that is the one sessions get. */
export async function checkHarnesses(env: Record<string, string>, only?: string): Promise<HarnessHealth[]> {
  const out: HarnessHealth[] = [];
  for (const a of builtinHarnesses().all()) {
    if (only && a.name !== only) continue;
    const bin = await a.findBinary(env).catch(() => null);
    const doc = a.doctor;
    const credentials = doc ? await doc.credentials(env) : [];
    const versionOk = Boolean(bin?.version && (!doc || compareVersions(bin.version, doc.minVersion) >= 0));
    const todo: string[] = [];
    if (!bin) todo.push(a.installHint);
    else if (!versionOk) todo.push(`upgrade it: found ${bin.version ?? 'an unknown version'}, omni needs ${doc?.minVersion ?? '?'} or newer (tested with ${doc?.testedVersion})`);
    if (doc && credentials.length === 0) todo.push(`credentials: ${doc.credentialHint}`);
    out.push({
      harness: a.name,
      displayName: a.displayName,
      installed: Boolean(bin),
      ...(bin ? { path: bin.path, version: bin.version } : {}),
      testedVersion: doc?.testedVersion,
      versionOk,
      credentials,
      usable: Boolean(bin) && versionOk && credentials.length > 0,
      todo,
    });
  }
  return out;
}

export async function doctorCommand(opts: { json?: boolean }): Promise<number> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  const paths = resolvePaths(process.env);
  const harnesses = await checkHarnesses(env);
  let tmux: string | undefined;
  try {
    tmux = execFileSync('tmux', ['-V'], { encoding: 'utf8' }).trim();
  } catch {
    tmux = undefined;
  }
  const daemon = await daemonStatus(paths).catch(() => ({ running: false }));
  const report = { omniHome: paths.home, tmux: tmux ?? null, daemon: { running: daemon.running }, harnesses };
  if (opts.json) {
    printJson(report);
    return 0;
  }
  const c = makeChalk();
  const lines = [
    `omni home  ${paths.home}`,
    `tmux       ${tmux ?? c.red('not installed: apt-get install tmux / brew install tmux')}`,
    `daemon     ${daemon.running ? 'running' : 'not running (starts on first use)'}`,
    '',
  ];
  for (const h of harnesses) {
    const head = h.usable ? c.green('ready') : h.installed ? c.yellow('needs attention') : c.dim('not installed');
    lines.push(`${c.bold(h.displayName)} (${h.harness}): ${head}`);
    if (h.installed) lines.push(`  binary       ${h.path} ${h.version ?? '?'}${h.versionOk ? '' : c.yellow(' (unsupported version)')}${h.testedVersion ? c.dim(` · tested ${h.testedVersion}`) : ''}`);
    for (const cr of h.credentials) lines.push(`  credentials  ${cr.source}: ${cr.detail}`);
    for (const t of h.todo) lines.push(`  ${c.yellow('→')} ${t}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
