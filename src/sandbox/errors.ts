/**
 * The OS sandbox cannot be set up on this machine. omni refuses to start a sandboxed session
 * rather than silently running it unsandboxed; the message says what to fix.
 */
export class SandboxUnavailable extends Error {
  readonly code = 'sandbox_unavailable';
  constructor(message: string) {
    super(message);
    this.name = 'SandboxUnavailable';
  }
}
