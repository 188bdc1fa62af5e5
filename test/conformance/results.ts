import fs from 'node:fs';
import path from 'node:path';
import type { ConformanceRow, HarnessTestProfile } from './profile.js';

/** The capabilities in the matrix's column order (the conformance test and the docs share it). */
export const CAPABILITIES: Array<keyof ConformanceRow> = ['startsClean', 'sendReply', 'toolEvents', 'deny', 'heldAsk', 'usage', 'cost', 'interrupt', 'resume', 'sandbox'];

export type CellResult = boolean | 'not run';

/** One harness in the machine-readable matrix (`OMNI_CONFORMANCE_OUT`), read by `npm run test:latest`. */
export interface HarnessResult {
  binary: string;
  installed: boolean;
  /** The version of the package the binary belongs to; null when it is not installed or unknown. */
  version: string | null;
  /** What the check saw: true works, false does not, 'not run' (filtered out, skipped). */
  cells: Record<keyof ConformanceRow, CellResult>;
  declared: ConformanceRow;
  /** Why a check threw, when it did. */
  notes: Partial<Record<keyof ConformanceRow, string>>;
}

export interface MatrixResults {
  harnesses: Record<string, HarnessResult>;
}

/**
 * The npm package version behind a CLI in node_modules/.bin: the nearest package.json above the
 * file the link resolves to (no process started, so reading it is free).
 */
export function packageVersionOf(binary: string): string | null {
  let dir: string;
  try {
    dir = path.dirname(fs.realpathSync(binary));
  } catch {
    return null;
  }
  for (let i = 0; i < 6 && path.basename(dir) !== 'node_modules'; i++, dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name && pkg.version) return pkg.version;
    } catch {
      // no package.json here: one folder up
    }
  }
  return null;
}

export function matrixResults(
  profiles: readonly HarnessTestProfile[],
  seen: ReadonlyMap<string, Partial<Record<keyof ConformanceRow, boolean | string>>>,
  notes: ReadonlyMap<string, Partial<Record<keyof ConformanceRow, string>>> = new Map(),
): MatrixResults {
  const harnesses: Record<string, HarnessResult> = {};
  for (const p of profiles) {
    const row = seen.get(p.harness) ?? {};
    const installed = fs.existsSync(p.binary);
    const cells = Object.fromEntries(CAPABILITIES.map((cap) => [cap, typeof row[cap] === 'boolean' ? row[cap] : 'not run'])) as Record<keyof ConformanceRow, CellResult>;
    harnesses[p.harness] = { binary: p.binary, installed, version: installed ? packageVersionOf(p.binary) : null, cells, declared: p.expected, notes: notes.get(p.harness) ?? {} };
  }
  return { harnesses };
}

/** Cells that ran and came out as declared (a green test each). */
export function greenCells(r: HarnessResult): number {
  return CAPABILITIES.filter((cap) => r.cells[cap] === r.declared[cap]).length;
}
