/**
 * Code generation: one region (region.ts) → one wasm function `(budget: i32, block: i32) → i32` over the
 * machine memory (target/riscv/state.ts layout), entered at the start of any of its blocks.
 *
 * - Guest registers live in i64 locals: loaded at entry, stored back on the single exit path, so every
 *   exit (end of region, trap, budget exhausted) commits exactly the state up to its instruction.
 * - Blocks are laid out in address order inside `loop $L` as nested `block`s: a forward jump is a `br`
 *   to the block's label, a fall-through costs nothing, a backward jump goes through one `br_table`.
 * - Loads and stores look the TLB up inline (the tag compare also rejects misaligned addresses) and call
 *   the runtime's slow path (runtime.ts) on a miss, passing the instruction's `site`; a slow path that
 *   traps writes where to leave (the faulting pc) and the code branches to its one site exit (precise).
 * - Each block first takes its instruction count from the budget, so instret is exact at every exit. Loop
 *   heads return once the budget is spent: a slice overruns by less than one pass through the region.
 */
import { Op } from '../../target/riscv/insn-table.js';
import { TLB_MASK } from '../../target/riscv/cpu.js';
import {
  DSET_OFF, EXIT_OFF, PC_OFF, SITE_OFF, TLB_ADDEND, TLB_R, TLB_TAG, TLB_W, X_OFF,
} from '../../target/riscv/state.js';
import { Bytes, T, W } from './wasm-emit.js';
import { R } from './runtime.js';
import { End, type Block, type Insn, jImm } from './region.js';

// Locals (the first two are the parameters: budget, and the block to start at). L_U is a second i64
// temporary; L_BASE the virtual address of the region's page, from the entry pc (code is position
// independent). The guest registers the region uses get the locals from L_X on, in order of first use: a
// region uses 10-15 of them (declaring all 31: all-thread CPU per boot 1.76 s instead of 1.60 s, median of
// 8; V8's compilers carry every local through each branch, merge and call).
const L_BUDGET = 0, L_NEXT = 1, L_A = 2, L_I = 3, L_DS = 4, L_S = 5, L_PC = 6, L_T = 7, L_U = 8, L_BASE = 9, L_X = 10;
const I32_LOCALS = 4, I64_FIXED = L_X - L_PC;

const enum A { b = 0, h = 1, w = 2, d = 3 } // alignment hints (log2)

/** The runtime's slow path of each load and store opcode. */
const LOAD_SLOW: Partial<Record<W, R>> = {
  [W.i64_load8_s]: R.lb, [W.i64_load8_u]: R.lbu, [W.i64_load16_s]: R.lh, [W.i64_load16_u]: R.lhu,
  [W.i64_load32_s]: R.lw, [W.i64_load32_u]: R.lwu, [W.i64_load]: R.ld,
};
const STORE_SLOW: Partial<Record<W, R>> = {
  [W.i64_store8]: R.sb, [W.i64_store16]: R.sh, [W.i64_store32]: R.sw, [W.i64_store]: R.sd,
};

/** Operand forms of the instructions that are one wasm operator on registers and immediates, or a memory access. */
const enum F { Other = 0, Reg, Imm, Shamt, WReg, WImm, WShamt, SetReg, SetImm, Load, Store }

/**
 * By op: the form, the wasm operator (a branch's comparison too), the access size. Filled once from one list,
 * so that emitting an instruction allocates nothing (closures per instruction cost a third of the code
 * generator's time in garbage collection).
 */
const FORM = new Uint8Array(Op.COUNT);
const WASM_OP = new Uint8Array(Op.COUNT);
const ACCESS_SIZE = new Uint8Array(Op.COUNT);
for (const [op, form, w, size] of [
  [Op.ADD, F.Reg, W.i64_add], [Op.SUB, F.Reg, W.i64_sub], [Op.XOR, F.Reg, W.i64_xor], [Op.OR, F.Reg, W.i64_or],
  [Op.AND, F.Reg, W.i64_and], [Op.MUL, F.Reg, W.i64_mul],
  // wasm masks the shift amount to 6 bits, as RV64 does
  [Op.SLL, F.Reg, W.i64_shl], [Op.SRL, F.Reg, W.i64_shr_u], [Op.SRA, F.Reg, W.i64_shr_s],
  [Op.ADDI, F.Imm, W.i64_add], [Op.XORI, F.Imm, W.i64_xor], [Op.ORI, F.Imm, W.i64_or], [Op.ANDI, F.Imm, W.i64_and],
  [Op.SLLI, F.Shamt, W.i64_shl], [Op.SRLI, F.Shamt, W.i64_shr_u], [Op.SRAI, F.Shamt, W.i64_shr_s],
  [Op.ADDW, F.WReg, W.i32_add], [Op.SUBW, F.WReg, W.i32_sub], [Op.MULW, F.WReg, W.i32_mul],
  [Op.SLLW, F.WReg, W.i32_shl], [Op.SRLW, F.WReg, W.i32_shr_u], [Op.SRAW, F.WReg, W.i32_shr_s],
  [Op.ADDIW, F.WImm, W.i32_add],
  [Op.SLLIW, F.WShamt, W.i32_shl], [Op.SRLIW, F.WShamt, W.i32_shr_u], [Op.SRAIW, F.WShamt, W.i32_shr_s],
  [Op.SLT, F.SetReg, W.i64_lt_s], [Op.SLTU, F.SetReg, W.i64_lt_u],
  [Op.SLTI, F.SetImm, W.i64_lt_s], [Op.SLTIU, F.SetImm, W.i64_lt_u],
  [Op.LB, F.Load, W.i64_load8_s, 1], [Op.LBU, F.Load, W.i64_load8_u, 1], [Op.LH, F.Load, W.i64_load16_s, 2],
  [Op.LHU, F.Load, W.i64_load16_u, 2], [Op.LW, F.Load, W.i64_load32_s, 4], [Op.LWU, F.Load, W.i64_load32_u, 4],
  [Op.LD, F.Load, W.i64_load, 8],
  [Op.SB, F.Store, W.i64_store8, 1], [Op.SH, F.Store, W.i64_store16, 2], [Op.SW, F.Store, W.i64_store32, 4],
  [Op.SD, F.Store, W.i64_store, 8],
  [Op.BEQ, F.Other, W.i64_eq], [Op.BNE, F.Other, W.i64_ne], [Op.BLT, F.Other, W.i64_lt_s], [Op.BGE, F.Other, W.i64_ge_s],
  [Op.BLTU, F.Other, W.i64_lt_u], [Op.BGEU, F.Other, W.i64_ge_u],
] as const) {
  FORM[op] = form;
  WASM_OP[op] = w;
  ACCESS_SIZE[op] = size ?? 0;
}

export class RegionCompiler {
  /** The code of the function being compiled: one scratch buffer, reused. */
  private readonly c = new Bytes(16384);
  /** The local of each guest register, 0 while the region has not used it. */
  private readonly local = new Uint8Array(32);
  private locals = 0; // registers with a local
  private written = 0; // bitmask of registers written
  private blocks: Block[] = [];
  private index = new Map<number, number>();
  /** Blocks that a later block (or itself) branches back to: the only ones that check the budget. */
  private loopHead: boolean[] = [];
  /** Index of the block being emitted and the count of extra constructs (if/block) open in it. */
  private cur = 0;
  private extra = 0;
  /** `extra` just inside the current block's own `loop`, or -1 when it does not branch to itself. */
  private selfLoop = -1;

  /**
   * Compiles `blocks` of a page; the function starts at the block whose index it is given. The code does
   * not depend on the page's
   * virtual address (it takes it from the entry pc), so one translation serves every mapping of the
   * physical page: a position-independent busybox mapped at a new address in each process, for one.
   */
  compile(blocks: Block[]): Bytes {
    this.c.clear();
    this.local.fill(0);
    this.locals = this.written = 0;
    this.blocks = blocks;
    this.index.clear();
    blocks.forEach((b, i) => this.index.set(b.start, i));
    this.loopHead = blocks.map(() => false);
    for (let k = 0; k < blocks.length; k++) {
      const b = blocks[k];
      const j = b.end === End.Branch || b.end === End.Jump ? this.index.get(b.target) : undefined;
      if (j !== undefined && j <= k) this.loopHead[j] = true;
    }
    const c = this.c;
    const n = blocks.length;
    c.u8(W.block).u8(T.void); // $exit
    c.u8(W.block).u8(T.void); // $site
    c.u8(W.loop).u8(T.void); // $L
    for (let i = 0; i < n; i++) c.u8(W.block).u8(T.void);
    c.get(L_NEXT).u8(W.br_table).uleb(n);
    for (let i = 0; i < n; i++) c.uleb(i);
    c.uleb(0);
    for (let i = 0; i < n; i++) {
      c.op(W.end);
      this.cur = i;
      this.extra = 0;
      this.emitBlock(blocks[i]);
    }
    c.op(W.end); // $L
    c.op(W.end); // $site: a slow path wrote the page offset to leave at and the instructions to give back
    c.i32(0).mem(W.i32_load, A.w, SITE_OFF).set(L_S);
    this.pc(0);
    c.get(L_S).i32(0x1fff).op(W.i32_and).op(W.i64_extend_i32_u).op(W.i64_add).set(L_PC);
    c.get(L_BUDGET).get(L_S).i32(13).op(W.i32_shr_u).op(W.i32_add).set(L_BUDGET);
    c.op(W.end); // $exit

    const f = new Bytes(c.len + 400);
    f.uleb(2).uleb(I32_LOCALS).u8(T.i32).uleb(I64_FIXED + this.locals).u8(T.i64);
    f.i32(0).mem(W.i32_load, A.w, DSET_OFF).i32(4).op(W.i32_shl).set(L_DS);
    f.i32(0).mem(W.i64_load, A.d, PC_OFF).i64(-4096, -1).op(W.i64_and).set(L_BASE);
    const local = this.local;
    for (let r = 1; r < 32; r++) if (local[r] !== 0) f.i32(0).mem(W.i64_load, A.d, X_OFF + 8 * r).set(local[r]);
    f.bytes(c.buf.subarray(0, c.len));
    for (let r = 1; r < 32; r++) if (this.written & (1 << r)) f.i32(0).get(local[r]).mem(W.i64_store, A.d, X_OFF + 8 * r);
    f.i32(0).get(L_PC).mem(W.i64_store, A.d, PC_OFF);
    f.get(L_BUDGET);
    f.op(W.end);
    return f;
  }

  // ------------------------------------------------------------------ control flow
  /** Pushes the virtual address at page offset `off` (may lie outside the page). */
  private pc(off: number): void {
    this.c.get(L_BASE);
    if (off !== 0) this.c.i64(off, off >> 31).op(W.i64_add);
  }

  private depthExit(): number {
    return this.blocks.length - this.cur + this.extra + 1;
  }

  private depthSite(): number {
    return this.blocks.length - this.cur + this.extra;
  }

  /** A slow path's view of instruction i: page offset, length, instructions of its block from it on. */
  private site(i: Insn, left: number): number {
    return i.off | (i.len === 4 ? 0x1000 : 0) | (left << 13);
  }

  /** Leaves the region with pc = page offset `off`. */
  private exitTo(off: number): void {
    this.pc(off);
    this.c.set(L_PC).br(this.depthExit());
  }

  /** Continues at page offset `off`: a block of this region if there is one, else an exit. */
  private jumpTo(off: number): void {
    const j = off >= 0 && off < 4096 ? this.index.get(off) : undefined;
    if (j === undefined) return this.exitTo(off);
    const c = this.c;
    if (j > this.cur) {
      c.br(j - this.cur - 1 + this.extra);
    } else if (j === this.cur && this.selfLoop >= 0) {
      c.br(this.extra - this.selfLoop); // a loop of one block: straight back to its own `loop`, no br_table
    } else {
      c.i32(j).set(L_NEXT).br(this.blocks.length - 1 - this.cur + this.extra);
    }
  }

  private open(type: T): void {
    this.c.u8(W.if).u8(type);
    this.extra++;
  }

  private close(): void {
    this.c.op(W.end);
    this.extra--;
  }

  private emitBlock(b: Block): void {
    const c = this.c;
    const n = b.insns.length;
    const self = (b.end === End.Branch || b.end === End.Jump) && b.target === b.start;
    this.selfLoop = -1;
    if (self) {
      c.u8(W.loop).u8(T.void);
      this.extra++;
      this.selfLoop = this.extra;
    }
    // Budget: taken for the whole block up front; an early exit gives back what did not retire. Only a loop
    // head checks it: the dispatcher does before entering a region, and a path through the region without
    // going back is bounded (MAX_BLOCKS blocks), so a slice overruns by less than that.
    if (this.loopHead[this.cur]) {
      c.get(L_BUDGET).i32(0).op(W.i32_le_s);
      this.open(T.void);
      this.exitTo(b.start);
      this.close();
    }
    c.get(L_BUDGET).i32(n).op(W.i32_sub).set(L_BUDGET);
    const last = b.end === End.Fall || b.end === End.Stop ? n : n - 1;
    for (let k = 0; k < last; k++) this.emitInsn(b.insns[k], n - k);
    switch (b.end) {
      case End.Fall:
        this.jumpTo(b.next);
        break;
      case End.Stop:
        this.exitTo(b.next);
        break;
      case End.Branch: {
        const i = b.insns[n - 1];
        this.cond(i);
        this.open(T.void);
        this.jumpTo(b.target);
        this.close();
        this.jumpTo(b.next);
        break;
      }
      case End.Jump: {
        const i = b.insns[n - 1];
        this.pc(i.off + i.len);
        this.setReg((i.inst >>> 7) & 31);
        this.jumpTo(i.off + jImm(i.inst));
        break;
      }
      case End.Indirect: {
        const i = b.insns[n - 1];
        this.getReg((i.inst >>> 15) & 31);
        c.i64(i.inst >> 20, i.inst >> 31).op(W.i64_add).i64(-2, -1).op(W.i64_and).set(L_PC);
        this.pc(i.off + i.len);
        this.setReg((i.inst >>> 7) & 31);
        c.br(this.depthExit());
        break;
      }
    }
    if (self) {
      c.op(W.end); // every path above ended in a branch
      this.extra--;
    }
  }

  /** Pushes the i32 condition of a branch. */
  private cond(i: Insn): void {
    this.getReg((i.inst >>> 15) & 31);
    this.getReg((i.inst >>> 20) & 31);
    this.c.op(WASM_OP[i.op]);
  }

  // ------------------------------------------------------------------ registers
  /** The local of register r (r > 0), given on first use. */
  private reg(r: number): number {
    const l = this.local[r];
    return l !== 0 ? l : (this.local[r] = L_X + this.locals++);
  }

  private getReg(r: number): void {
    if (r === 0) {
      this.c.i64(0, 0);
      return;
    }
    this.c.get(this.reg(r));
  }

  private setReg(r: number): void {
    if (r === 0) {
      this.c.op(W.drop);
      return;
    }
    this.written |= 1 << r;
    this.c.set(this.reg(r));
  }

  /** Stores register r to the in-memory register file (before a helper reads it). */
  private spill(r: number): void {
    if (r === 0) return;
    this.c.i32(0).get(this.reg(r)).mem(W.i64_store, A.d, X_OFF + 8 * r);
  }

  private reload(r: number): void {
    if (r === 0) return;
    this.c.i32(0).mem(W.i64_load, A.d, X_OFF + 8 * r);
    this.setReg(r);
  }

  // ------------------------------------------------------------------ instructions
  /** `left`: instructions of the block from this one to the end (what a trap here gives back). */
  private emitInsn(i: Insn, left: number): void {
    const c = this.c;
    const inst = i.inst;
    const op = i.op;
    const rd = (inst >>> 7) & 31, rs1 = (inst >>> 15) & 31, rs2 = (inst >>> 20) & 31;
    const imm = inst >> 20;
    const wop = WASM_OP[op];
    switch (FORM[op]) {
      case F.Reg: this.getReg(rs1); this.getReg(rs2); c.op(wop); this.setReg(rd); return;
      case F.Imm: this.getReg(rs1); c.i64(imm, imm >> 31).op(wop); this.setReg(rd); return;
      case F.Shamt: this.getReg(rs1); c.i64((inst >>> 20) & 63, 0).op(wop); this.setReg(rd); return;
      // 32-bit ops: compute on the low words, sign-extend the result (§4.2 "W" instructions).
      case F.WReg: this.getReg(rs1); c.op(W.i32_wrap_i64); this.getReg(rs2); c.op(W.i32_wrap_i64).op(wop).op(W.i64_extend_i32_s); this.setReg(rd); return;
      case F.WImm: this.getReg(rs1); c.op(W.i32_wrap_i64).i32(imm).op(wop).op(W.i64_extend_i32_s); this.setReg(rd); return;
      case F.WShamt: this.getReg(rs1); c.op(W.i32_wrap_i64).i32((inst >>> 20) & 31).op(wop).op(W.i64_extend_i32_s); this.setReg(rd); return;
      case F.SetReg: this.getReg(rs1); this.getReg(rs2); c.op(wop).op(W.i64_extend_i32_u); this.setReg(rd); return;
      case F.SetImm: this.getReg(rs1); c.i64(imm, imm >> 31).op(wop).op(W.i64_extend_i32_u); this.setReg(rd); return;
      case F.Load: this.load(i, wop, ACCESS_SIZE[op], left); return;
      case F.Store: this.store(i, wop, ACCESS_SIZE[op], left); return;
    }
    switch (op) {
      case Op.LUI: c.i64(inst & -4096, inst >> 31); this.setReg(rd); break;
      case Op.AUIPC: this.pc(i.off + (inst & -4096)); this.setReg(rd); break;
      case Op.DIV: case Op.DIVU: case Op.REM: case Op.REMU: this.div64(op, rd, rs1, rs2); break;
      case Op.DIVW: case Op.DIVUW: case Op.REMW: case Op.REMUW: this.div32(op, rd, rs1, rs2); break;
      case Op.FENCE: break;
      default:
        if ((op >= Op.AMOSWAP_W && op <= Op.AMOMAXU_W) || (op >= Op.AMOSWAP_D && op <= Op.AMOMAXU_D)) {
          this.amo(i, left);
          break;
        }
        // LR/SC, F and D, MULH*: one helper call on the in-memory state.
        if (op >= Op.LR_W || (op >= Op.CSRRW && op <= Op.MULHU)) {
          this.helper(i, left);
          break;
        }
        throw new Error(`tcg: no code for op ${op}`);
    }
  }

  /** DIV/DIVU/REM/REMU with RISC-V's results for division by zero and overflow (§7.2), which wasm traps on. */
  private div64(op: Op, rd: number, rs1: number, rs2: number): void {
    const c = this.c;
    this.getReg(rs1); c.set(L_T);
    this.getReg(rs2); c.set(L_U);
    c.get(L_U).op(W.i64_eqz);
    this.open(T.i64);
    if (op === Op.DIV || op === Op.DIVU) c.i64(-1, -1); else c.get(L_T);
    c.op(W.else);
    if (op === Op.DIV || op === Op.REM) {
      c.get(L_U).i64(-1, -1).op(W.i64_eq);
      this.open(T.i64);
      if (op === Op.DIV) c.i64(0, 0).get(L_T).op(W.i64_sub); else c.i64(0, 0);
      c.op(W.else);
      c.get(L_T).get(L_U).op(op === Op.DIV ? W.i64_div_s : W.i64_rem_s);
      this.close();
    } else {
      c.get(L_T).get(L_U).op(op === Op.DIVU ? W.i64_div_u : W.i64_rem_u);
    }
    this.close();
    this.setReg(rd);
  }

  private div32(op: Op, rd: number, rs1: number, rs2: number): void {
    const c = this.c;
    this.getReg(rs1); c.op(W.i32_wrap_i64).set(L_A);
    this.getReg(rs2); c.op(W.i32_wrap_i64).set(L_S);
    c.get(L_S).op(W.i32_eqz);
    this.open(T.i32);
    if (op === Op.DIVW || op === Op.DIVUW) c.i32(-1); else c.get(L_A);
    c.op(W.else);
    if (op === Op.DIVW || op === Op.REMW) {
      c.get(L_S).i32(-1).op(W.i32_eq);
      this.open(T.i32);
      if (op === Op.DIVW) c.i32(0).get(L_A).op(W.i32_sub); else c.i32(0);
      c.op(W.else);
      c.get(L_A).get(L_S).op(op === Op.DIVW ? W.i32_div_s : W.i32_rem_s);
      this.close();
    } else {
      c.get(L_A).get(L_S).op(op === Op.DIVUW ? W.i32_div_u : W.i32_rem_u);
    }
    this.close();
    c.op(W.i64_extend_i32_s);
    this.setReg(rd);
  }

  /**
   * Effective address into L_T (i64) and L_A (low word), TLB index × 4 into L_I, and pushes the tag
   * test. The tag is page aligned, so comparing it with the address masked by (-4096 | size-1) also
   * sends misaligned accesses to the slow path.
   */
  private tlbTest(rs1: number, imm: number, size: number, tlb: number): void {
    const c = this.c;
    this.getReg(rs1);
    c.i64(imm, imm >> 31).op(W.i64_add).tee(L_T).op(W.i32_wrap_i64).tee(L_A);
    c.i32(8).op(W.i32_shr_u).i32(TLB_MASK << 4).op(W.i32_and).get(L_DS).op(W.i32_add).tee(L_I); // entry × 16
    // One 64-bit compare: the page of the address against the tag; a misaligned address keeps a low bit and
    // never matches (the slow path does it).
    c.mem(W.i64_load, A.d, tlb + TLB_TAG);
    c.get(L_T).i64(-4096 | (size - 1), -1).op(W.i64_and).op(W.i64_eq);
  }

  /** Host address of the access: its address plus the entry's addend (mod 2^32). */
  private hostAddr(tlb: number): void {
    this.c.get(L_I).mem(W.i32_load, A.w, tlb + TLB_ADDEND).get(L_A).op(W.i32_add);
  }

  /** Calls slow path `r` of the runtime (runtime.ts): its stub, function r of every region module. */
  private slow(r: R): void {
    this.c.call(r);
  }

  private load(i: Insn, o: W, size: number, left: number): void {
    const c = this.c;
    this.tlbTest((i.inst >>> 15) & 31, i.inst >> 20, size, TLB_R);
    this.open(T.i64);
    this.hostAddr(TLB_R);
    c.mem(o, 0, 0);
    c.op(W.else);
    c.get(L_T).i32(this.site(i, left));
    this.slow(LOAD_SLOW[o]!);
    c.i32(0).mem(W.i32_load, A.w, EXIT_OFF).u8(W.br_if).uleb(this.depthSite());
    this.close();
    this.setReg((i.inst >>> 7) & 31);
  }

  private store(i: Insn, o: W, size: number, left: number): void {
    const c = this.c;
    const inst = i.inst;
    const rs2 = (inst >>> 20) & 31;
    const imm = ((inst >> 25) << 5) | ((inst >>> 7) & 31);
    this.tlbTest((inst >>> 15) & 31, imm, size, TLB_W);
    this.open(T.void);
    this.hostAddr(TLB_W);
    this.getReg(rs2);
    c.mem(o, 0, 0);
    c.op(W.else);
    c.get(L_T);
    this.getReg(rs2);
    c.i32(this.site(i, left));
    this.slow(STORE_SLOW[o]!);
    c.u8(W.br_if).uleb(this.depthSite());
    this.close();
  }

  /**
   * AMO (§8.4): inline when the write TLB maps the (aligned) address — such a page is readable, RAM, and holds
   * no translated code — else the helper. One hart, so a load and a store are atomic. The LR reservation is
   * left as it is, as the helper does.
   */
  private amo(i: Insn, left: number): void {
    const c = this.c;
    const inst = i.inst;
    const rd = (inst >>> 7) & 31, rs2 = (inst >>> 20) & 31;
    const d = i.op >= Op.AMOSWAP_D;
    const k = i.op - (d ? Op.AMOSWAP_D : Op.AMOSWAP_W); // SWAP ADD XOR AND OR MIN MAX MINU MAXU
    this.tlbTest((inst >>> 15) & 31, 0, d ? 8 : 4, TLB_W);
    this.open(T.void);
    this.hostAddr(TLB_W);
    c.set(L_A);
    c.get(L_A).mem(d ? W.i64_load : W.i64_load32_s, d ? A.d : A.w, 0).set(L_U); // old, sign-extended (W)
    c.get(L_A);
    // The operand as the comparison sees it: the low word sign- or zero-extended for W, as is for D.
    const operand = (unsigned: boolean) => {
      this.getReg(rs2);
      if (!d) c.op(W.i32_wrap_i64).op(unsigned ? W.i64_extend_i32_u : W.i64_extend_i32_s);
    };
    const old = (unsigned: boolean) => {
      c.get(L_U);
      if (!d && unsigned) c.i64(-1, 0).op(W.i64_and);
    };
    if (k === 0) this.getReg(rs2);
    else if (k <= 4) {
      c.get(L_U);
      this.getReg(rs2);
      c.op([W.i64_add, W.i64_xor, W.i64_and, W.i64_or][k - 1]);
    } else {
      // MIN MAX MINU MAXU: select(old, operand, old < operand) for MIN, (operand < old) for MAX.
      const unsigned = k >= 7;
      const lt = unsigned ? W.i64_lt_u : W.i64_lt_s;
      old(unsigned);
      operand(unsigned);
      if (k === 5 || k === 7) { old(unsigned); operand(unsigned); } else { operand(unsigned); old(unsigned); }
      c.op(lt).op(W.select);
    }
    c.mem(d ? W.i64_store : W.i64_store32, d ? A.d : A.w, 0);
    c.get(L_U);
    this.setReg(rd);
    c.op(W.else);
    this.helper(i, left);
    this.close();
  }

  private helper(i: Insn, left: number): void {
    const c = this.c;
    const inst = i.inst;
    const rd = (inst >>> 7) & 31, rs1 = (inst >>> 15) & 31, rs2 = (inst >>> 20) & 31;
    // The helper works on the in-memory register file: give it the operands, take rd back. Spilling and
    // reloading the integer registers named by the fields is harmless when they are FP registers.
    this.spill(rs1);
    this.spill(rs2);
    this.spill(rd);
    c.i32(i.op).i32(inst).i32(i.raw).i32(this.site(i, left));
    this.slow(R.exec);
    this.reload(rd);
    // A CSR write may switch the data TLB set (mstatus.SUM, MPRV): the helper updated DSET_OFF.
    if (i.op >= Op.CSRRW && i.op <= Op.CSRRCI) c.i32(0).mem(W.i32_load, A.w, DSET_OFF).i32(4).op(W.i32_shl).set(L_DS);
    c.u8(W.br_if).uleb(this.depthSite());
  }
}
