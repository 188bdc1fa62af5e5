import { describe, expect, it } from 'vitest';
import type { OmniClient } from '../../src/client/api.js';
import { controlForward, parseReply } from '../../src/cli/commands/mcp.js';
import { OmniError } from '../../src/core/errors.js';
import { replyToContent } from '../../src/mcp/server.js';

/** `omni mcp`'s two forwards and how a daemon reply becomes MCP content. */
describe('omni mcp', () => {
  it("as a person: POST /v1/mcp/call with the tool, its args and this process's environment (PWD = its directory); a refusal is the model's to read", async () => {
    const sent: Array<{ path: string; body: { tool: string; args: unknown; env: Record<string, string> } }> = [];
    let refuse: OmniError | undefined;
    const api = {
      request: async (p: string, o: { body: never }) => {
        sent.push({ path: p, body: o.body });
        if (refuse) throw refuse;
        return { ok: true, result: { sessions: [] } };
      },
    } as unknown as OmniClient;
    const call = controlForward(async () => api);
    expect(await call('omni_sessions', {})).toEqual({ ok: true, result: { sessions: [] } });
    expect(sent[0]!.path).toBe('/v1/mcp/call');
    expect(sent[0]!.body).toMatchObject({ tool: 'omni_sessions', args: {} });
    expect(sent[0]!.body.env.PWD).toBe(process.cwd());
    expect(sent[0]!.body.env.PATH).toBe(process.env.PATH);
    refuse = new OmniError('this route is for people: an agent drives only through its own session', 'forbidden');
    expect(await call('omni_spawn', { harness: 'pi', prompt: 'x' })).toEqual({ ok: false, error: { code: 'forbidden', message: refuse.message } });
    // No daemon to be had is not an answer: the server reports it as an error result of its own.
    refuse = new OmniError('the daemon is down', 'daemon_unreachable');
    await expect(call('omni_sessions', {})).rejects.toThrow('the daemon is down');
  });

  it('reads the agent socket: a 200 carries the reply, anything else is a refusal with its message', () => {
    expect(parseReply(200, '{"ok":true,"result":{"stopped":["s_1"]}}')).toEqual({ ok: true, result: { stopped: ['s_1'] } });
    expect(parseReply(200, '{"ok":false,"error":{"code":"denied","message":"no"}}')).toEqual({ ok: false, error: { code: 'denied', message: 'no' } });
    expect(parseReply(404, '{"error":{"code":"not_found","message":"no route"}}')).toEqual({ ok: false, error: { code: 'not_found', message: 'no route' } });
    expect(parseReply(500, 'oops')).toMatchObject({ ok: false, error: { code: 'bad_reply' } });
  });

  it('turns a reply into MCP content: the result as JSON text, a refusal as an error result', () => {
    expect(replyToContent({ ok: true, result: { a: 1 } })).toEqual({ content: [{ type: 'text', text: '{"a":1}' }] });
    expect(replyToContent({ ok: false, error: { code: 'denied', message: 'max_children 2' } })).toEqual({ content: [{ type: 'text', text: 'max_children 2 (denied)' }], isError: true });
  });
});
