// `omni daemon run` with one more adapter: the scripted test harness (scripted-harness.mjs).
// Same dist/ code, same OMNI_HOME layout, same socket; test/helpers/scripted.ts starts it.
import { runDaemon } from '../../dist/daemon/main.js';
import { builtinHarnesses } from '../../dist/harnesses/index.js';
import { HarnessRegistry } from '../../dist/harnesses/registry.js';
import { scriptedAdapter } from './scripted-harness.mjs';

process.exitCode = await runDaemon({ harnesses: new HarnessRegistry([...builtinHarnesses().all(), scriptedAdapter]) });
