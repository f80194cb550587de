/**
 * What a board needs from its configuration and from the host it runs on. The host side
 * (src/host/node, later src/host/browser) implements MachineHost; the core never imports `node:`.
 */
import type { BlockDriver } from '../block/block-driver.js';
import type { NetBackend } from '../net/backend.js';

/** A configuration or host error: reported as one line, exit status 1 (never a stack trace). */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type MachineKind = 'virt' | 'spike';

/** Largest guest RAM: wasm32 memories hold at most 65536 pages, and one page is the CPU state (state.ts). */
export const MAX_RAM_BYTES = 4 * 1024 * 1024 * 1024 - 65536;

import type { JitMode } from '../accel/tcg/tcg.js';

export interface MachineConfig {
  machine: MachineKind;
  /** Guest RAM in bytes (QEMU's default for riscv virt is 128 MiB). */
  ramBytes: number;
  smp: number;
  /** Contents of -kernel (raw Image or ELF). */
  kernel?: Uint8Array;
  /** Contents of -initrd. */
  initrd?: Uint8Array;
  /** -bios: the built-in SBI (default), none (kernel runs in M-mode from reset), or an M-mode firmware image. */
  bios: 'builtin' | 'none' | Uint8Array;
  /** -append: kernel command line. */
  append: string;
  /** -no-reboot: a guest reset ends the emulator instead. */
  noReboot: boolean;
  /**
   * The translator (accel/tcg): 'on' translates hot code (default), 'off' runs the interpreter only,
   * 'always' translates code the first time it is entered (for testing).
   */
  jit?: JitMode;
  /** virtio-mmio devices, in slot order (slot n at 0x10001000 + n*0x1000 on `virt`). */
  virtio?: VirtioDeviceConfig[];
}

/** A device plugged into a virtio-mmio slot. The host owns (opens, flushes, closes) the backends. */
export type VirtioDeviceConfig =
  | { type: 'blk'; drive: BlockDriver; serial?: string }
  | { type: 'rng' }
  | { type: 'console'; chardev?: CharBackend }
  | { type: 'net'; backend: NetBackend; mac?: Uint8Array };

/** A byte stream to and from the guest (serial console, virtio-console, ...). */
export interface CharBackend {
  write(data: Uint8Array): void;
  /** Registers the consumer of host input. At most one receiver. */
  setReceiver(receive: (data: Uint8Array) => void): void;
}

/** How the guest ended. */
export interface ExitStatus {
  /** Process exit code the front end should return (poweroff → 0). */
  code: number;
  reason: 'poweroff' | 'reset' | 'fail' | 'quit' | 'error';
  message?: string;
}

export interface MachineHost {
  /** The serial console (UART 0 / HTIF console). */
  serial: CharBackend;
  /** Monotonic milliseconds with sub-millisecond resolution. */
  nowMs(): number;
  /** Returns control to the host event loop briefly (Node: setImmediate). */
  yield(): Promise<void>;
  /** Sleeps up to `ms` milliseconds; resolves early when `wake()` is called (input arrived). */
  sleep(ms: number): Promise<void>;
  wake(): void;
  /** Fills `buf` with random bytes (virtio-rng, SBI, AT_RANDOM). */
  randomFill(buf: Uint8Array): void;
  /** Guest misbehaviour and diagnostics. */
  warn(msg: string): void;
}
