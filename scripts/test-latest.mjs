#!/usr/bin/env node
// `npm run test:latest`: the canary. Installs the newest published release of every harness in
// test/harness-clis/package.json into .cache/harness-latest/ (git-ignored, reused while the
// versions hold), runs the conformance matrix and the e2e suite against it
// (OMNI_TEST_HARNESS_BIN), and prints harness, pinned, latest, conformance cells green and e2e
// files passed/failed. Exit 0: all green; 1: something broke; 2: a usage error.
// Options: scripts/test-latest/lib.mjs USAGE; docs/harnesses/README.md.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { conformanceGreen, e2eByHarness, e2eFilesFor, parseArgs, pinsOf, renderTable, renderVersions, USAGE } from './test-latest/lib.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLIS = path.join(ROOT, 'test', 'harness-clis');
const CACHE = path.join(ROOT, '.cache', 'harness-latest');
const REPORTS = path.join(CACHE, 'reports');
const started = Date.now();
const say = (s) => process.stderr.write(`test:latest: ${s}\n`);

let opts;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`${err.message}\n`);
  process.exit(2);
}
if (opts.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const pins = pinsOf(JSON.parse(fs.readFileSync(path.join(CLIS, 'package.json'), 'utf8')));
const names = pins.map((p) => p.harness);
const unknown = (opts.only ?? []).filter((h) => !names.includes(h));
if (unknown.length) {
  process.stderr.write(`--only: unknown harness ${unknown.join(', ')}; harnesses: ${names.join(', ')}\n`);
  process.exit(2);
}
const allE2e = fs.readdirSync(path.join(ROOT, 'test', 'e2e')).filter((f) => f.endsWith('.test.ts')).sort().map((f) => `test/e2e/${f}`);
const unknownFiles = (opts.e2eFiles ?? []).filter((f) => !allE2e.includes(`test/e2e/${f}`));
if (unknownFiles.length) {
  process.stderr.write(`--e2e-files: no test/e2e/${unknownFiles.join(', test/e2e/')}\n`);
  process.exit(2);
}
if (opts.e2eFiles && !opts.e2e) {
  process.stderr.write('--e2e-files with --conformance-only runs no e2e file\n');
  process.exit(2);
}
const selected = opts.only ? pins.filter((p) => opts.only.includes(p.harness)) : pins;

const installedVersion = (dir, pkg) => {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', pkg, 'package.json'), 'utf8')).version ?? null;
  } catch {
    return null;
  }
};

async function latestOf(pkg) {
  try {
    const { stdout } = await promisify(execFile)('npm', ['view', `${pkg}@latest`, 'version'], { timeout: 60_000 });
    return { version: stdout.trim() || null };
  } catch (err) {
    return { version: null, error: String(err.stderr || err.message).trim().split('\n').pop() };
  }
}

/** Runs a command with the terminal's stdio; resolves its exit code. */
function run(cmd, args, env = process.env) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    child.on('error', () => resolve(127));
  });
}

// 1. Versions: pinned, newest published (unless --offline / --pinned), and what the cache holds.
const latest = new Map();
if (!opts.offline && !opts.pinned) {
  say(`asking the registry for the newest ${selected.map((p) => p.pkg).join(', ')}`);
  await Promise.all(selected.map(async (p) => latest.set(p.harness, await latestOf(p.pkg))));
}
const lookupFailed = selected.filter((p) => latest.has(p.harness) && !latest.get(p.harness).version);
for (const p of lookupFailed) say(`${p.pkg}: no latest version (${latest.get(p.harness).error})`);

if (opts.versionsOnly) {
  const rows = selected.map((p) => ({ harness: p.harness, pinned: p.pinned, latest: latest.get(p.harness)?.version ?? null, cached: installedVersion(CACHE, p.pkg) }));
  process.stdout.write(renderVersions(rows) + '\n');
  process.exit(lookupFailed.length ? 1 : 0);
}

// 2. Install the newest where the cache does not have it yet (exact versions, so reruns reuse it).
const latestModules = path.join(CACHE, 'node_modules');
const pinnedModules = path.join(CLIS, 'node_modules');
if (!opts.pinned) {
  const need = selected.filter((p) => {
    const want = latest.get(p.harness)?.version;
    return want && installedVersion(CACHE, p.pkg) !== want;
  });
  if (need.length) {
    fs.mkdirSync(CACHE, { recursive: true });
    const pj = path.join(CACHE, 'package.json');
    if (!fs.existsSync(pj)) fs.writeFileSync(pj, JSON.stringify({ name: 'omni-harness-latest', private: true, description: 'npm run test:latest: the newest harness releases (scripts/test-latest.mjs); safe to delete' }, null, 2) + '\n');
    const specs = need.map((p) => `${p.pkg}@${latest.get(p.harness).version}`);
    say(`installing ${specs.join(' ')} into ${path.relative(ROOT, CACHE)}`);
    const code = await run('npm', ['install', '--prefix', CACHE, '--save-exact', '--no-audit', '--no-fund', '--loglevel=error', ...specs]);
    if (code !== 0) {
      say(`npm install failed (exit ${code})`);
      process.exit(1);
    }
  } else say(`${path.relative(ROOT, CACHE)} already has ${opts.offline ? 'what it has (--offline)' : 'the newest releases'}`);
}
const tested = new Map(selected.map((p) => [p.harness, installedVersion(opts.pinned ? CLIS : CACHE, p.pkg)]));
// With --only, the other harnesses stay at their pins (a mixed node_modules of links), so the
// e2e files that drive several harnesses run whole.
const binDir = opts.pinned ? path.join(pinnedModules, '.bin') : opts.only ? mixedModules() : path.join(latestModules, '.bin');
const missing = selected.filter((p) => !fs.existsSync(path.join(binDir, p.harness)));
for (const p of missing) say(`${p.harness}: no ${path.join(binDir, p.harness)}; its row fails`);

/** .cache/harness-latest/mixed/node_modules: the selected harnesses' newest packages and bins, the rest pinned. */
function mixedModules() {
  const mixed = path.join(CACHE, 'mixed', 'node_modules');
  fs.rmSync(path.dirname(mixed), { recursive: true, force: true });
  fs.mkdirSync(path.join(mixed, '.bin'), { recursive: true });
  for (const p of pins) {
    const from = selected.includes(p) ? latestModules : pinnedModules;
    const pkgDir = path.join(from, p.pkg);
    const bin = path.join(from, '.bin', p.harness);
    if (!fs.existsSync(pkgDir) || !fs.existsSync(bin)) continue;
    fs.mkdirSync(path.dirname(path.join(mixed, p.pkg)), { recursive: true });
    fs.symlinkSync(fs.realpathSync(pkgDir), path.join(mixed, p.pkg));
    fs.symlinkSync(fs.realpathSync(bin), path.join(mixed, '.bin', p.harness));
  }
  return path.join(mixed, '.bin');
}

// 3. The tests: built omni, the CLIs from binDir, CI unset (a missing CLI skips its tests and
// shows as "not installed" here, instead of failing every harness's file at load).
say('building omni (the tests run bin/omni.js → dist/)');
if ((await run('npm', ['run', 'build', '--silent'])) !== 0) process.exit(1);
fs.rmSync(REPORTS, { recursive: true, force: true });
fs.mkdirSync(REPORTS, { recursive: true });
const env = { ...process.env, OMNI_TEST_HARNESS_BIN: binDir };
delete env.CI;
const vitest = path.join(ROOT, 'node_modules', '.bin', 'vitest');
const onlyPattern = opts.only ? ['-t', `^conformance: (${opts.only.join('|')}) `] : [];

let conformance = null;
let conformanceExit = 0;
if (opts.conformance) {
  const out = path.join(REPORTS, 'conformance.json');
  say(`conformance matrix${opts.only ? ` (${opts.only.join(', ')})` : ''}`);
  conformanceExit = await run(vitest, ['run', 'test/conformance/matrix.test.ts', '--reporter=default', ...onlyPattern], { ...env, OMNI_CONFORMANCE_OUT: out });
  conformance = fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, 'utf8')) : null;
  if (!conformance) say(`the conformance run wrote no results (vitest exit ${conformanceExit})`);
}

let e2e = null;
let e2eExit = 0;
if (opts.e2e) {
  const files = e2eFilesFor(allE2e, opts.only, names, undefined, opts.e2eFiles);
  const out = path.join(REPORTS, 'e2e.json');
  say(`e2e suite: ${files.length} file(s)`);
  if (files.length) {
    e2eExit = await run(vitest, ['run', ...files, '--reporter=default', '--reporter=json', `--outputFile.json=${out}`], env);
    e2e = fs.existsSync(out) ? e2eByHarness(JSON.parse(fs.readFileSync(out, 'utf8')), names) : null;
    if (!e2e) say(`the e2e run wrote no report (vitest exit ${e2eExit})`);
  } else e2e = new Map();
}

// 4. The table and the verdict.
let broken = missing.length > 0 || lookupFailed.length > 0 || (opts.conformance && !conformance) || (opts.e2e && !e2e);
const notes = [];
const rows = selected.map((p) => {
  const row = { harness: p.harness, pinned: p.pinned, tested: tested.get(p.harness) ?? 'not installed' };
  if (opts.conformance && conformance) {
    const r = conformance.harnesses?.[p.harness];
    const g = conformanceGreen(r);
    if (!r) row.conformance = 'no profile';
    else if (!r.installed) row.conformance = 'not installed';
    else {
      row.conformance = `${g.green}/${g.total}${g.ran < g.total ? ` (${g.ran} ran)` : ''}`;
      if (g.green < g.total) broken = true;
      for (const c of g.differs) notes.push(`${p.harness} ${c}: declared ${r.declared[c]}, saw ${r.cells[c]}${r.notes?.[c] ? ` (${r.notes[c]})` : ''}`);
    }
    // A harness without a profile has no matrix row to break, but it is not tested either.
    if (!r) broken = true;
  }
  if (opts.e2e && e2e) {
    const r = e2e.get(p.harness);
    row.e2e = r ? `${r.passed.length} passed, ${r.failed.length} failed` : 'none ran';
    if (r?.failed.length) {
      broken = true;
      notes.push(`${p.harness} e2e failed: ${r.failed.join(', ')}`);
    }
  }
  return row;
});
if (opts.e2e && e2e?.has('(all)')) {
  const r = e2e.get('(all)');
  rows.push({ harness: '(all)', pinned: '', tested: '', conformance: '', e2e: `${r.passed.length} passed, ${r.failed.length} failed` });
  if (r.failed.length) (broken = true), notes.push(`e2e failed: ${r.failed.join(', ')}`);
}
// vitest's own exit counts when the table cannot say: no results read. (With --only, a pinned
// harness's flaky e2e test is not this run's business.)
if ((opts.conformance && !conformance && conformanceExit !== 0) || (opts.e2e && !e2e && e2eExit !== 0)) broken = true;

const mins = ((Date.now() - started) / 60_000).toFixed(1);
process.stdout.write(`\n${renderTable(rows, opts.pinned ? 'ran' : 'latest')}\n`);
for (const n of notes) process.stdout.write(`  ${n}\n`);
process.stdout.write(`${broken ? 'something broke' : 'all green'} against the ${opts.pinned ? 'pinned' : 'newest'} releases (${mins} min)${opts.keep ? `; reports in ${path.relative(ROOT, REPORTS)}` : ''}\n`);
if (!opts.keep) fs.rmSync(REPORTS, { recursive: true, force: true });
process.exit(broken ? 1 : 0);
