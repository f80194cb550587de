/**
 * Rounding helpers for the RISC-V F/D emulation (fpu.ts).
 *
 * JavaScript arithmetic is IEEE 754 binary64 with round-to-nearest-even and no exception flags. The
 * fast paths therefore compute the RNE result `r` with host arithmetic, recover the sign (or the
 * exact value) of the rounding error `exact - r` with error-free transformations, and from that
 * derive the result in the other rounding modes and the NX/UF/OF flags. Anything outside the range
 * where those transformations are exact goes to an exact BigInt slow path (roundPack and friends).
 */

/** Rounding modes, RISC-V Unprivileged ISA §11.2 table 11.1. */
export const RNE = 0;
export const RTZ = 1;
export const RDN = 2;
export const RUP = 3;
export const RMM = 4;

/** fflags bits, §11.2 table 11.2. */
export const NV = 16;
export const DZ = 8;
export const OF = 4;
export const UF = 2;
export const NX = 1;

/** Exception flags raised by the instruction being executed (execFp clears and ORs them into fflags). */
export const fx = { flags: 0 };

// Scratch views for bit manipulation: allocated once, so the hot paths never allocate.
const SCR = new ArrayBuffer(8);
const F64 = new Float64Array(SCR);
const F32 = new Float32Array(SCR);
const I32 = new Int32Array(SCR);

export const DBL_MAX = 1.7976931348623157e308;
export const FLT_MAX = 3.4028234663852886e38;
const TWO128 = 3.402823669209385e38; // 2^128: first binary32 value past FLT_MAX with unbounded exponent
const FLT_MIN_NORM = 1.1754943508222875e-38; // 2^-126
const FLT_MIN_SUB = 1.401298464324817e-45; // 2^-149
const DBL_MIN_SUB = 5e-324; // 2^-1074
const TWO64 = 18446744073709551616;
const TWO_M62 = 2.168404344971009e-19; // 2^-62 = 2^-126 * 2^64

/** Increments/decrements the 64-bit pattern in the scratch word (steps one ulp in magnitude). */
function incBits(): void {
  const lo = I32[0];
  if (lo === -1) {
    I32[0] = 0;
    I32[1] = I32[1] + 1;
  } else I32[0] = lo + 1;
}
function decBits(): void {
  const lo = I32[0];
  if (lo === 0) {
    I32[0] = -1;
    I32[1] = I32[1] - 1;
  } else I32[0] = lo - 1;
}

/** Next binary64 above x (x finite). */
export function nextUpD(x: number): number {
  if (x === 0) return DBL_MIN_SUB;
  F64[0] = x;
  if (x > 0) incBits();
  else decBits();
  return F64[0];
}
/** Next binary64 below x (x finite). */
export function nextDownD(x: number): number {
  if (x === 0) return -DBL_MIN_SUB;
  F64[0] = x;
  if (x > 0) decBits();
  else incBits();
  return F64[0];
}

/**
 * Directed-mode correction of a binary64 result: r = RNE(v) is not exact, `es` has the sign of
 * v - r. Valid when the neighbours of r are finite normal numbers (callers guarantee the range).
 * RNE and RMM return r (ties are resolved by the callers that can produce them).
 */
export function directD(r: number, es: number, mode: number): number {
  switch (mode) {
    case RTZ:
      if (r > 0) return es < 0 ? nextDownD(r) : r;
      return es > 0 ? nextUpD(r) : r;
    case RDN:
      return es < 0 ? nextDownD(r) : r;
    case RUP:
      return es > 0 ? nextUpD(r) : r;
    default:
      return r;
  }
}

/**
 * Finishes a binary64 result r = RNE(v) whose exact error e = v - r is known exactly (TwoSum,
 * Dekker product). Sets NX. For RMM a tie (|e| = half an ulp) must go away from zero (IEEE
 * 754-2008 §4.3.1 roundTiesToAway): r + 2e is then exactly the other neighbour.
 */
export function finishD(r: number, e: number, mode: number): number {
  if (e === 0) return r;
  fx.flags |= NX;
  if (mode === RNE) return r;
  if (mode === RMM) {
    const t = r + 2 * e;
    return t - r === 2 * e && e > 0 === r > 0 ? t : r;
  }
  return directD(r, e, mode);
}

/**
 * Round-to-odd of v = RN(x) given e = x - v exactly: if inexact, the neighbour of x whose last
 * significand bit is odd (Boldo & Melquiond's sticky rounding, used to emulate FMA without a
 * double rounding).
 */
export function roundOddD(v: number, e: number): number {
  if (e === 0) return v;
  F64[0] = v;
  if ((I32[0] & 1) !== 0) return v;
  return e > 0 ? nextUpD(v) : nextDownD(v);
}

/** Exact error of the binary64 product p = fl(a*b) (Dekker/Veltkamp); needs |a|,|b| < 2^995, no underflow. */
export function prodErr(a: number, b: number, p: number): number {
  let t = 134217729 * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = 134217729 * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

/** Exact error of the binary64 sum s = fl(a+b) (Knuth TwoSum); needs no overflow. */
export function sumErr(a: number, b: number, s: number): number {
  const bb = s - a;
  return a - (s - bb) + (b - bb);
}

// --- binary32 rounding from a binary64 value plus the sign of its error -------------------------

/** Next binary32 above/below x; FLT_MAX steps to 2^128 (the unbounded-exponent neighbour). */
function nextUpF(x: number): number {
  if (x === 0) return FLT_MIN_SUB;
  F32[0] = x;
  I32[0] = I32[0] + (x > 0 ? 1 : -1);
  const y = F32[0];
  return y === Infinity ? TWO128 : y;
}
function nextDownF(x: number): number {
  if (x === 0) return -FLT_MIN_SUB;
  F32[0] = x;
  I32[0] = I32[0] + (x > 0 ? -1 : 1);
  const y = F32[0];
  return y === -Infinity ? -TWO128 : y;
}

let pickInexact = false;

/**
 * Rounds v = r + (tiny amount of sign es) to binary32 in `mode` (|r| <= 2^128; 2^128 stands for
 * overflow). Because the binary64 error is below half a binary64 ulp it can only matter when r is
 * itself a binary32 value or exactly halfway between two: that is what avoids double rounding.
 */
function pickF32(r: number, es: number, mode: number): number {
  let f = Math.fround(r);
  if (f === Infinity) f = TWO128;
  else if (f === -Infinity) f = -TWO128;
  let lo: number, hi: number, near: number; // near: -1 lo is nearest, 1 hi is nearest, 0 tie
  if (f === r) {
    if (es === 0) {
      pickInexact = false;
      return f;
    }
    if (es > 0) {
      lo = f;
      hi = nextUpF(f);
      near = -1;
    } else {
      hi = f;
      lo = nextDownF(f);
      near = 1;
    }
  } else {
    if (f > r) {
      hi = f;
      lo = nextDownF(f);
    } else {
      lo = f;
      hi = nextUpF(f);
    }
    const mid = 0.5 * (lo + hi); // exact: 25 significant bits
    near = r < mid ? -1 : r > mid ? 1 : es < 0 ? -1 : es > 0 ? 1 : 0;
  }
  pickInexact = true;
  switch (mode) {
    case RTZ:
      return r > 0 ? lo : hi;
    case RDN:
      return lo;
    case RUP:
      return hi;
    case RMM:
      return near < 0 ? lo : near > 0 ? hi : r > 0 ? hi : lo;
    default:
      if (near !== 0) return near < 0 ? lo : hi;
      F32[0] = lo;
      return (I32[0] & 1) === 0 ? lo : hi;
  }
}

function overflowResult(neg: boolean, mode: number, max: number): number {
  fx.flags |= OF | NX;
  switch (mode) {
    case RTZ:
      return neg ? -max : max;
    case RDN:
      return neg ? -Infinity : max;
    case RUP:
      return neg ? -max : Infinity;
    default:
      return neg ? -Infinity : Infinity;
  }
}

/**
 * Rounds v to binary32 where r is a finite binary64 and v = r + e with |e| below half a binary64
 * ulp of r and sign(e) = sign(es). Returns the binary32 value (as a number, or ±Infinity) and
 * raises NX/UF/OF. Tininess is detected after rounding (§11.6 / IEEE 754-2008 §7.5): the value
 * is re-rounded at 2^64 scale, where the binary32 grid is that of an unbounded exponent.
 */
export function rndF32(r: number, es: number, mode: number): number {
  if (Math.abs(r) > TWO128) return overflowResult(r < 0, mode, FLT_MAX);
  const res = pickF32(r, es, mode);
  const a = Math.abs(res);
  if (a === TWO128) return overflowResult(res < 0, mode, FLT_MAX);
  if (!pickInexact) return res;
  fx.flags |= NX;
  if (a < FLT_MIN_NORM) fx.flags |= UF;
  else if (a === FLT_MIN_NORM && Math.abs(pickF32(r * TWO64, es, mode)) < TWO_M62) fx.flags |= UF;
  return res;
}

// --- exact slow path --------------------------------------------------------------------------

/** Format parameters: precision, minimum normal exponent, maximum exponent, largest finite value. */
export interface FloatFmt {
  readonly p: number;
  readonly emin: number;
  readonly emax: number;
  readonly max: number;
}
export const FMT_D: FloatFmt = { p: 53, emin: -1022, emax: 1023, max: DBL_MAX };
export const FMT_S: FloatFmt = { p: 24, emin: -126, emax: 127, max: FLT_MAX };

/** 2^k exactly, for -1074 <= k <= 1023. */
export function pow2(k: number): number {
  if (k >= -1022) {
    I32[0] = 0;
    I32[1] = (k + 1023) << 20;
  } else {
    const s = k + 1074;
    I32[0] = s < 32 ? 1 << s : 0;
    I32[1] = s >= 32 ? 1 << (s - 32) : 0;
  }
  return F64[0];
}

function bitLen(m: bigint): number {
  return m === 0n ? 0 : m.toString(2).length;
}

let uNeg = false;
let uM = 0n;
let uE = 0;
/** Splits a finite binary64 (any binary32 value is one too) into (-1)^uNeg * uM * 2^uE. */
function unpack(x: number): void {
  F64[0] = x;
  const hi = I32[1];
  const ex = (hi >>> 20) & 0x7ff;
  uNeg = hi < 0;
  uM = (BigInt(hi & 0xfffff) << 32n) | BigInt(I32[0] >>> 0);
  if (ex === 0) uE = -1074;
  else {
    uM |= 1n << 52n;
    uE = ex - 1075;
  }
}

let rndInexact = false;
/**
 * Rounds m * 2^e (+ a nonzero tail below 2^e when sticky) to an integer multiple of 2^q; returns
 * the multiple count. Callers keep at least two bits below q when sticky is set.
 */
function rndAt(m: bigint, e: number, sticky: boolean, q: number, neg: boolean, mode: number): bigint {
  const sh = q - e;
  let kept: bigint, roundBit: boolean, rest: boolean;
  if (sh <= 0) {
    kept = m << BigInt(-sh);
    roundBit = false;
    rest = sticky;
  } else {
    const bs = BigInt(sh);
    kept = m >> bs;
    const rem = m & ((1n << bs) - 1n);
    const half = 1n << (bs - 1n);
    roundBit = rem >= half;
    rest = sticky || (rem & (half - 1n)) !== 0n;
  }
  rndInexact = roundBit || rest;
  if (!rndInexact) return kept;
  let up: boolean;
  switch (mode) {
    case RNE:
      up = roundBit && (rest || (kept & 1n) === 1n);
      break;
    case RMM:
      up = roundBit;
      break;
    case RDN:
      up = neg;
      break;
    case RUP:
      up = !neg;
      break;
    default:
      up = false;
  }
  return up ? kept + 1n : kept;
}

/**
 * Rounds the exact value (-1)^neg * m * 2^e (plus a tail below when sticky) to the format in
 * `mode`, raising NX, UF (tininess after rounding) and OF. m must be nonzero.
 */
export function roundPack(neg: boolean, m: bigint, e: number, sticky: boolean, fmt: FloatFmt, mode: number): number {
  const top = bitLen(m) - 1 + e; // exponent of the leading bit
  const qU = top - fmt.p + 1; // quantum with an unbounded exponent range
  const mu = rndAt(m, e, sticky, qU, neg, mode);
  const topU = bitLen(mu) - 1 + qU;
  if (topU > fmt.emax) return overflowResult(neg, mode, fmt.max);
  let res: number;
  if (top >= fmt.emin) {
    res = Number(mu) * pow2(qU);
    if (rndInexact) fx.flags |= NX;
  } else {
    const tiny = topU < fmt.emin;
    const q = fmt.emin - fmt.p + 1;
    const mb = rndAt(m, e, sticky, q, neg, mode);
    res = Number(mb) * pow2(q);
    if (rndInexact) fx.flags |= tiny ? NX | UF : NX;
  }
  return neg ? -res : res;
}

/** Sign of an exact zero sum (IEEE 754-2008 §6.3): x + x keeps the sign, x + (-x) is +0 except in RDN. */
export function zeroSum(negA: boolean, negB: boolean, mode: number): number {
  if (negA === negB) return negA ? -0 : 0;
  return mode === RDN ? -0 : 0;
}

function sumPack(pNeg: boolean, pm: bigint, pe: number, c: number, fmt: FloatFmt, mode: number): number {
  unpack(c);
  const cNeg = uNeg;
  const cm = uM;
  const ce = uE;
  if (pm === 0n && cm === 0n) return zeroSum(pNeg, cNeg, mode);
  const e = Math.min(pe, ce);
  const a = pm << BigInt(pe - e);
  const b = cm << BigInt(ce - e);
  const s = (pNeg ? -a : a) + (cNeg ? -b : b);
  if (s === 0n) return zeroSum(pNeg, cNeg, mode);
  return s < 0n ? roundPack(true, -s, e, false, fmt, mode) : roundPack(false, s, e, false, fmt, mode);
}

/** Exactly rounded a + b for finite a, b. */
export function slowAdd(a: number, b: number, fmt: FloatFmt, mode: number): number {
  unpack(a);
  return sumPack(uNeg, uM, uE, b, fmt, mode);
}

/** Exactly rounded a * b for finite a, b. */
export function slowMul(a: number, b: number, fmt: FloatFmt, mode: number): number {
  unpack(a);
  const an = uNeg, am = uM, ae = uE;
  unpack(b);
  const neg = an !== uNeg;
  const m = am * uM;
  if (m === 0n) return neg ? -0 : 0;
  return roundPack(neg, m, ae + uE, false, fmt, mode);
}

/** Exactly rounded a * b + c for finite a, b, c (one rounding, §11.6). */
export function slowFma(a: number, b: number, c: number, fmt: FloatFmt, mode: number): number {
  unpack(a);
  const an = uNeg, am = uM, ae = uE;
  unpack(b);
  return sumPack(an !== uNeg, am * uM, ae + uE, c, fmt, mode);
}

/** Exactly rounded a / b for finite nonzero a, b: a long quotient with p+2 bits and a sticky remainder. */
export function slowDiv(a: number, b: number, fmt: FloatFmt, mode: number): number {
  unpack(a);
  const an = uNeg, am = uM, ae = uE;
  unpack(b);
  const k = Math.max(0, fmt.p + 3 + bitLen(uM) - bitLen(am));
  const num = am << BigInt(k);
  const q = num / uM;
  const sticky = q * uM !== num;
  return roundPack(an !== uNeg, q, ae - uE - k, sticky, fmt, mode);
}

function isqrt(n: bigint): bigint {
  let x = 1n << BigInt((bitLen(n) >> 1) + 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** Exactly rounded sqrt(a) for finite a > 0. */
export function slowSqrt(a: number, fmt: FloatFmt, mode: number): number {
  unpack(a);
  let s = Math.max(0, 2 * fmt.p + 6 - bitLen(uM));
  if ((uE - s) & 1) s++;
  const m = uM << BigInt(s);
  const r = isqrt(m);
  return roundPack(false, r, (uE - s) / 2, r * r !== m, fmt, mode);
}
