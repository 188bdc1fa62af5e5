import fs from 'node:fs';
import path from 'node:path';
import { OmniError } from '../core/errors.js';
import { looksLikePolicyFile } from './rules.js';

/** A policy as POST /v1/sessions and POST /v1/policies take it: a file's text, or a name. */
export interface PolicyRefBody {
  ref: string;
  source?: string;
  text?: string;
}

/**
 * A policy reference from the caller's side: an existing file is read here (relative paths are
 * against `cwd`) and sent as text; anything else is sent as a name (a builtin, or a file in the
 * config's policies/ folder) for the daemon to resolve. A path that names no file is an error
 * here (exit 2), in the caller's own words. Used by the CLI and by spawn grants (src/agents).
 */
export function policyRefInput(ref: string, cwd = process.cwd(), home = process.env.HOME ?? ''): PolicyRefBody {
  const file = path.resolve(cwd, ref.startsWith('~/') ? path.join(home, ref.slice(2)) : ref);
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
