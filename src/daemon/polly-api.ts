import type http from 'node:http';
import type { PollyStartRequest } from '../polly/types.js';
import type { Route } from './api.js';
import { readJson, sendJson } from './http.js';
import type { PollyService } from './polly-service.js';

/**
 * Polly's control routes (docs/API.md, docs/POLLY.md "API"). A person's verbs on a task
 * (approve, send-back, merged) pass `checkOutside` first: an agent must never approve its own
 * work, so they are refused (403) from any process of an omni session.
 */
export function pollyRoutes(polly: PollyService, checkOutside: (req: http.IncomingMessage, what: string) => Promise<void>): Route[] {
  return [
    [
      'POST',
      /^\/v1\/polly$/,
      async (req, res) => {
        const body = await readJson<PollyStartRequest>(req);
        sendJson(res, 201, { run: await polly.start(body) });
      },
    ],
    ['GET', /^\/v1\/polly$/, async (_q, res) => sendJson(res, 200, { runs: polly.list() })],
    ['GET', /^\/v1\/polly\/([^/]+)$/, async (_q, res, [ref], url) => sendJson(res, 200, { run: polly.get(ref!, url.searchParams.get('cwd') ?? undefined) })],
    ['POST', /^\/v1\/polly\/([^/]+)\/stop$/, async (_q, res, [ref]) => sendJson(res, 200, { run: await polly.stop(ref!) })],
    [
      'POST',
      /^\/v1\/polly\/([^/]+)\/tasks\/([^/]+)\/(approve|send-back|merged)$/,
      async (req, res, [ref, task, verb]) => {
        const body = await readJson<{ note?: unknown; commit?: unknown }>(req);
        await checkOutside(req, `omni polly ${verb === 'merged' ? 'merge' : verb}`);
        const note = typeof body.note === 'string' ? body.note : undefined;
        const run =
          verb === 'approve'
            ? polly.approve(ref!, task!, note)
            : verb === 'send-back'
              ? polly.sendBack(ref!, task!, note ?? '')
              : polly.merged(ref!, task!, typeof body.commit === 'string' ? body.commit : '');
        sendJson(res, 200, { run, task: run.tasks?.find((t) => t.id === task) });
      },
    ],
  ];
}
