import type { HarnessTestProfile } from '../profile.js';
import { claudeProfile } from './claude.js';

/** Every harness the conformance suite runs. Add one profile per adapter. */
export const PROFILES: HarnessTestProfile[] = [claudeProfile];
