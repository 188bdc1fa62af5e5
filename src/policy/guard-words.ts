/**
 * omni_guard's reading of one parsed command: is it an omni control verb (however the program
 * and the verb are spelled), which of its words are sockets it connects to, which git alias it
 * runs or defines.
 */
import { braceExpand, type Mention, substitute, type WordEnv } from './guard-paths.js';
import { type ArgInfo, matchCommand, parsePattern, type ShellCommand } from './shell.js';

const CONTROL = ['omni approve|deny|policy|daemon', 'omni approvals ... popup'].map(parsePattern);
/** omni verbs that merge: a person's (no_merge_push denies them to Polly's sessions). */
export const MERGE_VERBS = ['omni merge', 'omni polly merge'].map(parsePattern);
const OMNI_NAMES = ['omni', 'omnigent', 'omni.js', 'omnigent.js'];
const GLOB = /[*?[]/;

interface Word {
  value: string;
  info: ArgInfo;
}

function globMatches(glob: string, names: readonly string[]): boolean {
  const re = new RegExp(`^${glob.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.').replace(/\[!/g, '[^')}$`);
  try {
    return names.some((n) => re.test(n));
  } catch {
    return true;
  }
}

/** Could this program word run omni? `wild`: it is only known at run time. */
function omniProgram(w: Word): 'yes' | 'wild' | 'no' {
  const base = w.value.replace(/\/+$/, '').split('/').pop() ?? '';
  if (w.info.dynamic !== 'none' && /[$`]/.test(base)) return 'wild';
  if (w.info.glob && GLOB.test(base)) return globMatches(base, OMNI_NAMES) ? 'yes' : 'no';
  return OMNI_NAMES.includes(base.toLowerCase()) ? 'yes' : 'no';
}

/** The words bash would produce: braces expanded, known variables filled in for a run-time program name. */
function words(c: ShellCommand, env: WordEnv): Word[] {
  const info: ArgInfo = c.programInfo ?? { raw: c.programPath, dynamic: 'none', glob: false };
  const all: Word[] = [{ value: c.programPath, info }, ...c.args.map((value, k) => ({ value, info: c.argInfo[k] ?? { raw: value, dynamic: 'none' as const, glob: false } }))];
  const out: Word[] = [];
  all.forEach((w, k) => {
    if (w.info.glob && /\{.*,.*\}/.test(w.value)) {
      for (const e of braceExpand(w.value)) out.push({ value: e, info: { ...w.info, glob: GLOB.test(e) } });
    } else if (k === 0 && w.info.dynamic !== 'none') {
      // `P=omni; $P approve`, `X="omni approve"; $X`: the variable's value is the command.
      const s = substitute(w.value, w.info, env);
      if (s.includes('\u0000')) out.push(w);
      else for (const part of s.split(/\s+/).filter(Boolean)) out.push({ value: part, info: { raw: part, dynamic: 'none', glob: GLOB.test(part) } });
    } else out.push(w);
  });
  return out;
}

const NODE = /^(?:node|nodejs|bun)$/;
/** node options that take the next word as their value. */
const NODE_VALUE = /^(?:-r|--require|--import|--loader|--experimental-loader|-C|--conditions|--input-type|--title|--env-file|--env-file-if-exists|--cpu-prof-dir|--heap-prof-dir|--diagnostic-dir|--redirect-warnings|--report-dir|--secure-heap|--stack-trace-limit|--max-http-header-size|--openssl-config|--tls-cipher-list|--icu-data-dir|--watch-path|--experimental-config-file)$/;

/** `node [opts] SCRIPT args`: the index of SCRIPT, or -1 when node runs no file (`-e`, `-p`, a REPL). */
function nodeScript(ws: Word[]): number {
  for (let k = 1; k < ws.length; k++) {
    const v = ws[k]!.value;
    if (ws[k]!.info.dynamic !== 'none' && !v.startsWith('-')) return k;
    if (v === '--') return k + 1 < ws.length ? k + 1 : -1;
    if (/^-(?:e|p|-eval|-print|pe|ep)$/.test(v) || /^--(?:eval|print)=/.test(v)) return -1;
    if (!v.startsWith('-') || v === '-') return v === '-' ? -1 : k;
    if (NODE_VALUE.test(v)) k++;
  }
  return -1;
}

/** The omni control verb a command runs (`approve`, `policy`…), if it could run one. */
export function controlVerb(c: ShellCommand, env: WordEnv): string | undefined {
  return omniVerb(c, env, CONTROL);
}

/**
 * Which of `patterns` (`omni <verb> …`) a command could run, however omni is spelled (a path,
 * `node omni.js`, a glob, a variable): the first word of the match that is not an option.
 */
export function omniVerb(c: ShellCommand, env: WordEnv, patterns: readonly ReturnType<typeof parsePattern>[]): string | undefined {
  const ws = words(c, env);
  let rest: Word[];
  let wild = false;
  const first = ws[0]!;
  const kind = omniProgram(first);
  if (NODE.test(first.value.split('/').pop() ?? '') && first.info.dynamic === 'none') {
    const k = nodeScript(ws);
    if (k < 0 || omniProgram(ws[k]!) === 'no') return undefined;
    rest = ws.slice(k + 1);
  } else if (kind === 'no') return undefined;
  else {
    wild = kind === 'wild';
    rest = ws.slice(1);
  }
  const synthetic: ShellCommand = {
    ...c,
    program: 'omni',
    programPath: 'omni',
    args: rest.map((w) => w.value),
    argv: ['omni', ...rest.map((w) => w.value)],
    argInfo: rest.map((w) => w.info),
  };
  // A program only known at run time is omni only if a control verb follows literally (`$CMD
  // approve x`); `$EDITOR file` and `"$PY" "$SCRIPT"` are ordinary work.
  for (const p of patterns) {
    if (matchCommand(synthetic, p, wild ? { dynamic: 'literal' } : {})) {
      const v = rest.find((w) => !w.value.startsWith('-'));
      return v && /^[a-z]+$/.test(v.value) ? v.value : (p.source.split(' ')[1]!.split('|')[0] ?? 'approve');
    }
  }
  return undefined;
}

/** Short options of `tool` that take a value, to read bundles such as `-uS path`. */
function optValue(args: readonly string[], info: readonly ArgInfo[], shorts: string, longs: readonly string[]): Mention[] {
  const out: Mention[] = [];
  for (let k = 0; k < args.length; k++) {
    const a = args[k]!;
    const inf = info[k];
    const next = (): void => {
      if (k + 1 < args.length) out.push({ word: args[k + 1]!, ...(info[k + 1] ? { info: info[k + 1] } : {}) });
      k++;
    };
    if (a === '--') break;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a : a.slice(0, eq);
      if (!longs.includes(name)) continue;
      if (eq >= 0) out.push({ word: a.slice(eq + 1), ...(inf ? { info: inf } : {}) });
      else next();
    } else if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        if (!shorts.includes(a[j]!)) continue;
        if (j + 1 < a.length) out.push({ word: a.slice(j + 1), ...(inf ? { info: inf } : {}) });
        else next();
        break;
      }
    }
  }
  return out;
}

/** Words a command connects to as a Unix socket (curl, nc, socat, tmux). */
export function socketWords(c: ShellCommand): Mention[] {
  const p = c.program.toLowerCase();
  const at = (k: number): Mention => ({ word: c.args[k]!, ...(c.argInfo[k] ? { info: c.argInfo[k] } : {}) });
  if (p === 'curl') return optValue(c.args, c.argInfo, '', ['--unix-socket']);
  if (p === 'tmux') {
    const out = optValue(c.args, c.argInfo, 'S', []);
    // `-L name` is a socket under tmux's own directory; `..` in it walks out of there.
    for (const m of optValue(c.args, c.argInfo, 'L', [])) out.push({ ...m, word: `/tmp/tmux-0/${m.word}` });
    return out;
  }
  if (/^(?:nc|ncat|netcat|nc\.openbsd|nc\.traditional)$/.test(p)) {
    const unix = c.args.some((a) => /^-[A-Za-z]*U/.test(a) || a === '--unixsock');
    return unix ? c.args.flatMap((a, k) => (a.startsWith('-') ? [] : [at(k)])) : [];
  }
  if (p === 'socat') {
    const out: Mention[] = [];
    c.args.forEach((a, k) => {
      const m = /^(?:unix[a-z-]*|local|gopen|open|create|pipe|named)[:,](.*)$/i.exec(a);
      if (m) out.push({ word: m[1]!.split(',')[0]!, ...(c.argInfo[k] ? { info: c.argInfo[k] } : {}) });
      else if (c.argInfo[k]?.dynamic !== 'none' && !a.startsWith('-')) out.push(at(k));
    });
    return out;
  }
  return [];
}

const GIT_VALUE = new Set(['-c', '-C', '--git-dir', '--work-tree', '--namespace', '--super-prefix', '--config-env', '--list-cmds']);

/** A git command's subcommand, and the alias it defines as a shell command (`git config alias.x '!…'`). */
export function gitSubcommand(c: ShellCommand): { sub?: string; alias?: string } | undefined {
  let k = 0;
  for (; k < c.args.length; k++) {
    const a = c.args[k]!;
    if (!a.startsWith('-')) break;
    if (GIT_VALUE.has(a)) k++;
  }
  const sub = c.args[k];
  if (sub === undefined) return undefined;
  if (sub !== 'config') return { sub };
  const ops = c.args.slice(k + 1).flatMap((a, j) => (a.startsWith('-') ? [] : [{ a, info: c.argInfo[k + 1 + j] }]));
  const i = ops[0]?.a === 'set' ? 1 : 0;
  const key = ops[i];
  const val = ops[i + 1];
  const m = key && /^alias\.(.+)$/i.exec(key.a);
  if (m && val && (val.a.startsWith('!') || val.info?.dynamic !== 'none')) return { sub, alias: m[1]!.toLowerCase() };
  return { sub };
}
