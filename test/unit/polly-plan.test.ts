import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { baseFor, pathsOverlap, planFromText, promoteReady, tasksToStart, validatePlan, type PlanContext } from '../../src/polly/plan.js';
import type { PollyTask, TaskStatus } from '../../src/polly/types.js';

const VENDORS: Record<string, string> = { claude: 'anthropic', codex: 'openai', pi: 'pi' };
const ctx = (workers = ['claude', 'codex'], reviewers = ['claude', 'codex', 'pi']): PlanContext => ({
  workers,
  reviewers,
  vendorOf: (h) => VENDORS[h] ?? h,
});

const ok = (raw: unknown, c = ctx()): PollyTask[] => {
  const r = validatePlan(raw, c);
  if (!r.ok) throw new Error(`refused: ${r.errors.join(' | ')}`);
  return r.tasks;
};
const errs = (raw: unknown, c = ctx()): string[] => {
  const r = validatePlan(raw, c);
  if (r.ok) throw new Error('accepted');
  return r.errors;
};
const t = (id: string, extra: Record<string, unknown> = {}) => ({ id, title: `title ${id}`, brief: `brief ${id}`, ...extra });

describe('validatePlan', () => {
  it('turns a plan into tasks: harness round-robin, ready/waiting, round 0', () => {
    const tasks = ok({ tasks: [t('t1'), t('t2', { depends_on: ['t1'] }), t('t3', { worker: 'claude' }), t('t4')] });
    expect(tasks.map((x) => [x.id, x.harness, x.status, x.after])).toEqual([
      ['t1', 'claude', 'ready', []],
      ['t2', 'codex', 'waiting', ['t1']],
      ['t3', 'claude', 'ready', []],
      ['t4', 'claude', 'ready', []],
    ]);
    expect(tasks[0]).toMatchObject({ title: 'title t1', brief: 'brief t1', round: 0, reviews: [] });
    expect(tasks[2]!.worker).toBe('claude');
    expect(tasks[0]!.worker).toBeUndefined();
  });

  it('refuses bad ids, duplicates, missing title/brief, with sentences naming the task', () => {
    expect(errs({ tasks: [t('t 1')] })).toEqual(['task t 1: the id must be 1 to 40 letters, digits, - or _']);
    expect(errs({ tasks: [t('x'.repeat(41))] })[0]).toMatch(/1 to 40/);
    expect(errs({ tasks: [t('t1'), t('t1')] })).toEqual(['task t1: the id is used by an earlier task; ids must be unique']);
    expect(errs({ tasks: [{ id: 't1', title: '  ', brief: 'b' }] })).toEqual(['task t1: "title" must be a non-empty string']);
    expect(errs({ tasks: [{ id: 't1', title: 'x' }] })).toEqual(['task t1: "brief" must be a non-empty string']);
    expect(errs({ tasks: [{ title: 'x', brief: 'y' }] })).toEqual(['task 1 has no "id": give it a short id such as "t1"']);
    expect(errs({ tasks: ['do it'] })[0]).toMatch(/^task 1 is not an object/);
    expect(errs({ tasks: [t('t1', { files: 'src/a.ts' })] })).toEqual(['task t1: "files" must be an array of non-empty strings']);
  });

  it('refuses depends_on naming unknown tasks or itself', () => {
    expect(errs({ tasks: [t('t1'), t('t2', { depends_on: ['t9'] })] })).toEqual([
      'task t2: depends_on names t9, which is not in the plan (tasks: t1, t2)',
    ]);
    expect(errs({ tasks: [t('t1', { depends_on: ['t1'] })] })).toEqual(['task t1: depends_on names the task itself']);
  });

  it('refuses cycles, naming the cycle', () => {
    const e = errs({ tasks: [t('a', { depends_on: ['c'] }), t('b', { depends_on: ['a'] }), t('c', { depends_on: ['b'] }), t('d')] });
    expect(e).toHaveLength(1);
    expect(e[0]).toMatch(/^depends_on has a cycle: (a → c → b → a|b → a → c → b|c → b → a → c)/);
  });

  it('refuses a worker not in the run, listing the workers', () => {
    expect(errs({ tasks: [t('t1', { worker: 'gemini' })] })).toEqual(['task t1: worker "gemini" is not one of this run\'s workers (claude, codex)']);
  });

  it('refuses a task whose harness has no reviewer of another vendor', () => {
    const e = errs({ tasks: [t('t1'), t('t2'), t('t3', { worker: 'codex' })] }, ctx(['claude', 'codex'], ['claude']));
    expect(e).toEqual(['task t1: no reviewer of another vendor for worker claude (anthropic); reviewers: claude (anthropic); give it another "worker"']);
    expect(errs({ tasks: [t('t1'), t('t2')] }, ctx(['claude'], ['claude', 'claude']))).toEqual([
      'tasks t1, t2: no reviewer of another vendor for worker claude (anthropic); reviewers: claude (anthropic), claude (anthropic); give them another "worker"',
    ]);
    expect(ok({ tasks: [t('t1'), t('t2', { worker: 'codex' })] }, ctx(['claude', 'codex'], ['claude', 'codex']))).toHaveLength(2);
  });

  it('refuses empty, oversized and shapeless plans', () => {
    expect(errs({ tasks: [] })[0]).toMatch(/no tasks/);
    expect(errs({ tasks: Array.from({ length: 21 }, (_, i) => t(`t${i}`)) })[0]).toMatch(/21 tasks; at most 20/);
    expect(ok({ tasks: Array.from({ length: 20 }, (_, i) => t(`t${i}`)) })).toHaveLength(20);
    expect(errs({ steps: [] })[0]).toMatch(/"tasks"/);
    expect(errs('plan')[0]).toMatch(/"tasks"/);
  });

  it('sequences tasks whose files overlap, in plan order, merged with depends_on', () => {
    const tasks = ok({
      tasks: [
        t('a', { files: ['src/api/server.ts'] }),
        t('b', { files: ['./src/api/server.ts'] }),
        t('c', { files: ['src/util/**'] }),
        t('d', { files: ['src/util/time.ts', 'docs'] }),
        t('e', { files: ['docs/API.md'], depends_on: ['a'] }),
        t('f', { files: ['test/x.test.ts'] }),
      ],
    });
    expect(Object.fromEntries(tasks.map((x) => [x.id, x.after]))).toEqual({ a: [], b: ['a'], c: [], d: ['c'], e: ['a', 'd'], f: [] });
    expect(tasks.filter((x) => x.status === 'ready').map((x) => x.id)).toEqual(['a', 'c', 'f']);
  });
});

describe('validatePlan on anything (fast-check)', () => {
  it('never throws: any JSON value, and plan-shaped values with junk fields, give ok or sentences', () => {
    const junk = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }), fc.json());
    const taskish = fc.record({ id: junk, title: junk, brief: junk, files: junk, depends_on: junk, worker: junk }, { requiredKeys: [] });
    const planish = fc.oneof(fc.jsonValue(), fc.record({ tasks: fc.array(fc.oneof(taskish, fc.jsonValue()), { maxLength: 22 }) }));
    fc.assert(
      fc.property(planish, (raw) => {
        const r = validatePlan(raw, ctx());
        if (r.ok) expect(r.tasks.length).toBeGreaterThan(0);
        else for (const e of r.errors) expect(typeof e === 'string' && e.length > 0).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('pathsOverlap', () => {
  it.each([
    ['src/a.ts', 'src/a.ts', true],
    ['src/a.ts', 'src/b.ts', false],
    ['src', 'src/a.ts', true],
    ['src/', 'src/a/b.ts', true],
    ['src/a', 'src/ab.ts', false],
    ['src/*.ts', 'src/a.ts', true],
    ['src/*.ts', 'src/a/b.ts', false],
    ['src/**/*.ts', 'src/a/b.ts', true],
    ['src/**/*.ts', 'src/a', true],
    ['src/lib/*.ts', 'src', true],
    ['src/*.ts', 'test/*.ts', false],
    ['src/**', 'src/lib/*.ts', true],
    ['.', 'anything', true],
    ['src/.env', 'src/*', true],
  ])('%s vs %s → %s', (a, b, want) => {
    expect(pathsOverlap(a, b)).toBe(want);
    expect(pathsOverlap(b, a)).toBe(want);
  });
});

describe('planFromText', () => {
  it('reads the last ```json block with tasks, with prose around it', () => {
    const text = `Here is a draft:\n\`\`\`json\n{"tasks":[{"id":"old","title":"x","brief":"y"}]}\n\`\`\`\nBetter:\n\`\`\`json\n{"tasks":[{"id":"t1","title":"x","brief":"y"}]}\n\`\`\`\nDone.`;
    const r = planFromText(text, ctx());
    expect(r.ok && r.tasks.map((x) => x.id)).toEqual(['t1']);
  });

  it('falls back to a bare object with "tasks"; ignores later JSON without tasks', () => {
    const text = `Plan: {"tasks":[{"id":"t1","title":"x","brief":"y"}]} and config {"a":1}`;
    const r = planFromText(text, ctx());
    expect(r.ok && r.tasks.map((x) => x.id)).toEqual(['t1']);
  });

  it('says so when there is no plan', () => {
    const r = planFromText('I think we should add a middleware.', ctx());
    expect(r).toMatchObject({ ok: false, errors: [expect.stringMatching(/no plan in your answer/)] });
  });

  it('validates what it found', () => {
    const r = planFromText('```json\n{"tasks":[{"id":"t1","title":"x"}]}\n```', ctx());
    expect(r).toEqual({ ok: false, errors: ['task t1: "brief" must be a non-empty string'] });
  });
});

const mk = (id: string, status: TaskStatus, after: string[] = [], branch?: string): PollyTask => ({
  id,
  title: id,
  brief: id,
  status,
  after,
  harness: 'claude',
  round: 0,
  reviews: [],
  ...(branch ? { session: { session: `s_${id}`, name: id, harness: 'claude', vendor: 'anthropic', branch, worktree: `/w/${id}`, base: 'main' } } : {}),
});

describe('promoteReady / tasksToStart / baseFor', () => {
  it('promotes waiting tasks once every prerequisite is approved or merged', () => {
    const tasks = [mk('a', 'approved'), mk('b', 'merged'), mk('c', 'waiting', ['a', 'b']), mk('d', 'waiting', ['a', 'e']), mk('e', 'needs_person')];
    expect(promoteReady(tasks)).toEqual(['c']);
    expect(tasks.map((x) => x.status)).toEqual(['approved', 'merged', 'ready', 'waiting', 'needs_person']);
    expect(promoteReady(tasks)).toEqual([]);
  });

  it('starts ready tasks in plan order, counting working and reviewing against parallel', () => {
    const tasks = [mk('a', 'working'), mk('b', 'ready'), mk('c', 'reviewing'), mk('d', 'ready'), mk('e', 'ready')];
    expect(tasksToStart(tasks, 3)).toEqual(['b']);
    expect(tasksToStart(tasks, 2)).toEqual([]);
    expect(tasksToStart(tasks, 10)).toEqual(['b', 'd', 'e']);
    expect(tasksToStart([mk('a', 'ready'), mk('b', 'ready')], 0)).toEqual(['a']);
  });

  it('bases a task on its single prerequisite branch, else the run base', () => {
    const tasks = [mk('a', 'approved', [], 'polly/a'), mk('b', 'merged', [], 'polly/b'), mk('c', 'ready', ['a']), mk('d', 'ready', ['a', 'b']), mk('e', 'ready', ['b']), mk('f', 'ready')];
    expect(baseFor(tasks[2]!, tasks, 'main')).toBe('polly/a');
    expect(baseFor(tasks[3]!, tasks, 'main')).toBe('main');
    expect(baseFor(tasks[4]!, tasks, 'main')).toBe('main');
    expect(baseFor(tasks[5]!, tasks, 'main')).toBe('main');
  });
});

describe('sequencing invariants (fast-check)', () => {
  const FILES = ['src/a.ts', 'src/b.ts', 'src/**', 'src/lib/*.ts', 'src/lib/c.ts', 'docs', 'docs/X.md', 'test/*.test.ts', 'test/a.test.ts'];
  const planArb = fc
    .array(
      fc.record({
        files: fc.subarray(FILES, { maxLength: 3 }),
        deps: fc.array(fc.nat(19), { maxLength: 3 }),
      }),
      { minLength: 1, maxLength: 20 },
    )
    // Dependencies only on earlier tasks: acyclic by construction (cycles are tested above).
    .map((specs) => ({ tasks: specs.map((s, i) => t(`t${i}`, { files: s.files, depends_on: [...new Set(s.deps.filter((d) => d < i).map((d) => `t${d}`))] })) }));

  it('`after` holds every dependency, only earlier tasks (so it is acyclic), and every earlier overlapping task', () => {
    fc.assert(
      fc.property(planArb, (plan) => {
        const tasks = ok(plan);
        tasks.forEach((task, i) => {
          const earlier = tasks.slice(0, i).map((x) => x.id);
          for (const a of task.after) expect(earlier).toContain(a);
          for (const d of task.depends_on ?? []) expect(task.after).toContain(d);
          for (const e of tasks.slice(0, i)) {
            const shares = (task.files ?? []).some((f) => (e.files ?? []).some((g) => pathsOverlap(f, g)));
            if (shares) expect(task.after).toContain(e.id);
          }
        });
      }),
      { numRuns: 300 },
    );
  });

  it('simulated runs: no two tasks sharing a file are active at once, parallel holds, every task finishes', () => {
    const active = (s: TaskStatus) => s === 'ready' || s === 'working' || s === 'reviewing';
    fc.assert(
      fc.property(planArb, fc.integer({ min: 1, max: 4 }), fc.array(fc.nat(), { minLength: 200, maxLength: 200 }), (plan, parallel, choices) => {
        const tasks = ok(plan);
        for (const c of choices) {
          promoteReady(tasks);
          for (const id of tasksToStart(tasks, parallel)) tasks.find((x) => x.id === id)!.status = 'working';
          const live = tasks.filter((x) => active(x.status));
          for (const x of live) for (const y of live) if (x !== y) expect(pathsOverlap_any(x, y)).toBe(false);
          expect(tasks.filter((x) => x.status === 'working' || x.status === 'reviewing').length).toBeLessThanOrEqual(parallel);
          const busy = tasks.filter((x) => x.status === 'working' || x.status === 'reviewing');
          if (busy.length === 0) break;
          const pick = busy[c % busy.length]!;
          pick.status = pick.status === 'working' ? 'reviewing' : c % 3 === 0 ? 'working' : c % 2 ? 'approved' : 'merged';
        }
        // Drain: approve everything that is busy until nothing can move.
        for (let i = 0; i < 100; i++) {
          promoteReady(tasks);
          for (const id of tasksToStart(tasks, parallel)) tasks.find((x) => x.id === id)!.status = 'working';
          const busy = tasks.filter((x) => x.status === 'working' || x.status === 'reviewing');
          if (busy.length === 0) break;
          for (const b of busy) b.status = 'approved';
        }
        expect(tasks.every((x) => x.status === 'approved' || x.status === 'merged')).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

function pathsOverlap_any(x: PollyTask, y: PollyTask): boolean {
  return (x.files ?? []).some((f) => (y.files ?? []).some((g) => pathsOverlap(f, g)));
}
