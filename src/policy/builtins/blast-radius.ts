import os from 'node:os';
import path from 'node:path';
import type { PolicyDecision } from '../types.js';
import { pathGlobs } from '../match.js';
import { deleteFindings, passwdHome, type Finding } from './deletes.js';
import { expandCommandBraces } from '../shell/braces.js';
import { gitPushFinding } from './push.js';
import type { Builtin } from './types.js';
import { clip, commandLine, commandPatterns, isOpaque, matchingPattern, opaqueReason, unreadShell } from './util.js';

export { SCRATCH, SYSTEM_DIRS } from './deletes.js';

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
    const deny = commandPatterns(p.deny as string[]);
    const ask = commandPatterns([...ASK_PATTERNS, ...(p.ask as string[])]);
    const opaque = p.opaque as 'ask' | 'deny' | 'ignore';
    const home = ctx.home || os.homedir();
    const protect = pathGlobs(p.protect as string[], home);
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
        const cwd = path.resolve(s.session.cwd, s.tool?.cwd ?? '.');
        const findings: Finding[] = deleteFindings(sh, { cwd, home, protect, userHome: passwdHome });
        sh.commands.forEach((c) => {
          const line = clip(commandLine(c), 120);
          const d = matchingPattern(c, deny);
          if (d) findings.push({ verdict: 'deny', reason: `${line}: denied (${d})`, key: `deny:${d}` });
          if (/^mkfs(\..*)?$/.test(c.program)) findings.push({ verdict: 'deny', reason: `${line}: formats a file system`, key: 'mkfs' });
          if (c.program === 'dd' && expandCommandBraces(c).args.some((a) => a.startsWith('of=/dev/') && !/^of=\/dev\/(null|zero|stdout|stderr)$/.test(a))) {
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
