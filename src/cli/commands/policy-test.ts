import fs from 'node:fs';
import path from 'node:path';
import { ExitCode, OmniError } from '../../core/errors.js';
import { YamlError } from '../../core/yaml.js';
import { builtinHarnesses } from '../../harnesses/index.js';
import { buildToolSubject } from '../../policy/subject.js';
import { parseTestFile } from '../../policy/test-file.js';
import { runTestFile, type SubjectFor } from '../../policy/test-run.js';
import { makeChalk, printJson } from '../output.js';

/** A case without `harness:` is shaped like this harness's calls. */
const DEFAULT_HARNESS = 'claude';

/**
 * The tool subject a harness's hook would produce for this call, as the daemon builds it: the
 * adapter normalizes the call (the hook's cwd included), then buildToolSubject.
 */
export const normalizeForTest: SubjectFor = (harness, tool, input, o) =>
  buildToolSubject({ name: tool, callId: o.callId, input, call: builtinHarnesses().get(harness).normalizeToolCall(tool, input, o.hookCwd) }, o.cwd, { home: o.home });

/** `omni policy test FILE [--json]`: exit 0 if every case gets its expected verdict, 1 if not, 2 for a bad file. */
export async function policyTestCommand(file: string, opts: { json?: boolean }): Promise<number> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new OmniError(`cannot read ${file}: ${(err as Error).message}`, 'usage', ExitCode.usage);
  }
  let report;
  try {
    report = await runTestFile(parseTestFile(text, file), { subjectFor: normalizeForTest, defaultHarness: DEFAULT_HARNESS });
  } catch (err) {
    if (err instanceof YamlError) throw new OmniError(err.message, 'policy_invalid', ExitCode.usage);
    throw err;
  }
  if (opts.json) {
    printJson({ cases: report.cases.map(({ name, expect, got, policy, reason, at }) => ({ name, expect, got, policy: policy ?? null, reason: reason ?? null, ...(at ? { at } : {}) })), passed: report.passed, failed: report.failed });
  } else {
    const c = makeChalk();
    for (const r of report.cases) {
      if (r.pass) continue;
      const where = r.at ? ` (${r.at})` : '';
      process.stdout.write(`${c.red('FAIL')} ${r.name}${where}: expected ${r.expect}, got ${r.got}${r.policy ? ` by ${r.policy}` : ''}${r.reason ? ` — ${r.reason}` : ''}\n`);
    }
    process.stdout.write(`${path.basename(file)}: ${report.passed} passed, ${report.failed} failed\n`);
  }
  return report.failed ? ExitCode.error : ExitCode.ok;
}
