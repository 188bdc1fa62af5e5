import fs from 'node:fs';
import { deliverHook, EVENT_NAME, observeTimeoutMs, renderAnswer, type HookMode } from '../../core/agent-protocol.js';
import { startDaemon } from '../../client/daemon-control.js';
import { paths } from '../context.js';

export interface HookPostOptions {
  /** Per attempt, in ms (the status line's 2 s); default: the protocol's. */
  timeout?: string;
  /** One attempt, no daemon start (the status line never waits for a daemon). */
  retry?: boolean;
}

/**
 * The node hook client: bin/omni-hook's whole job when curl is missing. POSTs stdin to the
 * agent socket and answers as the harness expects (docs/PROTOCOL.md): the text on stdout with
 * exit 0, or on stderr with the daemon's code; a gate fails closed, an observed event fails open.
 */
export async function hookPost(sock: string, event: string, mode = 'observe', opts: HookPostOptions = {}): Promise<number> {
  const m: HookMode = mode === 'gate' ? 'gate' : 'observe';
  if (!EVENT_NAME.test(event)) {
    process.stderr.write(`omni hook-post: bad event name ${JSON.stringify(event)}\n`);
    return m === 'gate' ? 2 : 0;
  }
  const body = fs.readFileSync(0);
  const timeoutMs = Number(opts.timeout) > 0 ? Number(opts.timeout) : m === 'observe' ? observeTimeoutMs() : undefined;
  const answer = await deliverHook(sock, event, m, body, {
    timeoutMs,
    ...(opts.retry === false ? { delays: [] } : { startDaemon: async () => void (await startDaemon(paths())) }),
    sandboxed: !!process.env.OMNI_SANDBOXED,
  });
  const out = renderAnswer(answer);
  if (out.stdout) process.stdout.write(out.stdout);
  if (out.stderr) process.stderr.write(out.stderr);
  return out.code;
}
