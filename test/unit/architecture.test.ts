import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The folder layout is the architecture (README "Layout"): arrows point one way, the ground
 * floor (src/core) knows no feature, and no feature below the adapters names a harness. This
 * reads src/ with the TypeScript parser (no type check) and fails on what breaks those rules.
 */

const ROOT = path.resolve(import.meta.dirname, '../..');
const SRC = path.join(ROOT, 'src');

/**
 * Files under src/policy, src/cost, src/sandbox that still name a harness in code, to shrink
 * to nothing: harness knowledge moves into src/harnesses/<name>/ (issue 10, deliverable 1).
 * A listed file that no longer names one fails too, so the list only gets shorter.
 */
const HARNESS_NAME_OFFENDERS: readonly string[] = [];

/** Layer → layers it must never import (besides src/core, which imports nothing outside itself). */
const FORBIDDEN: Record<string, readonly string[]> = {
  policy: ['daemon', 'cli', 'client', 'tui'],
  cost: ['daemon', 'cli', 'client', 'tui'],
  sandbox: ['daemon', 'cli', 'client', 'tui'],
  egress: ['daemon', 'cli', 'client', 'tui'],
  daemon: ['cli', 'tui'],
  harnesses: ['daemon', 'cli'],
  worktree: ['daemon', 'cli', 'client', 'tui', 'merge'],
  merge: ['daemon', 'cli', 'client', 'tui'],
};

const HARNESS_NAMES = new Set(['claude', 'codex', 'pi', 'opencode', 'gemini', 'copilot', 'qwen']);

interface SrcFile {
  /** Relative to the repo root, with `/`: `src/core/yaml.ts`. */
  rel: string;
  source: ts.SourceFile;
  /** Files under src/ it imports (static, re-exports, dynamic `import('…')`), as `rel`. */
  imports: string[];
}

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return listFiles(p);
    return /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

const relOf = (abs: string) => path.relative(ROOT, abs).split(path.sep).join('/');

/** `./x.js` → the .ts/.tsx/index file it names; undefined for packages and non-source files. */
function resolve(fromAbs: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(fromAbs), spec).replace(/\.js$/, '');
  for (const c of [`${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts'), path.join(base, 'index.tsx')]) {
    if (fs.existsSync(c)) return c;
  }
  return undefined;
}

function moduleSpecifiers(sf: ts.SourceFile): string[] {
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteralLike(arg)) out.push(arg.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      out.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function readSrc(): SrcFile[] {
  return listFiles(SRC).map((abs) => {
    const text = fs.readFileSync(abs, 'utf8');
    const source = ts.createSourceFile(abs, text, ts.ScriptTarget.Latest, true, abs.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
    const imports = moduleSpecifiers(source).flatMap((spec) => {
      const r = resolve(abs, spec);
      if (spec.startsWith('.') && !r && !/\.(json|mjs|cjs)$/.test(spec)) throw new Error(`${relOf(abs)}: cannot resolve ${spec}`);
      return r ? [relOf(r)] : [];
    });
    return { rel: relOf(abs), source, imports };
  });
}

/** `src/policy/builtins/x.ts` → `policy`; a file directly in src/ → ''. */
const layerOf = (rel: string) => {
  const parts = rel.split('/');
  return parts.length > 2 ? parts[1]! : '';
};

/** Every strongly connected group of more than one file (or a file importing itself): Tarjan. */
function cycles(graph: Map<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(group.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) connect(v);
  return found;
}

/** Where code (not comments) names a harness: an identifier's word, or a whole plain string. */
function harnessMentions(sf: ts.SourceFile): string[] {
  const out: string[] = [];
  const at = (node: ts.Node, what: string) => {
    const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    out.push(`${line + 1}: ${what}`);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) || ts.isPrivateIdentifier(node)) {
      // Words of camelCase and SNAKE_CASE names: `isCodex`, `CODEX_CA_CERTIFICATE`, `piMode`.
      const words = node.text.split(/_|(?<=[a-z0-9])(?=[A-Z])/).map((w) => w.toLowerCase());
      if (words.some((w) => HARNESS_NAMES.has(w))) at(node, node.text);
    } else if (ts.isStringLiteralLike(node)) {
      if (HARNESS_NAMES.has(node.text.trim().toLowerCase())) at(node, JSON.stringify(node.text));
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/**
 * Module-level mutable state (the repo's guide: pass dependencies in): a top-level `let` or
 * `var`, or a top-level `new Map/Set/WeakMap/WeakSet` whose name is later written through
 * `.set(`, `.add(`, `.delete(` or `.clear(` anywhere in the file. Constant tables pass.
 */
function moduleState(sf: ts.SourceFile): string[] {
  const out: string[] = [];
  const at = (node: ts.Node, what: string) => {
    const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    out.push(`${line + 1}: ${what}`);
  };
  const collections = new Map<string, ts.Node>();
  for (const st of sf.statements) {
    if (!ts.isVariableStatement(st)) continue;
    const list = st.declarationList;
    const isConst = (list.flags & (ts.NodeFlags.Let | ts.NodeFlags.Const | ts.NodeFlags.Using)) === ts.NodeFlags.Const;
    for (const d of list.declarations) {
      const name = ts.isIdentifier(d.name) ? d.name.text : d.name.getText(sf);
      if (!isConst) at(d, `${list.flags & ts.NodeFlags.Let ? 'let' : 'var'} ${name}`);
      else if (ts.isIdentifier(d.name) && d.initializer && ts.isNewExpression(d.initializer) && ts.isIdentifier(d.initializer.expression) && /^(Weak)?(Map|Set)$/.test(d.initializer.expression.text)) {
        collections.set(name, d);
      }
    }
  }
  const written = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && ts.isIdentifier(node.expression.expression)) {
      const target = node.expression.expression.text;
      if (collections.has(target) && ['set', 'add', 'delete', 'clear'].includes(node.expression.name.text)) written.add(target);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  for (const name of written) at(collections.get(name)!, `${name} is a module-level collection written at run time`);
  return out;
}

const files = readSrc();

describe('architecture of src/', () => {
  it('reads the whole tree (the checks below see every file)', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(files.some((f) => f.rel === 'src/core/yaml.ts')).toBe(true);
  });

  it('has no import cycles', () => {
    const graph = new Map(files.map((f) => [f.rel, f.imports] as const));
    expect(cycles(graph)).toEqual([]);
  });

  it('src/core imports nothing outside src/core', () => {
    const out = files.filter((f) => layerOf(f.rel) === 'core').flatMap((f) => f.imports.filter((i) => layerOf(i) !== 'core').map((i) => `${f.rel} → ${i}`));
    expect(out).toEqual([]);
  });

  it('no arrow points up (features below the daemon, the daemon below the CLI and TUI)', () => {
    const out = files.flatMap((f) => {
      const banned = FORBIDDEN[layerOf(f.rel)] ?? [];
      return f.imports.filter((i) => banned.includes(layerOf(i))).map((i) => `${f.rel} → ${i}`);
    });
    expect(out).toEqual([]);
  });

  it('src/policy, src/cost and src/sandbox name no harness (but the known offenders, which must still offend)', () => {
    const named = new Map(
      files
        .filter((f) => ['policy', 'cost', 'sandbox'].includes(layerOf(f.rel)))
        .map((f) => [f.rel, harnessMentions(f.source)] as const)
        .filter(([, hits]) => hits.length > 0),
    );
    const unlisted = [...named].filter(([rel]) => !HARNESS_NAME_OFFENDERS.includes(rel)).map(([rel, hits]) => `${rel}: ${hits.join('; ')}`);
    expect(unlisted, 'move harness knowledge into src/harnesses/<name>/').toEqual([]);
    const cured = HARNESS_NAME_OFFENDERS.filter((rel) => !named.has(rel));
    expect(cured, 'these no longer name a harness: drop them from HARNESS_NAME_OFFENDERS').toEqual([]);
  });

  it('keeps no module-level mutable state (no top-level let/var, no top-level Map/Set written later)', () => {
    const out = files.flatMap((f) => moduleState(f.source).map((hit) => `${f.rel}:${hit}`));
    expect(out, 'pass state in (owned by an instance), or compile it where it is loaded').toEqual([]);
  });
});

describe('the checks themselves', () => {
  it('find a cycle, a self-import, and nothing in a tree', () => {
    expect(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]))).toEqual([['a', 'b', 'c']]);
    expect(cycles(new Map([['a', ['a']]]))).toEqual([['a']]);
    expect(cycles(new Map([['a', ['b', 'c']], ['b', ['c']], ['c', []]]))).toEqual([]);
  });

  it('find harness names in identifiers and strings, not in comments or longer words', () => {
    const sf = (text: string) => ts.createSourceFile('x.ts', text, ts.ScriptTarget.Latest, true);
    const hits = harnessMentions(
      sf(`// Claude and Codex in a comment
const env = { CODEX_CA_CERTIFICATE: 1 };
if (harness === 'claude') isPi(x);
const model = 'claude-sonnet-4-5', pipe = 'api', apiKey = \`\${a}pi\`;`),
    );
    expect(hits).toEqual(['2: CODEX_CA_CERTIFICATE', '3: "claude"', '3: isPi']);
  });

  it('find module-level let/var and written collections, not constant tables or locals', () => {
    const sf = (text: string) => ts.createSourceFile('x.ts', text, ts.ScriptTarget.Latest, true);
    const hits = moduleState(
      sf(`let a = 1;
var b;
const TABLE = new Map([['x', 1]]);
const NAMES = new Set(['x']);
const cache = new Map<string, number>();
const seen = new WeakSet<object>();
export function f(k: string) {
  let local = 0;
  const m = new Map();
  m.set(k, local);
  if (NAMES.has(k)) cache.set(k, TABLE.get(k)!);
  seen.add({});
}`),
    );
    expect(hits).toEqual(['1: let a', '2: var b', '5: cache is a module-level collection written at run time', '6: seen is a module-level collection written at run time']);
  });
});
