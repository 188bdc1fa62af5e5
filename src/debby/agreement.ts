/**
 * How far Debby's heads agree (docs/DEBBY.md "The view"): a cheap, explainable measure on the
 * words of their latest answers, not a judgement of meaning. Each answer becomes a set of content
 * words (lower case, no stop words, a plural `s` dropped); the agreement is the mean Jaccard
 * overlap of every pair of heads (for two heads, just their overlap), and each head's "only" words
 * are its most frequent words that no other head used. Pure: no I/O.
 */

export interface HeadText {
  label: string;
  text: string;
}

export interface Agreement {
  /** 0…100, rounded: the mean pairwise overlap of the heads' word sets. */
  percent: number;
  /** Words every head used, most frequent first. */
  shared: string[];
  /** Per head (in the order given): its words no other head used, most frequent first. */
  only: Array<{ label: string; words: string[] }>;
}

/** Words that say nothing about what an answer claims. */
const STOP = new Set(
  (
    'the and for are but not you your yours with this that these those there their them they then than was were ' +
    'will would should could can may might must has have had having been being its it\'s into onto from about ' +
    'over under more most less least very also just only some such each any all both either neither nor so ' +
    'what which who whom whose when where why how here out off our ours ourselves his her hers him she he ' +
    'one two use used using does did doing done yes no too own same other another because while though although ' +
    'i\'m i\'d i\'ll we\'re we\'d don\'t doesn\'t isn\'t aren\'t won\'t can\'t let like get got make made'
  ).split(/\s+/),
);

/** The content words of a text, in order (with repeats). */
export function contentWords(text: string): string[] {
  const out: string[] = [];
  for (const m of text.toLowerCase().matchAll(/[\p{L}\p{N}][\p{L}\p{N}'_-]*/gu)) {
    let w = m[0].replace(/['_-]+$/, '');
    if (STOP.has(w)) continue;
    w = w.replace(/'s$/, '');
    if (w.length < 3 && !/^\p{N}+$/u.test(w)) continue;
    // "tests" and "test" are one word here; "class", "is" and "does" stay as they are.
    if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss') && !w.endsWith('us') && !w.endsWith('is')) w = w.slice(0, -1);
    if (!STOP.has(w)) out.push(w);
  }
  return out;
}

/** Words by count (highest first), ties by first use. */
function ranked(words: readonly string[]): string[] {
  const count = new Map<string, number>();
  for (const w of words) count.set(w, (count.get(w) ?? 0) + 1);
  const first = [...count.keys()];
  return first.map((w, i) => ({ w, n: count.get(w)!, i })).sort((a, b) => b.n - a.n || a.i - b.i).map((x) => x.w);
}

/**
 * The agreement of two or more heads' answers; undefined when fewer than two answers have a
 * content word (nothing to compare yet). `maxWords` caps each head's "only" list and `shared`.
 */
export function agreement(answers: readonly HeadText[], maxWords = 3): Agreement | undefined {
  const heads = answers.map((a) => ({ label: a.label, words: contentWords(a.text) })).filter((h) => h.words.length > 0);
  if (heads.length < 2) return undefined;
  const sets = heads.map((h) => new Set(h.words));
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < sets.length; i++) {
    for (let j = i + 1; j < sets.length; j++) {
      const a = sets[i]!;
      const b = sets[j]!;
      let both = 0;
      for (const w of a) if (b.has(w)) both++;
      sum += both / (a.size + b.size - both);
      pairs++;
    }
  }
  const all = heads.flatMap((h) => h.words);
  return {
    percent: Math.round((100 * sum) / pairs),
    shared: ranked(all.filter((w) => sets.every((s) => s.has(w)))).slice(0, maxWords),
    only: heads.map((h, i) => ({ label: h.label, words: ranked(h.words.filter((w) => sets.every((s, j) => j === i || !s.has(w)))).slice(0, maxWords) })),
  };
}

/** The view's one line: `agree 72% · only claude: retry, backoff · only codex: mutex`. */
export function agreementLine(a: Agreement | undefined): string {
  if (!a) return 'agreement: no answers to compare yet';
  const only = a.only.filter((o) => o.words.length).map((o) => `only ${o.label}: ${o.words.join(', ')}`);
  return [`agree ${a.percent}%`, ...only].join(' · ');
}
