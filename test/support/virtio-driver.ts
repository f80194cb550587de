/**
 * A driver-side test double for virtio-mmio devices: a fake guest RAM, the register sequence of
 * §3.1.1 (reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK, queues, DRIVER_OK), split rings laid
 * out as §2.7 describes, chains posted with direct or indirect descriptors, and used entries
 * collected. Also lets tests write raw (malicious) descriptors.
 */
import type { IrqLine } from '../../src/core/hw/device.js';
import { VirtioMmio, type VirtioDevice } from '../../src/core/hw/virtio/mmio.js';

export const RAM_BASE = 0x80000000;

export class TestIrq implements IrqLine {
  level = false;
  raised = 0;
  set(level: boolean): void {
    if (level && !this.level) this.raised++;
    this.level = level;
  }
}

/** One buffer of a chain: readable bytes, or a writable area of `write` bytes. */
export type Seg = { data: Uint8Array } | { write: number };

export interface Used {
  id: number;
  len: number;
  /** The chain's writable buffers, as posted (guest addresses and lengths). */
  writable: { addr: number; len: number }[];
}

interface QueueState {
  size: number;
  desc: number;
  avail: number;
  used: number;
  availIdx: number;
  usedSeen: number;
  freeDesc: number[];
  chains: Map<number, { descs: number[]; writable: { addr: number; len: number }[] }>;
}

export class VirtioTestDriver {
  readonly bytes: Uint8Array;
  readonly dv: DataView;
  readonly irq = new TestIrq();
  readonly warnings: string[] = [];
  readonly mmio: VirtioMmio;
  private brk = 0x1000;
  private readonly queues: QueueState[] = [];
  wakes = 0;

  constructor(readonly device: VirtioDevice, ramBytes = 4 << 20) {
    this.bytes = new Uint8Array(ramBytes);
    this.dv = new DataView(this.bytes.buffer);
    this.mmio = new VirtioMmio(device, { bytes: this.bytes, base: RAM_BASE }, this.irq,
      { warn: (m) => this.warnings.push(m) }, () => this.wakes++);
  }

  r32(off: number): number {
    return this.mmio.read(off, 4) >>> 0;
  }

  w32(off: number, v: number): void {
    this.mmio.write(off, 4, v >>> 0);
  }

  /** Guest memory from the bump allocator (never freed). */
  alloc(n: number, align = 16): number {
    this.brk = Math.ceil(this.brk / align) * align;
    const a = this.brk;
    this.brk += Math.max(n, 1);
    if (this.brk > this.bytes.length) throw new Error('test RAM exhausted');
    return RAM_BASE + a;
  }

  read(addr: number, n: number): Uint8Array {
    return this.bytes.slice(addr - RAM_BASE, addr - RAM_BASE + n);
  }

  write(addr: number, data: Uint8Array): void {
    this.bytes.set(data, addr - RAM_BASE);
  }

  deviceFeatures(): [number, number] {
    this.w32(0x014, 0);
    const lo = this.r32(0x010);
    this.w32(0x014, 1);
    return [lo, this.r32(0x010)];
  }

  /**
   * §3.1.1 initialisation. `accept(offered)` picks the driver features (default: all offered).
   * Returns false if the device refused FEATURES_OK.
   */
  init(opts: { accept?: (f: [number, number]) => [number, number]; queueSize?: number; driverOk?: boolean } = {}): boolean {
    this.w32(0x070, 0);
    this.w32(0x070, 1);
    this.w32(0x070, 3);
    const f = (opts.accept ?? ((x) => x))(this.deviceFeatures());
    this.w32(0x024, 0);
    this.w32(0x020, f[0]);
    this.w32(0x024, 1);
    this.w32(0x020, f[1]);
    this.w32(0x070, 3 | 8);
    if (!(this.r32(0x070) & 8)) return false;
    for (let q = 0; q < this.device.queueCount; q++) this.setupQueue(q, opts.queueSize ?? 16);
    if (opts.driverOk !== false) this.w32(0x070, 3 | 8 | 4);
    return true;
  }

  setupQueue(q: number, size: number): void {
    this.w32(0x030, q);
    if (this.r32(0x034) < size) throw new Error(`queue ${q}: max ${this.r32(0x034)} < ${size}`);
    const desc = this.alloc(16 * size, 16);
    const avail = this.alloc(6 + 2 * size, 2);
    const used = this.alloc(6 + 8 * size, 4);
    this.w32(0x038, size);
    this.w32(0x080, desc); this.w32(0x084, 0);
    this.w32(0x090, avail); this.w32(0x094, 0);
    this.w32(0x0a0, used); this.w32(0x0a4, 0);
    this.w32(0x044, 1);
    this.queues[q] = {
      size, desc, avail, used, availIdx: 0, usedSeen: 0,
      freeDesc: Array.from({ length: size }, (_, i) => i), chains: new Map(),
    };
  }

  /** Writes descriptor `i` of a table at `table`. */
  writeDesc(table: number, i: number, addr: number, len: number, flags: number, next: number): void {
    const o = table - RAM_BASE + 16 * i;
    this.dv.setUint32(o, addr % 0x100000000, true);
    this.dv.setUint32(o + 4, Math.floor(addr / 0x100000000), true);
    this.dv.setUint32(o + 8, len, true);
    this.dv.setUint16(o + 12, flags, true);
    this.dv.setUint16(o + 14, next, true);
  }

  descTable(q: number): number {
    return this.queues[q].desc;
  }

  /** Puts `head` in the avail ring and (unless kick is false) notifies. */
  publish(q: number, head: number, kick = true): void {
    const s = this.queues[q];
    this.dv.setUint16(s.avail - RAM_BASE + 4 + 2 * (s.availIdx % s.size), head, true);
    s.availIdx = (s.availIdx + 1) & 0xffff;
    this.dv.setUint16(s.avail - RAM_BASE + 2, s.availIdx, true);
    if (kick) this.kick(q);
  }

  kick(q: number): void {
    this.w32(0x050, q);
  }

  /** Posts a chain of buffers (allocated in fake RAM); returns its head id. */
  post(q: number, segs: Seg[], opts: { indirect?: boolean; kick?: boolean } = {}): number {
    const s = this.queues[q];
    const bufs = segs.map((g) => {
      if ('data' in g) {
        const a = this.alloc(g.data.length);
        this.write(a, g.data);
        return { addr: a, len: g.data.length, flags: 0 };
      }
      return { addr: this.alloc(g.write), len: g.write, flags: 2 };
    });
    const writable = bufs.filter((b) => b.flags & 2).map(({ addr, len }) => ({ addr, len }));
    let descs: number[];
    if (opts.indirect) {
      const table = this.alloc(16 * bufs.length, 16);
      bufs.forEach((b, i) => this.writeDesc(table, i, b.addr, b.len, b.flags | (i + 1 < bufs.length ? 1 : 0), i + 1));
      const d = s.freeDesc.shift();
      if (d === undefined) throw new Error('no free descriptors');
      this.writeDesc(s.desc, d, table, 16 * bufs.length, 4, 0);
      descs = [d];
    } else {
      if (s.freeDesc.length < bufs.length) throw new Error('no free descriptors');
      descs = s.freeDesc.splice(0, bufs.length);
      bufs.forEach((b, i) => this.writeDesc(s.desc, descs[i], b.addr, b.len, b.flags | (i + 1 < bufs.length ? 1 : 0), descs[i + 1] ?? 0));
    }
    s.chains.set(descs[0], { descs, writable });
    this.publish(q, descs[0], opts.kick ?? true);
    return descs[0];
  }

  /** New used entries since the last call (their descriptors are freed). */
  collect(q: number): Used[] {
    const s = this.queues[q];
    const out: Used[] = [];
    const idx = this.dv.getUint16(s.used - RAM_BASE + 2, true);
    while (s.usedSeen !== idx) {
      const o = s.used - RAM_BASE + 4 + 8 * (s.usedSeen % s.size);
      const id = this.dv.getUint32(o, true);
      const len = this.dv.getUint32(o + 4, true);
      const ch = s.chains.get(id);
      if (ch) {
        s.freeDesc.push(...ch.descs);
        s.chains.delete(id);
      }
      out.push({ id, len, writable: ch?.writable ?? [] });
      s.usedSeen = (s.usedSeen + 1) & 0xffff;
    }
    return out;
  }

  /** Bytes the device wrote into a used chain's writable buffers, concatenated. */
  written(u: Used): Uint8Array {
    const parts = u.writable.map((w) => this.read(w.addr, w.len));
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) { all.set(p, o); o += p.length; }
    return all;
  }

  /** §2.7.10: used_event (in the avail ring, after the entries). */
  setUsedEvent(q: number, v: number): void {
    const s = this.queues[q];
    this.dv.setUint16(s.avail - RAM_BASE + 4 + 2 * s.size, v, true);
  }

  /** §2.7.10: avail_event (in the used ring, after the entries). */
  availEvent(q: number): number {
    const s = this.queues[q];
    return this.dv.getUint16(s.used - RAM_BASE + 4 + 8 * s.size, true);
  }

  setAvailFlags(q: number, v: number): void {
    this.dv.setUint16(this.queues[q].avail - RAM_BASE, v, true);
  }

  ackInterrupt(): number {
    const isr = this.r32(0x060);
    this.w32(0x064, isr);
    return isr;
  }

  status(): number {
    return this.r32(0x070);
  }

  config(off: number, size: 1 | 2 | 4): number {
    return this.mmio.read(0x100 + off, size) >>> 0;
  }

  /** Resolves after pending promise callbacks (backend completions) have run. */
  async settle(): Promise<void> {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  }
}
