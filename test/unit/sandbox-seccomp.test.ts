import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SandboxUnavailable } from '../../src/sandbox/detect.js';
import {
  AUDIT_ARCH,
  DENIED_SYSCALLS,
  IOCTL_NR,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  seccompProgram,
  TIOCLINUX,
  TIOCSTI,
  writeSeccompFile,
  type SeccompArch,
} from '../../src/sandbox/seccomp.js';

/** A classic-BPF interpreter for the instructions a seccomp filter uses, over struct seccomp_data. */
function run(prog: Buffer, data: { nr: number; arch: number; args?: bigint[] }): number {
  const mem = Buffer.alloc(64);
  mem.writeInt32LE(data.nr, 0);
  mem.writeUInt32LE(data.arch, 4);
  (data.args ?? []).forEach((a, i) => mem.writeBigUInt64LE(a, 16 + i * 8));
  let acc = 0;
  for (let pc = 0; pc < prog.length / 8; ) {
    const code = prog.readUInt16LE(pc * 8);
    const jt = prog.readUInt8(pc * 8 + 2);
    const jf = prog.readUInt8(pc * 8 + 3);
    const k = prog.readUInt32LE(pc * 8 + 4);
    pc++;
    switch (code) {
      case 0x20: // ld [k]
        acc = mem.readUInt32LE(k);
        break;
      case 0x15: // jeq #k
        pc += acc === k ? jt : jf;
        break;
      case 0x35: // jge #k
        pc += acc >= k ? jt : jf;
        break;
      case 0x06: // ret #k
        return k;
      default:
        throw new Error(`unexpected opcode ${code.toString(16)} at ${pc - 1}`);
    }
  }
  throw new Error('fell off the end of the program');
}

const EPERM = SECCOMP_RET_ERRNO | 1;

describe.each(['x64', 'arm64'] as SeccompArch[])('seccompProgram(%s)', (arch) => {
  const prog = seccompProgram(arch);
  const A = AUDIT_ARCH[arch];

  it('is a whole number of sock_filter structs and starts with the arch check', () => {
    expect(prog.length % 8).toBe(0);
    expect(prog.length / 8).toBeLessThan(64);
    expect(prog.readUInt16LE(0)).toBe(0x20);
    expect(prog.readUInt32LE(4)).toBe(4); // offsetof(seccomp_data, arch)
    expect(prog.readUInt16LE(8)).toBe(0x15);
    expect(prog.readUInt32LE(12)).toBe(A);
  });

  it('kills a syscall from another ABI', () => {
    expect(run(prog, { nr: 0, arch: arch === 'x64' ? 0x40000003 /* i386 */ : 0x40000028 /* arm */ })).toBe(SECCOMP_RET_KILL_PROCESS);
    expect(run(prog, { nr: 0, arch: arch === 'x64' ? AUDIT_ARCH.arm64 : AUDIT_ARCH.x64 })).toBe(SECCOMP_RET_KILL_PROCESS);
  });

  it.each(Object.keys(DENIED_SYSCALLS))('denies %s with EPERM', (name) => {
    expect(run(prog, { nr: DENIED_SYSCALLS[name]![arch], arch: A })).toBe(EPERM);
  });

  it('allows everything else', () => {
    const denied = new Set([...Object.values(DENIED_SYSCALLS).map((n) => n[arch])]);
    for (let nr = 0; nr < 460; nr++) {
      if (!denied.has(nr)) expect(run(prog, { nr, arch: A, args: [0n, 0x5401n /* TCGETS */] }), `nr ${nr}`).toBe(SECCOMP_RET_ALLOW);
    }
  });

  it('denies ioctl TIOCSTI and TIOCLINUX, also with garbage in the upper 32 bits, and allows other ioctls', () => {
    const ioctl = (req: bigint) => run(prog, { nr: IOCTL_NR[arch], arch: A, args: [0n, req] });
    expect(ioctl(BigInt(TIOCSTI))).toBe(EPERM);
    expect(ioctl(BigInt(TIOCLINUX))).toBe(EPERM);
    expect(ioctl(0xdeadbeef00000000n | BigInt(TIOCSTI))).toBe(EPERM); // the kernel truncates to unsigned int
    expect(ioctl(0x5413n /* TIOCGWINSZ */)).toBe(SECCOMP_RET_ALLOW);
    expect(ioctl(0x5414n /* TIOCSWINSZ */)).toBe(SECCOMP_RET_ALLOW);
    expect(ioctl(0x540en /* TIOCSCTTY */)).toBe(SECCOMP_RET_ALLOW);
  });
});

describe('seccomp', () => {
  it('denies the x32 ABI on x86_64', () => {
    const prog = seccompProgram('x64');
    expect(run(prog, { nr: 0x40000000 | 101, arch: AUDIT_ARCH.x64 })).toBe(EPERM);
    expect(run(prog, { nr: 0x40000000, arch: AUDIT_ARCH.x64 })).toBe(EPERM);
  });

  it('refuses other architectures clearly', () => {
    expect(() => seccompProgram('ia32')).toThrow(SandboxUnavailable);
    expect(() => seccompProgram('riscv64')).toThrow(/x86_64 and aarch64 only/);
  });

  it('writes the program to a 0600 file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-sbx-unit-'));
    try {
      const file = path.join(dir, 'seccomp.bpf');
      fs.writeFileSync(file, 'old', { mode: 0o644 });
      writeSeccompFile(file, 'x64');
      expect(fs.readFileSync(file).equals(seccompProgram('x64'))).toBe(true);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(fs.readdirSync(dir)).toEqual(['seccomp.bpf']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
