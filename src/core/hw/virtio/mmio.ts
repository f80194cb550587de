/**
 * The virtio-mmio transport, version 2 (Virtual I/O Device 1.2, §4.2), and the small interface a
 * virtio device implements behind it. The transport owns feature negotiation (§2.2, §3.1.1),
 * the device status state machine (§2.1), the virtqueues and the interrupt line; the device sees
 * only its config space, its queues and notifications.
 */
import type { Device, GuestLog, IrqLine } from '../device.js';
import { Chain, Pop, Virtqueue, type GuestMemory } from './virtqueue.js';

/** §2.1: device status bits. */
export const STATUS_ACKNOWLEDGE = 1;
export const STATUS_DRIVER = 2;
export const STATUS_DRIVER_OK = 4;
export const STATUS_FEATURES_OK = 8;
export const STATUS_DEVICE_NEEDS_RESET = 64;
export const STATUS_FAILED = 128;

/** §6: reserved feature bits the transport handles itself. */
export const VIRTIO_F_INDIRECT_DESC = 28;
export const VIRTIO_F_EVENT_IDX = 29;
export const VIRTIO_F_VERSION_1 = 32;

/** §4.2.2: InterruptStatus bits. */
export const INT_USED_BUFFER = 1;
export const INT_CONFIG_CHANGE = 2;

const MAGIC_VALUE = 0x74726976; // "virt"
const VERSION = 2;
const VENDOR_ID = 0x554d4551; // "QEMU": guests key no quirks off it, and it matches the empty slots
const CONFIG_BASE = 0x100;

/** What a device behind the transport implements. */
export interface VirtioDevice {
  readonly name: string;
  /** §5: device type (2 block, 3 console, 4 entropy). */
  readonly deviceId: number;
  /** Device-specific feature bits as [bits 0-31, bits 32-63]; the transport adds its own. */
  readonly features: readonly [number, number];
  readonly queueCount: number;
  /** QueueNumMax for every queue. */
  readonly queueMax: number;
  /** Reads `size` bytes at `offset` of the device config space (little-endian, §2.5). */
  configRead(offset: number, size: number): number;
  configWrite(offset: number, size: number, value: number): void;
  /** Called once, when the transport is built. */
  attach(t: VirtioTransport): void;
  /** The driver notified `queue` (only after DRIVER_OK). */
  onNotify(queue: number): void;
  /** The driver set DRIVER_OK. */
  driverOk?(): void;
  /** Device reset (§2.4): forget requests in flight, back to the initial state. */
  reset(): void;
}

/** What the transport offers its device. */
export interface VirtioTransport {
  readonly mem: GuestMemory;
  readonly log: GuestLog;
  queue(i: number): Virtqueue;
  /** True if the driver accepted feature `bit`. */
  hasFeature(bit: number): boolean;
  /** Takes the next chain from queue `q` into `c`; false when empty or broken (then DEVICE_NEEDS_RESET is set). */
  pop(q: number, c: Chain): boolean;
  /** Returns a chain; call usedBuffers() after a batch. */
  push(q: number, head: number, written: number): void;
  /** Raises the used-buffer interrupt for `q` unless the driver suppressed it. */
  usedBuffers(q: number): void;
  configChanged(): void;
  /** Enters the error state of §2.1.2: DEVICE_NEEDS_RESET and a configuration change interrupt. */
  needsReset(why: string): void;
  /** Completions arrived from the host event loop: let an idle machine run. */
  wake(): void;
}

/** Little-endian read of `size` bytes from a config-space image (out of range reads as 0). */
export function configBytesRead(cfg: Uint8Array, offset: number, size: number): number {
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + (offset + i < cfg.length ? cfg[offset + i] : 0);
  return v;
}

export class VirtioMmio implements Device, VirtioTransport {
  readonly name: string;
  readonly size = 0x200;
  private readonly queues: Virtqueue[];
  private status = 0;
  private isr = 0;
  private deviceFeaturesSel = 0;
  private driverFeaturesSel = 0;
  private driverFeatures = [0, 0];
  private readonly offered: [number, number];
  private queueSel = 0;
  private generation = 0;

  constructor(
    readonly device: VirtioDevice,
    readonly mem: GuestMemory,
    private readonly irq: IrqLine,
    readonly log: GuestLog,
    private readonly wakeHost: () => void = () => {},
  ) {
    this.name = `virtio-mmio (${device.name})`;
    this.queues = [];
    for (let i = 0; i < device.queueCount; i++) this.queues.push(new Virtqueue(mem, device.queueMax));
    this.offered = [
      (device.features[0] | (1 << VIRTIO_F_INDIRECT_DESC) | (1 << VIRTIO_F_EVENT_IDX)) >>> 0,
      (device.features[1] | (1 << (VIRTIO_F_VERSION_1 - 32))) >>> 0,
    ];
    device.attach(this);
  }

  // --- VirtioTransport ---------------------------------------------------------------------

  queue(i: number): Virtqueue {
    return this.queues[i];
  }

  hasFeature(bit: number): boolean {
    return ((this.driverFeatures[bit >>> 5] >>> (bit & 31)) & 1) === 1;
  }

  pop(q: number, c: Chain): boolean {
    const vq = this.queues[q];
    // §3.1.1: no buffers are used before DRIVER_OK, nor in the error state (§2.1.2).
    if ((this.status & (STATUS_DRIVER_OK | STATUS_DEVICE_NEEDS_RESET)) !== STATUS_DRIVER_OK) return false;
    const r = vq.pop(c);
    if (r === Pop.Malformed) this.needsReset(`queue ${q}: ${vq.error}`);
    return r === Pop.Ok;
  }

  push(q: number, head: number, written: number): void {
    this.queues[q].push(head, written);
  }

  usedBuffers(q: number): void {
    if (this.queues[q].needInterrupt()) this.raise(INT_USED_BUFFER);
  }

  configChanged(): void {
    this.generation = (this.generation + 1) >>> 0;
    if (this.status & STATUS_DRIVER_OK) this.raise(INT_CONFIG_CHANGE);
  }

  needsReset(why: string): void {
    this.log.warn(`${this.device.name}: ${why}; device needs reset`);
    if (this.status & STATUS_DEVICE_NEEDS_RESET) return;
    this.status |= STATUS_DEVICE_NEEDS_RESET;
    // §2.1.2: with DRIVER_OK set the device must also send a configuration change notification.
    this.configChanged();
  }

  wake(): void {
    this.wakeHost();
  }

  private raise(bit: number): void {
    this.isr |= bit;
    this.irq.set(true);
  }

  // --- Device ------------------------------------------------------------------------------

  /** §2.4: device reset (Status ← 0, or a machine reset). */
  reset(): void {
    this.device.reset();
    for (const q of this.queues) q.reset();
    this.status = 0;
    this.isr = 0;
    this.deviceFeaturesSel = this.driverFeaturesSel = this.queueSel = 0;
    this.driverFeatures = [0, 0];
    this.irq.set(false);
  }

  read(offset: number, size: number): number {
    if (offset >= CONFIG_BASE) {
      if (offset + size > this.size) return 0;
      return this.device.configRead(offset - CONFIG_BASE, size);
    }
    const word = this.readReg(offset & ~3);
    // §4.2.2.2: registers are 32-bit; a narrow read sees the little-endian bytes of the word.
    const shifted = word >>> ((offset & 3) * 8);
    return size >= 4 ? shifted >>> 0 : shifted & ((1 << (size * 8)) - 1);
  }

  private readReg(reg: number): number {
    const q = this.queues[this.queueSel] as Virtqueue | undefined;
    switch (reg) {
      case 0x000: return MAGIC_VALUE;
      case 0x004: return VERSION;
      case 0x008: return this.device.deviceId;
      case 0x00c: return VENDOR_ID;
      case 0x010: return this.deviceFeaturesSel < 2 ? this.offered[this.deviceFeaturesSel] : 0;
      case 0x034: return q ? q.maxSize : 0;
      case 0x044: return q?.ready ? 1 : 0;
      case 0x060: return this.isr;
      case 0x070: return this.status;
      case 0x0b0: case 0x0b4: return 0xffffffff; // §4.2.2: SHMLen of a region that does not exist
      case 0x0fc: return this.generation;
      default: return 0;
    }
  }

  write(offset: number, size: number, value: number): void {
    if (offset >= CONFIG_BASE) {
      if (offset + size <= this.size) this.device.configWrite(offset - CONFIG_BASE, size, value);
      return;
    }
    if (size !== 4 || offset & 3) {
      this.log.warn(`${this.device.name}: ${size}-byte write to register 0x${offset.toString(16)} ignored`);
      return;
    }
    const v = value >>> 0;
    const q = this.queues[this.queueSel] as Virtqueue | undefined;
    switch (offset) {
      case 0x014: this.deviceFeaturesSel = v; return;
      case 0x020:
        if (this.status & STATUS_FEATURES_OK) {
          this.log.warn(`${this.device.name}: DriverFeatures written after FEATURES_OK; ignored`);
        } else if (this.driverFeaturesSel < 2) {
          this.driverFeatures[this.driverFeaturesSel] = v;
        }
        return;
      case 0x024: this.driverFeaturesSel = v; return;
      case 0x030: this.queueSel = v; return;
      case 0x038: case 0x080: case 0x084: case 0x090: case 0x094: case 0x0a0: case 0x0a4:
        this.queueConfig(q, offset, v);
        return;
      case 0x044:
        if (!q) return;
        if (v === 0) {
          q.ready = false;
        } else if (!q.ready) {
          const err = q.enable();
          if (err) this.needsReset(`queue ${this.queueSel}: ${err}`);
        }
        return;
      case 0x050: this.notify(v); return;
      case 0x064:
        this.isr &= ~v;
        this.irq.set(this.isr !== 0);
        return;
      case 0x070: this.writeStatus(v & 0xff); return;
      default:
        this.log.warn(`${this.device.name}: write to read-only or unknown register 0x${offset.toString(16)}`);
    }
  }

  private queueConfig(q: Virtqueue | undefined, reg: number, v: number): void {
    if (!q) return;
    // §4.2.3.2: the queue's layout is fixed while it is ready.
    if (q.ready) {
      this.log.warn(`${this.device.name}: queue ${this.queueSel} reconfigured while ready; ignored`);
      return;
    }
    const setLo = (a: number): number => a - (a % 0x100000000) + v;
    const setHi = (a: number): number => (a % 0x100000000) + v * 0x100000000;
    switch (reg) {
      case 0x038: q.size = v; break;
      case 0x080: q.descAddr = setLo(q.descAddr); break;
      case 0x084: q.descAddr = setHi(q.descAddr); break;
      case 0x090: q.driverAddr = setLo(q.driverAddr); break;
      case 0x094: q.driverAddr = setHi(q.driverAddr); break;
      case 0x0a0: q.deviceAddr = setLo(q.deviceAddr); break;
      case 0x0a4: q.deviceAddr = setHi(q.deviceAddr); break;
    }
  }

  private notify(queue: number): void {
    const q = this.queues[queue] as Virtqueue | undefined;
    if (!q) {
      this.log.warn(`${this.device.name}: notify of nonexistent queue ${queue}`);
      return;
    }
    // §3.1.1 / §2.1.2: buffers are not used before DRIVER_OK, nor in the error state.
    if (!(this.status & STATUS_DRIVER_OK) || this.status & STATUS_DEVICE_NEEDS_RESET || !q.ready) return;
    this.device.onNotify(queue);
  }

  private writeStatus(v: number): void {
    if (v === 0) {
      this.reset();
      return;
    }
    const added = v & ~this.status;
    let next = v | (this.status & STATUS_DEVICE_NEEDS_RESET);
    if (added & STATUS_FEATURES_OK) {
      // §2.2.2 / §6.1: accept only offered bits, and VERSION_1 is mandatory for a modern device.
      const bad = (this.driverFeatures[0] & ~this.offered[0]) | (this.driverFeatures[1] & ~this.offered[1]);
      if (bad !== 0 || !this.hasFeature(VIRTIO_F_VERSION_1)) {
        this.log.warn(`${this.device.name}: driver features ${this.driverFeatures[1].toString(16)}:${this.driverFeatures[0].toString(16)} refused`);
        next &= ~STATUS_FEATURES_OK;
      }
    }
    if (added & STATUS_DRIVER_OK && !(next & STATUS_FEATURES_OK)) {
      this.log.warn(`${this.device.name}: DRIVER_OK without FEATURES_OK`);
      next &= ~STATUS_DRIVER_OK;
    }
    this.status = next;
    if (added & next & STATUS_DRIVER_OK) {
      const eventIdx = this.hasFeature(VIRTIO_F_EVENT_IDX);
      const indirect = this.hasFeature(VIRTIO_F_INDIRECT_DESC);
      for (const q of this.queues) {
        q.eventIdx = eventIdx;
        q.indirect = indirect;
      }
      this.device.driverOk?.();
      // Buffers made available before DRIVER_OK (§3.1.1 allows it) are picked up now.
      for (let i = 0; i < this.queues.length; i++) if (this.queues[i].pending()) this.device.onNotify(i);
    }
  }
}
