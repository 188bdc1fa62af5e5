import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extractJson, parseVerdict } from '../../src/polly/verdict.js';

const fence = (body: string, lang = 'json') => `\`\`\`${lang}\n${body}\n\`\`\``;

describe('extractJson', () => {
  it('prefers the last fenced block that parses, with prose around it', () => {
    const text = `First ${fence('{"a":1}')} then ${fence('{"a":2}', '')} then ${fence('{"a": oops}')} bye {"a":4}`;
    expect(extractJson(text)).toEqual({ ok: true, value: { a: 2 } });
  });

  it('ignores fenced code in other languages', () => {
    expect(extractJson(`${fence('{"a":1}')}\n${fence('const x = {"a": 3}', 'ts')}`)).toEqual({ ok: true, value: { a: 1 } });
  });

  it('falls back to the last balanced top-level object that parses', () => {
    expect(extractJson('I say {"a": {"b": "}"}} and later {"c": [1, {"d": 2}]} done')).toEqual({ ok: true, value: { c: [1, { d: 2 }] } });
    expect(extractJson('stray { brace and "quote then {"ok": true}')).toEqual({ ok: true, value: { ok: true } });
    expect(extractJson('{"x": 1} then a broken {"y": ')).toEqual({ ok: true, value: { x: 1 } });
  });

  it('says so when there is none', () => {
    expect(extractJson('no json here')).toMatchObject({ ok: false, error: expect.stringMatching(/no JSON/) });
    expect(extractJson('{not: json}')).toMatchObject({ ok: false });
  });
});

describe('parseVerdict', () => {
  it('reads a fenced verdict: lowercases it, keeps findings and summary', () => {
    const text = `Looks mostly fine.\n${fence(JSON.stringify({ verdict: 'Changes', summary: ' fix the bound ', findings: [{ file: 'src/a.ts', line: 12, severity: 'MAJOR', text: 'off by one' }] }))}`;
    expect(parseVerdict(text)).toEqual({
      ok: true,
      verdict: { verdict: 'changes', summary: 'fix the bound', findings: [{ file: 'src/a.ts', line: 12, severity: 'major', text: 'off by one' }] },
    });
  });

  it('reads a bare verdict; an approve without findings has none', () => {
    expect(parseVerdict('All good: {"verdict": "approve"}')).toEqual({ ok: true, verdict: { verdict: 'approve', findings: [] } });
  });

  it('takes the last object with "verdict", not a later unrelated one', () => {
    const text = `${fence('{"verdict":"approve","findings":[]}')}\nThe config I read: ${fence('{"port": 8080}')}`;
    expect(parseVerdict(text)).toMatchObject({ ok: true, verdict: { verdict: 'approve' } });
  });

  it('maps other severity scales and defaults a missing one to minor; accepts "12" as a line', () => {
    const r = parseVerdict(
      JSON.stringify({
        verdict: 'changes',
        findings: [
          { text: 'a', severity: 'critical' },
          { text: 'b', severity: 'High' },
          { text: 'c', severity: 'medium' },
          { text: 'd', severity: 'low' },
          { text: 'e', line: '12', file: null },
        ],
      }),
    );
    expect(r.ok && r.verdict.findings).toEqual([
      { text: 'a', severity: 'blocker' },
      { text: 'b', severity: 'major' },
      { text: 'c', severity: 'minor' },
      { text: 'd', severity: 'nit' },
      { text: 'e', severity: 'minor', line: 12 },
    ]);
  });

  it('refuses malformed verdicts with a sentence saying what to fix', () => {
    const e = (v: unknown) => {
      const r = parseVerdict(typeof v === 'string' ? v : JSON.stringify(v));
      return r.ok ? 'accepted' : r.error;
    };
    expect(e('I approve of this change.')).toMatch(/no JSON.*"verdict"/);
    expect(e({ verdict: 'lgtm' })).toBe('"verdict" is "lgtm"; it must be "approve" or "changes"');
    expect(e({ findings: [] })).toMatch(/must be a JSON object|"verdict" is missing/);
    expect(e({ verdict: 'changes', findings: [] })).toMatch(/"changes" but "findings" is empty/);
    expect(e({ verdict: 'changes' })).toMatch(/"changes" but "findings" is empty/);
    expect(e({ verdict: 'approve', findings: 'none' })).toMatch(/"findings" must be an array/);
    expect(e({ verdict: 'changes', findings: [{ severity: 'major' }] })).toBe('finding 1 has no "text": say what is wrong and what to do about it');
    expect(e({ verdict: 'changes', findings: [{ text: 'x', severity: 'urgent' }] })).toBe('finding 1: "severity" is "urgent"; use one of blocker, major, minor, nit');
    expect(e({ verdict: 'changes', findings: [{ text: 'x', line: 0 }] })).toMatch(/^finding 1: "line" must be a positive whole number/);
    expect(e({ verdict: 'changes', findings: [{ text: 'x', line: 1.5 }] })).toMatch(/"line" must be a positive/);
    expect(e({ verdict: 'changes', findings: [{ text: 'x', file: 3 }] })).toBe('finding 1: "file" must be a path string');
    expect(e({ verdict: 'changes', findings: ['x'] })).toMatch(/^finding 1 is not an object/);
  });

  it('never throws, on any string (fast-check)', () => {
    const jsonish = fc.oneof(
      fc.string(),
      fc.json(),
      fc.stringMatching(/^[{}"\\\n`a-z:,[\] ]{0,60}$/),
      fc.json().map((j) => `prose ${fence(j)} more {"verdict": ${j}}`),
      fc.anything().map((v) => `{"verdict": "changes", "findings": ${JSON.stringify([v]) ?? 'null'}}`),
    );
    fc.assert(
      fc.property(jsonish, (s) => {
        const r = parseVerdict(s);
        expect(typeof r.ok).toBe('boolean');
        if (r.ok) expect(['approve', 'changes']).toContain(r.verdict.verdict);
        else expect(r.error.length).toBeGreaterThan(0);
        const x = extractJson(s);
        expect(typeof x.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });

  it('stays fast on pathological input', () => {
    const t0 = Date.now();
    parseVerdict('{'.repeat(50_000) + '"'.repeat(1000) + '}'.repeat(50_000));
    parseVerdict('{"a":'.repeat(20_000));
    expect(Date.now() - t0).toBeLessThan(3000);
  });
});
