/**
 * The one table of RV64GC instruction encodings (RISC-V Unprivileged ISA 20191213, ch. 24 "RV32/64G
 * Instruction Set Listings"; Privileged ISA 1.12 §2.1 for SYSTEM). In the manner of QEMU's
 * decodetree: each row is a bit pattern of 32 characters ('0', '1', or '.' for an operand bit).
 *
 * The decoder (decode.ts), the interpreter, the translator and the disassembler all read this
 * table; compressed instructions are first expanded to their 32-bit equivalents (rvc.ts).
 */

/** Operand formats, for the disassembler and the translator's operand extraction. */
export type Fmt =
  | 'R' | 'I' | 'Ishift' | 'S' | 'B' | 'U' | 'J' | 'none' | 'csr' | 'csri' | 'fence' | 'sfence'
  | 'amo' | 'lr' | 'fload' | 'fstore' | 'r4' | 'fr' | 'fr1' | 'fcmp' | 'f2x' | 'x2f';

/** Instruction ids: dense small integers so the interpreter's switch compiles to a jump table. */
export const enum Op {
  ILLEGAL = 0,
  LUI, AUIPC, JAL, JALR,
  BEQ, BNE, BLT, BGE, BLTU, BGEU,
  LB, LH, LW, LD, LBU, LHU, LWU,
  SB, SH, SW, SD,
  ADDI, SLTI, SLTIU, XORI, ORI, ANDI, SLLI, SRLI, SRAI,
  ADD, SUB, SLL, SLT, SLTU, XOR, SRL, SRA, OR, AND,
  ADDIW, SLLIW, SRLIW, SRAIW, ADDW, SUBW, SLLW, SRLW, SRAW,
  FENCE, FENCE_I,
  ECALL, EBREAK, SRET, MRET, WFI, SFENCE_VMA,
  CSRRW, CSRRS, CSRRC, CSRRWI, CSRRSI, CSRRCI,
  MUL, MULH, MULHSU, MULHU, DIV, DIVU, REM, REMU,
  MULW, DIVW, DIVUW, REMW, REMUW,
  LR_W, SC_W, AMOSWAP_W, AMOADD_W, AMOXOR_W, AMOAND_W, AMOOR_W, AMOMIN_W, AMOMAX_W, AMOMINU_W, AMOMAXU_W,
  LR_D, SC_D, AMOSWAP_D, AMOADD_D, AMOXOR_D, AMOAND_D, AMOOR_D, AMOMIN_D, AMOMAX_D, AMOMINU_D, AMOMAXU_D,
  FLW, FLD, FSW, FSD,
  // Everything from FMADD_S on is executed by the FPU (fpu.ts); keep FP ops last.
  FMADD_S, FMSUB_S, FNMSUB_S, FNMADD_S, FMADD_D, FMSUB_D, FNMSUB_D, FNMADD_D,
  FADD_S, FSUB_S, FMUL_S, FDIV_S, FSQRT_S, FSGNJ_S, FSGNJN_S, FSGNJX_S, FMIN_S, FMAX_S,
  FADD_D, FSUB_D, FMUL_D, FDIV_D, FSQRT_D, FSGNJ_D, FSGNJN_D, FSGNJX_D, FMIN_D, FMAX_D,
  FCVT_S_D, FCVT_D_S,
  FEQ_S, FLT_S, FLE_S, FEQ_D, FLT_D, FLE_D,
  FCLASS_S, FCLASS_D, FMV_X_W, FMV_X_D, FMV_W_X, FMV_D_X,
  FCVT_W_S, FCVT_WU_S, FCVT_L_S, FCVT_LU_S, FCVT_W_D, FCVT_WU_D, FCVT_L_D, FCVT_LU_D,
  FCVT_S_W, FCVT_S_WU, FCVT_S_L, FCVT_S_LU, FCVT_D_W, FCVT_D_WU, FCVT_D_L, FCVT_D_LU,
  COUNT,
}

/** First op id executed by the FPU. */
export const FP_FIRST = Op.FMADD_S;

export interface InsnDef {
  op: Op;
  name: string;
  pattern: string;
  fmt: Fmt;
}

function d(op: Op, name: string, pattern: string, fmt: Fmt): InsnDef {
  return { op, name, pattern: pattern.replace(/ /g, ''), fmt };
}

// Common sub-patterns. rd/rs1/rs2 operand fields are '.....'.
const R3 = '..... ..... ...'; // rs2 rs1 funct3 (funct3 given explicitly below where it matters)

export const INSNS: readonly InsnDef[] = [
  d(Op.LUI, 'lui', '.................... ..... 0110111', 'U'),
  d(Op.AUIPC, 'auipc', '.................... ..... 0010111', 'U'),
  d(Op.JAL, 'jal', '.................... ..... 1101111', 'J'),
  d(Op.JALR, 'jalr', '............ ..... 000 ..... 1100111', 'I'),
  d(Op.BEQ, 'beq', '....... ..... ..... 000 ..... 1100011', 'B'),
  d(Op.BNE, 'bne', '....... ..... ..... 001 ..... 1100011', 'B'),
  d(Op.BLT, 'blt', '....... ..... ..... 100 ..... 1100011', 'B'),
  d(Op.BGE, 'bge', '....... ..... ..... 101 ..... 1100011', 'B'),
  d(Op.BLTU, 'bltu', '....... ..... ..... 110 ..... 1100011', 'B'),
  d(Op.BGEU, 'bgeu', '....... ..... ..... 111 ..... 1100011', 'B'),
  d(Op.LB, 'lb', '............ ..... 000 ..... 0000011', 'I'),
  d(Op.LH, 'lh', '............ ..... 001 ..... 0000011', 'I'),
  d(Op.LW, 'lw', '............ ..... 010 ..... 0000011', 'I'),
  d(Op.LD, 'ld', '............ ..... 011 ..... 0000011', 'I'),
  d(Op.LBU, 'lbu', '............ ..... 100 ..... 0000011', 'I'),
  d(Op.LHU, 'lhu', '............ ..... 101 ..... 0000011', 'I'),
  d(Op.LWU, 'lwu', '............ ..... 110 ..... 0000011', 'I'),
  d(Op.SB, 'sb', '....... ..... ..... 000 ..... 0100011', 'S'),
  d(Op.SH, 'sh', '....... ..... ..... 001 ..... 0100011', 'S'),
  d(Op.SW, 'sw', '....... ..... ..... 010 ..... 0100011', 'S'),
  d(Op.SD, 'sd', '....... ..... ..... 011 ..... 0100011', 'S'),
  d(Op.ADDI, 'addi', '............ ..... 000 ..... 0010011', 'I'),
  d(Op.SLTI, 'slti', '............ ..... 010 ..... 0010011', 'I'),
  d(Op.SLTIU, 'sltiu', '............ ..... 011 ..... 0010011', 'I'),
  d(Op.XORI, 'xori', '............ ..... 100 ..... 0010011', 'I'),
  d(Op.ORI, 'ori', '............ ..... 110 ..... 0010011', 'I'),
  d(Op.ANDI, 'andi', '............ ..... 111 ..... 0010011', 'I'),
  d(Op.SLLI, 'slli', '000000 ...... ..... 001 ..... 0010011', 'Ishift'),
  d(Op.SRLI, 'srli', '000000 ...... ..... 101 ..... 0010011', 'Ishift'),
  d(Op.SRAI, 'srai', '010000 ...... ..... 101 ..... 0010011', 'Ishift'),
  d(Op.ADD, 'add', '0000000 ..... ..... 000 ..... 0110011', 'R'),
  d(Op.SUB, 'sub', '0100000 ..... ..... 000 ..... 0110011', 'R'),
  d(Op.SLL, 'sll', '0000000 ..... ..... 001 ..... 0110011', 'R'),
  d(Op.SLT, 'slt', '0000000 ..... ..... 010 ..... 0110011', 'R'),
  d(Op.SLTU, 'sltu', '0000000 ..... ..... 011 ..... 0110011', 'R'),
  d(Op.XOR, 'xor', '0000000 ..... ..... 100 ..... 0110011', 'R'),
  d(Op.SRL, 'srl', '0000000 ..... ..... 101 ..... 0110011', 'R'),
  d(Op.SRA, 'sra', '0100000 ..... ..... 101 ..... 0110011', 'R'),
  d(Op.OR, 'or', '0000000 ..... ..... 110 ..... 0110011', 'R'),
  d(Op.AND, 'and', '0000000 ..... ..... 111 ..... 0110011', 'R'),
  d(Op.ADDIW, 'addiw', '............ ..... 000 ..... 0011011', 'I'),
  d(Op.SLLIW, 'slliw', '0000000 ..... ..... 001 ..... 0011011', 'Ishift'),
  d(Op.SRLIW, 'srliw', '0000000 ..... ..... 101 ..... 0011011', 'Ishift'),
  d(Op.SRAIW, 'sraiw', '0100000 ..... ..... 101 ..... 0011011', 'Ishift'),
  d(Op.ADDW, 'addw', '0000000 ..... ..... 000 ..... 0111011', 'R'),
  d(Op.SUBW, 'subw', '0100000 ..... ..... 000 ..... 0111011', 'R'),
  d(Op.SLLW, 'sllw', '0000000 ..... ..... 001 ..... 0111011', 'R'),
  d(Op.SRLW, 'srlw', '0000000 ..... ..... 101 ..... 0111011', 'R'),
  d(Op.SRAW, 'sraw', '0100000 ..... ..... 101 ..... 0111011', 'R'),
  d(Op.FENCE, 'fence', '............ ..... 000 ..... 0001111', 'fence'),
  d(Op.FENCE_I, 'fence.i', '............ ..... 001 ..... 0001111', 'none'),
  d(Op.ECALL, 'ecall', '000000000000 00000 000 00000 1110011', 'none'),
  d(Op.EBREAK, 'ebreak', '000000000001 00000 000 00000 1110011', 'none'),
  d(Op.SRET, 'sret', '0001000 00010 00000 000 00000 1110011', 'none'),
  d(Op.MRET, 'mret', '0011000 00010 00000 000 00000 1110011', 'none'),
  d(Op.WFI, 'wfi', '0001000 00101 00000 000 00000 1110011', 'none'),
  d(Op.SFENCE_VMA, 'sfence.vma', '0001001 ..... ..... 000 00000 1110011', 'sfence'),
  d(Op.CSRRW, 'csrrw', '............ ..... 001 ..... 1110011', 'csr'),
  d(Op.CSRRS, 'csrrs', '............ ..... 010 ..... 1110011', 'csr'),
  d(Op.CSRRC, 'csrrc', '............ ..... 011 ..... 1110011', 'csr'),
  d(Op.CSRRWI, 'csrrwi', '............ ..... 101 ..... 1110011', 'csri'),
  d(Op.CSRRSI, 'csrrsi', '............ ..... 110 ..... 1110011', 'csri'),
  d(Op.CSRRCI, 'csrrci', '............ ..... 111 ..... 1110011', 'csri'),
  d(Op.MUL, 'mul', '0000001 ..... ..... 000 ..... 0110011', 'R'),
  d(Op.MULH, 'mulh', '0000001 ..... ..... 001 ..... 0110011', 'R'),
  d(Op.MULHSU, 'mulhsu', '0000001 ..... ..... 010 ..... 0110011', 'R'),
  d(Op.MULHU, 'mulhu', '0000001 ..... ..... 011 ..... 0110011', 'R'),
  d(Op.DIV, 'div', '0000001 ..... ..... 100 ..... 0110011', 'R'),
  d(Op.DIVU, 'divu', '0000001 ..... ..... 101 ..... 0110011', 'R'),
  d(Op.REM, 'rem', '0000001 ..... ..... 110 ..... 0110011', 'R'),
  d(Op.REMU, 'remu', '0000001 ..... ..... 111 ..... 0110011', 'R'),
  d(Op.MULW, 'mulw', '0000001 ..... ..... 000 ..... 0111011', 'R'),
  d(Op.DIVW, 'divw', '0000001 ..... ..... 100 ..... 0111011', 'R'),
  d(Op.DIVUW, 'divuw', '0000001 ..... ..... 101 ..... 0111011', 'R'),
  d(Op.REMW, 'remw', '0000001 ..... ..... 110 ..... 0111011', 'R'),
  d(Op.REMUW, 'remuw', '0000001 ..... ..... 111 ..... 0111011', 'R'),
  ...amo('w', '010', [Op.LR_W, Op.SC_W, Op.AMOSWAP_W, Op.AMOADD_W, Op.AMOXOR_W, Op.AMOAND_W, Op.AMOOR_W,
    Op.AMOMIN_W, Op.AMOMAX_W, Op.AMOMINU_W, Op.AMOMAXU_W]),
  ...amo('d', '011', [Op.LR_D, Op.SC_D, Op.AMOSWAP_D, Op.AMOADD_D, Op.AMOXOR_D, Op.AMOAND_D, Op.AMOOR_D,
    Op.AMOMIN_D, Op.AMOMAX_D, Op.AMOMINU_D, Op.AMOMAXU_D]),
  d(Op.FLW, 'flw', '............ ..... 010 ..... 0000111', 'fload'),
  d(Op.FLD, 'fld', '............ ..... 011 ..... 0000111', 'fload'),
  d(Op.FSW, 'fsw', '....... ..... ..... 010 ..... 0100111', 'fstore'),
  d(Op.FSD, 'fsd', '....... ..... ..... 011 ..... 0100111', 'fstore'),
  d(Op.FMADD_S, 'fmadd.s', '..... 00 ..... ..... ... ..... 1000011', 'r4'),
  d(Op.FMSUB_S, 'fmsub.s', '..... 00 ..... ..... ... ..... 1000111', 'r4'),
  d(Op.FNMSUB_S, 'fnmsub.s', '..... 00 ..... ..... ... ..... 1001011', 'r4'),
  d(Op.FNMADD_S, 'fnmadd.s', '..... 00 ..... ..... ... ..... 1001111', 'r4'),
  d(Op.FMADD_D, 'fmadd.d', '..... 01 ..... ..... ... ..... 1000011', 'r4'),
  d(Op.FMSUB_D, 'fmsub.d', '..... 01 ..... ..... ... ..... 1000111', 'r4'),
  d(Op.FNMSUB_D, 'fnmsub.d', '..... 01 ..... ..... ... ..... 1001011', 'r4'),
  d(Op.FNMADD_D, 'fnmadd.d', '..... 01 ..... ..... ... ..... 1001111', 'r4'),
  ...fpArith('s', '0', [Op.FADD_S, Op.FSUB_S, Op.FMUL_S, Op.FDIV_S, Op.FSQRT_S, Op.FSGNJ_S, Op.FSGNJN_S,
    Op.FSGNJX_S, Op.FMIN_S, Op.FMAX_S]),
  ...fpArith('d', '1', [Op.FADD_D, Op.FSUB_D, Op.FMUL_D, Op.FDIV_D, Op.FSQRT_D, Op.FSGNJ_D, Op.FSGNJN_D,
    Op.FSGNJX_D, Op.FMIN_D, Op.FMAX_D]),
  d(Op.FCVT_S_D, 'fcvt.s.d', '0100000 00001 ..... ... ..... 1010011', 'fr1'),
  d(Op.FCVT_D_S, 'fcvt.d.s', '0100001 00000 ..... ... ..... 1010011', 'fr1'),
  d(Op.FEQ_S, 'feq.s', '1010000 ..... ..... 010 ..... 1010011', 'fcmp'),
  d(Op.FLT_S, 'flt.s', '1010000 ..... ..... 001 ..... 1010011', 'fcmp'),
  d(Op.FLE_S, 'fle.s', '1010000 ..... ..... 000 ..... 1010011', 'fcmp'),
  d(Op.FEQ_D, 'feq.d', '1010001 ..... ..... 010 ..... 1010011', 'fcmp'),
  d(Op.FLT_D, 'flt.d', '1010001 ..... ..... 001 ..... 1010011', 'fcmp'),
  d(Op.FLE_D, 'fle.d', '1010001 ..... ..... 000 ..... 1010011', 'fcmp'),
  d(Op.FCLASS_S, 'fclass.s', '1110000 00000 ..... 001 ..... 1010011', 'f2x'),
  d(Op.FCLASS_D, 'fclass.d', '1110001 00000 ..... 001 ..... 1010011', 'f2x'),
  d(Op.FMV_X_W, 'fmv.x.w', '1110000 00000 ..... 000 ..... 1010011', 'f2x'),
  d(Op.FMV_X_D, 'fmv.x.d', '1110001 00000 ..... 000 ..... 1010011', 'f2x'),
  d(Op.FMV_W_X, 'fmv.w.x', '1111000 00000 ..... 000 ..... 1010011', 'x2f'),
  d(Op.FMV_D_X, 'fmv.d.x', '1111001 00000 ..... 000 ..... 1010011', 'x2f'),
  ...fcvt('1100000', ['fcvt.w.s', 'fcvt.wu.s', 'fcvt.l.s', 'fcvt.lu.s'], [Op.FCVT_W_S, Op.FCVT_WU_S, Op.FCVT_L_S, Op.FCVT_LU_S], 'f2x'),
  ...fcvt('1100001', ['fcvt.w.d', 'fcvt.wu.d', 'fcvt.l.d', 'fcvt.lu.d'], [Op.FCVT_W_D, Op.FCVT_WU_D, Op.FCVT_L_D, Op.FCVT_LU_D], 'f2x'),
  ...fcvt('1101000', ['fcvt.s.w', 'fcvt.s.wu', 'fcvt.s.l', 'fcvt.s.lu'], [Op.FCVT_S_W, Op.FCVT_S_WU, Op.FCVT_S_L, Op.FCVT_S_LU], 'x2f'),
  ...fcvt('1101001', ['fcvt.d.w', 'fcvt.d.wu', 'fcvt.d.l', 'fcvt.d.lu'], [Op.FCVT_D_W, Op.FCVT_D_WU, Op.FCVT_D_L, Op.FCVT_D_LU], 'x2f'),
];

function amo(w: string, f3: string, ops: Op[]): InsnDef[] {
  const names = ['lr', 'sc', 'amoswap', 'amoadd', 'amoxor', 'amoand', 'amoor', 'amomin', 'amomax', 'amominu', 'amomaxu'];
  const f5 = ['00010', '00011', '00001', '00000', '00100', '01100', '01000', '10000', '10100', '11000', '11100'];
  return ops.map((op, i) =>
    d(op, `${names[i]}.${w}`, `${f5[i]} .. ${i === 0 ? '00000' : '.....'} ..... ${f3} ..... 0101111`, i === 0 ? 'lr' : 'amo'));
}

function fpArith(s: string, fmtBit: string, ops: Op[]): InsnDef[] {
  const rows: [string, string, string, Fmt][] = [
    ['fadd', '00000', R3, 'fr'], ['fsub', '00001', R3, 'fr'], ['fmul', '00010', R3, 'fr'], ['fdiv', '00011', R3, 'fr'],
    ['fsqrt', '01011', '00000 ..... ...', 'fr1'],
    ['fsgnj', '00100', '..... ..... 000', 'fr'], ['fsgnjn', '00100', '..... ..... 001', 'fr'],
    ['fsgnjx', '00100', '..... ..... 010', 'fr'],
    ['fmin', '00101', '..... ..... 000', 'fr'], ['fmax', '00101', '..... ..... 001', 'fr'],
  ];
  return ops.map((op, i) => {
    const [name, f5, mid, fmt] = rows[i];
    return d(op, `${name}.${s}`, `${f5} 0${fmtBit} ${mid} ..... 1010011`, fmt);
  });
}

function fcvt(f7: string, names: string[], ops: Op[], fmt: Fmt): InsnDef[] {
  return ops.map((op, i) => d(op, names[i], `${f7} 000${(i >> 1) & 1}${i & 1} ..... ... ..... 1010011`, fmt));
}

/** Mask and match of a pattern: bits given as '0' or '1' are fixed. */
export function maskMatch(pattern: string): [number, number] {
  let mask = 0;
  let match = 0;
  for (let i = 0; i < 32; i++) {
    const c = pattern[i];
    const bit = 31 - i;
    if (c === '0' || c === '1') {
      mask |= 1 << bit;
      if (c === '1') match |= 1 << bit;
    }
  }
  return [mask | 0, match | 0];
}
