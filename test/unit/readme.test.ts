import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/omni.js';

describe('README and CI agree', () => {
  it("CI runs exactly README's test command", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const block = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const [setup, tests] = block
      .split('\n')
      .filter(Boolean)
      .map((l) => l.replace(/\s+#.*$/, '').trim());
    expect(setup).toMatch(/omni claude$/);
    const ci = fs.readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8');
    const ciCommand = ci
      .split('\n')
      .filter((l) => l.startsWith('npm '))
      .pop();
    expect(ciCommand).toBe(tests);
  });
});
