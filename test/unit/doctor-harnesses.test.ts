import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Chalk } from 'chalk';
import { afterAll, describe, expect, it } from 'vitest';
import { checkHarnesses, harnessLines } from '../../src/cli/commands/doctor.js';
import { builtinHarnesses } from '../../src/harnesses/index.js';
import { readPins } from '../conformance/matrix-doc.js';
import { ROOT } from '../helpers/omni.js';

/** `omni doctor` lists every harness in the registry the same way; a missing one says how to install it. */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-doctor-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('omni doctor, every harness alike', () => {
  it('reports each registry harness as not installed, with its adapter install hint, when none is on PATH', async () => {
    const registry = builtinHarnesses();
    const empty = path.join(dir, 'empty-bin');
    fs.mkdirSync(empty, { recursive: true });
    const report = await checkHarnesses({ PATH: empty, HOME: path.join(dir, 'home') }, undefined, registry);
    expect(report.map((h) => h.harness)).toEqual(registry.names());
    const pins = readPins(path.join(ROOT, 'test', 'harness-clis'));
    for (const a of registry.all()) {
      const h = report.find((x) => x.harness === a.name)!;
      expect(h).toMatchObject({ installed: false, usable: false, versionOk: false });
      expect(h.todo[0]).toBe(a.installHint);
      // The hint names the package the tests pin, so following it installs what was tested.
      expect(a.installHint, a.name).toContain(pins.find((p) => p.harness === a.name)!.pkg);
    }
    const text = harnessLines(report, new Chalk({ level: 0 })).join('\n');
    for (const a of registry.all()) expect(text).toContain(`${a.displayName} (${a.name}): not installed\n  → ${a.installHint}`);
  });

  it('checks any registry, not a fixed list, and one harness when asked', async () => {
    const all = builtinHarnesses().all();
    const fake = { ...all[0]!, name: 'newcomer', displayName: 'Newcomer CLI', installHint: 'install it with `npm install -g newcomer`', doctor: undefined, findBinary: async () => null };
    const report = await checkHarnesses({ PATH: '/nonexistent' }, undefined, { all: () => [...all, fake] });
    expect(report.at(-1)).toMatchObject({ harness: 'newcomer', displayName: 'Newcomer CLI', installed: false, todo: ['install it with `npm install -g newcomer`'] });
    expect(await checkHarnesses({ PATH: '/nonexistent' }, 'newcomer', { all: () => [...all, fake] })).toHaveLength(1);
  });
});
