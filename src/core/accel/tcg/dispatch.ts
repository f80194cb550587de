/**
 * The dispatcher loop, itself in WebAssembly: looks the pc up in the jump cache (state.ts JC_OFF) and
 * calls the region through the shared function table until the cache misses, the budget is spent or
 * a region asks to go back to JS (EXIT_OFF: a trap, or a store that hit code or a device).
 *
 * Calling each region from JS went through V8's generic JS-to-wasm wrapper (thousands of different
 * targets at one call site): about 0.6 µs per call, 1 s of a 6 s Linux boot. A call_indirect costs a
 * few nanoseconds.
 *
 * A jump-cache hit is only taken while the fetch TLB (current privilege) maps the pc's page to the
 * region's physical page, so TLB flushes and privilege changes need no cache flush.
 */
import { TLB_MASK } from '../../target/riscv/cpu.js';
import { EXIT_OFF, JC_BITS, JC_HASH, JC_OFF, PC_OFF, TLB_HOST, TLB_TAG, TLB_X, XSET_OFF } from '../../target/riscv/state.js';
import { assemble, Bytes, T, W } from './wasm-emit.js';

export type Dispatch = (budget: number) => number;

const L_B = 0, L_LO = 1, L_HI = 2, L_E = 3, L_T = 4;

export function buildDispatcher(memory: WebAssembly.Memory, table: WebAssembly.Table): Dispatch {
  const c = new Bytes();
  c.uleb(1).uleb(4).u8(T.i32);
  c.u8(W.block).u8(T.void).u8(W.loop).u8(T.void);
  const out = (depth: number) => c.u8(W.br_if).uleb(depth);
  c.get(L_B).i32(0).op(W.i32_le_s); out(1);
  c.i32(0).mem(W.i32_load, 2, EXIT_OFF); out(1);
  c.i32(0).mem(W.i32_load, 2, PC_OFF).set(L_LO);
  c.i32(0).mem(W.i32_load, 2, PC_OFF + 4).set(L_HI);
  // jcIndex() in state.ts
  c.get(L_LO).i32(JC_HASH).op(W.i32_mul).i32(32 - JC_BITS).op(W.i32_shr_u).i32(4).op(W.i32_shl).set(L_E);
  c.get(L_E).mem(W.i32_load, 2, JC_OFF).get(L_LO).op(W.i32_ne); out(1);
  c.get(L_E).mem(W.i32_load, 2, JC_OFF + 4).get(L_HI).op(W.i32_ne); out(1);
  c.get(L_LO).i32(12).op(W.i32_shr_u).i32(TLB_MASK).op(W.i32_and).i32(0).mem(W.i32_load, 2, XSET_OFF).op(W.i32_add)
    .i32(4).op(W.i32_shl).set(L_T);
  c.get(L_T).mem(W.i32_load, 2, TLB_X + TLB_TAG).get(L_LO).i32(-4096).op(W.i32_and).op(W.i32_ne); out(1);
  c.get(L_T).mem(W.i32_load, 2, TLB_X + TLB_TAG + 4).get(L_HI).op(W.i32_ne); out(1);
  c.get(L_T).mem(W.i32_load, 2, TLB_X + TLB_HOST).get(L_E).mem(W.i32_load, 2, JC_OFF + 8).op(W.i32_ne); out(1);
  // Entry word: function-table index | block to start at << 16.
  c.get(L_B).get(L_E).mem(W.i32_load, 2, JC_OFF + 12).tee(L_T).i32(16).op(W.i32_shr_u);
  c.get(L_T).i32(0xffff).op(W.i32_and);
  c.u8(W.call_indirect).uleb(1).uleb(0);
  c.set(L_B).br(0);
  c.op(W.end).op(W.end);
  c.get(L_B).op(W.end);
  const bytes = assemble({
    types: [{ params: [T.i32], results: [T.i32] }, { params: [T.i32, T.i32], results: [T.i32] }], imports: [], memory: true, table: true,
    funcs: [{ type: 0, body: c }], exports: [{ name: 'dispatch', func: 0 }],
  });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { m: { mem: memory, tbl: table } });
  return inst.exports.dispatch as Dispatch;
}
