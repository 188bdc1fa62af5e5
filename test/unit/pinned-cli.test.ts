import { describe, expect, it } from 'vitest';
import { HARNESS_BIN, pinnedCli } from '../helpers/omni.js';

/** Tests of a pinned agent CLI skip only off CI: under CI a missing one fails the run. */
describe('pinnedCli', () => {
  const missing = 'no-such-agent-cli';

  it('skips (false) when the CLI is missing and CI is not set', () => {
    expect(pinnedCli(missing, {})).toBe(false);
    expect(pinnedCli(missing, { CI: 'false' })).toBe(false);
    expect(pinnedCli(missing, { CI: '0' })).toBe(false);
  });

  it('throws when the CLI is missing and CI is set', () => {
    expect(() => pinnedCli(missing, { CI: 'true' })).toThrow(`the pinned agent CLI ${HARNESS_BIN}/${missing} is missing and CI is set`);
    expect(() => pinnedCli(`/nowhere/${missing}`, { CI: '1' })).toThrow(/\/nowhere\/no-such-agent-cli is missing/);
  });

  it('is true for an installed one, with or without CI', () => {
    expect(pinnedCli(process.execPath, { CI: 'true' })).toBe(true);
    expect(pinnedCli(process.execPath, {})).toBe(true);
  });
});
