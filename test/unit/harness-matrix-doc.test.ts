import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HARNESS_COMMANDS } from '../../src/cli/main.js';
import { builtinHarnesses } from '../../src/harnesses/index.js';
import { between, readPins, renderMatrix, renderVersions, replaceBetween } from '../conformance/matrix-doc.js';
import { PROFILES } from '../conformance/profiles/index.js';
import { ROOT } from '../helpers/omni.js';

/**
 * docs/harnesses/README.md's conformance matrix and README.md's tested versions are rendered
 * from the conformance profiles and test/harness-clis/package.json. This fails when the files
 * differ from the render; `npm run docs:matrix` (OMNI_DOCS_MATRIX=write) rewrites them instead.
 */
const write = process.env.OMNI_DOCS_MATRIX === 'write';
const pins = readPins(path.join(ROOT, 'test', 'harness-clis'));

function checkBlock(rel: string, name: string, body: string): void {
  const file = path.join(ROOT, rel);
  const doc = fs.readFileSync(file, 'utf8');
  if (write) {
    const next = replaceBetween(doc, name, body);
    if (next !== doc) fs.writeFileSync(file, next);
    return;
  }
  expect(between(doc, name), `${rel}'s ${name} block is out of date: run npm run docs:matrix`).toBe(body);
}

describe('the harness matrix and tested versions in the docs', () => {
  it('docs/harnesses/README.md prints the matrix the conformance profiles declare', () => {
    checkBlock('docs/harnesses/README.md', 'conformance-matrix', renderMatrix(PROFILES, pins));
  });

  it('README.md lists the versions test/harness-clis pins', () => {
    checkBlock('README.md', 'tested-versions', renderVersions(pins));
  });

  it('every harness has a pinned package, and every pinned package is a harness', () => {
    const deps = Object.keys((JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'harness-clis', 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
    expect(pins.map((p) => p.pkg).sort()).toEqual(deps.sort());
    expect(pins.map((p) => p.harness).sort()).toEqual([...HARNESS_COMMANDS].sort());
    for (const name of builtinHarnesses().names()) expect(HARNESS_COMMANDS).toContain(name);
  });

  it("an adapter's tested version (omni doctor) is the pinned one", () => {
    for (const a of builtinHarnesses().all()) {
      const pin = pins.find((p) => p.harness === a.name);
      expect(pin, `${a.name} is not in test/harness-clis/package.json "harnesses"`).toBeDefined();
      if (a.doctor) expect(a.doctor.testedVersion, `${a.name}: src/harnesses/${a.name} says tested ${a.doctor.testedVersion}, test/harness-clis pins ${pin!.version}`).toBe(pin!.version);
    }
  });

  it('renders declared cells, unknown harnesses and the markers faithfully', () => {
    const yes = { startsClean: true, sendReply: true, toolEvents: true, deny: true, heldAsk: true, usage: true, cost: true, interrupt: true, resume: false, sandbox: true };
    const p = { ...PROFILES[0]!, harness: 'h1', expected: yes };
    const md = renderMatrix([p], [{ harness: 'h1', pkg: 'a', version: '1.2.3' }, { harness: 'h2', pkg: 'b', version: '4.5.6' }]);
    const [, , h1, h2] = md.split('\n');
    expect(h1).toBe('| [h1](h1.md) | 1.2.3 | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ | — | ✓ |');
    expect(h2).toBe('| [h2](h2.md) | 4.5.6 | ? | ? | ? | ? | ? | ? | ? | ? | ? | ? |');
    const doc = 'a\n<!-- x:start (generated) -->\nold\n<!-- x:end -->\nb $1\n';
    expect(replaceBetween(doc, 'x', 'new $& $1')).toBe('a\n<!-- x:start (generated) -->\nnew $& $1\n<!-- x:end -->\nb $1\n');
    expect(between(replaceBetween(doc, 'x', 'n1\nn2'), 'x')).toBe('n1\nn2');
    expect(() => replaceBetween('no markers', 'x', 'y')).toThrow(/markers/);
  });
});
