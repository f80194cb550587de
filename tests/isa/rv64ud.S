/* rv64ud: D extension (double precision): arithmetic with rounding modes and
 * fflags, fma, conversions (int and single<->double) with saturation,
 * min/max, compares, fclass, fmv, NaN-boxing, sign injection. */
#include "macros.h"
#define QNAN 0x7ff8000000000000
#define SNAN 0x7ff0000000000001
#define ONE  0x3ff0000000000000
#define MONE 0xbff0000000000000
#define THREE 0x4008000000000000
#define EPS60 0x3c30000000000000
RVTEST_CODE_BEGIN
  TEST_FP_OP2_D(1, fadd.d, 0, 3.5, 2.5, 1.0)
  TEST_FP_OP2_D(2, fsub.d, 0, -1.5, 1.0, 2.5)
  TEST_FP_OP2_D(3, fmul.d, 0, -6.0, 3.0, -2.0)
  TEST_FP_OP2_D(4, fdiv.d, 0, 2.5, 5.0, 2.0)
  TEST_FP_OP2_D_BITS(5, fadd.d, NV, QNAN, 0x7ff0000000000000, 0xfff0000000000000)
  TEST_FP_OP2_D_BITS(6, fadd.d, NX, ONE, ONE, EPS60)
  TEST_FP_OP2_D_RM_BITS(7, fadd.d, rup, NX, 0x3ff0000000000001, ONE, EPS60)
  TEST_FP_OP2_D_RM_BITS(8, fsub.d, rdn, NX, 0x3fefffffffffffff, ONE, EPS60)
  TEST_FP_OP2_D_RM_BITS(9, fsub.d, rne, NX, ONE, ONE, EPS60)
  TEST_FP_OP2_D_RM_BITS(10, fsub.d, rdn, 0, 0x8000000000000000, ONE, ONE)
  TEST_FP_OP2_D_RM_BITS(11, fdiv.d, rne, NX, 0x3fd5555555555555, ONE, THREE)
  TEST_FP_OP2_D_RM_BITS(12, fdiv.d, rup, NX, 0x3fd5555555555556, ONE, THREE)
  TEST_FP_OP2_D_RM_BITS(13, fdiv.d, rdn, NX, 0xbfd5555555555556, MONE, THREE)
  TEST_FP_OP2_D_RM_BITS(14, fdiv.d, rtz, NX, 0xbfd5555555555555, MONE, THREE)
  TEST_FP_OP2_D_FRM_BITS(15, fdiv.d, 3, NX, 0x3fd5555555555556, ONE, THREE)   /* frm = RUP */
  TEST_FP_OP2_D_BITS(16, fdiv.d, DZ, 0xfff0000000000000, MONE, 0)
  TEST_FP_OP2_D_BITS(17, fdiv.d, NV, QNAN, 0, 0)
  TEST_FP_OP2_D_BITS(18, fmul.d, OF|NX, 0x7ff0000000000000, 0x7fe1ccf385ebc8a0, 0x4024000000000000)
  TEST_FP_OP2_D_RM_BITS(19, fmul.d, rtz, OF|NX, 0x7fefffffffffffff, 0x7fe1ccf385ebc8a0, 0x4024000000000000)
  TEST_FP_OP2_D_BITS(20, fmul.d, UF|NX, 0, 0x1a70000000000000, 0x1a70000000000000)
  TEST_FP_OP2_D_RM_BITS(21, fmul.d, rup, UF|NX, 1, 0x1a70000000000000, 0x1a70000000000000)
  TEST_FP_OP2_D_BITS(22, fmul.d, 0, 0x10, 0x0170000000000000, 0x3b90000000000000)
  TEST_FP_OP2_D_BITS(23, fadd.d, NV, QNAN, SNAN, ONE)
  TEST_FP_OP2_D_BITS(24, fmul.d, 0, QNAN, 0xfff8000000001234, ONE)
  TEST_FP_OP1_D(25, fsqrt.d, 0, 3.0, 9.0)
  TEST_FP_OP1_D_BITS(26, fsqrt.d, NX, 0x3ff6a09e667f3bcd, 0x4000000000000000)
  TEST_FP_OP1_D_BITS(27, fsqrt.d, NV, QNAN, MONE)
  TEST_FP_OP3_D(28, fmadd.d, 0, 5.0, 1.0, 2.0, 3.0)
  TEST_FP_OP3_D(29, fmsub.d, 0, 5.0, 2.0, 3.0, 1.0)
  TEST_FP_OP3_D(30, fnmsub.d, 0, -5.0, 2.0, 3.0, 1.0)
  TEST_FP_OP3_D(31, fnmadd.d, 0, -7.0, 2.0, 3.0, 1.0)
  TEST_FP_OP3_D_BITS(32, fmadd.d, 0, 0x3c9ffffffffffffe, 0x3ff0000000000001, 0x3fefffffffffffff, MONE)
  TEST_FP_OP3_D_BITS(33, fmadd.d, NV, QNAN, 0x7ff0000000000000, 0, ONE)
  /* min / max */
  TEST_FP_OP2_D(34, fmin.d, 0, -1.0, 1.0, -1.0)
  TEST_FP_OP2_D(35, fmax.d, 0, 1.0, 1.0, -1.0)
  TEST_FP_OP2_D_BITS(36, fmin.d, 0, 0x8000000000000000, 0, 0x8000000000000000)
  TEST_FP_OP2_D_BITS(37, fmax.d, 0, 0, 0x8000000000000000, 0)
  TEST_FP_OP2_D_BITS(38, fmin.d, 0, ONE, QNAN, ONE)
  TEST_FP_OP2_D_BITS(39, fmin.d, NV, ONE, SNAN, ONE)
  TEST_FP_OP2_D_BITS(40, fmax.d, NV, QNAN, SNAN, QNAN)
  /* compares */
  TEST_FP_CMP_D(41, feq.d, 0, 1, 1.0, 1.0)
  TEST_FP_CMP_D(42, flt.d, 0, 1, -1.0, 1.0)
  TEST_FP_CMP_D(43, fle.d, 0, 0, 2.0, 1.0)
  TEST_FP_CMP_D_BITS(44, feq.d, 0, 1, 0x8000000000000000, 0)
  TEST_FP_CMP_D_BITS(45, feq.d, 0, 0, QNAN, QNAN)
  TEST_FP_CMP_D_BITS(46, feq.d, NV, 0, SNAN, ONE)
  TEST_FP_CMP_D_BITS(47, flt.d, NV, 0, QNAN, ONE)
  TEST_FP_CMP_D_BITS(48, fle.d, NV, 0, ONE, QNAN)
  /* fclass */
  TEST_FCLASS_D(49, 1 << 0, 0xfff0000000000000)
  TEST_FCLASS_D(50, 1 << 1, MONE)
  TEST_FCLASS_D(51, 1 << 2, 0x800fffffffffffff)
  TEST_FCLASS_D(52, 1 << 3, 0x8000000000000000)
  TEST_FCLASS_D(53, 1 << 4, 0)
  TEST_FCLASS_D(54, 1 << 5, 1)
  TEST_FCLASS_D(55, 1 << 6, ONE)
  TEST_FCLASS_D(56, 1 << 7, 0x7ff0000000000000)
  TEST_FCLASS_D(57, 1 << 8, SNAN)
  TEST_FCLASS_D(58, 1 << 9, QNAN)
  /* fp -> int */
  TEST_FCVT_TO_INT_D(59, fcvt.w.d, NX, 2, 2.5, rne)
  TEST_FCVT_TO_INT_D(60, fcvt.w.d, NX, 3, 2.5, rmm)
  TEST_FCVT_TO_INT_D(61, fcvt.w.d, NX, -3, -2.5, rdn)
  TEST_FCVT_TO_INT_D(62, fcvt.w.d, NX, -2, -2.5, rup)
  TEST_FCVT_TO_INT_D(63, fcvt.w.d, NV, 0x7fffffff, 3e9, rtz)
  TEST_FCVT_TO_INT_D_BITS(64, fcvt.w.d, NX, 0xffffffff80000000, 0xc1e0000000100000, rtz) /* -2^31-0.5 */
  TEST_FCVT_TO_INT_D_BITS(65, fcvt.w.d, NV, 0xffffffff80000000, 0xc1e0000000100000, rdn)
  TEST_FCVT_TO_INT_D_BITS(66, fcvt.w.d, NV, 0x7fffffff, QNAN, rtz)
  TEST_FCVT_TO_INT_D(67, fcvt.wu.d, 0, 0xffffffffffffffff, 4294967295.0, rtz)
  TEST_FCVT_TO_INT_D(68, fcvt.wu.d, NV, 0, -3.0, rtz)
  TEST_FCVT_TO_INT_D(69, fcvt.wu.d, NX, 0, -0.75, rtz)
  TEST_FCVT_TO_INT_D_BITS(70, fcvt.l.d, NV, 0x7fffffffffffffff, 0x43e0000000000000, rtz)  /* 2^63 */
  TEST_FCVT_TO_INT_D_BITS(71, fcvt.l.d, 0, 0x8000000000000000, 0xc3e0000000000000, rtz)   /* -2^63 */
  TEST_FCVT_TO_INT_D_BITS(72, fcvt.l.d, NV, 0x8000000000000000, 0xfff0000000000000, rtz)
  TEST_FCVT_TO_INT_D_BITS(73, fcvt.lu.d, 0, 0xfffffffffffff800, 0x43efffffffffffff, rtz)
  TEST_FCVT_TO_INT_D_BITS(74, fcvt.lu.d, NV, 0xffffffffffffffff, 0x43f0000000000000, rtz)
  TEST_FCVT_TO_INT_D_BITS(75, fcvt.lu.d, NV, 0xffffffffffffffff, QNAN, rtz)
  TEST_FCVT_TO_INT_D(76, fcvt.lu.d, NV, 0, -1.0, rtz)
  /* int -> fp */
  TEST_FCVT_FROM_INT_D_EXACT(77, fcvt.d.w, 0xc014000000000000, -5)
  TEST_FCVT_FROM_INT_D_EXACT(78, fcvt.d.w, 0xc1e0000000000000, 0x80000000)
  TEST_FCVT_FROM_INT_D_EXACT(79, fcvt.d.wu, 0x41efffffffe00000, 0xffffffffffffffff)
  TEST_FCVT_FROM_INT_D(80, fcvt.d.l, NX, 0x43e0000000000000, 0x7fffffffffffffff, rne)
  TEST_FCVT_FROM_INT_D(81, fcvt.d.l, NX, 0x43dfffffffffffff, 0x7fffffffffffffff, rtz)
  TEST_FCVT_FROM_INT_D(82, fcvt.d.lu, NX, 0x43f0000000000000, -1, rne)
  TEST_FCVT_FROM_INT_D(83, fcvt.d.lu, NX, 0x43efffffffffffff, -1, rdn)
  /* single <-> double */
  TEST_FP_OP1_D_RM_BITS(84, fcvt.s.d, rne, NX, 0xffffffff3eaaaaab, 0x3fd5555555555555)
  TEST_FP_OP1_D_RM_BITS(85, fcvt.s.d, rtz, NX, 0xffffffff3eaaaaaa, 0x3fd5555555555555)
  TEST_FP_OP1_D_RM_BITS(86, fcvt.s.d, rne, OF|NX, 0xffffffff7f800000, 0x7e37e43c8800759c)
  TEST_FP_OP1_D_RM_BITS(87, fcvt.s.d, rne, NV, 0xffffffff7fc00000, SNAN)
  TEST_FP_OP1_D_RM_BITS(88, fcvt.s.d, rne, 0, 0xffffffffbf800000, MONE)
  TEST_FP_OP1_D_BITS(89, fcvt.d.s, 0, 0x3ff8000000000000, 0xffffffff3fc00000)
  TEST_FP_OP1_D_BITS(90, fcvt.d.s, NV, QNAN, 0xffffffff7f800001)
  TEST_FP_OP1_D_BITS(91, fcvt.d.s, 0, QNAN, 0x000000003fc00000)      /* not NaN-boxed */
  TEST_FP_OP1_D_BITS(92, fcvt.d.s, 0, 0x36a0000000000000, 0xffffffff00000001) /* subnormal single, 2^-149 */
  /* sign injection */
  TEST_FP_OP2_D(93, fsgnj.d, 0, -1.0, 1.0, -2.0)
  TEST_FP_OP2_D(94, fsgnjn.d, 0, 1.0, 1.0, -2.0)
  TEST_FP_OP2_D(95, fsgnjx.d, 0, 1.0, -1.0, -2.0)
  TEST_FP_OP2_D_BITS(96, fsgnjn.d, 0, 0xfff0000000000001, SNAN, 0)
  /* fmv.x.d / fmv.d.x / fld / fsd */
test_97:
  li TESTNUM, 97
  li a0, 0x8123456789abcdef
  fmv.d.x f4, a0
  fmv.x.d a1, f4
  bne a0, a1, fail
  la a2, ddata
  fsd f4, 0(a2)
  ld a3, 0(a2)
  bne a0, a3, fail
  li a0, 0x400921fb54442d18
  sd a0, 8(a2)
  fld f5, 8(a2)
  fmv.x.d a1, f5
  bne a0, a1, fail
  /* a double in f reg used as single (not NaN-boxed) -> canonical NaN */
test_98:
  li TESTNUM, 98
  fmv.d.x f1, a0
  fsflags x0
  fmul.s f2, f1, f1
  frflags a3
  bnez a3, fail
  fmv.x.w a4, f2
  li x7, 0x7fc00000
  bne a4, x7, fail
  /* fsw of a double stores its low 32 bits */
  fsw f5, 16(a2)
  lwu a5, 16(a2)
  li x7, 0x54442d18
  bne a5, x7, fail
  RVTEST_PASS
RVTEST_CODE_END

  .data
  .balign 8
ddata:
  .dword 0, 0, 0
