/**
 * The JSON values a model wrote into an answer of prose: fenced blocks first, then bare objects.
 * Pure; never throws. plan.ts and verdict.ts pick the candidate they need from these.
 */

export interface JsonCandidate {
  value: unknown;
  /** From a ``` fenced block (json, jsonc or no language), rather than a bare {...} in the prose. */
  fenced: boolean;
  /** Where it starts in the text (candidates are returned in text order within each kind). */
  at: number;
}

/** Answers longer than this are read from their end: the JSON omni asks for comes last. */
const MAX_SCAN = 1024 * 1024;

const FENCE = /```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n([\s\S]*?)\n?[ \t]*```/g;
const JSON_LANGS = new Set(['', 'json', 'jsonc', 'json5']);

function tryParse(s: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(s) as unknown };
  } catch {
    return { ok: false };
  }
}

/** Every ```json (or bare ```) block whose whole content parses, in text order. */
export function fencedJson(text: string): JsonCandidate[] {
  const out: JsonCandidate[] = [];
  for (const m of text.matchAll(FENCE)) {
    if (!JSON_LANGS.has((m[1] ?? '').toLowerCase())) continue;
    const body = (m[2] ?? '').trim();
    if (!body) continue;
    const p = tryParse(body);
    if (p.ok) out.push({ value: p.value, fenced: true, at: m.index ?? 0 });
  }
  return out;
}

/** Character steps the bare-object search may take: bounds pathological input ({{{{…) to ~0.1 s. */
const SCAN_BUDGET = 16_000_000;

/**
 * The index of the `}` closing the `{` at `start`, or -1. Skips JSON strings; a raw newline in
 * one means this is not JSON (a stray quote in prose), so the scan gives up there.
 */
function closingBrace(text: string, start: number, budget: { left: number }): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    if (--budget.left < 0) return -1;
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      else if (c === '\n') return -1;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}

/** Every balanced top-level {...} that parses as JSON (not nested in another that does), in text order. */
export function bareJsonObjects(text: string): JsonCandidate[] {
  const out: JsonCandidate[] = [];
  const budget = { left: SCAN_BUDGET };
  let i = text.indexOf('{');
  while (i !== -1 && budget.left > 0) {
    // A JSON object opens with `{"` or `{}`: skip code braces without paying for a parse error.
    const next = /\S/.exec(text.slice(i + 1, i + 64))?.[0];
    const end = next === '"' || next === '}' ? closingBrace(text, i, budget) : -1;
    if (end !== -1) {
      budget.left -= end - i;
      const p = tryParse(text.slice(i, end + 1));
      if (p.ok) {
        out.push({ value: p.value, fenced: false, at: i });
        i = text.indexOf('{', end + 1);
        continue;
      }
    }
    i = text.indexOf('{', i + 1);
  }
  return out;
}

/** Fenced candidates, then bare ones; each kind in text order. The caller prefers the last that fits. */
export function jsonCandidates(text: string): { fenced: JsonCandidate[]; bare: JsonCandidate[] } {
  const t = text.length > MAX_SCAN ? text.slice(text.length - MAX_SCAN) : text;
  return { fenced: fencedJson(t), bare: bareJsonObjects(t) };
}

/** The last candidate (fenced first, then bare) that `fits`; undefined when none does. */
export function lastFitting({ fenced, bare }: { fenced: JsonCandidate[]; bare: JsonCandidate[] }, fits: (v: unknown) => boolean = () => true): JsonCandidate | undefined {
  for (const list of [fenced, bare]) {
    for (let i = list.length - 1; i >= 0; i--) if (fits(list[i]!.value)) return list[i];
  }
  return undefined;
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
