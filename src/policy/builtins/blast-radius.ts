import os from 'node:os';
import path from 'node:path';
import { matchPath } from '../match.js';
import { commandBases, resolvePath } from '../paths.js';
import { matchCommand, type ShellCommand } from '../shell.js';
import type { PolicyDecision, PolicySubject } from '../types.js';
import type { Builtin } from './types.js';
import { clip, commandLine, gitSubcommand, isOpaque, matchingPattern, opaqueReason, unreadShell } from './util.js';

/** Deletion of these (or their contents, `/etc/*`) is denied; anything deeper inside asks (except in scratch dirs). */
export const SYSTEM_DIRS: readonly string[] = [
  '/tmp', '/var/tmp', '/etc', '/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/var', '/boot', '/sys', '/proc', '/dev',
  '/opt', '/root', '/home', '/Users', '/System', '/Library', '/Applications', '/private', '/snap', '/srv', '/mnt', '/media',
];
/** Scratch dirs under system dirs, free to delete in. */
const SCRATCH = ['/tmp', '/var/tmp', '/private/tmp', '/dev/shm'];

/** Commands that change something outside the working tree: asked about by default. */
export const ASK_PATTERNS: readonly string[] = [
  'gh pr merge',
  'gh release create|delete|upload',
  'gh repo delete|archive|rename|edit',
  'terraform apply|destroy|import|taint|state',
  'tofu apply|destroy|import|state',
  'pulumi up|update|destroy|import|refresh|cancel',
  'kubectl apply|create|delete|replace|patch|edit|scale|rollout|drain|cordon|set|label|annotate',
  'helm install|upgrade|uninstall|delete|rollback',
  'npm publish|unpublish|deprecate|dist-tag',
  'pnpm publish',
  'yarn publish',
  'bun publish',
  'cargo publish|yank',
  'twine upload',
  'gem push|yank',
  'poetry publish',
  'uv publish',
  'docker push',
  'fly deploy',
  'flyctl deploy',
  'vercel deploy|promote|rollback|remove',
  'vercel --prod',
  'netlify deploy',
  'serverless deploy|remove',
  'sls deploy|remove',
  'firebase deploy',
  'gcloud app deploy',
  'gcloud run deploy',
  'gcloud functions deploy',
  'aws cloudformation deploy|delete-stack',
  'cdk deploy|destroy',
  'eb deploy|terminate',
  'heroku releases:rollback',
  'wrangler deploy|publish',
];

type Finding = { verdict: 'deny' | 'ask'; reason: string; key: string };

function rmFindings(c: ShellCommand, bases: string[], s: PolicySubject, home: string, protect: readonly string[]): Finding[] {
  const out: Finding[] = [];
  const line = clip(commandLine(c), 120);
  let recursive = false;
  const targets: Array<{ arg: string; dynamic: boolean; glob: boolean }> = [];
  let endOpts = false;
  c.args.forEach((a, i) => {
    if (!endOpts && a === '--') endOpts = true;
    else if (!endOpts && a.startsWith('--')) {
      if (a === '--recursive') recursive = true;
      if (a === '--no-preserve-root') out.push({ verdict: 'deny', reason: `${line}: --no-preserve-root`, key: 'rm-root' });
    } else if (!endOpts && a.startsWith('-') && a.length > 1) {
      if (/[rR]/.test(a)) recursive = true;
    } else {
      const info = c.argInfo[i];
      targets.push({ arg: a, dynamic: (info?.dynamic ?? 'none') !== 'none', glob: info?.glob ?? false });
    }
  });
  if (!recursive && c.program === 'rm') return out;
  const cwd = path.resolve(s.session.cwd);
  for (const t of targets) {
    const literalHome = t.arg.replace(/^(\$HOME|\$\{HOME\})(?=\/|$)/, '~');
    if (/[$`]/.test(literalHome) || (t.dynamic && literalHome === t.arg)) {
      out.push({ verdict: 'ask', reason: `${line}: deletes a path only known at run time (${t.arg})`, key: `rm:${t.arg}` });
      continue;
    }
    for (const b of bases) {
      const abs = resolvePath(literalHome, b, home);
      // `dir/*`, `dir/.*`: the contents of dir, as bad as dir itself.
      const target = t.glob && /^[*.?[\]{}]+$/.test(path.basename(abs)) ? path.dirname(abs) : abs;
      const contents = target !== abs ? ' (its contents)' : '';
      const f = protectedFinding(target, cwd, home, protect);
      if (f) out.push({ verdict: f.verdict, reason: `${line}: ${f.why}${contents}`, key: `rm:${abs}` });
    }
  }
  return out;
}

function protectedFinding(p: string, cwd: string, home: string, protect: readonly string[]): { verdict: 'deny' | 'ask'; why: string } | undefined {
  const h = path.resolve(home);
  if (p === '/') return { verdict: 'deny', why: 'deletes the root directory' };
  if (p === h) return { verdict: 'deny', why: 'deletes the home directory' };
  if (SYSTEM_DIRS.includes(p)) return { verdict: 'deny', why: `deletes the system directory ${p}` };
  const userGlob = protect.find((g) => matchPath(g, p, cwd, home));
  if (userGlob) return { verdict: 'deny', why: `deletes ${p}, protected by ${userGlob}` };
  if (cwd.startsWith(`${p}/`)) return { verdict: 'deny', why: `deletes ${p}, which contains the session directory` };
  if (p === cwd) return { verdict: 'ask', why: 'deletes the session directory itself' };
  if (SCRATCH.some((d) => p === d || p.startsWith(`${d}/`))) return undefined;
  const sys = SYSTEM_DIRS.find((d) => p.startsWith(`${d}/`));
  if (sys && !(p === h || p.startsWith(`${h}/`))) return { verdict: 'ask', why: `deletes ${p} inside the system directory ${sys}` };
  return undefined;
}

function gitPushFinding(c: ShellCommand): Finding | undefined {
  // `git $X …` may be a push (matchCommand treats run-time words as wildcards): ask.
  if (!matchCommand(c, 'git push')) return undefined;
  const line = clip(commandLine(c), 120);
  const g = gitSubcommand(c);
  const args = g?.sub === 'push' ? g.args : [];
  // Force is judged on the literal words (`git push origin "$BRANCH"` is not a force-push).
  const force = matchCommand(c, 'git push --force', { dynamic: 'literal' }) || args.some((a) => /^-[a-zA-Z0-9]+$/.test(a) && (a.slice(1).split('o')[0] ?? '').includes('f'));
  const plus = args.some((a) => a.startsWith('+'));
  const mirror = args.includes('--mirror');
  const lease = args.some((a) => a.startsWith('--force-with-lease') || a === '--force-if-includes');
  const del = args.some((a) => a === '--delete' || a === '--prune' || (/^-[a-zA-Z0-9]+$/.test(a) && (a.slice(1).split('o')[0] ?? '').includes('d')) || a.startsWith(':'));
  if (force || plus) return { verdict: 'deny', reason: `${line}: a force-push rewrites remote history (--force-with-lease asks a human instead)`, key: 'push-force' };
  if (mirror) return { verdict: 'deny', reason: `${line}: --mirror overwrites and deletes remote refs`, key: 'push-mirror' };
  if (lease) return { verdict: 'ask', reason: `${line}: force-push with lease rewrites remote history`, key: 'push-lease' };
  if (del) return { verdict: 'ask', reason: `${line}: deletes remote refs`, key: 'push-delete' };
  return { verdict: 'ask', reason: `${line}: pushes to a remote`, key: 'push' };
}

/**
 * Deny what cannot be undone, ask before what reaches outside the working tree:
 * - deny: force-push (`--force`, `-f`, `+refspec`, `--mirror`); recursive `rm` (with or without
 *   `-f`) or `find -delete` of `/`, `~`, a system directory or its contents, or a directory that
 *   contains the session's; `rm --no-preserve-root`; `mkfs*`; `dd of=/dev/…`; the `deny` patterns.
 * - ask: `git push` (incl. `--force-with-lease`, deletes), deploy/publish/apply/destroy commands
 *   (ASK_PATTERNS), recursive deletes deeper in system dirs or of the session directory itself
 *   or of a path only known at run time (`rm -rf "$DIR"/`), the `ask` patterns, and any shell
 *   script omni cannot fully parse (`opaque`, default ask: fail closed).
 */
export const blastRadius: Builtin = {
  name: 'blast_radius',
  summary: 'deny force-push and rm -rf of /, ~, system dirs; ask before push, deploy, publish, apply/destroy',
  params: {
    deny: { type: 'commands', default: [], doc: 'more command patterns to deny' },
    ask: { type: 'commands', default: [], doc: 'more command patterns to ask about' },
    protect: { type: 'globs', default: [], doc: 'more paths whose recursive deletion is denied' },
    opaque: { type: 'enum', values: ['ask', 'deny', 'ignore'], default: 'ask', doc: 'what to do with a shell script omni cannot fully parse' },
  },
  create(p, ctx) {
    const deny = p.deny as string[];
    const ask = [...ASK_PATTERNS, ...(p.ask as string[])];
    const protect = p.protect as string[];
    const opaque = p.opaque as 'ask' | 'deny' | 'ignore';
    const home = ctx.home || os.homedir();
    return {
      name: ctx.name,
      phases: ['tool_call'],
      source: ctx.source,
      evaluate(s): PolicyDecision {
        const sh = s.tool?.shell;
        if (!sh) {
          // A shell call whose command omni could not read is as opaque as it gets.
          if (unreadShell(s.tool) && opaque !== 'ignore') return { verdict: opaque, reason: `${s.tool?.name ?? 'shell'}: a shell call omni could not read`, grantKey: 'unread' };
          return {};
        }
        const bases = commandBases(sh, s.session.cwd, home);
        const findings: Finding[] = [];
        sh.commands.forEach((c, i) => {
          const line = clip(commandLine(c), 120);
          const d = matchingPattern(c, deny);
          if (d) findings.push({ verdict: 'deny', reason: `${line}: denied (${d})`, key: `deny:${d}` });
          if (c.program === 'rm' || c.program === 'rmdir') findings.push(...rmFindings(c, bases[i]!, s, home, protect));
          if (c.program === 'find' && c.args.includes('-delete')) {
            const starts = c.args.slice(0, Math.max(0, c.args.findIndex((a) => a.startsWith('-') || a === '(' || a === '!')));
            findings.push(...rmFindings({ ...c, program: 'find', args: ['-r', ...(starts.length ? starts : ['.'])], argInfo: [{ raw: '-r', dynamic: 'none', glob: false }, ...c.argInfo] }, bases[i]!, s, home, protect));
          }
          if (/^mkfs(\..*)?$/.test(c.program)) findings.push({ verdict: 'deny', reason: `${line}: formats a file system`, key: 'mkfs' });
          if (c.program === 'dd' && c.args.some((a) => a.startsWith('of=/dev/') && !/^of=\/dev\/(null|zero|stdout|stderr)$/.test(a))) {
            findings.push({ verdict: 'deny', reason: `${line}: writes a raw device`, key: 'dd-dev' });
          }
          const push = gitPushFinding(c);
          if (push) findings.push(push);
          const a = matchingPattern(c, ask);
          if (a) findings.push({ verdict: 'ask', reason: `${line}: changes something outside this working tree`, key: `ask:${a}` });
        });
        if (opaque !== 'ignore' && isOpaque(sh)) {
          findings.push({ verdict: opaque, reason: `shell command omni cannot fully parse (${opaqueReason(sh)})`, key: `opaque:${sh.opaque.map((o) => o.text).join('\n')}` });
        }
        const denied = findings.find((f) => f.verdict === 'deny');
        if (denied) return { verdict: 'deny', reason: denied.reason };
        if (!findings.length) return {};
        const reasons = [...new Set(findings.map((f) => f.reason))];
        return { verdict: 'ask', reason: reasons.join('; '), grantKey: [...new Set(findings.map((f) => f.key))].sort().join('\n') };
      },
    };
  },
};
