/**
 * Random RV64GC program generator for the differential test of the translator (test/tcg-diff.test.ts).
 *
 * A program is a straight sequence of randomly chosen instructions of every class, with forward branches
 * and jumps, small counted loops and instructions that trap, ending with `csrr rd, minstret; wfi`. Traps
 * go to an M-mode handler (handlerCode) that logs mcause/mtval/mepc to memory, steps mepc over the
 * trapping instruction (2 or 4 bytes, read from its low bits) and returns with mret.
 *
 * Registers with a fixed role are never written by random instructions (they may be read):
 *   sp (x2), s0 (x8), s1 (x9)  pointers into the data area (s1 misaligned, near a page boundary)
 *   gp (x3)                    a "bad" pointer: outside RAM, or just before RAM's end
 *   tp (x4), t3 (x28)          loop counters
 *   t4 (x29)                   the trap log pointer; t5, t6 (x30, x31) the handler's scratch
 * Everything else (x1, x5-x7, x10-x27) is fair game.
 *
 * Nothing here depends on the CPU: it produces machine code and an initial state only.
 */
import { INSNS, Op, maskMatch, FP_FIRST, type InsnDef } from '../../src/core/target/riscv/insn-table.js';
import { decode } from '../../src/core/target/riscv/decode.js';
import { rvcExpand } from '../../src/core/target/riscv/rvc.js';

// ------------------------------------------------------------------------------------------ layout
export const RAM_BASE = 0x80000000;
export const RAM_SIZE = 1 << 20;
export const RAM_END = RAM_BASE + RAM_SIZE;
/** M-mode trap handler (mtvec, direct mode). RAM_BASE..HANDLER is reachable through gp (see BAD_POINTERS). */
export const HANDLER = RAM_BASE + 0x2000;
/** The sequence starts at CODE + a random even offset below 0x1000 (so that it often crosses a page). */
export const CODE = RAM_BASE + 0x4000;
export const CODE_END = RAM_BASE + 0x8000;
/** Data area: three pages, random contents. */
export const DATA = RAM_BASE + 0x10000;
export const DATA_END = DATA + 0x3000;
/** Trap log: 24 bytes per trap (mcause, mtval, mepc). */
export const LOG = RAM_BASE + 0x18000;
export const LOG_BYTES = 0x8000;
const MAX_TRAPS = Math.floor(LOG_BYTES / 24) - 16;

/** Pointer registers and their offsets in the data area. */
const POINTERS: [number, number][] = [
  [2, 0xf00], // sp: C.*SP offsets 0..504 reach across the page at +0x1000
  [8, 0x1800], // s0: 8-aligned
  [9, 0x2000 - 61], // s1: misaligned, C.LW/C.LD offsets cross the page at +0x2000
];
/**
 * Paged cases (Program.vm): the sequence runs in S-mode with Sv39. Code is identity-mapped (so that the M-mode
 * handler can read the instruction at mepc), the data area is at VA_DATA, and a few more mappings give page
 * faults of every kind (see pageTables).
 */
export const VA_DATA = 0x40010000;
export const PT_BASE = RAM_BASE + 0x30000;
/** The megapage at VA_MEGA maps RAM's first 2 MiB read-only. */
export const VA_MEGA = 0x40200000;
/** Values for gp in paged cases: unmapped, crossing into unmapped, read-only, execute-only, user, superpage. */
const BAD_POINTERS_VM: bigint[] = [
  0n, 1n << 56n, 0x4000000000n, BigInt(VA_DATA + 0x3000 - 8), BigInt(VA_DATA + 0x4800), BigInt(VA_DATA + 0x5800),
  BigInt(VA_DATA + 0x6800), BigInt(VA_MEGA + (LOG - RAM_BASE)), BigInt(VA_MEGA + 0x200000 - 8), BigInt(RAM_END),
];
/** Values for gp: outside RAM (access faults), or near RAM's end (in RAM, crossing out of it, outside). */
const BAD_POINTERS: bigint[] = [
  0n, 0x1000n, 0x7ffff000n, BigInt(RAM_END) - 8n, BigInt(RAM_END) + 0x1000n, 1n << 56n,
  0xffffffff80000000n, 0x100000000n + BigInt(RAM_BASE), BigInt(RAM_BASE) - 8n, BigInt(RAM_BASE) + 0x800n,
];

export const RESERVED = new Set([0, 2, 3, 4, 8, 9, 28, 29, 30, 31]);
export const WRITABLE = [1, 5, 6, 7, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27];

// ------------------------------------------------------------------------------------------ PRNG
/** sfc32: small, fast, good enough, and the same sequence on every platform. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = seed | 0;
    this.c = 0x243f6a88 ^ seed;
    this.d = 1;
    for (let i = 0; i < 16; i++) this.u32();
  }
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 4294967296) * n);
  }
  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)];
  }
  u64(): bigint {
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  }
  /** Index into `weights` chosen with probability proportional to the weight. */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let r = (this.u32() / 4294967296) * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i];
      if (r < 0) return i;
    }
    return weights.length - 1;
  }
}

/** Seed of case `i` of a run with base seed `seed` (a stateless mix, so any case can be rerun alone). */
export function caseSeed(seed: number, i: number): number {
  let h = (seed ^ Math.imul(i + 1, 0x9e3779b1)) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

// ------------------------------------------------------------------------------------------ encoders
export const enc = {
  r: (f7: number, rs2: number, rs1: number, f3: number, rd: number, opc: number) =>
    ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opc) | 0,
  i: (imm: number, rs1: number, f3: number, rd: number, opc: number) =>
    (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opc) | 0,
  s: (imm: number, rs2: number, rs1: number, f3: number, opc: number) =>
    ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 31) << 7) | opc) | 0,
  b: (off: number, rs2: number, rs1: number, f3: number) =>
    ((((off >> 12) & 1) << 31) | (((off >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
      (((off >> 1) & 15) << 8) | (((off >> 11) & 1) << 7) | 0x63) | 0,
  u: (imm20: number, rd: number, opc: number) => (((imm20 & 0xfffff) << 12) | (rd << 7) | opc) | 0,
  j: (off: number, rd: number) =>
    ((((off >> 20) & 1) << 31) | (((off >> 1) & 0x3ff) << 21) | (((off >> 11) & 1) << 20) |
      (((off >> 12) & 0xff) << 12) | (rd << 7) | 0x6f) | 0,
  amo: (f5: number, aq: number, rl: number, rs2: number, rs1: number, f3: number, rd: number) =>
    ((f5 << 27) | (aq << 26) | (rl << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | 0x2f) | 0,
  csr: (f3: number, csr: number, rs1: number, rd: number) => ((csr << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | 0x73) | 0,
  // Compressed.
  cj: (off: number) =>
    (0xa001 | (((off >> 11) & 1) << 12) | (((off >> 4) & 1) << 11) | (((off >> 8) & 3) << 9) | (((off >> 10) & 1) << 8) |
      (((off >> 6) & 1) << 7) | (((off >> 7) & 1) << 6) | (((off >> 1) & 7) << 3) | (((off >> 5) & 1) << 2)),
  /** C.BEQZ (bnez = false) / C.BNEZ; rs1 in x8..x15. */
  cb: (bnez: boolean, rs1: number, off: number) =>
    ((bnez ? 0xe001 : 0xc001) | (((off >> 8) & 1) << 12) | (((off >> 3) & 3) << 10) | ((rs1 - 8) << 7) |
      (((off >> 6) & 3) << 5) | (((off >> 1) & 3) << 3) | (((off >> 5) & 1) << 2)),
  cjr: (rs1: number) => 0x8002 | (rs1 << 7),
  cjalr: (rs1: number) => 0x9002 | (rs1 << 7),
  /** C.ADDI rd, imm (imm in [-32, 31]). */
  caddi: (rd: number, imm: number) => 0x0001 | (((imm >> 5) & 1) << 12) | (rd << 7) | ((imm & 31) << 2),
};

export const NOP32 = 0x00000013;
export const NOP16 = 0x0001;
export const WFI = 0x10500073;
export const ECALL = 0x00000073;
export const EBREAK = 0x00100073;
export const C_EBREAK = 0x9002;
export const MRET = 0x30200073;

const OPC = { LOAD: 0x03, LOAD_FP: 0x07, MISC: 0x0f, IMM: 0x13, AUIPC: 0x17, IMM32: 0x1b, STORE: 0x23, STORE_FP: 0x27, OP: 0x33, LUI: 0x37, OP32: 0x3b, JALR: 0x67 };
const CSR = { FFLAGS: 0x001, FRM: 0x002, FCSR: 0x003, MSTATUS: 0x300, MSCRATCH: 0x340, MEPC: 0x341, MCAUSE: 0x342, MTVAL: 0x343, MINSTRET: 0xb02 };

/** ops whose integer rd field is written */
export function writesIntRd(op: Op): boolean {
  if (op === Op.ILLEGAL) return false;
  if (op >= Op.BEQ && op <= Op.BGEU) return false;
  if (op >= Op.SB && op <= Op.SD) return false;
  if (op === Op.FENCE || op === Op.FENCE_I || op === Op.ECALL || op === Op.EBREAK) return false;
  if (op === Op.SRET || op === Op.MRET || op === Op.WFI || op === Op.SFENCE_VMA) return false;
  if (op >= Op.FLW && op <= Op.FSD) return false;
  if (op >= FP_FIRST) {
    return (op >= Op.FEQ_S && op <= Op.FMV_X_D) || (op >= Op.FCVT_W_S && op <= Op.FCVT_LU_D);
  }
  return true;
}

/** The handler at mtvec (32-bit instructions only). Logs (mcause, mtval, mepc) at t4 and steps over the instruction. */
export function handlerCode(): number[] {
  const t4 = 29, t5 = 30, t6 = 31;
  return [
    enc.csr(2, CSR.MCAUSE, 0, t6),
    enc.s(0, t6, t4, 3, OPC.STORE),
    enc.csr(2, CSR.MTVAL, 0, t6),
    enc.s(8, t6, t4, 3, OPC.STORE),
    enc.csr(2, CSR.MEPC, 0, t6),
    enc.s(16, t6, t4, 3, OPC.STORE),
    enc.i(24, t4, 0, t4, OPC.IMM),
    enc.i(0, t6, 5, t5, OPC.LOAD), // lhu t5, 0(t6): the trapping instruction's first halfword
    enc.i(3, t5, 7, t5, OPC.IMM), // andi t5, t5, 3
    enc.i(2, t6, 0, t6, OPC.IMM),
    enc.i(-3, t5, 0, t5, OPC.IMM),
    enc.b(8, 0, t5, 1), // bne t5, zero, +8 (compressed: 2 bytes)
    enc.i(2, t6, 0, t6, OPC.IMM),
    enc.csr(1, CSR.MEPC, t6, 0),
    MRET,
  ];
}

// ------------------------------------------------------------------------------------------ program model
export interface Insn {
  off: number; // byte offset from the program's base
  len: 2 | 4;
  raw: number;
  /** Part of the program's skeleton (loop counters, the end): the shrinker leaves it alone, or removes the whole group. */
  pinned: boolean;
  /** Instructions that only go together (a loop's counter and branches): > 0. */
  group?: number;
}

export interface InitState {
  /** S-mode with Sv39 (page tables from pageTables()), else M-mode, bare. */
  vm: boolean;
  /** mstatus.SUM and MXR (paged cases). */
  sum: boolean;
  mxr: boolean;
  x: bigint[]; // 32 entries, unsigned 64-bit
  f: bigint[];
  /** mstatus.FS (0 off, 1 initial, 2 clean, 3 dirty). */
  fs: number;
  frm: number;
  fflags: number;
  mscratch: bigint;
  mepc: bigint;
  mcause: bigint;
  mtval: bigint;
  /** DATA..DATA_END */
  data: Uint8Array;
}

export interface Program {
  base: number; // address of the first instruction
  insns: Insn[];
  init: InitState;
}

export function programBytes(p: Program): Uint8Array {
  const last = p.insns[p.insns.length - 1];
  const out = new Uint8Array(last.off + last.len);
  for (const i of p.insns) {
    out[i.off] = i.raw & 0xff;
    out[i.off + 1] = (i.raw >>> 8) & 0xff;
    if (i.len === 4) {
      out[i.off + 2] = (i.raw >>> 16) & 0xff;
      out[i.off + 3] = (i.raw >>> 24) & 0xff;
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------ assembler
export interface Slot extends Insn {
  fix?: () => number;
}

/** A tiny assembler: instructions with labels; `fix` computes a word once every label is bound. */
export class Asm {
  readonly slots: Slot[] = [];
  pos = 0;
  private readonly labels: number[] = [];
  pinned = false;
  group = 0;

  newLabel(): number {
    this.labels.push(-1);
    return this.labels.length - 1;
  }
  bind(l: number): void {
    this.labels[l] = this.pos;
  }
  at(l: number): number {
    const v = this.labels[l];
    if (v < 0) throw new Error('rv-gen: unbound label');
    return v;
  }
  emit(raw: number, len?: 2 | 4, fix?: (self: Slot) => number): Slot {
    const n: 2 | 4 = len ?? ((raw & 3) === 3 ? 4 : 2);
    const s: Slot = { off: this.pos, len: n, raw: n === 2 ? raw & 0xffff : raw | 0, pinned: this.pinned };
    if (this.group > 0) s.group = this.group;
    if (fix) s.fix = () => fix(s);
    this.slots.push(s);
    this.pos += n;
    return s;
  }
  resolve(): Insn[] {
    return this.slots.map((s) => {
      const i: Insn = { off: s.off, len: s.len, raw: s.fix ? s.fix() : s.raw, pinned: s.pinned };
      if (s.group !== undefined) i.group = s.group;
      return i;
    });
  }
}

// ------------------------------------------------------------------------------------------ values
const SPECIAL_X: bigint[] = [
  0n, 1n, 2n, 0xffffffffffffffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0xffffffff80000000n, 0x8000000000000000n,
  0x7fffffffffffffffn, 0x100000000n, 0xfffffffen, 31n, 32n, 63n, 64n, 0xfffffffffffff800n, 0x7ffn, 0x8000n, 0xffff8000n,
];
const U64 = (1n << 64n) - 1n;

function randX(rng: Rng): bigint {
  switch (rng.int(6)) {
    case 0: case 1: return rng.pick(SPECIAL_X);
    case 2: return BigInt(rng.range(-300, 300)) & U64;
    case 3: return BigInt.asUintN(64, BigInt(rng.u32() | 0)); // sign-extended 32-bit
    case 4: return BigInt(DATA + rng.int(DATA_END - DATA)); // looks like a pointer
    default: return rng.u64();
  }
}

const BOX = 0xffffffff00000000n;
const SPECIAL_D: bigint[] = [
  0n, 0x8000000000000000n, 0x3ff0000000000000n, 0xbff8000000000000n, 0x7ff0000000000000n, 0xfff0000000000000n,
  0x7ff8000000000000n, 0x7ff4000000000000n, 0xfff8000000000001n, 1n, 0x000fffffffffffffn, 0x0010000000000000n,
  0x7fefffffffffffffn, 0x43e0000000000000n, 0xc3e0000000000000n, 0x41e0000000000000n, 0x41f0000000000000n,
  0x4330000000000001n, 0x3fe0000000000000n, 0x4004000000000000n, 0x36a0000000000000n, 0x47efffffe0000000n,
];
const SPECIAL_S: number[] = [
  0, 0x80000000, 0x3f800000, 0xbfc00000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7fa00000, 1, 0x007fffff, 0x00800000,
  0x7f7fffff, 0x4f000000, 0xcf000000, 0x4f800000, 0x5f000000, 0x3f000000, 0x40200000, 0xcb000001,
];

function randF(rng: Rng): bigint {
  switch (rng.int(7)) {
    case 0: case 1: return rng.pick(SPECIAL_D);
    case 2: case 3: return BOX | BigInt(rng.pick(SPECIAL_S) >>> 0);
    case 4: return BOX | BigInt(rng.u32());
    case 5: { // a "nice" double
      const v = (rng.u32() / 65536 - 32768) * (rng.chance(0.5) ? 1 : 1e-3);
      const dv = new DataView(new ArrayBuffer(8));
      dv.setFloat64(0, v, true);
      return dv.getBigUint64(0, true);
    }
    default: return rng.u64();
  }
}

// ------------------------------------------------------------------------------------------ generator
const FP_DEFS: InsnDef[] = INSNS.filter((d) => d.op >= FP_FIRST);
const RM_WEIGHTS = [6, 3, 3, 3, 3, 0.3, 0.3, 12]; // rm 0..7: 5 and 6 are reserved (illegal), 7 = dynamic

const enum Cls {
  AluR, AluI, Upper, Mul, Mem, MemFault, FpMem, Amo, LrSc, Fp, Csr, Trap, Branch, Jalr, Loop, Rvc, RandWord, Special, FsToggle,
}
const TOP_WEIGHTS: Record<Cls, number> = {
  [Cls.AluR]: 12, [Cls.AluI]: 12, [Cls.Upper]: 3, [Cls.Mul]: 8, [Cls.Mem]: 10, [Cls.MemFault]: 3, [Cls.FpMem]: 4,
  [Cls.Amo]: 4, [Cls.LrSc]: 3, [Cls.Fp]: 10, [Cls.Csr]: 5, [Cls.Trap]: 3, [Cls.Branch]: 8, [Cls.Jalr]: 2,
  [Cls.Loop]: 3, [Cls.Rvc]: 10, [Cls.RandWord]: 4, [Cls.Special]: 5, [Cls.FsToggle]: 0.7,
};
const BODY_WEIGHTS: Record<Cls, number> = {
  ...TOP_WEIGHTS, [Cls.Csr]: 0.5, [Cls.Trap]: 0, [Cls.Jalr]: 0, [Cls.Loop]: 0.6, [Cls.MemFault]: 0.5, [Cls.FsToggle]: 0,
  [Cls.RandWord]: 2, [Cls.LrSc]: 1,
};
const CLASSES = Object.keys(TOP_WEIGHTS).map(Number) as Cls[];

interface Scope {
  pending: { label: number; left: number }[];
}

export interface GenOptions {
  minInsns?: number;
  maxInsns?: number;
  /** End with a (non-pinned) NOP before `csrr rd, minstret; wfi`, for the harness self-test. */
  tailNop?: boolean;
  /** Force paging on or off (default: random). */
  vm?: boolean;
}

/** Kinds of sequence: class weights and lengths. */
interface Profile {
  name: string;
  weights: Record<Cls, number>;
  min: number;
  max: number;
}
const PROFILES: [number, Profile][] = [
  [80, { name: 'mixed', weights: TOP_WEIGHTS, min: 20, max: 200 }],
  // Long basic blocks: more than a translated block holds (region.ts MAX_BLOCK_INSNS).
  [8, { name: 'straight', min: 150, max: 400, weights: { ...TOP_WEIGHTS, [Cls.MemFault]: 0, [Cls.Csr]: 0, [Cls.Trap]: 0,
    [Cls.Branch]: 0, [Cls.Jalr]: 0, [Cls.Loop]: 0, [Cls.LrSc]: 0, [Cls.RandWord]: 0, [Cls.FsToggle]: 0, [Cls.Amo]: 1 } }],
  // Many small blocks: more than a region holds (region.ts MAX_BLOCKS).
  [12, { name: 'branchy', min: 100, max: 300, weights: { ...TOP_WEIGHTS, [Cls.Branch]: 60, [Cls.Loop]: 6, [Cls.Csr]: 1, [Cls.Trap]: 1 } }],
];

class Gen {
  readonly a = new Asm();
  private count = 0; // instructions emitted
  private traps = 0; // worst-case traps logged
  private mult = 1; // product of the enclosing loops' iteration counts
  private depth = 0; // loop nesting (0, 1 or 2)
  private scopes: Scope[] = [{ pending: [] }];
  private groups = 0;
  /** Address of the data area as the sequence sees it. */
  private readonly db: number;
  constructor(private readonly rng: Rng, private readonly target: number, private readonly top: Record<Cls, number>,
    private readonly vm: boolean, private readonly tailNop = false) {
    this.db = vm ? VA_DATA : DATA;
  }

  // ---- registers
  private rd(): number {
    return this.rng.chance(0.05) ? 0 : this.rng.pick(WRITABLE);
  }
  private rs(): number {
    return this.rng.int(32);
  }
  private fr(): number {
    return this.rng.int(32);
  }

  // ---- emission helpers
  private e(raw: number, len?: 2 | 4, fix?: (self: Slot) => number): Slot {
    this.count++;
    return this.a.emit(raw, len, fix);
  }
  /** Instruction that may trap (logged once per execution). */
  private trapping(raw: number, len?: 2 | 4): void {
    this.traps += this.mult;
    this.e(raw, len);
  }
  /** `j .+len`: a taken jump back to the dispatcher after an instruction the translator leaves to the interpreter. */
  private resync(p = 0.7): void {
    if (!this.rng.chance(p)) return;
    if (this.rng.chance(0.5)) this.e(enc.j(4, 0));
    else this.e(enc.cj(2), 2);
  }
  private canTrap(n = 1): boolean {
    return this.traps + n * this.mult <= MAX_TRAPS;
  }
  /** Forward reference bound `left` items later (at this scope's level). */
  private forward(left: number): number {
    const l = this.a.newLabel();
    this.scopes[this.scopes.length - 1].pending.push({ label: l, left });
    return l;
  }
  /** After each item: count the pending labels of the current scope down and bind those that are due. */
  private tick(): void {
    const s = this.scopes[this.scopes.length - 1];
    s.pending = s.pending.filter((p) => {
      if (--p.left > 0) return true;
      this.a.bind(p.label);
      return false;
    });
  }
  private flush(): void {
    const s = this.scopes[this.scopes.length - 1];
    for (const p of s.pending) this.a.bind(p.label);
    s.pending = [];
  }

  // ---- program
  program(): Insn[] {
    while (this.count < this.target) {
      this.item(this.top);
      this.tick();
    }
    this.flush();
    if (this.tailNop) this.e(NOP32);
    this.a.pinned = true;
    // minstret is M-only; S-mode reads instret (mcounteren.IR is set in paged cases).
    this.e(enc.csr(2, this.vm ? 0xc02 : CSR.MINSTRET, 0, this.rng.pick(WRITABLE)));
    this.e(WFI);
    return this.a.resolve();
  }

  private item(weights: Record<Cls, number>): void {
    const cls = CLASSES[this.rng.weighted(CLASSES.map((c) => weights[c]))];
    const rng = this.rng;
    switch (cls) {
      case Cls.AluR: return this.aluR();
      case Cls.AluI: return this.aluI();
      case Cls.Upper:
        this.e(enc.u(rng.chance(0.3) ? rng.pick([0, 1, 0x80000, 0x7ffff, 0xfffff]) : rng.u32(), this.rd(), rng.chance(0.5) ? OPC.LUI : OPC.AUIPC));
        return;
      case Cls.Mul: return this.mul();
      case Cls.Mem: return this.mem(false);
      case Cls.MemFault: return this.canTrap() ? this.memFault() : this.aluR();
      case Cls.FpMem: return this.mem(true);
      case Cls.Amo: return this.amo();
      case Cls.LrSc: return this.lrsc();
      case Cls.Fp: return this.fp();
      case Cls.Csr: return this.csr();
      case Cls.Trap: return this.canTrap() ? this.trap() : this.aluI();
      case Cls.Branch: return this.branch();
      case Cls.Jalr: return this.jalr();
      case Cls.Loop: return this.depth < 2 && this.count + 8 < this.target ? this.loop() : this.aluI();
      case Cls.Rvc: return this.rvc();
      case Cls.RandWord: return this.randWord();
      case Cls.Special: return this.special();
      case Cls.FsToggle: return this.fsToggle();
    }
  }

  private aluR(): void {
    const rng = this.rng;
    // [funct7, funct3, opcode]
    const ops: [number, number, number][] = [
      [0, 0, OPC.OP], [0x20, 0, OPC.OP], [0, 1, OPC.OP], [0, 2, OPC.OP], [0, 3, OPC.OP], [0, 4, OPC.OP], [0, 5, OPC.OP],
      [0x20, 5, OPC.OP], [0, 6, OPC.OP], [0, 7, OPC.OP],
      [0, 0, OPC.OP32], [0x20, 0, OPC.OP32], [0, 1, OPC.OP32], [0, 5, OPC.OP32], [0x20, 5, OPC.OP32],
    ];
    const [f7, f3, opc] = rng.pick(ops);
    const rs1 = this.rs();
    const rs2 = rng.chance(0.1) ? rs1 : this.rs();
    this.e(enc.r(f7, rs2, rs1, f3, this.rd(), opc));
  }

  private aluI(): void {
    const rng = this.rng;
    const rd = this.rd();
    const rs1 = rng.chance(0.1) ? rd : this.rs();
    const imm = rng.chance(0.3) ? rng.pick([0, 1, -1, 2047, -2048, 0x7ff, 0x800, 31, 32, 63]) : rng.range(-2048, 2047);
    switch (rng.int(4)) {
      case 0: case 1: // addi slti sltiu xori ori andi
        this.e(enc.i(imm, rs1, rng.pick([0, 2, 3, 4, 6, 7]), rd, OPC.IMM));
        return;
      case 2: { // 64-bit shifts
        const sh = rng.chance(0.5) ? rng.pick([0, 1, 31, 32, 33, 63]) : rng.int(64);
        const [f3, hi] = rng.pick([[1, 0], [5, 0], [5, 0x400]]);
        this.e(enc.i(hi | sh, rs1, f3, rd, OPC.IMM));
        return;
      }
      default: { // addiw and the W shifts
        if (rng.chance(0.4)) {
          this.e(enc.i(imm, rs1, 0, rd, OPC.IMM32));
          return;
        }
        const sh = rng.chance(0.5) ? rng.pick([0, 1, 31]) : rng.int(32);
        const [f3, hi] = rng.pick([[1, 0], [5, 0], [5, 0x400]]);
        this.e(enc.i(hi | sh, rs1, f3, rd, OPC.IMM32));
      }
    }
  }

  /** One instruction that puts an interesting value in a writable register. */
  private li(rd: number, kind = this.rng.int(7)): void {
    switch (kind) {
      case 0: this.e(enc.i(0, 0, 0, rd, OPC.IMM)); break; // 0
      case 1: this.e(enc.i(-1, 0, 0, rd, OPC.IMM)); break; // -1
      case 2: this.e(enc.u(0x80000, rd, OPC.LUI)); break; // INT32_MIN sign-extended
      case 3: this.e(enc.i(-1, 0, 0, rd, OPC.IMM)); this.e(enc.i(63, rd, 1, rd, OPC.IMM)); break; // INT64_MIN
      case 4: this.e(enc.i(-1, 0, 0, rd, OPC.IMM)); this.e(enc.i(1, rd, 5, rd, OPC.IMM)); break; // INT64_MAX
      case 5: this.e(enc.i(1, 0, 0, rd, OPC.IMM)); break;
      default: this.e(enc.i(-1, 0, 0, rd, OPC.IMM)); this.e(enc.i(32, rd, 5, rd, OPC.IMM)); break; // 0xffffffff
    }
  }

  private special(): void {
    this.li(this.rng.pick(WRITABLE));
  }

  private mul(): void {
    const rng = this.rng;
    let rs1 = this.rs();
    let rs2 = this.rs();
    if (rng.chance(0.4)) {
      // Division by zero, INT_MIN / -1 and friends.
      rs1 = rng.pick(WRITABLE);
      rs2 = rng.pick(WRITABLE.filter((r) => r !== rs1));
      this.li(rs1, rng.pick([2, 3, 4, 1, 6]));
      this.li(rs2, rng.pick([0, 1, 1, 5]));
    }
    const w = rng.chance(0.35);
    const f3 = w ? rng.pick([0, 4, 5, 6, 7]) : rng.int(8);
    this.e(enc.r(1, rs2, rs1, f3, this.rd(), w ? OPC.OP32 : OPC.OP));
  }

  /** An address in the data area reachable from a pointer register: [reg, offset]. */
  private dataAddr(size: number): [number, number] {
    const rng = this.rng;
    const [reg, pOff] = rng.pick(POINTERS);
    const db = this.db;
    const base = db + pOff;
    const lo = Math.max(db, base - 2048);
    const hi = Math.min(db + (DATA_END - DATA) - 8, base + 2047);
    let a: number;
    const mode = rng.int(10);
    if (mode < 6 || size === 1) {
      a = lo + rng.int(hi - lo);
      a -= a % size; // aligned
      if (a < lo) a += size;
    } else if (mode < 8) {
      a = lo + rng.int(hi - lo);
      if (a % size === 0) a++;
    } else {
      // Crosses a page boundary.
      const pages = [db + 0x1000, db + 0x2000].filter((p) => p - 8 >= lo && p + 8 <= hi);
      if (pages.length === 0) a = lo + rng.int(hi - lo);
      else a = rng.pick(pages) - rng.range(1, size - 1);
    }
    return [reg, a - base];
  }

  private mem(fp: boolean): void {
    const rng = this.rng;
    if (fp) {
      if (!this.canTrap()) return this.aluI();
      this.traps += this.mult; // FS may be off
      const store = rng.chance(0.5);
      const d = rng.chance(0.6);
      const size = d ? 8 : 4;
      const [reg, off] = this.dataAddr(size);
      if (store) this.e(enc.s(off, this.fr(), reg, d ? 3 : 2, OPC.STORE_FP));
      else this.e(enc.i(off, reg, d ? 3 : 2, this.fr(), OPC.LOAD_FP));
      return;
    }
    const store = rng.chance(0.45);
    const f3 = store ? rng.int(4) : rng.pick([0, 1, 2, 3, 4, 5, 6]);
    const size = 1 << (f3 & 3);
    if (!store && rng.chance(0.06)) {
      // A load from the code itself (pc-relative).
      const t = rng.pick(WRITABLE);
      this.e(enc.u(0, t, OPC.AUIPC));
      this.e(enc.i(rng.range(-40, 40), t, f3, this.rd(), OPC.LOAD));
      return;
    }
    const [reg, off] = this.dataAddr(size);
    if (store) this.e(enc.s(off, this.rs(), reg, f3, OPC.STORE));
    else this.e(enc.i(off, reg, f3, this.rd(), OPC.LOAD));
  }

  /** A load or store through gp: access faults, or accesses near/over RAM's end. */
  private memFault(): void {
    const rng = this.rng;
    const store = rng.chance(0.5);
    const f3 = store ? rng.int(4) : rng.pick([0, 1, 2, 3, 4, 5, 6]);
    const off = rng.chance(0.7) ? rng.range(-12, 12) : rng.range(-2048, 2047);
    if (rng.chance(0.15)) {
      // FP load/store through gp.
      const d = rng.chance(0.5);
      this.trapping(store ? enc.s(off, this.fr(), 3, d ? 3 : 2, OPC.STORE_FP) : enc.i(off, 3, d ? 3 : 2, this.fr(), OPC.LOAD_FP));
    } else {
      this.trapping(store ? enc.s(off, this.rs(), 3, f3, OPC.STORE) : enc.i(off, 3, f3, rng.chance(0.1) ? 0 : this.rd(), OPC.LOAD));
    }
    this.resync();
  }

  /**
   * Address register for an AMO: t = s0 + offset (aligned; or misaligned: traps), or t = gp + offset (faults,
   * or RAM's last bytes). `off` forces an offset from s0. Returns [t, may trap, offset].
   */
  private amoAddr(size: number, off?: number): [number, boolean, number] {
    const rng = this.rng;
    const t = rng.pick(WRITABLE);
    if (off !== undefined) {
      this.e(enc.i(off, 8, 0, t, OPC.IMM));
      return [t, off % size !== 0, off];
    }
    const r = rng.int(10);
    if (r < 7 || !this.canTrap()) {
      off = rng.range(-255, 255) * 8;
      this.e(enc.i(off, 8, 0, t, OPC.IMM));
      return [t, false, off];
    }
    if (r < 9) {
      off = rng.range(-255, 255) * 8 + rng.pick(size === 8 ? [1, 2, 3, 4, 5, 6, 7] : [1, 2, 3]);
      this.e(enc.i(off, 8, 0, t, OPC.IMM));
      return [t, true, off];
    }
    this.e(enc.i(rng.range(-8, 8) * 4, 3, 0, t, OPC.IMM));
    return [t, true, 0];
  }

  private amo(): void {
    const rng = this.rng;
    const d = rng.chance(0.5);
    const [t, traps] = this.amoAddr(d ? 8 : 4);
    const f5 = rng.pick([1, 0, 4, 12, 8, 16, 20, 24, 28]);
    const raw = enc.amo(f5, rng.int(2), rng.int(2), this.rs(), t, d ? 3 : 2, this.rd());
    if (traps) {
      this.trapping(raw);
      this.resync();
    } else {
      this.e(raw);
    }
  }

  private lrsc(): void {
    const rng = this.rng;
    const d = rng.chance(0.5);
    const f3 = d ? 3 : 2;
    const size = d ? 8 : 4;
    const [t, traps, off] = this.amoAddr(size);
    // LR's rd is not the address register, so that an SC through it right after uses the same address.
    const lr = enc.amo(2, rng.int(2), rng.int(2), 0, t, f3, rng.pick(WRITABLE.filter((r) => r !== t)));
    if (traps) this.trapping(lr);
    else this.e(lr);
    if (rng.chance(0.25)) {
      const sc = enc.amo(3, rng.int(2), rng.int(2), this.rs(), t, f3, this.rd());
      if (traps) this.trapping(sc);
      else this.e(sc);
    } else {
      // A few instructions (maybe a store near the reserved address), then SC to the same address or another.
      for (let k = rng.int(3); k > 0; k--) {
        if (rng.chance(0.3)) this.mem(false);
        else this.aluR();
      }
      const [t2, traps2] = this.amoAddr(size, rng.chance(0.6) ? off : undefined);
      const sc = enc.amo(3, rng.int(2), rng.int(2), this.rs(), t2, f3, this.rd());
      if (traps2) this.trapping(sc);
      else this.e(sc);
    }
    this.resync(0.3);
  }

  private fp(): void {
    const rng = this.rng;
    if (!this.canTrap()) return this.aluR();
    const def = rng.pick(FP_DEFS);
    const [mask, match] = maskMatch(def.pattern);
    let w = (rng.u32() & ~mask) | match;
    if ((mask & 0x7000) === 0) w = (w & ~0x7000) | (rng.weighted(RM_WEIGHTS) << 12);
    if (writesIntRd(def.op)) w = (w & ~(31 << 7)) | (this.rd() << 7);
    this.traps += this.mult; // FS off or a reserved rounding mode: illegal instruction
    this.e(w);
    if (rng.chance(0.1)) this.resync(1);
  }

  private csr(): void {
    const rng = this.rng;
    const rd = this.rd();
    const k = rng.int(10);
    if (k < 4) {
      const csr = rng.pick([CSR.MSCRATCH, CSR.FFLAGS, CSR.FRM, CSR.FCSR, CSR.MINSTRET, 0xc02, 0xb00, 0xc00, 0xc01, 0xf14, 0x301,
        CSR.MSTATUS, CSR.MEPC, CSR.MCAUSE, CSR.MTVAL, 0x305, 0x304, 0x344, 0x140, 0x100, 0x180]);
      this.trapping(enc.csr(2, csr, 0, rd)); // fflags/frm/fcsr trap with FS off
    } else if (k < 8) {
      const csr = rng.pick([CSR.MSCRATCH, CSR.MSCRATCH, CSR.FFLAGS, CSR.FRM, CSR.FCSR, CSR.MEPC, CSR.MTVAL, 0x140, 0x140]);
      const f3 = rng.pick([1, 2, 3, 5, 6, 7]);
      this.trapping(enc.csr(f3, csr, f3 >= 5 ? rng.int(32) : this.rs(), rd));
    } else if (this.vm && k === 8) {
      // SFENCE.VMA: everything, or one page.
      this.trapping(enc.r(9, 0, rng.pick([0, 0, 2, 8, 9, 3, this.rs()]), 0, 0, 0x73));
    } else {
      // Illegal: writes to read-only CSRs, unimplemented CSRs, odd pmpcfg on RV64.
      const [f3, csr] = rng.pick([[1, 0xf14], [2, 0xc00], [1, 0xc02], [2, 0x7c0], [2, 0x3a1], [6, 0xb02 | 0x400], [2, 0x5c0]]);
      this.trapping(enc.csr(f3, csr, f3 === 1 ? this.rs() : rng.range(1, 31), rd));
    }
    this.resync();
  }

  private trap(): void {
    const rng = this.rng;
    switch (rng.int(6)) {
      case 0: this.trapping(ECALL); break;
      case 1: this.trapping(EBREAK); break;
      case 2: this.trapping(C_EBREAK, 2); break;
      case 3: { // an illegal halfword
        let h: number;
        do h = rng.int(0x10000); while ((h & 3) === 3 || rvcExpand(h) !== 0);
        this.trapping(rng.chance(0.3) ? 0 : h, 2);
        break;
      }
      default: { // an illegal 32-bit word
        let w: number;
        do w = (rng.u32() | 3) | 0; while (decode(w) !== Op.ILLEGAL);
        this.trapping(rng.chance(0.1) ? -1 : w, 4);
      }
    }
    this.resync();
  }

  private branch(): void {
    const rng = this.rng;
    const k = rng.int(10);
    if (k < 5) {
      const l = this.forward(rng.range(1, 8));
      const f3 = rng.pick([0, 1, 4, 5, 6, 7]);
      const rs1 = this.rs();
      const rs2 = rng.chance(0.15) ? rs1 : this.rs();
      this.e(0, 4, (s) => enc.b(this.a.at(l) - s.off, rs2, rs1, f3));
    } else if (k < 7) {
      const l = this.forward(rng.range(1, 4));
      const bnez = rng.chance(0.5);
      const rs1 = rng.range(8, 15);
      this.e(0, 2, (s) => enc.cb(bnez, rs1, this.a.at(l) - s.off));
    } else if (k < 9) {
      const l = this.forward(rng.range(1, 8));
      const rd = rng.chance(0.5) ? 0 : this.rd();
      this.e(0, 4, (s) => enc.j(this.a.at(l) - s.off, rd));
    } else {
      const l = this.forward(rng.range(1, 8));
      this.e(0, 2, (s) => enc.cj(this.a.at(l) - s.off));
    }
  }

  private jalr(): void {
    const rng = this.rng;
    const l = this.forward(rng.range(1, 6));
    const t = rng.pick(WRITABLE);
    const odd = rng.chance(0.3) ? 1 : 0; // jalr clears bit 0 of the target
    const anchor = this.e(enc.u(0, t, OPC.AUIPC));
    const k = rng.int(4);
    if (k === 0) {
      this.e(0, 4, () => enc.i(this.a.at(l) - anchor.off + odd, t, 0, this.rd(), OPC.JALR));
      return;
    }
    this.e(0, 4, () => enc.i(this.a.at(l) - anchor.off + (k === 1 ? odd - 4 : 0), t, 0, t, OPC.IMM));
    if (k === 1) this.e(enc.i(4, t, 0, this.rd(), OPC.JALR));
    else if (k === 2) this.e(enc.cjr(t), 2);
    else this.e(enc.cjalr(t), 2);
  }

  private loop(): void {
    const rng = this.rng;
    this.flush(); // no jumps from outside into the loop
    const ctr = this.depth === 0 ? 4 : 28;
    const n = rng.range(1, this.depth === 0 ? 12 : 4);
    const variant = rng.int(3);
    const group = ++this.groups;
    this.a.pinned = true;
    this.a.group = group;
    this.e(enc.i(n, 0, 0, ctr, OPC.IMM));
    const head = this.a.newLabel();
    this.a.bind(head);
    let exit = -1;
    if (variant === 2) {
      exit = this.a.newLabel();
      this.e(0, 4, (s) => enc.b(this.a.at(exit) - s.off, 0, ctr, 0)); // beqz ctr, exit
    }
    this.a.pinned = false;
    this.a.group = 0;
    const saveMult = this.mult;
    this.mult *= n;
    this.depth++;
    this.scopes.push({ pending: [] });
    const items = rng.range(2, 10);
    for (let i = 0; i < items; i++) {
      this.item(BODY_WEIGHTS);
      this.tick();
    }
    this.flush();
    this.scopes.pop();
    this.depth--;
    this.mult = saveMult;
    this.a.pinned = true;
    this.a.group = group;
    if (rng.chance(0.5)) this.e(enc.caddi(ctr, -1), 2);
    else this.e(enc.i(-1, ctr, 0, ctr, OPC.IMM));
    if (variant === 0) this.e(0, 4, (s) => enc.b(this.a.at(head) - s.off, 0, ctr, 1)); // bnez ctr, head
    else if (variant === 1) this.e(0, 4, (s) => enc.b(this.a.at(head) - s.off, ctr, 0, 4)); // blt zero, ctr, head
    else if (rng.chance(0.5)) this.e(0, 4, (s) => enc.j(this.a.at(head) - s.off, 0));
    else this.e(0, 2, (s) => enc.cj(this.a.at(head) - s.off));
    if (exit >= 0) this.a.bind(exit);
    this.a.pinned = false;
    this.a.group = 0;
  }

  /** A random compressed instruction that is safe here (no control flow, no writes to fixed registers). */
  private rvc(): void {
    const rng = this.rng;
    for (let tries = 0; tries < 64; tries++) {
      const h = rng.int(0x10000);
      if ((h & 3) === 3) continue;
      const w = rvcExpand(h);
      if (w === 0) continue;
      const op = decode(w);
      if (op === Op.ILLEGAL || op === Op.JAL || op === Op.JALR || (op >= Op.BEQ && op <= Op.BGEU) || op === Op.EBREAK) continue;
      const rd = (w >>> 7) & 31;
      const rs1 = (w >>> 15) & 31;
      const isMem = (op >= Op.LB && op <= Op.SD) || (op >= Op.FLW && op <= Op.FSD);
      if (isMem && rs1 !== 2 && rs1 !== 8 && rs1 !== 9) continue;
      if (writesIntRd(op) && RESERVED.has(rd) && rd !== 0) continue;
      if (op >= Op.FLW && op <= Op.FSD) {
        if (!this.canTrap()) continue;
        this.traps += this.mult;
      }
      this.e(h, 2);
      return;
    }
    this.e(NOP16, 2);
  }

  /** A random word of a computational opcode: decodes to anything (or nothing: an illegal instruction). */
  private randWord(): void {
    const rng = this.rng;
    const opc = rng.pick([OPC.OP, OPC.OP, OPC.OP32, OPC.IMM, OPC.IMM32, OPC.LUI, OPC.AUIPC, 0x53, 0x53, 0x43, 0x47, 0x4b, 0x4f, OPC.MISC]);
    let w = ((rng.u32() & ~0x7f) | opc) | 0;
    if ((opc === OPC.OP || opc === OPC.OP32) && rng.chance(0.7)) {
      w = (w & 0x01ffffff) | (rng.pick([0, 0x20, 1]) << 25); // mostly valid funct7
    }
    const op = decode(w);
    if (op === Op.ILLEGAL || op >= FP_FIRST || op === Op.FENCE_I) {
      if (!this.canTrap()) return this.aluR();
      if (writesIntRd(op)) w = (w & ~(31 << 7)) | (this.rd() << 7);
      this.trapping(w);
      if (op === Op.ILLEGAL || op === Op.FENCE_I) this.resync();
      return;
    }
    if (writesIntRd(op)) w = (w & ~(31 << 7)) | (this.rd() << 7);
    this.e(w);
  }

  /** Turns the FPU off or on (mstatus.FS) through a register: later FP instructions trap, or work again. */
  private fsToggle(): void {
    const rng = this.rng;
    const t = rng.pick(WRITABLE);
    const k = rng.int(3);
    this.e(enc.u(k === 0 ? 6 : k === 1 ? 2 : 4, t, OPC.LUI)); // FS mask, Initial, Clean
    this.e(enc.csr(rng.chance(0.4) ? 3 : 2, this.vm ? 0x100 : CSR.MSTATUS, t, rng.chance(0.5) ? 0 : this.rd()));
    this.resync();
  }
}

/** A random program of about minInsns..maxInsns instructions and its initial state. */
export function generate(rng: Rng, opts: GenOptions = {}): Program & { profile: string } {
  const profile = opts.minInsns !== undefined ? PROFILES[0][1] : PROFILES[rng.weighted(PROFILES.map((p) => p[0]))][1];
  const target = rng.range(opts.minInsns ?? profile.min, opts.maxInsns ?? profile.max);
  const base = CODE + rng.int(0x800) * 2;
  const vm = opts.vm ?? rng.chance(0.25);
  const init = randomInit(rng, vm);
  const insns = new Gen(rng, target, profile.weights, vm, opts.tailNop).program();
  if (base + insns[insns.length - 1].off + 4 > CODE_END) throw new Error('rv-gen: program too long');
  return { base, insns, init, profile: profile.name + (vm ? '+sv39' : '') };
}

/**
 * Sv39 page tables for paged cases, as (physical address, PTE) pairs. VA → PA:
 *   CODE..CODE_END → same (R X), VA_DATA + 0..0x3000 → DATA (R W; one page without A, one without D),
 *   VA_DATA + 0x3000 unmapped, + 0x4000 → DATA (read-only), + 0x5000 → DATA + 0x1000 (execute-only),
 *   + 0x6000 → DATA + 0x2000 (user R W), VA_MEGA → RAM_BASE (2 MiB read-only megapage).
 */
export function pageTables(): [number, bigint][] {
  const V = 1n, R = 2n, W = 4n, X = 8n, U = 16n, A = 64n, D = 128n;
  const pte = (pa: number, flags: bigint) => (BigInt(pa >>> 12) << 10n) | flags;
  const root = PT_BASE, l1Code = PT_BASE + 0x1000, l0Code = PT_BASE + 0x2000, l1Data = PT_BASE + 0x3000, l0Data = PT_BASE + 0x4000;
  const vpn = (va: number, level: number) => Math.floor(va / 2 ** (12 + 9 * level)) % 512;
  const out: [number, bigint][] = [];
  const set = (table: number, index: number, v: bigint) => out.push([table + 8 * index, v]);
  set(root, vpn(CODE, 2), pte(l1Code, V));
  set(l1Code, vpn(CODE, 1), pte(l0Code, V));
  for (let va = CODE; va < CODE_END; va += 0x1000) set(l0Code, vpn(va, 0), pte(va, V | R | X | A));
  set(root, vpn(VA_DATA, 2), pte(l1Data, V));
  set(l1Data, vpn(VA_DATA, 1), pte(l0Data, V));
  set(l0Data, vpn(VA_DATA, 0), pte(DATA, V | R | W | A | D));
  set(l0Data, vpn(VA_DATA + 0x1000, 0), pte(DATA + 0x1000, V | R | W)); // A and D set by the walker
  set(l0Data, vpn(VA_DATA + 0x2000, 0), pte(DATA + 0x2000, V | R | W | A)); // D set by the walker
  set(l0Data, vpn(VA_DATA + 0x4000, 0), pte(DATA, V | R | A | D));
  set(l0Data, vpn(VA_DATA + 0x5000, 0), pte(DATA + 0x1000, V | X | A));
  set(l0Data, vpn(VA_DATA + 0x6000, 0), pte(DATA + 0x2000, V | R | W | U | A | D));
  set(l1Data, vpn(VA_MEGA, 1), pte(RAM_BASE, V | R | A));
  return out;
}

export const SATP_SV39 = (8n << 60n) | BigInt(PT_BASE >>> 12);

export function randomInit(rng: Rng, vm: boolean): InitState {
  const x: bigint[] = [];
  for (let r = 0; r < 32; r++) x.push(randX(rng));
  x[0] = 0n;
  for (const [reg, off] of POINTERS) x[reg] = BigInt((vm ? VA_DATA : DATA) + off);
  x[3] = rng.pick(vm ? BAD_POINTERS_VM : BAD_POINTERS);
  x[29] = BigInt(LOG);
  const f: bigint[] = [];
  for (let r = 0; r < 32; r++) f.push(randF(rng));
  const data = new Uint8Array(DATA_END - DATA);
  for (let i = 0; i < data.length; i += 4) {
    const v = rng.u32();
    data[i] = v; data[i + 1] = v >>> 8; data[i + 2] = v >>> 16; data[i + 3] = v >>> 24;
  }
  return {
    vm, sum: vm && rng.chance(0.5), mxr: vm && rng.chance(0.5),
    x, f,
    fs: rng.chance(0.06) ? 0 : rng.pick([1, 1, 2, 3]),
    frm: rng.chance(0.04) ? rng.range(5, 7) : rng.int(5),
    fflags: rng.chance(0.5) ? 0 : rng.int(32),
    mscratch: rng.u64(),
    mepc: rng.u64() & ~1n,
    mcause: BigInt(rng.int(16)),
    mtval: rng.u64(),
    data,
  };
}
