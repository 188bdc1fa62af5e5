import fs from 'node:fs';
import path from 'node:path';
import type { DebbyRun } from '../debby/types.js';
import { ensurePrivateDir, writeFileAtomic } from '../core/fsutil.js';

/**
 * Debby's runs on disk: one JSON file per run, `$OMNI_HOME/debby/<run id>.json` (0600 in a 0700
 * dir), written whole and atomically on every change, all read back when the daemon starts.
 */
export class DebbyStore {
  private readonly runs = new Map<string, DebbyRun>();

  constructor(
    private readonly dir: string,
    private readonly log: (msg: string) => void = () => {},
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Read every stored run (a file that does not parse is logged and skipped, never deleted). */
  load(): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (!/^d_[a-z0-9]+\.json$/.test(name)) continue;
      try {
        const run = JSON.parse(fs.readFileSync(path.join(this.dir, name), 'utf8')) as DebbyRun;
        this.runs.set(run.id, run);
        // A run cannot still be mid-exchange after a restart: what was being awaited is gone, so
        // the exchange ends here, each head without an answer saying why.
        const last = run.exchanges.at(-1);
        if (run.busy || (last && !last.endedAt)) {
          delete run.busy;
          if (last && !last.endedAt) {
            const answered = new Set(last.answers.map((a) => a.head));
            const heads = last.kind === 'synthesis' ? [/^synthesis by (.+)$/.exec(last.prompt)?.[1] ?? run.synth] : run.heads.map((h) => h.label);
            for (const head of heads) if (!answered.has(head)) last.answers.push({ head, text: '', error: "omni's daemon stopped before the answer came" });
            last.endedAt = this.now().toISOString();
          }
          this.put(run);
        }
      } catch (err) {
        this.log(`debby: skipping ${name}: ${(err as Error).message}`);
      }
    }
  }

  get(id: string): DebbyRun | undefined {
    return this.runs.get(id);
  }

  /** Newest first. */
  all(): DebbyRun[] {
    return [...this.runs.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
  }

  put(run: DebbyRun): void {
    ensurePrivateDir(this.dir);
    writeFileAtomic(path.join(this.dir, `${run.id}.json`), `${JSON.stringify(run, null, 2)}\n`);
    this.runs.set(run.id, run);
  }
}
