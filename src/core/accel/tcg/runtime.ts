/**
 * The translator's runtime module: the slow paths of translated code, in wasm, built once per machine.
 *
 * Region modules reach these wasm functions with call_indirect through the runtime's own table (from
 * the module's stubs, STUBS) and import no function at all: V8 compiles a wasm-to-JS wrapper for every
 * imported function signature of every module when the module is compiled, even when the import turns
 * out to be a wasm function (three TurboFan jobs per module, 0.3 ms; measured with perf). The runtime
 * table is written once, so
 * importing it costs nothing later (V8 updates every instance importing a table on each write to it:
 * regions must not import the dispatcher's table). Keeping the slow paths here also keeps each load and
 * store in region code short.
 *
 * A slow path gets the `site` of its instruction: page offset (bits 0-11), 4-byte length (bit 12) and
 * the instructions of its block from it to the end (bits 13 up). When the access traps, or a store hit
 * translated code or a device, the JS helper sets EXIT_OFF and writes SITE_OFF (state.ts) and the region
 * leaves through its one site exit.
 */
import { SCRATCH_OFF } from '../../target/riscv/state.js';
import { assemble, Bytes, T, W, type FuncType } from './wasm-emit.js';

/** The JS side of the slow paths. */
export interface SlowPaths {
  /** Loads `size` bytes; returns the low word (high word of a 64-bit load at SCRATCH_OFF). */
  load(lo: number, hi: number, size: number, site: number): number;
  /** Stores; returns 0 to go on, non-zero to leave the region (SITE_OFF written). */
  store(lo: number, hi: number, size: number, vlo: number, vhi: number, site: number): number;
  /** Executes one instruction on the in-memory state (A, F, D, MULH*, CSR); returns as store(). */
  exec(op: number, inst: number, raw: number, site: number): number;
}

/** Slots of the runtime table: loads by kind, stores by size, exec. */
export const enum R {
  lb = 0, lbu = 1, lh = 2, lhu = 3, lw = 4, lwu = 5, ld = 6, sb = 7, sh = 8, sw = 9, sd = 10, exec = 11,
}
const LOADS = ['lb', 'lbu', 'lh', 'lhu', 'lw', 'lwu', 'ld'] as const;
const STORES = ['sb', 'sh', 'sw', 'sd'] as const;

/** Function types shared by the runtime and region modules (region type 0: `(budget) → budget`). */
export const TYPES: FuncType[] = [
  { params: [T.i32, T.i32], results: [T.i32] }, // a region (codegen.ts): budget, block → budget left
  { params: [T.i64, T.i32], results: [T.i64] },
  { params: [T.i64, T.i64, T.i32], results: [T.i32] },
  { params: [T.i32, T.i32, T.i32, T.i32], results: [T.i32] },
  { params: [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32], results: [T.i32] },
];
const T_LOAD = 1, T_STORE = 2, T_EXEC = 3, T_JS_STORE = 4;

/** Type index (in TYPES) of each slow path, for call_indirect. */
export const SLOW_TYPE: readonly number[] = [
  ...LOADS.map(() => T_LOAD), ...STORES.map(() => T_STORE), T_EXEC,
];

/**
 * The first functions of every region module: stub k calls slow path k through the runtime table, and region
 * code calls the stub directly (`call k`). Liftoff compiles a call_indirect at each of the ~40,000 load and
 * store sites of a boot into a table bounds check, a signature check and an indirect call; a direct call is
 * a fraction of that code and compile time. A stub compiles on its first call, so unused ones cost nothing.
 */
export const STUBS: readonly { type: number; body: Bytes }[] = SLOW_TYPE.map((type, k) => {
  const c = new Bytes().uleb(0);
  for (let p = 0; p < TYPES[type].params.length; p++) c.get(p);
  c.i32(k).u8(W.call_indirect).uleb(type).uleb(0);
  return { type, body: c.op(W.end) };
});

/** Builds the runtime over `memory`; returns its table (slots in R order), for region modules to import. */
export function buildRuntime(memory: WebAssembly.Memory, js: SlowPaths): WebAssembly.Table {
  // Imported JS functions: 0 load, 1 store, 2 exec.
  const funcs: { type: number; body: Bytes }[] = [];
  const addrLoHi = (c: Bytes) => {
    c.get(0).op(W.i32_wrap_i64);
    c.get(0).i64(32, 0).op(W.i64_shr_u).op(W.i32_wrap_i64);
  };
  LOADS.forEach((name, k) => {
    const size = [1, 1, 2, 2, 4, 4, 8][k];
    const c = new Bytes().uleb(0);
    addrLoHi(c);
    c.i32(size).get(1).call(0);
    switch (name) {
      case 'lb': c.op(W.i64_extend_i32_u).op(W.i64_extend8_s); break;
      case 'lbu': c.i32(0xff).op(W.i32_and).op(W.i64_extend_i32_u); break;
      case 'lh': c.op(W.i64_extend_i32_u).op(W.i64_extend16_s); break;
      case 'lhu': c.i32(0xffff).op(W.i32_and).op(W.i64_extend_i32_u); break;
      case 'lw': c.op(W.i64_extend_i32_s); break;
      case 'lwu': c.op(W.i64_extend_i32_u); break;
      case 'ld':
        c.op(W.i64_extend_i32_u).i32(0).mem(W.i64_load32_u, 2, SCRATCH_OFF).i64(32, 0).op(W.i64_shl).op(W.i64_or);
        break;
    }
    funcs.push({ type: T_LOAD, body: c.op(W.end) });
  });
  STORES.forEach((_, k) => {
    const c = new Bytes().uleb(0);
    addrLoHi(c);
    c.i32(1 << k);
    c.get(1).op(W.i32_wrap_i64).get(1).i64(32, 0).op(W.i64_shr_u).op(W.i32_wrap_i64);
    c.get(2).call(1);
    funcs.push({ type: T_STORE, body: c.op(W.end) });
  });
  funcs.push({ type: T_EXEC, body: new Bytes().uleb(0).get(0).get(1).get(2).get(3).call(2).op(W.end) });

  const names = [...LOADS, ...STORES, 'exec'];
  const bytes = assemble({
    types: TYPES,
    imports: [{ name: 'load', type: T_EXEC }, { name: 'store', type: T_JS_STORE }, { name: 'exec', type: T_EXEC }],
    memory: true, table: false, funcs,
    exports: names.map((name, i) => ({ name, func: 3 + i })),
  });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    m: { mem: memory },
    h: {
      load: (lo: number, hi: number, size: number, site: number) => js.load(lo, hi, size, site),
      store: (lo: number, hi: number, size: number, vlo: number, vhi: number, site: number) => js.store(lo, hi, size, vlo, vhi, site),
      exec: (op: number, inst: number, raw: number, site: number) => js.exec(op, inst, raw, site),
    },
  });
  const table = new WebAssembly.Table({ element: 'anyfunc', initial: names.length });
  names.forEach((n, i) => table.set(i, inst.exports[n] as () => void));
  return table;
}
