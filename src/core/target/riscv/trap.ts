/**
 * Trap entry and return (RISC-V Privileged ISA 1.12 §3.1.6.1, §3.1.7, §3.1.9, §3.3.2, §4.1.1):
 * delegation to S-mode through medeleg/mideleg, the interrupt priority order and the vectored
 * trap-vector mode.
 */
import { RES_NONE, type Cpu } from './cpu.js';
import {
  IRQ_MEI, IRQ_MSI, IRQ_MTI, IRQ_SEI, IRQ_SSI, IRQ_STI, MSTATUS_MIE, MSTATUS_MPIE, MSTATUS_MPP,
  MSTATUS_MPRV, MSTATUS_SIE, MSTATUS_SPIE, MSTATUS_SPP,
} from './csr-defs.js';
import { Priv } from './state.js';

/** Interrupts in decreasing priority (§3.1.9): MEI, MSI, MTI, SEI, SSI, STI. */
const PRIORITY = [IRQ_MEI, IRQ_MSI, IRQ_MTI, IRQ_SEI, IRQ_SSI, IRQ_STI];

/**
 * Enters the trap handler for `cause` taken at pc (lo/hi). `interrupt` selects mcause bit 63.
 * Sets cpu.pc to the handler.
 */
export function enterTrap(cpu: Cpu, pcLo: number, pcHi: number, cause: number, interrupt: boolean, tvalLo: number, tvalHi: number): void {
  const from = cpu.priv;
  const deleg = interrupt ? cpu.mideleg : cpu.medeleg;
  cpu.resAddr = RES_NONE;
  cpu.idle = false;
  if (from !== Priv.M && (deleg >>> cause) & 1) {
    cpu.sepcLo = pcLo; cpu.sepcHi = pcHi;
    cpu.scauseLo = cause; cpu.scauseHi = interrupt ? 0x80000000 : 0;
    cpu.stvalLo = tvalLo; cpu.stvalHi = tvalHi;
    let s = cpu.mstatus;
    s = (s & MSTATUS_SIE) ? s | MSTATUS_SPIE : s & ~MSTATUS_SPIE;
    s = from === Priv.S ? s | MSTATUS_SPP : s & ~MSTATUS_SPP;
    cpu.mstatus = s & ~MSTATUS_SIE;
    cpu.priv = Priv.S;
    setPc(cpu, cpu.stvecLo, cpu.stvecHi, interrupt, cause);
  } else {
    cpu.mepcLo = pcLo; cpu.mepcHi = pcHi;
    cpu.mcauseLo = cause; cpu.mcauseHi = interrupt ? 0x80000000 : 0;
    cpu.mtvalLo = tvalLo; cpu.mtvalHi = tvalHi;
    let s = cpu.mstatus;
    s = (s & MSTATUS_MIE) ? s | MSTATUS_MPIE : s & ~MSTATUS_MPIE;
    s = (s & ~MSTATUS_MPP) | (from << 11);
    cpu.mstatus = s & ~MSTATUS_MIE;
    cpu.priv = Priv.M;
    setPc(cpu, cpu.mtvecLo, cpu.mtvecHi, interrupt, cause);
  }
  cpu.updateMode();
}

function setPc(cpu: Cpu, tvecLo: number, tvecHi: number, interrupt: boolean, cause: number): void {
  const base = tvecLo & ~3;
  if (interrupt && (tvecLo & 3) === 1) {
    // Vectored mode: BASE + 4 × cause for interrupts (§3.1.7).
    const lo = (base + 4 * cause) | 0;
    cpu.pcLo = lo;
    cpu.pcHi = (lo >>> 0) < (base >>> 0) ? (tvecHi + 1) | 0 : tvecHi;
  } else {
    cpu.pcLo = base;
    cpu.pcHi = tvecHi;
  }
}

/** The interrupt that should be taken now, or -1 (§3.1.9 enabling rules). */
export function pendingInterrupt(cpu: Cpu): number {
  const pending = cpu.mip & cpu.mie;
  if (pending === 0) return -1;
  const priv = cpu.priv;
  const mEnabled = priv !== Priv.M || (cpu.mstatus & MSTATUS_MIE) !== 0;
  const sEnabled = priv === Priv.U || (priv === Priv.S && (cpu.mstatus & MSTATUS_SIE) !== 0);
  const mPending = mEnabled ? pending & ~cpu.mideleg : 0;
  const sPending = sEnabled ? pending & cpu.mideleg : 0;
  const m = mPending !== 0 ? mPending : sPending;
  if (m === 0) return -1;
  for (let i = 0; i < PRIORITY.length; i++) if (m & (1 << PRIORITY[i])) return PRIORITY[i];
  return -1;
}

/** Takes a pending enabled interrupt at the current pc, if any. Returns true if one was taken. */
export function checkInterrupts(cpu: Cpu): boolean {
  const irq = pendingInterrupt(cpu);
  if (irq < 0) return false;
  enterTrap(cpu, cpu.pcLo, cpu.pcHi, irq, true, 0, 0);
  return true;
}

/**
 * The start of a run slice (interpreter or translator): takes a pending enabled interrupt, and returns
 * false if the hart stays asleep in WFI. WFI resumes when any interrupt is pending and locally enabled,
 * even if globally disabled (§3.3.3).
 */
export function startSlice(cpu: Cpu): boolean {
  checkInterrupts(cpu);
  if (cpu.idle) {
    if ((cpu.mip & cpu.mie) === 0) return false;
    cpu.idle = false;
  }
  return true;
}

/** MRET (§3.3.2). */
export function mret(cpu: Cpu): void {
  let s = cpu.mstatus;
  const mpp = ((s & MSTATUS_MPP) >>> 11) as Priv;
  s = (s & MSTATUS_MPIE) ? s | MSTATUS_MIE : s & ~MSTATUS_MIE;
  s |= MSTATUS_MPIE;
  s &= ~MSTATUS_MPP; // MPP ← U
  if (mpp !== Priv.M) s &= ~MSTATUS_MPRV;
  cpu.mstatus = s;
  cpu.priv = mpp;
  cpu.pcLo = cpu.mepcLo;
  cpu.pcHi = cpu.mepcHi;
  cpu.resAddr = RES_NONE;
  cpu.updateMode();
}

/** SRET (§3.3.2). */
export function sret(cpu: Cpu): void {
  let s = cpu.mstatus;
  const spp = (s & MSTATUS_SPP) ? Priv.S : Priv.U;
  s = (s & MSTATUS_SPIE) ? s | MSTATUS_SIE : s & ~MSTATUS_SIE;
  s |= MSTATUS_SPIE;
  s &= ~MSTATUS_SPP;
  s &= ~MSTATUS_MPRV; // returning to a mode below M clears MPRV (1.12)
  cpu.mstatus = s;
  cpu.priv = spp;
  cpu.pcLo = cpu.sepcLo;
  cpu.pcHi = cpu.sepcHi;
  cpu.resAddr = RES_NONE;
  cpu.updateMode();
}
