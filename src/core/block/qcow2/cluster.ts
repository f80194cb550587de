/**
 * L1/L2 entry encoding (qcow2.txt "Cluster mapping") and compressed cluster decoding.
 *
 * L1 entry: bits 9-55 L2 table offset, bit 63 "copied" (refcount is exactly 1).
 * L2 entry: bit 63 copied, bit 62 compressed. Standard descriptor: bit 0 reads-as-zero (v3),
 * bits 9-55 host cluster offset (0 = unallocated). Compressed descriptor (x = 62 - (cluster_bits
 * - 8)): bits 0..x-1 host byte offset, bits x..61 additional 512-byte sectors beyond the first.
 */
import { BlockError } from '../block-driver.js';

export const COPIED_HI = 0x8000_0000;
export const COMPRESSED_HI = 0x4000_0000;
const OFFSET_HI_MASK = 0x00ff_ffff; // bits 32-55 of an offset field

export type ClusterKind = 'unallocated' | 'zero' | 'zero-alloc' | 'normal' | 'compressed';

export interface Mapping {
  kind: ClusterKind;
  /** Host offset: cluster-aligned for normal/zero-alloc, a byte offset for compressed. */
  offset: number;
  /** Compressed: bytes to read starting at offset (sector-granular, may include unrelated bytes). */
  length: number;
  copied: boolean;
}

/** Offset field of an L1 entry or standard L2 entry (bits 9-55). */
export function entryOffset(hi: number, lo: number): number {
  return (hi & OFFSET_HI_MASK) * 0x1_0000_0000 + ((lo & ~0x1ff) >>> 0);
}

export function decodeL2(v: DataView, index: number, clusterBits: number): Mapping {
  const hi = v.getUint32(index * 8);
  const lo = v.getUint32(index * 8 + 4);
  const copied = (hi & COPIED_HI) !== 0;
  if (hi & COMPRESSED_HI) {
    const e = (BigInt(hi) << 32n) | BigInt(lo);
    const x = BigInt(62 - (clusterBits - 8));
    const offset = Number(e & ((1n << x) - 1n));
    const sectors = Number((e >> x) & ((1n << BigInt(clusterBits - 8)) - 1n));
    return { kind: 'compressed', offset, length: (sectors + 1) * 512 - (offset % 512), copied };
  }
  const offset = entryOffset(hi, lo);
  if (lo & 1) return { kind: offset ? 'zero-alloc' : 'zero', offset, length: 0, copied };
  return { kind: offset ? 'normal' : 'unallocated', offset, length: 0, copied };
}

/** Writes a standard L2 entry (copied flag set when the cluster is allocated: refcount 1). */
export function encodeL2(v: DataView, index: number, offset: number, zero: boolean): void {
  const hi = Math.floor(offset / 0x1_0000_0000);
  v.setUint32(index * 8, offset ? (hi | COPIED_HI) >>> 0 : 0);
  v.setUint32(index * 8 + 4, (offset >>> 0) | (zero ? 1 : 0));
}

/** Host clusters a compressed cluster's data touches (each holds one reference per user). */
export function compressedClusters(m: Mapping, clusterSize: number): number[] {
  const out: number[] = [];
  const first = Math.floor(m.offset / clusterSize);
  const last = Math.floor((m.offset + m.length - 1) / clusterSize);
  for (let c = first; c <= last; c++) out.push(c * clusterSize);
  return out;
}

/**
 * Inflates one compressed cluster (raw deflate, spec "compression_type" 0). The input is sector
 * rounded and may run into the next compressed cluster, so output is taken up to the cluster size
 * and anything after the end of the deflate stream is ignored.
 */
export async function inflateCluster(input: Uint8Array, clusterSize: number): Promise<Uint8Array> {
  const out = new Uint8Array(clusterSize);
  let got = 0;
  const ds = new DecompressionStream('deflate-raw');
  const writer = ds.writable.getWriter();
  const reader = ds.readable.getReader();
  const feeding = writer.write(input as Uint8Array<ArrayBuffer>).then(() => writer.close()).catch(() => undefined);
  try {
    while (got < clusterSize) {
      const { done, value } = await reader.read();
      if (done) break;
      const n = Math.min(value.length, clusterSize - got);
      out.set(value.subarray(0, n), got);
      got += n;
    }
  } catch {
    // Trailing bytes after the stream end may raise an error once the output is complete.
  }
  void reader.cancel().catch(() => undefined);
  void feeding;
  if (got < clusterSize) throw new BlockError('compressed cluster does not inflate to a whole cluster');
  return out;
}
