import { OmniError } from '../core/errors.js';
import type { Route } from './api.js';
import type { DebbyService } from './debby-service.js';
import { readJson, sendJson } from './http.js';

/**
 * Debby's control routes (docs/API.md, docs/DEBBY.md). `:run` is a run id or `latest` (the
 * newest run started in `?cwd=`, else the newest). Ask and debate answer when the exchange ends.
 */
export function debbyRoutes(debby: DebbyService): Route[] {
  const cwdOf = (url: URL) => url.searchParams.get('cwd') ?? undefined;
  return [
    [
      'POST',
      /^\/v1\/debby$/,
      async (req, res) => {
        const body = await readJson<{ cwd?: unknown; env?: unknown; heads?: unknown; synth?: unknown }>(req);
        if (typeof body.cwd !== 'string' || !body.cwd) throw new OmniError('"cwd" is required', 'bad_request');
        const env = body.env && typeof body.env === 'object' && !Array.isArray(body.env) ? (body.env as Record<string, string>) : {};
        if (body.heads !== undefined && !(Array.isArray(body.heads) && body.heads.every((h) => typeof h === 'string' && h))) throw new OmniError('"heads" must be a list of harness names', 'bad_request');
        if (body.synth !== undefined && typeof body.synth !== 'string') throw new OmniError('"synth" must be a head\'s label', 'bad_request');
        const run = await debby.start({ cwd: body.cwd, env, ...(body.heads ? { heads: body.heads as string[] } : {}), ...(body.synth ? { synth: body.synth } : {}) });
        sendJson(res, 201, { run });
      },
    ],
    ['GET', /^\/v1\/debby$/, async (_q, res) => sendJson(res, 200, { runs: debby.list() })],
    ['GET', /^\/v1\/debby\/([^/]+)$/, async (_q, res, [ref], url) => sendJson(res, 200, { run: debby.get(ref!, cwdOf(url)) })],
    [
      'POST',
      /^\/v1\/debby\/([^/]+)\/ask$/,
      async (req, res, [ref], url) => {
        const body = await readJson<{ text?: unknown; timeoutS?: unknown }>(req);
        if (typeof body.text !== 'string' || !body.text.trim()) throw new OmniError('"text" must be a non-empty string', 'bad_request');
        sendJson(res, 200, await debby.ask(ref!, body.text, { cwd: cwdOf(url), ...timeout(body.timeoutS) }));
      },
    ],
    [
      'POST',
      /^\/v1\/debby\/([^/]+)\/debate$/,
      async (req, res, [ref], url) => {
        const body = await readJson<{ rounds?: unknown; synth?: unknown; timeoutS?: unknown }>(req);
        if (body.rounds !== undefined && typeof body.rounds !== 'number') throw new OmniError('"rounds" must be a number', 'bad_request');
        if (body.synth !== undefined && typeof body.synth !== 'string') throw new OmniError('"synth" must be a head\'s label', 'bad_request');
        sendJson(res, 200, await debby.debate(ref!, { cwd: cwdOf(url), ...(body.rounds !== undefined ? { rounds: body.rounds } : {}), ...(body.synth ? { synth: body.synth } : {}), ...timeout(body.timeoutS) }));
      },
    ],
    ['POST', /^\/v1\/debby\/([^/]+)\/stop$/, async (_q, res, [ref], url) => sendJson(res, 200, { run: await debby.stop(ref!, cwdOf(url)) })],
  ];
}

function timeout(v: unknown): { timeoutMs?: number } {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new OmniError('"timeoutS" must be a number of seconds above 0', 'bad_request');
  return { timeoutMs: v * 1000 };
}
