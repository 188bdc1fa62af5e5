/**
 * A hand-written recursive-descent parser for the POSIX/bash command language, good enough to
 * find every command a string would run: quoting (`'…'`, `"…"`, `\x`, `$'…'`, `$"…"`), line
 * continuations, comments, `;` `&` `&&` `||` `|` `|&` newlines, `( … )`, `{ …; }`, `if`,
 * `while`/`until`, `for`/`select`, `case`, `[[ ]]`, `(( ))`, functions, `coproc`, `time`, `!`,
 * `$(…)`, backquotes, `$((…))`, `${…}`, `<(…)`/`>(…)`, redirections, here-documents and
 * here-strings. It never executes or expands anything: expansions are kept as source text and
 * flagged dynamic, nested command lists are parsed into `Sub`s.
 */
import type { Cmd, CompoundCmd, Dyn, Heredoc, List, Pipeline, Redir, SimpleCmd, Sub, SyntaxIssue, Word } from './ast.js';

const MAX_NEST = 100;
const MAX_ERRORS = 20;
const TERMINATORS = new Set(['then', 'elif', 'else', 'fi', 'do', 'done', 'esac', '}']);
const RESERVED = /(?:if|then|elif|else|fi|do|done|case|esac|while|until|for|select|function|coproc|time|in|\{|\}|!|\[\[)(?=$|[ \t\n;&|()<>])/y;
const REDIR = /(\d+|\{[A-Za-z_][A-Za-z0-9_]*\})?(&>>|&>|<<<|<<-|<<|<>|<&|>&|>>|>\||<|>)/y;
const FUNC_DEF = /([^\s;&|()<>'"`$\\=]+)[ \t]*\([ \t]*\)/y;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const ASSIGN_NAME = /^[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?\+?$/;
const WORD_BREAK = new Set([' ', '\t', '\n', ';', '&', '|', '<', '>', '(', ')']);

/** Accumulates one word while lexing. */
class WordBuf {
  value = '';
  quoted = false;
  dynamic: Dyn = 'none';
  glob = false;
  subs: Sub[] = [];
  /** Length of `value` when the first quoted/expanded part began (-1: none yet). */
  firstNonLit = -1;
  /** Index in `value` of the first unquoted `=` (-1: none). */
  eq = -1;
  nonLit(): void {
    if (this.firstNonLit < 0) this.firstNonLit = this.value.length;
  }
  dyn(inDouble: boolean): void {
    this.nonLit();
    if (!inDouble) this.dynamic = 'unquoted';
    else if (this.dynamic === 'none') this.dynamic = 'quoted';
  }
}

interface Stop {
  paren?: boolean;
  caseItem?: boolean;
  words?: readonly string[];
}

export class Parser {
  pos = 0;
  readonly errors: SyntaxIssue[] = [];
  private pending: Array<{ h: Heredoc; start: number }> = [];
  /** Positions where `$((`/`((` turned out not to be arithmetic (avoids exponential retries). */
  private notArith = new Set<number>();

  constructor(
    readonly src: string,
    private nest = 0,
  ) {}

  parseScript(): List {
    const list = this.parseList({});
    if (this.pending.length) this.readHeredocs();
    return list;
  }

  /** Words of a plain word list (stops at the first operator). */
  readWordList(): Word[] {
    const out: Word[] = [];
    for (;;) {
      this.skipBlanks();
      const w = this.readWord();
      if (!w) return out;
      out.push(w);
    }
  }

  /** Lexes the whole source as an unquoted here-document body (expansions, no quotes). */
  lexHeredocBody(): { dynamic: Dyn; subs: Sub[] } {
    const b = new WordBuf();
    while (!this.eof()) {
      const c = this.ch()!;
      if (c === '\\') {
        const n = this.ch(1);
        if (n === '\n') this.pos += 2;
        else if (n === '$' || n === '`' || n === '\\') {
          b.value += n;
          this.pos += 2;
        } else {
          b.value += c;
          this.pos++;
        }
      } else if (c === '$') this.readDollar(b, true);
      else if (c === '`') this.readBacktick(b, true);
      else {
        b.value += c;
        this.pos++;
      }
    }
    return { dynamic: b.dynamic, subs: b.subs };
  }

  // ---------------------------------------------------------------- helpers

  private err(message: string, start = this.pos): void {
    if (this.errors.length >= MAX_ERRORS) return;
    this.errors.push({ message, text: this.src.slice(start, start + 160) });
  }
  private eof(): boolean {
    return this.pos >= this.src.length;
  }
  private ch(off = 0): string | undefined {
    return this.src[this.pos + off];
  }
  private at(s: string): boolean {
    return this.src.startsWith(s, this.pos);
  }

  /** Blanks, line continuations and comments (a `#` here is always at the start of a word). */
  private skipBlanks(): void {
    for (;;) {
      const c = this.ch();
      if (c === ' ' || c === '\t') this.pos++;
      else if (c === '\\' && this.ch(1) === '\n') this.pos += 2;
      else if (c === '#') {
        while (!this.eof() && this.ch() !== '\n') this.pos++;
      } else return;
    }
  }

  /** Blanks, comments and newlines (reading any here-documents due after a newline). */
  private skipSpace(): void {
    for (;;) {
      this.skipBlanks();
      if (this.ch() === '\n') this.newline();
      else return;
    }
  }

  private newline(): void {
    this.pos++;
    if (this.pending.length) this.readHeredocs();
  }

  private peekReserved(): string | undefined {
    RESERVED.lastIndex = this.pos;
    return RESERVED.exec(this.src)?.[0];
  }

  private expectWord(w: string, start: number): boolean {
    this.skipSpace();
    if (this.peekReserved() === w) {
      this.pos += w.length;
      return true;
    }
    this.err(`expected \`${w}\``, start);
    return false;
  }

  private compound(kind: string, body: List[], words: Word[], start: number): CompoundCmd {
    return { type: 'compound', kind, body, words, redirects: [], src: this.src, start, end: this.pos };
  }

  private static isEmpty(c: Cmd): boolean {
    return c.type === 'simple' && c.words.length === 0 && c.redirects.length === 0;
  }

  // ---------------------------------------------------------------- grammar

  parseList(stop: Stop): List {
    const items: List = [];
    if (this.nest >= MAX_NEST) {
      this.err('nesting too deep');
      this.pos = this.src.length;
      return items;
    }
    this.nest++;
    try {
      for (;;) {
        this.skipSpace();
        if (this.eof()) break;
        const c = this.ch()!;
        if (c === ')') {
          if (stop.paren) break;
          this.err('unexpected `)`');
          this.pos++;
          continue;
        }
        if (this.at(';;') || this.at(';&')) {
          if (stop.caseItem) break;
          this.err('unexpected `;;`');
          this.pos += this.at(';;&') ? 3 : 2;
          continue;
        }
        if (c === ';' || c === '|' || (c === '&' && this.ch(1) !== '>')) {
          this.err(`unexpected \`${c}\``);
          this.pos++;
          continue;
        }
        const rw = this.peekReserved();
        if (rw !== undefined && TERMINATORS.has(rw)) {
          if (stop.words?.includes(rw)) break;
          this.err(`unexpected \`${rw}\``);
          this.pos += rw.length;
          continue;
        }
        const before = this.pos;
        const pipelines = this.parseAndOr();
        let background = false;
        this.skipBlanks();
        const s = this.ch();
        if (s === '&' && this.ch(1) !== '&' && this.ch(1) !== '>') {
          background = true;
          this.pos++;
        } else if (s === ';' && this.ch(1) !== ';' && this.ch(1) !== '&') this.pos++;
        else if (s === '\n') this.newline();
        items.push({ pipelines, background });
        if (this.pos === before) {
          this.err(`unexpected \`${this.ch() ?? 'end of input'}\``);
          this.pos++;
        }
      }
    } finally {
      this.nest--;
    }
    return items;
  }

  private parseAndOr(): Pipeline[] {
    const out = [this.parsePipeline()];
    for (;;) {
      this.skipBlanks();
      if (!this.at('&&') && !this.at('||')) return out;
      const op = this.src.slice(this.pos, this.pos + 2);
      const start = this.pos;
      this.pos += 2;
      this.skipSpace();
      const p = this.parsePipeline();
      if (p.cmds.length === 1 && Parser.isEmpty(p.cmds[0]!)) this.err(`missing command after \`${op}\``, start);
      out.push(p);
    }
  }

  private parsePipeline(): Pipeline {
    for (;;) {
      this.skipBlanks();
      const rw = this.peekReserved();
      if (rw === '!') this.pos++;
      else if (rw === 'time') {
        this.pos += 4;
        this.skipBlanks();
        if (/^-p(?=$|[ \t\n;&|()<>])/.test(this.src.slice(this.pos, this.pos + 3))) this.pos += 2;
      } else break;
    }
    const cmds = [this.parseCommand()];
    for (;;) {
      this.skipBlanks();
      if (this.ch() !== '|' || this.ch(1) === '|') return { cmds };
      const start = this.pos;
      this.pos += this.ch(1) === '&' ? 2 : 1;
      this.skipSpace();
      const c = this.parseCommand();
      if (Parser.isEmpty(c)) this.err('missing command after `|`', start);
      cmds.push(c);
    }
  }

  private parseCommand(): Cmd {
    this.skipBlanks();
    const start = this.pos;
    if (this.at('((')) {
      const c = this.arithCommand(start);
      if (c) return this.trailing(c);
    }
    if (this.ch() === '(') {
      this.pos++;
      const body = this.parseList({ paren: true });
      if (this.ch() === ')') this.pos++;
      else this.err('unterminated `(`', start);
      return this.trailing(this.compound('subshell', [body], [], start));
    }
    const rw = this.peekReserved();
    switch (rw) {
      case '{': {
        this.pos++;
        const body = this.parseList({ words: ['}'] });
        this.expectWord('}', start);
        return this.trailing(this.compound('group', [body], [], start));
      }
      case 'if':
        return this.trailing(this.parseIf(start));
      case 'while':
      case 'until': {
        this.pos += rw.length;
        const cond = this.parseList({ words: ['do'] });
        let body: List = [];
        if (this.expectWord('do', start)) {
          body = this.parseList({ words: ['done'] });
          this.expectWord('done', start);
        }
        return this.trailing(this.compound(rw, [cond, body], [], start));
      }
      case 'for':
      case 'select':
        return this.trailing(this.parseFor(rw, start));
      case 'case':
        return this.trailing(this.parseCase(start));
      case '[[':
        return this.trailing(this.parseCond(start));
      case 'function': {
        this.pos += 8;
        this.skipBlanks();
        this.readWord();
        this.skipBlanks();
        const m = /^\([ \t]*\)/.exec(this.src.slice(this.pos, this.pos + 40));
        if (m) this.pos += m[0].length;
        this.skipSpace();
        const body = this.parseCommand();
        return this.compound('function', [[{ pipelines: [{ cmds: [body] }], background: false }]], [], start);
      }
      case 'coproc': {
        this.pos += 6;
        this.skipBlanks();
        const m = /^[A-Za-z_][A-Za-z0-9_]*[ \t]+(?=[{(])/.exec(this.src.slice(this.pos, this.pos + 200));
        if (m) this.pos += m[0].length;
        const body = this.parseCommand();
        return this.compound('coproc', [[{ pipelines: [{ cmds: [body] }], background: true }]], [], start);
      }
    }
    FUNC_DEF.lastIndex = this.pos;
    const fm = FUNC_DEF.exec(this.src);
    if (fm) {
      this.pos += fm[0].length;
      this.skipSpace();
      const body = this.parseCommand();
      return this.compound('function', [[{ pipelines: [{ cmds: [body] }], background: false }]], [], start);
    }
    return this.parseSimple();
  }

  private trailing(c: CompoundCmd): CompoundCmd {
    for (;;) {
      this.skipBlanks();
      const r = this.tryRedirect();
      if (!r) break;
      c.redirects.push(r);
    }
    c.end = this.pos;
    return c;
  }

  private parseIf(start: number): CompoundCmd {
    this.pos += 2;
    const bodies: List[] = [];
    for (;;) {
      bodies.push(this.parseList({ words: ['then'] }));
      if (!this.expectWord('then', start)) return this.compound('if', bodies, [], start);
      bodies.push(this.parseList({ words: ['elif', 'else', 'fi'] }));
      this.skipSpace();
      const rw = this.peekReserved();
      if (rw === 'elif') {
        this.pos += 4;
        continue;
      }
      if (rw === 'else') {
        this.pos += 4;
        bodies.push(this.parseList({ words: ['fi'] }));
      }
      break;
    }
    this.expectWord('fi', start);
    return this.compound('if', bodies, [], start);
  }

  private parseFor(kw: string, start: number): CompoundCmd {
    this.pos += kw.length;
    this.skipBlanks();
    const words: Word[] = [];
    if (this.at('((')) {
      this.pos += 2;
      const b = new WordBuf();
      const s = this.pos;
      if (!this.lexArith(b, '))')) this.err(`unterminated \`${kw} ((\``, start);
      words.push(this.mkWord(b, s));
    } else {
      if (!this.readWord()) this.err(`expected a name after \`${kw}\``, start);
      this.skipSpace();
      if (this.peekReserved() === 'in') {
        this.pos += 2;
        for (;;) {
          this.skipBlanks();
          const c = this.ch();
          if (c === undefined) break;
          if (c === ';') {
            this.pos++;
            break;
          }
          if (c === '\n') {
            this.newline();
            break;
          }
          const w = this.readWord();
          if (!w) {
            this.err(`unexpected \`${c}\` in \`${kw}\` list`);
            this.pos++;
            break;
          }
          words.push(w);
        }
      }
    }
    this.skipBlanks();
    if (this.ch() === ';') this.pos++;
    this.skipSpace();
    const rw = this.peekReserved();
    let body: List = [];
    if (rw === 'do') {
      this.pos += 2;
      body = this.parseList({ words: ['done'] });
      this.expectWord('done', start);
    } else if (rw === '{') {
      this.pos++;
      body = this.parseList({ words: ['}'] });
      this.expectWord('}', start);
    } else this.err(`expected \`do\` in \`${kw}\``, start);
    return this.compound(kw, [body], words, start);
  }

  private parseCase(start: number): CompoundCmd {
    this.pos += 4;
    this.skipBlanks();
    const words: Word[] = [];
    const subject = this.readWord();
    if (subject) words.push(subject);
    this.skipSpace();
    if (this.peekReserved() !== 'in') {
      this.err('expected `in` in `case`', start);
      return this.compound('case', [], words, start);
    }
    this.pos += 2;
    const bodies: List[] = [];
    for (;;) {
      this.skipSpace();
      if (this.eof()) {
        this.err('unterminated `case` (no `esac`)', start);
        break;
      }
      if (this.peekReserved() === 'esac') {
        this.pos += 4;
        break;
      }
      if (this.ch() === '(') this.pos++;
      let ok = false;
      for (;;) {
        this.skipBlanks();
        const w = this.readWord();
        if (w) words.push(w);
        this.skipBlanks();
        if (this.ch() === '|') {
          this.pos++;
          continue;
        }
        if (this.ch() === ')') {
          this.pos++;
          ok = true;
        }
        break;
      }
      if (!ok) {
        this.err('bad `case` pattern', start);
        break;
      }
      bodies.push(this.parseList({ caseItem: true, words: ['esac'] }));
      this.skipSpace();
      if (this.at(';;&')) this.pos += 3;
      else if (this.at(';;') || this.at(';&')) this.pos += 2;
    }
    return this.compound('case', bodies, words, start);
  }

  private parseCond(start: number): CompoundCmd {
    this.pos += 2;
    const words: Word[] = [];
    for (;;) {
      this.skipSpace();
      if (this.eof()) {
        this.err('unterminated `[[`', start);
        break;
      }
      const after = this.src[this.pos + 2];
      if (this.at(']]') && (after === undefined || ' \t\n;&|)<>'.includes(after))) {
        this.pos += 2;
        break;
      }
      const w = this.readWord(true);
      if (w) words.push(w);
      else this.pos++;
    }
    return this.compound('cond', [], words, start);
  }

  private arithCommand(start: number): CompoundCmd | undefined {
    if (this.notArith.has(start)) return undefined;
    const nErr = this.errors.length;
    this.pos += 2;
    const b = new WordBuf();
    const s = this.pos;
    if (this.lexArith(b, '))')) return this.compound('arith', [], [this.mkWord(b, s)], start);
    this.pos = start;
    this.errors.length = nErr;
    this.notArith.add(start);
    return undefined;
  }

  private parseSimple(): SimpleCmd {
    const start = this.pos;
    const words: Word[] = [];
    const redirects: Redir[] = [];
    let end = this.pos;
    for (;;) {
      this.skipBlanks();
      const r = this.tryRedirect();
      if (r) redirects.push(r);
      else {
        const w = this.readWord();
        if (!w) break;
        words.push(w);
      }
      end = this.pos;
    }
    return { type: 'simple', words, redirects, src: this.src, start, end };
  }

  private tryRedirect(): Redir | undefined {
    REDIR.lastIndex = this.pos;
    const m = REDIR.exec(this.src);
    if (!m) return undefined;
    const op = m[2]!;
    const fdText = m[1];
    if ((op === '<' || op === '>') && this.src[this.pos + m[0].length] === '(') return undefined; // <(…) >(…)
    if (fdText && op.startsWith('&')) return undefined;
    const start = this.pos;
    this.pos += m[0].length;
    const fd = fdText && /^\d+$/.test(fdText) ? Number(fdText) : undefined;
    this.skipBlanks();
    const w = this.readWord();
    if (!w) {
      this.err(`missing target after \`${op}\``, start);
      return { op, fd, target: this.emptyWord() };
    }
    if (op === '<<' || op === '<<-') {
      const h: Heredoc = { delim: w.value, quoted: w.quoted, strip: op === '<<-', body: '', dynamic: false, subs: [] };
      this.pending.push({ h, start });
      return { op, fd, target: w, heredoc: h };
    }
    if (op === '<<<') {
      const h: Heredoc = { delim: '', quoted: true, strip: false, body: `${w.value}\n`, dynamic: w.dynamic !== 'none', subs: [] };
      return { op, fd, target: w, heredoc: h };
    }
    return { op, fd, target: w };
  }

  private readHeredocs(): void {
    const list = this.pending;
    this.pending = [];
    for (const { h, start } of list) {
      const bodyStart = this.pos;
      let bodyEnd = -1;
      while (!this.eof()) {
        const nl = this.src.indexOf('\n', this.pos);
        const lineEnd = nl < 0 ? this.src.length : nl;
        let line = this.src.slice(this.pos, lineEnd);
        if (h.strip) line = line.replace(/^\t+/, '');
        const next = nl < 0 ? lineEnd : nl + 1;
        if (line === h.delim) {
          bodyEnd = this.pos;
          this.pos = next;
          break;
        }
        this.pos = next;
      }
      let body = this.src.slice(bodyStart, bodyEnd < 0 ? this.src.length : bodyEnd);
      if (bodyEnd < 0) this.err(`unterminated here-document (no \`${h.delim}\` line)`, start);
      if (h.strip) body = body.replace(/^\t+/gm, '');
      h.body = body;
      if (!h.quoted) {
        const p = new Parser(body, this.nest + 1);
        const r = p.lexHeredocBody();
        h.dynamic = r.dynamic !== 'none';
        h.subs = r.subs;
        for (const e of p.errors) this.err(`${e.message} (in here-document)`, start);
      }
    }
  }

  // ---------------------------------------------------------------- words

  private emptyWord(): Word {
    return { src: this.src, start: this.pos, end: this.pos, raw: '', value: '', quoted: false, dynamic: 'none', glob: false, subs: [] };
  }

  private mkWord(b: WordBuf, start: number): Word {
    const w: Word = {
      src: this.src,
      start,
      end: this.pos,
      raw: this.src.slice(start, this.pos),
      value: b.value,
      quoted: b.quoted,
      dynamic: b.dynamic,
      glob: b.glob,
      subs: b.subs,
    };
    if (b.eq > 0 && (b.firstNonLit < 0 || b.firstNonLit > b.eq)) {
      const name = b.value.slice(0, b.eq);
      if (ASSIGN_NAME.test(name)) w.assign = { name: name.replace(/\+$/, ''), value: b.value.slice(b.eq + 1) };
    }
    return w;
  }

  /** Reads one word; `cond` (inside `[[ ]]`) also accepts `( ) < > & |` as word characters. */
  readWord(cond = false): Word | undefined {
    const start = this.pos;
    const b = new WordBuf();
    while (!this.eof()) {
      const c = this.ch()!;
      if (c === ' ' || c === '\t' || c === '\n' || c === ';') break;
      if ((c === '<' || c === '>') && this.ch(1) === '(') {
        this.readProcSub(b);
        continue;
      }
      if (!cond && (c === '&' || c === '|' || c === '<' || c === '>' || c === ')')) break;
      if (c === '(') {
        if (cond) {
          b.value += c;
          this.pos++;
          continue;
        }
        const last = b.value.charAt(b.value.length - 1);
        if (last !== '' && '?*+@!'.includes(last)) {
          this.readBalanced(b); // extglob
          b.glob = true;
          continue;
        }
        if (b.eq >= 0 && b.eq === b.value.length - 1 && b.firstNonLit < 0 && ASSIGN_NAME.test(b.value.slice(0, b.eq))) {
          this.readArrayAssign(b);
          continue;
        }
        break;
      }
      switch (c) {
        case '\\': {
          const n = this.ch(1);
          if (n === '\n') this.pos += 2;
          else if (n === undefined) {
            b.value += c;
            this.pos++;
          } else {
            b.nonLit();
            b.quoted = true;
            b.value += n;
            this.pos += 2;
          }
          continue;
        }
        case "'":
          this.readSingle(b);
          continue;
        case '"':
          this.readDouble(b);
          continue;
        case '$':
          this.readDollar(b, false);
          continue;
        case '`':
          this.readBacktick(b, false);
          continue;
      }
      if (c === '=' && b.eq < 0) b.eq = b.value.length;
      if (c === '*' || c === '?') b.glob = true;
      else if (c === '[' && this.closesInWord(']')) b.glob = true;
      else if (c === '{' && this.isBraceExpansion()) b.glob = true;
      b.value += c;
      this.pos++;
    }
    if (this.pos === start) return undefined;
    return this.mkWord(b, start);
  }

  private closesInWord(close: string): boolean {
    const end = Math.min(this.src.length, this.pos + 4096);
    for (let i = this.pos + 1; i < end; i++) {
      const c = this.src[i]!;
      if (c === close) return true;
      if (WORD_BREAK.has(c)) return false;
    }
    return false;
  }

  /** `{a,b}` / `{1..3}` (unquoted) — bash turns it into several words. */
  private isBraceExpansion(): boolean {
    let depth = 0;
    let seen = false;
    const end = Math.min(this.src.length, this.pos + 4096);
    for (let i = this.pos; i < end; i++) {
      const c = this.src[i]!;
      if (WORD_BREAK.has(c)) return false;
      if (c === '\\') i++;
      else if (c === '{') depth++;
      else if (c === '}') {
        depth--;
        if (depth === 0) return seen;
      } else if (depth === 1 && (c === ',' || (c === '.' && this.src[i + 1] === '.'))) seen = true;
    }
    return false;
  }

  private readSingle(b: WordBuf): void {
    const start = this.pos;
    b.nonLit();
    b.quoted = true;
    const end = this.src.indexOf("'", this.pos + 1);
    if (end < 0) {
      this.err('unterminated single quote', start);
      b.value += this.src.slice(this.pos + 1);
      this.pos = this.src.length;
      return;
    }
    b.value += this.src.slice(this.pos + 1, end);
    this.pos = end + 1;
  }

  private readDouble(b: WordBuf): void {
    const start = this.pos;
    b.nonLit();
    b.quoted = true;
    this.pos++;
    while (!this.eof()) {
      const c = this.ch()!;
      if (c === '"') {
        this.pos++;
        return;
      }
      if (c === '\\') {
        const n = this.ch(1);
        if (n === '\n') this.pos += 2;
        else if (n === '$' || n === '`' || n === '"' || n === '\\') {
          b.value += n;
          this.pos += 2;
        } else {
          b.value += c;
          this.pos++;
        }
      } else if (c === '$') this.readDollar(b, true);
      else if (c === '`') this.readBacktick(b, true);
      else {
        b.value += c;
        this.pos++;
      }
    }
    this.err('unterminated double quote', start);
  }

  private readDollar(b: WordBuf, inDouble: boolean): void {
    if (this.nest >= MAX_NEST) {
      this.err('nesting too deep');
      this.pos = this.src.length;
      return;
    }
    this.nest++;
    try {
      this.readDollarInner(b, inDouble);
    } finally {
      this.nest--;
    }
  }

  private readDollarInner(b: WordBuf, inDouble: boolean): void {
    const start = this.pos;
    const n = this.ch(1);
    if (n === "'" && !inDouble) {
      this.pos += 2;
      b.nonLit();
      b.quoted = true;
      b.value += this.ansiC(start);
      return;
    }
    if (n === '"' && !inDouble) {
      this.pos++;
      this.readDouble(b);
      return;
    }
    if (n === '(') {
      if (this.ch(2) === '(' && !this.notArith.has(start)) {
        const nErr = this.errors.length;
        const tmp = new WordBuf();
        this.pos += 3;
        if (this.lexArith(tmp, '))')) {
          b.subs.push(...tmp.subs);
          b.value += this.src.slice(start, this.pos);
          b.dyn(inDouble);
          return;
        }
        this.pos = start; // `$( (…) … )`: a command substitution after all
        this.errors.length = nErr;
        this.notArith.add(start);
      }
      this.pos += 2;
      const list = this.parseList({ paren: true });
      if (this.ch() === ')') this.pos++;
      else this.err('unterminated `$(`', start);
      const text = this.src.slice(start, this.pos);
      b.subs.push({ kind: 'cmdsub', list, text });
      b.value += text;
      b.dyn(inDouble);
      return;
    }
    if (n === '{' || n === '[') {
      const tmp = new WordBuf();
      this.pos += 2;
      if (n === '{') this.lexParam(tmp, inDouble, start);
      else if (!this.lexArith(tmp, ']')) this.err('unterminated `$[`', start);
      b.subs.push(...tmp.subs);
      b.value += this.src.slice(start, this.pos);
      b.dyn(inDouble);
      return;
    }
    if (n !== undefined && /[A-Za-z_]/.test(n)) {
      NAME.lastIndex = this.pos + 1;
      const m = NAME.exec(this.src);
      this.pos += 1 + (m ? m[0].length : 1);
      b.value += this.src.slice(start, this.pos);
      b.dyn(inDouble);
      return;
    }
    if (n !== undefined && /[0-9@*#?$!-]/.test(n)) {
      this.pos += 2;
      b.value += this.src.slice(start, this.pos);
      b.dyn(inDouble);
      return;
    }
    b.value += '$';
    this.pos++;
  }

  private lexParam(tmp: WordBuf, inDouble: boolean, start: number): void {
    while (!this.eof()) {
      const c = this.ch()!;
      if (c === '}') {
        this.pos++;
        return;
      }
      if (c === '\\') this.pos += 2;
      else if (c === "'" && !inDouble) this.readSingle(tmp);
      else if (c === '"') this.readDouble(tmp);
      else if (c === '$') this.readDollar(tmp, true);
      else if (c === '`') this.readBacktick(tmp, true);
      else this.pos++;
    }
    this.err('unterminated `${`', start);
  }

  /** Scans arithmetic text up to `close` (`))`, `]`), collecting command substitutions. */
  private lexArith(tmp: WordBuf, close: '))' | ']'): boolean {
    const open = close === ']' ? '[' : '(';
    const shut = close === ']' ? ']' : ')';
    let depth = 0;
    while (!this.eof()) {
      const c = this.ch()!;
      if (c === open) {
        depth++;
        this.pos++;
      } else if (c === shut) {
        if (depth > 0) {
          depth--;
          this.pos++;
        } else if (close === ']') {
          this.pos++;
          return true;
        } else if (this.ch(1) === ')') {
          this.pos += 2;
          return true;
        } else return false;
      } else if (c === '$') this.readDollar(tmp, true);
      else if (c === '`') this.readBacktick(tmp, true);
      else if (c === '"') this.readDouble(tmp);
      else if (c === "'") this.readSingle(tmp);
      else if (c === '\\') this.pos += 2;
      else this.pos++;
    }
    return false;
  }

  private readBacktick(b: WordBuf, inDouble: boolean): void {
    const start = this.pos;
    this.pos++;
    let body = '';
    let closed = false;
    while (!this.eof()) {
      const c = this.ch()!;
      if (c === '`') {
        this.pos++;
        closed = true;
        break;
      }
      if (c === '\\') {
        const n = this.ch(1);
        if (n === '$' || n === '`' || n === '\\' || (inDouble && n === '"')) {
          body += n;
          this.pos += 2;
          continue;
        }
        if (n === '\n') {
          this.pos += 2;
          continue;
        }
      }
      body += c;
      this.pos++;
    }
    if (!closed) this.err('unterminated backquote', start);
    const p = new Parser(body, this.nest + 1);
    const list = p.parseScript();
    for (const e of p.errors) if (this.errors.length < MAX_ERRORS) this.errors.push({ message: `${e.message} (in backquotes)`, text: e.text });
    const text = this.src.slice(start, this.pos);
    b.subs.push({ kind: 'backtick', list, text });
    b.value += text;
    b.dyn(inDouble);
  }

  private readProcSub(b: WordBuf): void {
    const start = this.pos;
    this.pos += 2;
    const list = this.parseList({ paren: true });
    if (this.ch() === ')') this.pos++;
    else this.err('unterminated process substitution', start);
    const text = this.src.slice(start, this.pos);
    b.subs.push({ kind: 'procsub', list, text });
    b.value += text;
    b.dyn(true); // expands to one path such as /dev/fd/63
  }

  /** Extglob `@(a|b)` etc.: balanced parentheses kept in the word. */
  private readBalanced(b: WordBuf): void {
    const start = this.pos;
    let depth = 0;
    while (!this.eof()) {
      const c = this.ch()!;
      if (c === "'") this.readSingle(b);
      else if (c === '"') this.readDouble(b);
      else if (c === '$') this.readDollar(b, false);
      else if (c === '`') this.readBacktick(b, false);
      else if (c === '\\') {
        b.value += this.src.slice(this.pos, this.pos + 2);
        this.pos += 2;
      } else {
        b.value += c;
        this.pos++;
        if (c === '(') depth++;
        else if (c === ')' && --depth === 0) return;
      }
    }
    this.err('unterminated extended glob', start);
  }

  /** `name=( words… )`: the words are data, but their substitutions run. */
  private readArrayAssign(b: WordBuf): void {
    const start = this.pos;
    this.pos++;
    const parts: string[] = [];
    for (;;) {
      this.skipSpace();
      if (this.eof()) {
        this.err('unterminated array assignment', start);
        break;
      }
      if (this.ch() === ')') {
        this.pos++;
        break;
      }
      const w = this.readWord();
      if (!w) {
        this.pos++;
        continue;
      }
      b.subs.push(...w.subs);
      parts.push(w.raw);
    }
    b.value += `(${parts.join(' ')})`;
  }

  private ansiC(start: number): string {
    let out = '';
    while (!this.eof()) {
      const c = this.ch()!;
      if (c === "'") {
        this.pos++;
        return out;
      }
      if (c !== '\\') {
        out += c;
        this.pos++;
        continue;
      }
      const n = this.ch(1);
      this.pos += 2;
      const hex = (max: number): string | undefined => {
        const m = new RegExp(`^[0-9a-fA-F]{1,${max}}`).exec(this.src.slice(this.pos, this.pos + max));
        if (!m) return undefined;
        this.pos += m[0].length;
        return m[0];
      };
      switch (n) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'a': out += '\x07'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'v': out += '\v'; break;
        case 'e':
        case 'E': out += '\x1b'; break;
        case '\\':
        case "'":
        case '"':
        case '?': out += n; break;
        case 'x':
        case 'u':
        case 'U': {
          const h = hex(n === 'x' ? 2 : n === 'u' ? 4 : 8);
          const cp = h === undefined ? -1 : parseInt(h, 16);
          out += cp >= 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : `\\${n}`;
          break;
        }
        case 'c': {
          const x = this.ch();
          if (x !== undefined) {
            out += String.fromCharCode(x.charCodeAt(0) & 31);
            this.pos++;
          }
          break;
        }
        default:
          if (n !== undefined && /[0-7]/.test(n)) {
            const m = /^[0-7]{0,2}/.exec(this.src.slice(this.pos, this.pos + 2))!;
            this.pos += m[0].length;
            out += String.fromCharCode(parseInt(n + m[0], 8) & 255);
          } else out += `\\${n ?? ''}`;
      }
    }
    this.err("unterminated `$'` quote", start);
    return out;
  }
}
