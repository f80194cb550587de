/**
 * Placing the boot images in guest RAM the way QEMU's riscv boards do (hw/riscv/boot.c behaviour):
 * firmware at the start of DRAM, the kernel at the next 2 MiB boundary (RV64 Image header
 * text_offset, Documentation/riscv/boot-image-header.rst), the initrd at kernel + min(RAM/2, 128 MiB),
 * the device tree at the top of RAM (below 3 GiB) aligned down to 2 MiB.
 */
import { ConfigError } from './types.js';
import { isElf, parseElf } from '../loader/elf.js';

export interface Placed {
  start: number;
  end: number;
  entry: number;
}

export class GuestRam {
  constructor(
    readonly bytes: Uint8Array,
    readonly base: number,
  ) {}
  /** Set by the machine when a translator runs: device writes to RAM (see GuestMemory.dmaWrite). */
  dmaWrite?: (off: number, len: number) => void;
  get end(): number {
    return this.base + this.bytes.length;
  }
  put(pa: number, data: Uint8Array, what: string): void {
    if (pa < this.base || pa + data.length > this.end) {
      throw new ConfigError(`${what} (${data.length} bytes at 0x${pa.toString(16)}) does not fit in RAM ` +
        `(0x${this.base.toString(16)}-0x${this.end.toString(16)}); use a larger -m`);
    }
    this.bytes.set(data, pa - this.base);
  }
  zero(pa: number, n: number): void {
    this.bytes.fill(0, pa - this.base, pa - this.base + n);
  }
}

const ALIGN_2M = 0x200000;

export function alignUp(v: number, a: number): number {
  return Math.ceil(v / a) * a;
}

/** True for a RISC-V Linux Image (header magic "RSC\x05" at 0x38, or the deprecated "RISCV" at 0x30). */
export function isRiscvImage(b: Uint8Array): boolean {
  if (b.length < 64) return false;
  const m2 = b[0x38] === 0x52 && b[0x39] === 0x53 && b[0x3a] === 0x43 && b[0x3b] === 0x05;
  const m1 = b[0x30] === 0x52 && b[0x31] === 0x49 && b[0x32] === 0x53 && b[0x33] === 0x43 && b[0x34] === 0x56;
  return m1 || m2;
}

/**
 * Loads a kernel: an ELF at its physical addresses, or a raw image (Linux Image or flat binary) at
 * `start`. Returns its extent and entry point.
 */
export function loadKernel(ram: GuestRam, data: Uint8Array, start: number, what = 'kernel'): Placed & { symbols?: Map<string, number> } {
  if (isElf(data)) {
    let elf;
    try {
      elf = parseElf(data);
    } catch (e) {
      throw new ConfigError(`${what}: ${(e as Error).message}`);
    }
    let lo = Infinity;
    let hi = 0;
    let entry = elf.entry;
    // Linux's vmlinux has physical addresses relative to the start of RAM (p_paddr 0...): place such an
    // ELF at the base of RAM, as QEMU's riscv kernel loader does.
    const fits = elf.segments.every((s) => s.paddr >= ram.base && s.paddr + s.memsz <= ram.end);
    const relative = !fits && elf.segments.every((s) => s.paddr + s.memsz <= ram.bytes.length);
    const bias = relative ? ram.base : 0;
    for (const s of elf.segments) {
      const pa = s.paddr + bias;
      ram.put(pa, s.data, what);
      if (s.memsz > s.data.length) ram.zero(pa + s.data.length, s.memsz - s.data.length);
      lo = Math.min(lo, pa);
      hi = Math.max(hi, pa + s.memsz);
      // A kernel linked at virtual addresses enters at the physical address of its entry segment.
      // (Compared as an offset: near 2^64 the sum vaddr + memsz is not exact in a double.)
      const off = elf.entry - s.vaddr;
      if (off >= 0 && off < s.memsz && s.vaddr !== pa) entry = off + pa;
    }
    if (lo === Infinity) throw new ConfigError(`${what}: ELF file has no loadable segments`);
    return { start: lo, end: hi, entry, symbols: elf.symbols };
  }
  ram.put(start, data, what);
  let end = start + data.length;
  if (isRiscvImage(data)) {
    // image_size (u64 at 0x10) covers the BSS too: keep the initrd clear of it.
    const size = data[0x10] | (data[0x11] << 8) | (data[0x12] << 16) | (data[0x13] * 16777216);
    if (size > data.length) end = start + size;
  }
  return { start, end, entry: start };
}

/** QEMU's initrd placement: kernel start + min(RAM/2, 128 MiB), or right after the kernel if that is higher. */
export function placeInitrd(ram: GuestRam, data: Uint8Array, kernel: Placed, limit: number): { start: number; end: number } {
  let start = kernel.start + Math.min(ram.bytes.length / 2, 128 * 1024 * 1024);
  if (start < kernel.end) start = alignUp(kernel.end, 4096);
  if (start + data.length > limit) {
    throw new ConfigError(`initrd (${data.length} bytes) does not fit in RAM after the kernel; use a larger -m`);
  }
  ram.put(start, data, 'initrd');
  return { start, end: start + data.length };
}

/** Device tree address: top of RAM (capped at 3 GiB), aligned down to 2 MiB. */
export function fdtAddress(ram: GuestRam, fdtSize: number): number {
  const top = Math.min(ram.end, 0xc0000000);
  return Math.floor((top - fdtSize) / ALIGN_2M) * ALIGN_2M;
}
