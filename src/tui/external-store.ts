/**
 * The store side of React's `useSyncExternalStore` that every view's store shares (dashboard,
 * approvals, Polly board, Debby view): listeners, the current snapshot, and a new snapshot only
 * when what is shown changed — every snapshot a view gets is a full-screen render. Subclasses
 * build the snapshot from their state; state and actions stay outside the components.
 */
export abstract class ExternalStore<S> {
  private readonly listeners = new Set<() => void>();
  private snapshotKey: string | undefined;
  /** Set by the subclass's constructor (`this.snapshot = this.build()`), once its own fields exist. */
  protected snapshot!: S;
  protected disposed = false;

  // Bound: React calls them unbound.
  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** The same object until something changes. */
  readonly getSnapshot = (): S => this.snapshot;

  protected abstract build(): S;

  /** Rebuild; tell the listeners only when the snapshot differs by value from the last one. */
  protected emit(): void {
    if (this.disposed) return;
    const next = this.build();
    const key = JSON.stringify(next);
    if (key === this.snapshotKey) return;
    this.snapshotKey = key;
    this.snapshot = next;
    for (const l of [...this.listeners]) l();
  }

  /** No more snapshots: the view is gone. */
  protected stopEmitting(): void {
    this.disposed = true;
    this.listeners.clear();
  }
}
