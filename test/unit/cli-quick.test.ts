import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { EVENTS_OPTIONS, LS_OPTIONS, quickParse } from '../../src/cli/quick.js';

/** What commander makes of the same argv, with the options declared as main.ts declares them. */
function viaCommander(argv: string[]): { args: string[]; opts: Record<string, unknown> } {
  const program = new Command().exitOverride();
  let got!: { args: string[]; opts: Record<string, unknown> };
  const ls = program.command('ls').alias('list');
  for (const o of LS_OPTIONS) ls.option(o.flags, o.description, o.default);
  ls.action((opts: Record<string, unknown>) => (got = { args: [], opts }));
  const events = program.command('events').argument('<session>');
  for (const o of EVENTS_OPTIONS) events.option(o.flags, o.description, o.default);
  events.action((ref: string, opts: Record<string, unknown>) => (got = { args: [ref], opts }));
  program.parse(argv, { from: 'user' });
  return got;
}

describe('the quick path (omni ls / omni events without commander)', () => {
  it.each([
    ['ls'],
    ['list', '--json'],
    ['ls', '-a', '--wide', '--json'],
    ['events', 's1'],
    ['events', '--json', 's1', '-n', '100'],
    ['events', 's1', '--since', '42', '--last', '7', '-f', '--json'],
  ])('parses %j as commander does', (...argv) => {
    expect(quickParse(argv)).toEqual(viaCommander(argv));
  });

  it.each([['ls', '--tag', 'x'], ['ls', '-aw'], ['ls', '--help'], ['ls', 'extra'], ['events'], ['events', 'a', 'b'], ['events', 's', '--since=3'], ['events', 's', '--last'], ['events', 's', '--since', '-1'], ['cost', '--json'], []])(
    'leaves %j to commander',
    (...argv) => {
      expect(quickParse(argv)).toBeUndefined();
    },
  );
});
