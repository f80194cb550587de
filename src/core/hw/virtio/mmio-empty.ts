/**
 * An unpopulated virtio-mmio transport slot (Virtual I/O Device 1.2, §4.2.2). QEMU's `virt`
 * board exposes eight such 0x200-byte slots whether or not a device is plugged in; DeviceID 0
 * means "no device" (§4.2.3.1.1), so Linux's virtio_mmio probe skips the slot after checking
 * MagicValue and Version. Every other register reads 0 and writes are ignored.
 */
import type { Device } from '../device.js';

const MAGIC_VALUE = 0x74726976; // "virt", little-endian
const VERSION = 2; // non-legacy interface
const VENDOR_ID = 0x554d4551; // "QEMU", as QEMU reports

export class VirtioMmioEmpty implements Device {
  readonly name = 'virtio-mmio-empty';
  readonly size = 0x200;

  read(offset: number, size: number): number {
    let word: number;
    switch (offset & ~3) {
      case 0x000:
        word = MAGIC_VALUE;
        break;
      case 0x004:
        word = VERSION;
        break;
      case 0x00c:
        word = VENDOR_ID;
        break;
      default:
        return 0; // including DeviceID (0x008) = 0
    }
    // Narrow reads see the little-endian bytes of the 32-bit register.
    const shifted = word >>> ((offset & 3) * 8);
    return size >= 4 ? shifted >>> 0 : shifted & ((1 << (size * 8)) - 1);
  }

  write(_offset: number, _size: number, _value: number): void {
    // No device: writes are ignored (§4.2.2 registers of an absent device have no effect).
  }
}
