import { execa } from 'execa';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/omni.js';

/**
 * The benchmarks in a short mode, so they cannot rot unnoticed (they once failed for a release on
 * an old socket layout). Figures are not asserted here: speed is read from the full runs.
 */
describe('bench/ in a short mode', () => {
  const run = (script: string, args: string[]) => execa(process.execPath, [path.join(ROOT, 'bench', script), ...args], { cwd: ROOT, reject: false, timeout: 150_000 });

  it('hook-latency runs end to end and the daemon logs every call', async () => {
    const r = await run('hook-latency.mjs', ['--n', '10', '--warmup', '2', '--no-node', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.failures).toBe(0);
    expect(out.toolCallEvents.seen).toBe(out.toolCallEvents.expected);
  });

  it('policy-latency runs in process and through the daemon', async () => {
    const r = await run('policy-latency.mjs', ['--n', '300', '--warmup', '30', '--e2e-n', '10', '--e2e-warmup', '2', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.checksOk ?? out.e2e?.checksOk).toBe(true);
    expect(out.e2e.failures).toBe(0);
  });

  it('egress-proxy runs direct and through the proxy', async () => {
    const r = await run('egress-proxy.mjs', ['--n', '20', '--warmup', '2', '--mb', '2', '--runs', '1', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(() => JSON.parse(r.stdout.trim().split('\n').pop()!)).not.toThrow();
  });
});
