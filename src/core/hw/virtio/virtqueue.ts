/**
 * Split virtqueues (Virtual I/O Device 1.2, §2.7), device side.
 *
 * The three areas live in guest RAM and are read and written in place through one DataView; a
 * popped descriptor chain is flattened into a caller-owned, reusable `Chain` (RAM offsets and
 * lengths, device-readable segments first), so the hot path allocates nothing once the chain's
 * arrays have grown to the longest chain seen.
 *
 * Everything read from the rings is untrusted: a chain that loops, is longer than the queue,
 * points outside RAM, puts a device-readable buffer after a device-writable one, or nests
 * indirect tables makes pop() fail; the transport then sets DEVICE_NEEDS_RESET (§2.1.2).
 */

/** §2.7.5: descriptor flags. */
export const VIRTQ_DESC_F_NEXT = 1;
export const VIRTQ_DESC_F_WRITE = 2;
export const VIRTQ_DESC_F_INDIRECT = 4;
/** §2.7.6: avail.flags bit asking the device not to interrupt (ignored with VIRTIO_F_EVENT_IDX). */
export const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;

/** Largest queue a split virtqueue may have (§2.7: Queue Size is at most 32768). */
export const VIRTQ_MAX_SIZE = 32768;

/** Guest RAM as the devices see it (the board's GuestRam satisfies this). */
export interface GuestMemory {
  readonly bytes: Uint8Array;
  readonly base: number;
  /**
   * Told about every device-writable buffer when its chain is popped, before the device writes it (DMA), so
   * that translated code read from those bytes is dropped (accel/tcg). Offsets are from `bytes`.
   */
  dmaWrite?(off: number, len: number): void;
}

/** A flattened descriptor chain. Segments [0, readable) are device-readable, the rest device-writable. */
export class Chain {
  /** Head descriptor index: the id returned in the used ring. */
  head = 0;
  count = 0;
  readable = 0;
  readLen = 0;
  writeLen = 0;
  /** Offset of each segment in GuestMemory.bytes (RAM is below 4 GiB). */
  off = new Uint32Array(8);
  len = new Uint32Array(8);

  clear(head: number): void {
    this.head = head;
    this.count = this.readable = this.readLen = this.writeLen = 0;
  }

  add(off: number, len: number, writable: boolean): void {
    if (this.count === this.off.length) {
      const o = new Uint32Array(this.count * 2);
      const l = new Uint32Array(this.count * 2);
      o.set(this.off);
      l.set(this.len);
      this.off = o;
      this.len = l;
    }
    this.off[this.count] = off;
    this.len[this.count++] = len;
    if (writable) this.writeLen += len;
    else {
      this.readable++;
      this.readLen += len;
    }
  }

  /** Copies device-readable bytes from position `pos` of the readable area into `dst`; returns the count. */
  copyOut(ram: Uint8Array, pos: number, dst: Uint8Array): number {
    let done = 0;
    for (let i = 0; i < this.readable && done < dst.length; i++) {
      const n = this.len[i];
      if (pos >= n) {
        pos -= n;
        continue;
      }
      const k = Math.min(n - pos, dst.length - done);
      const from = this.off[i] + pos;
      // Short copies (request headers) by hand: a subarray view per segment would allocate.
      if (k <= 64) for (let j = 0; j < k; j++) dst[done + j] = ram[from + j];
      else dst.set(ram.subarray(from, from + k), done);
      done += k;
      pos = 0;
    }
    return done;
  }

  /** Copies `src` into the device-writable area from its position `pos`; returns the count. */
  copyIn(ram: Uint8Array, pos: number, src: Uint8Array): number {
    let done = 0;
    for (let i = this.readable; i < this.count && done < src.length; i++) {
      const n = this.len[i];
      if (pos >= n) {
        pos -= n;
        continue;
      }
      const k = Math.min(n - pos, src.length - done);
      const to = this.off[i] + pos;
      if (k <= 64) for (let j = 0; j < k; j++) ram[to + j] = src[done + j];
      else ram.set(src.subarray(done, done + k), to);
      done += k;
      pos = 0;
    }
    return done;
  }
}

/** Result of Virtqueue.pop(). */
export const enum Pop {
  Empty = 0,
  Ok = 1,
  /** The driver broke the ring or a chain; `error` says how. */
  Malformed = -1,
}

export class Virtqueue {
  /** Queue Size chosen by the driver (QueueNum). */
  size = 0;
  ready = false;
  descAddr = 0;
  driverAddr = 0;
  deviceAddr = 0;
  /** Negotiated VIRTIO_F_EVENT_IDX / VIRTIO_F_INDIRECT_DESC (set by the transport at DRIVER_OK time). */
  eventIdx = false;
  indirect = false;
  error = '';
  private lastAvail = 0;
  private usedIdx = 0;
  /** used.idx when the device last decided about an interrupt (§2.7.10 needs the old value). */
  private signalled = 0;
  private desc = 0;
  private drv = 0;
  private dev = 0;
  private readonly dv: DataView;
  private readonly ramLen: number;

  constructor(private readonly mem: GuestMemory, readonly maxSize: number) {
    this.dv = new DataView(mem.bytes.buffer, mem.bytes.byteOffset, mem.bytes.byteLength);
    this.ramLen = mem.bytes.length;
  }

  reset(): void {
    this.size = 0;
    this.ready = false;
    this.descAddr = this.driverAddr = this.deviceAddr = 0;
    this.eventIdx = this.indirect = false;
    this.error = '';
    this.lastAvail = this.usedIdx = this.signalled = 0;
  }

  /** RAM offset of [addr, addr+len), or -1 if any of it is outside RAM. */
  private ramOffset(addr: number, len: number): number {
    const off = addr - this.mem.base;
    return off >= 0 && off + len <= this.ramLen ? off : -1;
  }

  /**
   * QueueReady ← 1: checks the size and the areas' alignment (§2.7, table of alignments) and that
   * they lie in RAM. Returns an error message, or '' when the queue is live.
   */
  enable(): string {
    const n = this.size;
    if (n === 0 || n > this.maxSize || (n & (n - 1)) !== 0) return `queue size ${n} is not a power of 2 up to ${this.maxSize}`;
    if (this.descAddr % 16 || this.driverAddr % 2 || this.deviceAddr % 4) return 'misaligned virtqueue area';
    this.desc = this.ramOffset(this.descAddr, 16 * n);
    this.drv = this.ramOffset(this.driverAddr, 6 + 2 * n);
    this.dev = this.ramOffset(this.deviceAddr, 6 + 8 * n);
    if (this.desc < 0 || this.drv < 0 || this.dev < 0) return 'virtqueue area outside RAM';
    this.lastAvail = this.usedIdx = this.signalled = 0;
    this.ready = true;
    return '';
  }

  /** True if the driver made buffers available that the device has not taken yet. */
  pending(): boolean {
    return this.ready && this.dv.getUint16(this.drv + 2, true) !== this.lastAvail;
  }

  private fail(msg: string): Pop {
    this.error = msg;
    this.ready = false;
    return Pop.Malformed;
  }

  /** Takes the next available chain into `c` (§2.7.13 in reverse: what the device does with it). */
  pop(c: Chain): Pop {
    if (!this.ready) return Pop.Empty;
    const dv = this.dv;
    const n = this.size;
    const availIdx = dv.getUint16(this.drv + 2, true);
    if (availIdx === this.lastAvail) {
      // §2.7.10: with EVENT_IDX, ask to be notified when the driver adds the next buffer.
      if (this.eventIdx) dv.setUint16(this.dev + 4 + 8 * n, this.lastAvail, true);
      return Pop.Empty;
    }
    if (((availIdx - this.lastAvail) & 0xffff) > n) return this.fail(`avail index ${availIdx} runs more than ${n} ahead`);
    const head = dv.getUint16(this.drv + 4 + 2 * (this.lastAvail & (n - 1)), true);
    this.lastAvail = (this.lastAvail + 1) & 0xffff;
    if (head >= n) return this.fail(`head descriptor ${head} out of range`);
    c.clear(head);
    let table = this.desc;
    let tableLen = n;
    let i = head;
    let inIndirect = false;
    let sawWritable = false;
    let visited = 0; // descriptors followed in this table: more than its length means a loop
    let total = 0;
    for (;;) {
      if (i >= tableLen) return this.fail(`next descriptor ${i} out of range`);
      if (++visited > tableLen || ++total > n) return this.fail('descriptor chain loops or is longer than the queue');
      const d = table + 16 * i;
      const addr = dv.getUint32(d, true) + dv.getUint32(d + 4, true) * 0x100000000;
      const len = dv.getUint32(d + 8, true);
      const flags = dv.getUint16(d + 12, true);
      if (flags & VIRTQ_DESC_F_INDIRECT) {
        // §2.7.5.3.1: no nesting, no NEXT alongside INDIRECT, a whole number of descriptors.
        if (!this.indirect) return this.fail('indirect descriptor without VIRTIO_F_INDIRECT_DESC');
        if (inIndirect) return this.fail('indirect descriptor inside an indirect table');
        if (flags & VIRTQ_DESC_F_NEXT) return this.fail('indirect descriptor with NEXT set');
        if (len === 0 || len % 16 !== 0) return this.fail(`indirect table length ${len}`);
        const t = this.ramOffset(addr, len);
        if (t < 0) return this.fail('indirect table outside RAM');
        table = t;
        tableLen = len / 16;
        i = 0;
        visited = 0;
        // The descriptor naming the table is not part of the chain: with seg_max = size - 2, Linux
        // fills a table of `size` entries (1 MiB O_DIRECT writes of scattered pages).
        total--;
        inIndirect = true;
        continue;
      }
      const writable = (flags & VIRTQ_DESC_F_WRITE) !== 0;
      // §2.7.4.2: device-writable elements come after all device-readable ones.
      if (!writable && sawWritable) return this.fail('device-readable descriptor after a device-writable one');
      sawWritable ||= writable;
      if (len > 0) {
        const off = this.ramOffset(addr, len);
        if (off < 0) return this.fail(`buffer 0x${addr.toString(16)}+${len} outside RAM`);
        c.add(off, len, writable);
        if (writable) this.mem.dmaWrite?.(off, len);
      }
      if (!(flags & VIRTQ_DESC_F_NEXT)) return Pop.Ok;
      i = dv.getUint16(d + 14, true);
    }
  }

  /** Returns a chain to the driver with `written` bytes written to it (§2.7.8). */
  push(head: number, written: number): void {
    if (!this.ready) return;
    const slot = this.dev + 4 + 8 * (this.usedIdx & (this.size - 1));
    this.dv.setUint32(slot, head, true);
    this.dv.setUint32(slot + 4, written, true);
    this.usedIdx = (this.usedIdx + 1) & 0xffff;
    this.dv.setUint16(this.dev + 2, this.usedIdx, true);
  }

  /**
   * Decides whether the buffers pushed since the last call deserve an interrupt: §2.7.10, with
   * EVENT_IDX the driver's used_event, otherwise avail.flags NO_INTERRUPT.
   */
  needInterrupt(): boolean {
    const old = this.signalled;
    const now = this.usedIdx;
    this.signalled = now;
    if (!this.ready || old === now) return false;
    if (this.eventIdx) {
      const ev = this.dv.getUint16(this.drv + 4 + 2 * this.size, true);
      return ((now - ev - 1) & 0xffff) < ((now - old) & 0xffff);
    }
    return (this.dv.getUint16(this.drv, true) & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0;
  }
}
