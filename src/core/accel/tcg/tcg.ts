/**
 * tsvm's TCG: the dispatcher that runs translated regions (codegen.ts) and falls back to the interpreter
 * (target/riscv/interp.ts) for cold code, plus the translation caches.
 *
 * - Hotness: the interpreter counts taken-branch targets down in `cpu.hot` and returns here at a target
 *   whose count reached zero; the dispatcher counts its own misses the same way. `jit=always` starts every
 *   count at zero, so code is translated the first time it is entered.
 * - Lookup: a direct-mapped jump cache per fetch TLB set, by virtual pc; a hit is valid while the fetch TLB
 *   still maps the pc's page to the region's physical page (so TLB flushes need no cache flush here). A
 *   miss translates the pc and looks the region up by physical address and virtual pc.
 * - Invalidation: pages holding translated code stay out of the write TLB (cpu.codePages); a store to one
 *   (CPU or DMA) drops every region of the page, and translated code returns right after such a store.
 * - Bounded: past MAX_REGIONS regions or MAX_CODE_BYTES of wasm everything is dropped (as QEMU's tb_flush).
 */
import { Cpu, TLB_BITS, TLB_MASK, TRAP } from '../../target/riscv/cpu.js';
import { run as interpret } from '../../target/riscv/interp.js';
import { checkInterrupts, enterTrap } from '../../target/riscv/trap.js';
import { ACC_X } from '../../target/riscv/mmu.js';
import { FP_FIRST, Op } from '../../target/riscv/insn-table.js';
import { MSTATUS_FS } from '../../target/riscv/csr-defs.js';
import { execFp } from '../../target/riscv/fpu.js';
import { execAtomic, execFpMem } from '../../target/riscv/exec-mem.js';
import * as m64 from '../../target/riscv/int64.js';
import { EXIT_OFF, DSET_OFF, PC_OFF, RAM_OFFSET, SCRATCH_OFF, X_SINK } from '../../target/riscv/state.js';
import { formRegion } from './region.js';
import { RegionCompiler } from './codegen.js';
import { assemble, T, type Bytes, type FuncType } from './wasm-emit.js';

export type JitMode = 'off' | 'on' | 'always';

/** Times a branch target is entered in the interpreter before it is translated (measured: RESULTS.md). */
export const HOT_THRESHOLD = 50;
const HOT_BITS = 16;
const JC_BITS = 12;
const JC_SIZE = 1 << JC_BITS;
/** Regions per compiled module in the default (asynchronous) mode. */
const BATCH = 32;
export const MAX_REGIONS = 16384;
export const MAX_CODE_BYTES = 64 << 20;

interface Region {
  /** The translated function; null until its batch is compiled. */
  fn: ((budget: number) => number) | null;
  /** The function body while it waits for compilation. */
  body: Bytes | null;
  pcLo: number;
  pcHi: number;
  /** Host byte offset of the code page, and its index in RAM pages. */
  host: number;
  page: number;
  valid: boolean;
}

const TYPES: FuncType[] = [
  { params: [T.i32], results: [T.i32] },
  { params: [T.i32, T.i32, T.i32], results: [T.i32] },
  { params: [T.i32, T.i32, T.i32, T.i32, T.i32], results: [T.i32] },
];
/** Helper imports, in the order of codegen.ts `H`. */
const HELPERS = [{ name: 'load', type: 1 }, { name: 'store', type: 2 }, { name: 'exec', type: 1 }];

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
  /** Calls into translated code, and instructions retired there. */
  calls: number;
  jitInsns: number;
  /** Interpreter runs started by the dispatcher. */
  interpCalls: number;
}

export class Tcg {
  readonly stats: TcgStats = { regions: 0, codeBytes: 0, translations: 0, flushes: 0, invalidations: 0, compileMs: 0, genMs: 0, batches: 0, calls: 0, jitInsns: 0, interpCalls: 0 };
  private readonly i32: Int32Array;
  private readonly hot: Uint8Array;
  private readonly codePages: Uint8Array;
  private readonly jcLo = new Int32Array(4 * JC_SIZE);
  private readonly jcHi = new Int32Array(4 * JC_SIZE);
  private readonly jcRegion: (Region | undefined)[] = new Array(4 * JC_SIZE).fill(undefined);
  /** Regions by physical entry address. */
  private byPa = new Map<number, Region[]>();
  /** Regions by RAM page, for invalidation. */
  private byPage = new Map<number, Region[]>();
  /** Physical entries that cannot be translated (the first instruction is left to the interpreter). */
  private failed = new Set<number>();
  private readonly compiler = new RegionCompiler();
  private readonly imports: WebAssembly.Imports;
  private readonly initialHot: number;
  /** Regions generated but not compiled yet, and batches being compiled. */
  private pending: Region[] = [];
  private inFlight = 0;
  /** Bumped by flush(): batches compiled for an older epoch are dropped. */
  private epoch = 0;
  /** jit=always compiles each region at once, synchronously (deterministic, for tests). */
  private readonly sync: boolean;

  constructor(private readonly cpu: Cpu, mode: Exclude<JitMode, 'off'>, private readonly now: () => number = () => 0) {
    this.i32 = cpu.i32;
    this.initialHot = mode === 'always' ? 0 : HOT_THRESHOLD;
    this.sync = mode === 'always';
    this.hot = new Uint8Array(1 << HOT_BITS).fill(this.initialHot);
    this.codePages = new Uint8Array(Math.ceil((cpu.ramEnd - cpu.ramBase) / 4096));
    cpu.hot = this.hot;
    cpu.codePages = this.codePages;
    cpu.onCodeWrite = (page) => this.invalidatePage(page);
    this.imports = {
      m: { mem: cpu.memory },
      h: {
        load: (lo: number, hi: number, size: number) => this.load(lo, hi, size),
        store: (lo: number, hi: number, size: number, vlo: number, vhi: number) => this.store(lo, hi, size, vlo, vhi),
        exec: (op: number, inst: number, raw: number) => this.exec(op, inst, raw),
      },
    };
  }

  /** Runs up to `budget` instructions: the contract of interp.run(). */
  run(budget: number): void {
    this.runSlice(budget);
    // Whatever became hot during the slice goes to the compiler now rather than waiting for a full batch.
    if (this.pending.length > 0 && this.inFlight === 0) this.compilePending();
  }

  private runSlice(budget: number): void {
    const cpu = this.cpu;
    checkInterrupts(cpu);
    if (cpu.idle) {
      if ((cpu.mip & cpu.mie) === 0) return;
      cpu.idle = false;
    }
    const i32 = this.i32;
    const jcLo = this.jcLo, jcHi = this.jcHi, jcRegion = this.jcRegion;
    const xTagLo = cpu.xTagLo, xTagHi = cpu.xTagHi, xHost = cpu.xHost;
    while (budget > 0) {
      // Interrupts are taken between regions: a device, a CSR write or an xRET may have made one pending.
      if ((cpu.mip & cpu.mie) !== 0) checkInterrupts(cpu);
      const pcLo = cpu.pcLo, pcHi = cpu.pcHi;
      const set = cpu.xset;
      const j = ((pcLo >>> 1) & (JC_SIZE - 1)) | ((set >> TLB_BITS) << JC_BITS);
      const ti = ((pcLo >>> 12) & TLB_MASK) + set;
      let r = jcRegion[j];
      if (r === undefined || r.fn === null || jcLo[j] !== pcLo || jcHi[j] !== pcHi || !r.valid ||
          xTagLo[ti] !== (pcLo & -4096) || xTagHi[ti] !== pcHi || xHost[ti] !== r.host) {
        r = this.lookup(pcLo, pcHi, j);
        if (r === undefined) {
          const before = cpu.instret;
          this.stats.interpCalls++;
          interpret(cpu, budget);
          budget -= cpu.instret - before;
          if (cpu.idle || cpu.stopRequested) return;
          continue;
        }
      }
      i32[DSET_OFF >> 2] = cpu.dset;
      const left = r.fn!(budget);
      cpu.instret += budget - left;
      this.stats.calls++;
      this.stats.jitInsns += budget - left;
      budget = left;
      cpu.pcLo = i32[PC_OFF >> 2];
      cpu.pcHi = i32[(PC_OFF >> 2) + 1];
      if (i32[EXIT_OFF >> 2] !== 0) {
        i32[EXIT_OFF >> 2] = 0;
        enterTrap(cpu, cpu.pcLo, cpu.pcHi, cpu.trapCause, false, cpu.trapTvalLo, cpu.trapTvalHi);
      }
      if (cpu.stopRequested) return;
    }
  }

  /** Jump-cache miss: the region for pc if it is hot and translatable (translating it now), else undefined. */
  private lookup(pcLo: number, pcHi: number, j: number): Region | undefined {
    const cpu = this.cpu;
    const h = (pcLo >>> 1) & ((1 << HOT_BITS) - 1);
    if (this.hot[h] !== 0) {
      this.hot[h]--;
      return undefined;
    }
    let pa: number;
    try {
      pa = cpu.translate(pcLo, pcHi, ACC_X);
    } catch (e) {
      if (e !== TRAP) throw e;
      return undefined; // the interpreter takes the fetch fault
    }
    if (pa < cpu.ramBase || pa + 2 > cpu.ramEnd) return undefined;
    let r = this.byPa.get(pa)?.find((x) => x.pcLo === pcLo && x.pcHi === pcHi && x.valid);
    if (r === undefined) {
      if (this.failed.has(pa)) return undefined;
      r = this.translate(pcLo, pcHi, pa);
      if (r === undefined) {
        this.failed.add(pa);
        return undefined;
      }
    }
    if (r.fn === null) return undefined; // waiting for its batch: interpret meanwhile
    this.jcLo[j] = pcLo;
    this.jcHi[j] = pcHi;
    this.jcRegion[j] = r;
    return r;
  }

  /**
   * Generates the region's function and queues it for compilation; returns it (not yet runnable: fn is null
   * until its batch is compiled), or undefined if the entry instruction is left to the interpreter.
   */
  private translate(pcLo: number, pcHi: number, pa: number): Region | undefined {
    const cpu = this.cpu;
    const page = Math.floor((pa - cpu.ramBase) / 4096);
    const host = RAM_OFFSET + page * 4096;
    const t0 = this.now();
    const blocks = formRegion(cpu.u16, host >> 1, pa % 4096);
    if (blocks === null) return undefined;
    if (this.stats.regions >= MAX_REGIONS || this.stats.codeBytes >= MAX_CODE_BYTES) this.flush();
    const body = this.compiler.compile(blocks, pa % 4096, pcLo & -4096, pcHi);
    const r: Region = { fn: null, pcLo, pcHi, host, page, valid: true, body };
    push(this.byPa, pa, r);
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
    if (this.sync) this.compilePending();
    else if (this.pending.length >= BATCH) this.compilePending();
    return r;
  }

  /**
   * Compiles the queued regions as one module. A module costs about 0.4 ms to create and instantiate
   * whatever its size, a function about 15 µs more (measured, RESULTS.md), so regions are batched; in the
   * default mode compilation runs on V8's background threads and the batch is installed when it is done
   * (the machine loop yields to the event loop every few milliseconds).
   */
  compilePending(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending.filter((r) => r.valid);
    this.pending = [];
    if (batch.length === 0) return;
    const bytes = assemble({
      types: TYPES, imports: HELPERS, memory: true, table: false,
      funcs: batch.map((r) => ({ type: 0, body: r.body! })),
      exports: batch.map((_, i) => ({ name: `f${i}`, func: HELPERS.length + i })),
    });
    for (const r of batch) r.body = null;
    const epoch = this.epoch;
    if (this.sync) {
      const t0 = this.now();
      this.install(batch, new WebAssembly.Module(bytes), epoch);
      this.stats.compileMs += this.now() - t0;
      return;
    }
    this.inFlight++;
    WebAssembly.compile(bytes).then(
      (mod) => {
        this.inFlight--;
        const t0 = this.now();
        this.install(batch, mod, epoch);
        this.stats.compileMs += this.now() - t0;
      },
      (e) => {
        this.inFlight--;
        this.cpu.env.warn(`tcg: compilation failed: ${e}`);
      },
    );
  }

  private install(batch: Region[], mod: WebAssembly.Module, epoch: number): void {
    if (epoch !== this.epoch) return; // flushed meanwhile
    const inst = new WebAssembly.Instance(mod, this.imports);
    const ex = inst.exports;
    batch.forEach((r, i) => {
      if (r.valid) r.fn = ex[`f${i}`] as (budget: number) => number;
    });
    this.stats.batches++;
  }

  /** A store (CPU or device) reached a page with translated code: drop the page's regions. */
  invalidatePage(page: number): void {
    const list = this.byPage.get(page);
    this.codePages[page] = 0;
    if (list === undefined) return;
    this.byPage.delete(page);
    for (const r of list) {
      r.valid = false;
      const pa = this.cpu.ramBase + page * 4096 + (r.pcLo & 4095);
      const same = this.byPa.get(pa);
      if (same !== undefined) {
        const keep = same.filter((x) => x !== r);
        if (keep.length === 0) this.byPa.delete(pa);
        else this.byPa.set(pa, keep);
      }
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
    this.jcRegion.fill(undefined);
    this.codePages.fill(0);
    this.pending = [];
    this.epoch++;
    this.stats.regions = 0;
    this.stats.codeBytes = 0;
    this.stats.flushes++;
  }

  // ------------------------------------------------------------------ helpers called by translated code
  private load(lo: number, hi: number, size: number): number {
    const cpu = this.cpu;
    try {
      const v = cpu.loadSlow(lo, hi, size);
      if (size === 8) this.i32[SCRATCH_OFF >> 2] = cpu.slowHi;
      return v;
    } catch (e) {
      if (e !== TRAP) throw e;
      this.i32[EXIT_OFF >> 2] = 1;
      return 0;
    }
  }

  private store(lo: number, hi: number, size: number, vlo: number, vhi: number): number {
    const cpu = this.cpu;
    cpu.storeExit = false;
    try {
      cpu.storeSlow(lo, hi, size, vlo, vhi);
    } catch (e) {
      if (e !== TRAP) throw e;
      this.i32[EXIT_OFF >> 2] = 1;
      return 1;
    }
    return cpu.storeExit || cpu.stopRequested ? 2 : 0;
  }

  private exec(op: Op, inst: number, raw: number): number {
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
      this.i32[EXIT_OFF >> 2] = 1;
      return 1;
    }
    return cpu.storeExit ? 2 : 0;
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l === undefined) m.set(k, [v]);
  else l.push(v);
}
