/**
 * The YAML reader every omni file uses (config.yaml, policies, prices.yaml, agent specs):
 * parsed with positions, so each check can fail with `file:line:column: what is valid`.
 */
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';

/**
 * A YAML file that is not valid YAML or not what its reader expects. `file`, `line` and
 * `column` (1-based) point at the offending key or value; the message says what is valid.
 */
export class YamlError extends Error {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The message without the `file:line:column: ` prefix. */
  readonly detail: string;
  constructor(file: string, line: number, column: number, detail: string) {
    super(`${file}:${line}:${column}: ${detail}`);
    this.name = 'YamlError';
    this.file = file;
    this.line = line;
    this.column = column;
    this.detail = detail;
  }
}

/** One parsed YAML text, for positions and alias resolution. */
export class YamlSource {
  readonly lineCounter = new LineCounter();
  readonly doc: Document.Parsed;
  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lineCounter, prettyErrors: false, uniqueKeys: true });
    const err = this.doc.errors[0];
    if (err) {
      const pos = err.linePos?.[0] ?? this.lineCounter.linePos(err.pos[0]);
      const msg = err.message.split('\n')[0] ?? err.message;
      throw new YamlError(file, pos.line, pos.col, `invalid YAML (${err.code}): ${msg}`);
    }
  }
  pos(offset: number): { line: number; col: number } {
    const p = this.lineCounter.linePos(offset);
    return p.line === 0 ? { line: 1, col: 1 } : p;
  }
  root(): YVal {
    return new YVal(this, this.doc.contents, 0, '(document)');
  }
}

export type YKind = 'map' | 'list' | 'string' | 'number' | 'boolean' | 'null';

const article = (k: YKind): string => (k === 'null' ? 'nothing' : k === 'list' ? 'a list' : k === 'map' ? 'a mapping' : `a ${k}`);

/** A YAML value with its position, so every check can fail with file:line:column. */
export class YVal {
  readonly node: unknown;
  constructor(
    readonly src: YamlSource,
    node: unknown,
    /** Where to point when this value is absent or empty. */
    readonly offset: number,
    /** A readable path for messages, e.g. `policies[0].rules[1].when`. */
    readonly where: string,
  ) {
    this.node = isAlias(node) ? node.resolve(src.doc) : node;
  }

  get start(): number {
    const r = (this.node as { range?: [number, number, number] } | null)?.range;
    return r ? r[0] : this.offset;
  }

  fail(message: string): never {
    const p = this.src.pos(this.start);
    throw new YamlError(this.src.file, p.line, p.col, message);
  }

  kind(): YKind {
    const n = this.node;
    if (n == null) return 'null';
    if (isMap(n)) return 'map';
    if (isSeq(n)) return 'list';
    if (isScalar(n)) {
      const v = n.value;
      if (v == null) return 'null';
      if (typeof v === 'string') return 'string';
      if (typeof v === 'number' || typeof v === 'bigint') return 'number';
      if (typeof v === 'boolean') return 'boolean';
    }
    return 'null';
  }

  /** The plain JS value (for messages and literals). */
  js(): unknown {
    const n = this.node as { toJSON?: () => unknown } | null;
    if (n == null) return null;
    if (isScalar(n)) return n.value;
    return typeof n.toJSON === 'function' ? n.toJSON() : null;
  }

  expect(kinds: YKind[], what: string): void {
    const k = this.kind();
    if (!kinds.includes(k)) this.fail(`${what} must be ${kinds.map(article).join(' or ')}, not ${article(k)}`);
  }

  /** Entries of a mapping, keys checked against `valid` (unknown keys fail, naming the valid ones). */
  map(what: string, valid?: readonly string[]): YEntry[] {
    this.expect(['map'], what);
    const out: YEntry[] = [];
    const node = this.node as { items: Array<{ key: unknown; value: unknown }> };
    for (const pair of node.items) {
      const keyVal = new YVal(this.src, pair.key, this.start, this.where);
      if (keyVal.kind() !== 'string') keyVal.fail(`keys in ${what} must be names, not ${article(keyVal.kind())}`);
      const key = String((keyVal.node as { value: unknown }).value);
      if (valid && !valid.includes(key)) {
        const hint = suggest(key, valid);
        keyVal.fail(`unknown key "${key}" in ${what}${hint ? ` (did you mean "${hint}"?)` : ''}; valid: ${valid.join(', ')}`);
      }
      out.push({ key, keyVal, value: new YVal(this.src, pair.value, keyVal.start, `${this.where}.${key}`) });
    }
    return out;
  }

  list(what: string): YVal[] {
    this.expect(['list'], what);
    const node = this.node as { items: unknown[] };
    return node.items.map((n, i) => new YVal(this.src, n, this.start, `${this.where}[${i}]`));
  }

  string(what: string, opts: { nonEmpty?: boolean } = { nonEmpty: true }): string {
    this.expect(['string'], what);
    const s = (this.node as { value: string }).value;
    if (opts.nonEmpty !== false && s.trim() === '') this.fail(`${what} must not be empty`);
    return s;
  }

  /** A string, or a list of strings: returned with the value each came from. */
  strings(what: string): Array<{ value: string; at: YVal }> {
    const k = this.kind();
    if (k === 'string') return [{ value: this.string(what), at: this }];
    if (k !== 'list') this.fail(`${what} must be a string or a list of strings, not ${article(k)}`);
    const items = this.list(what);
    if (!items.length) this.fail(`${what} must not be an empty list`);
    return items.map((v) => ({ value: v.string(`each item of ${what}`), at: v }));
  }

  number(what: string): number {
    this.expect(['number'], what);
    return Number((this.node as { value: number }).value);
  }

  int(what: string, min?: number): number {
    const n = this.number(what);
    if (!Number.isInteger(n)) this.fail(`${what} must be a whole number, not ${n}`);
    if (min !== undefined && n < min) this.fail(`${what} must be at least ${min}, not ${n}`);
    return n;
  }

  boolean(what: string): boolean {
    this.expect(['boolean'], what);
    return Boolean((this.node as { value: boolean }).value);
  }

  oneOf<T extends string>(what: string, values: readonly T[]): T {
    const s = this.string(what);
    if (!values.includes(s as T)) {
      const hint = suggest(s, values);
      this.fail(`${what} must be one of ${values.join(', ')}, not "${s}"${hint ? ` (did you mean "${hint}"?)` : ''}`);
    }
    return s as T;
  }
}

export interface YEntry {
  key: string;
  keyVal: YVal;
  value: YVal;
}

/** The closest valid name to a misspelt one, if it is close. */
export function suggest(word: string, valid: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const v of valid) {
    const d = distance(word.toLowerCase(), v.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = v;
    }
  }
  return best !== undefined && bestD <= (word.length <= 3 ? 1 : Math.max(2, Math.floor(word.length / 3))) ? best : undefined;
}

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}
