/**
 * The reference interpreter: fetch through the instruction TLB, expand compressed instructions
 * (rvc.ts), decode through the one encoding table (decode.ts) and execute. Allocates nothing per
 * instruction; 64-bit values are int32 pairs (see cpu.ts).
 */
import { Cpu, TLB_MASK, TRAP } from './cpu.js';
import { decode } from './decode.js';
import { Op, FP_FIRST } from './insn-table.js';
import { rvcExpand } from './rvc.js';
import { Cause, Csr, MSTATUS_FS, MSTATUS_TSR, MSTATUS_TVM, MSTATUS_TW } from './csr-defs.js';
import { execCsr } from './csr.js';
import { enterTrap, startSlice, pendingInterrupt, mret, sret } from './trap.js';
import { ACC_X } from './mmu.js';
import { execFp } from './fpu.js';
import { execAtomic, execFpMem } from './exec-mem.js';

import * as m64 from './int64.js';
import { Priv, X_SINK } from './state.js';


/**
 * Decode cache: instruction word → (expanded 32-bit word, op), 16K entries (144 KiB). Measured on the
 * first 100M instructions of a Linux boot: 2^10 entries 3.91 s, 2^12 3.73 s, 2^14 3.60 s, 2^16 3.70 s.
 * Entry 0 is valid from the start: word 0 is the illegal instruction.
 */
const DC_BITS = 14;
const DC_SHIFT = 32 - DC_BITS;
const dcRaw = new Int32Array(1 << DC_BITS);
const dcInst = new Int32Array(1 << DC_BITS);
const dcOp = new Uint8Array(1 << DC_BITS);

function fillDecodeCache(ci: number, raw: number): void {
  const inst = (raw & 3) === 3 ? raw : rvcExpand(raw);
  dcRaw[ci] = raw;
  dcInst[ci] = inst;
  dcOp[ci] = inst === 0 ? Op.ILLEGAL : decode(inst);
}

/** Fetches the instruction word at pc when the instruction TLB misses. Returns a host byte offset. */
function fetchSlow(cpu: Cpu, lo: number, hi: number): number {
  const pa = cpu.translate(lo, hi, ACC_X);
  if (pa < cpu.ramBase || pa + 2 > cpu.ramEnd) return cpu.raise(Cause.FETCH_ACCESS, lo, hi);
  return pa + cpu.ramDelta;
}

/**
 * Upper half of a 32-bit instruction that straddles a page boundary. A fault here reports the second
 * parcel's address in xtval while xepc stays the instruction's (priv spec §3.1.16).
 */
function fetchHigh(cpu: Cpu, lo: number, hi: number): number {
  const nlo = (lo + 2) | 0;
  const nhi = (nlo >>> 0) < (lo >>> 0) ? (hi + 1) | 0 : hi;
  return cpu.u16[fetchSlow(cpu, nlo, nhi) >> 1];
}

/** Runs up to `budget` instructions. Returns early on WFI-idle, interrupts enabled by a CSR write, or stop requests. */
export function run(cpu: Cpu, budget: number): void {
  if (!startSlice(cpu)) return;
  const x = cpu.x;
  const u16 = cpu.u16;
  const xTlb = cpu.xTlb;
  let pcLo = cpu.pcLo;
  let pcHi = cpu.pcHi;
  const start = budget;
  // With the translator on: taken branches count their target down in `hot` and stop the slice at a hot
  // (or already translated) target so that the dispatcher can run or translate it. Every early stop
  // (that, WFI, a CSR write or xRET that makes an interrupt pending) keeps the unused budget in `stash`,
  // so instret counts only what retired.
  const hot = cpu.hot;
  let stash = 0;
  let base = cpu.instret;
  let fPage = 1; // never equal to a page-aligned pc: forces a lookup
  let fPageHi = 0;
  let fBase = 0;
  for (;;) {
    try {
      while (budget > 0) {
        budget--;
        // ---- fetch: the current code page is cached in locals; it is dropped on every event that can
        // change translation (traps, xRET, SFENCE.VMA, CSR writes, SBI calls).
        if ((pcLo & -4096) !== fPage || pcHi !== fPageHi) {
          // With the translator, entering another page counts like a branch target: straight-line code that
          // runs on into the next page (a long unrolled function) reaches the dispatcher there, as a
          // translated region would (regions end at the page). Not at the first fetch of the call, which
          // the dispatcher asked for.
          if (hot !== null && fPage !== 1 && hotTarget(hot, pcLo)) { budget++; stash = budget; budget = 0; continue; }
          const te = (((pcLo >>> 12) & TLB_MASK) + cpu.xset) << 2;
          if (xTlb[te] === (pcLo & -4096) && xTlb[te + 1] === pcHi) fBase = xTlb[te + 2];
          else fBase = fetchSlow(cpu, pcLo, pcHi) - (pcLo & 4095);
          fPage = pcLo & -4096;
          fPageHi = pcHi;
        }
        const h = fBase + (pcLo & 4095);
        // Both halfwords are read unconditionally and selected without a data-dependent branch
        // (compressed and full-size instructions interleave unpredictably in real code).
        const lo16 = u16[h >> 1];
        const full = (lo16 & 3) === 3 ? 1 : 0;
        let raw = full ? lo16 | (u16[(h >> 1) + 1] << 16) : lo16;
        if (full && (pcLo & 4095) === 4094) raw = lo16 | (fetchHigh(cpu, pcLo, pcHi) << 16);
        const len = 2 + 2 * full;
        // Decoded-instruction cache keyed by the instruction word itself (so it never goes stale).
        const ci = Math.imul(raw, 0x9e3779b1) >>> DC_SHIFT;
        if (dcRaw[ci] !== raw) fillDecodeCache(ci, raw);
        const inst = dcInst[ci];
        const op = dcOp[ci];
        // Results for x0 land in the sink after the register file, so x0 always reads as zero.
        const rd = ((inst >>> 6) & 62) || X_SINK;
        const r1 = (inst >>> 14) & 62;
        const r2 = (inst >>> 19) & 62;
        switch (op) {
          // ---------------------------------------------------------------- RV64I
          case Op.LUI: { const v = inst & -4096; x[rd] = v; x[rd + 1] = v >> 31; break; }
          case Op.AUIPC: {
            const imm = inst & -4096;
            const lo = (pcLo + imm) | 0;
            x[rd + 1] = (pcHi + (imm >> 31) + ((lo >>> 0) < (pcLo >>> 0) ? 1 : 0)) | 0;
            x[rd] = lo;
            break;
          }
          case Op.JAL: {
            const imm = ((inst >> 31) << 20) | (inst & 0xff000) | (((inst >>> 20) & 1) << 11) | (((inst >>> 21) & 1023) << 1);
            const l = (pcLo + len) | 0;
            x[rd] = l; x[rd + 1] = (l >>> 0) < (pcLo >>> 0) ? (pcHi + 1) | 0 : pcHi;
            const t = (pcLo + imm) | 0;
            pcHi = (pcHi + (imm >> 31) + ((t >>> 0) < (pcLo >>> 0) ? 1 : 0)) | 0;
            pcLo = t;
            if (hot !== null && hotTarget(hot, pcLo)) { stash = budget; budget = 0; }
            continue;
          }
          case Op.JALR: {
            const imm = inst >> 20, a = x[r1];
            const tLo = (a + imm) | 0;
            const tHi = (x[r1 + 1] + (imm >> 31) + ((tLo >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
            const l = (pcLo + len) | 0;
            x[rd] = l; x[rd + 1] = (l >>> 0) < (pcLo >>> 0) ? (pcHi + 1) | 0 : pcHi;
            pcLo = tLo & ~1; pcHi = tHi;
            if (hot !== null && hotTarget(hot, pcLo)) { stash = budget; budget = 0; }
            continue;
          }
          // One case per op: a nested switch would add a second unpredictable jump per instruction.
          case Op.BEQ:
            if (x[r1] === x[r2] && x[r1 + 1] === x[r2 + 1]) {
              const imm = bImm(inst), t = (pcLo + imm) | 0;
              pcHi = (pcHi + (imm >> 31) + ((t >>> 0) < (pcLo >>> 0) ? 1 : 0)) | 0;
              pcLo = t;
              if (hot !== null && hotTarget(hot, pcLo)) { stash = budget; budget = 0; }
              continue;
            }
            break;
          case Op.BNE:
            if (x[r1] !== x[r2] || x[r1 + 1] !== x[r2 + 1]) {
              const imm = bImm(inst), t = (pcLo + imm) | 0;
              pcHi = (pcHi + (imm >> 31) + ((t >>> 0) < (pcLo >>> 0) ? 1 : 0)) | 0;
              pcLo = t;
              if (hot !== null && hotTarget(hot, pcLo)) { stash = budget; budget = 0; }
              continue;
            }
            break;
          case Op.BLT:
            if (x[r1 + 1] < x[r2 + 1] || (x[r1 + 1] === x[r2 + 1] && (x[r1] >>> 0) < (x[r2] >>> 0))) {
              const imm = bImm(inst), t = (pcLo + imm) | 0;
              pcHi = (pcHi + (imm >> 31) + ((t >>> 0) < (pcLo >>> 0) ? 1 : 0)) | 0;
              pcLo = t;
              if (hot !== null && hotTarget(hot, pcLo)) { stash = budget; budget = 0; }
              continue;
            }
            break;
          case Op.BGE:
            if (x[r1 + 1] > x[r2 + 1] || (x[r1 + 1] === x[r2 + 1] && (x[r1] >>> 0) >= (x[r2] >>> 0))) {
              const imm = bImm(inst), t = (pcLo + imm) | 0;
              pcHi = (pcHi + (imm >> 31) + ((t >>> 0) < (pcLo >>> 0) ? 1 : 0)) | 0;
              pcLo = t;
              if (hot !== null && hotTarget(hot, pcLo)) { stash = budget; budget = 0; }
              continue;
            }
            break;
          case Op.BLTU:
            if ((x[r1 + 1] >>> 0) < (x[r2 + 1] >>> 0) || (x[r1 + 1] === x[r2 + 1] && (x[r1] >>> 0) < (x[r2] >>> 0))) {
              const imm = bImm(inst), t = (pcLo + imm) | 0;
              pcHi = (pcHi + (imm >> 31) + ((t >>> 0) < (pcLo >>> 0) ? 1 : 0)) | 0;
              pcLo = t;
              if (hot !== null && hotTarget(hot, pcLo)) { stash = budget; budget = 0; }
              continue;
            }
            break;
          case Op.BGEU:
            if ((x[r1 + 1] >>> 0) > (x[r2 + 1] >>> 0) || (x[r1 + 1] === x[r2 + 1] && (x[r1] >>> 0) >= (x[r2] >>> 0))) {
              const imm = bImm(inst), t = (pcLo + imm) | 0;
              pcHi = (pcHi + (imm >> 31) + ((t >>> 0) < (pcLo >>> 0) ? 1 : 0)) | 0;
              pcLo = t;
              if (hot !== null && hotTarget(hot, pcLo)) { stash = budget; budget = 0; }
              continue;
            }
            break;
          case Op.LD: cpu.load64(iaLo(x, r1, inst), eaHi, x, rd); break;
          case Op.LW: { const v = cpu.load32(iaLo(x, r1, inst), eaHi); x[rd] = v; x[rd + 1] = v >> 31; break; }
          case Op.LWU: { const v = cpu.load32(iaLo(x, r1, inst), eaHi); x[rd] = v; x[rd + 1] = 0; break; }
          case Op.LBU: { const v = cpu.load8u(iaLo(x, r1, inst), eaHi); x[rd] = v; x[rd + 1] = 0; break; }
          case Op.LB: { const v = cpu.load8(iaLo(x, r1, inst), eaHi); x[rd] = v; x[rd + 1] = v >> 31; break; }
          case Op.LH: { const v = cpu.load16(iaLo(x, r1, inst), eaHi); x[rd] = v; x[rd + 1] = v >> 31; break; }
          case Op.LHU: { const v = cpu.load16u(iaLo(x, r1, inst), eaHi); x[rd] = v; x[rd + 1] = 0; break; }
          case Op.SD: cpu.store64(saLo(x, r1, inst), eaHi, x[r2], x[r2 + 1]); break;
          case Op.SW: cpu.store32(saLo(x, r1, inst), eaHi, x[r2]); break;
          case Op.SH: cpu.store16(saLo(x, r1, inst), eaHi, x[r2]); break;
          case Op.SB: cpu.store8(saLo(x, r1, inst), eaHi, x[r2]); break;
          case Op.ADDI: {
            const imm = inst >> 20, a = x[r1];
            const lo = (a + imm) | 0;
            x[rd + 1] = (x[r1 + 1] + (imm >> 31) + ((lo >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
            x[rd] = lo;
            break;
          }
          case Op.SLTI: case Op.SLTIU: {
            const bL = inst >> 20, bH = bL >> 31, aL = x[r1], aH = x[r1 + 1];
            const lt = op === Op.SLTI
              ? aH < bH || (aH === bH && (aL >>> 0) < (bL >>> 0))
              : (aH >>> 0) < (bH >>> 0) || (aH === bH && (aL >>> 0) < (bL >>> 0));
            x[rd] = lt ? 1 : 0; x[rd + 1] = 0;
            break;
          }
          case Op.XORI: { const i = inst >> 20; x[rd + 1] = x[r1 + 1] ^ (i >> 31); x[rd] = x[r1] ^ i; break; }
          case Op.ORI: { const i = inst >> 20; x[rd + 1] = x[r1 + 1] | (i >> 31); x[rd] = x[r1] | i; break; }
          case Op.ANDI: { const i = inst >> 20; x[rd + 1] = x[r1 + 1] & (i >> 31); x[rd] = x[r1] & i; break; }
          case Op.SLLI: shl(x, rd, x[r1], x[r1 + 1], (inst >>> 20) & 63); break;
          case Op.SRLI: shr(x, rd, x[r1], x[r1 + 1], (inst >>> 20) & 63); break;
          case Op.SRAI: sar(x, rd, x[r1], x[r1 + 1], (inst >>> 20) & 63); break;
          case Op.ADD: {
            const aL = x[r1], lo = (aL + x[r2]) | 0;
            x[rd + 1] = (x[r1 + 1] + x[r2 + 1] + ((lo >>> 0) < (aL >>> 0) ? 1 : 0)) | 0;
            x[rd] = lo;
            break;
          }
          case Op.SUB: {
            const aL = x[r1], bL = x[r2];
            x[rd + 1] = (x[r1 + 1] - x[r2 + 1] - ((aL >>> 0) < (bL >>> 0) ? 1 : 0)) | 0;
            x[rd] = (aL - bL) | 0;
            break;
          }
          case Op.SLL: shl(x, rd, x[r1], x[r1 + 1], x[r2] & 63); break;
          case Op.SRL: shr(x, rd, x[r1], x[r1 + 1], x[r2] & 63); break;
          case Op.SRA: sar(x, rd, x[r1], x[r1 + 1], x[r2] & 63); break;
          case Op.SLT: case Op.SLTU: {
            const aL = x[r1], aH = x[r1 + 1], bL = x[r2], bH = x[r2 + 1];
            const lt = op === Op.SLT
              ? aH < bH || (aH === bH && (aL >>> 0) < (bL >>> 0))
              : (aH >>> 0) < (bH >>> 0) || (aH === bH && (aL >>> 0) < (bL >>> 0));
            x[rd] = lt ? 1 : 0; x[rd + 1] = 0;
            break;
          }
          case Op.XOR: x[rd] = x[r1] ^ x[r2]; x[rd + 1] = x[r1 + 1] ^ x[r2 + 1]; break;
          case Op.OR: x[rd] = x[r1] | x[r2]; x[rd + 1] = x[r1 + 1] | x[r2 + 1]; break;
          case Op.AND: x[rd] = x[r1] & x[r2]; x[rd + 1] = x[r1 + 1] & x[r2 + 1]; break;
          case Op.ADDIW: { const v = (x[r1] + (inst >> 20)) | 0; x[rd] = v; x[rd + 1] = v >> 31; break; }
          case Op.SLLIW: { const v = x[r1] << ((inst >>> 20) & 31); x[rd] = v; x[rd + 1] = v >> 31; break; }
          case Op.SRLIW: { const v = (x[r1] >>> ((inst >>> 20) & 31)) | 0; x[rd] = v; x[rd + 1] = v >> 31; break; }
          case Op.SRAIW: { const v = x[r1] >> ((inst >>> 20) & 31); x[rd] = v; x[rd + 1] = v >> 31; break; }
          case Op.ADDW: { const v = (x[r1] + x[r2]) | 0; x[rd] = v; x[rd + 1] = v >> 31; break; }
          case Op.SUBW: { const v = (x[r1] - x[r2]) | 0; x[rd] = v; x[rd + 1] = v >> 31; break; }
          case Op.SLLW: { const v = x[r1] << (x[r2] & 31); x[rd] = v; x[rd + 1] = v >> 31; break; }
          case Op.SRLW: { const v = (x[r1] >>> (x[r2] & 31)) | 0; x[rd] = v; x[rd + 1] = v >> 31; break; }
          case Op.SRAW: { const v = x[r1] >> (x[r2] & 31); x[rd] = v; x[rd + 1] = v >> 31; break; }
          case Op.FENCE: break;
          case Op.FENCE_I: cpu.fenceI(); break;
          // ---------------------------------------------------------------- M
          case Op.MUL: m64.mul(x, rd, x[r1], x[r1 + 1], x[r2], x[r2 + 1]); break;
          case Op.MULH: m64.mulh(x, rd, x[r1], x[r1 + 1], x[r2], x[r2 + 1]); break;
          case Op.MULHSU: m64.mulhsu(x, rd, x[r1], x[r1 + 1], x[r2], x[r2 + 1]); break;
          case Op.MULHU: m64.mulhu(x, rd, x[r1], x[r1 + 1], x[r2], x[r2 + 1]); break;
          case Op.DIV: m64.div(x, rd, x[r1], x[r1 + 1], x[r2], x[r2 + 1]); break;
          case Op.DIVU: m64.divu(x, rd, x[r1], x[r1 + 1], x[r2], x[r2 + 1]); break;
          case Op.REM: m64.rem(x, rd, x[r1], x[r1 + 1], x[r2], x[r2 + 1]); break;
          case Op.REMU: m64.remu(x, rd, x[r1], x[r1 + 1], x[r2], x[r2 + 1]); break;
          case Op.MULW: { const v = Math.imul(x[r1], x[r2]); x[rd] = v; x[rd + 1] = v >> 31; break; }
          case Op.DIVW: m64.divw(x, rd, x[r1], x[r2]); break;
          case Op.DIVUW: m64.divuw(x, rd, x[r1], x[r2]); break;
          case Op.REMW: m64.remw(x, rd, x[r1], x[r2]); break;
          case Op.REMUW: m64.remuw(x, rd, x[r1], x[r2]); break;
          // ---------------------------------------------------------------- A
          case Op.LR_W: case Op.LR_D: case Op.SC_W: case Op.SC_D:
          case Op.AMOSWAP_W: case Op.AMOADD_W: case Op.AMOXOR_W: case Op.AMOAND_W: case Op.AMOOR_W:
          case Op.AMOMIN_W: case Op.AMOMAX_W: case Op.AMOMINU_W: case Op.AMOMAXU_W:
          case Op.AMOSWAP_D: case Op.AMOADD_D: case Op.AMOXOR_D: case Op.AMOAND_D: case Op.AMOOR_D:
          case Op.AMOMIN_D: case Op.AMOMAX_D: case Op.AMOMINU_D: case Op.AMOMAXU_D:
            execAtomic(cpu, op, rd, r1, r2);
            break;
          // ---------------------------------------------------------------- F/D loads and stores
          case Op.FLW: case Op.FLD: case Op.FSW: case Op.FSD:
            cpu.curInst = raw;
            execFpMem(cpu, op, inst);
            break;
          // ---------------------------------------------------------------- SYSTEM
          case Op.ECALL:
            if (cpu.priv === Priv.S && cpu.env.sbiCall !== undefined) {
              cpu.pcLo = pcLo; cpu.pcHi = pcHi;
              if (cpu.env.sbiCall(cpu)) {
                fPage = 1;
                if (cpu.stopRequested || pendingInterrupt(cpu) >= 0) { stash = budget; budget = 0; }
                break;
              }
            }
            cpu.raise(cpu.priv === Priv.M ? Cause.ECALL_M : cpu.priv === Priv.S ? Cause.ECALL_S : Cause.ECALL_U, 0, 0);
            break;
          case Op.EBREAK: cpu.raise(Cause.BREAKPOINT, pcLo, pcHi); break;
          case Op.MRET:
            if (cpu.priv !== Priv.M) { cpu.curInst = raw; cpu.illegal(); }
            mret(cpu); pcLo = cpu.pcLo; pcHi = cpu.pcHi; fPage = 1;
            if (pendingInterrupt(cpu) >= 0) { stash = budget; budget = 0; }
            continue;
          case Op.SRET:
            if (cpu.priv === Priv.U || (cpu.priv === Priv.S && (cpu.mstatus & MSTATUS_TSR))) { cpu.curInst = raw; cpu.illegal(); }
            sret(cpu); pcLo = cpu.pcLo; pcHi = cpu.pcHi; fPage = 1;
            if (pendingInterrupt(cpu) >= 0) { stash = budget; budget = 0; }
            continue;
          case Op.WFI:
            if (cpu.priv === Priv.U || (cpu.priv === Priv.S && (cpu.mstatus & MSTATUS_TW))) { cpu.curInst = raw; cpu.illegal(); }
            // Idle the host until an interrupt is pending, enabled or not (§3.3.3).
            if ((cpu.mip & cpu.mie) === 0) cpu.idle = true;
            stash = budget;
            budget = 0;
            break;
          case Op.SFENCE_VMA:
            if (cpu.priv === Priv.U || (cpu.priv === Priv.S && (cpu.mstatus & MSTATUS_TVM))) { cpu.curInst = raw; cpu.illegal(); }
            if (r1 === 0) cpu.flushTlb();
            else cpu.flushPage(x[r1], x[r1 + 1]);
            fPage = 1;
            break;
          case Op.CSRRW: case Op.CSRRS: case Op.CSRRC: case Op.CSRRWI: case Op.CSRRSI: case Op.CSRRCI: {
            cpu.curInst = raw;
            cpu.instret = base + (start - budget - 1);
            const wrote = execCsr(cpu, op, inst, rd, r1);
            if (wrote) fPage = 1;
            // A CSR write takes effect after the writing instruction has otherwise completed: after a write to
            // minstret or mcycle (one counter here) the next instruction reads the value written, without this
            // instruction's own retirement on top (riscv-tests rv64mi instret_overflow).
            base = cpu.instret - (start - budget - (wrote && ((inst >>> 20) & ~2) === Csr.MCYCLE ? 0 : 1));
            if (pendingInterrupt(cpu) >= 0 || cpu.stopRequested) { stash = budget; budget = 0; }
            break;
          }
          case Op.ILLEGAL:
            cpu.curInst = raw;
            cpu.illegal();
            break;
          default:
            // F and D computational instructions.
            if (op >= FP_FIRST) {
              if ((cpu.mstatus & MSTATUS_FS) === 0) { cpu.curInst = raw; cpu.illegal(); }
              cpu.curInst = raw;
              execFp(cpu, op, inst);
              cpu.mstatus |= MSTATUS_FS;
              break;
            }
            cpu.curInst = raw;
            cpu.illegal();
        }
        const n = (pcLo + len) | 0;
        if ((n >>> 0) < len) pcHi = (pcHi + 1) | 0;
        pcLo = n;
      }
      break;
    } catch (e) {
      if (e !== TRAP) throw e;
      budget++; // the trapping instruction did not retire
      cpu.instret = base + (start - budget);
      enterTrap(cpu, pcLo, pcHi, cpu.trapCause, false, cpu.trapTvalLo, cpu.trapTvalHi);
      base = cpu.instret - (start - budget);
      pcLo = cpu.pcLo;
      pcHi = cpu.pcHi;
      fPage = 1;
      if (cpu.stopRequested) break;
    }
  }
  budget += stash;
  cpu.pcLo = pcLo;
  cpu.pcHi = pcHi;
  cpu.instret = base + (start - budget);
}

/** Counts a branch target down in the translator's hotness table; true once it has reached zero. */
function hotTarget(hot: Uint8Array, pcLo: number): boolean {
  const i = (pcLo >>> 1) & (hot.length - 1);
  const c = hot[i];
  if (c === 0) return true;
  hot[i] = c - 1;
  return false;
}

/** Branch offset (B-type immediate). */
function bImm(inst: number): number {
  return ((inst >> 31) << 12) | (((inst >>> 7) & 1) << 11) | (((inst >>> 25) & 63) << 5) | (((inst >>> 8) & 15) << 1);
}

/** High word of the last effective address computed by iaLo/saLo (module scope: no allocation). */
let eaHi = 0;

/** x[rs1] + I-immediate: returns the low word, leaves the high word in eaHi. */
function iaLo(x: Int32Array, r1: number, inst: number): number {
  const imm = inst >> 20, a = x[r1];
  const lo = (a + imm) | 0;
  eaHi = (x[r1 + 1] + (imm >> 31) + ((lo >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
  return lo;
}

/** x[rs1] + S-immediate. */
function saLo(x: Int32Array, r1: number, inst: number): number {
  const imm = ((inst >> 25) << 5) | ((inst >>> 7) & 31), a = x[r1];
  const lo = (a + imm) | 0;
  eaHi = (x[r1 + 1] + (imm >> 31) + ((lo >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
  return lo;
}

function shl(x: Int32Array, rd: number, lo: number, hi: number, sh: number): void {
  if (sh === 0) { x[rd] = lo; x[rd + 1] = hi; }
  else if (sh < 32) { x[rd + 1] = (hi << sh) | (lo >>> (32 - sh)); x[rd] = lo << sh; }
  else { x[rd + 1] = lo << (sh - 32); x[rd] = 0; }
}

function shr(x: Int32Array, rd: number, lo: number, hi: number, sh: number): void {
  if (sh === 0) { x[rd] = lo; x[rd + 1] = hi; }
  else if (sh < 32) { x[rd] = (lo >>> sh) | (hi << (32 - sh)); x[rd + 1] = hi >>> sh; }
  else { x[rd] = hi >>> (sh - 32); x[rd + 1] = 0; }
}

function sar(x: Int32Array, rd: number, lo: number, hi: number, sh: number): void {
  if (sh === 0) { x[rd] = lo; x[rd + 1] = hi; }
  else if (sh < 32) { x[rd] = (lo >>> sh) | (hi << (32 - sh)); x[rd + 1] = hi >> sh; }
  else { x[rd] = hi >> (sh - 32); x[rd + 1] = hi >> 31; }
}
