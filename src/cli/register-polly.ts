import type { Command } from 'commander';
import type { RunAction } from './register-types.js';

// CONTRACT STUB (helper polly-cli fills it): `omni polly "goal"`, `omni polly board`, `omni polly merge`.
// Actions import their modules lazily, as main.ts does: `omni ls` must not load them.
export function registerPolly(program: Command, run: RunAction): void {
  void program;
  void run;
}
