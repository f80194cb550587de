import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as M from '../src/core/target/riscv/int64.js';

const MASK = (1n << 64n) - 1n;
const s64 = (v: bigint) => BigInt.asIntN(64, v);
const u64 = (v: bigint) => BigInt.asUintN(64, v);
const s32 = (v: bigint) => BigInt.asIntN(32, v);
const u32 = (v: bigint) => BigInt.asUintN(32, v);
const lo = (v: bigint) => Number(BigInt.asIntN(32, v));
const hi = (v: bigint) => Number(BigInt.asIntN(32, v >> 32n));

type Op64 = (dst: Int32Array, i: number, aLo: number, aHi: number, bLo: number, bHi: number) => void;
type Op32 = (dst: Int32Array, i: number, aLo: number, bLo: number) => void;

const MIN = -(1n << 63n);
// Reference semantics (spec §7.1-7.2), results as unsigned 64-bit.
const REF64: Record<string, [Op64, (a: bigint, b: bigint) => bigint]> = {
  mul: [M.mul, (a, b) => a * b],
  mulh: [M.mulh, (a, b) => (s64(a) * s64(b)) >> 64n],
  mulhsu: [M.mulhsu, (a, b) => (s64(a) * u64(b)) >> 64n],
  mulhu: [M.mulhu, (a, b) => (u64(a) * u64(b)) >> 64n],
  div: [M.div, (a, b) => {
    const x = s64(a), y = s64(b);
    if (y === 0n) return -1n;
    if (x === MIN && y === -1n) return MIN;
    return x / y;
  }],
  divu: [M.divu, (a, b) => (u64(b) === 0n ? MASK : u64(a) / u64(b))],
  rem: [M.rem, (a, b) => {
    const x = s64(a), y = s64(b);
    if (y === 0n) return x;
    if (x === MIN && y === -1n) return 0n;
    return x % y;
  }],
  remu: [M.remu, (a, b) => (u64(b) === 0n ? u64(a) : u64(a) % u64(b))],
};
const MIN32 = -(1n << 31n);
const REF32: Record<string, [Op32, (a: bigint, b: bigint) => bigint]> = {
  mulw: [M.mulw, (a, b) => s32(a) * s32(b)],
  divw: [M.divw, (a, b) => {
    const x = s32(a), y = s32(b);
    if (y === 0n) return -1n;
    if (x === MIN32 && y === -1n) return MIN32;
    return x / y;
  }],
  divuw: [M.divuw, (a, b) => (u32(b) === 0n ? -1n : u32(a) / u32(b))],
  remw: [M.remw, (a, b) => {
    const x = s32(a), y = s32(b);
    if (y === 0n) return x;
    if (x === MIN32 && y === -1n) return 0n;
    return x % y;
  }],
  remuw: [M.remuw, (a, b) => (u32(b) === 0n ? u32(a) : u32(a) % u32(b))],
};

const EDGE: bigint[] = [];
for (const v of [0n, 1n, 2n, 3n, 7n, 10n, 1000000000n, (1n << 16n) - 1n, 1n << 16n, (1n << 31n) - 1n, 1n << 31n,
  (1n << 32n) - 1n, 1n << 32n, (1n << 32n) + 1n, (1n << 52n) - 1n, 1n << 52n, (1n << 53n) - 1n, 1n << 53n,
  (1n << 53n) + 1n, (1n << 62n), (1n << 63n) - 1n, 1n << 63n, 0x123456789abcdefn, 0xfedcba9876543210n]) {
  EDGE.push(u64(v), u64(-v));
}

let seed = 0x2468ace;
function rnd32(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}
/** Random 64-bit value of random bit length, sometimes negated, to hit every path. */
function rnd64(): bigint {
  const bits = BigInt(rnd32() % 65);
  let v = ((BigInt(rnd32()) << 32n) | BigInt(rnd32())) & ((1n << bits) - 1n);
  if (rnd32() & 1) v = -v;
  return u64(v);
}

function check64(name: string, a: bigint, b: bigint, dst: Int32Array): void {
  const [fn, ref] = REF64[name];
  const want = u64(ref(a, b));
  dst.fill(0x55);
  fn(dst, 2, lo(a), hi(a), lo(b), hi(b));
  const got = u64((BigInt(dst[3]) << 32n) | BigInt(dst[2] >>> 0));
  if (got !== want) {
    assert.fail(`${name}(0x${a.toString(16)}, 0x${b.toString(16)}) = 0x${got.toString(16)}, want 0x${want.toString(16)}`);
  }
  assert.equal(dst[0], 0x55);
  assert.equal(dst[4], 0x55);
}

function check32(name: string, a: bigint, b: bigint, dst: Int32Array): void {
  const [fn, ref] = REF32[name];
  const want = u64(s32(ref(a, b)));
  fn(dst, 4, lo(a), lo(b));
  const got = u64((BigInt(dst[5]) << 32n) | BigInt(dst[4] >>> 0));
  if (got !== want) {
    assert.fail(`${name}(0x${a.toString(16)}, 0x${b.toString(16)}) = 0x${got.toString(16)}, want 0x${want.toString(16)}`);
  }
}

test('64-bit M ops: all pairs of edge values', () => {
  const dst = new Int32Array(8);
  for (const name of Object.keys(REF64)) for (const a of EDGE) for (const b of EDGE) check64(name, a, b, dst);
});

test('64-bit M ops: random values', () => {
  const dst = new Int32Array(8);
  for (let k = 0; k < 5000; k++) {
    const a = rnd64();
    const b = rnd64();
    for (const name of Object.keys(REF64)) check64(name, a, b, dst);
  }
});

test('32-bit M ops (*W): edge and random values, sign-extended results', () => {
  const dst = new Int32Array(8);
  const vals = [...EDGE];
  for (let k = 0; k < 3000; k++) vals.push(rnd64());
  for (const name of Object.keys(REF32)) {
    for (const a of EDGE) for (const b of EDGE) check32(name, a, b, dst);
    for (let k = 0; k + 1 < vals.length; k++) check32(name, vals[k], vals[k + 1], dst);
  }
});

test('results may alias the operands register', () => {
  const x = new Int32Array([7, 0, -3, -1]);
  M.div(x, 0, x[0], x[1], x[2], x[3]);
  assert.deepEqual([...x], [-2, -1, -3, -1]);
});
