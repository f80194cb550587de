/**
 * One guest process: its address space, hart, descriptor table, signal state and the exec() that
 * replaces its image. Register helpers convert between the hart's int32 pairs and JS numbers.
 */
import { Cpu } from '../target/riscv/cpu.js';
import { Bus } from '../hw/bus.js';
import { Priv, RAM_OFFSET } from '../target/riscv/state.js';
import { Tcg, type JitMode } from '../accel/tcg/tcg.js';
import { AddressSpace, PAGE, RAM_BASE, alignUp } from './memory.js';
import { buildStack, ElfError, isElf, loadElf } from './elf-load.js';
import { FdTable } from './files.js';
import type { LinuxHost } from './host.js';
import { E, ERRNO_TEXT, PROT_EXEC, PROT_READ } from './abi.js';

/** AT_HWCAP: the single-letter extensions I, M, A, F, D, C. */
export const HWCAP_IMAFDC = (1 << 8) | (1 << 12) | 1 | (1 << 5) | (1 << 3) | (1 << 2);
const TWO32 = 4294967296;

export interface SigAction {
  handler: number;
  flags: number;
  mask: bigint;
}

export class ExecError extends Error {
  constructor(message: string, readonly errno: number) {
    super(message);
  }
}

export function getReg(cpu: Cpu, r: number): number {
  return (cpu.x[2 * r + 1] >>> 0) * TWO32 + (cpu.x[2 * r] >>> 0);
}

export function setReg(cpu: Cpu, r: number, v: number): void {
  const hi = Math.floor(v / TWO32);
  cpu.x[2 * r] = (v - hi * TWO32) | 0;
  cpu.x[2 * r + 1] = hi | 0;
}

export function getPc(cpu: Cpu): number {
  return (cpu.pcHi >>> 0) * TWO32 + (cpu.pcLo >>> 0);
}

export function setPc(cpu: Cpu, v: number): void {
  cpu.pcLo = v % TWO32 | 0;
  cpu.pcHi = Math.floor(v / TWO32);
}

/** Where the kernel looks up paths and reads executables. */
export interface ExecEnv {
  host: LinuxHost;
  ramBytes: number;
  /** Maps a guest path (absolute, normalised) to the host path to use (the -L sysroot rule). */
  hostPath(guestPath: string): string;
  readFile(hostPath: string): Uint8Array | number;
}

export class Process {
  as!: AddressSpace;
  cpu!: Cpu;
  /** The translator running `cpu` (null: the interpreter), and whether processes get one. */
  tcg: Tcg | null = null;
  jit: JitMode = 'on';
  fds = new FdTable();
  cwd = '/';
  umask = 0o022;
  exe = '';
  sigtramp = 0;
  actions: SigAction[] = [];
  blocked = 0n;
  pending: { sig: number; code: number; addr: number; pid: number }[] = [];
  children: Process[] = [];
  zombie = false;
  /** Wait status (wait4 encoding) once a zombie. */
  status = 0;
  /** Set while a vfork() parent waits for this child to exec or exit. */
  vforkParent?: Process;
  vforkWaiting = false;
  clearTid = 0;
  pgid: number;
  constructor(readonly pid: number, public ppid: number) {
    this.pgid = pid;
    for (let i = 0; i <= 64; i++) this.actions.push({ handler: 0, flags: 0, mask: 0n });
  }

  /** Creates a hart running in U-mode on `as`, with traps going to the wfi page in M-mode. */
  static newCpu(as: AddressSpace, host: LinuxHost): Cpu {
    const bus = new Bus(RAM_BASE, as.ramBytes, { warn: (m) => host.log(`tsvm-riscv64: ${m}`) });
    const cpu = new Cpu(as.memory, bus, { now: () => host.monotonic() / 100 }, { warn: (m) => host.log(`tsvm-riscv64: ${m}`) });
    const [lo, hi] = as.satp();
    cpu.satpLo = lo;
    cpu.satpHi = hi;
    cpu.mtvecLo = RAM_BASE | 0;
    cpu.mtvecHi = 0;
    cpu.mcounteren = 7;
    cpu.scounteren = 7;
    cpu.mstatus = 1 << 13; // FS = Initial
    cpu.priv = Priv.U;
    cpu.updateMode();
    cpu.flushTlb();
    as.onFlush = () => cpu.flushTlb();
    return cpu;
  }

  /** fork(): a copy of this process with its own memory. */
  fork(pid: number, host: LinuxHost): Process {
    const c = new Process(pid, this.pid);
    c.as = new AddressSpace(this.as.ramBytes, this.as);
    c.cpu = Process.newCpu(c.as, host);
    c.jit = this.jit;
    c.tcg = translator(c.cpu, c.as, c.jit);
    c.cpu.x.set(this.cpu.x);
    c.cpu.fi.set(this.cpu.fi);
    c.cpu.fflags = this.cpu.fflags;
    c.cpu.frm = this.cpu.frm;
    c.cpu.mstatus = this.cpu.mstatus;
    c.fds = this.fds.clone();
    c.cwd = this.cwd;
    c.umask = this.umask;
    c.exe = this.exe;
    c.sigtramp = this.sigtramp;
    c.actions = this.actions.map((a) => ({ ...a }));
    c.blocked = this.blocked;
    c.pgid = this.pgid;
    return c;
  }

  /** Replaces the image with the program at guest path `path`. Throws ExecError (image unchanged). */
  exec(env: ExecEnv, path: string, argv: string[], envp: string[], depth = 0): void {
    const hostPath = env.hostPath(path);
    const bytes = env.readFile(hostPath);
    if (typeof bytes === 'number') throw new ExecError(`Could not open '${path}': ${ERRNO_TEXT[-bytes] ?? 'error ' + -bytes}`, -bytes);
    if (bytes[0] === 0x23 && bytes[1] === 0x21 && depth < 4) {
      // "#!interpreter [arg]"
      let nl = bytes.indexOf(10);
      if (nl < 0) nl = Math.min(bytes.length, 256);
      const line = new TextDecoder().decode(bytes.subarray(2, nl)).trim();
      const sp = line.search(/[ \t]/);
      const interp = sp < 0 ? line : line.slice(0, sp);
      const arg = sp < 0 ? '' : line.slice(sp).trim();
      const nargv = [interp, ...(arg ? [arg] : []), path, ...argv.slice(1)];
      this.exec(env, interp, nargv, envp, depth + 1);
      return;
    }
    if (!isElf(bytes)) throw new ExecError(`${path}: Invalid ELF image for this architecture`, E.NOEXEC);
    const as = new AddressSpace(env.ramBytes);
    let main, interp;
    try {
      main = loadElf(as, bytes, false);
      if (main.interp !== undefined) {
        const ib = env.readFile(env.hostPath(main.interp));
        if (typeof ib === 'number') {
          throw new ExecError(`Could not open '${main.interp}': ${ERRNO_TEXT[-ib] ?? 'error ' + -ib}`, -ib);
        }
        interp = loadElf(as, ib, true);
      }
    } catch (e) {
      if (e instanceof ElfError) throw new ExecError(`${path}: ${e.message}`, E.NOEXEC);
      throw e;
    }
    as.brkStart = as.brkCur = alignUp(main.end);
    // The signal return trampoline (Linux puts it in the vDSO): li a7, 139; ecall.
    const tramp = as.findFree(PAGE);
    const code = new Uint8Array(8);
    new DataView(code.buffer).setUint32(0, 0x08b00893, true);
    new DataView(code.buffer).setUint32(4, 0x00000073, true);
    as.map(tramp, PAGE, PROT_READ | PROT_EXEC, 'sigtramp', code);
    const random = new Uint8Array(16);
    env.host.random(random);
    const sp = buildStack(as, {
      argv, envp, execfn: path, main, interpBase: interp ? interp.bias : 0, random, hwcap: HWCAP_IMAFDC,
      uid: env.host.uid, gid: env.host.gid,
    });
    const cpu = Process.newCpu(as, env.host);
    setReg(cpu, 2, sp);
    setPc(cpu, interp ? interp.entry : main.entry);
    this.as = as;
    this.cpu = cpu;
    this.tcg = translator(cpu, as, this.jit);
    this.exe = path;
    this.sigtramp = tramp;
    this.fds.closeOnExec();
    for (const a of this.actions) if (a.handler > 1) { a.handler = 0; a.flags = 0; a.mask = 0n; }
  }
}

/**
 * The translator for a new hart. Code the kernel writes into the process (file pages, read() buffers, reused
 * pages) drops the translations of those pages, as virtio DMA does on the system machine.
 */
function translator(cpu: Cpu, as: AddressSpace, jit: JitMode): Tcg | null {
  if (jit === 'off') return null;
  const tcg = new Tcg(cpu, jit);
  as.onWrite = (host, len) => tcg.dmaWrite(host - RAM_OFFSET, len);
  return tcg;
}
