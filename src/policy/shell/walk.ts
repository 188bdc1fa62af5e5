/**
 * Turns the syntax tree into the flat list of commands that would run: walks lists, pipelines,
 * compound commands and substitutions, then unwraps wrappers (see `wrappers.ts`) and re-parses
 * shell code held in strings, up to `maxDepth` levels.
 */
import type { Cmd, List, Redir, SimpleCmd, Word } from './ast.js';
import { Parser } from './parser.js';
import { carried, DECLARERS } from './carriers.js';
import type { ParsedShell, ParseShellOptions, ShellCommand, ShellOpaque, ShellRedirect, ShellVariable } from './types.js';
import { handlerFor, type HandlerCtx, type InnerOpts } from './wrappers.js';
import { basename, isDyn, type Stdin, stdinOf, textOf } from './words.js';

interface Ctx {
  via: string[];
  background: boolean;
  /** Redirections of enclosing groups and wrappers. */
  redirects: ShellRedirect[];
  depth: number;
  /** Commands get run-time arguments appended (parallel). */
  open: boolean;
  /** Standard input inherited from the enclosing script, group or pipeline. */
  stdin?: Stdin;
  /** Aliases being expanded (not expanded again inside their own value). */
  noAlias: ReadonlySet<string>;
}

interface EmitCtx extends Ctx {
  assignments: Record<string, string>;
  /** Prefix assignments made by this command itself (not inherited from a wrapper). */
  ownAssignments?: Array<{ name: string; value: string; dynamic: boolean }>;
  packageRunner?: boolean;
  text?: string;
}

function withStdin<T extends Ctx>(ctx: T, stdin: Stdin | undefined): T {
  const out = { ...ctx };
  if (stdin) out.stdin = stdin;
  else delete out.stdin;
  return out;
}

/** Normalized program name for wrapper lookup and matching: lower case, no `.exe`. */
export function normProgram(p: string): string {
  return p.toLowerCase().replace(/\.exe$/, '');
}

/**
 * `"$VENV/bin/python"`, `"$(git rev-parse --show-toplevel)"/x.sh`: only the directory is
 * dynamic, the expansion is quoted (no word splitting), so the program name is known.
 */
function knownBasename(w: Word): boolean {
  if (w.dynamic !== 'quoted' || w.glob) return false;
  const i = w.raw.lastIndexOf('/');
  const tail = w.raw.slice(i + 1).replace(/"$/, '');
  return i >= 0 && /^[A-Za-z0-9._+-]+$/.test(tail) && w.value.endsWith(`/${tail}`);
}

/** `@scope/pkg@1.2.3` → `pkg`, `cowsay@latest` → `cowsay`. */
function packageName(spec: string): string {
  return basename(spec.replace(/(?<=.)@[^/@]*$/, ''));
}

class Walker {
  readonly commands: ShellCommand[] = [];
  readonly opaque: ShellOpaque[] = [];
  readonly errors: string[] = [];
  readonly redirects: Array<ShellRedirect & { via: string[] }> = [];
  private readonly aliases = new Map<string, { value: string; dynamic: boolean }>();
  /** Variables assigned so far (shell state, like aliases): what later commands see. */
  private readonly vars = new Map<string, { value: string; dynamic: boolean }>();
  readonly variables: ShellVariable[] = [];

  constructor(private readonly maxDepth: number) {}

  result(): ParsedShell {
    return { commands: this.commands, opaque: this.opaque, errors: this.errors, redirects: this.redirects, variables: this.variables };
  }

  private tooDeep(text: string, ctx: Ctx): void {
    this.opaque.push({ reason: `nested deeper than ${this.maxDepth} levels`, text, via: ctx.via });
  }

  parseAndWalk(script: string, ctx: Ctx, label?: string): void {
    if (ctx.depth > this.maxDepth) return this.tooDeep(script, ctx);
    const p = new Parser(script);
    const list = p.parseScript();
    const where = label ? ` (in ${label})` : '';
    for (const e of p.errors) {
      this.errors.push(`${e.message}${where}`);
      this.opaque.push({ reason: `syntax error: ${e.message}${where}`, text: e.text, via: ctx.via });
    }
    this.walkList(list, ctx);
  }

  private walkList(list: List, ctx: Ctx): void {
    for (const item of list) {
      const c: Ctx = item.background ? { ...ctx, background: true } : ctx;
      for (const p of item.pipelines) {
        p.cmds.forEach((cmd, i) => {
          const prev = p.cmds[i - 1];
          this.walkCmd(cmd, withStdin(c, prev ? { kind: 'pipe', from: prev } : ctx.stdin));
        });
      }
    }
  }

  private walkCmd(cmd: Cmd, ctx: Ctx): void {
    if (cmd.type === 'simple') return this.walkSimple(cmd, ctx);
    for (const w of cmd.words) this.walkSubs(w.subs, ctx);
    const own = cmd.redirects.map((r) => this.redirect(r, ctx));
    const inner: Ctx = withStdin({ ...ctx, redirects: [...ctx.redirects, ...own] }, stdinOf(cmd.redirects, ctx.stdin));
    for (const b of cmd.body) this.walkList(b, inner);
  }

  private walkSubs(subs: Word['subs'], ctx: Ctx): void {
    for (const s of subs) {
      if (ctx.depth + 1 > this.maxDepth) {
        this.tooDeep(s.text, ctx);
        continue;
      }
      // Commands in `>(…)` read data written by the outer command.
      const stdin: Stdin | undefined = s.kind === 'procsub' && s.text.startsWith('>') ? { kind: 'pipe' } : ctx.stdin;
      this.walkList(s.list, withStdin({ ...ctx, depth: ctx.depth + 1, redirects: [] }, stdin));
    }
  }

  private redirect(r: Redir, ctx: Ctx): ShellRedirect {
    this.walkSubs(r.target.subs, ctx);
    if (r.heredoc) this.walkSubs(r.heredoc.subs, ctx);
    const out: ShellRedirect = { op: r.op, target: r.target.value };
    if (r.fd !== undefined) out.fd = r.fd;
    if (r.heredoc) out.body = r.heredoc.body;
    if (isDyn(r.target) || r.heredoc?.dynamic) out.dynamic = true;
    this.redirects.push({ ...out, via: ctx.via });
    return out;
  }

  private walkSimple(cmd: SimpleCmd, ctx: Ctx): void {
    for (const w of cmd.words) this.walkSubs(w.subs, ctx);
    const own = cmd.redirects.map((r) => this.redirect(r, ctx));
    let i = 0;
    const assignments: Record<string, string> = {};
    const ownAssignments: NonNullable<EmitCtx['ownAssignments']> = [];
    for (; i < cmd.words.length && cmd.words[i]!.assign; i++) {
      const a = cmd.words[i]!.assign!;
      assignments[a.name] = a.value;
      ownAssignments.push({ ...a, dynamic: isDyn(cmd.words[i]!) });
    }
    const words = cmd.words.slice(i);
    const text = cmd.src.slice(cmd.start, cmd.end);
    if (!words.length) {
      for (const a of ownAssignments) this.assign(a.name, a.value, a.dynamic, false, ctx, text);
      return;
    }
    this.emit(words, withStdin({ ...ctx, assignments, ownAssignments, redirects: [...ctx.redirects, ...own], text }, stdinOf(cmd.redirects, ctx.stdin)));
  }

  /**
   * A variable is assigned: remember it, and if it carries a command (carriers.ts), walk that
   * command as run from here.
   */
  private assign(name: string, value: string, dynamic: boolean, prefix: boolean, ctx: Ctx, text: string): void {
    this.variables.push({ name, value, dynamic, prefix });
    if (!prefix) this.vars.set(name, { value, dynamic });
    const c = carried(name, value);
    if (!c) return;
    const label = `${name}=`;
    const inner: Ctx = { ...ctx, via: [...ctx.via, label], depth: ctx.depth + 1 };
    if (c.kind === 'opaque') return void this.opaque.push({ reason: c.reason, text, via: ctx.via });
    if (c.kind === 'expand') {
      this.opaque.push({ reason: c.reason, text, via: ctx.via });
      if (/[$`]/.test(c.text)) this.parseAndWalk(`: ${c.text}`, inner, label);
      return;
    }
    if (dynamic) this.opaque.push({ reason: `${label} runs shell code built at run time`, text, via: ctx.via });
    this.parseAndWalk(c.text, inner, label);
  }

  private emit(words: Word[], e: EmitCtx): void {
    const pw = words[0]!;
    if (e.depth > this.maxDepth) return this.tooDeep(textOf(words), e);
    const args = words.slice(1);
    const programPath = pw.value;
    const program = e.packageRunner ? packageName(programPath) : basename(programPath);
    const cmd: ShellCommand = {
      program,
      programPath,
      args: args.map((w) => w.value),
      argv: [programPath, ...args.map((w) => w.value)],
      argInfo: args.map((w) => ({ raw: w.raw, dynamic: w.dynamic, glob: w.glob })),
      programInfo: { raw: pw.raw, dynamic: pw.dynamic, glob: pw.glob },
      assignments: { ...e.assignments },
      redirects: [...e.redirects],
      via: [...e.via],
      background: e.background,
      openArgs: e.open,
      text: e.text ?? textOf(words),
    };
    this.commands.push(cmd);
    const opaque = (reason: string): void => void this.opaque.push({ reason, text: cmd.text, via: e.via });
    const here: Ctx = withStdin({ via: e.via, background: e.background, redirects: e.redirects, depth: e.depth, open: e.open, noAlias: e.noAlias }, e.stdin);
    for (const a of e.ownAssignments ?? []) this.assign(a.name, a.value, a.dynamic, true, here, cmd.text);
    if (DECLARERS.has(normProgram(program)) && !isDyn(pw)) for (const w of args) if (w.assign) this.assign(w.assign.name, w.assign.value, isDyn(w), false, here, cmd.text);
    if (isDyn(pw) && !knownBasename(pw)) return opaque(`command name is only known at run time: ${pw.raw}`);
    if (pw.glob) return opaque(`command name is subject to glob or brace expansion: ${pw.raw}`);

    const base: Ctx = withStdin({ via: e.via, background: e.background, redirects: e.redirects, depth: e.depth, open: e.open, noAlias: e.noAlias }, e.stdin);
    const alias = !pw.quoted && !e.noAlias.has(programPath) ? this.aliases.get(programPath) : undefined;
    if (alias) {
      const label = `alias ${programPath}`;
      if (alias.dynamic) opaque(`alias ${programPath} is defined from a run-time value`);
      const rest = args.map((w) => w.raw).join(' ');
      this.parseAndWalk(`${alias.value} ${rest}`, { ...base, via: [...e.via, label], depth: e.depth + 1, noAlias: new Set([...e.noAlias, programPath]) }, label);
    }

    const handler = handlerFor(normProgram(program));
    if (!handler) return;
    const env = new Map(this.vars);
    for (const [k, v] of Object.entries(e.assignments)) env.set(k, { value: v, dynamic: /[$`]/.test(v) });
    for (const a of e.ownAssignments ?? []) env.set(a.name, { value: a.value, dynamic: a.dynamic });
    const h: HandlerCtx = {
      program: normProgram(program),
      args,
      env,
      ...(e.stdin ? { stdin: e.stdin } : {}),
      inner: (ws: Word[], label: string, o: InnerOpts = {}) => {
        if (!ws.length) return;
        for (const [k, v] of Object.entries(o.assignments ?? {})) this.assign(k, v, /[$`]/.test(v), true, here, cmd.text);
        this.emit(ws, {
          ...base,
          via: [...e.via, label],
          depth: e.depth + 1,
          open: e.open || !!o.open,
          assignments: { ...e.assignments, ...o.assignments },
          ...(e.stdin ? { stdin: e.stdin } : {}),
          packageRunner: !!o.packageRunner,
        });
      },
      script: (text, dynamic, label, o = {}) => {
        if (dynamic) opaque(`${label} runs shell code built at run time`);
        const ctx: Ctx = { ...base, via: [...e.via, label], depth: e.depth + 1, open: e.open || !!o.open };
        this.parseAndWalk(text, withStdin(ctx, o.stdinIsScript ? undefined : e.stdin), label);
      },
      opaque,
      defineAlias: (name, value, dynamic) => {
        this.aliases.set(name, { value, dynamic });
        if (dynamic) opaque(`alias ${name} is defined from a run-time value`);
      },
      removeAlias: (name) => (name === '*' ? this.aliases.clear() : void this.aliases.delete(name)),
    };
    handler(h);
  }
}

/**
 * Parse a shell script into every simple command it would run. Never throws: syntax errors
 * are reported in `errors` and as `opaque` entries.
 */
export function parseShell(script: string, opts: ParseShellOptions = {}): ParsedShell {
  const w = new Walker(Math.max(0, opts.maxDepth ?? 8));
  w.parseAndWalk(script, { via: [], background: false, redirects: [], depth: 0, open: false, noAlias: new Set() });
  return w.result();
}
