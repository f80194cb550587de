/**
 * Disassembler in the style of GNU objdump -M no-aliases (base mnemonics, ABI register names),
 * driven by the `fmt` field of the one encoding table (insn-table.ts). Compressed instructions are
 * shown as their 32-bit expansion (base mnemonic, no "c." prefix).
 *
 * Differences from objdump, by design: branch/jump targets print as `0x<hex>` (objdump prints bare
 * hex plus `<symbol>`), or as `.+off`/`.-off` when no pc is given; undecodable words print as
 * `.4byte 0x...` / `.2byte 0x...`; fence with an empty predecessor or successor set prints `0` for it.
 */
import { INSNS, Op, type InsnDef } from './insn-table.js';
import { decode } from './decode.js';
import { rvcExpand } from './rvc.js';

export const XREG_NAMES: readonly string[] = [
  'zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6',
];
export const FREG_NAMES: readonly string[] = [
  'ft0', 'ft1', 'ft2', 'ft3', 'ft4', 'ft5', 'ft6', 'ft7', 'fs0', 'fs1', 'fa0', 'fa1', 'fa2', 'fa3', 'fa4', 'fa5',
  'fa6', 'fa7', 'fs2', 'fs3', 'fs4', 'fs5', 'fs6', 'fs7', 'fs8', 'fs9', 'fs10', 'fs11', 'ft8', 'ft9', 'ft10', 'ft11',
];
const RM_NAMES = ['rne', 'rtz', 'rdn', 'rup', 'rmm', '5', '6', 'dyn'];

/** Names of the common CSRs (Privileged ISA 1.12 tables 2.2-2.6). */
export const CSR_NAMES: ReadonlyMap<number, string> = (() => {
  const m = new Map<number, string>();
  const add = (n: number, s: string) => m.set(n, s);
  add(0x001, 'fflags'); add(0x002, 'frm'); add(0x003, 'fcsr');
  add(0xc00, 'cycle'); add(0xc01, 'time'); add(0xc02, 'instret');
  for (let k = 3; k < 32; k++) add(0xc00 + k, `hpmcounter${k}`);
  add(0x100, 'sstatus'); add(0x104, 'sie'); add(0x105, 'stvec'); add(0x106, 'scounteren');
  add(0x10a, 'senvcfg'); add(0x140, 'sscratch'); add(0x141, 'sepc'); add(0x142, 'scause');
  add(0x143, 'stval'); add(0x144, 'sip'); add(0x180, 'satp');
  add(0xf11, 'mvendorid'); add(0xf12, 'marchid'); add(0xf13, 'mimpid'); add(0xf14, 'mhartid');
  add(0xf15, 'mconfigptr');
  add(0x300, 'mstatus'); add(0x301, 'misa'); add(0x302, 'medeleg'); add(0x303, 'mideleg');
  add(0x304, 'mie'); add(0x305, 'mtvec'); add(0x306, 'mcounteren'); add(0x30a, 'menvcfg');
  add(0x320, 'mcountinhibit');
  for (let k = 3; k < 32; k++) add(0x320 + k, `mhpmevent${k}`);
  add(0x340, 'mscratch'); add(0x341, 'mepc'); add(0x342, 'mcause'); add(0x343, 'mtval'); add(0x344, 'mip');
  add(0x34a, 'mtinst'); add(0x34b, 'mtval2');
  for (let k = 0; k < 16; k += 2) add(0x3a0 + k, `pmpcfg${k}`); // RV64: even pmpcfg only
  for (let k = 0; k < 64; k++) add(0x3b0 + k, `pmpaddr${k}`);
  add(0xb00, 'mcycle'); add(0xb02, 'minstret');
  for (let k = 3; k < 32; k++) add(0xb00 + k, `mhpmcounter${k}`);
  add(0x7a0, 'tselect'); add(0x7a1, 'tdata1'); add(0x7a2, 'tdata2'); add(0x7a3, 'tdata3');
  add(0x7b0, 'dcsr'); add(0x7b1, 'dpc'); add(0x7b2, 'dscratch0'); add(0x7b3, 'dscratch1');
  return m;
})();

/** Table rows indexed by op id. */
const DEFS: (InsnDef | undefined)[] = [];
/** Per op: whether a rounding-mode field exists and is printed when not dyn. */
const HAS_RM: boolean[] = [];
for (const def of INSNS) {
  DEFS[def.op] = def;
  // The rm field is bits 14:12 (pattern chars 17..19). Conversions that are always exact (to a wider
  // format) carry an rm field that objdump does not print.
  const f3Free = def.pattern.slice(17, 20) === '...';
  const exact = def.name === 'fcvt.d.s' || def.name === 'fcvt.d.w' || def.name === 'fcvt.d.wu';
  HAS_RM[def.op] = def.fmt !== 'fload' && def.fmt !== 'fstore' && f3Free && !exact &&
    def.pattern.endsWith('1010011') || def.fmt === 'r4';
}

function hex(v: number): string {
  return '0x' + (v >>> 0).toString(16);
}

function csrName(n: number): string {
  return CSR_NAMES.get(n) ?? hex(n);
}

function target(pc: number | bigint | undefined, off: number): string {
  if (pc === undefined) return off < 0 ? `.${off}` : `.+${off}`;
  const t = (BigInt(pc) + BigInt(off)) & 0xffffffffffffffffn;
  return '0x' + t.toString(16);
}

function fenceSet(v: number): string {
  if (v === 0) return '0';
  let s = '';
  if (v & 8) s += 'i';
  if (v & 4) s += 'o';
  if (v & 2) s += 'r';
  if (v & 1) s += 'w';
  return s;
}

/**
 * Disassembles one instruction. `inst` is a 32-bit word, or a 16-bit compressed instruction (low
 * two bits != 3; upper bits ignored). `pc` (the instruction's address) makes branch targets absolute.
 */
export function disassemble(inst: number, pc?: number | bigint): string {
  let w = inst | 0;
  if ((w & 3) !== 3) {
    const h = w & 0xffff;
    w = rvcExpand(h);
    if (w === 0) return `.2byte 0x${h.toString(16).padStart(4, '0')}`;
  }
  const op = decode(w);
  const def = DEFS[op];
  if (op === Op.ILLEGAL || def === undefined) return `.4byte 0x${(w >>> 0).toString(16).padStart(8, '0')}`;
  const rd = (w >>> 7) & 31;
  const rs1 = (w >>> 15) & 31;
  const rs2 = (w >>> 20) & 31;
  const rs3 = w >>> 27;
  const immI = w >> 20;
  const X = XREG_NAMES;
  const F = FREG_NAMES;
  const rm = HAS_RM[op] && ((w >>> 12) & 7) !== 7 ? ',' + RM_NAMES[(w >>> 12) & 7] : '';
  const name = def.name;
  switch (def.fmt) {
    case 'R':
      return `${name} ${X[rd]},${X[rs1]},${X[rs2]}`;
    case 'I': {
      const opc = w & 0x7f;
      if (opc === 0x03 || opc === 0x67) return `${name} ${X[rd]},${immI}(${X[rs1]})`;
      return `${name} ${X[rd]},${X[rs1]},${immI}`;
    }
    case 'Ishift':
      return `${name} ${X[rd]},${X[rs1]},${hex((w >>> 20) & 63)}`;
    case 'S': {
      const imm = ((w >> 25) << 5) | rd;
      return `${name} ${X[rs2]},${imm}(${X[rs1]})`;
    }
    case 'B': {
      const off = ((w >> 31) << 12) | (((w >>> 7) & 1) << 11) | (((w >>> 25) & 0x3f) << 5) | (((w >>> 8) & 0xf) << 1);
      return `${name} ${X[rs1]},${X[rs2]},${target(pc, off)}`;
    }
    case 'U':
      return `${name} ${X[rd]},${hex(w >>> 12)}`;
    case 'J': {
      const off = ((w >> 31) << 20) | (((w >>> 12) & 0xff) << 12) | (((w >>> 20) & 1) << 11) | (((w >>> 21) & 0x3ff) << 1);
      return `${name} ${X[rd]},${target(pc, off)}`;
    }
    case 'none':
      return name;
    case 'csr':
      return `${name} ${X[rd]},${csrName(w >>> 20)},${X[rs1]}`;
    case 'csri':
      return `${name} ${X[rd]},${csrName(w >>> 20)},${rs1}`;
    case 'fence': {
      const fm = w >>> 28;
      const pred = (w >>> 24) & 15;
      const succ = (w >>> 20) & 15;
      if (fm === 8 && pred === 3 && succ === 3) return 'fence.tso';
      return `${name} ${fenceSet(pred)},${fenceSet(succ)}`;
    }
    case 'sfence':
      return `${name} ${X[rs1]},${X[rs2]}`;
    case 'amo':
    case 'lr': {
      const aq = (w >>> 26) & 1;
      const rl = (w >>> 25) & 1;
      const sfx = aq ? (rl ? '.aqrl' : '.aq') : rl ? '.rl' : '';
      if (def.fmt === 'lr') return `${name}${sfx} ${X[rd]},(${X[rs1]})`;
      return `${name}${sfx} ${X[rd]},${X[rs2]},(${X[rs1]})`;
    }
    case 'fload':
      return `${name} ${F[rd]},${immI}(${X[rs1]})`;
    case 'fstore': {
      const imm = ((w >> 25) << 5) | rd;
      return `${name} ${F[rs2]},${imm}(${X[rs1]})`;
    }
    case 'r4':
      return `${name} ${F[rd]},${F[rs1]},${F[rs2]},${F[rs3]}${rm}`;
    case 'fr':
      return `${name} ${F[rd]},${F[rs1]},${F[rs2]}${rm}`;
    case 'fr1':
      return `${name} ${F[rd]},${F[rs1]}${rm}`;
    case 'fcmp':
      return `${name} ${X[rd]},${F[rs1]},${F[rs2]}`;
    case 'f2x':
      return `${name} ${X[rd]},${F[rs1]}${rm}`;
    case 'x2f':
      return `${name} ${F[rd]},${X[rs1]}${rm}`;
  }
  return name;
}
