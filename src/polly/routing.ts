// CONTRACT STUB (helper polly-core implements; signatures fixed, see /work/briefs15/design.md).

export interface Party {
  harness: string;
  vendor: string;
}

export type ReviewerPick = { ok: true; harness: string; vendor: string } | { ok: false; error: string };

/**
 * The reviewer for a worker: a reviewer harness whose vendor differs from the worker's, the
 * `n`-th such in turn (spreads reviews). Never one of the same vendor: then `ok: false`.
 */
export function pickReviewer(worker: Party, reviewers: readonly Party[], n: number): ReviewerPick {
  void worker;
  void reviewers;
  void n;
  throw new Error('not implemented');
}

/** One error per worker harness that has no reviewer of another vendor (empty: every worker can be reviewed). */
export function routingErrors(workers: readonly Party[], reviewers: readonly Party[]): string[] {
  void workers;
  void reviewers;
  throw new Error('not implemented');
}
