/**
 * The qcow2 header (QEMU docs/interop/qcow2.txt, "Header" and "Header extensions"): parsing,
 * validation, feature-bit policy and serialisation for new images. All fields are big-endian.
 */
import { BlockError } from '../block-driver.js';

export const QCOW2_MAGIC = 0x514649fb; // "QFI\xfb"

/** Byte offsets of the header fields that are rewritten in place. */
export const HDR = {
  size: 24,
  l1Size: 36, // l1_size (u32) and l1_table_offset (u64) are adjacent: one 12-byte write moves the table
  refcountTableOffset: 48, // refcount_table_offset (u64) + refcount_table_clusters (u32): 12 bytes
  incompatible: 72,
  autoclear: 88,
} as const;

/** Incompatible feature bits (spec: bytes 72-79). */
export const INCOMPAT_DIRTY = 1n << 0n;
export const INCOMPAT_CORRUPT = 1n << 1n;
export const INCOMPAT_DATA_FILE = 1n << 2n;
export const INCOMPAT_COMPRESSION = 1n << 3n;
export const INCOMPAT_EXTL2 = 1n << 4n;
const INCOMPAT_KNOWN = INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_DATA_FILE | INCOMPAT_COMPRESSION | INCOMPAT_EXTL2;
/** Compatible feature bit 0: lazy refcounts. */
export const COMPAT_LAZY_REFCOUNTS = 1n << 0n;

/** Header extension types (spec: "Header extensions"). */
export const EXT_END = 0;
export const EXT_BACKING_FORMAT = 0xe2792aca;
export const EXT_FEATURE_NAMES = 0x6803f857;
export const EXT_BITMAPS = 0x23852875;
export const EXT_CRYPTO = 0x0537be77;
export const EXT_DATA_FILE = 0x44415441;

export interface Qcow2Header {
  version: 2 | 3;
  backingFileOffset: number;
  backingFileSize: number;
  clusterBits: number;
  size: number;
  cryptMethod: number;
  l1Size: number;
  l1TableOffset: number;
  refcountTableOffset: number;
  refcountTableClusters: number;
  nbSnapshots: number;
  snapshotsOffset: number;
  incompatible: bigint;
  compatible: bigint;
  autoclear: bigint;
  refcountOrder: number;
  headerLength: number;
  compressionType: number;
  backingFile?: string;
  backingFormat?: string;
  /** Feature name table entries, keyed "type:bit" (type 0 incompatible, 1 compatible, 2 autoclear). */
  featureNames: Map<string, string>;
}

export function getU64(v: DataView, off: number): number {
  return v.getUint32(off) * 0x1_0000_0000 + v.getUint32(off + 4);
}

export function setU64(v: DataView, off: number, value: number): void {
  v.setUint32(off, Math.floor(value / 0x1_0000_0000));
  v.setUint32(off + 4, value >>> 0);
}

const text = new TextDecoder();

/**
 * Parses and validates the first cluster of an image (header, extensions and backing file name
 * must all lie in it, spec "Header" / "Header extensions"). `buf` holds at least 4 KiB or the whole
 * first cluster; `fileSize` bounds the table offsets.
 */
export function parseHeader(buf: Uint8Array, fileSize: number, name: string): Qcow2Header {
  const fail = (msg: string): never => { throw new BlockError(`${name}: ${msg}`); };
  if (buf.length < 72) fail('not a qcow2 image (file too short)');
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (v.getUint32(0) !== QCOW2_MAGIC) fail('not a qcow2 image (bad magic)');
  const version = v.getUint32(4);
  if (version !== 2 && version !== 3) fail(`unsupported qcow2 version ${version}`);
  const clusterBits = v.getUint32(20);
  if (clusterBits < 9 || clusterBits > 21) fail(`cluster_bits ${clusterBits} out of range (9 to 21)`);
  const cs = 2 ** clusterBits;
  const h: Qcow2Header = {
    version: version as 2 | 3,
    backingFileOffset: getU64(v, 8),
    backingFileSize: v.getUint32(16),
    clusterBits,
    size: getU64(v, 24),
    cryptMethod: v.getUint32(32),
    l1Size: v.getUint32(36),
    l1TableOffset: getU64(v, 40),
    refcountTableOffset: getU64(v, 48),
    refcountTableClusters: v.getUint32(56),
    nbSnapshots: v.getUint32(60),
    snapshotsOffset: getU64(v, 64),
    incompatible: 0n,
    compatible: 0n,
    autoclear: 0n,
    refcountOrder: 4,
    headerLength: 72,
    compressionType: 0,
    featureNames: new Map(),
  };
  if (version === 3) {
    if (buf.length < 104) fail('truncated qcow2 v3 header');
    h.incompatible = v.getBigUint64(72);
    h.compatible = v.getBigUint64(80);
    h.autoclear = v.getBigUint64(88);
    h.refcountOrder = v.getUint32(96);
    h.headerLength = v.getUint32(100);
    if (h.headerLength < 104) {
      fail(`bad header_length ${h.headerLength}`);
    }
    if (h.headerLength > 104) h.compressionType = buf[104];
  }
  if (h.headerLength > cs || h.headerLength > buf.length) fail('header larger than the first cluster');
  if (h.refcountOrder > 6) fail(`refcount_order ${h.refcountOrder} out of range (0 to 6)`);
  if (h.cryptMethod !== 0) fail('encrypted qcow2 images are not supported');
  if (!Number.isSafeInteger(h.size) || h.size > 2 ** 52) fail(`virtual size ${h.size} too large`);
  const aligned = (x: number) => x % cs === 0;
  if (!aligned(h.l1TableOffset)) fail('L1 table offset is not cluster aligned');
  const l2Entries = cs / 8;
  const needL1 = Math.ceil(h.size / (cs * l2Entries));
  if (h.l1Size < needL1) fail(`L1 table too small (${h.l1Size} entries) for virtual size ${h.size}`);
  if (h.l1Size > 0x2000000) fail(`L1 table too large (${h.l1Size} entries)`);
  if (h.l1Size > 0 && h.l1TableOffset + h.l1Size * 8 > fileSize) fail('L1 table extends beyond end of file');
  if (!aligned(h.refcountTableOffset) || h.refcountTableOffset === 0) fail('bad refcount table offset');
  if (h.refcountTableClusters === 0 || h.refcountTableClusters > 1 << 23) fail('bad refcount table size');
  if (h.refcountTableOffset + h.refcountTableClusters * cs > fileSize) {
    fail('refcount table extends beyond end of file');
  }
  if (h.nbSnapshots > 0 && (!aligned(h.snapshotsOffset) || h.snapshotsOffset >= fileSize)) {
    fail('bad snapshot table offset');
  }
  parseExtensions(h, buf, v, fail);
  if (h.backingFileOffset !== 0) {
    if (h.backingFileSize > 1023 || h.backingFileOffset + h.backingFileSize > Math.min(cs, buf.length)) {
      fail('backing file name does not fit in the first cluster');
    }
    h.backingFile = text.decode(buf.subarray(h.backingFileOffset, h.backingFileOffset + h.backingFileSize));
  }
  return h;
}

/** Spec "Header extensions": type (u32), length (u32), data padded to 8 bytes, until type 0. */
function parseExtensions(h: Qcow2Header, buf: Uint8Array, v: DataView, fail: (m: string) => never): void {
  let off = h.headerLength;
  const end = h.backingFileOffset > 0 && h.backingFileOffset < buf.length ? h.backingFileOffset : buf.length;
  while (off + 8 <= end) {
    const type = v.getUint32(off);
    const len = v.getUint32(off + 4);
    if (type === EXT_END) return;
    off += 8;
    if (off + len > end) fail('header extension extends beyond the header');
    const data = buf.subarray(off, off + len);
    if (type === EXT_BACKING_FORMAT) h.backingFormat = text.decode(data);
    else if (type === EXT_FEATURE_NAMES) {
      for (let i = 0; i + 48 <= len; i += 48) {
        const nm = text.decode(data.subarray(i + 2, i + 48)).replace(/\0.*$/s, '');
        h.featureNames.set(`${data[i]}:${data[i + 1]}`, nm);
      }
    }
    off += (len + 7) & ~7;
  }
}

/**
 * Feature-bit policy (spec "incompatible_features"): unknown incompatible bits, an external data
 * file, extended L2 entries and non-zlib compression are refused outright. A dirty image (lazy
 * refcounts not written back) and a corrupt one may only be opened read-only.
 */
export function checkFeatures(h: Qcow2Header, name: string, readOnly: boolean): void {
  const fail = (msg: string): never => { throw new BlockError(`${name}: ${msg}`); };
  const unknown = h.incompatible & ~INCOMPAT_KNOWN;
  if (unknown !== 0n) {
    const names: string[] = [];
    for (let bit = 0; bit < 64; bit++) {
      if (unknown & (1n << BigInt(bit))) names.push(h.featureNames.get(`0:${bit}`) ?? `bit ${bit}`);
    }
    fail(`unsupported qcow2 feature(s): ${names.join(', ')}`);
  }
  if (h.incompatible & INCOMPAT_DATA_FILE) fail('qcow2 images with an external data file are not supported');
  if (h.incompatible & INCOMPAT_EXTL2) fail('qcow2 images with extended L2 entries are not supported');
  if (h.incompatible & INCOMPAT_COMPRESSION && h.compressionType !== 0) {
    fail(`qcow2 compression type ${h.compressionType === 1 ? 'zstd' : h.compressionType} is not supported`);
  }
  if (readOnly) return;
  if (h.incompatible & INCOMPAT_CORRUPT) {
    fail("image is marked corrupt; it can only be opened read-only (repair with 'qemu-img check -r all')");
  }
  if (h.incompatible & INCOMPAT_DIRTY) {
    fail("image is dirty (lazy refcounts not written back); repair it with 'qemu-img check -r all' or open it read-only");
  }
  if (h.nbSnapshots > 0) fail('qcow2 images with internal snapshots can only be opened read-only');
}

export interface NewHeader {
  version: 2 | 3;
  clusterBits: number;
  size: number;
  l1Size: number;
  l1TableOffset: number;
  refcountTableOffset: number;
  refcountTableClusters: number;
  refcountOrder: number;
  lazyRefcounts?: boolean;
  backingFile?: string;
  backingFormat?: string;
}

/** Serialises a fresh header, its extensions and the backing file name into one cluster. */
export function buildHeader(n: NewHeader): Uint8Array {
  const cs = 2 ** n.clusterBits;
  const buf = new Uint8Array(cs);
  const v = new DataView(buf.buffer);
  const enc = new TextEncoder();
  v.setUint32(0, QCOW2_MAGIC);
  v.setUint32(4, n.version);
  v.setUint32(20, n.clusterBits);
  setU64(v, 24, n.size);
  v.setUint32(36, n.l1Size);
  setU64(v, 40, n.l1TableOffset);
  setU64(v, 48, n.refcountTableOffset);
  v.setUint32(56, n.refcountTableClusters);
  let off = 72;
  if (n.version === 3) {
    v.setBigUint64(80, n.lazyRefcounts ? COMPAT_LAZY_REFCOUNTS : 0n);
    v.setUint32(96, n.refcountOrder);
    v.setUint32(100, 112); // as QEMU: 104 bytes plus compression_type (0 = zlib) and padding
    off = 112;
  }
  const ext = (type: number, data: Uint8Array) => {
    v.setUint32(off, type);
    v.setUint32(off + 4, data.length);
    buf.set(data, off + 8);
    off += 8 + ((data.length + 7) & ~7);
  };
  if (n.backingFormat !== undefined) ext(EXT_BACKING_FORMAT, enc.encode(n.backingFormat));
  if (n.version === 3) {
    const names: [number, number, string][] = [
      [0, 0, 'dirty bit'], [0, 1, 'corrupt bit'], [0, 2, 'external data file'], [0, 3, 'compression type'],
      [0, 4, 'extended L2 entries'], [1, 0, 'lazy refcounts'], [2, 0, 'bitmaps'], [2, 1, 'raw external data'],
    ];
    const table = new Uint8Array(names.length * 48);
    names.forEach(([t, b, s], i) => { table[i * 48] = t; table[i * 48 + 1] = b; table.set(enc.encode(s), i * 48 + 2); });
    ext(EXT_FEATURE_NAMES, table);
  }
  off += 8; // end-of-extensions marker (type 0, length 0)
  if (n.backingFile !== undefined) {
    const name = enc.encode(n.backingFile);
    if (name.length > 1023 || off + name.length > cs) throw new BlockError('backing file name too long');
    setU64(v, 8, off);
    v.setUint32(16, name.length);
    buf.set(name, off);
  }
  return buf;
}
