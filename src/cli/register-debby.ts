import type { Command } from 'commander';
import type { RunAction } from './register-types.js';

// CONTRACT STUB (helper debby fills it): `omni debby`, `omni debby ask`, `omni debby debate`, `omni debby view`.
// Actions import their modules lazily, as main.ts does: `omni ls` must not load them.
export function registerDebby(program: Command, run: RunAction): void {
  void program;
  void run;
}
