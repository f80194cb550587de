/**
 * The user-mode "kernel": runs guest processes on their harts in slices, takes their traps (ECALL
 * from U-mode, page faults and other exceptions arrive in M-mode at the wfi page, so run() returns),
 * dispatches syscalls and delivers signals. Processes are scheduled round-robin in this one host
 * thread; a syscall that must wait returns BLOCK and is re-executed later.
 */
import { run } from '../target/riscv/interp.js';
import { mret } from '../target/riscv/trap.js';
import { Priv } from '../target/riscv/state.js';
import { ExecEnv, Process, getPc, getReg, setReg } from './proc.js';
import { BLOCK, HostFile } from './files.js';
import type { LinuxHost } from './host.js';
import { E, O_RDWR, SIG, SIGNAL_TEXT, SIG_CORE, SIG_DEFAULT_IGNORE, SYSCALL_NAMES } from './abi.js';
import { SYSCALLS, Args, NORETURN } from './syscalls.js';
import { formatCall, formatResult } from './strace.js';
import { setupFrame } from './signal.js';
import { joinPath } from './paths.js';
import type { JitMode } from '../accel/tcg/tcg.js';

export interface KernelOptions {
  host: LinuxHost;
  ramBytes: number;
  /** -L: absolute guest paths are looked up here first. */
  sysroot?: string;
  strace: boolean;
  cwd: string;
  pid: number;
  /** The translator: on (default), off (interpreter only), always (translate on first run, for tests). */
  jit?: JitMode;
}

const TWO32 = 4294967296;

export class Kernel implements ExecEnv {
  readonly host: LinuxHost;
  readonly ramBytes: number;
  readonly procs = new Map<number, Process>();
  private runq: Process[] = [];
  private nextPid: number;
  init!: Process;
  current!: Process;
  readonly args = new Args();
  private nosysWarned = new Set<number>();
  /** Used by syscalls that return a time slice (sched_yield) to end the slice. */
  yieldNow = false;

  constructor(readonly opts: KernelOptions) {
    this.host = opts.host;
    this.ramBytes = opts.ramBytes;
    this.nextPid = opts.pid + 1;
  }

  hostPath(guestPath: string): string {
    const root = this.opts.sysroot;
    if (root && guestPath.startsWith('/')) {
      const cand = joinPath(root, guestPath);
      if (typeof this.host.stat(cand, false) !== 'number') return cand;
    }
    return guestPath;
  }

  readFile(hostPath: string): Uint8Array | number {
    const st = this.host.stat(hostPath, true);
    if (typeof st === 'number') return st;
    if ((st.mode & 0o170000) === 0o040000) return -E.ACCES;
    const fd = this.host.open(hostPath, 0, 0);
    if (fd < 0) return fd;
    const parts: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const b = new Uint8Array(Math.max(65536, st.size - total + 1));
      const n = this.host.read(fd, b, total);
      if (n <= 0) break;
      parts.push(b.subarray(0, n));
      total += n;
    }
    this.host.close(fd);
    const out = new Uint8Array(total);
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  }

  /** Creates the first process. Throws ExecError. */
  start(path: string, argv: string[], envp: string[]): void {
    const p = new Process(this.opts.pid, this.opts.pid - 1 > 0 ? this.opts.pid - 1 : 1);
    p.cwd = this.opts.cwd;
    p.jit = this.opts.jit ?? 'on';
    p.exec(this, path, argv, envp);
    // The emulator's stdio, used at the host's own file positions.
    for (let fd = 0; fd < 3; fd++) p.fds.add(new HostFile(this.host, fd, `/dev/fd/${fd}`, O_RDWR, false, false), false);
    this.init = p;
    this.add(p);
  }

  add(p: Process): void {
    this.procs.set(p.pid, p);
    this.runq.push(p);
  }

  allocPid(): number {
    return this.nextPid++;
  }

  /** Runs until the first process exits (then ends the host process). */
  run(): never {
    for (;;) {
      let progress = false;
      const q = this.runq;
      const budget = q.length > 1 ? 200_000 : 5_000_000;
      for (let i = 0; i < q.length; i++) {
        const p = q[i];
        if (p.zombie || p.vforkWaiting) continue;
        if (p.pending.length) this.deliver(p);
        if (p.zombie) continue;
        if (this.slice(p, budget)) progress = true;
      }
      this.runq = this.runq.filter((p) => !p.zombie);
      if (!progress) this.host.sleep(1);
    }
  }

  /** One time slice; false when the process is waiting in a syscall. */
  private slice(p: Process, budget: number): boolean {
    this.current = p;
    for (;;) {
      const cpu = p.cpu; // exec() replaces it
      cpu.idle = false;
      if (p.tcg !== null) p.tcg.run(budget);
      else run(cpu, budget);
      if (cpu.priv !== Priv.M) return true;
      const r = this.trap(p);
      if (r !== true || this.yieldNow) { this.yieldNow = false; return r; }
      if (p.pending.length) this.deliver(p);
      if (p.zombie || p.vforkWaiting || this.runq.length > 1) return true;
    }
  }

  /** Handles a trap of the current process: true = runnable again, false = waiting. */
  private trap(p: Process): boolean {
    const cpu = p.cpu;
    const cause = cpu.mcauseLo;
    const epc = (cpu.mepcHi >>> 0) * TWO32 + (cpu.mepcLo >>> 0);
    const tval = (cpu.mtvalHi >>> 0) * TWO32 + (cpu.mtvalLo >>> 0);
    switch (cause) {
      case 8: {
        const r = this.syscall(p);
        if (p.zombie) return true;
        if (r === BLOCK) { this.resume(p, epc); return false; }
        if (r === NORETURN) {
          if (p.cpu.priv === Priv.M) this.resume(p, getPc(p.cpu)); // rt_sigreturn set pc
          return true;
        }
        setReg(cpu, 10, r);
        this.resume(p, epc + 4);
        return true;
      }
      case 12: case 13: case 15: {
        const acc = cause === 12 ? 2 : cause === 15 ? 1 : 0;
        if (p.as.fault(tval, acc)) { this.resume(p, epc); return true; }
        this.resume(p, epc);
        this.force(p, SIG.SEGV, p.as.findVma(tval) ? 2 : 1, tval);
        return true;
      }
      case 2: this.resume(p, epc); this.force(p, SIG.ILL, 1, epc); return true;
      case 3: this.resume(p, epc); this.force(p, SIG.TRAP, 1, epc); return true;
      case 0: case 4: case 6: this.resume(p, epc); this.force(p, SIG.BUS, 1, tval); return true;
      default: this.resume(p, epc); this.force(p, SIG.SEGV, 1, tval); return true;
    }
  }

  /** Returns the hart to U-mode at `pc`. */
  resume(p: Process, pc: number): void {
    const cpu = p.cpu;
    cpu.mepcLo = pc % TWO32 | 0;
    cpu.mepcHi = Math.floor(pc / TWO32);
    mret(cpu);
  }

  private syscall(p: Process): number {
    const cpu = p.cpu;
    const nr = getReg(cpu, 17);
    const a = this.args;
    a.load(cpu);
    const fn = SYSCALLS[nr];
    const strace = this.opts.strace;
    const pre = strace ? formatCall(p, nr, a) : '';
    let r: number;
    if (strace && (nr === 93 || nr === 94)) this.host.log(`${p.pid} ${pre}`);
    if (fn) r = fn(this, p, a);
    else {
      r = -E.NOSYS;
      if (!this.nosysWarned.has(nr)) {
        this.nosysWarned.add(nr);
        if (strace || nr < 0 || !(nr in SYSCALLS)) this.host.log(`tsvm-riscv64: unsupported syscall ${nr} (${SYSCALL_NAMES[nr] ?? '?'})`);
      }
    }
    if (strace && r !== BLOCK && r !== NORETURN) this.host.log(`${p.pid} ${pre} = ${formatResult(nr, r)}`);
    return r;
  }

  // ------------------------------------------------------------------ signals and exit
  /** Queues a signal for `p` (kill, raise, SIGCHLD, SIGPIPE). */
  signal(p: Process, sig: number, code = 0, addr = 0, from = 0): void {
    if (p.zombie || sig === 0) return;
    const act = p.actions[sig];
    if (sig !== SIG.KILL && (act.handler === 1 || (act.handler === 0 && SIG_DEFAULT_IGNORE.has(sig)))) return;
    p.pending.push({ sig, code, addr, pid: from });
  }

  /** A synchronous fault signal: fatal if blocked or ignored. */
  force(p: Process, sig: number, code: number, addr: number): void {
    const act = p.actions[sig];
    if (act.handler <= 1 || (p.blocked >> BigInt(sig - 1)) & 1n) {
      this.terminate(p, sig);
      return;
    }
    p.pending.unshift({ sig, code, addr, pid: 0 });
    this.deliver(p);
  }

  /** Delivers one deliverable pending signal (sets up a handler frame or applies the default). */
  deliver(p: Process): void {
    for (let i = 0; i < p.pending.length; i++) {
      const s = p.pending[i];
      if (s.sig !== SIG.KILL && (p.blocked >> BigInt(s.sig - 1)) & 1n) continue;
      p.pending.splice(i, 1);
      const act = p.actions[s.sig];
      if (s.sig === SIG.KILL || act.handler === 0) {
        if (SIG_DEFAULT_IGNORE.has(s.sig) || (s.sig >= SIG.STOP && s.sig <= SIG.TTOU)) { i--; continue; }
        this.terminate(p, s.sig);
        return;
      }
      if (act.handler === 1) { i--; continue; }
      if (!setupFrame(this, p, s, act)) this.terminate(p, SIG.SEGV);
      return;
    }
  }

  terminate(p: Process, sig: number): void {
    if (p === this.init && SIG_CORE.has(sig)) {
      this.host.log(`tsvm-riscv64: uncaught target signal ${sig} (${SIGNAL_TEXT[sig] ?? 'Unknown signal'}) - core dumped`);
    }
    this.exit(p, sig | (SIG_CORE.has(sig) ? 0x80 : 0));
  }

  /** Ends a process with a wait status. */
  exit(p: Process, status: number): void {
    if (p.zombie) return;
    p.fds.closeAll();
    p.zombie = true;
    p.status = status;
    this.releaseVfork(p);
    for (const c of p.children) {
      c.ppid = 1;
      if (c.zombie) this.procs.delete(c.pid);
    }
    if (p === this.init) {
      if ((status & 0x7f) !== 0) this.host.exitSignal(status & 0x7f);
      this.host.exit((status >> 8) & 0xff);
    }
    const parent = this.procs.get(p.ppid);
    if (parent && !parent.zombie) this.signal(parent, SIG.CHLD, 1, 0, p.pid);
    else this.procs.delete(p.pid);
  }

  releaseVfork(child: Process): void {
    if (child.vforkParent) {
      child.vforkParent.vforkWaiting = false;
      child.vforkParent = undefined;
    }
  }
}
