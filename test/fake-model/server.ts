// Scriptable fake model server: the real agent CLIs talk to it instead of the
// model providers, so tests run them offline with exact, scripted answers.
// See /work/shared/HARNESSES.md, "The fake model server".
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { anthropic } from './anthropic.js';
import type { Codec } from './codec.js';
import { gemini, geminiPath } from './gemini.js';
import { openaiChat, openaiResponses } from './openai.js';
import {
  BASE_USAGE,
  choose,
  cleanUserText,
  createGate,
  deferredMcpCall,
  mcpCallFromPrompt,
  resolveMcpName,
  Script,
  toolSearchFirst,
  type Answer,
  type CapturedRequest,
  type Gate,
  type InternalGate,
  type Kind,
  type ResolvedAnswer,
  type ScriptSpec,
  type Usage,
} from './script.js';

export * from './script.js';

export interface FakeModelOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
}

/** Routes ignore an optional /v1 prefix: OpenAI clients append paths to whatever base URL they were given. */
function route(method: string, path: string): { kind: Kind; codec?: Codec } {
  // Claude Code probes HEAD /api/hello for connectivity unless nonessential traffic is off.
  if ((method === 'GET' || method === 'HEAD') && (path === '/' || path === '/api/hello')) return { kind: 'root' };
  if (method !== 'POST') return { kind: 'unknown' };
  const g = geminiPath(path);
  if (g) {
    if (g.method === 'generateContent' || g.method === 'streamGenerateContent') return { kind: 'turn', codec: gemini };
    if (g.method === 'countTokens') return { kind: 'count_tokens', codec: gemini };
  }
  const p = path.replace(/^\/v1(?=\/)/, '').replace(/\/+$/, '');
  if (p === '/messages') return { kind: 'turn', codec: anthropic };
  if (p === '/messages/count_tokens') return { kind: 'count_tokens', codec: anthropic };
  if (p === '/responses') return { kind: 'turn', codec: openaiResponses };
  if (p === '/chat/completions') return { kind: 'turn', codec: openaiChat };
  return { kind: 'unknown' };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class FakeModel {
  readonly requests: CapturedRequest[] = [];
  /** Served when no script answers. Keep it text-only: its tool calls belong to no script. */
  fallback: Answer = { text: 'OK.' };
  /**
   * Served to requests without tools (Claude Code's side requests: session title
   * and the like), which must not eat scripted turns. null: treat them like any other.
   */
  sideAnswer: Answer | null = { text: '{"title":"Fake session"}' };
  private readonly scripts: Script[] = [];
  private usageDefaults: Usage = { ...BASE_USAGE };
  private readonly events = new EventEmitter();
  private closed = false;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly port: number,
  ) {
    this.events.setMaxListeners(0);
  }

  /** @internal use startFakeModel() */
  static async listen(opts: FakeModelOptions = {}): Promise<FakeModel> {
    const host = opts.host ?? '127.0.0.1';
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const fake = new FakeModel(server, `http://${host.includes(':') ? `[${host}]` : host}:${port}`, port);
    server.on('request', (req, res) => {
      fake.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, anthropic.error(500, undefined, String(err)));
        else res.destroy();
      });
    });
    return fake;
  }

  /** Usage for answers that do not set their own; a partial is merged over 100 in / 20 out / 0 cache. */
  get defaultUsage(): Usage {
    return { ...this.usageDefaults };
  }
  set defaultUsage(u: Partial<Usage>) {
    this.usageDefaults = { ...BASE_USAGE, ...u };
  }

  script(spec: ScriptSpec): Script {
    const s = new Script(spec);
    this.scripts.push(s);
    return s;
  }

  gate(): Gate {
    return createGate();
  }

  /** Turn requests only (no HEAD /, count_tokens, 404s). */
  turns(): CapturedRequest[] {
    return this.requests.filter((r) => r.kind === 'turn');
  }

  /**
   * First captured request, already received or still to come, that satisfies
   * the predicate; it has been answered-chosen (servedBy/answer set) by then.
   */
  waitForRequest(predicate: (r: CapturedRequest) => boolean = () => true, timeoutMs = 5000): Promise<CapturedRequest> {
    const seen = this.requests.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const onRequest = (r: CapturedRequest) => {
        if (!predicate(r)) return;
        cleanup();
        resolve(r);
      };
      const onClose = () => {
        cleanup();
        reject(new Error('fake model closed while waiting for a request'));
      };
      const timer = setTimeout(() => {
        cleanup();
        const seenList = this.requests.map((r) => `${r.method} ${r.url} ${JSON.stringify(r.latestUserText.slice(0, 60))}`);
        reject(new Error(`no matching request within ${timeoutMs} ms; seen:\n  ${seenList.join('\n  ')}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.events.off('request', onRequest);
        this.events.off('close', onClose);
      };
      this.events.on('request', onRequest);
      this.events.on('close', onClose);
    });
  }

  /** Forgets scripts and captured requests (fallback, sideAnswer and defaultUsage stay). */
  reset(): void {
    this.scripts.length = 0;
    this.requests.length = 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.events.emit('close');
    // Held (gated) responses would keep close() waiting forever.
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const path = url.split('?')[0] ?? '/';
    const { kind, codec } = route(method, path);
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = undefined;
    }
    const cap: CapturedRequest = {
      seq: this.requests.length,
      method,
      path,
      url,
      headers: req.headers,
      body,
      api: codec?.api ?? null,
      kind,
      stream: false,
      hasTools: false,
      latestUserText: '',
      toolResultIds: [],
      toolNames: [],
      servedBy: null,
      status: 'pending',
    };
    this.requests.push(cap);
    res.on('close', () => {
      cap.status = res.writableFinished ? 'done' : 'aborted';
    });

    if (kind !== 'turn' || !codec) {
      this.events.emit('request', cap);
      if (kind === 'root') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(method === 'HEAD' ? undefined : 'ok');
      } else if (kind === 'count_tokens') {
        // Deterministic, roughly a token per four characters.
        const tokens = Math.max(1, Math.ceil(raw.length / 4));
        sendJson(res, 200, codec?.countTokens ? codec.countTokens(tokens) : { input_tokens: tokens });
      } else {
        sendJson(res, 404, anthropic.error(404, undefined, `fake model: no route for ${method} ${path}`));
      }
      return;
    }

    if (body === undefined || typeof body !== 'object') {
      this.events.emit('request', cap);
      sendJson(res, 400, codec.error(400, undefined, 'fake model: request body is not a JSON object'));
      return;
    }
    const parsed = codec.parse(body, path);
    cap.model = parsed.model;
    cap.stream = parsed.stream;
    cap.hasTools = parsed.hasTools;
    cap.latestUserText = cleanUserText(parsed.userTexts);
    cap.toolResultIds = parsed.toolResultIds;
    cap.toolNames = parsed.toolNames;

    let choice = choose(cap, this.scripts, this.fallback, this.sideAnswer);
    // No script for it, but the prompt asks for an MCP tool call: a one-off script that then answers its result.
    const asked = choice.servedBy === 'fallback' && cap.hasTools && cap.toolResultIds.length === 0 ? mcpCallFromPrompt(cap.latestUserText) : undefined;
    if (asked) {
      const script = this.script(asked);
      choice = { answer: script.next()!, servedBy: 'script', script };
    }
    // A scripted MCP call whose tool is not offered yet (its server still connecting): search for it first, as a model would.
    const deferred = choice.script ? deferredMcpCall(choice.answer, cap) : undefined;
    if (deferred) choice = { ...choice, answer: deferred };
    const search = choice.script ? toolSearchFirst(choice.answer, cap.toolNames, cap.api) : undefined;
    if (search) {
      choice.script!.putBack(choice.answer);
      choice = { ...choice, answer: search };
    }
    const answer = this.resolve(choice.answer, codec, cap.toolNames);
    cap.servedBy = choice.servedBy;
    cap.answer = answer;
    if (choice.script) {
      cap.script = choice.script;
      choice.script.served.push(cap);
      for (const t of answer.toolUses) choice.script.issuedToolIds.add(t.id);
    }
    this.events.emit('request', cap);
    await this.respond(res, codec, choice.answer, answer, parsed.model ?? 'fake-model', parsed.stream);
  }

  private resolve(a: Answer, codec: Codec, toolNames: readonly string[] = []): ResolvedAnswer {
    return {
      text: a.text ?? '',
      toolUses: (a.toolUses ?? []).map((t) => ({
        id: t.id ?? codec.newToolId(),
        // An MCP tool the request does not offer keeps its own name: the agent then reports an unknown tool, which a test sees.
        name: t.mcp ? (resolveMcpName(t.mcp, toolNames) ?? t.mcp) : (t.name ?? 'unnamed_tool'),
        input: t.input ?? {},
      })),
      usage: { ...this.usageDefaults, ...a.usage },
    };
  }

  private async respond(
    res: ServerResponse,
    codec: Codec,
    spec: Answer,
    answer: ResolvedAnswer,
    model: string,
    stream: boolean,
  ): Promise<void> {
    // Resolves when the client hangs up (an interrupt), so waits below end early.
    let hungUp = false;
    const gone = new Promise<void>((r) =>
      res.once('close', () => {
        hungUp = true;
        r();
      }),
    );
    const wait = (p: Promise<void>) => Promise.race([p, gone]);
    const hold = async () => {
      const gate = spec.gate as InternalGate | undefined;
      if (!gate) return;
      gate.markReached?.();
      await wait(gate.released);
    };

    if (spec.delayMs) await wait(sleep(spec.delayMs));
    if (hungUp) return;
    const headers = codec.headers();
    if (spec.error) {
      const { status, type, message } = spec.error;
      sendJson(res, status, codec.error(status, type, message ?? `fake model: scripted ${status}`), headers);
      return;
    }
    if (!stream) {
      await hold();
      if (!hungUp) sendJson(res, 200, codec.json(answer, model), headers);
      return;
    }
    const { frames, holdAfter } = codec.stream(answer, model);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      ...headers,
    });
    res.write(frames.slice(0, holdAfter).join(''));
    await hold();
    if (hungUp) return;
    res.end(frames.slice(holdAfter).join(''));
  }
}

export function startFakeModel(opts?: FakeModelOptions): Promise<FakeModel> {
  return FakeModel.listen(opts);
}
