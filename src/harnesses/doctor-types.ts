/** What `omni doctor` learns about one harness in the caller's environment. Never a secret. */
export interface CredentialFinding {
  /** Where it comes from: an env var name, a file, a login. */
  source: string;
  /** What it is, without the secret: "set", "logged in (claude.ai)", "provider x → http://…". */
  detail: string;
}

export interface HarnessDoctor {
  /** The version the tests pin and run against. */
  testedVersion: string;
  /** Oldest major.minor known to work. */
  minVersion: string;
  credentials(env: Record<string, string>): Promise<CredentialFinding[]>;
  /** What to do when no credentials are found. */
  credentialHint: string;
}

/** Compare dotted versions numerically: -1, 0, 1. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d < 0 ? -1 : 1;
  }
  return 0;
}
