import { askHosts, failureLine, msOption, type ViewHost } from '../../client/all-hosts.js';
import { ExitCode } from '../../core/errors.js';
import { printJson } from '../output.js';
import { formatApprovalsTable } from './approvals-table.js';

/** Per host, unless OMNI_HOST_TIMEOUT_MS says otherwise. */
const HOST_TIMEOUT_MS = 5000;

/**
 * `omni approvals --json` (or piped) with hosts: every host's approvals, each with its `host`
 * (and a HOST column); a host that did not answer is one line on stderr and the exit code 4,
 * the others still listed. Answer one with `omni approve ID --host HOST`.
 */
export async function listAllHosts(hosts: readonly ViewHost[], opts: { json?: boolean; all?: boolean }): Promise<number> {
  const timeoutMs = msOption(process.env.OMNI_HOST_TIMEOUT_MS, HOST_TIMEOUT_MS);
  const { results, failures } = await askHosts(hosts, async (c, host, ms) => (await c.approvals({ all: Boolean(opts.all), timeoutMs: ms })).approvals.map((a) => ({ ...a, host })), timeoutMs);
  for (const f of failures) process.stderr.write(failureLine(f) + '\n');
  const approvals = results.flatMap((r) => r.value);
  if (opts.json) printJson(approvals);
  else process.stdout.write(formatApprovalsTable(approvals, Date.now(), Boolean(opts.all), true) + '\n');
  return failures.length ? ExitCode.daemonUnreachable : ExitCode.ok;
}
