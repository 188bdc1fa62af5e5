import fs from 'node:fs';
import path from 'node:path';
import { makeTestEnv, type TestEnv } from './omni.js';
import { createScripted, startScriptedDaemon, waitFor } from './scripted.js';

/**
 * Two scripted daemons for the views-across-hosts tests: `near` (this machine) with an idle
 * session `here`, and `far` (reached as a unix:// host) with an idle session `there` whose
 * `touch` commands are held for a person.
 */
export async function startTwoHosts(): Promise<{ near: TestEnv; far: TestEnv }> {
  const near = makeTestEnv();
  const far = makeTestEnv();
  await Promise.all([startScriptedDaemon(near), startScriptedDaemon(far)]);
  fs.writeFileSync(
    path.join(far.dir, 'ask.yaml'),
    ['policies:', '  - name: asker', '    rules:', '      - when: { command: touch }', '        verdict: ask', '        reason: a human approves new files', ''].join('\n'),
  );
  await createScripted(near, { name: 'here' });
  await createScripted(far, { name: 'there', policies: [{ ref: path.join(far.dir, 'ask.yaml') }] });
  await Promise.all([waitFor(near, 'here', 'idle'), waitFor(far, 'there', 'idle')]);
  return { near, far };
}
