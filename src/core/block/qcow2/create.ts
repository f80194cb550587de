/**
 * Creating qcow2 images (the layout QEMU's qemu-img writes): header cluster, refcount table,
 * refcount block(s), then the L1 table, all with refcount 1; no data clusters.
 */
import { BlockError } from '../block-driver.js';
import { type BlockFile } from '../block-file.js';
import { buildHeader, setU64 } from './header.js';
import { writeEntry } from './refcount.js';

export interface Qcow2CreateOptions {
  size: number;
  /** 2 for compat=0.10, 3 for compat=1.1 (default). */
  version?: 2 | 3;
  clusterSize?: number;
  /** refcount width in bits (v3 only; v2 is always 16). */
  refcountBits?: number;
  lazyRefcounts?: boolean;
  backingFile?: string;
  backingFormat?: string;
}

export function clusterBitsOf(clusterSize: number): number {
  const bits = Math.log2(clusterSize);
  if (!Number.isInteger(bits) || bits < 9 || bits > 21) {
    throw new BlockError('Cluster size must be a power of two between 512 and 2048k');
  }
  return bits;
}

/** Writes a new empty qcow2 image into `file` (which should be empty). */
export async function createQcow2(file: BlockFile, o: Qcow2CreateOptions): Promise<void> {
  const version = o.version ?? 3;
  const clusterBits = clusterBitsOf(o.clusterSize ?? 65536);
  const cs = 2 ** clusterBits;
  const refcountBits = o.refcountBits ?? 16;
  const refcountOrder = Math.log2(refcountBits);
  if (!Number.isInteger(refcountOrder) || refcountOrder < 0 || refcountOrder > 6) {
    throw new BlockError('Refcount width must be a power of two and may not exceed 64 bits');
  }
  if (version === 2 && refcountBits !== 16) throw new BlockError('Different refcount widths than 16 bits require compatibility level 1.1 or above (use compat=1.1 or greater)');
  if (version === 2 && o.lazyRefcounts) throw new BlockError('Lazy refcounts only supported with compatibility level 1.1 and above (use compat=1.1 or greater)');
  if (!Number.isSafeInteger(o.size) || o.size < 0) throw new BlockError(`invalid image size ${o.size}`);
  const size = Math.ceil(o.size / 512) * 512; // as qemu-img: whole 512-byte sectors
  const l1Size = Math.ceil(size / cs / (cs / 8));
  const l1Clusters = Math.max(1, Math.ceil((l1Size * 8) / cs));
  const perBlock = (cs * 8) / refcountBits;
  // Solve for the number of refcount blocks and table clusters needed to count every cluster.
  let blocks = 1;
  let tableClusters = 1;
  for (;;) {
    const total = 1 + tableClusters + blocks + l1Clusters;
    const b = Math.ceil(total / perBlock);
    const t = Math.ceil((b * 8) / cs);
    if (b <= blocks && t <= tableClusters) break;
    blocks = Math.max(blocks, b);
    tableClusters = Math.max(tableClusters, t);
  }
  const tableAt = cs;
  const blocksAt = tableAt + tableClusters * cs;
  const l1At = blocksAt + blocks * cs;
  const total = 1 + tableClusters + blocks + l1Clusters;
  const header = buildHeader({
    version, clusterBits, size, l1Size, l1TableOffset: l1At, refcountTableOffset: tableAt,
    refcountTableClusters: tableClusters, refcountOrder, lazyRefcounts: o.lazyRefcounts,
    backingFile: o.backingFile, backingFormat: o.backingFormat,
  });
  const body = new Uint8Array((total - 1) * cs);
  const tv = new DataView(body.buffer);
  for (let i = 0; i < blocks; i++) setU64(tv, i * 8, blocksAt + i * cs);
  for (let c = 0; c < total; c++) {
    const block = Math.floor(c / perBlock);
    const at = blocksAt - cs + block * cs; // body starts at offset cs
    writeEntry(body.subarray(at, at + cs), c % perBlock, refcountBits, 1);
  }
  await file.truncate(0);
  await file.write(cs, body);
  await file.write(0, header);
  await file.sync();
}
