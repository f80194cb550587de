/**
 * An open qcow2 image's metadata: header, L1 table (kept in memory), L2 tables (LRU cache),
 * refcounts, the backing image, and the ordered write-back that keeps the file consistent
 * (qcow2.txt "Host cluster management": data and refcounts first, then L2 tables, then L1).
 */
import { BlockError, type BlockDriver } from '../block-driver.js';
import { readFull, type BackingOpener, type BlockFile } from '../block-file.js';
import { entryOffset, COPIED_HI, decodeL2, inflateCluster, type Mapping } from './cluster.js';
import { checkFeatures, HDR, parseHeader, setU64, type Qcow2Header } from './header.js';
import { L2Cache, type L2Table } from './l2-cache.js';
import { Refcounts } from './refcount.js';

export interface Qcow2Options {
  readOnly?: boolean;
  /** Opens the backing file named in the header; without it an image with a backing file fails. */
  openBacking?: BackingOpener;
  /** Bytes of L2 tables to cache (default 4 MiB, at least 16 tables). */
  l2CacheBytes?: number;
}

const UNALLOCATED: Mapping = { kind: 'unallocated', offset: 0, length: 0, copied: false };

export class Qcow2Image {
  readonly cs: number;
  readonly l2Entries: number;
  size: number;
  l1: number[] = [];
  readonly l1Dirty = new Set<number>();
  readonly refs: Refcounts;
  readonly cache: L2Cache;
  private lastInflated?: { offset: number; data: Uint8Array };

  private constructor(
    readonly file: BlockFile,
    readonly header: Qcow2Header,
    readonly readOnly: boolean,
    readonly backing: BlockDriver | undefined,
    cacheBytes: number,
  ) {
    this.cs = 2 ** header.clusterBits;
    this.l2Entries = this.cs / 8;
    this.size = header.size;
    this.refs = new Refcounts(file, header.clusterBits, header.refcountOrder, header.refcountTableOffset,
      header.refcountTableClusters);
    this.cache = new L2Cache(Math.max(16, Math.floor(cacheBytes / this.cs)), (t) => this.evict(t));
  }

  static async open(file: BlockFile, opts: Qcow2Options = {}): Promise<Qcow2Image> {
    const fileSize = await file.size();
    let first = new Uint8Array(Math.min(fileSize, 65536));
    await readFull(file, 0, first);
    const bits = first.length >= 24 ? new DataView(first.buffer).getUint32(20) : 0;
    if (bits > 16 && bits <= 21 && fileSize > first.length) {
      first = new Uint8Array(Math.min(fileSize, 2 ** bits));
      await readFull(file, 0, first);
    }
    const h = parseHeader(first, fileSize, file.name);
    const readOnly = (opts.readOnly ?? false) || file.readOnly;
    checkFeatures(h, file.name, readOnly);
    let backing: BlockDriver | undefined;
    if (h.backingFile !== undefined) {
      if (!opts.openBacking) throw new BlockError(`${file.name}: has a backing file '${h.backingFile}' but no way to open it`);
      backing = await opts.openBacking(h.backingFile, h.backingFormat);
    }
    const img = new Qcow2Image(file, h, readOnly, backing, opts.l2CacheBytes ?? 4 << 20);
    try {
      await img.load(fileSize);
    } catch (e) {
      await backing?.close();
      throw e;
    }
    return img;
  }

  private async load(fileSize: number): Promise<void> {
    const raw = new Uint8Array(this.header.l1Size * 8);
    await readFull(this.file, this.header.l1TableOffset, raw);
    const v = new DataView(raw.buffer);
    for (let i = 0; i < this.header.l1Size; i++) this.l1.push(entryOffset(v.getUint32(i * 8), v.getUint32(i * 8 + 4)));
    await this.refs.load(fileSize);
    // Spec "autoclear_features": a writer that does not support a bit must clear it (bitmaps become stale).
    if (!this.readOnly && this.header.version === 3 && this.header.autoclear !== 0n) {
      await this.file.write(HDR.autoclear, new Uint8Array(8));
      await this.file.sync();
      this.header.autoclear = 0n;
    }
  }

  fail(msg: string): never {
    throw new BlockError(`${this.file.name}: ${msg}`);
  }

  /** The L2 table covering guest offset `g`; with `create`, allocates a zeroed one if missing. */
  async l2For(g: number, create: boolean): Promise<L2Table | undefined> {
    const l1i = Math.floor(g / this.cs / this.l2Entries);
    const off = this.l1[l1i];
    if (!off) {
      if (!create) return undefined;
      const at = await this.refs.alloc(1);
      this.l1[l1i] = at;
      this.l1Dirty.add(l1i);
      return this.cache.insert(at, new Uint8Array(this.cs), true);
    }
    if (off % this.cs !== 0) this.fail(`corrupt L1 entry ${l1i}: L2 table offset ${off} is not cluster aligned`);
    return this.cache.get(off, async () => {
      const t = new Uint8Array(this.cs);
      await readFull(this.file, off, t);
      return t;
    });
  }

  l2Index(g: number): number {
    return Math.floor(g / this.cs) % this.l2Entries;
  }

  /** Where guest offset `g`'s cluster lives. */
  async mapping(g: number): Promise<Mapping> {
    const t = await this.l2For(g, false);
    if (!t) return UNALLOCATED;
    const m = decodeL2(t.view, this.l2Index(g), this.header.clusterBits);
    if ((m.kind === 'normal' || m.kind === 'zero-alloc') && m.offset % this.cs !== 0) {
      this.fail(`corrupt L2 entry for guest offset ${g}: cluster offset ${m.offset} is not aligned`);
    }
    if (this.header.version === 2 && (m.kind === 'zero' || m.kind === 'zero-alloc')) {
      this.fail(`corrupt L2 entry for guest offset ${g}: zero flag in a version 2 image`);
    }
    return m;
  }

  /** Reads from the backing image; past its end (or without one) the disk reads as zeros. */
  async readBacking(g: number, dst: Uint8Array): Promise<void> {
    const b = this.backing;
    const n = b ? Math.max(0, Math.min(dst.length, b.size - g)) : 0;
    if (n > 0) await b!.read(g, dst.subarray(0, n));
    dst.fill(0, n);
  }

  async inflate(m: Mapping): Promise<Uint8Array> {
    if (this.lastInflated?.offset === m.offset) return this.lastInflated.data;
    const raw = new Uint8Array(m.length);
    await readFull(this.file, m.offset, raw);
    let data: Uint8Array;
    try {
      data = await inflateCluster(raw, this.cs);
    } catch {
      this.fail(`compressed cluster at ${m.offset} is corrupt`);
    }
    this.lastInflated = { offset: m.offset, data };
    return data;
  }

  /** The whole current content of the guest cluster starting at `g` (for copy-on-write). */
  async clusterContent(g: number, m: Mapping): Promise<Uint8Array> {
    const buf = new Uint8Array(this.cs);
    if (m.kind === 'unallocated') await this.readBacking(g, buf);
    else if (m.kind === 'normal') await readFull(this.file, m.offset, buf);
    else if (m.kind === 'compressed') buf.set(await this.inflate(m));
    return buf;
  }

  forgetInflated(): void {
    this.lastInflated = undefined;
  }

  /** An evicted dirty L2 table: the refcounts (and data) it depends on go to disk first. */
  private async evict(t: L2Table): Promise<void> {
    await this.refs.writeDirty();
    await this.file.sync();
    await this.file.write(t.offset, t.data);
  }

  get metadataDirty(): boolean {
    return this.refs.isDirty || this.l1Dirty.size > 0 || this.refs.hasFrees || this.cache.dirtyTables().length > 0;
  }

  /**
   * Makes everything durable in the crash-safe order: refcount increments and data, sync; L2
   * tables, sync; L1 entries, sync; then the queued refcount decrements (a crash before them only
   * leaks clusters).
   */
  async flushMetadata(): Promise<void> {
    const l2s = this.cache.dirtyTables();
    await this.refs.writeDirty();
    if (l2s.length > 0 || this.l1Dirty.size > 0) {
      await this.file.sync();
      for (const t of l2s) {
        await this.file.write(t.offset, t.data);
        t.dirty = false;
      }
    }
    if (this.l1Dirty.size > 0) {
      await this.file.sync();
      await this.writeL1Entries([...this.l1Dirty]);
      this.l1Dirty.clear();
    }
    if (this.refs.hasFrees) {
      await this.file.sync();
      await this.refs.applyFrees();
      await this.refs.writeDirty();
    }
    await this.file.sync();
  }

  private async writeL1Entries(indexes: number[]): Promise<void> {
    indexes.sort((a, b) => a - b);
    for (let i = 0; i < indexes.length;) {
      let j = i + 1;
      while (j < indexes.length && indexes[j] === indexes[j - 1] + 1) j++;
      const first = indexes[i];
      const raw = new Uint8Array((j - i) * 8);
      const v = new DataView(raw.buffer);
      for (let k = first; k < first + (j - i); k++) this.encodeL1(v, (k - first) * 8, this.l1[k]);
      await this.file.write(this.header.l1TableOffset + first * 8, raw);
      i = j;
    }
  }

  private encodeL1(v: DataView, at: number, off: number): void {
    setU64(v, at, off);
    if (off) v.setUint32(at, (v.getUint32(at) | COPIED_HI) >>> 0);
  }

  /** Grows the virtual size (spec: a bigger L1 table is written first, then the header points to it). */
  async grow(newSize: number): Promise<void> {
    if (newSize < this.size) this.fail('shrinking a qcow2 image is not supported');
    await this.flushMetadata();
    const need = Math.ceil(newSize / this.cs / this.l2Entries);
    if (need > this.l1.length) {
      const clusters = Math.ceil((need * 8) / this.cs);
      const at = await this.refs.alloc(clusters);
      while (this.l1.length < need) this.l1.push(0);
      const raw = new Uint8Array(clusters * this.cs);
      const v = new DataView(raw.buffer);
      this.l1.forEach((off, i) => this.encodeL1(v, i * 8, off));
      await this.refs.writeDirty();
      await this.file.write(at, raw);
      await this.file.sync();
      const hdr = new Uint8Array(12);
      const hv = new DataView(hdr.buffer);
      hv.setUint32(0, need);
      setU64(hv, 4, at);
      await this.file.write(HDR.l1Size, hdr);
      await this.file.sync();
      const old = this.header.l1TableOffset;
      const oldClusters = Math.ceil((this.header.l1Size * 8) / this.cs);
      for (let i = 0; i < oldClusters; i++) this.refs.deferFree(old + i * this.cs);
      this.header.l1TableOffset = at;
      this.header.l1Size = need;
    }
    const sz = new Uint8Array(8);
    setU64(new DataView(sz.buffer), 0, newSize);
    await this.file.write(HDR.size, sz);
    this.size = newSize;
    this.header.size = newSize;
    await this.flushMetadata();
  }
}
