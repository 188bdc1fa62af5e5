import fs from 'node:fs';
import path from 'node:path';
import { SandboxUnavailable } from './errors.js';

/**
 * A classic-BPF seccomp filter for `bwrap --seccomp FD`, assembled here because there is no
 * libseccomp binding (FINDINGS §3). It blocks what the mount namespace and `--cap-drop ALL`
 * cannot: terminal injection into the tmux pane (TIOCSTI/TIOCLINUX, because we cannot use
 * `--new-session` without losing SIGWINCH), and kernel attack surface an agent never needs.
 * Everything else is allowed; a denied call fails with EPERM rather than killing the process.
 */

// BPF opcodes (linux/bpf_common.h) and seccomp return values (linux/seccomp.h).
const LD_W_ABS = 0x20; // BPF_LD | BPF_W | BPF_ABS
const JEQ_K = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const JGE_K = 0x35; // BPF_JMP | BPF_JGE | BPF_K
const RET_K = 0x06; // BPF_RET | BPF_K
export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;
const EPERM = 1;

// struct seccomp_data { int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]; }
// Both supported arches are little endian, so the low 32 bits of args[1] sit at offset 24.
const OFF_NR = 0;
const OFF_ARCH = 4;
const OFF_ARG1_LO = 24;

export const TIOCSTI = 0x5412;
export const TIOCLINUX = 0x541c;
/** x32 syscalls are x86_64 numbers with this bit set; they would bypass a table of x86_64 numbers. */
const X32_SYSCALL_BIT = 0x40000000;

export type SeccompArch = 'x64' | 'arm64';

/** AUDIT_ARCH_* (linux/audit.h): the first check, so a syscall from another ABI (i386 via int 0x80) cannot slip through with different numbers. */
export const AUDIT_ARCH: Record<SeccompArch, number> = { x64: 0xc000003e, arm64: 0xc00000b7 };

/**
 * Denied syscalls and their numbers: x86_64 from arch/x86/entry/syscalls/syscall_64.tbl
 * (asm/unistd_64.h), aarch64 from the generic table (asm-generic/unistd.h). 425+ are shared.
 */
export const DENIED_SYSCALLS: Record<string, Record<SeccompArch, number>> = {
  // debugging / tracing other processes in the sandbox
  ptrace: { x64: 101, arm64: 117 },
  perf_event_open: { x64: 298, arm64: 241 },
  // kernel keyrings are not namespaced: a session could read or plant keys of the user
  add_key: { x64: 248, arm64: 217 },
  request_key: { x64: 249, arm64: 218 },
  keyctl: { x64: 250, arm64: 219 },
  // large kernel attack surface, no use to a coding agent
  bpf: { x64: 321, arm64: 280 },
  userfaultfd: { x64: 323, arm64: 282 },
  io_uring_setup: { x64: 425, arm64: 425 },
  io_uring_enter: { x64: 426, arm64: 426 },
  io_uring_register: { x64: 427, arm64: 427 },
  // mount-namespace escapes; --cap-drop ALL already makes them fail, this is belt and braces
  mount: { x64: 165, arm64: 40 },
  umount2: { x64: 166, arm64: 39 },
  pivot_root: { x64: 155, arm64: 41 },
  unshare: { x64: 272, arm64: 97 },
  setns: { x64: 308, arm64: 268 },
  open_tree: { x64: 428, arm64: 428 },
  move_mount: { x64: 429, arm64: 429 },
  fsopen: { x64: 430, arm64: 430 },
  fsconfig: { x64: 431, arm64: 431 },
  fsmount: { x64: 432, arm64: 432 },
  fspick: { x64: 433, arm64: 433 },
  mount_setattr: { x64: 442, arm64: 442 },
};

export const IOCTL_NR: Record<SeccompArch, number> = { x64: 16, arm64: 29 };

interface Insn {
  code: number;
  k: number;
  /** Jump targets as labels, resolved at assembly time. */
  jt?: string;
  jf?: string;
}

function assertArch(arch: string): SeccompArch {
  if (arch === 'x64' || arch === 'arm64') return arch;
  throw new SandboxUnavailable(`the sandbox's seccomp filter supports x86_64 and aarch64 only, not ${arch}`);
}

/** The filter program for `arch` (Node's `process.arch` names). */
export function seccompProgram(arch: string = process.arch): Buffer {
  const a = assertArch(arch);
  const prog: Array<Insn | { label: string }> = [];
  const insn = (code: number, k: number, jt?: string, jf?: string) => prog.push({ code, k, jt, jf });
  const label = (name: string) => prog.push({ label: name });

  // A jump target left out means "fall through to the next instruction".
  insn(LD_W_ABS, OFF_ARCH);
  insn(JEQ_K, AUDIT_ARCH[a], undefined, 'kill');
  insn(LD_W_ABS, OFF_NR);
  if (a === 'x64') insn(JGE_K, X32_SYSCALL_BIT, 'deny');
  for (const nrs of Object.values(DENIED_SYSCALLS)) insn(JEQ_K, nrs[a], 'deny');
  insn(JEQ_K, IOCTL_NR[a], undefined, 'allow');
  // The kernel takes the ioctl request as `unsigned int`, so the low 32 bits are all that matter.
  insn(LD_W_ABS, OFF_ARG1_LO);
  insn(JEQ_K, TIOCSTI, 'deny');
  insn(JEQ_K, TIOCLINUX, 'deny', 'allow');
  label('allow');
  insn(RET_K, SECCOMP_RET_ALLOW);
  label('deny');
  insn(RET_K, SECCOMP_RET_ERRNO | EPERM);
  label('kill');
  insn(RET_K, SECCOMP_RET_KILL_PROCESS);

  return assemble(prog);
}

/** Resolve labels into relative jumps (forward only, at most 255 instructions) and encode sock_filter structs. */
function assemble(prog: Array<Insn | { label: string }>): Buffer {
  const at = new Map<string, number>();
  const insns: Insn[] = [];
  for (const p of prog) {
    if ('label' in p) at.set(p.label, insns.length);
    else insns.push(p);
  }
  const buf = Buffer.alloc(insns.length * 8);
  insns.forEach((x, i) => {
    const rel = (l: string | undefined) => {
      if (l === undefined) return 0;
      const target = at.get(l);
      if (target === undefined) throw new Error(`seccomp: unknown label ${l}`);
      const off = target - i - 1;
      if (off < 0 || off > 255) throw new Error(`seccomp: jump to ${l} out of range`);
      return off;
    };
    buf.writeUInt16LE(x.code, i * 8);
    buf.writeUInt8(rel(x.jt), i * 8 + 2);
    buf.writeUInt8(rel(x.jf), i * 8 + 3);
    buf.writeUInt32LE(x.k >>> 0, i * 8 + 4);
  });
  return buf;
}

/** Write the program for this machine to `file` (0600, atomically: a launch may be reading the old one). */
export function writeSeccompFile(file: string, arch: string = process.arch): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, seccompProgram(arch), { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}
