import { isObject, jsonCandidates, lastFitting } from './json-text.js';
import type { Finding, Severity, Verdict } from './types.js';

/**
 * A reviewer's answer → a Verdict (docs/POLLY.md "Reviews"). Pure and total: any string gives
 * `ok: true` or an error sentence omni types back to the reviewer (prompts.verdictUnreadable).
 */

/** The JSON a model put in its answer: the last ```json fenced block, else the last balanced {...} that parses. */
export function extractJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return lastJson(jsonCandidates(String(text)));
  } catch (e) {
    return { ok: false, error: `the answer could not be read: ${(e as Error).message}` };
  }
}

function lastJson(candidates: ReturnType<typeof jsonCandidates>): { ok: true; value: unknown } | { ok: false; error: string } {
  const last = lastFitting(candidates);
  if (last) return { ok: true, value: last.value };
  return { ok: false, error: 'the answer has no JSON: no ```json block and no {...} object that parses' };
}

export type VerdictParse = { ok: true; verdict: Verdict } | { ok: false; error: string };

const SEVERITIES: readonly Severity[] = ['blocker', 'major', 'minor', 'nit'];

/**
 * Other scales models use, mapped onto ours: critical → blocker, high → major, medium → minor,
 * low → nit (and a few synonyms). A finding without a severity is `minor`.
 */
const SEVERITY_ALIASES: Record<string, Severity> = {
  critical: 'blocker',
  blocking: 'blocker',
  high: 'major',
  error: 'major',
  medium: 'minor',
  moderate: 'minor',
  warning: 'minor',
  low: 'nit',
  info: 'nit',
  trivial: 'nit',
  suggestion: 'nit',
  style: 'nit',
};

export const DEFAULT_SEVERITY: Severity = 'minor';

function severityOf(raw: unknown, where: string): Severity | string {
  if (raw === undefined || raw === null) return DEFAULT_SEVERITY;
  if (typeof raw !== 'string') return `${where}: "severity" must be one of ${SEVERITIES.join(', ')}`;
  const s = raw.trim().toLowerCase();
  if ((SEVERITIES as readonly string[]).includes(s)) return s as Severity;
  const alias = SEVERITY_ALIASES[s];
  if (alias) return alias;
  return `${where}: "severity" is ${JSON.stringify(raw)}; use one of ${SEVERITIES.join(', ')}`;
}

function lineOf(raw: unknown, where: string): number | undefined | string {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const n = typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : raw;
  if (typeof n === 'number' && Number.isInteger(n) && n > 0) return n;
  return `${where}: "line" must be a positive whole number (the line in the new file), not ${JSON.stringify(raw)}`;
}

function findingOf(raw: unknown, i: number, errors: string[]): Finding | undefined {
  const where = `finding ${i + 1}`;
  if (!isObject(raw)) {
    errors.push(`${where} is not an object: write {"file": "...", "line": 12, "severity": "major", "text": "..."}`);
    return undefined;
  }
  const text = raw.text;
  if (typeof text !== 'string' || !text.trim()) {
    errors.push(`${where} has no "text": say what is wrong and what to do about it`);
    return undefined;
  }
  const severity = severityOf(raw.severity, where);
  const line = lineOf(raw.line, where);
  let ok = true;
  if (!(SEVERITIES as readonly string[]).includes(severity)) {
    errors.push(severity);
    ok = false;
  }
  if (typeof line === 'string') {
    errors.push(line);
    ok = false;
  }
  if (raw.file !== undefined && raw.file !== null && typeof raw.file !== 'string') {
    errors.push(`${where}: "file" must be a path string`);
    ok = false;
  }
  if (!ok) return undefined;
  const f: Finding = { severity: severity as Severity, text: text.trim() };
  if (typeof raw.file === 'string' && raw.file.trim()) f.file = raw.file.trim();
  if (typeof line === 'number') f.line = line;
  return f;
}

/** A verdict object checked (exported for tests and for callers that already hold the JSON). */
export function verdictFromJson(value: unknown): VerdictParse {
  if (!isObject(value)) return { ok: false, error: 'the verdict must be a JSON object like {"verdict": "approve", "findings": []}' };
  const raw = value.verdict;
  const v = typeof raw === 'string' ? raw.trim().toLowerCase() : undefined;
  if (v !== 'approve' && v !== 'changes') {
    return { ok: false, error: `"verdict" is ${raw === undefined ? 'missing' : JSON.stringify(raw)}; it must be "approve" or "changes"` };
  }
  const errors: string[] = [];
  const findings: Finding[] = [];
  if (value.findings !== undefined && value.findings !== null && !Array.isArray(value.findings)) {
    errors.push('"findings" must be an array of {file, line, severity, text}');
  } else if (Array.isArray(value.findings)) {
    value.findings.forEach((f, i) => {
      const ok = findingOf(f, i, errors);
      if (ok) findings.push(ok);
    });
  }
  if (errors.length === 0 && v === 'changes' && findings.length === 0) {
    errors.push('the verdict is "changes" but "findings" is empty: list each change you want as a finding with its "text" (and file, line, severity)');
  }
  if (errors.length) return { ok: false, error: errors.join('; ') };
  const verdict: Verdict = { verdict: v, findings };
  if (typeof value.summary === 'string' && value.summary.trim()) verdict.summary = value.summary.trim();
  return { ok: true, verdict };
}

/** A reviewer's answer: {verdict: approve|changes, findings: [{file?, line?, severity, text}], summary?}. */
export function parseVerdict(text: string): VerdictParse {
  try {
    // The last JSON object that has a "verdict" wins over a later unrelated one (e.g. a quoted config).
    const candidates = jsonCandidates(String(text));
    const c = lastFitting(candidates, (v) => isObject(v) && 'verdict' in v);
    if (c) return verdictFromJson(c.value);
    const any = lastJson(candidates);
    if (!any.ok) return { ok: false, error: `${any.error}; end your answer with a \`\`\`json block holding {"verdict": ..., "findings": [...]}` };
    return verdictFromJson(any.value);
  } catch (e) {
    return { ok: false, error: `the answer could not be read: ${(e as Error).message}` };
  }
}
