// The bench suite: every bench, the figures its JSON summary must hold (each a finite number)
// and the check that its run is sound. bench/run-all.mjs runs them (`npm run bench`) and
// test/integration/bench.test.ts runs each in its --quick mode in CI: a bench that breaks or
// stops reporting a figure fails there, so the suite cannot rot unnoticed.

/**
 * name, script (in bench/), figures (key paths into the JSON summary; `any` = at least one
 * number and no null anywhere, for a bench whose keys are its own), ok (the run's own checks),
 * headline ([label, path, unit]: the runner's summary table).
 */
export const BENCHES = [
  {
    name: 'hook-latency',
    script: 'hook-latency.mjs',
    figures: [
      ['figures', 'noop', 'p50'],
      ['figures', 'omni', 'p50'],
      ['figures', 'omni', 'p99'],
      ['figures', 'curl', 'p50'],
      ['figures', 'http', 'p50'],
      ['figures', 'http', 'p99'],
      ['addedByOmni', 'p50'],
      ['addedByOmni', 'p99'],
    ],
    ok: (s) => (s.failures === 0 ? (s.toolCallEvents?.seen === s.toolCallEvents?.expected ? undefined : `the daemon logged ${s.toolCallEvents?.seen} of ${s.toolCallEvents?.expected} calls`) : `${s.failures} failed calls`),
    headline: [
      ['added by omni p50', ['addedByOmni', 'p50'], 'ms'],
      ['added by omni p99', ['addedByOmni', 'p99'], 'ms'],
    ],
  },
  {
    name: 'policy-latency',
    script: 'policy-latency.mjs',
    figures: [
      ['inProcess', 'figures', 'none', 'p50'],
      ['inProcess', 'figures', 'p20', 'p50'],
      ['inProcess', 'figures', 'p20', 'p99'],
      ['inProcess', 'ratio', 'p50'],
      ['e2e', 'figures', 'hookNone', 'p50'],
      ['e2e', 'figures', 'hookPol', 'p50'],
      ['e2e', 'figures', 'httpPol', 'p99'],
      ['e2e', 'addedByPolicies', 'hook', 'p50'],
    ],
    ok: (s) => (s.e2e?.failures === 0 ? (s.e2e.checksOk ? undefined : `event checks failed: ${JSON.stringify(s.e2e.checks)}`) : `${s.e2e?.failures} failed calls`),
    headline: [
      ['20 policies / none, in process p50', ['inProcess', 'ratio', 'p50'], '×'],
      ['added by 20 policies, hook p50', ['e2e', 'addedByPolicies', 'hook', 'p50'], 'ms'],
    ],
  },
  {
    name: 'egress-proxy',
    script: 'egress-proxy.mjs',
    figures: [
      ['ms', 'httpsNewDirect', 'p50'],
      ['ms', 'httpsNewProxy', 'p50'],
      ['ms', 'httpsKaProxy', 'p99'],
      ['added', 'https new conn', 'p50'],
      ['added', 'https keep-alive', 'p50'],
      ['mbps', 'downHttpsProxy'],
      ['throughputRatio', 'download https'],
      ['leafMs', 'p50'],
      ['caMs', 'p50'],
    ],
    ok: (s) => (s.failures === 0 ? undefined : `${s.failures} failed requests`),
    headline: [
      ['added, https new connection p50', ['added', 'https new conn', 'p50'], 'ms'],
      ['download https, proxy / direct', ['throughputRatio', 'download https'], '×'],
    ],
  },
  {
    name: 'scale',
    script: 'scale.mjs',
    figures: [
      ['baseline', 'nodeMs'],
      ['baseline', 'lsMs'],
      ['start', 'first', 'answerMs'],
      ['start', 'first', 'hookMs'],
      ['start', 'first', 'cpuS'],
      ['start', 'first', 'rssMiB'],
      ['start', 'noHistory', 'answerMs'],
      ['start', 'second', 'xNoHistory'],
      ['start', 'second', 'answerMs'],
      ['start', 'second', 'cpuS'],
      ['start', 'second', 'settledRssMiB'],
      ['start', 'second', 'settledHwmMiB'],
      ['start', 'second', 'fds'],
      ['rss', 'peakWithCostMiB'],
      ['commands', 'cost', 'ms'],
      ['commands', 'costByModel', 'ms'],
      ['commands', 'costByDay', 'ms'],
      ['commands', 'ls', 'ms'],
      ['commands', 'eventsFull', 'ms'],
      ['commands', 'eventsSince', 'ms'],
      ['hooks', 'idle', 'p50'],
      ['hooks', 'idle', 'p99'],
      ['hooks', 'load', 'p50'],
      ['hooks', 'load', 'p99'],
    ],
    ok: (s) => {
      if (s.failures !== 0) return `${s.failures} failures (hooks ${s.hooks?.idle?.failures}+${s.hooks?.load?.failures}, load ${s.hooks?.load?.loadFailures}, integrity ${s.integrity})`;
      // --last is new (issue 12): "n/a" where this omni lacks it, else a figure like the others.
      const last = s.commands?.eventsLast;
      if (last !== 'n/a' && !Number.isFinite(last?.ms)) return `commands.eventsLast is ${JSON.stringify(last)}`;
      return undefined;
    },
    headline: [
      ['omni cost --json / omni ls --json', ['commands', 'cost', 'xLs'], '×'],
      ['daemon start 2, first answer', ['start', 'second', 'answerMs'], 'ms'],
      ['daemon RSS settled', ['start', 'second', 'settledRssMiB'], 'MiB'],
      ['hook p99 idle', ['hooks', 'idle', 'p99'], 'ms'],
      ['hook p99 under cost+events', ['hooks', 'load', 'p99'], 'ms'],
    ],
  },
  {
    // bench/idle.mjs (issue 12: daemon and dashboard CPU with idle sessions). Its keys are its
    // own: every figure it reports must be a number.
    name: 'idle',
    script: 'idle.mjs',
    figures: 'any',
    ok: (s) => (s.failures === undefined || s.failures === 0 ? undefined : `${s.failures} failures`),
    headline: [],
  },
  {
    // bench/compose.mjs (issue 14): omni_spawn against a direct create, omni's MCP tool round
    // trip (agent socket, control socket, `omni mcp` over stdio) against GET /v1/sessions.
    name: 'compose',
    script: 'compose.mjs',
    figures: [
      ['starts', 'create', 'firstIdle', 'p50'],
      ['starts', 'spawn', 'firstIdle', 'p50'],
      ['starts', 'spawn', 'firstIdle', 'p99'],
      ['starts', 'spawnWt', 'firstIdle', 'p50'],
      ['starts', 'create', 'turnDone', 'p50'],
      ['starts', 'spawn', 'turnDone', 'p50'],
      ['startRatio', 'spawnFirstIdleP50'],
      ['startRatio', 'spawnFirstIdleP99'],
      ['mcp', 'list', 'p50'],
      ['mcp', 'agentSock', 'p50'],
      ['mcp', 'agentSock', 'p99'],
      ['mcp', 'controlMcp', 'p50'],
      ['mcp', 'stdioAgent', 'p50'],
      ['mcp', 'stdioAgent', 'p99'],
      ['mcp', 'stdioUser', 'p50'],
      ['mcpRatio', 'agentSockP50'],
      ['mcpRatio', 'stdioAgentP50'],
    ],
    ok: (s) => (s.failures === 0 ? undefined : `${s.failures} failed runs: ${JSON.stringify(s.firstWhy)}`),
    headline: [
      ['omni_spawn / create, first idle p50', ['startRatio', 'spawnFirstIdleP50'], '×'],
      ['omni_sessions via omni mcp p50', ['mcp', 'stdioAgent', 'p50'], 'ms'],
      ['omni mcp / GET /v1/sessions p50', ['mcpRatio', 'stdioAgentP50'], '×'],
    ],
  },
];

const at = (obj, keys) => keys.reduce((o, k) => (o === null || o === undefined ? undefined : o[k]), obj);
export const figureAt = at;

/** Numbers (paths) and nulls (paths) anywhere in `v`: JSON turns NaN and Infinity into null. */
function leaves(v, pathSoFar = [], out = { numbers: [], nulls: [] }) {
  if (v === null) out.nulls.push(pathSoFar.join('.'));
  else if (typeof v === 'number') out.numbers.push(pathSoFar.join('.'));
  else if (typeof v === 'object') for (const [k, x] of Object.entries(v)) leaves(x, [...pathSoFar, k], out);
  return out;
}

/**
 * What is wrong with a bench's JSON summary: figures missing or not finite, or its own check
 * failing. An empty list means sound.
 */
export function problems(bench, summary) {
  if (!summary || typeof summary !== 'object') return ['no JSON summary'];
  const out = [];
  if (bench.figures === 'any') {
    const l = leaves(summary);
    if (!l.numbers.length) out.push('no figures at all');
    for (const p of l.nulls) out.push(`${p} is null (NaN or missing)`);
  } else {
    for (const keys of bench.figures) {
      const v = at(summary, keys);
      if (typeof v !== 'number' || !Number.isFinite(v)) out.push(`${keys.join('.')} is ${JSON.stringify(v)}, not a number`);
    }
  }
  const why = bench.ok(summary);
  if (why) out.push(why);
  return out;
}

/** The JSON summary in a bench's stdout: its last line that parses as a JSON object. */
export function lastJson(stdout) {
  const lines = String(stdout).trim().split('\n').reverse();
  for (const l of lines) {
    if (!l.startsWith('{')) continue;
    try {
      return JSON.parse(l);
    } catch {
      /* not this one */
    }
  }
  return undefined;
}
