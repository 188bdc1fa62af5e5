import type { ToolKind } from '../core/events.js';
import type { NormalizedToolCall } from '../policy/types.js';

/**
 * Helpers the adapters share to build a NormalizedToolCall from a tool input. Each adapter
 * knows its own tools' schemas; the fallback here is for tools none of them knows (MCP servers,
 * new built-ins), whose input keys are guessed.
 */

export type Obj = Record<string, unknown>;

export const asObject = (input: unknown): Obj | undefined =>
  input && typeof input === 'object' && !Array.isArray(input) ? (input as Obj) : undefined;

export const nonEmpty = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Quote one argv word for a POSIX shell. */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_\/.:=@%+,-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * A shell script from a command value: a string as it is, an argv array (`["bash", "-lc", "…"]`)
 * quoted back into a script so the parser sees the wrapper too. Undefined for anything else.
 */
export function scriptOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.length && v.every((x) => typeof x === 'string')) return (v as string[]).map(shellQuote).join(' ');
  return undefined;
}

/** Read and write paths: each named path goes to `write` when `isWrite`, else to `read`. */
export function pathsOf(named: readonly (string | undefined)[], isWrite: boolean): NonNullable<NormalizedToolCall['paths']> {
  const ps = named.filter((p): p is string => p !== undefined && p !== '');
  return isWrite ? { read: [], write: ps } : { read: ps, write: [] };
}

const GUESS_PATH_KEYS = ['file_path', 'notebook_path', 'path', 'file', 'filePath', 'filename', 'target_file'];
const GUESS_PATHS_KEYS = ['paths', 'files', 'file_paths'];
const WRITE_NAME = /write|edit|patch|create|delete|remove|move|rename|mkdir|save|update|append|replace/i;

/**
 * A tool the adapter has no schema for (an MCP server's, a new built-in): paths under the usual
 * key names, counted as writes when the kind or the tool's name says so; a `url` if there is one.
 */
export function guessToolCall(tool: string, kind: ToolKind, input: unknown): NormalizedToolCall {
  const call: NormalizedToolCall = { kind };
  const obj = asObject(input);
  if (!obj) return call;
  const named: string[] = [];
  for (const k of GUESS_PATH_KEYS) {
    const v = nonEmpty(obj[k]);
    if (v) named.push(v);
  }
  for (const k of GUESS_PATHS_KEYS) {
    const v = obj[k];
    if (Array.isArray(v)) for (const x of v) if (typeof x === 'string' && x !== '') named.push(x);
  }
  if (named.length) call.paths = pathsOf(named, kind === 'write' || kind === 'edit' || (kind !== 'read' && WRITE_NAME.test(tool)));
  const url = nonEmpty(obj.url);
  if (url) call.url = url;
  return call;
}
