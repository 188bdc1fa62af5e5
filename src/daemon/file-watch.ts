import fs from 'node:fs';
import path from 'node:path';

/** Stops a watch. */
export type Unwatch = () => void;

/**
 * "Call me when this path changes": the daemon's port for file watches. `gone`: the watched
 * file itself was moved or deleted, so this watch will see nothing more.
 */
export type WatchPath = (file: string, onChange: (gone: boolean) => void) => Unwatch;

/**
 * fs.watch (inotify: one descriptor for the whole daemon, a watch per path) on `file`, or, while
 * it does not exist, on its nearest existing parent directory (a change there wakes the caller,
 * who asks again and then gets the file itself). Errors end the watch quietly: the caller's slow
 * poll covers it.
 */
export const watchPath: WatchPath = (file, onChange) => {
  let target = file;
  for (;;) {
    try {
      const direct = target === file;
      const w = fs.watch(target, { persistent: false }, (ev) => onChange(direct && ev === 'rename'));
      w.on('error', () => w.close());
      return () => w.close();
    } catch {
      const parent = path.dirname(target);
      if (parent === target) return () => {};
      target = parent;
    }
  }
};

/**
 * A set of watched paths kept equal to what an owner wants (`sync`), calling `onChange` (at
 * most once per `debounceMs`) when any of them changes. A path watched through its parent is
 * re-tried at every sync, so it gets its own watch once it exists.
 */
export class PathWatches {
  private readonly watches = new Map<string, { unwatch: Unwatch; direct: boolean }>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly onChange: () => void,
    private readonly watch: WatchPath = watchPath,
    private readonly debounceMs = 20,
  ) {}

  sync(paths: readonly string[]): void {
    const want = new Set(paths);
    for (const [p, w] of this.watches) {
      if (want.has(p) && (w.direct || !exists(p))) continue;
      w.unwatch();
      this.watches.delete(p);
    }
    for (const p of want) {
      if (this.watches.has(p)) continue;
      this.watches.set(p, {
        unwatch: this.watch(p, (gone) => {
          if (gone) this.drop(p);
          this.changed();
        }),
        direct: exists(p),
      });
    }
  }

  close(): void {
    clearTimeout(this.timer);
    for (const w of this.watches.values()) w.unwatch();
    this.watches.clear();
  }

  private drop(p: string): void {
    this.watches.get(p)?.unwatch();
    this.watches.delete(p);
  }

  private changed(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.onChange();
    }, this.debounceMs);
  }
}

function exists(p: string): boolean {
  return fs.existsSync(p);
}
