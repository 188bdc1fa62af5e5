#!/usr/bin/env node
// Runs every bench (bench/benches.mjs) one after another, each printing its own table, then a
// summary table; exit 1 if any bench failed, is missing or left a figure out.
//
//   npm run bench                 # builds, then every bench in full (the scale bench: ~0.9 GB state)
//   npm run bench -- --quick      # each in its --quick mode (what CI runs)
//   node bench/run-all.mjs [--quick] [--only scale,idle] [--json]   # expects dist/
//
// --json: only the summary, as one JSON line (each bench's own output goes to stderr).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BENCHES, figureAt, lastJson, problems } from './benches.mjs';
import { DIST, ROOT, f2, parseOptions } from './lib.mjs';

const opts = parseOptions('run-all', (argv) => {
  const o = { quick: false, json: false, only: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--json') o.json = true;
    else if (a === '--only' || a.startsWith('--only=')) o.only = (a.includes('=') ? a.slice(7) : argv[++i] ?? '').split(',').filter(Boolean);
    else if (a === '-h' || a === '--help') {
      process.stdout.write(`usage: node bench/run-all.mjs [--quick] [--only ${BENCHES.map((b) => b.name).join(',')}] [--json]\n`);
      process.exit(0);
    } else throw new Error(`unknown argument: ${a}`);
  }
  for (const n of o.only ?? []) if (!BENCHES.some((b) => b.name === n)) throw new Error(`no bench "${n}"; one of ${BENCHES.map((b) => b.name).join(', ')}`);
  return o;
});

/** Runs one bench, its stdout passed through (to stderr with --json) and kept for its summary. */
function runBench(bench) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [path.join(ROOT, 'bench', bench.script), ...(opts.quick ? ['--quick'] : [])], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => {
      out += d;
      (opts.json ? process.stderr : process.stdout).write(d);
    });
    child.on('error', (err) => resolve({ code: -1, out, seconds: (Date.now() - t0) / 1000, error: err.message }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : -1), out, seconds: (Date.now() - t0) / 1000 }));
  });
}

async function main() {
  if (!fs.existsSync(DIST)) throw new Error('dist/ is missing: run `npm run build` first (npm run bench does)');
  const results = [];
  for (const bench of BENCHES.filter((b) => !opts.only || opts.only.includes(b.name))) {
    const banner = `\n===== ${bench.name}${opts.quick ? ' (--quick)' : ''} =====\n`;
    (opts.json ? process.stderr : process.stdout).write(banner);
    if (!fs.existsSync(path.join(ROOT, 'bench', bench.script))) {
      results.push({ name: bench.name, status: 'missing', seconds: 0, problems: [`bench/${bench.script} does not exist`] });
      continue;
    }
    const r = await runBench(bench);
    const summary = lastJson(r.out);
    const found = problems(bench, summary);
    if (r.code !== 0) found.unshift(`exited ${r.code}${r.error ? ` (${r.error})` : ''}`);
    const headline = Object.fromEntries(bench.headline.map(([label, keys, unit]) => [label, { value: figureAt(summary ?? {}, keys), unit }]));
    results.push({ name: bench.name, status: found.length ? 'FAILED' : 'ok', seconds: Math.round(r.seconds * 10) / 10, problems: found, headline });
  }
  const failed = results.filter((r) => r.status !== 'ok');
  if (opts.json) {
    process.stdout.write(JSON.stringify({ quick: opts.quick, ok: failed.length === 0, results }) + '\n');
  } else {
    const L = ['', `===== summary${opts.quick ? ' (--quick)' : ''} =====`, `${'bench'.padEnd(16)}${'status'.padEnd(9)}${'time'.padStart(8)}  headline`];
    for (const r of results) {
      const figs = Object.entries(r.headline ?? {}).map(([label, { value, unit }]) => `${label} ${typeof value === 'number' ? f2(value, 0) : 'MISSING'}${unit === '×' ? '×' : ` ${unit}`}`);
      L.push(`${r.name.padEnd(16)}${r.status.padEnd(9)}${`${r.seconds.toFixed(1)} s`.padStart(8)}  ${figs.join('; ')}`);
      for (const p of r.problems) L.push(`${''.padEnd(33)}! ${p}`);
    }
    L.push('', failed.length ? `${failed.length} of ${results.length} benches failed or are missing: ${failed.map((r) => r.name).join(', ')}` : `all ${results.length} benches ran and reported every figure`);
    process.stdout.write(L.join('\n') + '\n');
  }
  return failed.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`run-all: ${err.stack ?? err}\n`);
    process.exit(1);
  },
);
