/**
 * A promise queue keyed by string: jobs with the same key run one after another, different
 * keys run concurrently. Used so that two writers (e.g. paste + Enter sequences) to one tmux
 * pane never interleave their keystrokes. Key by pane id (%N): a session name and a pane id
 * naming the same pane are different keys.
 */
export class KeyedSerialQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const result = prev.then(() => fn());
    // A failed job must not poison the queue: the tail only records that the job settled.
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    // Drop the entry once idle so the map does not grow with every pane ever written to.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Number of keys with pending or running jobs (for tests and diagnostics). */
  get activeKeys(): number {
    return this.tails.size;
  }
}
