/* rv64uf: F extension (single precision): arithmetic with rounding modes and
 * fflags, fma, conversions with saturation, min/max, compares, fclass, fmv,
 * NaN-boxing, sign injection, fcsr. */
#include "macros.h"
#define QNAN 0x7fc00000
#define SNAN 0x7f800001
RVTEST_CODE_BEGIN
  /* arithmetic */
  TEST_FP_OP2_S(1, fadd.s, 0, 3.5, 2.5, 1.0)
  TEST_FP_OP2_S(2, fsub.s, 0, -1.5, 1.0, 2.5)
  TEST_FP_OP2_S(3, fmul.s, 0, -6.0, 3.0, -2.0)
  TEST_FP_OP2_S(4, fdiv.s, 0, 2.5, 5.0, 2.0)
  TEST_FP_OP2_S_BITS(5, fadd.s, NV, QNAN, 0x7f800000, 0xff800000)      /* inf + -inf */
  TEST_FP_OP2_S_BITS(6, fadd.s, NX, 0x3f800000, 0x3f800000, 0x3300d959) /* 1 + 3e-8 */
  TEST_FP_OP2_S_RM_BITS(7, fadd.s, rup, NX, 0x3f800001, 0x3f800000, 0x3300d959)
  TEST_FP_OP2_S_RM_BITS(8, fadd.s, rdn, NX, 0x3f800000, 0x3f800000, 0x3300d959)
  TEST_FP_OP2_S_RM_BITS(9, fsub.s, rdn, NX, 0x3f7fffff, 0x3f800000, 0x3300d959)
  TEST_FP_OP2_S_RM_BITS(10, fsub.s, rtz, NX, 0x3f7fffff, 0x3f800000, 0x3300d959)
  TEST_FP_OP2_S_RM_BITS(11, fsub.s, rne, NX, 0x3f7fffff, 0x3f800000, 0x3300d959)
  TEST_FP_OP2_S_RM_BITS(12, fsub.s, rdn, 0, 0x80000000, 0x3f800000, 0x3f800000) /* x-x = -0 in RDN */
  TEST_FP_OP2_S_RM_BITS(13, fsub.s, rne, 0, 0x00000000, 0x3f800000, 0x3f800000)
  TEST_FP_OP2_S_RM_BITS(14, fdiv.s, rne, NX, 0x3eaaaaab, 0x3f800000, 0x40400000) /* 1/3 */
  TEST_FP_OP2_S_RM_BITS(15, fdiv.s, rtz, NX, 0x3eaaaaaa, 0x3f800000, 0x40400000)
  TEST_FP_OP2_S_RM_BITS(16, fdiv.s, rdn, NX, 0xbeaaaaab, 0xbf800000, 0x40400000)
  TEST_FP_OP2_S_RM_BITS(17, fdiv.s, rup, NX, 0xbeaaaaaa, 0xbf800000, 0x40400000)
  TEST_FP_OP2_S_RM_BITS(18, fdiv.s, rmm, NX, 0x3eaaaaab, 0x3f800000, 0x40400000)
  TEST_FP_OP2_S_FRM_BITS(19, fdiv.s, 1, NX, 0x3eaaaaaa, 0x3f800000, 0x40400000)  /* frm = RTZ */
  TEST_FP_OP2_S_FRM_BITS(20, fadd.s, 3, NX, 0x3f800001, 0x3f800000, 0x3300d959)  /* frm = RUP */
  TEST_FP_OP2_S_BITS(21, fdiv.s, DZ, 0x7f800000, 0x3f800000, 0x00000000)         /* 1/0 */
  TEST_FP_OP2_S_BITS(22, fdiv.s, DZ, 0xff800000, 0xbf800000, 0x00000000)
  TEST_FP_OP2_S_BITS(23, fdiv.s, NV, QNAN, 0x00000000, 0x00000000)               /* 0/0 */
  TEST_FP_OP2_S_BITS(24, fmul.s, OF|NX, 0x7f800000, 0x7f61b1e6, 0x41200000)      /* 3e38*10 */
  TEST_FP_OP2_S_RM_BITS(25, fmul.s, rtz, OF|NX, 0x7f7fffff, 0x7f61b1e6, 0x41200000)
  TEST_FP_OP2_S_BITS(26, fmul.s, UF|NX, 0x00000000, 0x0d800000, 0x21800000)      /* 2^-100*2^-60 */
  TEST_FP_OP2_S_RM_BITS(27, fmul.s, rup, UF|NX, 0x00000001, 0x0d800000, 0x21800000)
  TEST_FP_OP2_S_BITS(28, fmul.s, 0, 0x00000008, 0x0d800000, 0x28800000)          /* 2^-100*2^-46 exact subnormal */
  TEST_FP_OP2_S_BITS(29, fmul.s, NV, QNAN, 0x7f800000, 0x00000000)               /* inf*0 */
  TEST_FP_OP2_S_BITS(30, fadd.s, NV, QNAN, SNAN, 0x3f800000)                     /* sNaN input */
  TEST_FP_OP2_S_BITS(31, fadd.s, 0, QNAN, 0x7fc12345, 0x3f800000)                /* qNaN -> canonical */
  TEST_FP_OP1_S(32, fsqrt.s, 0, 2.0, 4.0)
  TEST_FP_OP1_S_BITS(33, fsqrt.s, NX, 0x3fb504f3, 0x40000000)
  TEST_FP_OP1_S_BITS(34, fsqrt.s, NV, QNAN, 0xbf800000)
  TEST_FP_OP1_S_BITS(35, fsqrt.s, 0, 0x80000000, 0x80000000)                     /* sqrt(-0) = -0 */
  /* fused multiply-add */
  TEST_FP_OP3_S(36, fmadd.s, 0, 5.0, 1.0, 2.0, 3.0)
  TEST_FP_OP3_S(37, fmsub.s, 0, 5.0, 2.0, 3.0, 1.0)
  TEST_FP_OP3_S(38, fnmsub.s, 0, -5.0, 2.0, 3.0, 1.0)
  TEST_FP_OP3_S(39, fnmadd.s, 0, -7.0, 2.0, 3.0, 1.0)
  TEST_FP_OP3_S_BITS(40, fmadd.s, 0, 0x337ffffe, 0x3f800001, 0x3f7fffff, 0xbf800000) /* single rounding: 2^-24-2^-47 */
  TEST_FP_OP3_S_BITS(41, fmadd.s, NV, QNAN, 0x7f800000, 0x00000000, 0x3f800000)   /* inf*0+1 */
  TEST_FP_OP3_S_BITS(42, fmadd.s, NV, QNAN, 0x7f800000, 0x00000000, 0x7fc00000)   /* inf*0+qNaN: NV */
  TEST_FP_OP3_S_BITS(43, fmadd.s, NV, QNAN, 0x7f800000, 0x3f800000, 0xff800000)   /* inf - inf */
  /* min / max */
  TEST_FP_OP2_S(44, fmin.s, 0, -1.0, 1.0, -1.0)
  TEST_FP_OP2_S(45, fmax.s, 0, 1.0, 1.0, -1.0)
  TEST_FP_OP2_S_BITS(46, fmin.s, 0, 0x80000000, 0x00000000, 0x80000000)
  TEST_FP_OP2_S_BITS(47, fmax.s, 0, 0x00000000, 0x80000000, 0x00000000)
  TEST_FP_OP2_S_BITS(48, fmin.s, 0, 0x3f800000, QNAN, 0x3f800000)
  TEST_FP_OP2_S_BITS(49, fmax.s, NV, 0x3f800000, SNAN, 0x3f800000)
  TEST_FP_OP2_S_BITS(50, fmax.s, 0, QNAN, 0x7fc00001, 0xffc00000)               /* both NaN -> canonical */
  /* compares */
  TEST_FP_CMP_S(51, feq.s, 0, 1, 1.0, 1.0)
  TEST_FP_CMP_S(52, flt.s, 0, 1, -1.0, 1.0)
  TEST_FP_CMP_S(53, fle.s, 0, 0, 2.0, 1.0)
  TEST_FP_CMP_S_BITS(54, feq.s, 0, 1, 0x80000000, 0x00000000)
  TEST_FP_CMP_S_BITS(55, fle.s, 0, 1, 0x80000000, 0x00000000)
  TEST_FP_CMP_S_BITS(56, flt.s, 0, 0, 0x80000000, 0x00000000)
  TEST_FP_CMP_S_BITS(57, feq.s, 0, 0, QNAN, 0x3f800000)
  TEST_FP_CMP_S_BITS(58, feq.s, NV, 0, SNAN, 0x3f800000)
  TEST_FP_CMP_S_BITS(59, flt.s, NV, 0, QNAN, 0x3f800000)
  TEST_FP_CMP_S_BITS(60, fle.s, NV, 0, 0x3f800000, QNAN)
  /* fclass */
  TEST_FCLASS_S(61, 1 << 0, 0xff800000)
  TEST_FCLASS_S(62, 1 << 1, 0xbf800000)
  TEST_FCLASS_S(63, 1 << 2, 0x807fffff)
  TEST_FCLASS_S(64, 1 << 3, 0x80000000)
  TEST_FCLASS_S(65, 1 << 4, 0x00000000)
  TEST_FCLASS_S(66, 1 << 5, 0x007fffff)
  TEST_FCLASS_S(67, 1 << 6, 0x3f800000)
  TEST_FCLASS_S(68, 1 << 7, 0x7f800000)
  TEST_FCLASS_S(69, 1 << 8, 0x7f800001)
  TEST_FCLASS_S(70, 1 << 9, 0x7fc00000)
  /* fp -> int */
  TEST_FCVT_TO_INT_S(71, fcvt.w.s, NX, 2, 1.5, rne)
  TEST_FCVT_TO_INT_S(72, fcvt.w.s, NX, 2, 2.5, rne)
  TEST_FCVT_TO_INT_S(73, fcvt.w.s, NX, -2, -1.5, rne)
  TEST_FCVT_TO_INT_S(74, fcvt.w.s, NX, 1, 1.5, rtz)
  TEST_FCVT_TO_INT_S(75, fcvt.w.s, NX, -2, -1.5, rdn)
  TEST_FCVT_TO_INT_S(76, fcvt.w.s, NX, 2, 1.25, rup)
  TEST_FCVT_TO_INT_S(77, fcvt.w.s, NX, 3, 2.5, rmm)
  TEST_FCVT_TO_INT_S(78, fcvt.w.s, 0, -7, -7.0, rtz)
  TEST_FCVT_TO_INT_S(79, fcvt.w.s, NV, 0x7fffffff, 3e9, rtz)
  TEST_FCVT_TO_INT_S(80, fcvt.w.s, NV, 0xffffffff80000000, -3e9, rtz)
  TEST_FCVT_TO_INT_S_BITS(81, fcvt.w.s, NV, 0x7fffffff, QNAN, rtz)
  TEST_FCVT_TO_INT_S_BITS(82, fcvt.w.s, NV, 0xffffffff80000000, 0xff800000, rtz)
  TEST_FCVT_TO_INT_S_BITS(83, fcvt.w.s, 0, 0xffffffff80000000, 0xcf000000, rtz)   /* -2^31 exact */
  TEST_FCVT_TO_INT_S(84, fcvt.wu.s, NV, 0, -1.0, rtz)
  TEST_FCVT_TO_INT_S(85, fcvt.wu.s, NX, 0, -0.5, rtz)
  TEST_FCVT_TO_INT_S(86, fcvt.wu.s, 0, 0xffffffffee6b2800, 4e9, rtz)             /* sign-extended */
  TEST_FCVT_TO_INT_S(87, fcvt.wu.s, NV, 0xffffffffffffffff, 5e9, rtz)
  TEST_FCVT_TO_INT_S_BITS(88, fcvt.wu.s, NV, 0xffffffffffffffff, QNAN, rtz)
  TEST_FCVT_TO_INT_S(89, fcvt.l.s, NV, 0x7fffffffffffffff, 1e19, rtz)
  TEST_FCVT_TO_INT_S_BITS(90, fcvt.l.s, NV, 0x8000000000000000, 0xff800000, rtz)
  TEST_FCVT_TO_INT_S_BITS(91, fcvt.l.s, NV, 0x7fffffffffffffff, QNAN, rtz)
  TEST_FCVT_TO_INT_S(92, fcvt.l.s, NX, -2, -2.5, rne)
  TEST_FCVT_TO_INT_S(93, fcvt.lu.s, NV, 0, -2.0, rtz)
  TEST_FCVT_TO_INT_S(94, fcvt.lu.s, 0, 0x8ac7230000000000, 1e19, rtz)
  TEST_FCVT_TO_INT_S(95, fcvt.lu.s, NV, 0xffffffffffffffff, 1e20, rtz)
  /* int -> fp */
  TEST_FCVT_FROM_INT_S(96, fcvt.s.w, 0, 0xffffffffc0a00000, -5, rne)
  TEST_FCVT_FROM_INT_S(97, fcvt.s.w, 0, 0x40a00000, 0x100000005, rne)          /* low 32 bits only */
  TEST_FCVT_FROM_INT_S(98, fcvt.s.wu, NX, 0x4f800000, 0xffffffff, rne)
  TEST_FCVT_FROM_INT_S(99, fcvt.s.wu, NX, 0x4f7fffff, 0xffffffff, rtz)
  TEST_FCVT_FROM_INT_S(100, fcvt.s.l, NX, 0x5f000000, 0x7fffffffffffffff, rne)
  TEST_FCVT_FROM_INT_S(101, fcvt.s.l, NX, 0x5effffff, 0x7fffffffffffffff, rtz)
  TEST_FCVT_FROM_INT_S(102, fcvt.s.l, 0, 0xffffffffdf000000, 0x8000000000000000, rne)
  TEST_FCVT_FROM_INT_S(103, fcvt.s.lu, NX, 0x5f800000, -1, rne)
  TEST_FCVT_FROM_INT_S(104, fcvt.s.lu, 0, 0x00000000, 0, rne)
  TEST_FCVT_FROM_INT_S(105, fcvt.s.w, NX, 0x4b800000, 16777217, rne)            /* 2^24+1: ties to even */
  /* sign injection (no flags, NaN payload kept) */
  TEST_FP_OP2_S(106, fsgnj.s, 0, -1.0, 1.0, -2.0)
  TEST_FP_OP2_S(107, fsgnjn.s, 0, 1.0, 1.0, -2.0)
  TEST_FP_OP2_S(108, fsgnjx.s, 0, 1.0, -1.0, -2.0)
  TEST_FP_OP2_S(109, fsgnjx.s, 0, -1.0, 1.0, -2.0)
  TEST_FP_OP2_S_BITS(110, fsgnjn.s, 0, 0xff800001, SNAN, 0x00000000)
  /* fmv.x.w sign-extends; fmv.w.x NaN-boxes */
test_111:
  li TESTNUM, 111
  li a0, 0xbf800000
  fmv.w.x f1, a0
  fmv.x.w a1, f1
  li x7, 0xffffffffbf800000
  bne a1, x7, fail
  fmv.x.d a2, f1
  bne a2, x7, fail          /* upper 32 bits all ones (NaN-boxed) */
  /* flw NaN-boxes too */
test_112:
  li TESTNUM, 112
  la a0, fdata
  flw f2, 0(a0)
  fmv.x.d a2, f2
  li x7, 0xffffffff40490fdb
  bne a2, x7, fail
  fsw f2, 8(a0)
  lwu a3, 8(a0)
  li x7, 0x40490fdb
  bne a3, x7, fail
  /* improperly NaN-boxed inputs are treated as the canonical NaN */
test_113:
  li TESTNUM, 113
  li a0, 0x000000003f800000
  fmv.d.x f1, a0
  fsflags x0
  fadd.s f2, f1, f1
  fmv.x.d a2, f2
  li x7, 0xffffffff7fc00000
  bne a2, x7, fail
  frflags a3
  bnez a3, fail
  fsgnj.s f3, f1, f1
  fmv.x.d a2, f3
  bne a2, x7, fail
  fclass.s a4, f1
  li x7, 1 << 9
  bne a4, x7, fail
  /* fmv.x.w does not check boxing: just moves the low 32 bits */
  fmv.x.w a5, f1
  li x7, 0x3f800000
  bne a5, x7, fail
  /* fcsr / frm / fflags */
test_114:
  li TESTNUM, 114
  csrwi fcsr, 0
  li a0, 0xff
  csrw fcsr, a0
  csrr a1, fcsr
  bne a0, a1, fail
  frrm a2
  li x7, 7
  bne a2, x7, fail
  frflags a3
  li x7, 0x1f
  bne a3, x7, fail
  fsrmi a4, 2                /* swap: old rm = 7 */
  li x7, 7
  bne a4, x7, fail
  csrr a1, fcsr
  li x7, 0x5f
  bne a1, x7, fail
  fsflagsi a5, 1             /* old flags = 0x1f */
  li x7, 0x1f
  bne a5, x7, fail
  csrr a1, fcsr
  li x7, 0x41
  bne a1, x7, fail
  csrwi fcsr, 0
  /* flags accumulate */
test_115:
  li TESTNUM, 115
  la a0, fdata
  flw f0, 4(a0)               /* 0.0 */
  flw f1, 0(a0)               /* pi */
  fdiv.s f2, f1, f0           /* DZ */
  fdiv.s f2, f0, f0           /* NV */
  frflags a1
  li x7, NV|DZ
  bne a1, x7, fail
  csrwi fflags, 0
  RVTEST_PASS
RVTEST_CODE_END

  .data
  .balign 8
fdata:
  .word 0x40490fdb, 0, 0, 0
