import fs from 'node:fs';
import path from 'node:path';
import type { ConformanceRow, HarnessTestProfile } from './profile.js';
import { CAPABILITIES } from './results.js';

/**
 * The conformance matrix and the tested versions as markdown, for docs/harnesses/README.md and
 * README.md (between markers; `npm run docs:matrix` rewrites them, test/unit/harness-matrix-doc
 * fails when they differ). The cells are the profiles' declared rows: the conformance test fails
 * whenever a real result differs from one, so a green CI run is what this table says.
 */

/** One harness as test/harness-clis/package.json pins it. */
export interface Pin {
  harness: string;
  pkg: string;
  version: string;
}

/** `harnesses` (harness → npm package) joined with `dependencies` (package → version), in file order. */
export function readPins(harnessClisDir: string): Pin[] {
  const json = JSON.parse(fs.readFileSync(path.join(harnessClisDir, 'package.json'), 'utf8')) as { harnesses?: Record<string, string>; dependencies?: Record<string, string> };
  return Object.entries(json.harnesses ?? {}).map(([harness, pkg]) => ({ harness, pkg, version: json.dependencies?.[pkg] ?? '(not pinned)' }));
}

const HEADINGS: Record<keyof ConformanceRow, string> = {
  startsClean: 'starts clean',
  sendReply: 'send → reply',
  toolEvents: 'tool events',
  deny: 'deny',
  heldAsk: 'held ask',
  usage: 'usage',
  cost: 'cost',
  interrupt: 'interrupt',
  resume: 'resume',
  sandbox: 'sandbox',
};

const row = (cells: string[]) => `| ${cells.join(' | ')} |`;

/** The matrix: one row per pinned harness, its declared cells (✓ / —), or `?` without a profile yet. */
export function renderMatrix(profiles: readonly HarnessTestProfile[], pins: readonly Pin[]): string {
  const names = [...new Set([...pins.map((p) => p.harness), ...profiles.map((p) => p.harness)])];
  const lines = [row(['harness', 'pinned', ...CAPABILITIES.map((c) => HEADINGS[c])]), row(Array(CAPABILITIES.length + 2).fill('---'))];
  for (const name of names) {
    const prof = profiles.find((p) => p.harness === name);
    const pin = pins.find((p) => p.harness === name);
    const cells = CAPABILITIES.map((c) => (prof ? (prof.expected[c] ? '✓' : '—') : '?'));
    lines.push(row([`[${name}](${name}.md)`, pin ? `${pin.version}` : '(not pinned)', ...cells]));
  }
  lines.push('', '✓ works, checked against the real CLI · — not supported, checked that it stays so · ? no conformance profile yet');
  return lines.join('\n');
}

/** README's table: which release of each harness the tests run. */
export function renderVersions(pins: readonly Pin[]): string {
  return [row(['harness', 'npm package', 'tested version']), row(['---', '---', '---']), ...pins.map((p) => row([`\`omni ${p.harness}\``, `\`${p.pkg}\``, p.version]))].join('\n');
}

/** The text between `<!-- NAME:start -->` and `<!-- NAME:end -->`, without the newlines around it; undefined without markers. */
export function between(doc: string, name: string): string | undefined {
  const m = new RegExp(`<!-- ${name}:start[^>]*-->\\n(?:([\\s\\S]*?)\\n)?<!-- ${name}:end -->`).exec(doc);
  return m ? (m[1] ?? '') : undefined;
}

/** `doc` with the text between the markers replaced (they must be there). */
export function replaceBetween(doc: string, name: string, body: string): string {
  const re = new RegExp(`(<!-- ${name}:start[^>]*-->\\n)(?:[\\s\\S]*?\\n)?(<!-- ${name}:end -->)`);
  if (!re.test(doc)) throw new Error(`no <!-- ${name}:start --> … <!-- ${name}:end --> markers`);
  return doc.replace(re, (_m, a: string, b: string) => `${a}${body}\n${b}`);
}
