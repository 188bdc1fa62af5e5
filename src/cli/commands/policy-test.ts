import fs from 'node:fs';
import path from 'node:path';
import type { ToolKind } from '../../core/events.js';
import { ExitCode, OmniError } from '../../core/errors.js';
import { claudeToolKind } from '../../harnesses/claude/index.js';
import { codexToolKind } from '../../harnesses/codex/index.js';
import { builtinHarnesses } from '../../harnesses/index.js';
import { piToolKind } from '../../harnesses/pi/index.js';
import { buildToolSubject } from '../../policy/subject.js';
import { parseTestFile } from '../../policy/test-file.js';
import { runTestFile, type SubjectFor } from '../../policy/test-run.js';
import type { ToolSubject } from '../../policy/types.js';
import { PolicyLoadError } from '../../policy/yaml.js';
import { makeChalk, printJson } from '../output.js';

const KIND: Record<string, (tool: string) => ToolKind> = { claude: claudeToolKind, codex: codexToolKind, pi: piToolKind };

/** What an adapter's `normalizeToolCall` returns (the wt-a branch adds it): the parts used here. */
interface Normalized {
  kind: ToolKind;
  cwd?: string;
}

/**
 * The tool subject a harness's hook would produce for this call: THE one place that knows how.
 * An adapter with `normalizeToolCall` says the kind and the call's directory; without it,
 * today's behaviour (the adapter's tool kind, the hook's cwd). Then buildToolSubject, as the
 * daemon does. Once every adapter has it, switch to the subject builder that takes its result.
 */
export const normalizeForTest: SubjectFor = (harness, tool, input, o) => {
  const adapter = builtinHarnesses().get(harness) as unknown as { normalizeToolCall?: (tool: string, input: unknown, hookCwd?: string) => Normalized };
  const n: Normalized = adapter.normalizeToolCall ? adapter.normalizeToolCall(tool, input, o.hookCwd) : { kind: (KIND[harness] ?? (() => 'other' as ToolKind))(tool), ...(o.hookCwd ? { cwd: o.hookCwd } : {}) };
  const subject: ToolSubject = buildToolSubject({ name: tool, kind: n.kind, callId: o.callId, input }, n.cwd ?? o.cwd, { home: o.home });
  return n.cwd ? { ...subject, cwd: n.cwd } : subject;
};

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
    report = await runTestFile(parseTestFile(text, file), { subjectFor: normalizeForTest });
  } catch (err) {
    if (err instanceof PolicyLoadError) throw new OmniError(err.message, 'policy_invalid', ExitCode.usage);
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
