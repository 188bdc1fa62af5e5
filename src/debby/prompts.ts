/**
 * What Debby types into its heads during a debate (docs/DEBBY.md). Pure text: the daemon's
 * service sends it. Tests (and the fake model in e2e) key on these properties: a critique
 * prompt holds every other head's latest answer verbatim under `[label]` and the words
 * `debate round`; a synthesis prompt holds `synthesis` and every head's final answer.
 */

/** One head's answer as a prompt quotes it. */
export interface HeadAnswer {
  label: string;
  text: string;
}

export interface CritiqueInput {
  /** The label of the head the prompt is for. */
  self: string;
  /** The person's question (the latest ask), for context. */
  question: string;
  /** The other heads' latest answers (never the head's own). */
  others: HeadAnswer[];
  round: number;
  rounds: number;
}

/** Round `round` of `rounds`: the other heads' latest answers, and a request to critique and revise. */
export function critiquePrompt(input: CritiqueInput): string {
  const { self, question, others, round, rounds } = input;
  return [
    `This is debate round ${round} of ${rounds}. You are the head [${self}]; the other heads answered the same question.`,
    '',
    'The question:',
    question,
    '',
    "The other heads' latest answers, each under its label:",
    '',
    ...others.flatMap((o) => [`[${o.label}]`, o.text, '']),
    'Critique them and your own last answer: say where each is wrong, weak or missing something, and where it is right.',
    'Then give your revised answer in full.',
  ].join('\n');
}

/** After the debate: one head writes the synthesis of every head's final answer. */
export function synthesisPrompt(question: string, answers: HeadAnswer[]): string {
  return [
    'Write the synthesis of this debate: one answer to the question, from every head\'s final answer below.',
    '',
    'The question:',
    question,
    '',
    "The heads' final answers, each under its label:",
    '',
    ...answers.flatMap((a) => [`[${a.label}]`, a.text, '']),
    'Keep what they agree on, settle what they disagree on (say why), and name what is still open.',
  ].join('\n');
}
