import { execa } from 'execa';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/omni.js';

/**
 * Every bench of the suite (bench/benches.mjs) in its --quick mode, so none can rot unnoticed
 * (they once failed for a release on an old socket layout): each must exit 0, pass its own
 * checks and report every figure it promises as a finite number. Speed is not asserted here;
 * it is read from the full runs (bench/README.md).
 */
interface Bench {
  name: string;
  script: string;
}
const suite = (await import(path.join(ROOT, 'bench', 'benches.mjs'))) as {
  BENCHES: Bench[];
  problems: (b: Bench, summary: unknown) => string[];
  lastJson: (stdout: string) => unknown;
};

// The scale bench's generated state goes to a cache of this run's own, removed at the end.
const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-bench-cache-'));
afterAll(() => fs.rmSync(cache, { recursive: true, force: true }));

describe('bench/ in --quick mode: runs, passes its checks, reports every figure', () => {
  it('the suite lists the five benches of issue 12 and the composition bench of issue 14', () => {
    expect(suite.BENCHES.map((b) => b.name)).toEqual(['hook-latency', 'policy-latency', 'egress-proxy', 'scale', 'idle', 'compose']);
  });

  for (const bench of suite.BENCHES) {
    const file = path.join(ROOT, 'bench', bench.script);
    // bench/idle.mjs comes from another branch of issue 12; until it is merged it is missing here.
    it.skipIf(bench.name === 'idle' && !fs.existsSync(file))(bench.name, async () => {
      const r = await execa(process.execPath, [file, '--quick', '--json'], { cwd: ROOT, reject: false, timeout: 280_000, env: { ...process.env, OMNI_BENCH_CACHE: cache } });
      expect(r.exitCode, `${bench.name} exited ${r.exitCode}:\n${r.stderr}\n${r.stdout.slice(-2000)}`).toBe(0);
      const summary = suite.lastJson(r.stdout);
      expect(suite.problems(bench, summary), JSON.stringify(summary)).toEqual([]);
    }, 300_000);
  }

  it('the checks catch a missing figure and a failed run', () => {
    const scale = suite.BENCHES.find((b) => b.name === 'scale')!;
    expect(suite.problems(scale, undefined)).toEqual(['no JSON summary']);
    const partial = { failures: 0, commands: { eventsLast: 'n/a', cost: { ms: null } } };
    const found = suite.problems(scale, partial);
    expect(found).toContain('commands.cost.ms is null, not a number');
    expect(found).toContain('baseline.nodeMs is undefined, not a number');
    const idle = suite.BENCHES.find((b) => b.name === 'idle')!;
    expect(suite.problems(idle, { daemon: { cpuPct: null }, failures: 0 })).toEqual(['daemon.cpuPct is null (NaN or missing)']);
    expect(suite.problems(idle, { daemon: { cpuPct: 0.1 }, failures: 2 })).toEqual(['2 failures']);
  });
});
