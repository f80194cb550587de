/**
 * RISC-V "F" and "D" computational instructions (Unprivileged ISA 20191213 ch. 11 and 12) with
 * exact IEEE 754-2008 results and fflags in all five rounding modes.
 *
 * Loads/stores, the mstatus.FS checks and marking FS dirty belong to the CPU. Rounding machinery
 * and the exact BigInt slow paths are in fpu-round.ts.
 */
import { Op } from './insn-table.js';
import {
  DZ,
  FMT_D,
  NV,
  NX,
  RDN,
  RMM,
  RNE,
  directD,
  finishD,
  fx,
  prodErr,
  roundOddD,
  rndF32,
  slowAdd,
  slowDiv,
  slowFma,
  slowMul,
  slowSqrt,
  sumErr,
  zeroSum,
} from './fpu-round.js';

export interface FpContext {
  readonly x: Int32Array; // integer regs: x[i] low word at [2*i], high word at [2*i+1]
  readonly fi: Int32Array; // FP regs raw bits: f[i] low word at [2*i], high word at [2*i+1]
  readonly fd: Float64Array; // same memory: f[i] as binary64 at [i]
  readonly fs: Float32Array; // same memory: low word of f[i] as binary32 at [2*i]
  fflags: number; // accrued exceptions NV=16 DZ=8 OF=4 UF=2 NX=1
  frm: number; // dynamic rounding mode 0..7
  illegal(): never; // raises an illegal-instruction trap (throws)
}

const CANON_S = 0x7fc00000; // canonical NaN, §11.3
const CANON_D_HI = 0x7ff80000;

// Range where the error-free transformations are exact and directed corrections stay normal
// (Dekker's product needs operands below 2^995 and no underflow of the partial products).
const LO = 1.0020841800044864e-289; // 2^-960
const HI_OP = 4.1855804968213567e299; // 2^995
const HI_RES = 4.49423283715579e307; // 2^1022
const MIN_NORM = 2.2250738585072014e-308; // 2^-1022
const TWO32 = 4294967296;
const TWO52 = 4503599627370496;

let sn = false; // an operand read by getS/getD was a signalling NaN (raises NV, §11.3)

/** Reads f[r] as binary32; an improperly NaN-boxed value reads as the canonical NaN (§12.2). */
function getS(ctx: FpContext, r: number): number {
  if (ctx.fi[2 * r + 1] !== -1) return NaN;
  const v = ctx.fs[2 * r];
  // Check the raw bits: widening a signalling NaN to a JS number may quiet it.
  if (v !== v && (ctx.fi[2 * r] & 0x00400000) === 0) sn = true;
  return v;
}
function getD(ctx: FpContext, r: number): number {
  const v = ctx.fd[r];
  if (v !== v && (ctx.fi[2 * r + 1] & 0x00080000) === 0) sn = true;
  return v;
}
/** Raw binary32 bits of f[r] for sign injection/classification (canonical NaN if not boxed). */
function bitsS(ctx: FpContext, r: number): number {
  return ctx.fi[2 * r + 1] === -1 ? ctx.fi[2 * r] : CANON_S;
}
/** Writes a binary32 result NaN-boxed (§12.2); NaN results are canonical (§11.3). */
function putS(ctx: FpContext, rd: number, v: number): void {
  if (v !== v) ctx.fi[2 * rd] = CANON_S;
  else ctx.fs[2 * rd] = v;
  ctx.fi[2 * rd + 1] = -1;
}
function putD(ctx: FpContext, rd: number, v: number): void {
  if (v !== v) {
    ctx.fi[2 * rd] = 0;
    ctx.fi[2 * rd + 1] = CANON_D_HI;
  } else ctx.fd[rd] = v;
}
function putX(ctx: FpContext, rd: number, lo: number, hi: number): void {
  if (rd !== 0) {
    ctx.x[2 * rd] = lo;
    ctx.x[2 * rd + 1] = hi;
  }
}

/** Rounding mode from the rm field, or frm when rm = DYN; 5, 6 and a DYN frm >= 5 are reserved (§11.2). */
function rmOf(ctx: FpContext, inst: number): number {
  let rm = (inst >>> 12) & 7;
  if (rm === 7) rm = ctx.frm;
  if (rm > 4) ctx.illegal();
  return rm;
}

function isPosZero(x: number): boolean {
  return x === 0 && 1 / x > 0;
}

// --- binary64 arithmetic -------------------------------------------------------------------------

function addD(a: number, b: number, m: number): number {
  const r = a + b;
  if (r - r === 0) {
    if (r === 0) return m === RDN ? (isPosZero(a) && isPosZero(b) ? 0 : -0) : r;
    if (Math.abs(r) < HI_RES) return finishD(r, sumErr(a, b, r), m); // a sum's error is always exact
    return slowAdd(a, b, FMT_D, m);
  }
  if (r !== r) {
    if (a === a && b === b) fx.flags |= NV; // inf - inf
    return NaN;
  }
  if (a - a !== 0 || b - b !== 0) return r; // an infinite operand: exact
  return slowAdd(a, b, FMT_D, m); // overflow
}

function mulD(a: number, b: number, m: number): number {
  const r = a * b;
  const ar = Math.abs(r);
  const aa = Math.abs(a);
  const ab = Math.abs(b);
  if (ar > LO && ar < HI_RES && aa < HI_OP && ab < HI_OP && aa >= MIN_NORM && ab >= MIN_NORM) {
    return finishD(r, prodErr(a, b, r), m);
  }
  if (r !== r) {
    if (a === a && b === b) fx.flags |= NV; // 0 * inf
    return NaN;
  }
  if (a === 0 || b === 0 || aa === Infinity || ab === Infinity) return r;
  return slowMul(a, b, FMT_D, m);
}

function divD(a: number, b: number, m: number): number {
  const q = a / b;
  const aq = Math.abs(q);
  const aa = Math.abs(a);
  const ab = Math.abs(b);
  if (aq > LO && aq < HI_OP && ab >= MIN_NORM && ab < HI_OP && aa > LO && aa < HI_RES) {
    // The remainder a - q*b is exact: q*b as a Dekker pair, and a - p by Sterbenz's lemma.
    const p = q * b;
    const rem = a - p - prodErr(q, b, p);
    if (rem === 0) return q;
    fx.flags |= NX;
    // A quotient is never exactly halfway between two p-bit numbers, so RMM = RNE here.
    return directD(q, b > 0 ? rem : -rem, m);
  }
  if (q !== q) {
    if (a === a && b === b) fx.flags |= NV; // 0/0, inf/inf
    return NaN;
  }
  if (b === 0) {
    if (aa !== Infinity) fx.flags |= DZ;
    return q;
  }
  if (a === 0 || aa === Infinity || ab === Infinity) return q;
  return slowDiv(a, b, FMT_D, m);
}

function sqrtD(a: number, m: number): number {
  if (a > LO && a < HI_RES) {
    const r = Math.sqrt(a);
    const p = r * r;
    const rem = a - p - prodErr(r, r, p);
    if (rem === 0) return r;
    fx.flags |= NX;
    return directD(r, rem, m); // a square root is never a tie either
  }
  if (a !== a) return NaN;
  if (a < 0) {
    fx.flags |= NV;
    return NaN;
  }
  if (a === 0 || a === Infinity) return a;
  return slowSqrt(a, FMT_D, m);
}

/** a*b + c with one rounding (§11.6); FMSUB/FNMSUB/FNMADD negate a and/or c before calling. */
function fmaD(a: number, b: number, c: number, m: number): number {
  const aInf = a - a !== 0 && a === a;
  const bInf = b - b !== 0 && b === b;
  // inf * 0 is invalid even when the addend is a quiet NaN (§11.6).
  if ((aInf && b === 0) || (bInf && a === 0)) {
    fx.flags |= NV;
    return NaN;
  }
  if (a !== a || b !== b || c !== c) return NaN;
  if (aInf || bInf) {
    const r = a * b + c;
    if (r !== r) fx.flags |= NV; // inf - inf
    return r;
  }
  if (c - c !== 0) return c;
  if (a === 0 || b === 0) {
    const p = a * b;
    if (c !== 0) return c;
    return zeroSum(1 / p < 0, 1 / c < 0, m);
  }
  if (m === RNE) {
    // Boldo & Melquiond, "Emulation of FMA and correctly rounded sums: proved algorithms using
    // rounding to odd" (IEEE TC 2008): with a*b = uh + ul and c + uh = th + tl exactly,
    // RN(th + RO(tl + ul)) = RN(a*b + c) when nothing underflows or overflows.
    const uh = a * b;
    const au = Math.abs(uh);
    const aa = Math.abs(a);
    const ab = Math.abs(b);
    if (au > LO && au < HI_RES && aa >= MIN_NORM && ab >= MIN_NORM && aa < HI_OP && ab < HI_OP && Math.abs(c) < HI_RES) {
      const ul = prodErr(a, b, uh);
      const th = c + uh;
      const tl = sumErr(c, uh, th);
      const s = tl + ul;
      const se = sumErr(tl, ul, s);
      const v = roundOddD(s, se);
      const z = th + v;
      const az = Math.abs(z);
      if (az > LO && az < HI_RES && (v === 0 || Math.abs(v) > LO)) {
        // Inexact iff the odd rounding was (the exact tail then cannot vanish in th + v) or the last sum was.
        if (se !== 0 || sumErr(th, v, z) !== 0) fx.flags |= NX;
        return z;
      }
    }
  }
  return slowFma(a, b, c, FMT_D, m);
}

// --- binary32 arithmetic: exact binary64 intermediates, one rounding to binary32 -------------

function addS(a: number, b: number, m: number): number {
  const r = a + b;
  if (r - r === 0) {
    if (r === 0) return m === RDN ? (isPosZero(a) && isPosZero(b) ? 0 : -0) : r;
    return rndF32(r, sumErr(a, b, r), m);
  }
  if (r !== r && a === a && b === b) fx.flags |= NV;
  return r; // NaN or an exact infinity (binary32 operands cannot overflow binary64)
}

function mulS(a: number, b: number, m: number): number {
  const r = a * b; // exact: 48-bit significand, exponent well inside binary64
  if (r - r === 0) return rndF32(r, 0, m);
  if (r !== r && a === a && b === b) fx.flags |= NV;
  return r;
}

function divS(a: number, b: number, m: number): number {
  const q = a / b;
  if (q - q === 0 && q !== 0) {
    const p = q * b;
    const rem = a - p - prodErr(q, b, p);
    return rndF32(q, b > 0 ? rem : -rem, m);
  }
  if (q !== q) {
    if (a === a && b === b) fx.flags |= NV;
    return NaN;
  }
  if (b === 0 && a - a === 0) fx.flags |= DZ;
  return q; // exact zero or infinity
}

function sqrtS(a: number, m: number): number {
  if (a > 0 && a < Infinity) {
    const r = Math.sqrt(a);
    const p = r * r;
    return rndF32(r, a - p - prodErr(r, r, p), m);
  }
  if (a < 0) {
    fx.flags |= NV;
    return NaN;
  }
  return a; // NaN, +-0, +inf
}

function fmaS(a: number, b: number, c: number, m: number): number {
  const p = a * b; // exact in binary64
  if (p !== p) {
    if (a === a && b === b) fx.flags |= NV; // inf * 0, even with a NaN addend (§11.6)
    return NaN;
  }
  const r = p + c;
  if (r - r === 0) {
    if (r === 0) return m === RDN ? (isPosZero(p) && isPosZero(c) ? 0 : -0) : r;
    return rndF32(r, sumErr(p, c, r), m);
  }
  if (r !== r && c === c) fx.flags |= NV; // inf - inf
  return r;
}

// --- conversions ---------------------------------------------------------------------------------

let cvtInexact = false;
/** Rounds v to an integral value in mode m (|v| >= 2^52, infinities and NaN are returned unchanged). */
function roundInt(v: number, m: number): number {
  cvtInexact = false;
  if (!(Math.abs(v) < TWO52)) return v;
  const t = Math.trunc(v);
  const d = v - t; // exact
  if (d === 0) return t;
  cvtInexact = true;
  const ad = Math.abs(d);
  switch (m) {
    case RNE:
      return ad > 0.5 || (ad === 0.5 && t % 2 !== 0) ? t + Math.sign(d) : t;
    case RMM:
      return ad >= 0.5 ? t + Math.sign(d) : t;
    case RDN:
      return d < 0 ? t - 1 : t;
    case 3: // RUP
      return d > 0 ? t + 1 : t;
    default:
      return t;
  }
}

/**
 * FCVT.{W,WU,L,LU}.{S,D} (§11.7 table 11.4): out of range and NaN saturate and raise NV only;
 * 32-bit results are sign-extended to XLEN, including WU.
 */
function cvtToInt(ctx: FpContext, rd: number, v: number, kind: number, m: number): void {
  let lo: number, hi: number;
  const n = v !== v ? NaN : roundInt(v, m);
  let ok: boolean;
  switch (kind) {
    case 0: // W
      ok = n >= -2147483648 && n <= 2147483647;
      lo = ok ? n | 0 : n < 0 ? -2147483648 : 2147483647;
      hi = lo >> 31;
      break;
    case 1: // WU
      ok = n > -1 && n <= 4294967295;
      lo = ok ? n | 0 : n < 0 ? 0 : -1;
      hi = lo >> 31;
      break;
    case 2: // L
      ok = n >= -9223372036854775808 && n < 9223372036854775808;
      if (ok) {
        hi = Math.floor(n / TWO32);
        lo = (n - hi * TWO32) | 0;
        hi |= 0;
      } else if (n < 0) {
        lo = 0;
        hi = -2147483648;
      } else {
        lo = -1;
        hi = 2147483647;
      }
      break;
    default: // LU
      ok = n > -1 && n < 18446744073709551616;
      if (ok) {
        hi = Math.floor(n / TWO32);
        lo = (n - hi * TWO32) | 0;
        hi |= 0;
      } else lo = hi = n < 0 ? 0 : -1;
  }
  if (!ok) fx.flags |= NV;
  else if (cvtInexact) fx.flags |= NX;
  putX(ctx, rd, lo, hi);
}

/** FCVT.{S,D}.{W,WU,L,LU}: hi*2^32 + lo is rounded once by the host; TwoSum gives its exact error. */
function cvtFromInt(ctx: FpContext, rd: number, rs1: number, kind: number, dbl: boolean, m: number): void {
  const xl = ctx.x[2 * rs1];
  let r: number, e = 0;
  if (kind === 0) r = xl;
  else if (kind === 1) r = xl >>> 0;
  else {
    const xh = ctx.x[2 * rs1 + 1];
    const h = (kind === 2 ? xh : xh >>> 0) * TWO32;
    const l = xl >>> 0;
    r = h + l;
    e = sumErr(h, l, r);
  }
  if (dbl) putD(ctx, rd, finishD(r, e, m));
  else putS(ctx, rd, rndF32(r, e, m));
}

function fclass(neg: boolean, expAllOnes: boolean, expZero: boolean, mantZero: boolean, quiet: boolean): number {
  if (expAllOnes) {
    if (!mantZero) return quiet ? 1 << 9 : 1 << 8;
    return neg ? 1 << 0 : 1 << 7;
  }
  if (expZero) {
    if (mantZero) return neg ? 1 << 3 : 1 << 4;
    return neg ? 1 << 2 : 1 << 5;
  }
  return neg ? 1 << 1 : 1 << 6;
}

/** Executes one FP computational instruction (op in [Op.FMADD_S, Op.FCVT_D_LU]); inst is the 32-bit word. */
export function execFp(ctx: FpContext, op: Op, inst: number): void {
  const rd = (inst >>> 7) & 31;
  const rs1 = (inst >>> 15) & 31;
  const rs2 = (inst >>> 20) & 31;
  fx.flags = 0;
  sn = false;
  switch (op) {
    // R4-type fused multiply-add (§11.6): FMSUB = a*b - c, FNMSUB = -(a*b) + c, FNMADD = -(a*b) - c.
    case Op.FMADD_S:
    case Op.FMSUB_S:
    case Op.FNMSUB_S:
    case Op.FNMADD_S: {
      const m = rmOf(ctx, inst);
      let a = getS(ctx, rs1);
      const b = getS(ctx, rs2);
      let c = getS(ctx, inst >>> 27);
      if (op === Op.FNMSUB_S || op === Op.FNMADD_S) a = -a;
      if (op === Op.FMSUB_S || op === Op.FNMADD_S) c = -c;
      putS(ctx, rd, fmaS(a, b, c, m));
      break;
    }
    case Op.FMADD_D:
    case Op.FMSUB_D:
    case Op.FNMSUB_D:
    case Op.FNMADD_D: {
      const m = rmOf(ctx, inst);
      let a = getD(ctx, rs1);
      const b = getD(ctx, rs2);
      let c = getD(ctx, inst >>> 27);
      if (op === Op.FNMSUB_D || op === Op.FNMADD_D) a = -a;
      if (op === Op.FMSUB_D || op === Op.FNMADD_D) c = -c;
      putD(ctx, rd, fmaD(a, b, c, m));
      break;
    }
    case Op.FADD_S:
      putS(ctx, rd, addS(getS(ctx, rs1), getS(ctx, rs2), rmOf(ctx, inst)));
      break;
    case Op.FSUB_S:
      putS(ctx, rd, addS(getS(ctx, rs1), -getS(ctx, rs2), rmOf(ctx, inst)));
      break;
    case Op.FMUL_S:
      putS(ctx, rd, mulS(getS(ctx, rs1), getS(ctx, rs2), rmOf(ctx, inst)));
      break;
    case Op.FDIV_S:
      putS(ctx, rd, divS(getS(ctx, rs1), getS(ctx, rs2), rmOf(ctx, inst)));
      break;
    case Op.FSQRT_S:
      putS(ctx, rd, sqrtS(getS(ctx, rs1), rmOf(ctx, inst)));
      break;
    case Op.FADD_D:
      putD(ctx, rd, addD(getD(ctx, rs1), getD(ctx, rs2), rmOf(ctx, inst)));
      break;
    case Op.FSUB_D:
      putD(ctx, rd, addD(getD(ctx, rs1), -getD(ctx, rs2), rmOf(ctx, inst)));
      break;
    case Op.FMUL_D:
      putD(ctx, rd, mulD(getD(ctx, rs1), getD(ctx, rs2), rmOf(ctx, inst)));
      break;
    case Op.FDIV_D:
      putD(ctx, rd, divD(getD(ctx, rs1), getD(ctx, rs2), rmOf(ctx, inst)));
      break;
    case Op.FSQRT_D:
      putD(ctx, rd, sqrtD(getD(ctx, rs1), rmOf(ctx, inst)));
      break;

    // Sign injection (§11.7) moves bits: no NaN canonicalisation, no flags.
    case Op.FSGNJ_S:
    case Op.FSGNJN_S:
    case Op.FSGNJX_S: {
      const a = bitsS(ctx, rs1);
      const b = bitsS(ctx, rs2);
      const s = op === Op.FSGNJ_S ? b : op === Op.FSGNJN_S ? ~b : a ^ b;
      ctx.fi[2 * rd] = (a & 0x7fffffff) | (s & 0x80000000);
      ctx.fi[2 * rd + 1] = -1;
      break;
    }
    case Op.FSGNJ_D:
    case Op.FSGNJN_D:
    case Op.FSGNJX_D: {
      const a = ctx.fi[2 * rs1 + 1];
      const b = ctx.fi[2 * rs2 + 1];
      const s = op === Op.FSGNJ_D ? b : op === Op.FSGNJN_D ? ~b : a ^ b;
      ctx.fi[2 * rd] = ctx.fi[2 * rs1];
      ctx.fi[2 * rd + 1] = (a & 0x7fffffff) | (s & 0x80000000);
      break;
    }

    // FMIN/FMAX (§11.7, IEEE 754-2019 minimumNumber/maximumNumber): -0 < +0; one NaN yields the other
    // operand, two NaNs the canonical NaN.
    case Op.FMIN_S:
    case Op.FMAX_S: {
      const a = getS(ctx, rs1);
      const b = getS(ctx, rs2);
      putS(ctx, rd, a !== a ? b : b !== b ? a : op === Op.FMIN_S ? Math.min(a, b) : Math.max(a, b));
      break;
    }
    case Op.FMIN_D:
    case Op.FMAX_D: {
      const a = getD(ctx, rs1);
      const b = getD(ctx, rs2);
      putD(ctx, rd, a !== a ? b : b !== b ? a : op === Op.FMIN_D ? Math.min(a, b) : Math.max(a, b));
      break;
    }

    case Op.FCVT_S_D: {
      const m = rmOf(ctx, inst);
      const a = getD(ctx, rs1);
      putS(ctx, rd, a - a === 0 ? rndF32(a, 0, m) : a);
      break;
    }
    case Op.FCVT_D_S:
      rmOf(ctx, inst);
      putD(ctx, rd, getS(ctx, rs1)); // exact
      break;

    // Comparisons (§11.8): FEQ is quiet (NV only for sNaN), FLT/FLE signal on any NaN.
    case Op.FEQ_S:
    case Op.FLT_S:
    case Op.FLE_S:
    case Op.FEQ_D:
    case Op.FLT_D:
    case Op.FLE_D: {
      const dbl = op >= Op.FEQ_D;
      const a = dbl ? getD(ctx, rs1) : getS(ctx, rs1);
      const b = dbl ? getD(ctx, rs2) : getS(ctx, rs2);
      let r: boolean;
      if (op === Op.FEQ_S || op === Op.FEQ_D) r = a === b;
      else {
        if (a !== a || b !== b) fx.flags |= NV;
        r = op === Op.FLT_S || op === Op.FLT_D ? a < b : a <= b;
      }
      putX(ctx, rd, r ? 1 : 0, 0);
      break;
    }

    case Op.FCLASS_S: {
      const w = bitsS(ctx, rs1);
      const ex = (w >>> 23) & 0xff;
      putX(ctx, rd, fclass(w < 0, ex === 0xff, ex === 0, (w & 0x7fffff) === 0, (w & 0x400000) !== 0), 0);
      break;
    }
    case Op.FCLASS_D: {
      const hi = ctx.fi[2 * rs1 + 1];
      const ex = (hi >>> 20) & 0x7ff;
      const mz = (hi & 0xfffff) === 0 && ctx.fi[2 * rs1] === 0;
      putX(ctx, rd, fclass(hi < 0, ex === 0x7ff, ex === 0, mz, (hi & 0x80000) !== 0), 0);
      break;
    }

    // Bit moves (§11.7, §12.6): FMV.X.W sign-extends the low word; FMV.W.X NaN-boxes.
    case Op.FMV_X_W: {
      const w = ctx.fi[2 * rs1];
      putX(ctx, rd, w, w >> 31);
      break;
    }
    case Op.FMV_X_D:
      putX(ctx, rd, ctx.fi[2 * rs1], ctx.fi[2 * rs1 + 1]);
      break;
    case Op.FMV_W_X:
      ctx.fi[2 * rd] = ctx.x[2 * rs1];
      ctx.fi[2 * rd + 1] = -1;
      break;
    case Op.FMV_D_X:
      ctx.fi[2 * rd] = ctx.x[2 * rs1];
      ctx.fi[2 * rd + 1] = ctx.x[2 * rs1 + 1];
      break;

    case Op.FCVT_W_S:
    case Op.FCVT_WU_S:
    case Op.FCVT_L_S:
    case Op.FCVT_LU_S: {
      const m = rmOf(ctx, inst);
      cvtToInt(ctx, rd, getS(ctx, rs1), op - Op.FCVT_W_S, m);
      break;
    }
    case Op.FCVT_W_D:
    case Op.FCVT_WU_D:
    case Op.FCVT_L_D:
    case Op.FCVT_LU_D: {
      const m = rmOf(ctx, inst);
      cvtToInt(ctx, rd, getD(ctx, rs1), op - Op.FCVT_W_D, m);
      break;
    }
    case Op.FCVT_S_W:
    case Op.FCVT_S_WU:
    case Op.FCVT_S_L:
    case Op.FCVT_S_LU:
      cvtFromInt(ctx, rd, rs1, op - Op.FCVT_S_W, false, rmOf(ctx, inst));
      break;
    case Op.FCVT_D_W:
    case Op.FCVT_D_WU:
    case Op.FCVT_D_L:
    case Op.FCVT_D_LU:
      cvtFromInt(ctx, rd, rs1, op - Op.FCVT_D_W, true, rmOf(ctx, inst));
      break;
    default:
      ctx.illegal();
  }
  if (sn) fx.flags |= NV;
  if (fx.flags !== 0) ctx.fflags |= fx.flags;
}

