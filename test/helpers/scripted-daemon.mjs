// `omni daemon run` with one more adapter: the scripted test harness (scripted-harness.mjs).
// Same dist/ code, same OMNI_HOME layout, same socket; test/helpers/scripted.ts starts it.
import { runDaemon } from '../../dist/daemon/main.js';
import { builtinHarnesses } from '../../dist/harnesses/index.js';
import { HarnessRegistry } from '../../dist/harnesses/registry.js';
import { scriptedAdapter, scriptedTwin } from './scripted-harness.mjs';

// SCRIPTED_TWINS="name=vendor,…": more scripted harnesses, each of its own vendor.
const twins = (process.env.SCRIPTED_TWINS ?? '').split(',').filter(Boolean).map((t) => scriptedTwin(...(/** @type {[string, string]} */ (t.split('=')))));
process.exitCode = await runDaemon({ harnesses: new HarnessRegistry([...builtinHarnesses().all(), scriptedAdapter, ...twins]) });
