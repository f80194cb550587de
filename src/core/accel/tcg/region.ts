/**
 * Region formation: from an entry pc, the basic blocks of one guest page reachable through direct
 * branches and jumps, decoded once through the shared encoding table (decode.ts, rvc.ts). A region is
 * the translation unit: one wasm function, registers in locals, blocks linked by direct branches.
 *
 * A region never leaves its 4 KiB page, so one instruction-fetch translation covers all of it, and
 * invalidating a physical page drops every region that was read from it.
 */
import { decode } from '../../target/riscv/decode.js';
import { Op } from '../../target/riscv/insn-table.js';
import { rvcExpand } from '../../target/riscv/rvc.js';

export interface Insn {
  /** Byte offset of the instruction in its page. */
  off: number;
  /** The 32-bit instruction (compressed ones expanded) and the raw word as fetched (for xtval). */
  inst: number;
  raw: number;
  op: Op;
  len: number;
}

export const enum End {
  /** Continues at `next` (the following instruction, or a block that starts there). */
  Fall,
  /** Conditional branch: `target` when taken, `next` otherwise. */
  Branch,
  /** JAL: `target`. */
  Jump,
  /** JALR: the target is computed at run time; back to the dispatcher. */
  Indirect,
  /** Stops before an instruction the translator leaves to the interpreter: back to the dispatcher at `next`. */
  Stop,
}

export interface Block {
  start: number;
  insns: Insn[];
  end: End;
  /** Page offsets of successors; may lie outside the page (then they are exits). */
  next: number;
  target: number;
}

/** Limits that bound compile time and code size per region (measured: see bench/RESULTS.md). */
export const MAX_BLOCKS = 16;
export const MAX_BLOCK_INSNS = 128;

/**
 * Instructions that end a region before them: they change privilege or translation, or need the exact
 * instruction count (cycle, instret), which only the dispatcher knows. Other CSR accesses run in a
 * helper inside the region (Linux toggles sstatus.SIE around every spinlock).
 */
export function stopsRegion(op: Op, inst: number): boolean {
  switch (op) {
    case Op.ILLEGAL: case Op.ECALL: case Op.EBREAK: case Op.SRET: case Op.MRET: case Op.WFI:
    case Op.SFENCE_VMA: case Op.FENCE_I:
      return true;
    case Op.CSRRW: case Op.CSRRS: case Op.CSRRC: case Op.CSRRWI: case Op.CSRRSI: case Op.CSRRCI: {
      const csr = inst >>> 20;
      return csr === 0xc00 || csr === 0xc02 || csr === 0xb00 || csr === 0xb02; // cycle, instret, mcycle, minstret
    }
    default:
      return op >= Op.COUNT;
  }
}

function isBranch(op: Op): boolean {
  return op >= Op.BEQ && op <= Op.BGEU;
}

/** B-type immediate (Unprivileged ISA §2.5). */
export function bImm(inst: number): number {
  return ((inst >> 31) << 12) | (((inst >>> 7) & 1) << 11) | (((inst >>> 25) & 63) << 5) | (((inst >>> 8) & 15) << 1);
}

/** J-type immediate (§2.5). */
export function jImm(inst: number): number {
  return ((inst >> 31) << 20) | (inst & 0xff000) | (((inst >>> 20) & 1) << 11) | (((inst >>> 21) & 1023) << 1);
}

/**
 * Decodes the region starting at page offset `entry` of the page whose bytes start at `u16` index
 * `page16` (host byte offset / 2). Returns the blocks in address order, or null if the entry itself is
 * an instruction the translator leaves to the interpreter.
 */
export function formRegion(u16: Uint16Array, page16: number, entry: number): Block[] | null {
  const blocks = new Map<number, Block>();
  const work = [entry];
  while (work.length > 0 && blocks.size < MAX_BLOCKS) {
    // Breadth first: the blocks nearest the entry come first. Depth first (tried first) spent the block budget
    // on one long path and left out a loop right next to the entry: busybox's shell crossed a region
    // boundary 30 times per iteration in one 3-instruction loop (87M region transitions per 100,000
    // iterations, 74M breadth first; a Linux boot 3.5M → 2.2M).
    const start = work.shift()!;
    if (blocks.has(start)) continue;
    const b: Block = { start, insns: [], end: End.Fall, next: start, target: 0 };
    let off = start;
    for (;;) {
      if (off >= 4096 || (off !== start && blocks.has(off)) || b.insns.length >= MAX_BLOCK_INSNS) {
        b.end = End.Fall;
        b.next = off;
        break;
      }
      const lo16 = u16[page16 + (off >> 1)];
      const full = (lo16 & 3) === 3;
      // An instruction that straddles the page end is left to the interpreter (two fetch translations).
      if (full && off === 4094) {
        b.end = End.Stop;
        b.next = off;
        break;
      }
      const raw = full ? lo16 | (u16[page16 + (off >> 1) + 1] << 16) : lo16;
      const inst = full ? raw : rvcExpand(raw);
      const op = inst === 0 ? Op.ILLEGAL : decode(inst);
      if (stopsRegion(op, inst)) {
        b.end = End.Stop;
        b.next = off;
        break;
      }
      const len = full ? 4 : 2;
      b.insns.push({ off, inst, raw, op, len });
      off += len;
      if (isBranch(op)) {
        b.end = End.Branch;
        b.next = off;
        b.target = off - len + bImm(inst);
        break;
      }
      if (op === Op.JAL) {
        b.end = End.Jump;
        b.next = off;
        b.target = off - len + jImm(inst);
        break;
      }
      if (op === Op.JALR) {
        b.end = End.Indirect;
        b.next = off;
        break;
      }
    }
    if (b.insns.length === 0) {
      if (start === entry) return null;
      continue; // a block that would start with a stopping instruction is just an exit to it
    }
    blocks.set(start, b);
    // Calls (JAL with a link register) leave the region: callees are entered from many places and get
    // their own regions; following them made regions three times larger for little gain (measured).
    const call = b.end === End.Jump && ((b.insns[b.insns.length - 1].inst >>> 7) & 31) !== 0;
    if ((b.end === End.Branch || b.end === End.Jump) && !call) {
      if (b.target >= 0 && b.target < 4096) work.push(b.target);
    }
    if (b.end === End.Branch || b.end === End.Fall) {
      if (b.next < 4096) work.push(b.next);
    }
  }
  return [...blocks.values()].sort((a, b) => a.start - b.start);
}
