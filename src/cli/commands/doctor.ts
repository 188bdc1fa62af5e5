import { execFileSync } from 'node:child_process';
import { ExitCode } from '../../core/errors.js';
import { resolvePaths } from '../../core/paths.js';
import { compareVersions, type CredentialFinding } from '../../harnesses/doctor-types.js';
import { builtinHarnesses } from '../../harnesses/index.js';
import type { HarnessRegistry } from '../../harnesses/registry.js';
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

/** Checks run in the caller's environment: that is the one sessions get. Every harness in the registry, alike. */
export async function checkHarnesses(env: Record<string, string>, only?: string, registry: Pick<HarnessRegistry, 'all'> = builtinHarnesses()): Promise<HarnessHealth[]> {
  const out: HarnessHealth[] = [];
  for (const a of registry.all()) {
    if (only && a.name !== only) continue;
    const bin = await a.findBinary(env).catch(() => null);
    const doc = a.doctor;
    const credentials = doc ? await doc.credentials(env) : [];
    const versionOk = Boolean(bin?.version && (!doc || compareVersions(bin.version, doc.minVersion) >= 0));
    const todo: string[] = [];
    if (!bin) todo.push(a.installHint);
    else if (!bin.version) todo.push(`check it: \`${bin.path} --version\` printed no version omni can read; omni needs ${doc?.minVersion ?? '?'} or newer (tested with ${doc?.testedVersion})`);
    else if (!versionOk) todo.push(`upgrade it: found ${bin.version}, omni needs ${doc?.minVersion ?? '?'} or newer (tested with ${doc?.testedVersion})`);
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
  const sandbox = await checkSandbox(env);
  const report = { omniHome: paths.home, tmux: tmux ?? null, daemon: { running: daemon.running }, sandbox, harnesses };
  // Scripts can gate on it: 0 when at least one harness is usable here, 5 (harness missing) when none is.
  const code = harnesses.some((h) => h.usable) ? ExitCode.ok : ExitCode.harnessMissing;
  if (opts.json) {
    printJson(report);
    return code;
  }
  const c = makeChalk();
  const lines = [
    `omni home  ${paths.home}`,
    `tmux       ${tmux ?? c.red('not installed: apt-get install tmux / brew install tmux')}`,
    `daemon     ${daemon.running ? 'running' : 'not running (starts on first use)'}`,
    `sandbox    ${sandbox.ok ? `bubblewrap ${sandbox.version} (${sandbox.path}): --sandbox works` : c.yellow(`--sandbox unavailable: ${sandbox.problem}`)}`,
    '',
  ];
  lines.push(...harnessLines(harnesses, c));
  if (code !== ExitCode.ok) lines.push('', c.yellow('no harness is usable here yet (exit 5): see the → lines above'));
  process.stdout.write(lines.join('\n') + '\n');
  return code;
}

/** Each harness's lines in `omni doctor`: a head (ready / needs attention / not installed), then what was found and what to do. */
export function harnessLines(harnesses: readonly HarnessHealth[], c: ReturnType<typeof makeChalk>): string[] {
  const lines: string[] = [];
  for (const h of harnesses) {
    const head = h.usable ? c.green('ready') : h.installed ? c.yellow('needs attention') : c.dim('not installed');
    lines.push(`${c.bold(h.displayName)} (${h.harness}): ${head}`);
    if (h.installed) lines.push(`  binary       ${h.path} ${h.version ?? '?'}${h.versionOk ? '' : c.yellow(' (unsupported version)')}${h.testedVersion ? c.dim(` · tested ${h.testedVersion}`) : ''}`);
    for (const cr of h.credentials) lines.push(`  credentials  ${cr.source}: ${cr.detail}`);
    for (const t of h.todo) lines.push(`  ${c.yellow('→')} ${t}`);
  }
  return lines;
}

/** Whether `--sandbox` can work here: bubblewrap present and able to build the namespaces omni uses. */
async function checkSandbox(env: Record<string, string>): Promise<{ ok: true; path: string; version: string } | { ok: false; problem: string }> {
  if (process.platform !== 'linux') return { ok: false, problem: `not wired on ${process.platform} yet (docs/SANDBOX.md)` };
  const { detectBwrap } = await import('../../sandbox/detect.js');
  try {
    const b = await detectBwrap(env);
    return { ok: true, path: b.path, version: b.version };
  } catch (err) {
    return { ok: false, problem: (err as Error).message };
  }
}
