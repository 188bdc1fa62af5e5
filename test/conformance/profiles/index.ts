import type { HarnessTestProfile } from '../profile.js';
import { claudeProfile } from './claude.js';
import { codexProfile } from './codex.js';
import { copilotProfile } from './copilot.js';
import { geminiProfile } from './gemini.js';
import { opencodeProfile } from './opencode.js';
import { piProfile } from './pi.js';
import { qwenProfile } from './qwen.js';

/** Every harness the conformance suite runs. Add one profile per adapter. */
export const PROFILES: HarnessTestProfile[] = [claudeProfile, codexProfile, piProfile, opencodeProfile, geminiProfile, copilotProfile, qwenProfile];
