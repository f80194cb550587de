/** Time, randomness and system information syscalls. */
import type { Syscall } from './syscalls.js';
import type { Kernel } from './kernel.js';
import type { Process } from './proc.js';
import { E } from './abi.js';

function timespecBytes(sec: number, nsec: number): Uint8Array {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setBigInt64(0, BigInt(Math.floor(sec)), true);
  dv.setBigInt64(8, BigInt(Math.floor(nsec)), true);
  return b;
}

/** [sec, nsec] of a clock. */
function clockNow(k: Kernel, clk: number): [number, number] {
  if (clk === 0 || clk === 5 || clk === 8) return k.host.realtime();
  const ns = k.host.monotonic();
  return [Math.floor(ns / 1e9), Math.floor(ns % 1e9)];
}

function readTimespec(p: Process, va: number): number | undefined {
  const b = p.as.read(va, 16);
  if (!b) return undefined;
  const dv = new DataView(b.buffer);
  return Number(dv.getBigInt64(0, true)) * 1e9 + Number(dv.getBigInt64(8, true));
}

function sleepNs(k: Kernel, ns: number): void {
  if (ns > 0) k.host.sleep(ns / 1e6);
}

function utsField(s: string): Uint8Array {
  const b = new Uint8Array(65);
  b.set(new TextEncoder().encode(s).subarray(0, 64));
  return b;
}

export const MISC_SYSCALLS: Record<number, Syscall> = {
  160: (k, p, a) => {
    const fields = ['Linux', k.host.hostname, '6.1.0', '#1 SMP PREEMPT tsvm', 'riscv64', '(none)'];
    const b = new Uint8Array(65 * 6);
    fields.forEach((f, i) => b.set(utsField(f), i * 65));
    return p.as.write(a.u64(0), b) ? 0 : -E.FAULT;
  },
  113: (k, p, a) => {
    const [s, ns] = clockNow(k, a.int(0));
    return p.as.write(a.u64(1), timespecBytes(s, ns)) ? 0 : -E.FAULT;
  },
  114: (k, p, a) => (a.u64(1) ? (p.as.write(a.u64(1), timespecBytes(0, 1)) ? 0 : -E.FAULT) : 0),
  169: (k, p, a) => {
    if (a.u64(0)) {
      const [s, ns] = k.host.realtime();
      if (!p.as.write(a.u64(0), timespecBytes(s, ns / 1000))) return -E.FAULT;
    }
    if (a.u64(1)) p.as.write(a.u64(1), new Uint8Array(8));
    return 0;
  },
  101: (k, p, a) => {
    const ns = readTimespec(p, a.u64(0));
    if (ns === undefined) return -E.FAULT;
    if (ns < 0) return -E.INVAL;
    sleepNs(k, ns);
    return 0;
  },
  115: (k, p, a) => {
    const ns = readTimespec(p, a.u64(2));
    if (ns === undefined) return -E.FAULT;
    if (a.int(1) & 1) { // TIMER_ABSTIME
      const [s, n] = clockNow(k, a.int(0));
      sleepNs(k, ns - (s * 1e9 + n));
    } else sleepNs(k, ns);
    return 0;
  },
  278: (k, p, a) => {
    const b = new Uint8Array(Math.min(a.u64(1), 1 << 20));
    k.host.random(b);
    return p.as.write(a.u64(0), b) ? b.length : -E.FAULT;
  },
  179: (k, p, a) => {
    const b = new Uint8Array(112);
    const dv = new DataView(b.buffer);
    dv.setBigInt64(0, BigInt(Math.floor(k.host.monotonic() / 1e9)), true);
    dv.setBigUint64(32, BigInt(k.ramBytes), true);
    dv.setBigUint64(40, BigInt(k.ramBytes / 2), true);
    dv.setUint16(80, k.procs.size, true);
    dv.setUint32(104, 1, true);
    return p.as.write(a.u64(0), b) ? 0 : -E.FAULT;
  },
  153: (k, p, a) => {
    if (a.u64(0) && !p.as.write(a.u64(0), new Uint8Array(32))) return -E.FAULT;
    return Math.floor(k.host.monotonic() / 1e7);
  },
  168: (k, p, a) => { if (a.u64(0)) p.as.writeU32(a.u64(0), 0); if (a.u64(1)) p.as.writeU32(a.u64(1), 0); return 0; },
  141: () => 20, 140: () => 0,
  102: (k, p, a) => (a.u64(1) ? (p.as.write(a.u64(1), new Uint8Array(32)) ? 0 : -E.FAULT) : 0),
  103: () => 0,
  198: () => -E.AFNOSUPPORT, // socket: no socket family is emulated (glibc's nscd client then reads /etc files)
  // riscv_flush_icache: nothing to do, every store to code (and every kernel write) reaches the next fetch.
  259: (k, p, a) => ((a.u64(2) & ~1) !== 0 ? -E.INVAL : 0),
};
