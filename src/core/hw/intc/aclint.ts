/**
 * SiFive CLINT-compatible ACLINT (RISC-V ACLINT Specification 1.0): one MSWI device (§3) and one
 * MTIMER device (§2) in the classic 0x10000 CLINT window used by QEMU's `virt` board:
 *   0x0000 + 4h  msip[h]      (bit 0 → mip.MSIP)
 *   0x4000 + 8h  mtimecmp[h]  (64-bit, reset value all ones so no timer fires before it is set)
 *   0xbff8       mtime        (64-bit; writes set an offset against the Clock)
 *
 * 64-bit registers are kept as two uint32 halves so that values ≥ 2^53 (the all-ones default)
 * compare correctly: as a double, any value with hi ≥ 2^21 counts as Infinity (it is ≥ 2^53
 * ticks, centuries at 10 MHz, and unreachable by mtime in practice).
 */
import {
  consoleGuestLog,
  type Clock,
  type Device,
  type GuestLog,
  type HartInterrupts,
  type Timed,
} from '../device.js';

const MSIP_BASE = 0x0000;
const MTIMECMP_BASE = 0x4000;
const MTIME_LO = 0xbff8;
const MTIME_HI = 0xbffc;

const MIP_MSIP = 3;
const MIP_MTIP = 7;

const TWO32 = 0x1_0000_0000;
const HI_LIMIT = 1 << 21; // hi words at or above this put the value at or above 2^53

function toDouble(hi: number, lo: number): number {
  return hi >= HI_LIMIT ? Infinity : hi * TWO32 + lo;
}

export class Aclint implements Device, Timed {
  readonly name = 'aclint';
  readonly size = 0x10000;
  /** Count of malformed guest accesses (bad offset or size). */
  badAccesses = 0;

  private readonly msip: Uint8Array;
  private readonly cmpLo: Uint32Array;
  private readonly cmpHi: Uint32Array;
  /** Cached mtimecmp[h] as a double (Infinity when ≥ 2^53). */
  private readonly cmp: Float64Array;
  private readonly mtip: Uint8Array;
  /** mtime = floor(clock.now()) + offset. */
  private offset = 0;
  /** Latched high word: a low-word read of mtime followed by a high-word read is one snapshot. */
  private latchedHi = 0;
  private hiLatched = false;

  constructor(
    private readonly harts: HartInterrupts[],
    private readonly clock: Clock,
    private readonly log: GuestLog = consoleGuestLog,
  ) {
    const n = harts.length;
    this.msip = new Uint8Array(n);
    this.cmpLo = new Uint32Array(n);
    this.cmpHi = new Uint32Array(n);
    this.cmp = new Float64Array(n);
    this.mtip = new Uint8Array(n);
    this.initRegisters();
  }

  reset(): void {
    // Spec §2.1: mtime is not reset by hart reset; the machine keeps its timebase.
    for (let h = 0; h < this.harts.length; h++) {
      if (this.msip[h]) this.harts[h]!.setMip(MIP_MSIP, false);
    }
    this.initRegisters();
  }

  private initRegisters(): void {
    this.msip.fill(0);
    this.cmpLo.fill(0xffffffff);
    this.cmpHi.fill(0xffffffff);
    this.cmp.fill(Infinity);
    this.hiLatched = false;
    this.poll();
  }

  /** Current mtime as a double (exact below 2^53); the `time` CSR reads this. */
  mtime(): number {
    return Math.floor(this.clock.now()) + this.offset;
  }

  poll(): void {
    const t = this.mtime();
    for (let h = 0; h < this.harts.length; h++) this.evaluate(h, t);
  }

  nextEvent(): number {
    const t = this.mtime();
    let next = Infinity;
    for (let h = 0; h < this.harts.length; h++) {
      const c = this.cmp[h]!;
      if (c > t && c < next) next = c;
    }
    // Convert from the guest's mtime back to Clock ticks.
    return next === Infinity ? Infinity : next - this.offset;
  }

  read(offset: number, size: number): number {
    if (size !== 4 || offset & 3) {
      this.bad(`read of size ${size} at 0x${offset.toString(16)}`);
      return 0;
    }
    const latched = this.hiLatched;
    this.hiLatched = false;
    if (offset === MTIME_LO) {
      const t = this.mtime();
      const hi = Math.floor(t / TWO32);
      this.latchedHi = hi >>> 0;
      this.hiLatched = true;
      return (t - hi * TWO32) >>> 0;
    }
    if (offset === MTIME_HI) {
      return latched ? this.latchedHi : Math.floor(this.mtime() / TWO32) >>> 0;
    }
    if (offset >= MTIMECMP_BASE && offset < MTIME_LO) {
      const h = (offset - MTIMECMP_BASE) >>> 3;
      if (h < this.harts.length) return offset & 4 ? this.cmpHi[h]! : this.cmpLo[h]!;
    } else if (offset < MTIMECMP_BASE) {
      const h = (offset - MSIP_BASE) >>> 2;
      if (h < this.harts.length) return this.msip[h]!;
    }
    this.bad(`read at bad offset 0x${offset.toString(16)}`);
    return 0;
  }

  write(offset: number, size: number, value: number): void {
    if (size !== 4 || offset & 3) {
      this.bad(`write of size ${size} at 0x${offset.toString(16)}`);
      return;
    }
    this.hiLatched = false;
    value >>>= 0;
    if (offset === MTIME_LO || offset === MTIME_HI) {
      const t = this.mtime();
      const hi = Math.floor(t / TWO32) >>> 0;
      const lo = (t - Math.floor(t / TWO32) * TWO32) >>> 0;
      const target = offset === MTIME_LO ? toDouble(hi, value) : toDouble(value, lo);
      if (target === Infinity) {
        this.bad('mtime set beyond 2^53 ticks; ignored');
        return;
      }
      this.offset = target - Math.floor(this.clock.now());
      this.poll();
      return;
    }
    if (offset >= MTIMECMP_BASE && offset < MTIME_LO) {
      const h = (offset - MTIMECMP_BASE) >>> 3;
      if (h < this.harts.length) {
        if (offset & 4) this.cmpHi[h] = value;
        else this.cmpLo[h] = value;
        this.cmp[h] = toDouble(this.cmpHi[h]!, this.cmpLo[h]!);
        // Spec §2.2: MTIP reflects mtime ≥ mtimecmp at all times, so a write may clear it at once.
        this.evaluate(h, this.mtime());
        return;
      }
    } else if (offset < MTIMECMP_BASE) {
      const h = (offset - MSIP_BASE) >>> 2;
      if (h < this.harts.length) {
        // Spec §3.1: only bit 0 is writable; upper bits are hardwired to zero.
        const bit = value & 1;
        if (bit !== this.msip[h]) {
          this.msip[h] = bit;
          this.harts[h]!.setMip(MIP_MSIP, bit === 1);
        }
        return;
      }
    }
    this.bad(`write at bad offset 0x${offset.toString(16)}`);
  }

  private evaluate(h: number, t: number): void {
    const on = t >= this.cmp[h]! ? 1 : 0;
    if (on !== this.mtip[h]) {
      this.mtip[h] = on;
      this.harts[h]!.setMip(MIP_MTIP, on === 1);
    }
  }

  private bad(msg: string): void {
    if (this.badAccesses++ < 8) this.log.warn(`${this.name}: ${msg}`);
  }
}
