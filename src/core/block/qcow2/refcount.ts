/**
 * Cluster reference counts (qcow2.txt "Host cluster management"): a refcount table of 64-bit
 * refcount block offsets, each refcount block one cluster of 2^refcount_order-bit entries.
 *
 * Allocation appends at the end of the file. Crash-safety rules (the spec's consistency model):
 * increments reach the disk before any L2/L1 entry that points at the cluster (the driver calls
 * writeDirty() + sync before writing L2 tables); decrements are queued (deferFree) and applied only
 * after the mapping that dropped the cluster is on disk, so a crash leaves leaks, never a cluster
 * with refcount 0 still in use. New refcount blocks and a grown refcount table are written and
 * synced before the pointer to them (table entry, header) is.
 */
import { BlockError } from '../block-driver.js';
import { readFull, type BlockFile } from '../block-file.js';
import { HDR, setU64 } from './header.js';

export class Refcounts {
  readonly cs: number;
  readonly bits: number;
  readonly max: number;
  /** Entries per refcount block. */
  readonly perBlock: number;
  table: number[] = [];
  private blocks = new Map<number, Uint8Array>();
  private dirty = new Set<number>();
  private frees: number[] = [];
  /** The first cluster offset past everything allocated: the append point. */
  nextFree = 0;

  constructor(
    private readonly file: BlockFile,
    clusterBits: number,
    refcountOrder: number,
    public tableOffset: number,
    public tableClusters: number,
  ) {
    this.cs = 2 ** clusterBits;
    this.bits = 2 ** refcountOrder;
    this.max = 2 ** this.bits - 1;
    this.perBlock = (this.cs * 8) / this.bits;
  }

  /** Reads the refcount table; fileSize sets the append point. */
  async load(fileSize: number): Promise<void> {
    const raw = new Uint8Array(this.tableClusters * this.cs);
    await readFull(this.file, this.tableOffset, raw);
    const v = new DataView(raw.buffer);
    this.table = [];
    for (let i = 0; i < raw.length; i += 8) {
      // Bits 0-8 are reserved (spec: refcount table entry); mask them off.
      this.table.push(v.getUint32(i) * 0x1_0000_0000 + ((v.getUint32(i + 4) & ~0x1ff) >>> 0));
    }
    this.nextFree = Math.ceil(fileSize / this.cs) * this.cs;
  }

  private async block(index: number): Promise<Uint8Array | undefined> {
    let b = this.blocks.get(index);
    if (b) return b;
    const off = this.table[index];
    if (!off) return undefined;
    b = new Uint8Array(this.cs);
    await readFull(this.file, off, b);
    this.blocks.set(index, b);
    return b;
  }

  /** Refcount of the cluster containing host offset `off` (0 when no refcount block covers it). */
  async get(off: number): Promise<number> {
    const c = Math.floor(off / this.cs);
    const b = await this.block(Math.floor(c / this.perBlock));
    return b ? readEntry(b, c % this.perBlock, this.bits) : 0;
  }

  private async set(off: number, value: number): Promise<void> {
    const c = Math.floor(off / this.cs);
    const index = Math.floor(c / this.perBlock);
    const b = await this.block(index);
    if (!b) throw new BlockError(`${this.file.name}: no refcount block for cluster ${c}`);
    writeEntry(b, c % this.perBlock, this.bits, value);
    this.dirty.add(index);
  }

  /** Adds `delta` to the refcount of the cluster at `off` (the refcount block must exist). */
  async adjust(off: number, delta: number): Promise<void> {
    const r = (await this.get(off)) + delta;
    if (r < 0 || r > this.max) {
      throw new BlockError(`${this.file.name}: refcount of cluster ${Math.floor(off / this.cs)} out of range`);
    }
    await this.set(off, r);
  }

  /** Allocates n contiguous clusters at the end of the image, refcount 1 each; returns the offset. */
  async alloc(n: number): Promise<number> {
    for (;;) {
      const start = this.nextFree;
      const first = Math.floor(start / this.cs / this.perBlock);
      const last = Math.floor((start / this.cs + n - 1) / this.perBlock);
      let missing = -1;
      for (let i = first; i <= last && missing < 0; i++) if (!this.table[i]) missing = i;
      if (missing >= 0) {
        await this.newBlock(missing);
        continue;
      }
      let busy = -1; // clusters past the end of file may still carry a refcount (leaked, preallocated)
      for (let i = 0; i < n && busy < 0; i++) if ((await this.get(start + i * this.cs)) !== 0) busy = i;
      if (busy >= 0) {
        this.nextFree = start + (busy + 1) * this.cs;
        continue;
      }
      for (let i = 0; i < n; i++) await this.set(start + i * this.cs, 1);
      this.nextFree = start + n * this.cs;
      return start;
    }
  }

  /** Creates refcount block `index`; it sits at the append point and counts itself if it can. */
  private async newBlock(index: number): Promise<void> {
    if (index >= this.table.length) {
      await this.growTable(index);
      return;
    }
    const off = this.nextFree;
    this.nextFree += this.cs;
    const b = new Uint8Array(this.cs);
    const self = off / this.cs;
    const selfIndex = Math.floor(self / this.perBlock);
    if (selfIndex === index) writeEntry(b, self % this.perBlock, this.bits, 1);
    await this.file.write(off, b);
    this.blocks.set(index, b);
    if (selfIndex !== index) {
      if (!this.table[selfIndex]) await this.newBlock(selfIndex);
      await this.adjust(off, 1);
      await this.writeDirty();
    }
    await this.file.sync();
    const e = new Uint8Array(8);
    setU64(new DataView(e.buffer), 0, off);
    await this.file.write(this.tableOffset + index * 8, e);
    await this.file.sync();
    this.table[index] = off;
  }

  /**
   * Moves the refcount table to a bigger one at the end of the file (with the refcount blocks
   * needed to count the new clusters), then switches the header to it with one 12-byte write.
   */
  private async growTable(needIndex: number): Promise<void> {
    const entriesPerCluster = this.cs / 8;
    const tableAt = this.nextFree;
    const endCluster = tableAt / this.cs + 2 * this.tableClusters + 8; // a generous upper bound
    const need = Math.max(needIndex, Math.floor(endCluster / this.perBlock)) + 2;
    const clusters = Math.max(this.tableClusters * 2, Math.ceil(need / entriesPerCluster));
    this.nextFree += clusters * this.cs;
    const oldOffset = this.tableOffset;
    const oldClusters = this.tableClusters;
    while (this.table.length < clusters * entriesPerCluster) this.table.push(0);
    // Refcount blocks for the new table and themselves, built in memory and written before the switch.
    const cover = async (off: number): Promise<void> => {
      const index = Math.floor(off / this.cs / this.perBlock);
      if (!this.table[index]) {
        const at = this.nextFree;
        this.nextFree += this.cs;
        this.table[index] = at;
        this.blocks.set(index, new Uint8Array(this.cs));
        await cover(at);
      }
      await this.adjust(off, 1);
    };
    for (let i = 0; i < clusters; i++) await cover(tableAt + i * this.cs);
    await this.writeDirty();
    const raw = new Uint8Array(clusters * this.cs);
    const v = new DataView(raw.buffer);
    this.table.forEach((off, i) => setU64(v, i * 8, off));
    await this.file.write(tableAt, raw);
    await this.file.sync();
    const hdr = new Uint8Array(12);
    const hv = new DataView(hdr.buffer);
    setU64(hv, 0, tableAt);
    hv.setUint32(8, clusters);
    await this.file.write(HDR.refcountTableOffset, hdr);
    await this.file.sync();
    this.tableOffset = tableAt;
    this.tableClusters = clusters;
    for (let i = 0; i < oldClusters; i++) this.deferFree(oldOffset + i * this.cs);
  }

  /** Queues a decrement for the cluster at `off`, applied by applyFrees() once the mapping is on disk. */
  deferFree(off: number): void {
    this.frees.push(off);
  }

  get hasFrees(): boolean {
    return this.frees.length > 0;
  }

  async applyFrees(): Promise<void> {
    const frees = this.frees;
    this.frees = [];
    for (const off of frees) await this.adjust(off, -1);
  }

  get isDirty(): boolean {
    return this.dirty.size > 0;
  }

  /** Writes the modified refcount blocks (not synced). */
  async writeDirty(): Promise<void> {
    for (const index of [...this.dirty].sort((a, b) => a - b)) {
      this.dirty.delete(index);
      await this.file.write(this.table[index], this.blocks.get(index)!);
    }
  }
}

/** Reads refcount entry i of a block (spec: sub-byte widths are packed from the low bit up). */
export function readEntry(b: Uint8Array, i: number, bits: number): number {
  switch (bits) {
    case 64: return Number(new DataView(b.buffer, b.byteOffset).getBigUint64(i * 8));
    case 32: return ((b[i * 4] << 24) | (b[i * 4 + 1] << 16) | (b[i * 4 + 2] << 8) | b[i * 4 + 3]) >>> 0;
    case 16: return (b[i * 2] << 8) | b[i * 2 + 1];
    case 8: return b[i];
    default: {
      const bit = i * bits;
      return (b[bit >> 3] >> (bit & 7)) & ((1 << bits) - 1);
    }
  }
}

export function writeEntry(b: Uint8Array, i: number, bits: number, value: number): void {
  switch (bits) {
    case 64: new DataView(b.buffer, b.byteOffset).setBigUint64(i * 8, BigInt(value)); return;
    case 32: new DataView(b.buffer, b.byteOffset).setUint32(i * 4, value); return;
    case 16: b[i * 2] = value >> 8; b[i * 2 + 1] = value & 0xff; return;
    case 8: b[i] = value; return;
    default: {
      const bit = i * bits;
      const mask = ((1 << bits) - 1) << (bit & 7);
      b[bit >> 3] = (b[bit >> 3] & ~mask) | ((value << (bit & 7)) & mask);
    }
  }
}
