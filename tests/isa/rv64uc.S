/* rv64uc: C extension (explicit c.* mnemonics, so every tested instruction is
 * the 16-bit encoding), including 32-bit instructions at 2-byte alignment. */
#include "macros.h"
RVTEST_CODE_BEGIN
  .option push
  .option rvc
  TEST_CASE(1, a0, 0xffffffffffffffe0, c.li a0, -32)
  TEST_CASE(2, a0, 31, c.li a0, 31)
  TEST_CASE(3, a1, 0xfffffffffffe0000, c.lui a1, 0xfffe0)
  TEST_CASE(4, a1, 0x1f000, c.lui a1, 0x1f)
  TEST_CASE(5, a0, 0x7ffffffffffffffe, li a0, 0x7fffffffffffffff; c.addi a0, -1)
  TEST_CASE(6, a0, 0xffffffff80000000, li a0, 0x7fffffff; c.addiw a0, 1)
  TEST_CASE(7, a0, 0x0000000000000005, li a0, 0x100000004; c.addiw a0, 1)
  TEST_CASE(8, a0, 0x8000000000000000, li a0, 1; c.slli a0, 63)
  TEST_CASE(9, s0, 0x0000000000000001, li s0, 0x8000000000000000; c.srli s0, 63)
  TEST_CASE(10, s0, 0xfffffffffffffff8, li s0, 0x8000000000000000; c.srai s0, 60)
  TEST_CASE(11, s1, 0x0000000000000010, li s1, 0x1234567890abcdf0; c.andi s1, 0x1f)
  TEST_CASE(12, s1, 0xffffffffffffffe0, li s1, -1; c.andi s1, -32)
  TEST_CASE(13, a2, 0x1234, li a3, 0x1234; c.mv a2, a3)
  TEST_CASE(14, a2, 0x3, li a2, 1; li a3, 2; c.add a2, a3)
  TEST_CASE(15, a4, 0x0f00, li a4, 0xff00; li a5, 0x0ff0; c.and a4, a5)
  TEST_CASE(16, a4, 0xfff0, li a4, 0xff00; li a5, 0x0ff0; c.or a4, a5)
  TEST_CASE(17, a4, 0xf0f0, li a4, 0xff00; li a5, 0x0ff0; c.xor a4, a5)
  TEST_CASE(18, a4, -1, li a4, 1; li a5, 2; c.sub a4, a5)
  TEST_CASE(19, a4, 0xffffffff80000000, li a4, 0x7fffffff; li a5, 1; c.addw a4, a5)
  TEST_CASE(20, a4, 0x000000007fffffff, li a4, 0x80000000; li a5, 1; c.subw a4, a5)
  /* stack pointer forms */
test_21:
  li TESTNUM, 21
  mv s2, sp
  c.addi16sp sp, -64
  addi t0, s2, -64
  bne t0, sp, fail
  c.addi4spn a0, sp, 16
  addi t0, sp, 16
  bne t0, a0, fail
  li a1, 0x0123456789abcdef
  c.sdsp a1, 8(sp)
  c.ldsp a2, 8(sp)
  bne a1, a2, fail
  c.swsp a1, 16(sp)
  c.lwsp a3, 16(sp)
  li x7, 0xffffffff89abcdef
  bne a3, x7, fail
  fmv.d.x f8, a1
  c.fsdsp f8, 24(sp)
  c.fldsp f9, 24(sp)
  fmv.x.d a4, f9
  bne a4, a1, fail
  c.addi16sp sp, 64
  bne sp, s2, fail
  /* register-based loads/stores (x8-x15) */
test_22:
  li TESTNUM, 22
  la s0, cdata
  li a5, 0xfedcba9876543210
  c.sd a5, 0(s0)
  c.ld a4, 0(s0)
  bne a4, a5, fail
  c.lw a3, 4(s0)
  li x7, 0xfffffffffedcba98
  bne a3, x7, fail
  c.sw a5, 8(s0)
  c.lw a3, 8(s0)
  li x7, 0x76543210
  bne a3, x7, fail
  fmv.d.x f10, a5
  c.fsd f10, 16(s0)
  c.fld f11, 16(s0)
  fmv.x.d a2, f11
  bne a2, a5, fail
  /* control transfer */
test_23:
  li TESTNUM, 23
  c.j 1f
  c.j fail_far
1:li a0, 0
  c.beqz a0, 2f
  c.j fail_far
2:li a0, 1
  c.bnez a0, 3f
  c.j fail_far
3:c.beqz a0, fail_far_b
  la t0, 4f
  c.jr t0
  c.j fail_far
4:la t0, 5f
  c.jalr t0
6:c.j fail_far
5:la t1, 6b
  bne ra, t1, fail
  /* a 32-bit instruction at a 2-byte aligned (not 4-byte) address */
test_24:
  li TESTNUM, 24
  .balign 4
  c.nop
  .option norvc
7:addi a0, zero, 42
  .option rvc
  la t0, 7b
  andi t0, t0, 3
  li x7, 2
  bne t0, x7, fail
  li x7, 42
  bne a0, x7, fail
  c.nop
  RVTEST_PASS
fail_far_b:
fail_far:
  j fail
  .option pop
RVTEST_CODE_END

  .data
  .balign 8
cdata:
  .dword 0, 0, 0, 0
