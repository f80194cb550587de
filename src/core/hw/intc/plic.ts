/**
 * RISC-V Platform-Level Interrupt Controller (RISC-V PLIC Specification 1.0.0), laid out as on
 * QEMU's `virt` board: two contexts per hart, context 2h = M-mode (mip.MEIP), 2h+1 = S-mode
 * (mip.SEIP).
 *
 * Sources are level-triggered. As in QEMU's model, a source that is not claimed has its pending
 * bit follow its line, so a device that drops its line before the claim does not cause a
 * spurious claim of 0-work; a claimed source is held by its gateway until completion (spec §5).
 */
import { consoleGuestLog, type Device, type GuestLog, type HartInterrupts, type IrqLine } from '../device.js';

const PRIORITY_BASE = 0x000000;
const PENDING_BASE = 0x001000;
const ENABLE_BASE = 0x002000;
const ENABLE_STRIDE = 0x80;
const CONTEXT_BASE = 0x200000;
const CONTEXT_STRIDE = 0x1000;

/** QEMU virt implements 3 priority bits (priorities 0..7); the registers are WARL (spec §4, §6). */
const PRIORITY_MASK = 7;

const MIP_SEIP = 9;
const MIP_MEIP = 11;

export class Plic implements Device {
  readonly name = 'plic';
  readonly size: number;
  /** Count of malformed guest accesses (bad offset or size). */
  badAccesses = 0;

  private readonly nctx: number;
  private readonly words: number; // 32-bit words per source bitmap (source 0 included)
  private readonly priority: Uint32Array;
  private readonly level: Uint8Array;
  private readonly pending: Uint32Array;
  private readonly claimed: Uint32Array;
  private readonly enable: Uint32Array; // nctx * words
  private readonly threshold: Uint32Array;
  private readonly output: Uint8Array; // current level of each context's notification
  private readonly lines: IrqLine[];

  constructor(
    private readonly harts: HartInterrupts[],
    private readonly ndev = 95,
    private readonly log: GuestLog = consoleGuestLog,
  ) {
    if (!Number.isInteger(ndev) || ndev < 1 || ndev > 1023) throw new RangeError(`plic: bad ndev ${ndev}`);
    this.nctx = harts.length * 2;
    this.words = (ndev + 1 + 31) >>> 5;
    this.priority = new Uint32Array(ndev + 1);
    this.level = new Uint8Array(ndev + 1);
    this.pending = new Uint32Array(this.words);
    this.claimed = new Uint32Array(this.words);
    this.enable = new Uint32Array(this.nctx * this.words);
    this.threshold = new Uint32Array(this.nctx);
    this.output = new Uint8Array(this.nctx);
    // QEMU virt reserves room for its maximum hart count; keep that window unless we need more.
    this.size = Math.max(0x600000, CONTEXT_BASE + CONTEXT_STRIDE * this.nctx);
    this.lines = [];
    for (let n = 0; n <= ndev; n++) {
      const src = n;
      this.lines.push({ set: (lvl: boolean) => this.setLevel(src, lvl) });
    }
  }

  /** The input line of source `n` (1..ndev). */
  irq(n: number): IrqLine {
    if (!Number.isInteger(n) || n < 1 || n > this.ndev) throw new RangeError(`plic: no source ${n}`);
    return this.lines[n]!;
  }

  reset(): void {
    this.priority.fill(0);
    this.enable.fill(0);
    this.threshold.fill(0);
    this.claimed.fill(0);
    this.pending.fill(0);
    // Lines keep their levels across reset; unclaimed asserted sources are pending again.
    for (let n = 1; n <= this.ndev; n++) if (this.level[n]) this.pending[n >>> 5]! |= 1 << (n & 31);
    this.update();
  }

  read(offset: number, size: number): number {
    if (size !== 4 || offset & 3) {
      this.bad(`read of size ${size} at 0x${offset.toString(16)}`);
      return 0;
    }
    if (offset < PENDING_BASE) {
      const n = (offset - PRIORITY_BASE) >>> 2;
      return n <= this.ndev ? this.priority[n]! : 0;
    }
    if (offset < ENABLE_BASE) {
      const w = (offset - PENDING_BASE) >>> 2;
      return w < this.words ? this.pending[w]! : 0;
    }
    if (offset < CONTEXT_BASE) {
      const ctx = ((offset - ENABLE_BASE) / ENABLE_STRIDE) | 0;
      const w = ((offset - ENABLE_BASE) % ENABLE_STRIDE) >>> 2;
      if (ctx < this.nctx) return w < this.words ? this.enable[ctx * this.words + w]! : 0;
    } else {
      const ctx = ((offset - CONTEXT_BASE) / CONTEXT_STRIDE) | 0;
      const reg = (offset - CONTEXT_BASE) % CONTEXT_STRIDE;
      if (ctx < this.nctx) {
        if (reg === 0) return this.threshold[ctx]!;
        if (reg === 4) return this.claim(ctx);
        return 0; // reserved
      }
    }
    this.bad(`read at bad offset 0x${offset.toString(16)}`);
    return 0;
  }

  write(offset: number, size: number, value: number): void {
    if (size !== 4 || offset & 3) {
      this.bad(`write of size ${size} at 0x${offset.toString(16)}`);
      return;
    }
    value >>>= 0;
    if (offset < PENDING_BASE) {
      const n = (offset - PRIORITY_BASE) >>> 2;
      if (n >= 1 && n <= this.ndev) {
        this.priority[n] = value & PRIORITY_MASK;
        this.update();
      }
      return;
    }
    if (offset < ENABLE_BASE) return; // pending bits are read-only here
    if (offset < CONTEXT_BASE) {
      const ctx = ((offset - ENABLE_BASE) / ENABLE_STRIDE) | 0;
      const w = ((offset - ENABLE_BASE) % ENABLE_STRIDE) >>> 2;
      if (ctx < this.nctx) {
        if (w < this.words) {
          // Source 0 does not exist and bits beyond ndev are hardwired to zero (WARL).
          if (w === 0) value &= ~1;
          if (w === this.words - 1) value &= this.lastWordMask();
          this.enable[ctx * this.words + w] = value;
          this.update();
        }
        return;
      }
    } else {
      const ctx = ((offset - CONTEXT_BASE) / CONTEXT_STRIDE) | 0;
      const reg = (offset - CONTEXT_BASE) % CONTEXT_STRIDE;
      if (ctx < this.nctx) {
        if (reg === 0) {
          this.threshold[ctx] = value & PRIORITY_MASK;
          this.update();
        } else if (reg === 4) {
          this.complete(ctx, value);
        }
        return;
      }
    }
    this.bad(`write at bad offset 0x${offset.toString(16)}`);
  }

  private lastWordMask(): number {
    const bits = (this.ndev + 1) & 31;
    return bits === 0 ? 0xffffffff : (1 << bits) - 1;
  }

  private setLevel(n: number, lvl: boolean): void {
    this.level[n] = lvl ? 1 : 0;
    const w = n >>> 5;
    const bit = 1 << (n & 31);
    if (this.claimed[w]! & bit) return; // the gateway holds a claimed source until completion
    const old = this.pending[w]!;
    const now = lvl ? old | bit : old & ~bit;
    if (now !== old) {
      this.pending[w] = now;
      this.update();
    }
  }

  /**
   * The highest-priority source pending and enabled for `ctx` with priority above its threshold;
   * ties go to the lowest id (spec §8); 0 if none.
   */
  private best(ctx: number): number {
    const base = ctx * this.words;
    let bestId = 0;
    let bestPrio = this.threshold[ctx]!;
    for (let w = 0; w < this.words; w++) {
      let bits = this.pending[w]! & this.enable[base + w]!;
      while (bits !== 0) {
        const b = 31 - Math.clz32(bits & -bits);
        bits &= bits - 1;
        const n = (w << 5) | b;
        const p = this.priority[n]!;
        if (p > bestPrio) {
          bestPrio = p;
          bestId = n;
        }
      }
    }
    return bestId;
  }

  private claim(ctx: number): number {
    const n = this.best(ctx);
    if (n !== 0) {
      const w = n >>> 5;
      const bit = 1 << (n & 31);
      this.pending[w]! &= ~bit;
      this.claimed[w]! |= bit;
      this.update();
    }
    return n;
  }

  private complete(ctx: number, n: number): void {
    if (n < 1 || n > this.ndev) return;
    const w = n >>> 5;
    const bit = 1 << (n & 31);
    // Spec §9: a completion for a source not enabled for this target is silently ignored.
    if (!(this.enable[ctx * this.words + w]! & bit)) return;
    if (!(this.claimed[w]! & bit)) return;
    this.claimed[w]! &= ~bit;
    if (this.level[n]) this.pending[w]! |= bit;
    this.update();
  }

  /** Recomputes each context's notification line (spec §7) and drives mip.MEIP/SEIP on change. */
  private update(): void {
    for (let ctx = 0; ctx < this.nctx; ctx++) {
      const out = this.best(ctx) !== 0 ? 1 : 0;
      if (out !== this.output[ctx]) {
        this.output[ctx] = out;
        this.harts[ctx >>> 1]!.setMip(ctx & 1 ? MIP_SEIP : MIP_MEIP, out === 1);
      }
    }
  }

  private bad(msg: string): void {
    if (this.badAccesses++ < 8) this.log.warn(`${this.name}: ${msg}`);
  }
}
