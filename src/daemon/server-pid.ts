import fs from 'node:fs';

/**
 * When a process started (/proc/<pid>/stat field 22, clock ticks since boot): with its pid, it
 * names one process for good (a reused pid has a later start). Undefined when gone or unreadable.
 */
export function processStart(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the last ")": the command name may hold spaces and parentheses. Field 3 is f[0].
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/**
 * omni's tmux server pid for the caller checks (approval-gate.ts), asked of tmux once and kept
 * while that very process lives: asking costs a process spawn (~20–40 ms on a busy host) on
 * every approval and every person's MCP call. A server that exits (killed, restarted, its last
 * session gone) leaves the pid dead or reused with another start time, and the next call asks
 * tmux again; no answer (no server) is never kept, so a server started later is found.
 */
export function cachedServerPid(lookup: () => Promise<number | undefined>, startOf: (pid: number) => string | undefined = processStart): () => Promise<number | undefined> {
  let known: { pid: number; start: string } | undefined;
  let asking: Promise<number | undefined> | undefined;
  return async () => {
    if (known && startOf(known.pid) === known.start) return known.pid;
    known = undefined;
    // Concurrent callers share one question.
    asking ??= lookup()
      .then((pid) => {
        const start = pid === undefined ? undefined : startOf(pid);
        if (pid !== undefined && start !== undefined) known = { pid, start };
        return pid;
      })
      .finally(() => (asking = undefined));
    return asking;
  };
}
