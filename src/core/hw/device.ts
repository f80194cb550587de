/**
 * The device contract shared by every board and every accelerator.
 *
 * A device is a window of MMIO registers. The bus hands it accesses of 1, 2 or 4 bytes at an
 * offset from its base (8-byte guest accesses arrive as two 4-byte accesses, low word first).
 * Devices never know which accelerator runs the CPU: they see only reads, writes and the
 * interrupt lines they drive.
 */
export interface Device {
  /** Name used in logs and `info mtree`-style listings. */
  readonly name: string;
  /** Size of the register window in bytes. */
  readonly size: number;
  /** Reads `size` bytes (1, 2 or 4) at `offset`; returns the value zero-extended (as an unsigned or signed 32-bit number; callers mask). */
  read(offset: number, size: number): number;
  /** Writes the low `size` bytes of `value` at `offset`. */
  write(offset: number, size: number, value: number): void;
  /** Optional: called by the board when the machine resets. */
  reset?(): void;
}

/** An interrupt line a device drives: level-triggered, as on the RISC-V PLIC. */
export interface IrqLine {
  set(level: boolean): void;
}

/** A line connected to nothing. */
export const NO_IRQ: IrqLine = { set() {} };

/** Log-and-count sink for guest misbehaviour (never a host exception). */
export interface GuestLog {
  warn(msg: string): void;
}

export const consoleGuestLog: GuestLog = {
  warn(msg: string) {
    // Portable: console exists in Node and browsers.
    console.error(`tsvm: ${msg}`);
  },
};

/** The interrupt inputs of one hart: bits of `mip` driven by the ACLINT and the PLIC. */
export interface HartInterrupts {
  /** Sets or clears bit `bit` of mip (SSIP=1, MSIP=3, STIP=5, MTIP=7, SEIP=9, MEIP=11). */
  setMip(bit: number, level: boolean): void;
}

/** The machine's timebase: `mtime` ticks (10 MHz on `virt`, as QEMU), a double (exact below 2^53). */
export interface Clock {
  now(): number;
}

/** A device with a time-driven state (a timer comparator): the board polls it and sleeps until `nextEvent`. */
export interface Timed {
  /** Re-evaluates time-dependent outputs (raises interrupt lines whose deadline passed). */
  poll(): void;
  /** The `mtime` tick at which the next output changes, or Infinity. */
  nextEvent(): number;
}
