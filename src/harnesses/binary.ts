import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import type { BinaryInfo, VersionProbe } from './types.js';

/** Find an executable on the caller's PATH (not the daemon's: sessions get the caller's env). */
export function whichIn(name: string, envPath: string | undefined): string | null {
  if (name.includes('/')) return isExecutable(name) ? path.resolve(name) : null;
  for (const dir of (envPath ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

function isExecutable(file: string): boolean {
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * `<bin> --version` per binary path and mtime (it can take a second for some CLIs). The daemon
 * keeps one for its lifetime; a one-shot command gets a fresh one.
 */
export class BinaryVersions implements VersionProbe {
  private cache = new Map<string, { mtimeMs: number; version: string | undefined }>();

  async of(file: string, env: Record<string, string>): Promise<string | undefined> {
    let mtimeMs = 0;
    try {
      mtimeMs = fs.statSync(file).mtimeMs;
    } catch {
      return undefined;
    }
    const cached = this.cache.get(file);
    if (cached && cached.mtimeMs === mtimeMs) return cached.version;
    const r = await execa(file, ['--version'], { env, extendEnv: false, reject: false, timeout: 15_000, stdin: 'ignore' });
    const version = versionIn(`${r.stdout}`) ?? versionIn(`${r.stderr}`);
    this.cache.set(file, { mtimeMs, version });
    return version;
  }
}

/**
 * The first x.y.z in a `--version` output. Some CLIs print it on stderr (Pi 0.73), so both are
 * read, stdout first. A sentence's full stop is not part of it (Copilot: "… CLI 1.0.102.").
 */
export function versionIn(text: string): string | undefined {
  return /(\d+\.\d+\.\d+[\w.-]*)/.exec(text)?.[1]?.replace(/\.+$/, '');
}

export async function findBinary(name: string, env: Record<string, string>, override?: string, versions: VersionProbe = new BinaryVersions()): Promise<BinaryInfo | null> {
  const file = whichIn(override || name, env.PATH);
  if (!file) return null;
  return { path: file, version: await versions.of(file, env) };
}
