import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script module, no types
import * as lib from '../../scripts/test-latest/lib.mjs';
import { ROOT } from '../helpers/omni.js';

/** The pure parts of `npm run test:latest` (scripts/test-latest.mjs): options, the e2e file → harness map, the table. */
const NAMES = ['claude', 'codex', 'pi', 'opencode', 'gemini', 'copilot', 'qwen'];

describe('npm run test:latest', () => {
  it('reads its options and refuses unknown ones', () => {
    expect(lib.parseArgs(['--only', 'pi, codex', '--conformance-only', '--keep'])).toMatchObject({ only: ['pi', 'codex'], conformance: true, e2e: false, keep: true });
    expect(lib.parseArgs(['--only=gemini', '--e2e-only'])).toMatchObject({ only: ['gemini'], conformance: false, e2e: true });
    expect(lib.parseArgs(['--dry-run']).versionsOnly).toBe(true);
    expect(lib.parseArgs(['--e2e-files', 'test/e2e/pi.test.ts,cost.test.ts']).e2eFiles).toEqual(['pi.test.ts', 'cost.test.ts']);
    expect(() => lib.parseArgs(['--bogus'])).toThrow(/unknown option --bogus/);
    expect(() => lib.parseArgs(['--only'])).toThrow(/needs harness names/);
    expect(() => lib.parseArgs(['--conformance-only', '--e2e-only'])).toThrow(/run nothing/);
  });

  it('takes the harnesses from test/harness-clis/package.json and refuses a pinned package no harness names', () => {
    const pins = lib.pinsOf(JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'harness-clis', 'package.json'), 'utf8')));
    expect(pins.map((p: { harness: string }) => p.harness)).toEqual(NAMES);
    expect(pins.every((p: { pinned: string | null }) => /^\d+\.\d+\.\d+/.test(String(p.pinned)))).toBe(true);
    expect(() => lib.pinsOf({ harnesses: { a: 'pa' }, dependencies: { pa: '1.0.0', pb: '2.0.0' } })).toThrow(/pb pinned but not named/);
  });

  it('maps every e2e file to the harnesses it drives', () => {
    for (const f of fs.readdirSync(path.join(ROOT, 'test', 'e2e')).filter((x) => x.endsWith('.test.ts'))) {
      expect(lib.fileHarnesses(f, NAMES).length, `${f}: add it to scripts/test-latest/e2e-map.mjs`).toBeGreaterThan(0);
    }
    expect(lib.fileHarnesses('tmux-claude.test.ts', NAMES)).toEqual(['claude']);
    expect(lib.fileHarnesses('opencode.test.ts', NAMES)).toEqual(['opencode']);
    expect(lib.fileHarnesses('agent-swap.test.ts', NAMES)).toEqual(NAMES);
    expect(lib.testHarnesses('agent-swap.test.ts', 'omni run --harness moves … runs agents/fixer.yaml on gemini', NAMES)).toEqual(['gemini']);
    expect(lib.testHarnesses('cost.test.ts', 'cost metering end to end (real codex, fake model) computes', NAMES)).toEqual(['codex']);
    expect(lib.testHarnesses('polly.test.ts', 'polly plans and reviews', NAMES)).toEqual(['claude', 'codex']);
    expect(lib.testHarnesses('cost.test.ts', "Pi's own figure agrees (spice)", NAMES)).toEqual(['pi']);
    const files = ['test/e2e/pi.test.ts', 'test/e2e/claude.test.ts', 'test/e2e/cost.test.ts', 'test/e2e/agent-swap.test.ts'];
    expect(lib.e2eFilesFor(files, ['pi'], NAMES)).toEqual(['test/e2e/pi.test.ts', 'test/e2e/cost.test.ts', 'test/e2e/agent-swap.test.ts']);
    expect(lib.e2eFilesFor(files, ['pi'], NAMES, undefined, ['cost.test.ts', 'claude.test.ts'])).toEqual(['test/e2e/cost.test.ts']);
    expect(lib.e2eFilesFor(files, undefined, NAMES)).toEqual(files);
  });

  it("counts e2e files per harness from vitest's JSON report: a failed test fails its file for its harness only", () => {
    const report = {
      testResults: [
        {
          name: '/r/test/e2e/cost.test.ts',
          status: 'failed',
          assertionResults: [
            { fullName: 'cost (real claude) a', status: 'passed' },
            { fullName: 'cost (real codex) b', status: 'failed' },
            { fullName: 'cost (real pi) c', status: 'skipped' },
          ],
        },
        { name: '/r/test/e2e/codex.test.ts', status: 'passed', assertionResults: [{ fullName: 'x', status: 'passed' }] },
        { name: '/r/test/e2e/pi.test.ts', status: 'failed', assertionResults: [] },
        { name: '/r/test/e2e/misc.test.ts', status: 'passed', assertionResults: [{ fullName: 'y', status: 'passed' }] },
      ],
    };
    const by = lib.e2eByHarness(report, NAMES);
    expect(by.get('claude')).toEqual({ passed: ['cost.test.ts'], failed: [] });
    expect(by.get('codex')).toEqual({ passed: ['codex.test.ts'], failed: ['cost.test.ts'] });
    expect(by.get('pi')).toEqual({ passed: [], failed: ['pi.test.ts'] });
    expect(by.get('(all)')).toEqual({ passed: ['misc.test.ts'], failed: [] });
  });

  it('counts green conformance cells against the declared row, and prints aligned tables', () => {
    const declared = { a: true, b: false, c: true };
    expect(lib.conformanceGreen({ declared, cells: { a: true, b: false, c: false } })).toEqual({ green: 2, total: 3, ran: 3, differs: ['c'] });
    expect(lib.conformanceGreen({ declared, cells: { a: true, b: 'not run', c: 'not run' } })).toEqual({ green: 1, total: 3, ran: 1, differs: [] });
    expect(lib.conformanceGreen(undefined)).toBeNull();
    expect(lib.renderTable([{ harness: 'pi', pinned: '0.73.1', tested: '0.74.0', conformance: '10/10', e2e: '3 passed, 0 failed' }])).toBe(
      'harness  pinned  latest  conformance  e2e files\npi       0.73.1  0.74.0  10/10        3 passed, 0 failed',
    );
    expect(lib.renderVersions([{ harness: 'codex', pinned: '0.169.0', latest: '0.171.0', cached: null }])).toMatch(/codex +0\.169\.0 +0\.171\.0 +newer +not cached/);
    expect(lib.compareVersions('0.10.0', '0.9.9')).toBe(1);
  });
});
