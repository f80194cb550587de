/**
 * Goldfish RTC (compatible "google,goldfish-rtc"), as documented in the Android emulator's
 * GOLDFISH-VIRTUAL-HARDWARE.TXT and Linux's Documentation/devicetree/bindings/rtc/
 * google,goldfish-rtc: a 64-bit nanosecond clock since the Unix epoch with one alarm.
 *
 *   0x00 TIME_LOW       read: low 32 bits of now, latching the high 32 bits; write: set time
 *   0x04 TIME_HIGH      read: the latched high bits;                        write: set time
 *   0x08 ALARM_LOW      write arms the alarm at (ALARM_HIGH << 32) | value
 *   0x0c ALARM_HIGH     write first, then ALARM_LOW
 *   0x10 IRQ_ENABLED    alarm interrupt enable
 *   0x14 CLEAR_ALARM    write: disarm
 *   0x18 ALARM_STATUS   read: 1 while armed
 *   0x1c CLEAR_INTERRUPT write: drop the interrupt
 *
 * Nanoseconds since the epoch exceed 2^53, so register arithmetic uses BigInt (register accesses
 * are rare: the driver reads the time at boot and on `hwclock`). poll() avoids BigInt.
 */
import { consoleGuestLog, type Device, type GuestLog, type IrqLine, type Timed } from '../device.js';

const TIME_LOW = 0x00;
const TIME_HIGH = 0x04;
const ALARM_LOW = 0x08;
const ALARM_HIGH = 0x0c;
const IRQ_ENABLED = 0x10;
const CLEAR_ALARM = 0x14;
const ALARM_STATUS = 0x18;
const CLEAR_INTERRUPT = 0x1c;

const MASK32 = 0xffffffffn;

export class GoldfishRtc implements Device, Timed {
  readonly name = 'goldfish-rtc';
  readonly size = 0x1000;
  /** Count of malformed guest accesses (bad offset or size). */
  badAccesses = 0;

  /** Guest time minus host wall-clock time, in ns (set by writes to TIME_*). */
  private offsetNs = 0n;
  private offsetNum = 0;
  private timeHighLatch = 0;
  private alarmLo = 0;
  private alarmHi = 0;
  /** Armed alarm deadline in guest ns (as a double; sub-µs precision is irrelevant for an alarm). */
  private alarmAt = 0;
  private armed = false;
  private irqEnabled = false;
  private irqPending = false;
  private irqLevel = false;

  constructor(
    private readonly wallClockNs: () => number,
    private readonly irq: IrqLine,
    private readonly log: GuestLog = consoleGuestLog,
  ) {}

  reset(): void {
    // The RTC keeps its time across a machine reset; only the alarm state is cleared.
    this.timeHighLatch = 0;
    this.alarmLo = 0;
    this.alarmHi = 0;
    this.armed = false;
    this.irqEnabled = false;
    this.irqPending = false;
    this.update();
  }

  private nowNs(): bigint {
    return BigInt(Math.floor(this.wallClockNs())) + this.offsetNs;
  }

  private setTime(ns: bigint): void {
    this.offsetNs = ns - BigInt(Math.floor(this.wallClockNs()));
    this.offsetNum = Number(this.offsetNs);
  }

  read(offset: number, size: number): number {
    if (size !== 4 || offset & 3) {
      this.bad(`read of size ${size} at 0x${offset.toString(16)}`);
      return 0;
    }
    switch (offset) {
      case TIME_LOW: {
        const now = this.nowNs();
        this.timeHighLatch = Number((now >> 32n) & MASK32);
        return Number(now & MASK32);
      }
      case TIME_HIGH:
        return this.timeHighLatch;
      case ALARM_LOW:
        return this.alarmLo;
      case ALARM_HIGH:
        return this.alarmHi;
      case IRQ_ENABLED:
        return this.irqEnabled ? 1 : 0;
      case ALARM_STATUS:
        return this.armed ? 1 : 0;
      case CLEAR_ALARM:
      case CLEAR_INTERRUPT:
        return 0;
      default:
        this.bad(`read at bad offset 0x${offset.toString(16)}`);
        return 0;
    }
  }

  write(offset: number, size: number, value: number): void {
    if (size !== 4 || offset & 3) {
      this.bad(`write of size ${size} at 0x${offset.toString(16)}`);
      return;
    }
    value >>>= 0;
    switch (offset) {
      case TIME_LOW: {
        // Replace one half of the current time, keeping the other (Linux writes HIGH then LOW).
        const now = this.nowNs();
        this.setTime((now & ~MASK32) | BigInt(value));
        return;
      }
      case TIME_HIGH: {
        const now = this.nowNs();
        this.setTime((BigInt(value) << 32n) | (now & MASK32));
        return;
      }
      case ALARM_LOW:
        this.alarmLo = value;
        this.alarmAt = this.alarmHi * 0x1_0000_0000 + value;
        this.armed = true;
        this.poll(); // an alarm in the past fires at once
        return;
      case ALARM_HIGH:
        this.alarmHi = value;
        return;
      case IRQ_ENABLED:
        this.irqEnabled = (value & 1) !== 0;
        break;
      case CLEAR_ALARM:
        this.armed = false;
        return;
      case CLEAR_INTERRUPT:
        this.irqPending = false;
        break;
      case ALARM_STATUS:
        return; // read-only
      default:
        this.bad(`write at bad offset 0x${offset.toString(16)}`);
        return;
    }
    this.update();
  }

  poll(): void {
    if (!this.armed) return;
    if (this.wallClockNs() + this.offsetNum >= this.alarmAt) {
      this.armed = false;
      this.irqPending = true;
      this.update();
    }
  }

  /** The alarm is in wall-clock time, not mtime ticks: the board polls this device periodically. */
  nextEvent(): number {
    return Infinity;
  }

  private update(): void {
    const level = this.irqPending && this.irqEnabled;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq.set(level);
    }
  }

  private bad(msg: string): void {
    if (this.badAccesses++ < 8) this.log.warn(`${this.name}: ${msg}`);
  }
}
