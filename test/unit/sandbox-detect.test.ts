import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectBwrap, explainProbeFailure, findOnPath, SandboxUnavailable } from '../../src/sandbox/detect.js';

/** detectBwrap against fake bwrap binaries (the real one is covered by the integration test). */
describe('detectBwrap', () => {
  let dir: string;
  const fake = (name: string, body: string) => {
    const d = path.join(dir, name);
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, 'bwrap'), `#!/bin/sh\nif [ "$1" = --version ]; then echo 'bubblewrap 0.9.1'; exit 0; fi\n${body}\n`, { mode: 0o755 });
    return d;
  };
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-sbx-unit-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('says how to install bubblewrap when it is not on PATH', async () => {
    const err = await detectBwrap({ PATH: path.join(dir, 'empty') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxUnavailable);
    expect((err as Error).message).toMatch(/apt-get install bubblewrap/);
  });

  it('returns path and version when the probe works', async () => {
    const d = fake('ok', 'exit 0');
    await expect(detectBwrap({ PATH: `relative:${d}` })).resolves.toEqual({ path: path.join(d, 'bwrap'), version: '0.9.1' });
  });

  it('explains disabled user namespaces', async () => {
    const d = fake('nouserns', "echo 'bwrap: No permissions to creating new namespace, likely because the kernel does not allow non-privileged user namespaces.' >&2; exit 1");
    const err = await detectBwrap({ PATH: d }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxUnavailable);
    expect((err as Error).message).toMatch(/kernel\.unprivileged_userns_clone/);
    expect((err as Error).message).toMatch(/kernel\.apparmor_restrict_unprivileged_userns/);
  });

  it('classifies other failures', () => {
    expect(explainProbeFailure('/b', '0.4.0', 'bwrap: Unknown option --clearenv', 1)).toMatch(/too old .*>= 0\.5/);
    expect(explainProbeFailure('/b', '0.8.0', 'bwrap: capset failed: Operation not permitted', 1)).toMatch(/cannot drop capabilities/);
    expect(explainProbeFailure('/b', '0.8.0', 'bwrap: setting up uid map: Permission denied', 1)).toMatch(/cannot create namespaces/);
    expect(explainProbeFailure('/b', '0.8.0', 'bwrap: prctl(PR_SET_SECCOMP): Invalid argument', 1)).toMatch(/seccomp/);
    expect(explainProbeFailure('/b', '0.8.0', '', 139)).toMatch(/exit 139/);
  });

  it('findOnPath skips relative and missing entries', () => {
    expect(findOnPath('sh', 'bin:/nonexistent:/bin')).toBe('/bin/sh');
    expect(findOnPath('sh', undefined)).toBeUndefined();
  });
});
