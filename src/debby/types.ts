/**
 * Debby's data (docs/DEBBY.md): a run of two or more heads, and the exchanges between the person
 * and them. The daemon keeps a run in `$OMNI_HOME/debby/<run id>.json`; `GET /v1/debby/:run`
 * answers it (with costs filled in). Field names are a contract: add fields, never rename.
 */

export interface DebbyHead {
  /** Its label in the run: the harness name, `-2`, `-3`… when a harness is there twice. */
  label: string;
  harness: string;
  /** s_… and the session's name (debby-<n>-<label>). */
  session: string;
  name: string;
  /** Filled on read: the head's own cost, USD. */
  costUsd?: number;
}

export interface DebbyAnswer {
  head: string;
  text: string;
  /** The turn's events in the head's log: its message.user and the event that ended it. */
  from?: number;
  to?: number;
  /** The head did not answer: it ended, timed out, or refused the prompt. */
  error?: string;
  /** The head had not finished when the exchange's time ran out (`error` says so too). */
  timedOut?: true;
}

/**
 * ask: a question to every head; critique: one debate round (each head got the others' latest
 * answers); synthesis: the synth head's summary after a debate.
 */
export interface DebbyExchange {
  n: number;
  kind: 'ask' | 'critique' | 'synthesis';
  /** critique: the round, 1…N. */
  round?: number;
  /** What the person asked (ask), or a one-line description (critique, synthesis). */
  prompt: string;
  startedAt: string;
  endedAt?: string;
  answers: DebbyAnswer[];
}

export interface DebbyRun {
  /** d_… */
  id: string;
  createdAt: string;
  cwd: string;
  heads: DebbyHead[];
  /** The label of the head that writes a debate's synthesis (default: the first head). */
  synth: string;
  status: 'live' | 'ended';
  exchanges: DebbyExchange[];
  /** An exchange is under way (a second ask or debate is refused with 409 conflict meanwhile). */
  busy?: boolean;
  /** Filled on read: the heads' total, USD. */
  costUsd?: number;
}

/** `POST /v1/debby` */
export interface DebbyStartRequest {
  cwd: string;
  env: Record<string, string>;
  /** Harness names; default ["claude", "codex"]. */
  heads?: string[];
  synth?: string;
}
