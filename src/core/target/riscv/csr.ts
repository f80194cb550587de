/**
 * Control and status registers (RISC-V Privileged ISA 1.12 ch. 2–4; Zicsr, Zicntr; Sstc).
 * Access rules (§2.1): csr[9:8] is the lowest privilege that may access it, csr[11:10] = 3 means
 * read-only. Unimplemented CSRs raise illegal instruction.
 */
import type { Cpu } from './cpu.js';
import {
  ALL_INTS, Csr, MIP_SSIP, MIP_STIP, MSTATUS_FS, MSTATUS_MPP, MSTATUS_MPRV, MSTATUS_MXR, MSTATUS_SUM,
  MSTATUS_TVM, MSTATUS_WMASK, S_INTS, SSTATUS_MASK,
} from './csr-defs.js';
import { Priv } from './state.js';
import { Op } from './insn-table.js';

const TWO32 = 4294967296;
/** Delegable exceptions: all but ECALL from M (11) and the reserved/page-fault gaps (§3.1.8). */
const MEDELEG_MASK = 0xb3ff;

/** Result of csrRead: high word (the low word is returned). */
let outHi = 0;

function fsOn(cpu: Cpu): void {
  if ((cpu.mstatus & MSTATUS_FS) === 0) cpu.illegal();
}

/** mstatus as the 64-bit register: UXL = SXL = 2 (XLEN 64), SD summarising FS. */
function mstatusHi(cpu: Cpu): number {
  return 0xa | ((cpu.mstatus & MSTATUS_FS) === MSTATUS_FS ? 0x80000000 : 0);
}

function counterAllowed(cpu: Cpu, bit: number): void {
  if (cpu.priv === Priv.M) return;
  if ((cpu.mcounteren & (1 << bit)) === 0) cpu.illegal();
  if (cpu.priv === Priv.U && (cpu.scounteren & (1 << bit)) === 0) cpu.illegal();
}

/** Reads a CSR: returns the low word; the high word is in `csrHi()`. Raises illegal instruction if not accessible. */
export function csrRead(cpu: Cpu, csr: number): number {
  outHi = 0;
  switch (csr) {
    case Csr.FFLAGS: fsOn(cpu); return cpu.fflags;
    case Csr.FRM: fsOn(cpu); return cpu.frm;
    case Csr.FCSR: fsOn(cpu); return (cpu.frm << 5) | cpu.fflags;
    case Csr.CYCLE: counterAllowed(cpu, 0); return split(cpu.instret);
    case Csr.TIME: counterAllowed(cpu, 1); return split(Math.floor(cpu.time()));
    case Csr.INSTRET: counterAllowed(cpu, 2); return split(cpu.instret);
    case Csr.MCYCLE: case Csr.MINSTRET: return split(cpu.instret);
    case Csr.SSTATUS: outHi = mstatusHi(cpu) & 0x80000003; return cpu.mstatus & SSTATUS_MASK;
    case Csr.SIE: return cpu.mie & cpu.mideleg;
    case Csr.SIP: return cpu.mip & cpu.mideleg;
    case Csr.STVEC: outHi = cpu.stvecHi; return cpu.stvecLo;
    case Csr.SCOUNTEREN: return cpu.scounteren;
    case Csr.SENVCFG: return cpu.senvcfg;
    case Csr.SSCRATCH: outHi = cpu.sscratchHi; return cpu.sscratchLo;
    case Csr.SEPC: outHi = cpu.sepcHi; return cpu.sepcLo;
    case Csr.SCAUSE: outHi = cpu.scauseHi; return cpu.scauseLo;
    case Csr.STVAL: outHi = cpu.stvalHi; return cpu.stvalLo;
    case Csr.STIMECMP: stimecmpAllowed(cpu); outHi = cpu.stimecmpHi; return cpu.stimecmpLo;
    case Csr.SATP:
      if (cpu.priv === Priv.S && (cpu.mstatus & MSTATUS_TVM)) cpu.illegal();
      outHi = cpu.satpHi;
      return cpu.satpLo;
    case Csr.MVENDORID: case Csr.MARCHID: case Csr.MIMPID: case Csr.MCONFIGPTR: return 0;
    case Csr.MHARTID: return cpu.hartId;
    case Csr.MSTATUS: outHi = mstatusHi(cpu); return cpu.mstatus;
    case Csr.MISA: outHi = 0x80000000; return cpu.misa;
    case Csr.MEDELEG: return cpu.medeleg;
    case Csr.MIDELEG: return cpu.mideleg;
    case Csr.MIE: return cpu.mie;
    case Csr.MIP: return cpu.mip;
    case Csr.MTVEC: outHi = cpu.mtvecHi; return cpu.mtvecLo;
    case Csr.MCOUNTEREN: return cpu.mcounteren;
    case Csr.MENVCFG: outHi = cpu.menvcfgHi; return cpu.menvcfgLo;
    case Csr.MCOUNTINHIBIT: return cpu.mcountinhibit;
    case Csr.MSCRATCH: outHi = cpu.mscratchHi; return cpu.mscratchLo;
    case Csr.MEPC: outHi = cpu.mepcHi; return cpu.mepcLo;
    case Csr.MCAUSE: outHi = cpu.mcauseHi; return cpu.mcauseLo;
    case Csr.MTVAL: outHi = cpu.mtvalHi; return cpu.mtvalLo;
  }
  if (csr >= Csr.PMPCFG0 && csr < Csr.PMPCFG0 + 16) {
    if (csr & 1) cpu.illegal(); // RV64 has only the even pmpcfg registers (§3.7.1)
    const i = csr - Csr.PMPCFG0;
    outHi = cpu.pmpcfg[i + 1];
    return cpu.pmpcfg[i];
  }
  if (csr >= Csr.PMPADDR0 && csr < Csr.PMPADDR0 + 64) {
    const i = csr - Csr.PMPADDR0;
    outHi = cpu.pmpaddrHi[i];
    return cpu.pmpaddrLo[i];
  }
  // mhpmcounter3..31, mhpmevent3..31 and their user views: implemented as read-only zero (§3.1.10).
  if ((csr >= 0xb03 && csr <= 0xb1f) || (csr >= 0x323 && csr <= 0x33f)) return 0;
  if (csr >= 0xc03 && csr <= 0xc1f) { counterAllowed(cpu, csr - 0xc00); return 0; }
  // Trigger module (Debug spec 0.13.2 §5.2) with no triggers: tselect and tdata1-3 read as zero (tdata1.type 0,
  // "no trigger at this tselect"), writes are ignored; tinfo has only bit 0 (type 0). Software probes them:
  // raising illegal instruction instead fails riscv-tests' rv64mi breakpoint test.
  if (csr >= Csr.TSELECT && csr <= Csr.TDATA3) return 0;
  if (csr === Csr.TINFO) return 1;
  return cpu.illegal();
}

export function csrHi(): number {
  return outHi;
}

function split(v: number): number {
  outHi = Math.floor(v / TWO32) | 0;
  return v % TWO32 | 0;
}

function stimecmpAllowed(cpu: Cpu): void {
  if (cpu.priv === Priv.M) return;
  // Sstc: S-mode access needs menvcfg.STCE and mcounteren.TM.
  if ((cpu.menvcfgHi & 0x80000000) === 0 || (cpu.mcounteren & 2) === 0) cpu.illegal();
}

/** Writes a CSR (after csrRead checked that it exists and is accessible). */
export function csrWrite(cpu: Cpu, csr: number, lo: number, hi: number): void {
  if (csr >>> 10 === 3) cpu.illegal(); // read-only range (§2.1)
  switch (csr) {
    case Csr.FFLAGS: cpu.fflags = lo & 31; dirtyFs(cpu); return;
    case Csr.FRM: cpu.frm = lo & 7; dirtyFs(cpu); return;
    case Csr.FCSR: cpu.fflags = lo & 31; cpu.frm = (lo >>> 5) & 7; dirtyFs(cpu); return;
    case Csr.SSTATUS: writeMstatus(cpu, (cpu.mstatus & ~SSTATUS_MASK) | (lo & SSTATUS_MASK)); return;
    case Csr.SIE: cpu.mie = (cpu.mie & ~cpu.mideleg) | (lo & cpu.mideleg); return;
    case Csr.SIP: cpu.mipSw = (cpu.mipSw & ~(MIP_SSIP & cpu.mideleg)) | (lo & MIP_SSIP & cpu.mideleg); return;
    case Csr.STVEC: cpu.stvecLo = (lo & 2) ? lo & ~2 : lo; cpu.stvecHi = hi; return;
    case Csr.SCOUNTEREN: cpu.scounteren = lo & 7; return;
    case Csr.SENVCFG: cpu.senvcfg = lo & 1; return;
    case Csr.SSCRATCH: cpu.sscratchLo = lo; cpu.sscratchHi = hi; return;
    case Csr.SEPC: cpu.sepcLo = lo & ~1; cpu.sepcHi = hi; return;
    case Csr.SCAUSE: cpu.scauseLo = lo; cpu.scauseHi = hi; return;
    case Csr.STVAL: cpu.stvalLo = lo; cpu.stvalHi = hi; return;
    case Csr.STIMECMP: setStimecmp(cpu, lo, hi); return;
    case Csr.SATP: writeSatp(cpu, lo, hi); return;
    case Csr.MSTATUS: writeMstatus(cpu, lo); return;
    case Csr.MISA: return; // WARL, fixed
    case Csr.MEDELEG: cpu.medeleg = lo & MEDELEG_MASK; return;
    case Csr.MIDELEG: cpu.mideleg = lo & S_INTS; return;
    case Csr.MIE: cpu.mie = lo & ALL_INTS; return;
    case Csr.MIP: {
      // SSIP and SEIP are software-writable from M-mode; STIP too unless Sstc drives it (Sstc §1.1).
      let m = S_INTS;
      if (cpu.menvcfgHi & 0x80000000) m &= ~MIP_STIP;
      cpu.mipSw = (cpu.mipSw & ~m) | (lo & m);
      return;
    }
    case Csr.MTVEC: cpu.mtvecLo = (lo & 2) ? lo & ~2 : lo; cpu.mtvecHi = hi; return;
    case Csr.MCOUNTEREN: cpu.mcounteren = lo & 7; return;
    case Csr.MENVCFG: cpu.menvcfgLo = lo & 1; cpu.menvcfgHi = hi & 0x80000000; return;
    case Csr.MCOUNTINHIBIT: cpu.mcountinhibit = lo & 5; return;
    case Csr.MSCRATCH: cpu.mscratchLo = lo; cpu.mscratchHi = hi; return;
    case Csr.MEPC: cpu.mepcLo = lo & ~1; cpu.mepcHi = hi; return;
    case Csr.MCAUSE: cpu.mcauseLo = lo; cpu.mcauseHi = hi; return;
    case Csr.MTVAL: cpu.mtvalLo = lo; cpu.mtvalHi = hi; return;
    case Csr.MCYCLE: case Csr.MINSTRET: cpu.instret = hi * TWO32 + (lo >>> 0); return;
  }
  if (csr >= Csr.PMPCFG0 && csr < Csr.PMPCFG0 + 16) {
    const i = csr - Csr.PMPCFG0;
    // W without R is reserved (§3.7.1): keep such fields as they were.
    cpu.pmpcfg[i] = pmpcfgWarl(cpu.pmpcfg[i], lo);
    cpu.pmpcfg[i + 1] = pmpcfgWarl(cpu.pmpcfg[i + 1], hi);
    return;
  }
  if (csr >= Csr.PMPADDR0 && csr < Csr.PMPADDR0 + 64) {
    const i = csr - Csr.PMPADDR0;
    cpu.pmpaddrLo[i] = lo;
    cpu.pmpaddrHi[i] = hi & 0x3fffff; // bits 53:2 of the address (§3.7.1)
    return;
  }
  // Read-only-zero HPM counters/events: writes ignored.
}

function pmpcfgWarl(old: number, v: number): number {
  let out = 0;
  for (let b = 0; b < 32; b += 8) {
    const f = (v >>> b) & 0xff;
    const keep = (f & 3) === 2 ? (old >>> b) & 0xff : f & 0x9f;
    out |= keep << b;
  }
  return out;
}

function dirtyFs(cpu: Cpu): void {
  cpu.mstatus |= MSTATUS_FS;
}

export function writeMstatus(cpu: Cpu, v: number): void {
  const old = cpu.mstatus;
  let nv = (old & ~MSTATUS_WMASK) | (v & MSTATUS_WMASK);
  // MPP is WARL: 2 (reserved) is not kept (§3.1.6.1).
  if (((nv & MSTATUS_MPP) >>> 11) === 2) nv = (nv & ~MSTATUS_MPP) | (old & MSTATUS_MPP);
  cpu.mstatus = nv;
  const changed = old ^ nv;
  if (changed & (MSTATUS_MPRV | MSTATUS_MPP | MSTATUS_SUM | MSTATUS_MXR)) {
    // SUM and MPRV select TLB sets (cpu.ts); only MXR changes what a cached entry permits.
    cpu.updateMode();
    if (changed & MSTATUS_MXR) cpu.flushTlb();
  }
}

function writeSatp(cpu: Cpu, lo: number, hi: number): void {
  const mode = (hi >>> 28) & 15;
  // Unsupported modes make the whole write have no effect (§4.1.11).
  if (mode !== 0 && mode !== 8 && mode !== 9) return;
  // ASIDs are not implemented (ASIDLEN 0): bits 59:44 read as zero.
  cpu.satpLo = lo;
  cpu.satpHi = hi & 0xf0000fff;
  cpu.updateMode();
  cpu.flushTlb();
}

export function setStimecmp(cpu: Cpu, lo: number, hi: number): void {
  cpu.stimecmpLo = lo;
  cpu.stimecmpHi = hi;
  // Values at or above 2^53 are "never" for any realistic mtime.
  cpu.stimecmp = (hi >>> 0) >= 0x200000 ? Infinity : (hi >>> 0) * TWO32 + (lo >>> 0);
  cpu.pollStimer();
}

/**
 * CSRRW/CSRRS/CSRRC and their immediate forms (Zicsr, Unprivileged ISA ch. 9): privilege and read-only
 * checks (Privileged ISA §2.1), read, then write unless CSRRS/CSRRC name x0 (or a zero immediate).
 * rd and r1 are Int32 indices into cpu.x (rd is the sink for x0); cpu.curInst holds the word for the
 * illegal-instruction trap. Returns whether the CSR was written.
 */
export function execCsr(cpu: Cpu, op: Op, inst: number, rd: number, r1: number): boolean {
  const x = cpu.x;
  const csr = inst >>> 20;
  const src = (inst >>> 15) & 31;
  const writes = op === Op.CSRRW || op === Op.CSRRWI || src !== 0;
  if (((csr >>> 8) & 3) > cpu.priv || (writes && csr >>> 10 === 3)) cpu.illegal();
  const oL = csrRead(cpu, csr), oH = csrHi();
  if (writes) {
    const imm = op >= Op.CSRRWI;
    const sL = imm ? src : x[r1], sH = imm ? 0 : x[r1 + 1];
    let nL = sL, nH = sH;
    if (op === Op.CSRRS || op === Op.CSRRSI) { nL = oL | sL; nH = oH | sH; }
    else if (op === Op.CSRRC || op === Op.CSRRCI) { nL = oL & ~sL; nH = oH & ~sH; }
    csrWrite(cpu, csr, nL, nH);
  }
  x[rd] = oL;
  x[rd + 1] = oH;
  return writes;
}
