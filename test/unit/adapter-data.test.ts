import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinHarnesses } from '../../src/harnesses/index.js';

/** What the cost and sandbox layers learn from an adapter instead of branching on harness names. */
const harnesses = builtinHarnesses();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-adapter-data-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('adapter data', () => {
  it('who bills a model the usage names no provider for', () => {
    expect(harnesses.get('claude').provider?.('claude-opus-4-1')).toBe('anthropic');
    expect(harnesses.get('claude').provider?.('us.anthropic.claude-sonnet-4-5-20250929-v1:0')).toBe('aws');
    expect(harnesses.get('codex').provider?.('gpt-5-codex')).toBe('openai');
    expect(harnesses.get('pi').provider?.('gpt-5')).toBeUndefined();
  });

  it("Codex's CA variable is its own sandbox need; the others read the standard ones", () => {
    const env = { HOME: tmp, CODEX_HOME: path.join(tmp, 'codex'), PI_CODING_AGENT_DIR: path.join(tmp, 'pi'), CLAUDE_CONFIG_DIR: path.join(tmp, 'claude') };
    expect(harnesses.get('codex').sandboxNeeds?.(env, tmp).caEnv).toEqual(['CODEX_CA_CERTIFICATE']);
    expect(harnesses.get('claude').sandboxNeeds?.(env, tmp).caEnv ?? []).toEqual([]);
    expect(harnesses.get('pi').sandboxNeeds?.(env, tmp).caEnv ?? []).toEqual([]);
  });
});
