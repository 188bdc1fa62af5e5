/** The CLI's policy references: read on the caller's side (the reading lives in src/policy, spawn grants use it too). */
export { policyRefInput } from '../policy/ref-input.js';
