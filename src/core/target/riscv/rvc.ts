/**
 * RV64C (with the D-extension loads/stores of RV64DC) expansion: each 16-bit compressed
 * instruction maps to the 32-bit base instruction it stands for (Unprivileged ISA 20191213, ch. 16,
 * tables 16.5-16.7). Illegal and reserved encodings map to 0; HINTs expand to their no-op-like base
 * form (e.g. C.NOP with nonzero imm -> addi x0,x0,imm; C.SLLI with shamt 0 -> slli rd,rd,0).
 *
 * rvcExpand(h) memoizes expansions in a 256 KiB table; callers cache decoded instructions themselves, so
 * it is off the hot path. Halfwords whose low two bits are 11 are not compressed instructions (0).
 */

// 32-bit encoders (opcode constants from the base ISA).
const OP_LOAD = 0x03;
const OP_LOAD_FP = 0x07;
const OP_IMM = 0x13;
const OP_IMM_32 = 0x1b;
const OP_STORE = 0x23;
const OP_STORE_FP = 0x27;
const OP_OP = 0x33;
const OP_LUI = 0x37;
const OP_OP_32 = 0x3b;
const OP_BRANCH = 0x63;
const OP_JALR = 0x67;
const OP_JAL = 0x6f;
const OP_SYSTEM = 0x73;

function iType(opc: number, f3: number, rd: number, rs1: number, imm: number): number {
  return (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opc) | 0;
}
function sType(opc: number, f3: number, rs1: number, rs2: number, imm: number): number {
  return ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | opc) | 0;
}
function rType(opc: number, f7: number, f3: number, rd: number, rs1: number, rs2: number): number {
  return ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opc) | 0;
}
function bType(f3: number, rs1: number, rs2: number, off: number): number {
  return (
    (((off >> 12) & 1) << 31) | (((off >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
    (((off >> 1) & 0xf) << 8) | (((off >> 11) & 1) << 7) | OP_BRANCH
  ) | 0;
}
function jType(rd: number, off: number): number {
  return (
    (((off >> 20) & 1) << 31) | (((off >> 1) & 0x3ff) << 21) | (((off >> 11) & 1) << 20) |
    (((off >> 12) & 0xff) << 12) | (rd << 7) | OP_JAL
  ) | 0;
}

/** Bit field h[hi:lo]. */
function bits(h: number, hi: number, lo: number): number {
  return (h >>> lo) & ((1 << (hi - lo + 1)) - 1);
}
/** Sign-extends the low n bits of v. */
function sext(v: number, n: number): number {
  return (v << (32 - n)) >> (32 - n);
}

/** Expands one 16-bit compressed instruction to its 32-bit equivalent; 0 if illegal or reserved. */
export function expandRvc(h: number): number {
  h &= 0xffff;
  const quadrant = h & 3;
  const f3 = h >>> 13;
  const rdp = 8 + bits(h, 4, 2); // rd' / rs2'
  const rs1p = 8 + bits(h, 9, 7); // rs1' / rd'
  const rd = bits(h, 11, 7); // rd / rs1
  const rs2 = bits(h, 6, 2);
  // CI-format 6-bit immediate imm[5] = h[12], imm[4:0] = h[6:2].
  const ci6 = (bits(h, 12, 12) << 5) | rs2;
  if (quadrant === 0) {
    // uimm of C.LW/C.SW: [5:3] = h[12:10], [2] = h[6], [6] = h[5].
    const uw = (bits(h, 12, 10) << 3) | (bits(h, 6, 6) << 2) | (bits(h, 5, 5) << 6);
    // uimm of C.LD/C.SD/C.FLD/C.FSD: [5:3] = h[12:10], [7:6] = h[6:5].
    const ud = (bits(h, 12, 10) << 3) | (bits(h, 6, 5) << 6);
    switch (f3) {
      case 0: {
        // C.ADDI4SPN: nzuimm[5:4|9:6|2|3] = h[12:5].
        const imm = (bits(h, 12, 11) << 4) | (bits(h, 10, 7) << 6) | (bits(h, 6, 6) << 2) | (bits(h, 5, 5) << 3);
        if (imm === 0) return 0; // includes the all-zero illegal halfword
        return iType(OP_IMM, 0, rdp, 2, imm);
      }
      case 1: return iType(OP_LOAD_FP, 3, rdp, rs1p, ud); // C.FLD
      case 2: return iType(OP_LOAD, 2, rdp, rs1p, uw); // C.LW
      case 3: return iType(OP_LOAD, 3, rdp, rs1p, ud); // C.LD
      case 4: return 0; // reserved
      case 5: return sType(OP_STORE_FP, 3, rs1p, rdp, ud); // C.FSD
      case 6: return sType(OP_STORE, 2, rs1p, rdp, uw); // C.SW
      default: return sType(OP_STORE, 3, rs1p, rdp, ud); // C.SD
    }
  }
  if (quadrant === 1) {
    switch (f3) {
      case 0: return iType(OP_IMM, 0, rd, rd, sext(ci6, 6)); // C.ADDI / C.NOP (HINTs legal)
      case 1: // C.ADDIW (rd = 0 reserved)
        if (rd === 0) return 0;
        return iType(OP_IMM_32, 0, rd, rd, sext(ci6, 6));
      case 2: return iType(OP_IMM, 0, rd, 0, sext(ci6, 6)); // C.LI (rd = 0 is a HINT)
      case 3: {
        if (rd === 2) {
          // C.ADDI16SP: nzimm[9] = h[12], nzimm[4|6|8:7|5] = h[6:2].
          const imm = (bits(h, 12, 12) << 9) | (bits(h, 6, 6) << 4) | (bits(h, 5, 5) << 6) |
            (bits(h, 4, 3) << 7) | (bits(h, 2, 2) << 5);
          if (imm === 0) return 0;
          return iType(OP_IMM, 0, 2, 2, sext(imm, 10));
        }
        // C.LUI: nzimm[17] = h[12], nzimm[16:12] = h[6:2]; rd = 0 is a HINT.
        if (ci6 === 0) return 0;
        return ((sext(ci6, 6) << 12) | (rd << 7) | OP_LUI) | 0;
      }
      case 4: {
        const f2 = bits(h, 11, 10);
        if (f2 === 0) return rType(OP_IMM, ci6 >> 5, 5, rs1p, rs1p, ci6 & 31); // C.SRLI (shamt 0: HINT)
        if (f2 === 1) return rType(OP_IMM, 0x20 | (ci6 >> 5), 5, rs1p, rs1p, ci6 & 31); // C.SRAI
        if (f2 === 2) return iType(OP_IMM, 7, rs1p, rs1p, sext(ci6, 6)); // C.ANDI
        const sel = bits(h, 6, 5);
        if (bits(h, 12, 12) === 0) {
          switch (sel) {
            case 0: return rType(OP_OP, 0x20, 0, rs1p, rs1p, rdp); // C.SUB
            case 1: return rType(OP_OP, 0, 4, rs1p, rs1p, rdp); // C.XOR
            case 2: return rType(OP_OP, 0, 6, rs1p, rs1p, rdp); // C.OR
            default: return rType(OP_OP, 0, 7, rs1p, rs1p, rdp); // C.AND
          }
        }
        if (sel === 0) return rType(OP_OP_32, 0x20, 0, rs1p, rs1p, rdp); // C.SUBW
        if (sel === 1) return rType(OP_OP_32, 0, 0, rs1p, rs1p, rdp); // C.ADDW
        return 0; // reserved
      }
      case 5: return jType(0, cjOffset(h)); // C.J
      case 6: return bType(0, rs1p, 0, cbOffset(h)); // C.BEQZ
      default: return bType(1, rs1p, 0, cbOffset(h)); // C.BNEZ
    }
  }
  if (quadrant === 2) {
    switch (f3) {
      case 0: return rType(OP_IMM, ci6 >> 5, 1, rd, rd, ci6 & 31); // C.SLLI (rd = 0 / shamt 0: HINTs)
      case 1: { // C.FLDSP: uimm[5] = h[12], uimm[4:3|8:6] = h[6:2]
        const imm = (bits(h, 12, 12) << 5) | (bits(h, 6, 5) << 3) | (bits(h, 4, 2) << 6);
        return iType(OP_LOAD_FP, 3, rd, 2, imm);
      }
      case 2: { // C.LWSP: uimm[5] = h[12], uimm[4:2|7:6] = h[6:2]; rd = 0 reserved
        if (rd === 0) return 0;
        const imm = (bits(h, 12, 12) << 5) | (bits(h, 6, 4) << 2) | (bits(h, 3, 2) << 6);
        return iType(OP_LOAD, 2, rd, 2, imm);
      }
      case 3: { // C.LDSP; rd = 0 reserved
        if (rd === 0) return 0;
        const imm = (bits(h, 12, 12) << 5) | (bits(h, 6, 5) << 3) | (bits(h, 4, 2) << 6);
        return iType(OP_LOAD, 3, rd, 2, imm);
      }
      case 4:
        if (bits(h, 12, 12) === 0) {
          if (rs2 === 0) return rd === 0 ? 0 : iType(OP_JALR, 0, 0, rd, 0); // C.JR (rs1 = 0 reserved)
          return rType(OP_OP, 0, 0, rd, 0, rs2); // C.MV (rd = 0: HINT)
        }
        if (rs2 === 0) {
          if (rd === 0) return iType(OP_SYSTEM, 0, 0, 0, 1); // C.EBREAK
          return iType(OP_JALR, 0, 1, rd, 0); // C.JALR
        }
        return rType(OP_OP, 0, 0, rd, rd, rs2); // C.ADD (rd = 0: HINT)
      case 5: { // C.FSDSP: uimm[5:3|8:6] = h[12:7]
        const imm = (bits(h, 12, 10) << 3) | (bits(h, 9, 7) << 6);
        return sType(OP_STORE_FP, 3, 2, rs2, imm);
      }
      case 6: { // C.SWSP: uimm[5:2|7:6] = h[12:7]
        const imm = (bits(h, 12, 9) << 2) | (bits(h, 8, 7) << 6);
        return sType(OP_STORE, 2, 2, rs2, imm);
      }
      default: { // C.SDSP
        const imm = (bits(h, 12, 10) << 3) | (bits(h, 9, 7) << 6);
        return sType(OP_STORE, 3, 2, rs2, imm);
      }
    }
  }
  return 0; // quadrant 3: not a compressed instruction
}

/** C.J offset[11|4|9:8|10|6|7|3:1|5] = h[12:2], sign-extended. */
function cjOffset(h: number): number {
  const off = (bits(h, 12, 12) << 11) | (bits(h, 11, 11) << 4) | (bits(h, 10, 9) << 8) | (bits(h, 8, 8) << 10) |
    (bits(h, 7, 7) << 6) | (bits(h, 6, 6) << 7) | (bits(h, 5, 3) << 1) | (bits(h, 2, 2) << 5);
  return sext(off, 12);
}

/** C.BEQZ/C.BNEZ offset[8|4:3] = h[12:10], offset[7:6|2:1|5] = h[6:2], sign-extended. */
function cbOffset(h: number): number {
  const off = (bits(h, 12, 12) << 8) | (bits(h, 11, 10) << 3) | (bits(h, 6, 5) << 6) | (bits(h, 4, 3) << 1) |
    (bits(h, 2, 2) << 5);
  return sext(off, 9);
}

/** Marks a halfword not expanded yet: no expansion has low bits 01 (expansions end in 11, illegal is 0). */
const UNSET = 1;
/**
 * Expansions by halfword, filled on first use: building all 65,536 at load took ~25 ms of every start-up,
 * while a Linux boot meets a few thousand distinct compressed instructions.
 */
const table = new Int32Array(65536).fill(UNSET);

/** expandRvc(h), memoized. `h` is a halfword whose low two bits are not 11. */
export function rvcExpand(h: number): number {
  const v = table[h];
  return v !== UNSET ? v : (table[h] = expandRvc(h));
}
