import type { Verdict } from './types.js';

// CONTRACT STUB (helper polly-core implements; signatures fixed, see /work/briefs15/design.md).

/** The JSON a model put in its answer: the last ```json fenced block, else the last balanced {...} that parses. */
export function extractJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  void text;
  throw new Error('not implemented');
}

export type VerdictParse = { ok: true; verdict: Verdict } | { ok: false; error: string };

/** A reviewer's answer: {verdict: approve|changes, findings: [{file?, line?, severity, text}], summary?}. */
export function parseVerdict(text: string): VerdictParse {
  void text;
  throw new Error('not implemented');
}
