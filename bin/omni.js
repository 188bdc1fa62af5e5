#!/usr/bin/env node
// omni / omnigent launcher. Keep it tiny: `omni ls` startup time is a feature.
import { main } from '../dist/cli/main.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`omni: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 1;
  },
);
