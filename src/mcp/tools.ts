/**
 * The contract of omni's MCP tools (server name `omni`): names, what each does, and its input
 * schema (JSON Schema). `omni mcp` (src/mcp/server.ts) lists these to any MCP client; Pi's
 * extension registers the same; the daemon (src/daemon/composer.ts) implements them. The names
 * are a public contract: do not rename.
 */
export const MCP_SERVER_NAME = 'omni';

export type McpToolName = 'omni_agents' | 'omni_spawn' | 'omni_send' | 'omni_wait' | 'omni_read' | 'omni_diff' | 'omni_stop' | 'omni_sessions';

export interface McpToolDef {
  name: McpToolName;
  description: string;
  inputSchema: { type: 'object'; properties: Record<string, unknown>; required?: string[]; additionalProperties?: boolean };
}

const session = { type: 'string', description: 'A session id (s_…) or name, one of your sub-agents.' };

export const MCP_TOOLS: readonly McpToolDef[] = [
  {
    name: 'omni_agents',
    description: 'What you may start: each agent by name, its harness, model and whether it gets its own git worktree.',
    inputSchema: { type: 'object', properties: {}, additionalProperties: false },
  },
  {
    name: 'omni_spawn',
    description:
      'Start a sub-agent in its own omni session (a tmux pane), give it a prompt, and return at once. Name an agent from omni_agents (or a harness, when you may start any). Returns its session id, name, harness, and worktree and branch when it works in its own git worktree.',
    inputSchema: {
      type: 'object',
      properties: {
        agent: { type: 'string', description: 'An agent name from omni_agents.' },
        harness: { type: 'string', description: 'A harness to start ad hoc (claude, codex, pi…), instead of agent.' },
        prompt: { type: 'string', description: "The task: typed into the sub-agent's session once it is ready (after the agent's own prompt, if it has one)." },
        name: { type: 'string', description: 'Session name (letters, digits, - and _). Default: the agent name and a number, e.g. coder-1.' },
        worktree: { type: 'boolean', description: "Work in a new git worktree of your repository (branch omni/<name>). Default: the agent's own setting." },
        base: { type: 'string', description: 'The commit or branch the worktree starts from. Default: your HEAD.' },
      },
      required: ['prompt'],
      additionalProperties: false,
    },
  },
  {
    name: 'omni_send',
    description: 'Type a message into a sub-agent, as a person would. Returns once it took the message (or queued it while busy).',
    inputSchema: { type: 'object', properties: { session, text: { type: 'string' } }, required: ['session', 'text'], additionalProperties: false },
  },
  {
    name: 'omni_wait',
    description:
      'Wait until sub-agents finish their turn. for=idle: every listed session is idle (done with its turn) or ended; exited: every one has ended; any: at least one is idle or ended. Returns each session\'s status, and timedOut if timeout_s passed first.',
    inputSchema: {
      type: 'object',
      properties: {
        sessions: { type: 'array', items: { type: 'string' }, minItems: 1, description: 'Session ids or names.' },
        for: { type: 'string', enum: ['idle', 'exited', 'any'], default: 'idle' },
        timeout_s: { type: 'number', minimum: 0, maximum: 3600, default: 300 },
      },
      required: ['sessions'],
      additionalProperties: false,
    },
  },
  {
    name: 'omni_read',
    description:
      "What a sub-agent said and did, compactly: its assistant messages and tool calls after a point. Pass the returned `next` as `since` to read on; `last` gives only the last N entries.",
    inputSchema: {
      type: 'object',
      properties: { session, since: { type: 'integer', minimum: 0, description: 'An event seq: entries after it.' }, last: { type: 'integer', minimum: 1, maximum: 500 } },
      required: ['session'],
      additionalProperties: false,
    },
  },
  {
    name: 'omni_diff',
    description: "The unified diff of a sub-agent's worktree against its base: committed, uncommitted and new files.",
    inputSchema: { type: 'object', properties: { session }, required: ['session'], additionalProperties: false },
  },
  {
    name: 'omni_stop',
    description: 'Stop a sub-agent (and the sub-agents it started). Its worktree and branch are kept.',
    inputSchema: { type: 'object', properties: { session }, required: ['session'], additionalProperties: false },
  },
  {
    name: 'omni_sessions',
    description: 'Your sub-agents (all descendants): name, harness, status, parent, worktree, and cost (own and with their children).',
    inputSchema: { type: 'object', properties: {}, additionalProperties: false },
  },
];

/** What the daemon answers a tool call with (agent socket `POST /mcp/call`, control socket `POST /v1/mcp/call`). */
export type McpCallReply = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } };
