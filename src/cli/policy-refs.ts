import fs from 'node:fs';
import path from 'node:path';

/**
 * A policy reference from the command line: an existing file is read here, on the caller's
 * side (relative paths are the caller's), and sent as text; anything else is sent as a name
 * (a builtin, or a file in the config's policies/ folder) for the daemon to resolve.
 */
export function policyRefInput(ref: string, cwd = process.cwd()): { ref: string; source?: string; text?: string } {
  const file = path.resolve(cwd, ref.startsWith('~/') ? path.join(process.env.HOME ?? '', ref.slice(2)) : ref);
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(file);
  } catch {
    st = undefined;
  }
  if (st?.isFile()) return { ref, source: file, text: fs.readFileSync(file, 'utf8') };
  return { ref };
}
