import { claudeAdapter } from './claude/index.js';
import { codexAdapter } from './codex/index.js';
import { copilotAdapter } from './copilot/index.js';
import { geminiAdapter } from './gemini/index.js';
import { opencodeAdapter } from './opencode/index.js';
import { piAdapter } from './pi/index.js';
import { qwenAdapter } from './qwen/index.js';
import { HarnessRegistry } from './registry.js';

export function builtinHarnesses(): HarnessRegistry {
  return new HarnessRegistry([claudeAdapter, codexAdapter, piAdapter, opencodeAdapter, geminiAdapter, copilotAdapter, qwenAdapter]);
}
