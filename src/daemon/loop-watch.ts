/**
 * Watches the daemon's event loop while a person's request is served (`omni cost`, `omni
 * events`, …): a turn that holds the loop longer than the bound stalls every agent's hook, so
 * it is logged with what was being served. The watch runs only while such a request is in
 * flight (and at most `maxWatchMs` of each), so an idle daemon wakes for nothing.
 */
export interface LoopWatchOptions {
  log: (msg: string) => void;
  /** A turn longer than this is logged (default 100 ms: far above a healthy turn, below a felt stall). */
  boundMs?: number;
  /** How often the loop is sampled while watched (default 10 ms). */
  tickMs?: number;
  /** A long request (a follow, a wait) is watched for this long at most (default 30 s). */
  maxWatchMs?: number;
  now?: () => number;
}

export class LoopWatch {
  private readonly inFlight = new Map<number, string>();
  private nextId = 0;
  private timer: NodeJS.Timeout | undefined;
  private last = 0;
  private readonly boundMs: number;
  private readonly tickMs: number;
  private readonly maxWatchMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: LoopWatchOptions) {
    this.boundMs = opts.boundMs ?? 100;
    this.tickMs = opts.tickMs ?? 10;
    this.maxWatchMs = opts.maxWatchMs ?? 30_000;
    this.now = opts.now ?? (() => performance.now());
  }

  get bound(): number {
    return this.boundMs;
  }

  /** Watch while `what` is served; call the returned function when it is done (more than once is fine). */
  begin(what: string): () => void {
    const id = this.nextId++;
    this.inFlight.set(id, what);
    if (!this.timer) this.start();
    const cap = setTimeout(() => this.end(id), this.maxWatchMs);
    cap.unref();
    return () => {
      clearTimeout(cap);
      this.end(id);
    };
  }

  private start(): void {
    this.last = this.now();
    this.timer = setInterval(() => {
      const t = this.now();
      const held = t - this.last - this.tickMs;
      this.last = t;
      if (held > this.boundMs) this.opts.log(`event loop held ${Math.round(held)} ms (bound ${this.boundMs} ms) while serving ${[...new Set(this.inFlight.values())].join(', ')}`);
    }, this.tickMs);
    this.timer.unref();
  }

  private end(id: number): void {
    this.inFlight.delete(id);
    if (this.inFlight.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** Shutdown. */
  close(): void {
    this.inFlight.clear();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
