import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { startRequest } from '../../src/cli/commands/polly.js';
import { OmniError } from '../../src/core/errors.js';
import type { PollyRun } from '../../src/polly/types.js';
import { pollyRun, review, task } from '../helpers/polly-run.js';

/**
 * The `omni polly` commands in-process (commander, the client, the output) against a stand-in
 * for the daemon on the control socket that answers the Polly API as docs/POLLY.md fixes it and
 * records what it was sent. Without a terminal: the commands print, they open no board.
 */
describe('omni polly (commands against a stand-in daemon)', () => {
  let dir: string;
  let server: http.Server;
  const got: Array<{ method: string; url: string; body: unknown }> = [];
  let run: PollyRun;
  const saved = { home: process.env.OMNI_HOME };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omp-'));
    fs.mkdirSync(path.join(dir, 'run'), { recursive: true });
    process.env.OMNI_HOME = dir;
    server = http.createServer((req, res) => {
      let data = '';
      req.on('data', (c) => (data += c)).on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        got.push({ method: req.method ?? '', url: req.url ?? '', body: data ? JSON.parse(data) : undefined });
        const send = (status: number, body: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        const m = url.pathname.match(/^\/v1\/polly(?:\/([^/]+))?(\/.*)?$/);
        if (!m) return send(404, { error: { code: 'not_found', message: `no route ${url.pathname}` } });
        const [, ref, rest] = m;
        if (!ref) return req.method === 'POST' ? send(200, { run: { ...run, goal: (JSON.parse(data) as { goal: string }).goal } }) : send(200, { runs: [run] });
        if (ref !== run.id && ref !== 'latest') return send(404, { error: { code: 'not_found', message: `no Polly run "${ref}" (runs: ${run.id})` } });
        if (!rest) return send(200, { run });
        if (rest === '/stop') return send(200, { run: { ...run, status: 'stopped' } });
        return send(404, { error: { code: 'not_found', message: `no route ${url.pathname}` } });
      });
    });
    await new Promise<void>((r) => server.listen(path.join(dir, 'run', 'omni.sock'), r));
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    if (saved.home === undefined) delete process.env.OMNI_HOME;
    else process.env.OMNI_HOME = saved.home;
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    got.length = 0;
    run = pollyRun([task('t1', { status: 'approved', reviews: [review(1, 'approve')], round: 1 }), task('t2', { after: ['t1'] })], { costUsd: 0.5 });
  });

  /** Run `omni …`; its exit code, stdout and stderr. */
  async function omni(...args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
    try {
      const code = await main(['node', 'omni', ...args]);
      return { code, stdout: out.join(''), stderr: err.join('') };
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
  }

  it('omni polly "goal" posts the goal, this directory, this environment and the flags; prints the run id (--json: {run})', async () => {
    const r = await omni('polly', 'add rate limiting', '--workers', 'claude, codex', '--reviewers', 'pi', '--check', 'npm test', '--parallel', '3', '--rounds', '1', '--lead', 'codex');
    expect(r.stderr).toBe('');
    expect(r).toMatchObject({ code: 0, stdout: `${run.id}\n` });
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ method: 'POST', url: '/v1/polly' });
    const body = got[0]!.body as Record<string, unknown>;
    expect(body).toMatchObject({ goal: 'add rate limiting', cwd: process.cwd(), workers: ['claude', 'codex'], reviewers: ['pi'], check: 'npm test', parallel: 3, rounds: 1, lead: 'codex' });
    expect((body.env as Record<string, string>).OMNI_HOME).toBe(dir);
    const j = await omni('polly', 'start', 'another goal', '--json');
    expect(JSON.parse(j.stdout)).toMatchObject({ run: { id: run.id, goal: 'another goal' } });
    expect(got[1]!.body).not.toHaveProperty('workers'); // the daemon's defaults
  });

  it('bad flags are refused before anything is sent (exit 2)', async () => {
    expect((await omni('polly', 'x', '--parallel', '0')).code).toBe(2);
    expect((await omni('polly', 'x', '--workers', ' , ')).stderr).toContain('--workers needs at least one harness name');
    expect((await omni('polly')).code).toBe(2); // no goal
    expect(got).toEqual([]);
    expect(() => startRequest('  ', {}, '/', {})).toThrow(OmniError);
  });

  it('board --json prints {run, rows} once; without a terminal, the plain table; latest asks with this directory', async () => {
    const j = await omni('polly', 'board', '--json');
    expect(j.code).toBe(0);
    const parsed = JSON.parse(j.stdout) as { run: PollyRun; rows: Array<{ id: string; review?: string; after: string[] }> };
    expect(parsed.run.id).toBe(run.id);
    expect(parsed.rows.map((x) => [x.id, x.review ?? null, x.after])).toEqual([
      ['t1', 'approve r1', []],
      ['t2', null, ['t1']],
    ]);
    expect(got[0]!.url).toBe(`/v1/polly/latest?${new URLSearchParams({ cwd: process.cwd() })}`);
    const plain = await omni('polly', 'board', run.id);
    expect(plain.stdout).toMatch(/^Polly p_abc12345 running/);
    expect(plain.stdout).toMatch(/t2\s+title of t2\s+claude\s+working\s+omni\/polly1-t2/);
  });

  it('an unknown run is the daemon\'s 404, listing the runs (exit 3)', async () => {
    for (const args of [['board', 'p_nope'], ['merge', 'p_nope'], ['stop', 'p_nope']]) {
      const r = await omni('polly', ...args);
      expect(r.code, args.join(' ')).toBe(3);
      expect(r.stderr).toBe(`omni: no Polly run "p_nope" (runs: ${run.id})\n`);
    }
  });

  it('ls --json is the runs as an array; ls a table; stop resolves the run, then stops it by id', async () => {
    expect(JSON.parse((await omni('polly', 'ls', '--json')).stdout)).toEqual([run]);
    const table = (await omni('polly', 'ls')).stdout.split('\n');
    expect(table[0]).toMatch(/^RUN\s+STATUS\s+TASKS\s+COST\s+AGE\s+GOAL$/);
    expect(table[1]).toMatch(/^p_abc12345\s+running\s+1 working, 1 approved\s+\$0\.50\s+\S+\s+add rate limiting to the API$/);
    got.length = 0;
    const s = await omni('polly', 'stop');
    expect(s).toMatchObject({ code: 0, stdout: 'stopped p_abc12345 (1 working, 1 approved)\n' });
    expect(got.map((g) => `${g.method} ${g.url.split('?')[0]}`)).toEqual(['GET /v1/polly/latest', 'POST /v1/polly/p_abc12345/stop']);
  });

  it('merge --task of a task that is not approved: exit 2, nothing merged', async () => {
    const r = await omni('polly', 'merge', run.id, '--task', 't2', '--yes');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('omni: task t2 is working, not approved: approve it first (y on omni polly board, or its review)\n');
    expect(got.map((g) => g.method)).toEqual(['GET']);
  });
});
