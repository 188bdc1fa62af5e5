import fs from 'node:fs';
import path from 'node:path';
import { OmniError } from '../core/errors.js';
import { looksLikePolicyFile } from '../policy/rules.js';

/**
 * A policy reference from the command line: an existing file is read here, on the caller's
 * side (relative paths are the caller's), and sent as text; anything else is sent as a name
 * (a builtin, or a file in the config's policies/ folder) for the daemon to resolve. A path
 * that names no file is an error here (exit 2), in the caller's own words.
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
  if (looksLikePolicyFile(ref)) {
    throw new OmniError(`${st ? 'not a file' : 'no such file'} ${ref}${file !== ref ? ` (${file})` : ''}`, 'policy_invalid');
  }
  return { ref };
}
