/**
 * virtio-blk (Virtual I/O Device 1.2, §5.2) on a BlockDriver.
 *
 * Requests are asynchronous: each one popped from the queue starts a backend operation and is
 * returned to the driver when that operation settles, so several are in flight and they complete
 * in the order the backend finishes them (§5.2.6 allows any order). A request's state lives in a
 * pooled object with its own reusable Chain; a reset bumps a generation number so completions of
 * requests from before the reset never touch the rings again.
 */
import type { BlockDriver } from '../../block/block-driver.js';
import { Chain } from './virtqueue.js';
import { configBytesRead, type VirtioDevice, type VirtioTransport } from './mmio.js';

export const VIRTIO_ID_BLOCK = 2;

/** §5.2.3: feature bits. */
export const VIRTIO_BLK_F_SIZE_MAX = 1;
export const VIRTIO_BLK_F_SEG_MAX = 2;
export const VIRTIO_BLK_F_RO = 5;
export const VIRTIO_BLK_F_BLK_SIZE = 6;
export const VIRTIO_BLK_F_FLUSH = 9;
export const VIRTIO_BLK_F_DISCARD = 13;
export const VIRTIO_BLK_F_WRITE_ZEROES = 14;

/** §5.2.6: request types and status values. */
export const VIRTIO_BLK_T_IN = 0;
export const VIRTIO_BLK_T_OUT = 1;
export const VIRTIO_BLK_T_FLUSH = 4;
export const VIRTIO_BLK_T_GET_ID = 8;
export const VIRTIO_BLK_T_DISCARD = 11;
export const VIRTIO_BLK_T_WRITE_ZEROES = 13;
export const VIRTIO_BLK_S_OK = 0;
export const VIRTIO_BLK_S_IOERR = 1;
export const VIRTIO_BLK_S_UNSUPP = 2;

/** §5.2.6: the unmap flag of a discard / write-zeroes segment; other bits are reserved. */
const FLAG_UNMAP = 1;
const SECTOR = 512;
const ID_BYTES = 20; // VIRTIO_BLK_ID_BYTES
const QUEUE_MAX = 256;
const SIZE_MAX = 1 << 20;
const MAX_DISCARD_SECTORS = 0x3fffff;
const MAX_RANGE_SEGS = 16;

class Request {
  readonly chain = new Chain();
  gen = 0;
  queue = 0;
}

export interface VirtioBlkOptions {
  /** Returned by VIRTIO_BLK_T_GET_ID (at most 20 bytes). */
  serial?: string;
}

export class VirtioBlk implements VirtioDevice {
  readonly name = 'virtio-blk';
  readonly deviceId = VIRTIO_ID_BLOCK;
  readonly features: readonly [number, number];
  readonly queueCount = 1;
  readonly queueMax = QUEUE_MAX;
  private t!: VirtioTransport;
  private readonly config = new Uint8Array(60);
  private readonly id = new Uint8Array(ID_BYTES);
  private readonly capacityBytes: number;
  private readonly free: Request[] = [];
  private gen = 0;
  /** Requests completed synchronously during onNotify: one interrupt decision at the end. */
  private syncDone = false;
  private readonly hdr = new Uint8Array(16);
  private readonly hdrView = new DataView(this.hdr.buffer);
  private readonly ioErrors = { count: 0 };

  constructor(private readonly drive: BlockDriver, opts: VirtioBlkOptions = {}) {
    const ro = drive.readOnly;
    let f = (1 << VIRTIO_BLK_F_SIZE_MAX) | (1 << VIRTIO_BLK_F_SEG_MAX) | (1 << VIRTIO_BLK_F_BLK_SIZE) |
      (1 << VIRTIO_BLK_F_FLUSH);
    // A read-only disk says so (§5.2.3) and offers no commands that would modify it.
    f |= ro ? 1 << VIRTIO_BLK_F_RO : (1 << VIRTIO_BLK_F_DISCARD) | (1 << VIRTIO_BLK_F_WRITE_ZEROES);
    this.features = [f >>> 0, 0];
    const sectors = Math.floor(drive.size / SECTOR);
    this.capacityBytes = sectors * SECTOR;
    // §5.2.4: the config layout, little-endian.
    const cv = new DataView(this.config.buffer);
    cv.setUint32(0, sectors % 0x100000000, true); // capacity (le64)
    cv.setUint32(4, Math.floor(sectors / 0x100000000), true);
    cv.setUint32(8, SIZE_MAX, true); // size_max
    cv.setUint32(12, QUEUE_MAX - 2, true); // seg_max: a chain also holds the header and the status
    cv.setUint32(20, SECTOR, true); // blk_size
    cv.setUint32(36, MAX_DISCARD_SECTORS, true); // max_discard_sectors
    cv.setUint32(40, MAX_RANGE_SEGS, true); // max_discard_seg
    cv.setUint32(44, 1, true); // discard_sector_alignment
    cv.setUint32(48, MAX_DISCARD_SECTORS, true); // max_write_zeroes_sectors
    cv.setUint32(52, MAX_RANGE_SEGS, true); // max_write_zeroes_seg
    const serial = new TextEncoder().encode(opts.serial ?? '');
    this.id.set(serial.subarray(0, ID_BYTES));
  }

  /** Requests started and not yet completed (for tests and draining). */
  inFlight = 0;

  attach(t: VirtioTransport): void {
    this.t = t;
  }

  configRead(offset: number, size: number): number {
    return configBytesRead(this.config, offset, size);
  }

  configWrite(offset: number): void {
    this.t.log.warn(`virtio-blk: config write at ${offset} ignored (no writable fields offered)`);
  }

  reset(): void {
    this.gen++;
  }

  onNotify(queue: number): void {
    const t = this.t;
    for (;;) {
      const r = this.free.pop() ?? new Request();
      if (!t.pop(queue, r.chain)) {
        this.free.push(r);
        break;
      }
      r.gen = this.gen;
      r.queue = queue;
      this.inFlight++;
      this.start(r);
    }
    if (this.syncDone) {
      this.syncDone = false;
      t.usedBuffers(queue);
    }
  }

  private start(r: Request): void {
    const c = r.chain;
    const ram = this.t.mem.bytes;
    if (c.writeLen === 0) {
      // No room for the status byte: nothing sensible to answer (§5.2.6.1 makes it mandatory).
      this.t.log.warn('virtio-blk: request without a status byte');
      this.t.push(r.queue, c.head, 0);
      this.syncDone = true;
      this.release(r);
      return;
    }
    if (c.readLen < 16) return this.done(r, VIRTIO_BLK_S_IOERR, 0, true);
    c.copyOut(ram, 0, this.hdr);
    const type = this.hdrView.getUint32(0, true);
    const sector = this.hdrView.getUint32(8, true) + this.hdrView.getUint32(12, true) * 0x100000000;
    const drive = this.drive;
    switch (type) {
      case VIRTIO_BLK_T_IN: {
        const n = c.writeLen - 1;
        if (n % SECTOR !== 0 || !this.inRange(sector, n)) return this.done(r, VIRTIO_BLK_S_IOERR, 0, true);
        // One guest buffer covers the data: read straight into guest RAM; otherwise scatter after.
        const i = c.readable;
        const direct = c.len[i] >= n;
        const buf = direct ? ram.subarray(c.off[i], c.off[i] + n) : new Uint8Array(n);
        this.io(r, () => drive.read(sector * SECTOR, buf), n, direct ? undefined : () => c.copyIn(ram, 0, buf));
        return;
      }
      case VIRTIO_BLK_T_OUT: {
        const n = c.readLen - 16;
        if (drive.readOnly || n % SECTOR !== 0 || !this.inRange(sector, n)) return this.done(r, VIRTIO_BLK_S_IOERR, 0, true);
        let data: Uint8Array;
        if (c.len[0] === 16 && c.readable > 1 && c.len[1] >= n) data = ram.subarray(c.off[1], c.off[1] + n);
        else if (c.len[0] >= 16 + n) data = ram.subarray(c.off[0] + 16, c.off[0] + 16 + n);
        else {
          data = new Uint8Array(n);
          c.copyOut(ram, 16, data);
        }
        this.io(r, () => drive.write(sector * SECTOR, data), 0);
        return;
      }
      case VIRTIO_BLK_T_FLUSH:
        this.io(r, () => drive.flush(), 0);
        return;
      case VIRTIO_BLK_T_GET_ID: {
        const n = c.copyIn(ram, 0, this.id.subarray(0, Math.min(ID_BYTES, c.writeLen - 1)));
        return this.done(r, VIRTIO_BLK_S_OK, n, true);
      }
      case VIRTIO_BLK_T_DISCARD:
      case VIRTIO_BLK_T_WRITE_ZEROES:
        return this.ranges(r, type === VIRTIO_BLK_T_DISCARD);
      default:
        return this.done(r, VIRTIO_BLK_S_UNSUPP, 0, true);
    }
  }

  /** §5.2.6: discard and write-zeroes carry an array of {le64 sector, le32 num_sectors, le32 flags}. */
  private ranges(r: Request, discard: boolean): void {
    const c = r.chain;
    const segs = (c.readLen - 16) / 16;
    if (this.drive.readOnly || !Number.isInteger(segs) || segs < 1 || segs > MAX_RANGE_SEGS) {
      return this.done(r, VIRTIO_BLK_S_IOERR, 0, true);
    }
    const list: number[] = [];
    for (let i = 0; i < segs; i++) {
      c.copyOut(this.t.mem.bytes, 16 + 16 * i, this.hdr);
      const sector = this.hdrView.getUint32(0, true) + this.hdrView.getUint32(4, true) * 0x100000000;
      const num = this.hdrView.getUint32(8, true);
      const flags = this.hdrView.getUint32(12, true);
      // §5.2.6.2: unknown flags, and unmap on a discard, are unsupported.
      if (flags & ~FLAG_UNMAP || (discard && flags & FLAG_UNMAP)) return this.done(r, VIRTIO_BLK_S_UNSUPP, 0, true);
      if (num > MAX_DISCARD_SECTORS || !this.inRange(sector, num * SECTOR)) return this.done(r, VIRTIO_BLK_S_IOERR, 0, true);
      list.push(sector * SECTOR, num * SECTOR);
    }
    const drive = this.drive;
    this.io(r, async () => {
      for (let i = 0; i < list.length; i += 2) {
        if (discard) await drive.discard(list[i], list[i + 1]);
        else await drive.writeZeroes(list[i], list[i + 1]);
      }
    }, 0);
  }

  private inRange(sector: number, bytes: number): boolean {
    return sector * SECTOR + bytes <= this.capacityBytes;
  }

  /** Runs a backend operation; `after` (copying data back) runs only if no reset intervened. */
  private io(r: Request, op: () => Promise<void>, dataLen: number, after?: () => void): void {
    let p: Promise<void>;
    try {
      p = op();
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(
      () => {
        if (r.gen === this.gen) after?.();
        this.done(r, VIRTIO_BLK_S_OK, dataLen, false);
      },
      (e: unknown) => {
        this.ioErrors.count++;
        this.t.log.warn(`virtio-blk: I/O error: ${e instanceof Error ? e.message : String(e)}`);
        this.done(r, VIRTIO_BLK_S_IOERR, 0, false);
      },
    );
  }

  /** Writes the status byte (the last device-writable byte, §5.2.6) and returns the chain. */
  private done(r: Request, status: number, dataLen: number, sync: boolean): void {
    if (r.gen === this.gen) {
      const c = r.chain;
      const last = c.count - 1;
      this.t.mem.bytes[c.off[last] + c.len[last] - 1] = status;
      this.t.push(r.queue, c.head, dataLen + 1);
      if (sync) this.syncDone = true;
      else {
        this.t.usedBuffers(r.queue);
        this.t.wake();
      }
    }
    this.release(r);
  }

  private release(r: Request): void {
    this.inFlight--;
    this.free.push(r);
  }

  /** Number of backend operations that failed (I/O errors reported to the guest). */
  get errorCount(): number {
    return this.ioErrors.count;
  }
}
