/**
 * Signal frames (Linux arch/riscv/kernel/signal.c layout): struct rt_sigframe { siginfo_t info;
 * struct ucontext uc; } with uc_mcontext = struct sigcontext { user_regs_struct sc_regs;
 * __riscv_fp_state sc_fpregs; }. The handler returns through the trampoline page to rt_sigreturn.
 */
import type { Kernel } from './kernel.js';
import { Process, SigAction, getPc, getReg, setPc, setReg } from './proc.js';

const SIGINFO_SIZE = 128;
const UC_SIGMASK = 40;
const UC_MCONTEXT = 176;
const FP_OFF = UC_MCONTEXT + 256;
const FRAME_SIZE = SIGINFO_SIZE + UC_MCONTEXT + 256 + 264 + 16;
const SA_NODEFER = 0x40000000, SA_RESETHAND = 0x80000000, SA_RESTORER = 0x04000000;

export interface PendingSignal {
  sig: number;
  code: number;
  addr: number;
  pid: number;
}

function u64(dv: DataView, off: number, v: number): void {
  dv.setUint32(off, v % 4294967296 >>> 0, true);
  dv.setUint32(off + 4, Math.floor(v / 4294967296) >>> 0, true);
}

function g64(dv: DataView, off: number): number {
  return dv.getUint32(off + 4, true) * 4294967296 + dv.getUint32(off, true);
}

/** Builds the frame on the user stack and enters the handler. False if the stack is unusable. */
export function setupFrame(k: Kernel, p: Process, s: PendingSignal, act: SigAction): boolean {
  const cpu = p.cpu;
  const sp = Math.floor((getReg(cpu, 2) - FRAME_SIZE) / 16) * 16;
  const buf = new Uint8Array(FRAME_SIZE);
  const dv = new DataView(buf.buffer);
  // siginfo: si_signo, si_errno, si_code, then the union at 16.
  dv.setInt32(0, s.sig, true);
  dv.setInt32(8, s.code, true);
  if (s.sig === 11 || s.sig === 7 || s.sig === 4 || s.sig === 8 || s.sig === 5) u64(dv, 16, s.addr);
  else { dv.setInt32(16, s.pid, true); dv.setInt32(20, k.host.uid, true); }
  const uc = SIGINFO_SIZE;
  dv.setInt32(uc + 16 + 8, 2, true); // uc_stack.ss_flags = SS_DISABLE
  dv.setBigUint64(uc + UC_SIGMASK, p.blocked, true);
  const mc = uc + UC_MCONTEXT;
  u64(dv, mc, getPc(cpu));
  for (let r = 1; r < 32; r++) {
    dv.setInt32(mc + r * 8, cpu.x[2 * r], true);
    dv.setInt32(mc + r * 8 + 4, cpu.x[2 * r + 1], true);
  }
  for (let f = 0; f < 64; f++) dv.setInt32(uc + FP_OFF + f * 4, cpu.fi[f], true);
  dv.setUint32(uc + FP_OFF + 256, cpu.fflags | (cpu.frm << 5), true);
  if (!p.as.write(sp, buf)) return false;
  if (!(act.flags & SA_NODEFER)) p.blocked |= 1n << BigInt(s.sig - 1);
  p.blocked |= act.mask;
  const handler = act.handler;
  const restorer = act.flags & SA_RESTORER ? (act as SigAction & { restorer?: number }).restorer ?? p.sigtramp : p.sigtramp;
  if (act.flags & SA_RESETHAND) { act.handler = 0; act.flags = 0; }
  setReg(cpu, 10, s.sig);
  setReg(cpu, 11, sp);
  setReg(cpu, 12, sp + uc);
  setReg(cpu, 1, restorer);
  setReg(cpu, 2, sp);
  setPc(cpu, handler);
  return true;
}

/** rt_sigreturn: restores registers and the signal mask from the frame at sp. */
export function sigreturn(p: Process): boolean {
  const cpu = p.cpu;
  const sp = getReg(cpu, 2);
  const buf = p.as.read(sp, FRAME_SIZE);
  if (!buf) return false;
  const dv = new DataView(buf.buffer);
  const uc = SIGINFO_SIZE;
  p.blocked = dv.getBigUint64(uc + UC_SIGMASK, true) & ~((1n << 8n) | (1n << 18n));
  const mc = uc + UC_MCONTEXT;
  setPc(cpu, g64(dv, mc));
  for (let r = 1; r < 32; r++) {
    cpu.x[2 * r] = dv.getInt32(mc + r * 8, true);
    cpu.x[2 * r + 1] = dv.getInt32(mc + r * 8 + 4, true);
  }
  for (let f = 0; f < 64; f++) cpu.fi[f] = dv.getInt32(uc + FP_OFF + f * 4, true);
  const fcsr = dv.getUint32(uc + FP_OFF + 256, true);
  cpu.fflags = fcsr & 31;
  cpu.frm = (fcsr >> 5) & 7;
  return true;
}
