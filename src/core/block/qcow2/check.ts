/**
 * Consistency check of a qcow2 image, as `qemu-img check` does it: count the references every
 * cluster should have (header, L1 and L2 tables, data and compressed clusters, refcount table and
 * blocks, snapshot tables), compare with the stored refcounts (qcow2.txt "Host cluster management"),
 * and verify the "copied" flags (refcount exactly 1). Messages follow qemu-img's wording.
 */
import { readFull, type BlockFile } from '../block-file.js';
import { decodeL2, entryOffset } from './cluster.js';
import { getU64, parseHeader } from './header.js';
import { Refcounts } from './refcount.js';

export interface CheckResult {
  corruptions: number;
  leaks: number;
  checkErrors: number;
  totalClusters: number;
  allocatedClusters: number;
  fragmentedClusters: number;
  compressedClusters: number;
  imageEndOffset: number;
  /** The per-problem lines qemu-img writes to stderr. */
  messages: string[];
}

const hex = (x: number) => x.toString(16);

export async function checkQcow2(file: BlockFile): Promise<CheckResult> {
  const fileSize = await file.size();
  const first = new Uint8Array(Math.min(fileSize, 2 << 20));
  await readFull(file, 0, first);
  const h = parseHeader(first, fileSize, file.name);
  const cs = 2 ** h.clusterBits;
  const refs = new Refcounts(file, h.clusterBits, h.refcountOrder, h.refcountTableOffset, h.refcountTableClusters);
  await refs.load(fileSize);
  const r: CheckResult = {
    corruptions: 0, leaks: 0, checkErrors: 0, totalClusters: Math.ceil(Math.ceil(h.size / 512) * 512 / cs),
    allocatedClusters: 0, fragmentedClusters: 0, compressedClusters: 0, imageEndOffset: 0, messages: [],
  };
  const say = (m: string) => r.messages.push(m);
  const counted: number[] = [];

  /** Adds one reference to each cluster of [offset, offset + size) (qemu: inc_refcounts). */
  const ref = (offset: number, size: number): boolean => {
    if (size <= 0) return true;
    if (offset + size - fileSize >= cs) {
      say(`ERROR: counting reference for region exceeding the end of the file by one cluster or more: offset 0x${hex(offset)} size 0x${hex(size)}`);
      r.corruptions++;
      return false;
    }
    const last = Math.floor((offset + size - 1) / cs);
    for (let c = Math.floor(offset / cs); c <= last; c++) counted[c] = (counted[c] ?? 0) + 1;
    return true;
  };

  const readL1 = async (offset: number, n: number): Promise<number[][]> => {
    const raw = new Uint8Array(n * 8);
    await readFull(file, offset, raw);
    const v = new DataView(raw.buffer);
    const out: number[][] = [];
    for (let i = 0; i < n; i++) out.push([v.getUint32(i * 8), v.getUint32(i * 8 + 4)]);
    return out;
  };

  /** The references of one L1 table and its L2 tables; `stats` for the active one only. */
  const walk = async (l1Offset: number, l1Size: number, stats: boolean) => {
    ref(l1Offset, l1Size * 8);
    let next = 0;
    for (const [hi, lo] of await readL1(l1Offset, l1Size)) {
      const l2 = entryOffset(hi, lo);
      if (!l2) continue;
      if (l2 % cs !== 0) {
        say(`ERROR l2_offset=${hex(l2)}: Table is not cluster aligned; L1 entry corrupted`);
        r.corruptions++;
        continue;
      }
      if (!ref(l2, cs)) continue;
      const t = new Uint8Array(cs);
      await readFull(file, l2, t);
      const v = new DataView(t.buffer);
      for (let i = 0; i < cs / 8; i++) {
        const m = decodeL2(v, i, h.clusterBits);
        if (m.kind === 'compressed') {
          if (m.copied) {
            say(`ERROR: coffset=0x${hex(m.offset)}: copied flag must never be set for compressed clusters`);
            r.corruptions++;
          }
          if (stats) {
            r.allocatedClusters++;
            r.compressedClusters++;
            r.fragmentedClusters++;
          }
          ref(m.offset, m.length);
        } else if (m.kind === 'normal' || m.kind === 'zero-alloc') {
          if (stats) {
            r.allocatedClusters++;
            if (next && m.offset !== next) r.fragmentedClusters++;
            next = m.offset + cs;
          }
          if (m.offset % cs !== 0) {
            say(`ERROR offset=${hex(m.offset)}: ${m.kind === 'normal' ? 'Data' : 'Preallocated'} cluster is not properly aligned; L2 entry corrupted.`);
            r.corruptions++;
          }
          ref(m.offset, cs); // an unaligned entry counts both clusters it straddles, as qemu does
        }
      }
    }
  };

  ref(0, cs);
  await walk(h.l1TableOffset, h.l1Size, true);
  if (h.nbSnapshots > 0) await walkSnapshots(file, h.snapshotsOffset, h.nbSnapshots, ref, walk);
  ref(h.refcountTableOffset, h.refcountTableClusters * cs);
  for (let i = 0; i < refs.table.length; i++) {
    const off = refs.table[i];
    if (!off) continue;
    if (off % cs !== 0) {
      say(`ERROR refcount block ${i} is not cluster aligned; refcount table entry corrupted`);
      r.corruptions++;
      refs.table[i] = 0;
    } else if (off >= fileSize) {
      say(`ERROR refcount block ${i} is outside image`);
      r.corruptions++;
      refs.table[i] = 0;
    } else {
      ref(off, cs);
      if (counted[off / cs] !== 1) {
        say(`ERROR refcount block ${i} refcount=${counted[off / cs]}`);
        r.corruptions++;
      }
    }
  }

  // Compare (qemu: compare_refcounts), over the file's clusters and any referenced past them.
  const nb = Math.max(Math.ceil(fileSize / cs), counted.length);
  let highest = -1;
  for (let c = 0; c < nb; c++) {
    const disk = await refs.get(c * cs);
    const want = counted[c] ?? 0;
    if (disk > 0 || want > 0) highest = c;
    if (disk === want) continue;
    if (disk < want) {
      say(`ERROR cluster ${c} refcount=${disk} reference=${want}`);
      r.corruptions++;
    } else {
      say(`Leaked cluster ${c} refcount=${disk} reference=${want}`);
      r.leaks++;
    }
  }
  r.imageEndOffset = (highest + 1) * cs;

  // The copied flags of the active tables (qemu: check_oflag_copied).
  let l1i = 0;
  for (const [hi, lo] of await readL1(h.l1TableOffset, h.l1Size)) {
    const l2 = entryOffset(hi, lo);
    const index = l1i++;
    if (!l2 || l2 % cs !== 0) continue;
    const rc = await refs.get(l2);
    const entry = (BigInt(hi) << 32n) | BigInt(lo);
    if ((rc === 1) !== ((hi & 0x8000_0000) !== 0)) {
      say(`ERROR OFLAG_COPIED L2 cluster: l1_index=${index} l1_entry=${entry.toString(16)} refcount=${rc}`);
      r.corruptions++;
    }
    if (l2 >= fileSize) continue;
    const t = new Uint8Array(cs);
    await readFull(file, l2, t);
    const v = new DataView(t.buffer);
    for (let i = 0; i < cs / 8; i++) {
      const m = decodeL2(v, i, h.clusterBits);
      if (m.kind !== 'normal' && m.kind !== 'zero-alloc') continue;
      const drc = await refs.get(m.offset - (m.offset % cs));
      if ((drc === 1) !== m.copied) {
        const e = (BigInt(v.getUint32(i * 8)) << 32n) | BigInt(v.getUint32(i * 8 + 4));
        say(`ERROR OFLAG_COPIED data cluster: l2_entry=${e.toString(16)} refcount=${drc}`);
        r.corruptions++;
      }
    }
  }
  return r;
}

/** Spec "Snapshots": the snapshot table and each snapshot's L1 table (and its L2 tables). */
async function walkSnapshots(file: BlockFile, offset: number, n: number, ref: (o: number, s: number) => boolean,
  walk: (l1: number, size: number, stats: boolean) => Promise<void>): Promise<void> {
  const heads: [number, number][] = [];
  let pos = offset;
  for (let i = 0; i < n; i++) {
    const fixed = new Uint8Array(40);
    await readFull(file, pos, fixed);
    const v = new DataView(fixed.buffer);
    heads.push([getU64(v, 0), v.getUint32(8)]);
    const idLen = v.getUint16(12);
    const nameLen = v.getUint16(14);
    const extra = v.getUint32(36);
    pos += 40 + extra + idLen + nameLen;
    pos = Math.ceil(pos / 8) * 8;
  }
  ref(offset, pos - offset);
  for (const [l1, size] of heads) await walk(l1, size, false);
}
