import path from 'node:path';
import { it } from 'vitest';
import { startFakeModel } from '../fake-model/server.js';
import { claudeEnv, makeTestEnv, HARNESS_BIN } from '../helpers/omni.js';
import { shQuote } from '../../src/core/fsutil.js';
it('probe', async () => {
  const fake = await startFakeModel();
  const t = makeTestEnv(claudeEnv(fake.url));
  try {
    const r = await t.omni(['claude', '-d', '--name', 'p']);
    console.log((await t.omni(['wait', 'p', '--timeout', '90'])).exitCode);
    const envs = Object.entries(t.env).map(([k, v]) => `${k}=${shQuote(v)}`).join(' ');
    const cmd = `env ${envs} ${shQuote(path.join(HARNESS_BIN, 'claude'))}`;
    console.log((await t.tmux(['new-session', '-d', '-s', 'probe', '-c', t.work, '-x', '200', '-y', '50', cmd])).stderr);
    await new Promise((r) => setTimeout(r, 8000));
    const cap = await t.tmux(['capture-pane', '-p', '-t', 'probe']);
    console.log(cap.stdout);
  } finally { await t.cleanup(); await fake.close(); }
}, 180000);
