/** Process syscalls: exit, clone/fork/vfork, execve, wait4, signals (sigaction, sigprocmask, kill), futex, ids. */
import type { Syscall, Args } from './syscalls.js';
import type { Kernel } from './kernel.js';
import { ExecError, Process, setPc, setReg } from './proc.js';
import { BLOCK } from './files.js';
import { NORETURN_VALUE } from './noreturn.js';
import { sigreturn } from './signal.js';
import { pathAt } from './sys-fs.js';
import {
  CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID, CLONE_PARENT_SETTID, CLONE_SETTLS, CLONE_THREAD, CLONE_VFORK, CLONE_VM, E, SIG,
} from './abi.js';

const TWO32 = 4294967296;
const UNBLOCKABLE = (1n << 8n) | (1n << 18n);

function readStrings(p: Process, va: number): string[] | undefined {
  const out: string[] = [];
  if (va === 0) return out;
  for (let i = 0; i < 4096; i++) {
    const ptr = p.as.readU64(va + i * 8);
    if (ptr === undefined) return undefined;
    if (ptr === 0) return out;
    const s = p.as.readCString(ptr, 131072);
    if (s === undefined) return undefined;
    out.push(s);
  }
  return undefined;
}

const clone: Syscall = (k, p, a) => {
  const flags = a.u32(0), newsp = a.u64(1), ptid = a.u64(2), ctid = a.u64(3), tls = a.u64(4);
  if ((flags & CLONE_THREAD) || ((flags & CLONE_VM) && !(flags & CLONE_VFORK))) return -E.AGAIN; // no threads
  const child = p.fork(k.allocPid(), k.host);
  const cpu = child.cpu;
  setPc(cpu, (p.cpu.mepcHi >>> 0) * TWO32 + (p.cpu.mepcLo >>> 0) + 4);
  setReg(cpu, 10, 0);
  if (newsp) setReg(cpu, 2, newsp);
  if (flags & CLONE_SETTLS) setReg(cpu, 4, tls);
  if (flags & CLONE_PARENT_SETTID) { p.as.writeU32(ptid, child.pid); child.as.writeU32(ptid, child.pid); }
  if (flags & CLONE_CHILD_SETTID) child.as.writeU32(ctid, child.pid);
  if (flags & CLONE_CHILD_CLEARTID) child.clearTid = ctid;
  p.children.push(child);
  k.add(child);
  if (flags & CLONE_VFORK) { child.vforkParent = p; p.vforkWaiting = true; }
  return child.pid;
};

const execve: Syscall = (k, p, a) => {
  const pa = pathAt(k, p, -100, a.u64(0));
  if (typeof pa === 'number') return pa;
  const argv = readStrings(p, a.u64(1));
  const envp = readStrings(p, a.u64(2));
  if (!argv || !envp) return -E.FAULT;
  const st = k.host.stat(pa.host, true);
  if (typeof st === 'number') return st;
  if ((st.mode & 0o111) === 0 || (st.mode & 0o170000) !== 0o100000) return -E.ACCES;
  try {
    p.exec(k, pa.guest, argv, envp);
  } catch (e) {
    if (e instanceof ExecError) return -e.errno;
    throw e;
  }
  k.releaseVfork(p);
  return NORETURN_VALUE;
};

const wait4: Syscall = (k, p, a) => {
  const pid = a.int(0), wstatus = a.u64(1), options = a.int(2);
  const match = p.children.filter((c) => pid === -1 || c.pid === pid || (pid === 0 && c.pgid === p.pgid) || (pid < -1 && c.pgid === -pid));
  if (match.length === 0) return -E.CHILD;
  const z = match.find((c) => c.zombie);
  if (z) {
    if (wstatus && !p.as.writeU32(wstatus, z.status)) return -E.FAULT;
    if (a.u64(3)) p.as.write(a.u64(3), new Uint8Array(144));
    p.children.splice(p.children.indexOf(z), 1);
    k.procs.delete(z.pid);
    return z.pid;
  }
  if (options & 1) return 0; // WNOHANG
  if (p.pending.some((s) => !((p.blocked >> BigInt(s.sig - 1)) & 1n))) return -E.INTR;
  return BLOCK;
};

function kill(k: Kernel, p: Process, pid: number, sig: number): number {
  if (sig < 0 || sig > 64) return -E.INVAL;
  let targets: Process[];
  if (pid > 0) targets = [...k.procs.values()].filter((q) => q.pid === pid && !q.zombie);
  else if (pid === -1) targets = [...k.procs.values()].filter((q) => !q.zombie && q !== k.init);
  else targets = [...k.procs.values()].filter((q) => !q.zombie && q.pgid === (pid === 0 ? p.pgid : -pid));
  if (targets.length === 0) return -E.SRCH;
  for (const t of targets) k.signal(t, sig, t === p ? -6 : 0, 0, p.pid);
  return 0;
}

const rtSigaction: Syscall = (k, p, a) => {
  const sig = a.int(0);
  if (sig < 1 || sig > 64) return -E.INVAL;
  const act = p.actions[sig];
  if (a.u64(2)) {
    const b = new Uint8Array(24);
    const dv = new DataView(b.buffer);
    dv.setBigUint64(0, BigInt(act.handler), true);
    dv.setBigUint64(8, BigInt(act.flags >>> 0), true);
    dv.setBigUint64(16, act.mask, true);
    if (!p.as.write(a.u64(2), b)) return -E.FAULT;
  }
  if (a.u64(1)) {
    if (sig === SIG.KILL || sig === SIG.STOP) return -E.INVAL;
    const b = p.as.read(a.u64(1), 24);
    if (!b) return -E.FAULT;
    const dv = new DataView(b.buffer);
    act.handler = Number(dv.getBigUint64(0, true));
    act.flags = dv.getUint32(8, true);
    act.mask = dv.getBigUint64(16, true) & ~UNBLOCKABLE;
    if (act.handler === 1 || (act.handler === 0 && (sig === SIG.CHLD || sig === SIG.WINCH))) {
      p.pending = p.pending.filter((s) => s.sig !== sig);
    }
  }
  return 0;
};

const rtSigprocmask: Syscall = (k, p, a) => {
  const old = p.blocked;
  if (a.u64(1)) {
    const b = p.as.read(a.u64(1), 8);
    if (!b) return -E.FAULT;
    const set = new DataView(b.buffer).getBigUint64(0, true);
    const how = a.int(0);
    if (how === 0) p.blocked |= set;
    else if (how === 1) p.blocked &= ~set;
    else if (how === 2) p.blocked = set;
    else return -E.INVAL;
    p.blocked &= ~UNBLOCKABLE;
  }
  if (a.u64(2)) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, old, true);
    if (!p.as.write(a.u64(2), b)) return -E.FAULT;
  }
  return 0;
};

function rlimit(resource: number): [number, number] {
  const INF = 2 ** 64 - 1;
  if (resource === 3) return [8 * 1024 * 1024, INF]; // RLIMIT_STACK
  if (resource === 7) return [1024, 4096]; // RLIMIT_NOFILE
  return [INF, INF];
}

function writeRlimit(p: Process, va: number, r: [number, number]): boolean {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(0, r[0] >= 2 ** 64 - 1 ? 2n ** 64n - 1n : BigInt(r[0]), true);
  dv.setBigUint64(8, r[1] >= 2 ** 64 - 1 ? 2n ** 64n - 1n : BigInt(r[1]), true);
  return p.as.write(va, b);
}

const futex: Syscall = (k, p, a) => {
  const op = a.int(1) & 0x7f;
  if (op === 0 || op === 9) {
    const cur = p.as.read(a.u64(0), 4);
    if (!cur) return -E.FAULT;
    if (new DataView(cur.buffer).getInt32(0, true) !== a.int(2)) return -E.AGAIN;
    return a.u64(3) ? -E.TIMEDOUT : -E.AGAIN; // nobody else can wake a single thread
  }
  return 0;
};

function exitCall(k: Kernel, p: Process, a: Args): number {
  if (p.clearTid) p.as.writeU32(p.clearTid, 0);
  k.exit(p, (a.int(0) & 0xff) << 8);
  return NORETURN_VALUE;
}

export const PROC_SYSCALLS: Record<number, Syscall> = {
  93: exitCall,
  94: exitCall,
  220: clone,
  435: () => -E.NOSYS, // clone3: glibc falls back to clone
  221: execve,
  260: wait4,
  129: (k, p, a) => kill(k, p, a.int(0), a.int(1)),
  130: (k, p, a) => kill(k, p, a.int(0), a.int(1)),
  131: (k, p, a) => kill(k, p, a.int(1), a.int(2)),
  134: rtSigaction,
  135: rtSigprocmask,
  139: (k, p) => (sigreturn(p) ? NORETURN_VALUE : (k.terminate(p, SIG.SEGV), NORETURN_VALUE)),
  132: (k, p, a) => {
    if (a.u64(1)) { const b = new Uint8Array(24); new DataView(b.buffer).setInt32(8, 2, true); p.as.write(a.u64(1), b); }
    return 0;
  },
  136: (k, p, a) => { // rt_sigpending
    let set = 0n;
    for (const s of p.pending) set |= 1n << BigInt(s.sig - 1);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, set & p.blocked, true);
    return p.as.write(a.u64(0), b) ? 0 : -E.FAULT;
  },
  98: futex,
  96: (k, p, a) => { p.clearTid = a.u64(0); return p.pid; },
  99: () => 0, // set_robust_list
  293: () => -E.NOSYS, // rseq
  258: () => -E.NOSYS, // riscv_hwprobe: glibc falls back to AT_HWCAP
  283: () => 0, // membarrier
  172: (k, p) => p.pid,
  173: (k, p) => p.ppid,
  178: (k, p) => p.pid,
  174: (k) => k.host.uid, 175: (k) => k.host.uid, 176: (k) => k.host.gid, 177: (k) => k.host.gid,
  143: () => 0, 144: () => 0, 145: () => 0, 146: () => 0, 147: () => 0, 149: () => 0, 159: () => 0,
  158: () => 0, // getgroups: none
  154: (k, p, a) => {
    const t = a.int(0) === 0 ? p : k.procs.get(a.int(0));
    if (!t) return -E.SRCH;
    t.pgid = a.int(1) === 0 ? t.pid : a.int(1);
    return 0;
  },
  155: (k, p, a) => { const t = a.int(0) === 0 ? p : k.procs.get(a.int(0)); return t ? t.pgid : -E.SRCH; },
  156: (k, p) => p.pgid,
  157: (k, p) => { p.pgid = p.pid; return p.pid; },
  261: (k, p, a) => (a.u64(3) && !writeRlimit(p, a.u64(3), rlimit(a.int(1))) ? -E.FAULT : 0),
  163: (k, p, a) => (writeRlimit(p, a.u64(1), rlimit(a.int(0))) ? 0 : -E.FAULT),
  164: () => 0,
  165: (k, p, a) => (p.as.write(a.u64(1), new Uint8Array(144)) ? 0 : -E.FAULT),
  122: (k, p, a) => {
    const b = new Uint8Array(Math.min(a.u32(1), 128));
    b[0] = 1;
    return p.as.write(a.u64(2), b) ? b.length : -E.FAULT;
  },
  123: () => 0,
  124: (k) => { k.yieldNow = true; return 0; },
  167: (k, p, a) => (a.int(0) === 15 ? 0 : a.int(0) === 16 ? (p.as.write(a.u64(1), new TextEncoder().encode('tsvm\0')) ? 0 : -E.FAULT) : -E.INVAL),
};
