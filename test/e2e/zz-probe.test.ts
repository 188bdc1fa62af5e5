import fs from 'node:fs';
import { execa } from 'execa';
import { it } from 'vitest';
import { answerCodexTitles, codexUserEnv, writeCodexUserConfig } from '../conformance/profiles/codex.js';
import { startFakeModel } from '../fake-model/server.js';
import { makeTestEnv, OMNI_JS, pinnedCli } from '../helpers/omni.js';

it('probe codex tools', async () => {
  const fake = await startFakeModel();
  const t = makeTestEnv();
  Object.assign(t.env, codexUserEnv(t));
  writeCodexUserConfig(t.home, fake.url);
  answerCodexTitles(fake);
  const bin = 'codex';
  const r = await execa(bin, ['exec', '--skip-git-repo-check', '-m', 'fake-model', '-c', `mcp_servers.omni={command=${JSON.stringify(process.execPath)},args=[${JSON.stringify(OMNI_JS)},"mcp","--agent-socket","/nonexistent/x.sock"],default_tools_approval_mode="approve"}`, 'hello PROBE'], { env: { ...t.env, RUST_LOG: 'info' }, cwd: t.work, reject: false, timeout: 60000, input: '' });
  fs.writeFileSync('/tmp/codex-probe.json', JSON.stringify(fake.turns().map((x) => ({ url: x.url, tools: x.body?.tools })), null, 1));
  fs.writeFileSync('/tmp/codex-probe.err', r.stdout + '\n----\n' + r.stderr);
  await t.cleanup();
  await fake.close();
}, 90000);
