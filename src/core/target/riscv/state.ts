/**
 * Layout of the hot CPU state inside the machine's one WebAssembly.Memory.
 *
 * The interpreter and the translator (accel/tcg) work on the same bytes, so the offsets are the
 * contract between them. 64-bit integer registers are stored little-endian: the low word at the
 * even Int32 index, the high word at the odd one. Guest RAM follows the state area.
 */
export const X_OFF = 0; // x0..x31, 8 bytes each, then an 8-byte sink that absorbs writes to x0
export const X_SINK = 64; // Int32 index of the sink: the interpreter writes "x0" results there
export const F_OFF = 272; // f0..f31, 8 bytes each (single-precision values NaN-boxed)
export const PC_OFF = 528; // pc, 8 bytes
export const PRIV_OFF = 536; // current privilege: 0 U, 1 S, 3 M
/** Translated code: TLB set offset for data accesses (Cpu.dset), written by the dispatcher before a call. */
export const DSET_OFF = 544;
/** Translated code: why the last call returned (see accel/tcg ExitReason). */
export const EXIT_OFF = 548;
/** Translated code: high word of a 64-bit slow-path load, passed back from the helper. */
export const SCRATCH_OFF = 552;
/** Translated code: TLB set offset for instruction fetch (Cpu.xset), written by the dispatcher. */
export const XSET_OFF = 560;
/**
 * Translated code: where a region leaves after a helper trapped or asked to leave, written by the helper:
 * page offset of the next pc (bits 0-12) and instructions to give back to the budget (bits 13 up).
 */
export const SITE_OFF = 564;
/**
 * The TLBs (cpu.ts), in the memory so that translated code can do the lookup inline: three arrays (read,
 * write, fetch) of TLB_ENTRIES entries of 16 bytes — the tag (page-aligned virtual address, low then high
 * word: translated code compares it with one 64-bit load), the host byte offset of the page, and the addend
 * (host offset of the page minus the low word of its virtual address, mod 2^32: the host offset of an
 * access is its address plus the addend) — as QEMU's CPUTLBEntry.
 */
export const TLB_OFF = 0x1000;
export const TLB_ENTRIES = 1024;
export const TLB_ENTRY_BYTES = 16;
export const TLB_ARRAY_BYTES = TLB_ENTRIES * TLB_ENTRY_BYTES;
export const TLB_R = TLB_OFF;
export const TLB_W = TLB_OFF + TLB_ARRAY_BYTES;
export const TLB_X = TLB_OFF + 2 * TLB_ARRAY_BYTES;
/** Byte offsets of the fields in an entry. */
export const TLB_TAG = 0, TLB_HOST = 8, TLB_ADDEND = 12;
/**
 * The translator's jump cache (accel/tcg/dispatch.ts): JC_ENTRIES entries of 16 bytes, indexed by
 * jcIndex(pc lo): pc lo, pc hi, host offset of the code page, function-table index.
 */
export const JC_OFF = 0x10000;
export const JC_BITS = 14;
export const JC_ENTRIES = 1 << JC_BITS;
/** Multiplier of the jump cache's hash (Fibonacci hashing: 2^32 / golden ratio). */
export const JC_HASH = 0x9e3779b1 | 0;

/** Jump-cache slot of a pc (the dispatcher computes the same in wasm). */
export function jcIndex(pcLo: number): number {
  // Multiplicative: the earlier (pc >> 1) ^ (pc >> 15) sent pairs of a loop's hot pcs to one slot (busybox's
  // shell loop: 14 misses per iteration, 1.4M per 100,000 iterations).
  return Math.imul(pcLo, JC_HASH) >>> (32 - JC_BITS);
}
export const STATE_BYTES = 0x50000; // CPU state, TLBs and the jump cache (5 wasm pages)
export const RAM_OFFSET = STATE_BYTES; // byte offset of guest RAM in the memory

export const enum Priv {
  U = 0,
  S = 1,
  M = 3,
}

/** Typed views over the state area and RAM of one memory. Views are created once (memory never grows). */
export class StateViews {
  readonly x: Int32Array;
  readonly fi: Int32Array;
  readonly fd: Float64Array;
  readonly fs: Float32Array;
  readonly i32: Int32Array;
  constructor(readonly memory: WebAssembly.Memory) {
    const buf = memory.buffer;
    this.x = new Int32Array(buf, X_OFF, 66);
    this.fi = new Int32Array(buf, F_OFF, 64);
    this.fd = new Float64Array(buf, F_OFF, 32);
    this.fs = new Float32Array(buf, F_OFF, 64);
    this.i32 = new Int32Array(buf, 0, STATE_BYTES >> 2);
  }
}

/** Allocates the machine memory: the state page plus `ramBytes` of guest RAM (a multiple of 64 KiB). */
export function allocateMachineMemory(ramBytes: number): WebAssembly.Memory {
  const pages = (STATE_BYTES + ramBytes + 0xffff) >>> 16;
  return new WebAssembly.Memory({ initial: pages, maximum: pages });
}
