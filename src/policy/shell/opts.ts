/** The interface between the walker and the wrapper handlers, and GNU-style option parsing. */
import type { Word } from './ast.js';
import { isDyn, type Stdin } from './words.js';

export interface InnerOpts {
  assignments?: Record<string, string>;
  /** The wrapper appends arguments only known at run time (xargs). */
  open?: boolean;
  /** The first word is a package spec (`npx cowsay@1`): program = package name. */
  packageRunner?: boolean;
}

export interface HandlerCtx {
  /** Normalized program name (lower case basename, `.exe` removed). */
  program: string;
  args: Word[];
  stdin?: Stdin;
  /** Variables the command sees: assigned earlier in the script, exported, or prefixed to it. */
  env: ReadonlyMap<string, { value: string; dynamic: boolean }>;
  inner(words: Word[], label: string, opts?: InnerOpts): void;
  /**
   * Parse `text` as shell code run by this command. Its commands inherit this command's
   * stdin unless `stdinIsScript` (the code itself was read from stdin).
   */
  script(text: string, dynamic: boolean, label: string, opts?: { open?: boolean; stdinIsScript?: boolean }): void;
  opaque(reason: string): void;
  defineAlias(name: string, value: string, dynamic: boolean): void;
  removeAlias(name: string): void;
}

export type Handler = (h: HandlerCtx) => void;

// ------------------------------------------------------------------ option parsing

export interface OptSpec {
  /** Options taking a value (`-u bob`, `-ubob`, `--user bob`, `--user=bob`). */
  value?: readonly string[];
  /** Short options whose value, if any, must be attached (`xargs -i{}`). */
  optional?: readonly string[];
  /** Options meaning nothing is run (`command -v`). */
  noExec?: readonly string[];
  /** Options whose value is shell code (`su -c`, `flock -c`). */
  script?: readonly string[];
  /** Operands before the command (`timeout DURATION`, `flock FILE`). */
  positionals?: number;
  /** `NAME=value` words are accepted among the options (`env`, `sudo`). */
  assignments?: boolean;
  /** Options may follow operands (GNU permutation; used where there is no argv to find). */
  permute?: boolean;
}

export interface OptResult {
  /** Words after the options and operands: the wrapped command. */
  rest: Word[];
  positionals: Word[];
  values: Map<string, string>;
  flags: Set<string>;
  scripts: Array<{ opt: string; text: string; dynamic: boolean }>;
  noExec: boolean;
  assignments: Record<string, string>;
}

export function parseOpts(args: readonly Word[], spec: OptSpec): OptResult {
  const r: OptResult = { rest: [], positionals: [], values: new Map(), flags: new Set(), scripts: [], noExec: false, assignments: {} };
  const has = (l: readonly string[] | undefined, o: string): boolean => !!l && l.includes(o);
  let left = spec.positionals ?? 0;
  let i = 0;
  const take = (o: string, attached: string | undefined, w: Word): void => {
    const isScript = has(spec.script, o);
    let val = attached;
    let vw = w;
    if (val === undefined && (isScript || has(spec.value, o)) && i + 1 < args.length) {
      vw = args[++i]!;
      val = vw.value;
    }
    if (val === undefined) return;
    r.values.set(o, val);
    if (isScript) r.scripts.push({ opt: o, text: val, dynamic: isDyn(vw) });
  };
  for (; i < args.length; i++) {
    const w = args[i]!;
    const v = w.value;
    if (!isDyn(w) && v === '--') {
      i++;
      break;
    }
    if (spec.assignments && w.assign) {
      r.assignments[w.assign.name] = w.assign.value;
      continue;
    }
    if (!isDyn(w) && v === '-') {
      r.flags.add(v);
      continue;
    }
    if (!isDyn(w) && v.startsWith('--')) {
      const eq = v.indexOf('=');
      const name = eq < 0 ? v : v.slice(0, eq);
      r.flags.add(name);
      if (has(spec.noExec, name)) r.noExec = true;
      take(name, eq < 0 ? undefined : v.slice(eq + 1), w);
      continue;
    }
    if (!isDyn(w) && v.startsWith('-') && v.length > 1) {
      for (let j = 1; j < v.length; j++) {
        const o = `-${v[j]}`;
        r.flags.add(o);
        if (has(spec.noExec, o)) r.noExec = true;
        if (has(spec.value, o) || has(spec.script, o)) {
          take(o, v.slice(j + 1) || undefined, w);
          break;
        }
        if (has(spec.optional, o)) {
          r.values.set(o, v.slice(j + 1));
          break;
        }
      }
      continue;
    }
    if (left > 0) {
      r.positionals.push(w);
      left--;
      continue;
    }
    if (spec.permute) {
      r.positionals.push(w);
      continue;
    }
    break;
  }
  r.rest = args.slice(i);
  return r;
}

