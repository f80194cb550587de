/**
 * RV64 M-extension arithmetic (Unprivileged ISA 20191213, ch. 7) on 64-bit values held as two int32
 * halves (lo, hi). Each function writes its result to dst[i] (low word) and dst[i + 1] (high word);
 * the CPU passes its register file and 2*rd. Operands are read before the write, so dst may alias a
 * source register. Writing to x0 is the caller's concern.
 *
 * Products use Math.imul and 16-bit limbs (exact in doubles). Division runs in doubles without BigInt
 * when the divisor is below 2^32 (long division in 16-bit digits, every step exact) or both operands
 * are below 2^53 (quotient estimate corrected with the exact remainder); only a dividend >= 2^53
 * with a divisor >= 2^32 falls back to BigInt.
 */

const TWO32 = 4294967296;
const TWO16 = 65536;

// Scratch results of the helpers (no allocation per call).
let rLo = 0;
let rHi = 0;
let qLo = 0;
let qHi = 0;
let mLo = 0;
let mHi = 0;

/** High 32 bits of the unsigned 64-bit product of two uint32 (given as int32 bit patterns). */
function mulhu32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const mid = ((a0 * b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) | 0;
}

/** High 64 bits of the unsigned 128-bit product, into (mLo, mHi). */
function mulhu64(aLo: number, aHi: number, bLo: number, bHi: number): void {
  // Four 32x32 partial products; column sums below 2^35 are exact in doubles.
  const mid = (mulhu32(aLo, bLo) >>> 0) + (Math.imul(aLo, bHi) >>> 0) + (Math.imul(aHi, bLo) >>> 0);
  const lo = (mulhu32(aLo, bHi) >>> 0) + (mulhu32(aHi, bLo) >>> 0) + (Math.imul(aHi, bHi) >>> 0) +
    ((mid / TWO32) | 0);
  const carry = (lo / TWO32) | 0;
  mLo = lo | 0;
  mHi = (mulhu32(aHi, bHi) + carry) | 0;
}

export function mul(dst: Int32Array, i: number, aLo: number, aHi: number, bLo: number, bHi: number): void {
  const hi = (mulhu32(aLo, bLo) + Math.imul(aLo, bHi) + Math.imul(aHi, bLo)) | 0;
  dst[i] = Math.imul(aLo, bLo);
  dst[i + 1] = hi;
}

export function mulhu(dst: Int32Array, i: number, aLo: number, aHi: number, bLo: number, bHi: number): void {
  mulhu64(aLo, aHi, bLo, bHi);
  dst[i] = mLo;
  dst[i + 1] = mHi;
}

/** (mLo, mHi) -= (lo, hi) mod 2^64. */
function subM(lo: number, hi: number): void {
  const borrow = (mLo >>> 0) < (lo >>> 0) ? 1 : 0;
  mLo = (mLo - lo) | 0;
  mHi = (mHi - hi - borrow) | 0;
}

export function mulh(dst: Int32Array, i: number, aLo: number, aHi: number, bLo: number, bHi: number): void {
  // signed(a) * signed(b) = a*b - 2^64 * ((a<0 ? b : 0) + (b<0 ? a : 0)) over the unsigned values.
  mulhu64(aLo, aHi, bLo, bHi);
  if (aHi < 0) subM(bLo, bHi);
  if (bHi < 0) subM(aLo, aHi);
  dst[i] = mLo;
  dst[i + 1] = mHi;
}

export function mulhsu(dst: Int32Array, i: number, aLo: number, aHi: number, bLo: number, bHi: number): void {
  mulhu64(aLo, aHi, bLo, bHi);
  if (aHi < 0) subM(bLo, bHi);
  dst[i] = mLo;
  dst[i + 1] = mHi;
}

/**
 * Unsigned 64-bit division a / b (b != 0): quotient into (qLo, qHi), remainder into (rLo, rHi).
 */
function udivmod(aLo: number, aHi: number, bLo: number, bHi: number): void {
  // Quotients are computed as trunc(a / b) in doubles and corrected with an exact remainder; fmod
  // (%) on doubles is avoided because V8 calls out to C for it.
  const bl = bLo >>> 0;
  const al = aLo >>> 0;
  if (bHi === 0) {
    const ah = aHi >>> 0;
    if (ah === 0) {
      // Both < 2^32: trunc(fl(a / b)) is exact here.
      const q = Math.floor(al / bl);
      qLo = q | 0;
      qHi = 0;
      rLo = (al - q * bl) | 0;
      rHi = 0;
      return;
    }
    // Divisor < 2^32: long division in digits (32 bits, then two 16-bit digits). Every partial
    // dividend is < 2^48, where floor(fl(x / b)) is exact.
    let q = Math.floor(ah / bl);
    let r = ah - q * bl;
    qHi = q | 0;
    let x = r * TWO16 + (al >>> 16);
    const q1 = Math.floor(x / bl);
    r = x - q1 * bl;
    x = r * TWO16 + (al & 0xffff);
    q = Math.floor(x / bl);
    r = x - q * bl;
    qLo = (q1 * TWO16 + q) | 0;
    rLo = r | 0;
    rHi = 0;
    return;
  }
  const ah = aHi >>> 0;
  const bh = bHi >>> 0;
  if (ah < bh || (ah === bh && al < bl)) {
    // a < b
    qLo = 0;
    qHi = 0;
    rLo = aLo;
    rHi = aHi;
    return;
  }
  if (ah < 0x200000) {
    // 2^32 <= b <= a < 2^53: fl(a / b) is Q or Q + 1 (never below Q); q * b is exact when q = Q.
    const a = ah * TWO32 + al;
    const b = bh * TWO32 + bl;
    let q = Math.floor(a / b); // < 2^21
    let r = a - q * b;
    if (r < 0) {
      q -= 1;
      r = a - q * b;
    }
    const rh = Math.floor(r / TWO32);
    qLo = q | 0;
    qHi = 0;
    rLo = (r - rh * TWO32) | 0;
    rHi = rh | 0;
    return;
  }
  // Rare: dividend >= 2^53 and divisor >= 2^32.
  const a = (BigInt(ah) << 32n) | BigInt(al);
  const b = (BigInt(bh) << 32n) | BigInt(bl);
  const q = a / b;
  const r = a - q * b;
  qLo = Number(q & 0xffffffffn) | 0;
  qHi = Number(q >> 32n) | 0;
  rLo = Number(r & 0xffffffffn) | 0;
  rHi = Number(r >> 32n) | 0;
}

export function divu(dst: Int32Array, i: number, aLo: number, aHi: number, bLo: number, bHi: number): void {
  if ((bLo | bHi) === 0) {
    dst[i] = -1;
    dst[i + 1] = -1;
    return;
  }
  udivmod(aLo, aHi, bLo, bHi);
  dst[i] = qLo;
  dst[i + 1] = qHi;
}

export function remu(dst: Int32Array, i: number, aLo: number, aHi: number, bLo: number, bHi: number): void {
  if ((bLo | bHi) === 0) {
    dst[i] = aLo;
    dst[i + 1] = aHi;
    return;
  }
  udivmod(aLo, aHi, bLo, bHi);
  dst[i] = rLo;
  dst[i + 1] = rHi;
}

/**
 * Signed division via magnitudes: sets (qLo, qHi) and (rLo, rHi) with RISC-V truncating semantics
 * (b != 0). MIN / -1 falls out naturally: |MIN| = 2^63 unsigned, negated back to MIN, remainder 0.
 */
function sdivmod(aLo: number, aHi: number, bLo: number, bHi: number): void {
  // Fast path: both operands are sign-extended int32.
  if (aHi === aLo >> 31 && bHi === bLo >> 31) {
    const q = Math.trunc(aLo / bLo); // exact for int32 operands; 2^31 for MIN32 / -1
    const r = aLo - q * bLo;
    qLo = q | 0;
    qHi = q < 0 ? -1 : 0;
    rLo = r | 0;
    rHi = r < 0 ? -1 : 0;
    return;
  }
  const aNeg = aHi < 0;
  const bNeg = bHi < 0;
  let al = aLo;
  let ah = aHi;
  let bl = bLo;
  let bh = bHi;
  if (aNeg) {
    ah = (al === 0 ? -ah : ~ah) | 0;
    al = -al | 0;
  }
  if (bNeg) {
    bh = (bl === 0 ? -bh : ~bh) | 0;
    bl = -bl | 0;
  }
  udivmod(al, ah, bl, bh);
  if (aNeg !== bNeg) {
    qHi = (qLo === 0 ? -qHi : ~qHi) | 0;
    qLo = -qLo | 0;
  }
  if (aNeg) {
    rHi = (rLo === 0 ? -rHi : ~rHi) | 0;
    rLo = -rLo | 0;
  }
}

export function div(dst: Int32Array, i: number, aLo: number, aHi: number, bLo: number, bHi: number): void {
  if ((bLo | bHi) === 0) {
    dst[i] = -1;
    dst[i + 1] = -1;
    return;
  }
  sdivmod(aLo, aHi, bLo, bHi);
  dst[i] = qLo;
  dst[i + 1] = qHi;
}

export function rem(dst: Int32Array, i: number, aLo: number, aHi: number, bLo: number, bHi: number): void {
  if ((bLo | bHi) === 0) {
    dst[i] = aLo;
    dst[i + 1] = aHi;
    return;
  }
  sdivmod(aLo, aHi, bLo, bHi);
  dst[i] = rLo;
  dst[i + 1] = rHi;
}

// ---- 32-bit ops (RV64 *W): operate on the low words, result sign-extended to 64 bits ----

export function mulw(dst: Int32Array, i: number, aLo: number, bLo: number): void {
  const r = Math.imul(aLo, bLo);
  dst[i] = r;
  dst[i + 1] = r >> 31;
}

export function divw(dst: Int32Array, i: number, aLo: number, bLo: number): void {
  const a = aLo | 0;
  const b = bLo | 0;
  // b = 0 -> -1; MIN / -1 -> 2^31 | 0 = MIN (overflow rule).
  const r = b === 0 ? -1 : (a / b) | 0; // trunc of fl(a / b) is exact for int32
  dst[i] = r;
  dst[i + 1] = r >> 31;
}

export function divuw(dst: Int32Array, i: number, aLo: number, bLo: number): void {
  const a = aLo >>> 0;
  const b = bLo >>> 0;
  const r = b === 0 ? -1 : Math.floor(a / b) | 0;
  dst[i] = r;
  dst[i + 1] = r >> 31;
}

export function remw(dst: Int32Array, i: number, aLo: number, bLo: number): void {
  const a = aLo | 0;
  const b = bLo | 0;
  const r = b === 0 ? a : (a % b) | 0; // MIN % -1 = -0 -> 0
  dst[i] = r;
  dst[i + 1] = r >> 31;
}

export function remuw(dst: Int32Array, i: number, aLo: number, bLo: number): void {
  const a = aLo >>> 0;
  const b = bLo >>> 0;
  const r = (b === 0 ? a : a % b) | 0;
  dst[i] = r;
  dst[i + 1] = r >> 31;
}
