/**
 * Flattened devicetree (DTB) writer, Devicetree Specification v0.4 §5.
 *
 * Builds an in-memory node tree and serialises it as version 17 (last compatible 16) with an
 * empty memory reservation block, the structure block and a strings block in which every
 * property name is stored once. Portable: no `node:` imports.
 */

/** A malformed node name, property name or value. */
export class FdtError extends Error {
  override name = 'FdtError';
}

/**
 * A property value. §2.2.4 value encodings:
 * - `string`      → NUL-terminated string
 * - `string[]`    → stringlist (each NUL-terminated, concatenated)
 * - `number[]`    → big-endian u32 cells (each an integer 0..2^32-1)
 * - `Uint8Array`  → raw bytes
 * - `undefined`   → empty value (boolean properties such as `interrupt-controller`)
 */
export type FdtValue = string | string[] | number[] | Uint8Array | undefined;

const FDT_MAGIC = 0xd00dfeed;
const FDT_BEGIN_NODE = 0x1;
const FDT_END_NODE = 0x2;
const FDT_PROP = 0x3;
const FDT_END = 0x9;
const FDT_VERSION = 17;
const FDT_LAST_COMP_VERSION = 16;
const HEADER_SIZE = 40;
/** One all-zero reservation entry (address u64, size u64) terminates the empty list (§5.3.2). */
const RSVMAP_SIZE = 16;

/** Splits a JS number (0 ≤ v < 2^53) into the two u32 cells of a 64-bit value (§2.2.4: big-endian, high cell first). */
export function cells64(v: number): number[] {
  if (!Number.isSafeInteger(v) || v < 0) throw new FdtError(`cells64: not a non-negative safe integer: ${v}`);
  return [Math.floor(v / 0x1_0000_0000), v % 0x1_0000_0000];
}

/** `reg`-style pair for #address-cells = #size-cells = 2: <addr-hi addr-lo size-hi size-lo>. */
export function reg64(addr: number, size: number): number[] {
  return [...cells64(addr), ...cells64(size)];
}

/** Node-name characters allowed by §2.2.1 (plus the '@' unit-address separator). */
const NODE_NAME_RE = /^[A-Za-z0-9,._+\-]{1,31}(@[A-Za-z0-9,._+\-]+)?$/;
/** Property-name characters allowed by §2.2.4.1. */
const PROP_NAME_RE = /^[A-Za-z0-9,._+\-?#]{1,31}$/;

const textEncoder = new TextEncoder();

function encodeValue(name: string, value: FdtValue): Uint8Array {
  if (value === undefined) return new Uint8Array(0);
  if (value instanceof Uint8Array) return value.slice();
  if (typeof value === 'string') return encodeStrings(name, [value]);
  if (value.length === 0) return new Uint8Array(0);
  if (typeof value[0] === 'string') return encodeStrings(name, value as string[]);
  const cells = value as number[];
  const out = new Uint8Array(cells.length * 4);
  const dv = new DataView(out.buffer);
  cells.forEach((c, i) => {
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c > 0xffffffff) {
      throw new FdtError(`property ${name}: cell ${i} is not a u32: ${String(c)}`);
    }
    dv.setUint32(i * 4, c);
  });
  return out;
}

function encodeStrings(name: string, list: string[]): Uint8Array {
  const parts = list.map((s) => {
    if (typeof s !== 'string') throw new FdtError(`property ${name}: mixed string list`);
    if (s.includes('\0')) throw new FdtError(`property ${name}: string contains NUL`);
    return textEncoder.encode(s);
  });
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length + 1, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length + 1; // the byte after each string stays 0: its terminator
  }
  return out;
}

export class FdtNode {
  readonly name: string;
  readonly parent: FdtNode | undefined;
  private readonly props = new Map<string, Uint8Array>();
  private readonly children: FdtNode[] = [];
  /** Next free phandle; only meaningful on the root. 0 and 0xffffffff are reserved (§2.3.3). */
  private nextPhandle = 1;
  private ownPhandle: number | undefined;

  /** The root node is `new FdtNode('')`. */
  constructor(name: string, parent?: FdtNode) {
    if (parent !== undefined && !NODE_NAME_RE.test(name)) throw new FdtError(`bad node name: '${name}'`);
    if (parent === undefined && name !== '') throw new FdtError(`root node name must be empty, got '${name}'`);
    this.name = name;
    this.parent = parent;
  }

  /** Sets (or replaces) a property; returns this node for chaining. */
  prop(name: string, value?: FdtValue): this {
    if (!PROP_NAME_RE.test(name)) throw new FdtError(`bad property name: '${name}'`);
    this.props.set(name, encodeValue(name, value));
    return this;
  }

  /** Sets a u64 property (two cells), e.g. linux,initrd-start on a >4 GiB address. */
  propU64(name: string, v: number): this {
    return this.prop(name, cells64(v));
  }

  /** The raw encoded bytes of a property, or undefined. */
  getProp(name: string): Uint8Array | undefined {
    return this.props.get(name);
  }

  propNames(): string[] {
    return [...this.props.keys()];
  }

  /** Adds a child node (names must be unique among siblings, §2.2.1). */
  child(name: string): FdtNode {
    if (this.children.some((c) => c.name === name)) throw new FdtError(`duplicate node '${name}' under '${this.path()}'`);
    const c = new FdtNode(name, this);
    this.children.push(c);
    return c;
  }

  /** Finds a direct child by full name (including unit address). */
  getChild(name: string): FdtNode | undefined {
    return this.children.find((c) => c.name === name);
  }

  childNodes(): readonly FdtNode[] {
    return this.children;
  }

  /**
   * Gives this node a phandle (allocated from the root's counter, so unique in the tree)
   * and sets its `phandle` property; idempotent.
   */
  phandle(): number {
    if (this.ownPhandle !== undefined) return this.ownPhandle;
    let root: FdtNode = this;
    while (root.parent !== undefined) root = root.parent;
    const ph = root.nextPhandle++;
    this.ownPhandle = ph;
    this.prop('phandle', [ph]);
    return ph;
  }

  /** Full path, "/" for the root. */
  path(): string {
    if (this.parent === undefined) return '/';
    const p = this.parent.path();
    return p === '/' ? `/${this.name}` : `${p}/${this.name}`;
  }
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

/** Serialises the tree rooted at `root` (which must be a root node) to a DTB blob (§5). */
export function toDtb(root: FdtNode, bootCpuId = 0): Uint8Array {
  if (root.parent !== undefined) throw new FdtError('toDtb needs the root node');

  // Strings block (§5.5): each distinct property name once; nameoff points into it.
  const strOffsets = new Map<string, number>();
  const strParts: Uint8Array[] = [];
  let strSize = 0;
  const nameOff = (name: string): number => {
    let off = strOffsets.get(name);
    if (off === undefined) {
      off = strSize;
      strOffsets.set(name, off);
      const b = textEncoder.encode(name);
      strParts.push(b);
      strSize += b.length + 1;
    }
    return off;
  };

  // Structure block (§5.4): size it first, then fill, so a single buffer is allocated.
  const sizeOf = (n: FdtNode): number => {
    let s = 4 + align4(textEncoder.encode(n.name).length + 1);
    for (const k of n.propNames()) s += 12 + align4(n.getProp(k)!.length);
    for (const c of n.childNodes()) s += sizeOf(c);
    return s + 4;
  };
  const structSize = sizeOf(root) + 4;

  // Register names in the order the writer visits them, so offsets are final before writing.
  const register = (n: FdtNode): void => {
    for (const k of n.propNames()) nameOff(k);
    for (const c of n.childNodes()) register(c);
  };
  register(root);

  const offStruct = HEADER_SIZE + RSVMAP_SIZE; // 56: 8-aligned for the rsvmap, 4-aligned for struct (§5.1)
  const offStrings = offStruct + structSize;
  const total = offStrings + strSize;

  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  // Header (§5.2), all fields big-endian u32.
  dv.setUint32(0, FDT_MAGIC);
  dv.setUint32(4, total);
  dv.setUint32(8, offStruct);
  dv.setUint32(12, offStrings);
  dv.setUint32(16, HEADER_SIZE); // off_mem_rsvmap; the block itself stays zero = terminator
  dv.setUint32(20, FDT_VERSION);
  dv.setUint32(24, FDT_LAST_COMP_VERSION);
  dv.setUint32(28, bootCpuId >>> 0);
  dv.setUint32(32, strSize);
  dv.setUint32(36, structSize);

  let at = offStruct;
  const emit = (n: FdtNode): void => {
    dv.setUint32(at, FDT_BEGIN_NODE);
    const nm = textEncoder.encode(n.name);
    out.set(nm, at + 4);
    at += 4 + align4(nm.length + 1); // padding bytes are already zero
    for (const k of n.propNames()) {
      const v = n.getProp(k)!;
      dv.setUint32(at, FDT_PROP);
      dv.setUint32(at + 4, v.length);
      dv.setUint32(at + 8, nameOff(k));
      out.set(v, at + 12);
      at += 12 + align4(v.length);
    }
    for (const c of n.childNodes()) emit(c);
    dv.setUint32(at, FDT_END_NODE);
    at += 4;
  };
  emit(root);
  dv.setUint32(at, FDT_END);
  at += 4;
  if (at !== offStrings) throw new FdtError(`internal: struct size ${at - offStruct} != ${structSize}`);

  let s = offStrings;
  for (const p of strParts) {
    out.set(p, s);
    s += p.length + 1;
  }
  return out;
}
