/* rv64um: M extension (mul/div/rem incl. W forms and edge cases). */
#include "macros.h"
RVTEST_CODE_BEGIN
  TEST_RR_OP(1, mul, 0x0000000000000001, 1, 1)
  TEST_RR_OP(2, mul, 0x0000000000000015, 3, 7)
  TEST_RR_OP(3, mul, 0xfffffffffffffff9, -1, 7)
  TEST_RR_OP(4, mul, 0x0000000000000000, 0x8000000000000000, 2)
  TEST_RR_OP(5, mul, 0x1111111111111111 * 3, 0x1111111111111111, 3)
  TEST_RR_OP(6, mulh, 0xffffffffffffffff, -1, 1)
  TEST_RR_OP(7, mulh, 0x0000000000000000, -1, -1)
  TEST_RR_OP(8, mulh, 0x4000000000000000, 0x8000000000000000, 0x8000000000000000)
  TEST_RR_OP(9, mulh, 0xc000000000000000, 0x8000000000000000, 0x7fffffffffffffff)
  TEST_RR_OP(10, mulhu, 0xfffffffffffffffe, -1, -1)
  TEST_RR_OP(11, mulhu, 0x0000000000000000, -1, 1)
  TEST_RR_OP(12, mulhu, 0x4000000000000000, 0x8000000000000000, 0x8000000000000000)
  TEST_RR_OP(13, mulhsu, 0xffffffffffffffff, -1, -1)
  TEST_RR_OP(14, mulhsu, 0x0000000000000000, 1, -1)
  TEST_RR_OP(15, mulhsu, 0xc000000000000000, 0x8000000000000000, 0x8000000000000000)
  TEST_RR_OP(16, mulhsu, 0x0000000000000001, 0x0000000100000000, 0x0000000100000000)
  TEST_RR_OP(17, mulw, 0xffffffff80000000, 0x40000000, 2)
  TEST_RR_OP(18, mulw, 0x0000000000000015, 0xabc00000003, 0xdef00000007)
  TEST_RR_OP(19, mulw, 0x0000000000000001, -1, -1)
  /* div */
  TEST_RR_OP(20, div, 3, 20, 6)
  TEST_RR_OP(21, div, -3, -20, 6)
  TEST_RR_OP(22, div, -3, 20, -6)
  TEST_RR_OP(23, div, 3, -20, -6)
  TEST_RR_OP(24, div, -1, 1, 0)                                     /* div by zero */
  TEST_RR_OP(25, div, 0x8000000000000000, 0x8000000000000000, -1)   /* overflow */
  TEST_RR_OP(26, divu, 3, 20, 6)
  TEST_RR_OP(27, divu, 0x2aaaaaaaaaaaaaa7, -20, 6)
  TEST_RR_OP(28, divu, -1, 5, 0)
  TEST_RR_OP(29, divu, 0, 0x8000000000000000, -1)
  TEST_RR_OP(30, divw, 3, 20, 6)
  TEST_RR_OP(31, divw, -3, -20, 6)
  TEST_RR_OP(32, divw, -1, 7, 0)
  TEST_RR_OP(33, divw, 0xffffffff80000000, 0x80000000, -1)
  TEST_RR_OP(34, divw, 0xfffffffffffffffd, 0x12300000014, 0xfffffffffffffffa)
  TEST_RR_OP(35, divuw, 0x000000002aaaaaa7, -20, 6)
  TEST_RR_OP(36, divuw, 0xffffffffffffffff, 7, 0)
  TEST_RR_OP(37, divuw, 0xffffffff80000000, 0x80000000, 1)          /* result sign-extended */
  TEST_RR_OP(38, divuw, 0, 0x80000000, -1)
  /* rem */
  TEST_RR_OP(39, rem, 2, 20, 6)
  TEST_RR_OP(40, rem, -2, -20, 6)
  TEST_RR_OP(41, rem, 2, 20, -6)
  TEST_RR_OP(42, rem, -2, -20, -6)
  TEST_RR_OP(43, rem, -7, -7, 0)                                    /* rem by zero = dividend */
  TEST_RR_OP(44, rem, 0, 0x8000000000000000, -1)                    /* overflow */
  TEST_RR_OP(45, remu, 2, 20, 6)
  TEST_RR_OP(46, remu, 2, -20, 6)
  TEST_RR_OP(47, remu, -20, -20, 0)
  TEST_RR_OP(48, remu, 0x8000000000000000, 0x8000000000000000, -1)
  TEST_RR_OP(49, remw, -2, -20, 6)
  TEST_RR_OP(50, remw, 0xffffffff80000000, 0x80000000, 0)            /* sign-extended dividend */
  TEST_RR_OP(51, remw, 0, 0x80000000, -1)
  TEST_RR_OP(52, remw, 2, 0x12300000014, 0xfffffffffffffffa)
  TEST_RR_OP(53, remuw, 2, -20, 6)
  TEST_RR_OP(54, remuw, 0xffffffff80000000, 0x80000000, 0)
  TEST_RR_OP(55, remuw, 0xffffffffffffffec, -20, 0)
  TEST_RR_OP(56, remuw, 1, 0x12300000001, 0xabc00000002)
  TEST_RR_SRC1_EQ_DEST(57, div, 4, 13, 3)
  TEST_RR_ZERODEST(58, mul, 5, 6)
  RVTEST_PASS
RVTEST_CODE_END
