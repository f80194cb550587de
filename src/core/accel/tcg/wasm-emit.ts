/**
 * A minimal WebAssembly binary writer for the translator (WebAssembly Core Specification 2.0 §5, binary
 * format): LEB128 numbers, the handful of opcodes translated code uses, and the module sections. Code is
 * written straight into a growing byte buffer; nothing is built as a tree.
 */

/** Opcodes (§5.4). Only what the code generator emits. */
export const enum W {
  unreachable = 0x00, block = 0x02, loop = 0x03, if = 0x04, else = 0x05, end = 0x0b, br = 0x0c, br_if = 0x0d,
  br_table = 0x0e, return = 0x0f, call = 0x10, call_indirect = 0x11, return_call_indirect = 0x13, drop = 0x1a, select = 0x1b,
  local_get = 0x20, local_set = 0x21, local_tee = 0x22,
  i32_load = 0x28, i64_load = 0x29, i32_load8_u = 0x2d, i64_load8_s = 0x30, i64_load8_u = 0x31,
  i64_load16_s = 0x32, i64_load16_u = 0x33, i64_load32_s = 0x34, i64_load32_u = 0x35,
  i32_store = 0x36, i64_store = 0x37, i64_store8 = 0x3c, i64_store16 = 0x3d, i64_store32 = 0x3e,
  i32_const = 0x41, i64_const = 0x42,
  i32_eqz = 0x45, i32_eq = 0x46, i32_ne = 0x47, i32_lt_s = 0x48, i32_lt_u = 0x49, i32_le_s = 0x4c,
  i64_eqz = 0x50, i64_eq = 0x51, i64_ne = 0x52, i64_lt_s = 0x53, i64_lt_u = 0x54, i64_ge_s = 0x59, i64_ge_u = 0x5a,
  i32_add = 0x6a, i32_sub = 0x6b, i32_mul = 0x6c, i32_div_s = 0x6d, i32_div_u = 0x6e, i32_rem_s = 0x6f,
  i32_rem_u = 0x70, i32_and = 0x71, i32_or = 0x72, i32_xor = 0x73, i32_shl = 0x74, i32_shr_s = 0x75, i32_shr_u = 0x76,
  i64_add = 0x7c, i64_sub = 0x7d, i64_mul = 0x7e, i64_div_s = 0x7f, i64_div_u = 0x80, i64_rem_s = 0x81,
  i64_rem_u = 0x82, i64_and = 0x83, i64_or = 0x84, i64_xor = 0x85, i64_shl = 0x86, i64_shr_s = 0x87, i64_shr_u = 0x88,
  i32_wrap_i64 = 0xa7, i64_extend_i32_s = 0xac, i64_extend_i32_u = 0xad,
  i64_extend8_s = 0xc2, i64_extend16_s = 0xc3, i64_extend32_s = 0xc4,
}

/** Value and block types (§5.3). */
export const enum T {
  i32 = 0x7f, i64 = 0x7e, void = 0x40, func = 0x60, funcref = 0x70,
}

/** A growable byte buffer with LEB128 writers. */
export class Bytes {
  buf: Uint8Array<ArrayBuffer>;
  len = 0;

  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
  }

  /** Empties the buffer, keeping its storage (a scratch buffer reused for every function). */
  clear(): this {
    this.len = 0;
    return this;
  }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const b = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }

  u8(v: number): this {
    this.room(1);
    this.buf[this.len++] = v;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /** Unsigned LEB128 of a non-negative integer below 2^32. */
  uleb(v: number): this {
    this.room(5);
    v >>>= 0;
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v !== 0) b |= 0x80;
      this.buf[this.len++] = b;
    } while (v !== 0);
    return this;
  }

  /** Signed LEB128 of an int32. */
  sleb32(v: number): this {
    this.room(5);
    v |= 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
        this.buf[this.len++] = b;
        return this;
      }
      this.buf[this.len++] = b | 0x80;
    }
  }

  /** Signed LEB128 of the 64-bit value hi:lo (two int32 halves; no BigInt). */
  sleb64(lo: number, hi: number): this {
    if (hi === lo >> 31) return this.sleb32(lo);
    this.room(10);
    lo >>>= 0;
    hi |= 0;
    for (;;) {
      const b = lo & 0x7f;
      // Arithmetic shift of the 64-bit pair right by 7.
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>= 7;
      const done = (hi === 0 && lo === 0 && (b & 0x40) === 0) || (hi === -1 && lo === 0xffffffff && (b & 0x40) !== 0);
      this.buf[this.len++] = done ? b : b | 0x80;
      if (done) return this;
    }
  }

  /** A vector of bytes prefixed by its length (section and function bodies). */
  sized(inner: Bytes): this {
    this.uleb(inner.len);
    this.room(inner.len);
    this.buf.set(inner.buf.subarray(0, inner.len), this.len);
    this.len += inner.len;
    return this;
  }

  name(s: string): this {
    this.uleb(s.length);
    for (let i = 0; i < s.length; i++) this.u8(s.charCodeAt(i));
    return this;
  }

  // --- instruction shorthands
  op(o: W): this { return this.u8(o); }
  i32(v: number): this { return this.u8(W.i32_const).sleb32(v); }
  i64(lo: number, hi: number): this { return this.u8(W.i64_const).sleb64(lo, hi); }
  get(l: number): this { return this.u8(W.local_get).uleb(l); }
  set(l: number): this { return this.u8(W.local_set).uleb(l); }
  tee(l: number): this { return this.u8(W.local_tee).uleb(l); }
  /** A memory access with alignment hint `align` (log2) and constant offset. */
  mem(o: W, align: number, offset: number): this { return this.u8(o).uleb(align).uleb(offset); }
  br(depth: number): this { return this.u8(W.br).uleb(depth); }
  call(f: number): this { return this.u8(W.call).uleb(f); }

  result(): Uint8Array<ArrayBuffer> {
    return this.buf.slice(0, this.len);
  }
}

/** A function type: parameter and result value types. */
export interface FuncType {
  params: T[];
  results: T[];
}

export interface ModuleParts {
  types: FuncType[];
  /** Imported functions (module "h"), each with its type index; they take function indices 0..n-1. */
  imports: { name: string; type: number }[];
  /** Whether to import the memory as ("m", "mem") and the table as ("m", "tbl"). */
  memory: boolean;
  table: boolean;
  /** Defined functions: type index and body (locals declaration + code + end). */
  funcs: { type: number; body: Bytes }[];
  exports: { name: string; func: number }[];
}

/** Assembles a module (§5.5): type, import, function, export and code sections in order. */
export function assemble(m: ModuleParts): Uint8Array<ArrayBuffer> {
  const out = new Bytes();
  out.bytes(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));
  const section = (id: number, s: Bytes) => out.u8(id).sized(s);

  const types = new Bytes().uleb(m.types.length);
  for (const t of m.types) {
    types.u8(T.func).uleb(t.params.length);
    for (const p of t.params) types.u8(p);
    types.uleb(t.results.length);
    for (const r of t.results) types.u8(r);
  }
  section(1, types);

  const imports = new Bytes().uleb(m.imports.length + (m.memory ? 1 : 0) + (m.table ? 1 : 0));
  for (const i of m.imports) imports.name('h').name(i.name).u8(0).uleb(i.type);
  // Memory without a maximum: accepts the machine memory whatever its size (§3.4.10 import matching).
  if (m.memory) imports.name('m').name('mem').u8(2).u8(0).uleb(1);
  if (m.table) imports.name('m').name('tbl').u8(1).u8(T.funcref).u8(0).uleb(0);
  section(2, imports);

  const funcs = new Bytes().uleb(m.funcs.length);
  for (const f of m.funcs) funcs.uleb(f.type);
  section(3, funcs);

  const exports = new Bytes().uleb(m.exports.length);
  for (const e of m.exports) exports.name(e.name).u8(0).uleb(e.func);
  section(7, exports);

  const code = new Bytes().uleb(m.funcs.length);
  for (const f of m.funcs) code.sized(f.body);
  section(10, code);
  return out.result();
}
