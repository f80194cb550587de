/**
 * tsvm's TCG: the dispatcher that runs translated regions (codegen.ts) and falls back to the interpreter
 * (target/riscv/interp.ts) for cold code, plus the translation caches.
 *
 * - Hotness: the interpreter counts taken-branch targets down in `cpu.hot` and returns here at a target
 *   whose count reached zero; the dispatcher counts its own misses the same way. `jit=always` starts every
 *   count at zero, so code is translated the first time it is entered.
 * - Lookup: the wasm dispatcher (dispatch.ts) follows a direct-mapped jump cache in the machine memory, by
 *   virtual pc; a hit is valid while the fetch TLB still maps the pc's page to the region's physical page (so
 *   TLB flushes need no cache flush). A miss comes back here: the pc is translated and the region looked up
 *   by physical address (regions are position independent), or generated and queued for the next batch.
 * - Invalidation: pages holding translated code stay out of the write TLB (cpu.codePages); a store to one
 *   (CPU or DMA) drops every region of the page, and translated code returns right after such a store.
 * - Bounded: past MAX_REGIONS regions or MAX_CODE_BYTES of wasm everything is dropped (as QEMU's tb_flush).
 * - Slow paths: a load or store that misses the TLB, and the instructions done by a helper, go through the
 *   wasm runtime (runtime.ts) to load(), store() and exec() below, on the state in memory.
 */
import { Cpu, TRAP } from '../../target/riscv/cpu.js';
import { run as interpret } from '../../target/riscv/interp.js';
import { checkInterrupts, enterTrap, pendingInterrupt, startSlice } from '../../target/riscv/trap.js';
import { execCsr } from '../../target/riscv/csr.js';
import { ACC_X } from '../../target/riscv/mmu.js';
import { FP_FIRST, Op } from '../../target/riscv/insn-table.js';
import { MSTATUS_FS } from '../../target/riscv/csr-defs.js';
import { execFp } from '../../target/riscv/fpu.js';
import { execAtomic, execFpMem } from '../../target/riscv/exec-mem.js';
import * as m64 from '../../target/riscv/int64.js';
import {
  EXIT_OFF, DSET_OFF, JC_ENTRIES, JC_OFF, jcIndex, PC_OFF, RAM_OFFSET, SCRATCH_OFF, SITE_OFF, XSET_OFF, X_SINK,
} from '../../target/riscv/state.js';
import { buildDispatcher, type Dispatch } from './dispatch.js';
import { formRegion } from './region.js';
import { RegionCompiler } from './codegen.js';
import { assemble, type Bytes } from './wasm-emit.js';
import { buildRuntime, STUBS, TYPES } from './runtime.js';

export type JitMode = 'off' | 'on' | 'always';

/**
 * Times a branch target is entered in the interpreter before it is translated. Measured on the default
 * guest's boot to a prompt: 50 → 5,900 regions, 150 → 3,400 and the fastest boot (RESULTS.md).
 */
export const HOT_THRESHOLD = 150;
const HOT_BITS = 20;
/** Regions per compiled module at most (a smaller batch is compiled at the end of a slice: MIN_BATCH). */
const BATCH = 32;
export const MAX_REGIONS = 16384;
export const MAX_CODE_BYTES = 64 << 20;
/**
 * A batch smaller than this waits for up to MAX_WAIT_SLICES ends of slice before it is compiled. Measured on
 * the default guest's boot (8 alternating runs each, medians): 1 (every slice) 1.20 s, 8 1.14 s, 16 1.13 s,
 * 32 1.17 s; modules per boot 486 → 232 with 16.
 */
const MIN_BATCH = 16;
const MAX_WAIT_SLICES = 4;
/** Passes by a queued region's entry before its batch is compiled early (see lookup()). */
const PENDING_WAIT = 255;

/** What a jump-cache miss comes to: interpret while cold, run the region, or interpret one instruction. */
const enum Lookup { Cold, Enter, Step }

interface Region {
  /** Physical address of the entry. */
  pa: number;
  /** Page offsets of its blocks, in order: the region can be entered at any of them (codegen.ts). */
  starts: number[];
  /** Index of the translated function in the function table; -1 until its batch is compiled. */
  index: number;
  /** The function body while it waits for compilation. */
  body: Bytes | null;
  /** Slot of the entry pc in the hotness table. */
  hot: number;
  /** Host byte offset of the code page, and its index in RAM pages. */
  host: number;
  page: number;
  valid: boolean;
  /** A start other than the entry was looked up while the region waited for its batch (see lookup()). */
  waited: boolean;
}

export interface TcgStats {
  regions: number;
  codeBytes: number;
  translations: number;
  flushes: number;
  invalidations: number;
  compileMs: number;
  /** Time spent generating code (main thread), and compiled batches. */
  genMs: number;
  batches: number;
  /** Entries into the wasm dispatcher, and instructions retired in translated code. */
  dispatches: number;
  jitInsns: number;
  /** Interpreter runs started by the dispatcher. */
  interpCalls: number;
}

export class Tcg {
  // Times and the counters that outgrow V8's small integers start as -0, a double: from 0 V8 would change
  // the fields' representation later and deoptimize every function that uses the stats.
  readonly stats: TcgStats = {
    regions: 0, codeBytes: 0, translations: 0, flushes: 0, invalidations: 0, compileMs: -0, genMs: -0, batches: 0,
    dispatches: -0, jitInsns: -0, interpCalls: -0,
  };
  private readonly i32: Int32Array;
  private readonly hot: Uint8Array;
  private readonly codePages: Uint8Array;
  /** Function table shared by the dispatcher and the regions, with its free slots. */
  private readonly table = new WebAssembly.Table({ element: 'anyfunc', initial: 1024 });
  private freeIndex: number[] = [];
  private nextIndex = 0;
  private readonly dispatch: Dispatch;
  /** Regions by physical entry address (translated code is position independent). */
  private byPa = new Map<number, Region>();
  /** Regions by RAM page, for invalidation. */
  private byPage = new Map<number, Region[]>();
  /** Physical entries that cannot be translated (the first instruction is left to the interpreter). */
  private failed = new Set<number>();
  private readonly compiler = new RegionCompiler();
  /** The runtime's slow paths (runtime.ts), in a table every region module imports. */
  private readonly runtime: WebAssembly.Table;
  /** Regions generated but not compiled yet. */
  private pending: Region[] = [];
  /** Ends of slice since the oldest queued region was queued (see run()). */
  private pendingSlices = 0;
  /** Regions per module: jit=always compiles each region at once (deterministic, for tests). */
  private readonly batch: number;

  constructor(private readonly cpu: Cpu, mode: Exclude<JitMode, 'off'>, private readonly now: () => number = () => 0) {
    this.i32 = cpu.i32;

    this.batch = mode === 'always' ? 1 : BATCH;
    this.hot = new Uint8Array(1 << HOT_BITS).fill(mode === 'always' ? 0 : HOT_THRESHOLD);
    this.codePages = new Uint8Array(Math.ceil((cpu.ramEnd - cpu.ramBase) / 4096));
    cpu.hot = this.hot;
    cpu.codePages = this.codePages;
    cpu.onCodeWrite = (page) => this.invalidatePage(page);
    this.dispatch = buildDispatcher(cpu.memory, this.table);
    this.clearJumpCache();
    this.runtime = buildRuntime(cpu.memory, this);
  }

  /** Runs up to `budget` instructions: the contract of interp.run(). */
  run(budget: number): void {
    this.runSlice(budget);
    // What became hot during the slice goes to the compiler at the end of it, unless the batch is still small
    // and young: creating a module has a fixed cost (a boot made ~500 modules of 4.5 regions on average).
    if (this.pending.length >= MIN_BATCH || (this.pending.length > 0 && ++this.pendingSlices >= MAX_WAIT_SLICES)) this.compilePending();
  }

  private runSlice(budget: number): void {
    const cpu = this.cpu;
    if (!startSlice(cpu)) return;
    const i32 = this.i32;
    const stats = this.stats;
    while (budget > 0) {
      // Interrupts are taken between regions: a device, a CSR write or an xRET may have made one pending.
      if ((cpu.mip & cpu.mie) !== 0) checkInterrupts(cpu);
      i32[PC_OFF >> 2] = cpu.pcLo;
      i32[(PC_OFF >> 2) + 1] = cpu.pcHi;
      i32[DSET_OFF >> 2] = cpu.dset;
      i32[XSET_OFF >> 2] = cpu.xset;
      const left = this.dispatch(budget);
      if (left !== budget) {
        cpu.instret += budget - left;
        stats.jitInsns += budget - left;
        budget = left;
        cpu.pcLo = i32[PC_OFF >> 2];
        cpu.pcHi = i32[(PC_OFF >> 2) + 1];
      }
      stats.dispatches++;
      const exit = i32[EXIT_OFF >> 2];
      if (exit !== 0) {
        i32[EXIT_OFF >> 2] = 0;
        if (exit === 1) enterTrap(cpu, cpu.pcLo, cpu.pcHi, cpu.trapCause, false, cpu.trapTvalLo, cpu.trapTvalHi);
        if (cpu.stopRequested) return;
        continue;
      }
      if (budget <= 0) return;
      // Jump-cache miss: translate (or find) the region, or interpret up to the next hot branch target;
      // an instruction the translator leaves to the interpreter runs alone, so that the code after it
      // comes back here (the interpreter stops only at taken branches: it would run straight-line code
      // after an SRET, an SBI call or a page-straddling instruction to its end, translated or not).
      const found = this.lookup(cpu.pcLo, cpu.pcHi);
      if (found === Lookup.Enter) continue;
      const before = cpu.instret;
      stats.interpCalls++;
      interpret(cpu, found === Lookup.Step ? 1 : budget);
      budget = (budget - (cpu.instret - before)) | 0; // a small integer, as interpret() was warmed up with
      if (cpu.idle || cpu.stopRequested) return;
    }
  }

  /**
   * Jump-cache miss: enters the region for pc in the jump cache if it is hot and translated (translating
   * it now if needed). Otherwise pc is interpreted: up to the next hot branch target while it is cold,
   * one instruction if the translator leaves that instruction to the interpreter.
   */
  private lookup(pcLo: number, pcHi: number): Lookup {
    const cpu = this.cpu;
    const h = (pcLo >>> 1) & ((1 << HOT_BITS) - 1);
    if (this.hot[h] !== 0) {
      this.hot[h]--;
      return Lookup.Cold;
    }
    let pa: number;
    try {
      pa = cpu.translate(pcLo, pcHi, ACC_X);
    } catch (e) {
      if (e !== TRAP) throw e;
      return Lookup.Step; // the interpreter takes the fetch fault
    }
    if (pa < cpu.ramBase || pa + 2 > cpu.ramEnd) return Lookup.Cold; // not RAM: never translated
    // Any block start of a region is an entry: a loop's inner branch targets do not get regions of their own.
    let r = this.byPa.get(pa);
    if (r === undefined) {
      if (this.failed.has(pa)) return Lookup.Step;
      r = this.translate(pa, pcLo);
      if (r === undefined) {
        this.failed.add(pa);
        return Lookup.Step;
      }
      if (r.index < 0) return Lookup.Cold; // queued for the next batch
    }
    if (r.index < 0) {
      // Waiting for its batch. Once a start of it has come back PENDING_WAIT times since the region was
      // queued (the entry's count was set then, another start's is set now), the batch goes to the compiler
      // at once instead of at the end of the slice: a loop whose exit is a new region otherwise comes back
      // here on every iteration, for a whole slice.
      if (pa !== r.pa && !r.waited) {
        r.waited = true;
        this.hot[h] = PENDING_WAIT;
        return Lookup.Cold;
      }
      this.compilePending();
      if (r.index < 0) return Lookup.Step;
    }
    const e = (JC_OFF >> 2) + jcIndex(pcLo) * 4;
    const i32 = this.i32;
    i32[e] = pcLo;
    i32[e + 1] = pcHi;
    i32[e + 2] = r.host;
    i32[e + 3] = r.index | (r.starts.indexOf(pa & 4095) << 16);
    return Lookup.Enter;
  }

  /**
   * Generates the region's function and queues it for compilation; returns it (not yet runnable: fn is null
   * until its batch is compiled), or undefined if the entry instruction is left to the interpreter.
   */
  private translate(pa: number, pcLo: number): Region | undefined {
    const cpu = this.cpu;
    const page = Math.floor((pa - cpu.ramBase) / 4096);
    const host = RAM_OFFSET + page * 4096;
    const t0 = this.now();
    const off = pa & 4095;
    const blocks = formRegion(cpu.u16, host >> 1, off);
    if (blocks === null) return undefined;
    if (this.stats.regions >= MAX_REGIONS || this.stats.codeBytes >= MAX_CODE_BYTES) this.flush();
    const body = this.compiler.compile(blocks);
    const r: Region = {
      index: -1, pa, starts: blocks.map((b) => b.start), host, page, valid: true, waited: false, body,
      hot: (pcLo >>> 1) & ((1 << HOT_BITS) - 1),
    };
    const paPage = pa - off;
    for (const start of r.starts) if (!this.byPa.has(paPage + start)) this.byPa.set(paPage + start, r);
    push(this.byPage, page, r);
    // From now on a store to the page invalidates the region, even before it is compiled.
    if (this.codePages[page] === 0) {
      this.codePages[page] = 1;
      cpu.protectCodePage(page);
    }
    this.stats.regions++;
    this.stats.translations++;
    this.stats.codeBytes += body.len;
    this.stats.genMs += this.now() - t0;
    this.pending.push(r);
    if (this.batch === 1 || this.pending.length >= this.batch) this.compilePending();
    else this.hot[r.hot] = PENDING_WAIT; // until compiled, the interpreter does not stop at the entry
    return r;
  }

  /**
   * Compiles the queued regions as one module. Creating and instantiating a module has a fixed cost
   * (about 0.1 ms now that regions import no JS function, 0.4 ms before) on top of ~50 µs per KiB of
   * code (V8 validates it; functions are compiled lazily on their first call), so regions are batched: a
   * batch is compiled when it is full, at the end of a slice once it holds MIN_BATCH regions or has waited
   * MAX_WAIT_SLICES, or when one of its regions keeps being asked for (lookup()). Asynchronous compilation
   * (tried twice: RESULTS.md) did not pay: results come through the event loop, and a worker thread
   * competes with V8's own background thread on a 2-core machine.
   */
  compilePending(): void {
    this.pendingSlices = 0;
    if (this.pending.length === 0) return;
    const t0 = this.now();
    const batch = this.pending.filter((r) => r.valid);
    this.pending = [];
    if (batch.length === 0) return;
    const bytes = assemble({
      types: TYPES, imports: [], memory: true, table: true,
      funcs: [...STUBS, ...batch.map((r) => ({ type: 0, body: r.body! }))],
      exports: batch.map((_, i) => ({ name: `f${i}`, func: STUBS.length + i })),
    });
    // Regions import no function (see runtime.ts) and not the dispatcher's table, only the runtime's.
    const ex = new WebAssembly.Instance(new WebAssembly.Module(bytes), { m: { mem: this.cpu.memory, tbl: this.runtime } }).exports;
    batch.forEach((r, i) => {
      r.body = null;
      r.index = this.allocIndex();
      this.table.set(r.index, ex[`f${i}`] as (budget: number) => number);
      // The interpreter stops at the entry again, now to run the region, and at its other block starts.
      const base = r.hot - ((r.pa & 4095) >>> 1);
      for (const start of r.starts) this.hot[(base + (start >>> 1)) & ((1 << HOT_BITS) - 1)] = 0;
    });
    this.stats.batches++;
    this.stats.compileMs += this.now() - t0;
  }

  /** A store (CPU or device) reached a page with translated code: drop the page's regions. */
  invalidatePage(page: number): void {
    const list = this.byPage.get(page);
    this.codePages[page] = 0;
    if (list === undefined) return;
    this.byPage.delete(page);
    // Jump-cache entries of the page go first: then nothing can reach the regions' table slots.
    const host = RAM_OFFSET + page * 4096;
    const i32 = this.i32;
    for (let e = JC_OFF >> 2, end = e + 4 * JC_ENTRIES; e < end; e += 4) if (i32[e + 2] === host) i32[e] = 1;
    for (const r of list) {
      r.valid = false;
      if (r.index >= 0) {
        this.table.set(r.index, null);
        this.freeIndex.push(r.index);
        r.index = -1;
      }
      const paPage = r.pa - (r.pa & 4095);
      for (const start of r.starts) if (this.byPa.get(paPage + start) === r) this.byPa.delete(paPage + start);
    }
    this.stats.regions -= list.length;
    this.stats.invalidations++;
    this.failed.clear();
  }

  /** Device writes to guest RAM (DMA): `off` and `len` in bytes from the start of RAM. */
  dmaWrite(off: number, len: number): void {
    const cp = this.codePages;
    for (let p = off >>> 12, last = (off + len - 1) >>> 12; p <= last && p < cp.length; p++) {
      if (cp[p] !== 0) this.invalidatePage(p);
    }
  }

  /** Drops every translation (the cache is full, or on request). */
  flush(): void {
    for (const list of this.byPage.values()) for (const r of list) r.valid = false;
    this.byPa = new Map();
    this.byPage = new Map();
    this.failed.clear();
    this.clearJumpCache();
    for (let i = 0; i < this.nextIndex; i++) this.table.set(i, null);
    this.freeIndex = [];
    this.nextIndex = 0;
    this.codePages.fill(0);
    this.pending = [];
    this.stats.regions = 0;
    this.stats.codeBytes = 0;
    this.stats.flushes++;
  }

  private clearJumpCache(): void {
    // pc tag 1: no instruction is at an odd address.
    const i32 = this.i32;
    for (let e = JC_OFF >> 2, end = e + 4 * JC_ENTRIES; e < end; e += 4) i32[e] = 1;
  }

  private allocIndex(): number {
    const i = this.freeIndex.pop();
    if (i !== undefined) return i;
    if (this.nextIndex >= this.table.length) this.table.grow(this.table.length);
    return this.nextIndex++;
  }

  // ------------------------------------------------------------------ the runtime's JS side (SlowPaths)
  // `site` (runtime.ts): page offset | 4-byte length << 12 | instructions left in the block << 13.
  load(lo: number, hi: number, size: number, site: number): number {
    const cpu = this.cpu;
    try {
      const v = cpu.loadSlow(lo, hi, size);
      if (size === 8) this.i32[SCRATCH_OFF >> 2] = cpu.slowHi;
      return v;
    } catch (e) {
      if (e !== TRAP) throw e;
      return this.trapped(site);
    }
  }

  store(lo: number, hi: number, size: number, vlo: number, vhi: number, site: number): number {
    const cpu = this.cpu;
    cpu.storeExit = false;
    try {
      cpu.storeSlow(lo, hi, size, vlo, vhi);
    } catch (e) {
      if (e !== TRAP) throw e;
      return this.trapped(site);
    }
    return cpu.storeExit || cpu.stopRequested ? this.leaveAfter(site) : 0;
  }

  /** The instruction at `site` trapped: the region leaves at it, giving back it and the rest of its block. */
  private trapped(site: number): number {
    this.i32[EXIT_OFF >> 2] = 1;
    this.i32[SITE_OFF >> 2] = site & ~0x1000;
    return 1;
  }

  /** The instruction at `site` is done but the dispatcher must return to JS: the region leaves after it. */
  private leaveAfter(site: number): number {
    this.i32[EXIT_OFF >> 2] = 2;
    this.i32[SITE_OFF >> 2] = (site & 0xfff) + (site & 0x1000 ? 4 : 2) + (((site >>> 13) - 1) << 13);
    return 2;
  }

  exec(op: Op, inst: number, raw: number, site: number): number {
    const cpu = this.cpu;
    cpu.storeExit = false;
    cpu.curInst = raw;
    try {
      if (op >= FP_FIRST) {
        if ((cpu.mstatus & MSTATUS_FS) === 0) cpu.illegal();
        execFp(cpu, op, inst);
        cpu.mstatus |= MSTATUS_FS;
      } else if (op >= Op.FLW) {
        execFpMem(cpu, op, inst);
      } else if (op >= Op.CSRRW && op <= Op.CSRRCI) {
        execCsr(cpu, op, inst, ((inst >>> 6) & 62) || X_SINK, (inst >>> 14) & 62);
        this.i32[DSET_OFF >> 2] = cpu.dset;
        // satp: the page that holds this very code may now map elsewhere; an interrupt may be enabled.
        return inst >>> 20 === 0x180 || pendingInterrupt(cpu) >= 0 || cpu.stopRequested ? this.leaveAfter(site) : 0;
      } else {
        const x = cpu.x;
        const rd = ((inst >>> 6) & 62) || X_SINK, r1 = (inst >>> 14) & 62, r2 = (inst >>> 19) & 62;
        if (op >= Op.LR_W) execAtomic(cpu, op, rd, r1, r2);
        else if (op === Op.MULH) m64.mulh(x, rd, x[r1], x[r1 + 1], x[r2], x[r2 + 1]);
        else if (op === Op.MULHSU) m64.mulhsu(x, rd, x[r1], x[r1 + 1], x[r2], x[r2 + 1]);
        else m64.mulhu(x, rd, x[r1], x[r1 + 1], x[r2], x[r2 + 1]);
      }
    } catch (e) {
      if (e !== TRAP) throw e;
      return this.trapped(site);
    }
    return cpu.storeExit || cpu.stopRequested ? this.leaveAfter(site) : 0;
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l === undefined) m.set(k, [v]);
  else l.push(v);
}
