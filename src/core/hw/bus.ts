/**
 * The physical address space of a board: one RAM window inside the machine's WebAssembly.Memory and
 * a list of MMIO devices. The CPU reaches RAM directly through typed arrays (after its TLB); only
 * MMIO goes through here.
 */
import type { Device, GuestLog } from './device.js';

interface Mapping {
  base: number;
  end: number;
  dev: Device;
}

export class Bus {
  private maps: Mapping[] = [];
  /** Set by read/write when no device answers the address (the CPU then raises an access fault). */
  fault = false;
  /** Count of accesses to unmapped addresses and of bad device accesses. */
  unmappedCount = 0;

  constructor(
    readonly ramBase: number,
    readonly ramSize: number,
    private readonly log: GuestLog,
  ) {}

  map(base: number, dev: Device): void {
    const end = base + dev.size;
    for (const m of this.maps) {
      if (base < m.end && m.base < end) throw new Error(`bus: ${dev.name} overlaps ${m.dev.name}`);
    }
    this.maps.push({ base, end, dev });
  }

  devices(): readonly { base: number; dev: Device }[] {
    return this.maps;
  }

  isRam(paddr: number): boolean {
    return paddr >= this.ramBase && paddr < this.ramBase + this.ramSize;
  }

  private find(paddr: number, size: number): Mapping | undefined {
    const maps = this.maps;
    for (let i = 0; i < maps.length; i++) {
      const m = maps[i];
      if (paddr >= m.base && paddr + size <= m.end) return m;
    }
    return undefined;
  }

  /** Reads 1, 2 or 4 bytes of MMIO. Sets `fault` if nothing is mapped there. */
  read(paddr: number, size: number): number {
    const m = this.find(paddr, size);
    if (!m) {
      this.fault = true;
      this.unmapped('read', paddr, size);
      return 0;
    }
    return m.dev.read(paddr - m.base, size);
  }

  write(paddr: number, size: number, value: number): void {
    const m = this.find(paddr, size);
    if (!m) {
      this.fault = true;
      this.unmapped('write', paddr, size);
      return;
    }
    m.dev.write(paddr - m.base, size, value);
  }

  private unmapped(kind: string, paddr: number, size: number): void {
    if (this.unmappedCount++ < 16) {
      this.log.warn(`guest ${kind} of ${size} bytes at unmapped physical address 0x${paddr.toString(16)}`);
    }
  }
}
