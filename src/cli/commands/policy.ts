import { client } from '../context.js';
import { printJson, makeChalk, table } from '../output.js';
import { policyRefInput } from '../policy-refs.js';

interface Described {
  policies: Array<{ name: string; level: string; source?: string; phases: string[] }>;
  state: { labels: string[]; counters: Record<string, number>; sets: Record<string, string[]>; grants: string[] };
}

export async function policyAddCommand(ref: string, policy: string, opts: { json?: boolean }): Promise<number> {
  const r = await (await client()).request<Described & { added: { source: string } }>(`/v1/sessions/${encodeURIComponent(ref)}/policies`, {
    body: policyRefInput(policy),
  });
  if (opts.json) printJson(r);
  else process.stdout.write(`added ${r.added.source} to ${ref}: ${r.policies.filter((p) => p.level === 'session').map((p) => p.name).join(', ')}\n`);
  return 0;
}

export async function policyLsCommand(ref: string, opts: { json?: boolean }): Promise<number> {
  const r = await (await client()).request<Described>(`/v1/sessions/${encodeURIComponent(ref)}/policies`);
  if (opts.json) {
    printJson(r);
    return 0;
  }
  if (!r.policies.length) {
    process.stdout.write(`no policies on ${ref}\n`);
    return 0;
  }
  const c = makeChalk();
  process.stdout.write(table([['POLICY', 'LEVEL', 'PHASES', 'SOURCE'], ...r.policies.map((p) => [p.name, p.level, p.phases.join(','), p.source ?? ''])], c) + '\n');
  const s = r.state;
  const parts = [
    s.labels.length ? `labels: ${s.labels.join(', ')}` : '',
    Object.keys(s.counters).length ? `counters: ${Object.entries(s.counters).map(([k, v]) => `${k}=${v}`).join(', ')}` : '',
    Object.keys(s.sets).length ? `sets: ${Object.entries(s.sets).map(([k, v]) => `${k}(${v.length})`).join(', ')}` : '',
  ].filter(Boolean);
  if (parts.length) process.stdout.write(`state: ${parts.join('; ')}\n`);
  return 0;
}
