import path from 'node:path';
import { E2E_HARNESSES } from './e2e-map.mjs';

/** The pure parts of `npm run test:latest` (scripts/test-latest.mjs), unit-tested in test/unit/test-latest.test.ts. */

export const USAGE = `usage: npm run test:latest -- [options]
  --only <h,…>         only these harnesses (e.g. pi,codex)
  --conformance-only   the conformance matrix alone (no e2e suite)
  --e2e-only           the e2e suite alone
  --e2e-files <f,…>    only these e2e files (pi.test.ts,cost.test.ts), e.g. to rerun what broke
  --versions           print pinned and latest versions; install and run nothing (also --dry-run)
  --pinned             run against the pinned CLIs (test/harness-clis) instead of the newest
  --offline            no registry: use what .cache/harness-latest already has
  --keep               keep the vitest reports and logs in .cache/harness-latest/reports/
  -h, --help`;

/** Options from argv (after `--`); throws a usage error on anything unknown. */
export function parseArgs(argv) {
  const o = { only: undefined, e2eFiles: undefined, conformance: true, e2e: true, versionsOnly: false, pinned: false, offline: false, keep: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    switch (flag) {
      case '--only': {
        const v = inline ?? argv[++i];
        if (!v) throw new Error('--only needs harness names, comma-separated');
        o.only = v.split(',').map((s) => s.trim()).filter(Boolean);
        break;
      }
      case '--e2e-files': {
        const v = inline ?? argv[++i];
        if (!v) throw new Error('--e2e-files needs file names, comma-separated');
        o.e2eFiles = v.split(',').map((s) => path.basename(s.trim())).filter(Boolean);
        break;
      }
      case '--conformance-only': o.e2e = false; break;
      case '--e2e-only': o.conformance = false; break;
      case '--versions': case '--dry-run': o.versionsOnly = true; break;
      case '--pinned': o.pinned = true; break;
      case '--offline': o.offline = true; break;
      case '--keep': o.keep = true; break;
      case '-h': case '--help': o.help = true; break;
      default: throw new Error(`unknown option ${a}\n${USAGE}`);
    }
  }
  if (!o.conformance && !o.e2e) throw new Error('--conformance-only and --e2e-only together run nothing');
  return o;
}

/** test/harness-clis/package.json → [{ harness, pkg, pinned }], in its `harnesses` order. */
export function pinsOf(pkgJson) {
  const deps = pkgJson.dependencies ?? {};
  const map = pkgJson.harnesses ?? {};
  const missing = Object.keys(deps).filter((d) => !Object.values(map).includes(d));
  if (missing.length) throw new Error(`test/harness-clis/package.json: ${missing.join(', ')} pinned but not named in "harnesses"`);
  return Object.entries(map).map(([harness, pkg]) => ({ harness, pkg, pinned: deps[pkg] ?? null }));
}

const fileHarnessToken = (base, names) => names.filter((n) => base.replace(/\.test\.[cm]?[jt]s$/, '').split(/[-_.]/).includes(n));

/** The harnesses an e2e file drives: its name, else E2E_HARNESSES ('*' → all), else none. */
export function fileHarnesses(file, names, map = E2E_HARNESSES) {
  const base = path.basename(file);
  const byName = fileHarnessToken(base, names);
  if (byName.length) return byName;
  const listed = map[base];
  if (!listed) return [];
  return listed.includes('*') ? [...names] : listed.filter((n) => names.includes(n));
}

/** The harnesses one test counts for: those of its file its name mentions, else all of its file's. */
export function testHarnesses(file, fullName, names, map = E2E_HARNESSES) {
  const of = fileHarnesses(file, names, map);
  const mentioned = of.filter((n) => new RegExp(`(^|[^a-z0-9])${n}([^a-z0-9]|$)`, 'i').test(fullName));
  return mentioned.length ? mentioned : of;
}

/**
 * Per harness, the e2e files that ran tests for it, passed or failed (a file fails for a harness
 * when one of its tests for it failed). `report` is vitest's JSON reporter output. Files of no
 * harness count under '(all)'; a file that failed to load counts as failed for its harnesses.
 */
export function e2eByHarness(report, names, map = E2E_HARNESSES) {
  const out = new Map();
  const bump = (h, file, failed) => {
    const r = out.get(h) ?? { passed: new Set(), failed: new Set() };
    if (failed) {
      r.failed.add(file);
      r.passed.delete(file);
    } else if (!r.failed.has(file)) r.passed.add(file);
    out.set(h, r);
  };
  for (const f of report.testResults ?? []) {
    const file = path.basename(f.name);
    const tests = f.assertionResults ?? [];
    if (!tests.length && f.status === 'failed') {
      const hs = fileHarnesses(file, names, map);
      for (const h of hs.length ? hs : ['(all)']) bump(h, file, true);
      continue;
    }
    for (const t of tests) {
      if (t.status !== 'passed' && t.status !== 'failed') continue; // skipped, todo: not run
      const hs = testHarnesses(file, t.fullName ?? [...(t.ancestorTitles ?? []), t.title].join(' '), names, map);
      for (const h of hs.length ? hs : ['(all)']) bump(h, file, t.status === 'failed');
    }
  }
  return new Map([...out].map(([h, r]) => [h, { passed: [...r.passed].sort(), failed: [...r.failed].sort() }]));
}

/** The e2e files to run: all of them, or with --only those that drive one of the harnesses named, and with --e2e-files those named. */
export function e2eFilesFor(files, only, names, map = E2E_HARNESSES, named = undefined) {
  return files.filter((f) => (!only || fileHarnesses(f, names, map).some((h) => only.includes(h))) && (!named || named.includes(path.basename(f))));
}

/** Cells that ran and came out as declared, out of all cells; null when the harness was not in the run. */
export function conformanceGreen(result) {
  if (!result) return null;
  const caps = Object.keys(result.declared);
  const ran = caps.filter((c) => result.cells[c] !== 'not run');
  return { green: caps.filter((c) => result.cells[c] === result.declared[c]).length, total: caps.length, ran: ran.length, differs: ran.filter((c) => result.cells[c] !== result.declared[c]) };
}

/** Aligned plain-text columns: `head` then one line per row (arrays of cells). */
export function renderColumns(head, rows) {
  const lines = [head, ...rows].map((l) => l.map((c) => String(c ?? '-')));
  const widths = head.map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  return lines.map((l) => l.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

/** The canary's table; `testedLabel` heads the column of the versions that ran. */
export function renderTable(rows, testedLabel = 'latest') {
  return renderColumns(['harness', 'pinned', testedLabel, 'conformance', 'e2e files'], rows.map((r) => [r.harness, r.pinned, r.tested, r.conformance, r.e2e]));
}

/** Dotted versions compared numerically (pre-release tags ignored): -1, 0, 1. */
export function compareVersions(a, b) {
  const pa = String(a).split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = String(b).split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** `--versions`: harness, pinned, latest, how they compare, what the cache holds. */
export function renderVersions(rows) {
  return renderColumns(
    ['harness', 'pinned', 'latest', 'release', 'cache'],
    rows.map((r) => [r.harness, r.pinned, r.latest ?? '?', !r.latest ? 'registry did not say' : ['older than the pin', 'same as the pin', 'newer'][compareVersions(r.latest, r.pinned) + 1], r.cached ?? 'not cached']),
  );
}
