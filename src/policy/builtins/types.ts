import type { Policy } from '../types.js';

/** A builtin's parameter, validated with file:line:column errors when a policy file uses it. */
export type ParamSpec =
  /** `optional`: no default, and absent is fine (the policy reads undefined). */
  | { type: 'int'; doc: string; default?: number; min?: number; optional?: boolean }
  /** Any finite number (amounts of money). */
  | { type: 'number'; doc: string; default?: number; min?: number; optional?: boolean }
  | { type: 'boolean'; doc: string; default: boolean }
  | { type: 'enum'; doc: string; values: readonly string[]; default: string }
  | { type: 'string'; doc: string; default?: string }
  /** A string or list of strings: shell command patterns, path globs, or plain names. */
  | { type: 'commands' | 'globs' | 'strings'; doc: string; default?: readonly string[] };

export interface BuiltinContext {
  /** The policy's name (the builtin's, or `name:` from the file). */
  name: string;
  /** Home directory for `~` in globs and paths. */
  home: string;
  source: string;
}

export interface Builtin {
  name: string;
  /** One line for `omni policy list` and error messages. */
  summary: string;
  params: Record<string, ParamSpec>;
  create(params: Record<string, unknown>, ctx: BuiltinContext): Policy;
  /** A check across parameters, after each is validated: which param to point at, and why. */
  check?(params: Record<string, unknown>): { param: string; message: string } | undefined;
}
