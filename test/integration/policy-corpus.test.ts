import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, makeTestEnv } from '../helpers/omni.js';

/**
 * The bypass corpus (test/fixtures/policy-corpus/*.yaml), run the way a platform team's CI runs
 * it: `omni policy test FILE --json` must exit 0 with 0 failed, and must not start a daemon.
 */
const DIR = path.join(ROOT, 'test', 'fixtures', 'policy-corpus');
/**
 * Files whose fixes live on a branch not merged yet (skipped until then). Empty: wt-p (guard,
 * tmux, git/env carriers) is merged.
 */
const PENDING_MERGE: string[] = [];
const FILES = fs.readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();

interface Report {
  cases: Array<{ name: string; expect: string; got: string; policy: string | null; reason: string | null }>;
  passed: number;
  failed: number;
}

const t = makeTestEnv();
afterAll(() => t.cleanup());

describe('omni policy test: the bypass corpus', () => {
  it('has at least 300 cases across the families', () => {
    const n = FILES.reduce((sum, f) => sum + fs.readFileSync(path.join(DIR, f), 'utf8').split('\n').filter((l) => /^ {2}- /.test(l)).length, 0);
    expect(n).toBeGreaterThanOrEqual(300);
    for (const f of ['deletes.yaml', 'force-push.yaml', 'installs.yaml', 'wrappers.yaml', 'benign.yaml', 'guard.yaml', 'tmux.yaml', 'git-carriers.yaml', 'env-carriers.yaml']) expect(FILES).toContain(f);
  });

  for (const file of FILES) {
    it.skipIf(PENDING_MERGE.includes(file))(file, async () => {
      const r = await t.omni(['policy', 'test', path.join(DIR, file), '--json']);
      expect(r.stderr).toBe('');
      const report = JSON.parse(String(r.stdout)) as Report;
      const failing = report.cases.filter((c) => c.got !== c.expect).map((c) => `${c.name}: expected ${c.expect}, got ${c.got}${c.reason ? ` (${c.reason})` : ''}`);
      expect(failing).toEqual([]);
      expect(report.failed).toBe(0);
      expect(report.passed).toBe(report.cases.length);
      expect(r.exitCode).toBe(0);
    });
  }

  it('no daemon was started', () => {
    expect(fs.existsSync(path.join(t.omniHome, 'run', 'omni.sock'))).toBe(false);
  });
});

describe('omni policy test: exit codes and errors', () => {
  const write = (name: string, text: string) => {
    const f = path.join(t.work, name);
    fs.writeFileSync(f, text);
    return f;
  };

  it('exits 1 on a mismatch and names the failing case', async () => {
    const f = write('wrong.yaml', 'policies: [blast_radius]\ncases:\n  - {name: right, tool: Bash, input: {command: "rm -rf /"}, expect: deny}\n  - {name: wrong, tool: Bash, input: {command: "ls"}, expect: ask}\n');
    const r = await t.omni(['policy', 'test', f]);
    expect(r.exitCode).toBe(1);
    expect(String(r.stdout)).toContain('FAIL wrong: expected ask, got allow');
    expect(String(r.stdout)).toContain('1 passed, 1 failed');
    const j = JSON.parse(String((await t.omni(['policy', 'test', f, '--json'])).stdout)) as Report;
    expect(j).toMatchObject({ passed: 1, failed: 1, cases: [{ name: 'right', expect: 'deny', got: 'deny', policy: 'blast_radius' }, { name: 'wrong', expect: 'ask', got: 'allow', policy: null, reason: null }] });
  });

  it('exits 2 with file:line:column for a bad file or an unknown policy', async () => {
    const bad = write('bad.yaml', 'cases:\n  - name: x\n    tool: Bash\n    inptu: {command: ls}\n    expect: allow\n');
    const r = await t.omni(['policy', 'test', bad]);
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toContain(`${bad}:4:5: unknown key "inptu"`);
    const ref = write('ref.yaml', 'policies: [blast_raduis]\ncases:\n  - {name: x, tool: Bash, input: {command: ls}, expect: allow}\n');
    const r2 = await t.omni(['policy', 'test', ref]);
    expect(r2.exitCode).toBe(2);
    expect(String(r2.stderr)).toMatch(/ref\.yaml:1:12: unknown policy "blast_raduis" \(did you mean "blast_radius"\?\)/);
  });
});
