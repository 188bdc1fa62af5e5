/**
 * Cross-vendor review routing (docs/POLLY.md "Reviews"): a worker's diff goes only to a reviewer
 * whose vendor differs from the worker's. Vendors come from adapter data (HarnessAdapter.vendor);
 * this file only compares them. Pure.
 */

export interface Party {
  harness: string;
  vendor: string;
}

export type ReviewerPick = { ok: true; harness: string; vendor: string } | { ok: false; error: string };

const sameVendor = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

const describe = (p: Party) => `${p.harness} (${p.vendor})`;

function noReviewerError(worker: Party, reviewers: readonly Party[]): string {
  const list = reviewers.length ? reviewers.map(describe).join(', ') : 'none';
  return `no reviewer of another vendor for worker ${describe(worker)}; reviewers: ${list}`;
}

/** The reviewers a worker may get: every one whose vendor is not the worker's, in order. */
export function eligibleReviewers(worker: Party, reviewers: readonly Party[]): Party[] {
  return reviewers.filter((r) => !sameVendor(r.vendor, worker.vendor));
}

/**
 * The reviewer for a worker: a reviewer harness whose vendor differs from the worker's, the
 * `n`-th such in turn (spreads reviews). Never one of the same vendor: then `ok: false`.
 */
export function pickReviewer(worker: Party, reviewers: readonly Party[], n: number): ReviewerPick {
  const ok = eligibleReviewers(worker, reviewers);
  if (ok.length === 0) return { ok: false, error: noReviewerError(worker, reviewers) };
  const k = Number.isFinite(n) ? Math.floor(Math.abs(n)) % ok.length : 0;
  const r = ok[k]!;
  return { ok: true, harness: r.harness, vendor: r.vendor };
}

/** One error per worker harness that has no reviewer of another vendor (empty: every worker can be reviewed). */
export function routingErrors(workers: readonly Party[], reviewers: readonly Party[]): string[] {
  const seen = new Set<string>();
  const errors: string[] = [];
  for (const w of workers) {
    const key = `${w.harness}\0${w.vendor}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (eligibleReviewers(w, reviewers).length === 0) errors.push(noReviewerError(w, reviewers));
  }
  return errors;
}
