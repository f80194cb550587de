/**
 * One RV64GC hart: architectural state and the memory-access paths (TLB fast path, page walk and
 * MMIO slow path). The instruction loop is in interp.ts, CSRs in csr.ts, traps in trap.ts, the page
 * walk in mmu.ts.
 *
 * 64-bit values are carried as two int32 halves (lo, hi) so that the hot paths use no BigInt.
 */
import type { Bus } from '../../hw/bus.js';
import type { Clock, HartInterrupts } from '../../hw/device.js';
import { Cause, MIP_STIP, MSTATUS_MPP, MSTATUS_MPP_SHIFT, MSTATUS_MPRV, MSTATUS_MXR, MSTATUS_SUM } from './csr-defs.js';
import {
  RAM_OFFSET, StateViews, Priv, TLB_ENTRIES, TLB_R, TLB_W, TLB_X,
} from './state.js';
import { walk, ACC_R, ACC_W, ACC_X } from './mmu.js';
import type { FpContext } from './fpu.js';

/** Thrown (a preallocated sentinel, no allocation) to unwind an instruction that traps. */
export const TRAP = { trap: true } as const;

/** Hooks the machine installs: environment calls to built-in firmware, shutdown, diagnostics. */
export interface CpuEnv {
  /** Called on ECALL from S-mode when the built-in SBI is the firmware; returns true if handled. */
  sbiCall?(cpu: Cpu): boolean;
  warn(msg: string): void;
}

/** Entries per TLB set, direct-mapped by virtual page number. 1024 measured slower on a Linux boot (3.82 s vs
 * 3.60–3.75 s per 100M instructions): every satp write flushes, and bigger sets cost more to flush. */
export const TLB_BITS = 8;
const TLB_SIZE = 1 << TLB_BITS;
export const TLB_MASK = TLB_SIZE - 1;
/** Tag of an empty TLB entry (see flushTlb). */
export const TLB_INVALID = 0x800;
/**
 * TLB sets by effective privilege: 0 U, 1 S, 2 M (bare unless MPRV), 3 S with mstatus.SUM. Linux
 * toggles SUM around every user-memory access; with its own set that costs no flush.
 */
const TLB_SETS = 4;
if (TLB_SIZE * TLB_SETS !== TLB_ENTRIES) throw new Error('state.ts TLB_ENTRIES does not match the TLB geometry');
const SET_PRIV = [Priv.U, Priv.S, Priv.M, Priv.S];

/**
 * No LR reservation. Not an integer, so the field holds a double from the start: with -1 (a small
 * integer) V8 changed the field's representation at the first LR to a RAM address and deoptimized every
 * function that had seen a Cpu (29 maps deprecated, measured with --trace-generalization).
 */
export const RES_NONE = -0.5;

export class Cpu implements FpContext, HartInterrupts {
  readonly views: StateViews;
  readonly x: Int32Array;
  readonly fi: Int32Array;
  readonly fd: Float64Array;
  readonly fs: Float32Array;
  // Whole-memory views for RAM access.
  readonly u8: Uint8Array;
  readonly i8: Int8Array;
  readonly u16: Uint16Array;
  readonly i16: Int16Array;
  readonly i32: Int32Array;

  pcLo = 0;
  pcHi = 0;
  priv: Priv = Priv.M;
  fflags = 0;
  frm = 0;

  // --- CSR state (see csr.ts). 64-bit CSRs as lo/hi pairs. ---
  mstatus = 0; // low word; FS etc.
  misa = 0;
  medeleg = 0;
  mideleg = 0;
  mie = 0;
  /** Software-writable mip bits (SSIP, STIP, SEIP written by M-mode). */
  mipSw = 0;
  /** mip bits driven by devices (MSIP, MTIP, MEIP, SEIP from the PLIC, STIP from Sstc/SBI timer). */
  mipHw = 0;
  mtvecLo = 0; mtvecHi = 0;
  stvecLo = 0; stvecHi = 0;
  mepcLo = 0; mepcHi = 0;
  sepcLo = 0; sepcHi = 0;
  mcauseLo = 0; mcauseHi = 0;
  scauseLo = 0; scauseHi = 0;
  mtvalLo = 0; mtvalHi = 0;
  stvalLo = 0; stvalHi = 0;
  mscratchLo = 0; mscratchHi = 0;
  sscratchLo = 0; sscratchHi = 0;
  satpLo = 0; satpHi = 0;
  mcounteren = 0;
  scounteren = 0;
  menvcfgLo = 0; menvcfgHi = 0;
  senvcfg = 0;
  mcountinhibit = 0;
  /** stimecmp (Sstc) or the built-in SBI's timer deadline, in mtime ticks; Infinity when unset. */
  stimecmp = Infinity;
  stimecmpLo = -1; stimecmpHi = -1;
  readonly pmpcfg = new Int32Array(16); // pmpcfg0..15 as 32-bit halves (RV64 uses even numbers)
  readonly pmpaddrLo = new Int32Array(64);
  readonly pmpaddrHi = new Int32Array(64);
  /** The `time` CSR source: mtime of the board's ACLINT (set by the board), in ticks. */
  time: () => number;
  /**
   * Retired instructions before the current run() slice. Starts as -0, a double, as it passes 2^30 in
   * seconds: a field that starts as a small integer changes representation then, deoptimizing everything.
   */
  instret = -0;
  hartId = 0;

  // --- Pending trap (set by raise(), consumed by trap.ts). ---
  trapCause = 0;
  trapTvalLo = 0;
  trapTvalHi = 0;

  // --- LR/SC reservation (physical address), RES_NONE when none. ---
  resAddr = RES_NONE;

  /** True after WFI with nothing pending: the machine should sleep until an interrupt. */
  idle = false;
  /** Set to stop the current run() slice at the next instruction boundary. */
  stopRequested = false;

  // --- TLBs: one per access kind, TLB_SETS × TLB_SIZE entries of four words at entry index × 4: tag (page-
  // aligned va) lo, tag hi, host offset, addend (host offset − tag lo; read and write TLBs). They live in the machine memory (state.ts) so that
  // translated code can look them up inline.
  readonly rTlb: Int32Array;
  readonly wTlb: Int32Array;
  readonly xTlb: Int32Array;
  /** TLB set offset for data accesses (depends on priv and MPRV/MPP) and for fetches. */
  dset = 0;
  xset = 0;
  /** Paging mode for the effective privilege: 0 bare, 8 Sv39, 9 Sv48 (from satp). */
  satpMode = 0;
  /** Bumped on every TLB flush, so the interpreter can drop its cached fetch page. */
  tlbEpoch = 0;

  readonly ramBase: number;
  readonly ramEnd: number;
  /** Byte offset of guest physical 0 in the memory views (may be negative). */
  readonly ramDelta: number;

  constructor(
    readonly memory: WebAssembly.Memory,
    readonly bus: Bus,
    readonly clock: Clock,
    readonly env: CpuEnv,
  ) {
    this.time = () => clock.now();
    this.views = new StateViews(memory);
    this.x = this.views.x;
    this.fi = this.views.fi;
    this.fd = this.views.fd;
    this.fs = this.views.fs;
    const buf = memory.buffer;
    this.u8 = new Uint8Array(buf);
    this.i8 = new Int8Array(buf);
    this.u16 = new Uint16Array(buf);
    this.i16 = new Int16Array(buf);
    this.i32 = new Int32Array(buf);
    const tlb = (off: number) => new Int32Array(buf, off, TLB_ENTRIES * 4);
    this.rTlb = tlb(TLB_R); this.wTlb = tlb(TLB_W); this.xTlb = tlb(TLB_X);
    this.ramBase = bus.ramBase;
    this.ramEnd = bus.ramBase + bus.ramSize;
    this.ramDelta = RAM_OFFSET - bus.ramBase;
    // misa: MXL=2 (bit 63), extensions I M A F D C S U (§3.1.1).
    this.misa = (1 << 8) | (1 << 12) | (1 << 0) | (1 << 5) | (1 << 3) | (1 << 2) | (1 << 18) | (1 << 20);
    // Fields that hold any 32-bit half (CSR halves, pc, tval, the raw instruction) are made doubles before
    // any code runs. V8 keeps a number field as a small integer until it first sees a value beyond ±2^30,
    // then changes the object's layout and deoptimizes every function that has seen a Cpu: that happened
    // four times per Linux boot, 45 deoptimizations (measured with --trace-deopt).
    const fields = this as unknown as Record<string, unknown>;
    for (const k of Object.keys(fields)) {
      const v = fields[k];
      if (typeof v === 'number' && /(Lo|Hi)$|^curInst$/.test(k)) {
        fields[k] = 0.5;
        fields[k] = v; // the field stays a double
      }
    }
    this.reset(0, 0);
  }

  reset(pcLo: number, pcHi: number): void {
    this.x.fill(0);
    this.fi.fill(0);
    this.pcLo = pcLo;
    this.pcHi = pcHi;
    this.priv = Priv.M;
    this.mstatus = 0;
    this.mie = 0;
    this.mipSw = 0;
    this.medeleg = 0;
    this.mideleg = 0;
    this.satpLo = this.satpHi = 0;
    this.resAddr = RES_NONE;
    this.idle = false;
    this.stimecmp = Infinity;
    this.stimecmpLo = this.stimecmpHi = -1;
    this.menvcfgLo = this.menvcfgHi = 0;
    this.mcounteren = this.scounteren = 0;
    this.fflags = this.frm = 0;
    this.updateMode();
    this.flushTlb();
  }

  // ---------------------------------------------------------------- interrupts from devices
  setMip(bit: number, level: boolean): void {
    if (level) this.mipHw |= 1 << bit;
    else this.mipHw &= ~(1 << bit);
  }

  /** Sstc (and the built-in SBI timer, which uses the same comparator): STIP = time >= stimecmp. */
  pollStimer(): void {
    if ((this.menvcfgHi & 0x80000000) === 0) return;
    if (this.time() >= this.stimecmp) this.mipHw |= MIP_STIP;
    else this.mipHw &= ~MIP_STIP;
  }

  get mip(): number {
    return this.mipHw | this.mipSw;
  }

  // ---------------------------------------------------------------- traps
  /** Records an exception and unwinds the current instruction (trap.ts takes it). */
  raise(cause: number, tvalLo: number, tvalHi: number): never {
    this.trapCause = cause;
    this.trapTvalLo = tvalLo;
    this.trapTvalHi = tvalHi;
    throw TRAP;
  }

  illegal(): never {
    // mtval gets 0 for illegal instructions here; the interpreter passes the word where it knows it.
    return this.raise(Cause.ILLEGAL, this.curInst, 0);
  }

  /** The instruction word being executed (for mtval on illegal instruction). */
  curInst = 0;

  // ---------------------------------------------------------------- translation state
  /** Recomputes which TLB sets and paging mode apply after a change of priv, mstatus or satp. */
  updateMode(): void {
    const p = this.priv;
    let dp = p;
    if (p === Priv.M && (this.mstatus & MSTATUS_MPRV)) dp = ((this.mstatus & MSTATUS_MPP) >>> MSTATUS_MPP_SHIFT) as Priv;
    this.dset = (dp === Priv.M ? 2 : dp === Priv.S && (this.mstatus & MSTATUS_SUM) ? 3 : dp) * TLB_SIZE;
    this.xset = (p === Priv.M ? 2 : p) * TLB_SIZE;
    this.satpMode = (this.satpHi >>> 28) & 15;
  }

  flushTlb(): void {
    // An invalid tag: 0x800 never equals a page-aligned address, nor one masked with -4096 | (size - 1) as
    // translated code compares it (so a misaligned access to page 0 cannot hit an empty entry).
    this.rTlb.fill(TLB_INVALID);
    this.wTlb.fill(TLB_INVALID);
    this.xTlb.fill(TLB_INVALID);
    this.superCount = 0;
    this.tlbEpoch = (this.tlbEpoch + 1) | 0;
  }

  /**
   * Translates a virtual address for an access kind, raising page or access faults.
   * Returns the physical address (a double, exact). Fills the TLB for RAM pages.
   */
  translate(vaLo: number, vaHi: number, acc: number): number {
    const set = acc === ACC_X ? this.xset : this.dset;
    const effPriv = SET_PRIV[set >> TLB_BITS];
    let pa: number;
    let writable = true;
    let superpage = false;
    if (effPriv === Priv.M || this.satpMode === 0) {
      // Bare: physical = virtual; addresses are at most 56 bits (§4.3.1 "Bare").
      if (vaHi >>> 24 !== 0) return this.accessFault(acc, vaLo, vaHi);
      pa = vaHi * 4294967296 + (vaLo >>> 0);
    } else {
      const r = walk(this, vaLo, vaHi, acc, effPriv, (this.mstatus & MSTATUS_SUM) !== 0, (this.mstatus & MSTATUS_MXR) !== 0);
      if (r === -2) return this.accessFault(acc, vaLo, vaHi); // the PTE itself is not in RAM (§4.3.2 step 2)
      if (r < 0) {
        const cause = acc === ACC_X ? Cause.FETCH_PAGE : acc === ACC_W ? Cause.STORE_PAGE : Cause.LOAD_PAGE;
        return this.raise(cause, vaLo, vaHi);
      }
      pa = r;
      writable = this.walkWritable;
      superpage = this.walkLevel > 0;
    }
    const pageLo = vaLo & -4096;
    const ppage = pa - (vaLo & 4095);
    if (ppage >= this.ramBase && ppage < this.ramEnd) {
      const host = ppage + this.ramDelta;
      const i = ((vaLo >>> 12) & TLB_MASK) + set;
      const e = i << 2;
      if (acc === ACC_X) {
        this.xTlb[e] = pageLo; this.xTlb[e + 1] = vaHi; this.xTlb[e + 2] = host;
      } else if (acc === ACC_R) {
        this.rTlb[e] = pageLo; this.rTlb[e + 1] = vaHi; this.rTlb[e + 2] = host; this.rTlb[e + 3] = host - pageLo;
      } else if (writable && (this.codePages === null || this.codePages[(ppage - this.ramBase) / 4096] === 0)) {
        this.wTlb[e] = pageLo; this.wTlb[e + 1] = vaHi; this.wTlb[e + 2] = host; this.wTlb[e + 3] = host - pageLo;
      } else {
        return pa;
      }
      if (superpage) this.noteSuperpage(acc, i);
    }
    return pa;
  }

  /** Set by walk(): whether the last translated page may be cached for writes (D already set). */
  walkWritable = true;
  /** Set by walk(): level of the leaf (0 = 4 KiB page, 1 = 2 MiB, 2 = 1 GiB, 3 = 512 GiB). */
  walkLevel = 0;
  /** TLB slots filled from superpages since the last full flush (kind << 16 | index); see flushPage. */
  private readonly superSlots = new Int32Array(256);
  private superCount = 0;

  private noteSuperpage(kind: number, i: number): void {
    if (this.superCount < this.superSlots.length) this.superSlots[this.superCount] = (kind << 16) | i;
    this.superCount++;
  }

  /**
   * SFENCE.VMA with an address (§4.2.1): drops that page's entries in every set. Superpages are cached
   * per 4 KiB page, so slots filled from a superpage in the same 1 GiB region (512 GiB with Sv48) go too.
   */
  flushPage(vaLo: number, vaHi: number): void {
    if (this.superCount > this.superSlots.length) {
      this.flushTlb();
      return;
    }
    const i = (vaLo >>> 12) & TLB_MASK;
    for (let set = 0; set < TLB_SETS * TLB_SIZE; set += TLB_SIZE) {
      const e = (set + i) << 2;
      this.rTlb[e] = TLB_INVALID;
      this.wTlb[e] = TLB_INVALID;
      this.xTlb[e] = TLB_INVALID;
    }
    const giga = vaHi * 4 + (vaLo >>> 30);
    const tera = vaHi >> 7;
    const sv48 = this.satpMode === 9;
    let keep = 0;
    for (let k = 0; k < this.superCount; k++) {
      const slot = this.superSlots[k];
      const j = slot & 0xffff;
      const kind = slot >>> 16;
      const tlb = kind === ACC_R ? this.rTlb : kind === ACC_W ? this.wTlb : this.xTlb;
      const e = j << 2;
      const t = tlb[e], th = tlb[e + 1];
      if (t === TLB_INVALID) continue;
      if (th * 4 + (t >>> 30) === giga || (sv48 && th >> 7 === tera)) tlb[e] = TLB_INVALID;
      else this.superSlots[keep++] = slot;
    }
    this.superCount = keep;
    this.tlbEpoch = (this.tlbEpoch + 1) | 0;
  }

  accessFault(acc: number, vaLo: number, vaHi: number): never {
    const cause = acc === ACC_X ? Cause.FETCH_ACCESS : acc === ACC_W ? Cause.STORE_ACCESS : Cause.LOAD_ACCESS;
    return this.raise(cause, vaLo, vaHi);
  }

  /** FENCE.I: stores to translated code are caught precisely (codePages), so nothing is flushed here. */
  fenceI(): void {}

  // ---------------------------------------------------------------- translated-code protection (accel/tcg)
  /**
   * One byte per RAM page, non-zero while translated code exists for the page (owned by the translator).
   * Such pages never enter the write TLB, so every store to them takes the slow path and reaches
   * onCodeWrite, the way QEMU marks code pages TLB_NOTDIRTY.
   */
  codePages: Uint8Array | null = null;
  /** Hotness counters of branch targets, hashed by pc (interp.ts counts them down); null without a translator. */
  hot: Uint8Array | null = null;
  onCodeWrite: ((page: number) => void) | null = null;
  /** Set when a store hit a code page or MMIO: translated code must return to the dispatcher after it. */
  storeExit = false;

  /** A store to RAM at a host offset made outside the TLB fast path (AMO, SC, slow path). */
  codeWrite(host: number): void {
    if (this.codePages === null) return;
    const page = (host - RAM_OFFSET) >>> 12;
    if (this.codePages[page] !== 0) {
      this.storeExit = true;
      this.onCodeWrite!(page);
    }
  }

  /** Drops write-TLB entries that map RAM page `page`: it now holds translated code. */
  protectCodePage(page: number): void {
    const host = RAM_OFFSET + page * 4096;
    const w = this.wTlb;
    for (let e = 0; e < w.length; e += 4) if (w[e + 2] === host) w[e] = TLB_INVALID;
  }

  // ---------------------------------------------------------------- physical access (walker, loaders)
  /** Reads a 32-bit word of physical RAM; returns undefined outside RAM. */
  physRead32(pa: number): number | undefined {
    if (pa < this.ramBase || pa + 4 > this.ramEnd) return undefined;
    return this.i32[(pa + this.ramDelta) >> 2];
  }

  // ---------------------------------------------------------------- loads (fast path + slow path)
  load8(lo: number, hi: number): number {
    const i = (((lo >>> 12) & TLB_MASK) + this.dset) << 2;
    if (this.rTlb[i] === (lo & -4096) && this.rTlb[i + 1] === hi) return this.i8[this.rTlb[i + 2] + (lo & 4095)];
    return (this.loadSlow(lo, hi, 1) << 24) >> 24;
  }
  load8u(lo: number, hi: number): number {
    const i = (((lo >>> 12) & TLB_MASK) + this.dset) << 2;
    if (this.rTlb[i] === (lo & -4096) && this.rTlb[i + 1] === hi) return this.u8[this.rTlb[i + 2] + (lo & 4095)];
    return this.loadSlow(lo, hi, 1) & 0xff;
  }
  load16(lo: number, hi: number): number {
    const i = (((lo >>> 12) & TLB_MASK) + this.dset) << 2;
    if ((lo & 1) === 0 && this.rTlb[i] === (lo & -4096) && this.rTlb[i + 1] === hi) {
      return this.i16[(this.rTlb[i + 2] + (lo & 4095)) >> 1];
    }
    return (this.loadSlow(lo, hi, 2) << 16) >> 16;
  }
  load16u(lo: number, hi: number): number {
    return this.load16(lo, hi) & 0xffff;
  }
  load32(lo: number, hi: number): number {
    const i = (((lo >>> 12) & TLB_MASK) + this.dset) << 2;
    if ((lo & 3) === 0 && this.rTlb[i] === (lo & -4096) && this.rTlb[i + 1] === hi) {
      return this.i32[(this.rTlb[i + 2] + (lo & 4095)) >> 2];
    }
    return this.loadSlow(lo, hi, 4) | 0;
  }
  /** 64-bit load into dst[di], dst[di+1]. */
  load64(lo: number, hi: number, dst: Int32Array, di: number): void {
    const i = (((lo >>> 12) & TLB_MASK) + this.dset) << 2;
    if ((lo & 7) === 0 && this.rTlb[i] === (lo & -4096) && this.rTlb[i + 1] === hi) {
      const h = (this.rTlb[i + 2] + (lo & 4095)) >> 2;
      dst[di] = this.i32[h];
      dst[di + 1] = this.i32[h + 1];
      return;
    }
    const vlo = this.loadSlow(lo, hi, 8);
    dst[di] = vlo;
    dst[di + 1] = this.slowHi;
  }

  /** High word of the last 8-byte slow-path load. */
  slowHi = 0;

  /** Any load the fast path could not do: TLB miss, misaligned, MMIO. Returns the raw value (low word for 8). */
  loadSlow(lo: number, hi: number, size: number): number {
    const off = lo & 4095;
    if (off + size > 4096) {
      // Crosses a page: assemble from bytes, each translated (misaligned access support, §2.6).
      let vlo = 0;
      let vhi = 0;
      for (let k = 0; k < size; k++) {
        const blo = (lo + k) | 0;
        const bhi = (blo >>> 0) < (lo >>> 0) ? (hi + 1) | 0 : hi;
        const b = this.loadSlow(blo, bhi, 1) & 0xff;
        if (k < 4) vlo |= b << (8 * k);
        else vhi |= b << (8 * (k - 4));
      }
      this.slowHi = vhi;
      return vlo;
    }
    const pa = this.translate(lo, hi, ACC_R);
    if (pa >= this.ramBase && pa + size <= this.ramEnd) {
      const h = pa + this.ramDelta;
      const u8 = this.u8;
      if (size === 1) return u8[h];
      if (size === 2) return u8[h] | (u8[h + 1] << 8);
      const vlo = u8[h] | (u8[h + 1] << 8) | (u8[h + 2] << 16) | (u8[h + 3] << 24);
      if (size === 8) this.slowHi = u8[h + 4] | (u8[h + 5] << 8) | (u8[h + 6] << 16) | (u8[h + 7] << 24);
      return vlo;
    }
    return this.mmioRead(pa, size, lo, hi);
  }

  private mmioRead(pa: number, size: number, lo: number, hi: number): number {
    const bus = this.bus;
    bus.fault = false;
    let v: number;
    if (size === 8) {
      v = bus.read(pa, 4);
      this.slowHi = bus.read(pa + 4, 4);
    } else {
      v = bus.read(pa, size);
    }
    if (bus.fault) return this.raise(Cause.LOAD_ACCESS, lo, hi);
    return v;
  }

  // ---------------------------------------------------------------- stores
  store8(lo: number, hi: number, v: number): void {
    const i = (((lo >>> 12) & TLB_MASK) + this.dset) << 2;
    if (this.wTlb[i] === (lo & -4096) && this.wTlb[i + 1] === hi) {
      this.u8[this.wTlb[i + 2] + (lo & 4095)] = v;
      return;
    }
    this.storeSlow(lo, hi, 1, v, 0);
  }
  store16(lo: number, hi: number, v: number): void {
    const i = (((lo >>> 12) & TLB_MASK) + this.dset) << 2;
    if ((lo & 1) === 0 && this.wTlb[i] === (lo & -4096) && this.wTlb[i + 1] === hi) {
      this.i16[(this.wTlb[i + 2] + (lo & 4095)) >> 1] = v;
      return;
    }
    this.storeSlow(lo, hi, 2, v, 0);
  }
  store32(lo: number, hi: number, v: number): void {
    const i = (((lo >>> 12) & TLB_MASK) + this.dset) << 2;
    if ((lo & 3) === 0 && this.wTlb[i] === (lo & -4096) && this.wTlb[i + 1] === hi) {
      this.i32[(this.wTlb[i + 2] + (lo & 4095)) >> 2] = v;
      return;
    }
    this.storeSlow(lo, hi, 4, v, 0);
  }
  store64(lo: number, hi: number, vlo: number, vhi: number): void {
    const i = (((lo >>> 12) & TLB_MASK) + this.dset) << 2;
    if ((lo & 7) === 0 && this.wTlb[i] === (lo & -4096) && this.wTlb[i + 1] === hi) {
      const h = (this.wTlb[i + 2] + (lo & 4095)) >> 2;
      this.i32[h] = vlo;
      this.i32[h + 1] = vhi;
      return;
    }
    this.storeSlow(lo, hi, 8, vlo, vhi);
  }

  storeSlow(lo: number, hi: number, size: number, vlo: number, vhi: number): void {
    const off = lo & 4095;
    if (off + size > 4096) {
      // Translate every byte first so a fault leaves memory unchanged (precise exceptions).
      for (let k = 0; k < size; k += size - 1) {
        const blo = (lo + k) | 0;
        const bhi = (blo >>> 0) < (lo >>> 0) ? (hi + 1) | 0 : hi;
        this.translate(blo, bhi, ACC_W);
      }
      for (let k = 0; k < size; k++) {
        const blo = (lo + k) | 0;
        const bhi = (blo >>> 0) < (lo >>> 0) ? (hi + 1) | 0 : hi;
        const b = k < 4 ? vlo >>> (8 * k) : vhi >>> (8 * (k - 4));
        this.storeSlow(blo, bhi, 1, b & 0xff, 0);
      }
      return;
    }
    const pa = this.translate(lo, hi, ACC_W);
    if (pa === this.resAddr || (this.resAddr >= 0 && Math.abs(pa - this.resAddr) < 8)) this.resAddr = RES_NONE;
    if (pa >= this.ramBase && pa + size <= this.ramEnd) {
      const h = pa + this.ramDelta;
      if (this.codePages !== null) this.codeWrite(h);
      const u8 = this.u8;
      u8[h] = vlo;
      if (size >= 2) u8[h + 1] = vlo >>> 8;
      if (size >= 4) {
        u8[h + 2] = vlo >>> 16;
        u8[h + 3] = vlo >>> 24;
      }
      if (size === 8) {
        u8[h + 4] = vhi;
        u8[h + 5] = vhi >>> 8;
        u8[h + 6] = vhi >>> 16;
        u8[h + 7] = vhi >>> 24;
      }
      return;
    }
    const bus = this.bus;
    bus.fault = false;
    this.storeExit = true; // a device may raise an interrupt or stop the machine
    if (size === 8) {
      bus.write(pa, 4, vlo);
      bus.write(pa + 4, 4, vhi);
    } else {
      bus.write(pa, size, vlo);
    }
    if (bus.fault) this.raise(Cause.STORE_ACCESS, lo, hi);
  }

  /** Translates for an AMO/SC (store permission, natural alignment required, RAM only). Returns a host byte offset. */
  amoAddress(lo: number, hi: number, size: number): number {
    if ((lo & (size - 1)) !== 0) return this.raise(Cause.MISALIGNED_STORE, lo, hi);
    const pa = this.translate(lo, hi, ACC_W);
    if (pa < this.ramBase || pa + size > this.ramEnd) return this.raise(Cause.STORE_ACCESS, lo, hi);
    return pa + this.ramDelta;
  }

  /** Physical address for LR (load permission). */
  lrAddress(lo: number, hi: number, size: number): number {
    if ((lo & (size - 1)) !== 0) return this.raise(Cause.MISALIGNED_LOAD, lo, hi);
    const pa = this.translate(lo, hi, ACC_R);
    if (pa < this.ramBase || pa + size > this.ramEnd) return this.raise(Cause.LOAD_ACCESS, lo, hi);
    return pa;
  }
}
