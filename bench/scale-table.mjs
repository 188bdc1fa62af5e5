// The scale bench's table (bench/scale.mjs): its JSON summary laid out for people, ending with
// the JSON line itself.

import { f2 } from './lib.mjs';

const MiB = 1024 * 1024;

export function table(s) {
  const L = [];
  const w = 44;
  const row = (label, v, unit, ratios = '') => L.push(`${label.padEnd(w)}${(typeof v === 'number' ? f2(v, 10) : String(v).padStart(10))} ${unit.padEnd(5)}${ratios}`);
  const xr = (c) => (typeof c === 'string' ? '' : `${f2(c.xNode, 7)}× node -e 0 ${f2(c.xLs, 7)}× omni ls`);
  L.push('');
  L.push(`scale: ${s.state.sessions} sessions (${s.state.live} live), ${s.state.events} events, ${(s.state.bytes / MiB).toFixed(0)} MiB${s.quick ? ' (--quick)' : ''}`);
  L.push(`${s.machine.cpus} CPUs (${s.machine.cpu}), Node ${s.machine.node}, ${s.machine.tmux}; load average ${s.machine.loadavg1.before} before, ${s.machine.loadavg1.after} after`);
  L.push('');
  row('baseline: node -e 0', s.baseline.nodeMs, 'ms');
  row('baseline: omni ls --json', s.baseline.lsMs, 'ms', xr(s.commands.ls));
  for (const [k, label] of [
    ['noHistory', 'daemon start 0 (live sessions, no history)'],
    ['first', 'daemon start 1 (no summaries)'],
    ['second', 'daemon start 2 (what start 1 left)'],
  ]) {
    const d = s.start[k];
    row(`${label}: first answer`, d.answerMs, 'ms', `${f2(d.xNode, 7)}× node -e 0${d.xNoHistory !== undefined ? ` ${f2(d.xNoHistory, 7)}× no history` : ''}`);
    row('  first hook answer (live session)', d.hookMs, 'ms');
    row('  CPU at first answer / settled', `${f2(d.cpuS, 0)} / ${f2(d.settledCpuS, 0)}`, 's');
    row('  RSS at first answer / settled / peak', `${f2(d.rssMiB, 0)} / ${f2(d.settledRssMiB, 0)} / ${f2(d.settledHwmMiB, 0)}`, 'MiB');
    row('  settled after', d.settledMs, 'ms');
    row('  open fds (settled)', d.fds, '');
  }
  row('daemon peak RSS after the cost calls', s.rss.peakWithCostMiB, 'MiB');
  const c = s.commands;
  row('omni cost --json', c.cost.ms, 'ms', xr(c.cost));
  row('omni cost --json --by model', c.costByModel.ms, 'ms', xr(c.costByModel));
  row('omni cost --json --by day', c.costByDay.ms, 'ms', xr(c.costByDay));
  row(`omni events <${s.state.eventsSession.events} events> --json`, c.eventsFull.ms, 'ms', xr(c.eventsFull));
  row('  --since <last-100>', c.eventsSince.ms, 'ms', xr(c.eventsSince));
  row('  --last 100', typeof c.eventsLast === 'string' ? c.eventsLast : c.eventsLast.ms, typeof c.eventsLast === 'string' ? '' : 'ms', xr(c.eventsLast));
  const h = s.hooks;
  row('hook p50 / p99, idle', `${f2(h.idle.p50, 0)} / ${f2(h.idle.p99, 0)}`, 'ms', `  n ${h.idle.n}`);
  row('hook p50 / p99 / max, under cost+events', `${f2(h.load.p50, 0)} / ${f2(h.load.p99, 0)} / ${f2(h.load.max, 0)}`, 'ms', `  n ${h.load.n}, p99 ${f2(h.p99Ratio, 0)}× idle; load runs ${JSON.stringify(h.load.loadRuns)}`);
  L.push('');
  L.push(`live sessions adopted: ${s.liveAdopted} of ${s.state.live}; cache integrity: ${s.integrity}${s.failures ? `; FAILURES: ${s.failures}` : ''}`);
  if (h.idle.firstWhy || h.load.firstWhy) L.push(`first hook failure: ${h.idle.firstWhy ?? h.load.firstWhy}`);
  L.push('');
  L.push(JSON.stringify(s));
  return L.join('\n');
}
