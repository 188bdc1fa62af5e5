import fs from 'node:fs';
import path from 'node:path';
import { findOnPath } from '../core/fsutil.js';

/**
 * A harness found on the caller's PATH may live in a tree the sandbox hides ($HOME is a tmpfs):
 * an npm prefix (`~/.npm-global/bin/claude` → `../lib/node_modules/…`), nvm, a native
 * installer's versions folder. This follows the binary's symlinks and its `#!` interpreter and
 * says what must be bound read-only inside, and, afterwards, what is still not reachable.
 */

export interface HarnessPath {
  /** Every path the kernel walks to start it: the command, each symlink hop, the real file, the interpreter's. */
  chain: string[];
  /** Read-only binds it needs, only those inside `hidden` trees. */
  readable: string[];
  /** Set when the `#!` interpreter is not on the caller's PATH. */
  missingInterpreter?: string;
}

const inside = (p: string, dir: string) => p === dir || p.startsWith(dir.endsWith('/') ? dir : dir + '/');

/** Symlink hops from `file` to its real path (absolute), at most 40 as the kernel allows. */
function hops(file: string): string[] {
  const out = [path.resolve(file)];
  for (let i = 0; i < 40; i++) {
    const cur = out.at(-1)!;
    let link: string;
    try {
      // Parents may be links too: resolve them, then follow this entry.
      const parent = fs.realpathSync(path.dirname(cur));
      const here = path.join(parent, path.basename(cur));
      if (here !== cur) out.push(here);
      link = fs.readlinkSync(here);
      out.push(path.resolve(parent, link));
    } catch {
      break; // not a link (or gone): the end of the chain
    }
  }
  return [...new Set(out)];
}

/**
 * The folder that holds a file's package (nearest package.json), never $HOME or above it (a
 * stray ~/package.json must not bring all of $HOME back); else the file's own folder.
 */
export function packageRoot(file: string, home?: string): string {
  for (let dir = path.dirname(file); path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    if (home && inside(home, dir)) break;
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
  }
  return path.dirname(file);
}

/** The interpreter a `#!` line names: `#!/usr/bin/env [-S] node …` → node on PATH; `#!/abs/node` → that. */
function interpreter(file: string): { name: string; abs?: string } | undefined {
  let head = '';
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(256);
      head = buf.subarray(0, fs.readSync(fd, buf, 0, 256, 0)).toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
  if (!head.startsWith('#!')) return undefined;
  const words = head.slice(2).split('\n')[0]!.trim().split(/\s+/);
  if (path.basename(words[0] ?? '') === 'env') {
    const name = words.slice(1).find((w) => !w.startsWith('-') && !w.includes('='));
    return name ? { name } : undefined;
  }
  return words[0] ? { name: path.basename(words[0]), abs: words[0] } : undefined;
}

export function harnessPath(command: string, opts: { path?: string; home?: string; hidden: string[] }): HarnessPath {
  const chain = hops(command);
  const real = chain.at(-1)!;
  const binds = new Set<string>([packageRoot(real, opts.home), ...chain.map((p) => path.dirname(p))]);
  let missingInterpreter: string | undefined;
  const interp = interpreter(real);
  if (interp) {
    const found = interp.abs ?? findOnPath(interp.name, opts.path);
    if (!found) missingInterpreter = interp.name;
    else {
      const ichain = hops(found);
      chain.push(...ichain);
      // node's prefix (bin/..) holds what it loads at start; the folders of each hop hold the links.
      binds.add(path.dirname(path.dirname(ichain.at(-1)!)));
      for (const p of ichain) binds.add(path.dirname(p));
    }
  }
  const hiddenish = (p: string) => opts.hidden.some((h) => inside(p, h) && p !== h);
  return { chain: [...new Set(chain)], readable: [...binds].filter(hiddenish), ...(missingInterpreter ? { missingInterpreter } : {}) };
}

/**
 * Why the harness cannot start inside, if its chain crosses a hidden tree that no bind brings
 * back: e.g. `claude is not reachable inside the sandbox: /root/.npm-global/bin/claude →
 * /root/.npm-global/lib/…/claude.exe (not bound)`.
 */
export function unreachable(name: string, hp: HarnessPath, plan: { hidden: string[]; binds: string[] }): string | undefined {
  if (hp.missingInterpreter) return `${name} is not reachable inside the sandbox: its interpreter "${hp.missingInterpreter}" (#! line of ${hp.chain[0]}) is not on PATH`;
  const hidden = (p: string) => plan.hidden.some((h) => inside(p, h)) && !plan.binds.some((b) => inside(p, b));
  const bad = hp.chain.find(hidden);
  if (!bad) return undefined;
  return `${name} is not reachable inside the sandbox: ${hp.chain.join(' → ')} (${bad} is in a hidden tree and not bound)`;
}
