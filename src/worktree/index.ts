export * from './git.js';
export * from './create.js';
export * from './inspect.js';
export * from './remove.js';
export { withWorktreeIndex, worktreeTree } from './snapshot.js';
