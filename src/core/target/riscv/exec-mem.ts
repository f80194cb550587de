/**
 * Memory instructions shared by the interpreter (interp.ts) and the translator's helpers (accel/tcg): the A
 * extension (Unprivileged ISA ch. 8: LR/SC and AMOs, naturally aligned, RAM only) and F/D loads and stores.
 * They work on the register file in the machine memory and raise traps through cpu.raise().
 */
import { RES_NONE, type Cpu } from './cpu.js';
import { Op } from './insn-table.js';
import { MSTATUS_FS } from './csr-defs.js';

/** LR, SC and AMOs. rd, r1, r2 are Int32 indices into cpu.x (rd is the sink for x0). */
export function execAtomic(cpu: Cpu, op: Op, rd: number, r1: number, r2: number): void {
  const x = cpu.x;
  switch (op) {
    case Op.LR_W: case Op.LR_D: {
      const aL = x[r1], aH = x[r1 + 1];
      const size = op === Op.LR_W ? 4 : 8;
      const pa = cpu.lrAddress(aL, aH, size);
      const hh = (pa + cpu.ramDelta) >> 2;
      const v = cpu.i32[hh];
      x[rd] = v; x[rd + 1] = size === 4 ? v >> 31 : cpu.i32[hh + 1];
      cpu.resAddr = pa;
      break;
    }
    case Op.SC_W: case Op.SC_D: {
      const size = op === Op.SC_W ? 4 : 8;
      const host = cpu.amoAddress(x[r1], x[r1 + 1], size);
      const ok = cpu.resAddr >= 0 && cpu.resAddr + cpu.ramDelta === host;
      cpu.resAddr = RES_NONE;
      if (ok) {
        cpu.i32[host >> 2] = x[r2];
        if (size === 8) cpu.i32[(host >> 2) + 1] = x[r2 + 1];
        cpu.codeWrite(host);
      }
      x[rd] = ok ? 0 : 1; x[rd + 1] = 0;
      break;
    }
    case Op.AMOSWAP_W: case Op.AMOADD_W: case Op.AMOXOR_W: case Op.AMOAND_W: case Op.AMOOR_W:
    case Op.AMOMIN_W: case Op.AMOMAX_W: case Op.AMOMINU_W: case Op.AMOMAXU_W: {
      const hh = cpu.amoAddress(x[r1], x[r1 + 1], 4) >> 2;
      const old = cpu.i32[hh], b = x[r2];
      let n: number;
      switch (op) {
        case Op.AMOSWAP_W: n = b; break;
        case Op.AMOADD_W: n = (old + b) | 0; break;
        case Op.AMOXOR_W: n = old ^ b; break;
        case Op.AMOAND_W: n = old & b; break;
        case Op.AMOOR_W: n = old | b; break;
        case Op.AMOMIN_W: n = old < b ? old : b; break;
        case Op.AMOMAX_W: n = old > b ? old : b; break;
        case Op.AMOMINU_W: n = (old >>> 0) < (b >>> 0) ? old : b; break;
        default: n = (old >>> 0) > (b >>> 0) ? old : b; break;
      }
      cpu.i32[hh] = n;
      cpu.codeWrite(hh << 2);
      x[rd] = old; x[rd + 1] = old >> 31;
      break;
    }
    case Op.AMOSWAP_D: case Op.AMOADD_D: case Op.AMOXOR_D: case Op.AMOAND_D: case Op.AMOOR_D:
    case Op.AMOMIN_D: case Op.AMOMAX_D: case Op.AMOMINU_D: case Op.AMOMAXU_D: {
      const hh = cpu.amoAddress(x[r1], x[r1 + 1], 8) >> 2;
      const i32 = cpu.i32;
      const oL = i32[hh], oH = i32[hh + 1], bL = x[r2], bH = x[r2 + 1];
      let nL = bL, nH = bH;
      switch (op) {
        case Op.AMOSWAP_D: break;
        case Op.AMOADD_D: nL = (oL + bL) | 0; nH = (oH + bH + ((nL >>> 0) < (oL >>> 0) ? 1 : 0)) | 0; break;
        case Op.AMOXOR_D: nL = oL ^ bL; nH = oH ^ bH; break;
        case Op.AMOAND_D: nL = oL & bL; nH = oH & bH; break;
        case Op.AMOOR_D: nL = oL | bL; nH = oH | bH; break;
        default: {
          const signed = op === Op.AMOMIN_D || op === Op.AMOMAX_D;
          const lt = signed
            ? oH < bH || (oH === bH && (oL >>> 0) < (bL >>> 0))
            : (oH >>> 0) < (bH >>> 0) || (oH === bH && (oL >>> 0) < (bL >>> 0));
          const wantMin = op === Op.AMOMIN_D || op === Op.AMOMINU_D;
          if (lt === wantMin) { nL = oL; nH = oH; }
        }
      }
      i32[hh] = nL; i32[hh + 1] = nH;
      cpu.codeWrite(hh << 2);
      x[rd] = oL; x[rd + 1] = oH;
      break;
    }
  }
}

/** FLW, FLD, FSW, FSD; cpu.curInst holds the instruction word for the illegal-instruction trap. */
export function execFpMem(cpu: Cpu, op: Op, inst: number): void {
  const x = cpu.x;
  const r1 = (inst >>> 14) & 62;
  const r2 = (inst >>> 19) & 62;
  if ((cpu.mstatus & MSTATUS_FS) === 0) cpu.illegal();
  const store = op === Op.FSW || op === Op.FSD;
  const imm = store ? ((inst >> 25) << 5) | ((inst >>> 7) & 31) : inst >> 20;
  const a = x[r1];
  const aL = (a + imm) | 0, aH = (x[r1 + 1] + (imm >> 31) + ((aL >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
  const fi = cpu.fi;
  switch (op) {
    // f0 is a real register: use the raw rd field, not the x0 sink mapping.
    case Op.FLW: { const fd = (inst >>> 6) & 62; const v = cpu.load32(aL, aH); fi[fd] = v; fi[fd + 1] = -1; cpu.mstatus |= MSTATUS_FS; break; }
    case Op.FLD: cpu.load64(aL, aH, fi, (inst >>> 6) & 62); cpu.mstatus |= MSTATUS_FS; break;
    case Op.FSW: cpu.store32(aL, aH, fi[r2]); break;
    default: cpu.store64(aL, aH, fi[r2], fi[r2 + 1]); break;
  }
}
