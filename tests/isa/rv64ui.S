/* rv64ui: RV64I user-level integer instructions. */
#include "macros.h"
RVTEST_CODE_BEGIN
  /* add/sub/addw/subw */
  TEST_RR_OP(1, add, 0x00000000, 0x00000000, 0x00000000)
  TEST_RR_OP(2, add, 0x0000000a, 0x00000003, 0x00000007)
  TEST_RR_OP(3, add, 0xffffffff80000000, 0xffffffff80000000, 0x0)
  TEST_RR_OP(4, add, 0x8000000000000000, 0x7fffffffffffffff, 1)
  TEST_RR_OP(5, add, 0, -1, 1)
  TEST_RR_OP(6, sub, 0xfffffffffffffffc, 3, 7)
  TEST_RR_OP(7, sub, 0x7fffffffffffffff, 0x8000000000000000, 1)
  TEST_RR_OP(8, addw, 0xffffffff80000000, 0x7fffffff, 1)
  TEST_RR_OP(9, addw, 0x0000000000000002, 0x1200000001, 0x3400000001)
  TEST_RR_OP(10, subw, 0x000000007fffffff, 0xffffffff80000000, 1)
  TEST_RR_OP(11, subw, 0xffffffffffffffff, 0, 1)
  TEST_RR_SRC1_EQ_DEST(12, add, 24, 13, 11)
  TEST_RR_SRC12_EQ_DEST(13, sub, 0, 13)
  TEST_RR_ZERODEST(14, add, 5, 6)
  TEST_RR_ZEROSRC1(15, sub, -7, 7)
  /* addi/addiw */
  TEST_IMM_OP(16, addi, 0x0000000000000800 - 0x1000, 0, 0x800)
  TEST_IMM_OP(17, addi, 0x00000000000007ff, 0, 0x7ff)
  TEST_IMM_OP(18, addi, 0x7fffffffffffffff, 0x8000000000000000, 0xfff)
  TEST_IMM_OP(19, addiw, 0xffffffff80000000, 0x7fffffff, 1)
  TEST_IMM_OP(20, addiw, 0x000000007fffffff, 0xffffffff80000000, 0xfff)
  TEST_IMM_OP(21, addiw, 0x0000000000000005, 0x1234500000006, 0xfff)
  TEST_IMM_SRC1_EQ_DEST(22, addi, 24, 13, 11)
  TEST_IMM_ZERODEST(23, addi, 33, 50)
  /* logic */
  TEST_RR_OP(24, and, 0x0f000f00, 0xff00ff00, 0x0f0f0f0f)
  TEST_RR_OP(25, or,  0xff0fff0f, 0xff00ff00, 0x0f0f0f0f)
  TEST_RR_OP(26, xor, 0xf00ff00f, 0xff00ff00, 0x0f0f0f0f)
  TEST_IMM_OP(27, andi, 0xff00ff00, 0xff00ff00, 0xf0f)
  TEST_IMM_OP(28, andi, 0x0000000f, 0xff00ff0f, 0x00f)
  TEST_IMM_OP(29, ori, 0xffffffffffffff0f, 0xff00ff00, 0xf0f)
  TEST_IMM_OP(30, xori, 0xffffffffff00f00f, 0x00ff0f00, 0xf0f)
  TEST_IMM_OP(31, xori, 0x00ff00f0, 0x00ff00ff, 0x00f)
  /* shifts */
  TEST_RR_OP(32, sll, 0x8000000000000000, 1, 63)
  TEST_RR_OP(33, sll, 0x0000000000000002, 1, 65)     /* only low 6 bits */
  TEST_RR_OP(34, srl, 0x0000000000000001, 0x8000000000000000, 63)
  TEST_RR_OP(35, srl, 0x00ffffffffffffff, -1, 0x48)
  TEST_RR_OP(36, sra, 0xffffffffffffffff, 0x8000000000000000, 63)
  TEST_RR_OP(37, sra, 0xfffffffff8000000, 0xffffffff80000000, 4)
  TEST_IMM_OP(38, slli, 0x0000000100000000, 1, 32)
  TEST_IMM_OP(39, srli, 0x000000007fffffff, 0x00000000ffffffff, 1)
  TEST_IMM_OP(40, srai, 0xffffffffffffff80, 0x8000000000000000, 56)
  TEST_RR_OP(41, sllw, 0xffffffff80000000, 1, 31)
  TEST_RR_OP(42, sllw, 0x0000000000000002, 1, 33)   /* only low 5 bits */
  TEST_RR_OP(43, srlw, 0x0000000000000001, 0xffffffff80000000, 31)
  TEST_RR_OP(44, srlw, 0x000000007fffffff, 0xffffffffffffffff, 1)
  TEST_RR_OP(45, sraw, 0xffffffffffffffff, 0x0000000080000000, 31)
  TEST_RR_OP(46, sraw, 0x0000000000000001, 0xffffffff00000002, 1)
  TEST_IMM_OP(47, slliw, 0xffffffff80000000, 1, 31)
  TEST_IMM_OP(48, slliw, 0x0000000012345670, 0xabcdef0001234567, 4)
  TEST_IMM_OP(49, srliw, 0x0000000000ffffff, 0xffffffffffffffff, 8)
  TEST_IMM_OP(50, sraiw, 0xffffffffff800000, 0x0000000080000000, 8)
  TEST_IMM_OP(51, sraiw, 0x0000000000000000, 0xffffffff7fffffff, 31)
  /* compare */
  TEST_RR_OP(52, slt, 1, -1, 0)
  TEST_RR_OP(53, slt, 0, 0, -1)
  TEST_RR_OP(54, sltu, 0, -1, 0)
  TEST_RR_OP(55, sltu, 1, 0, -1)
  TEST_IMM_OP(56, slti, 1, 0x8000000000000000, 0)
  TEST_IMM_OP(57, slti, 0, 0, 0xfff)
  TEST_IMM_OP(58, sltiu, 1, 0, 0xfff)      /* imm sign-extended then unsigned */
  TEST_IMM_OP(59, sltiu, 0, 1, 1)
  TEST_IMM_OP(60, sltiu, 1, 0, 1)          /* seqz */
  /* lui/auipc */
  TEST_CASE(61, x14, 0xffffffff80000000, lui x14, 0x80000)
  TEST_CASE(62, x14, 0x000000007ffff000, lui x14, 0x7ffff)
  TEST_CASE(63, x14, 0, lui x14, 0)
test_64:
  li TESTNUM, 64
  la a0, 1f
1:auipc a1, 0
  bne a0, a1, fail
  .option push
  .option norvc
2:auipc a1, 0x10000
  la a0, 2b
  li a2, 0x10000000
  add a0, a0, a2
  bne a0, a1, fail
  .option pop
  /* loads */
  TEST_LD(65, lb,  0xffffffffffffff80, 0, ldata)
  TEST_LD(66, lbu, 0x0000000000000080, 0, ldata)
  TEST_LD(67, lb,  0x000000000000007f, 1, ldata)
  TEST_LD(68, lh,  0xffffffffffff8001, 2, ldata)
  TEST_LD(69, lhu, 0x0000000000008001, 2, ldata)
  TEST_LD(70, lw,  0xffffffff80000001, 4, ldata)
  TEST_LD(71, lwu, 0x0000000080000001, 4, ldata)
  TEST_LD(72, ld,  0x8877665544332211, 8, ldata)
  TEST_LD(73, lw,  0x0000000044332211, 8, ldata)
  TEST_LD(74, lh,  0xffffffffffff8877, 14, ldata)
  TEST_LD(75, lb,  0xffffffffffffff88, 15, ldata)
  TEST_LD(76, lw,  0x0000000044332211, -8, ldata_end)
  TEST_LD(77, lbu, 0x0000000000000011, -8, ldata_end)
  /* stores */
  TEST_ST(78, ld, sd, 0x0123456789abcdef, 0, sdata)
  TEST_ST(79, lw, sw, 0xffffffff89abcdef, 8, sdata)
  TEST_ST(80, lh, sh, 0xffffffffffffcdef, 12, sdata)
  TEST_ST(81, lb, sb, 0xffffffffffffffef, 14, sdata)
  TEST_ST(82, lwu, sw, 0x0000000089abcdef, -4, sdata_end)
  TEST_ST_LD(83, ld, sb, 0xffffffffffffff12, 0x3412, 0, sdata)
  TEST_ST_LD(84, ld, sh, 0xffffffffffff3412, 0x563412, 0, sdata)
  TEST_ST_LD(85, ld, sw, 0xffffffff78563412, 0x9a78563412, 0, sdata)
  TEST_ST_LD(86, ld, sb, 0xffffffffff12ffff, 0x12, 2, sdata)
  TEST_ST_LD(87, ld, sh, 0x1234ffffffffffff, 0x1234, 6, sdata)
  TEST_ST_LD(88, ld, sw, 0x12345678ffffffff, 0xabc12345678, 4, sdata)
  /* branches */
  TEST_BR2_TAKEN(89, beq, 0, 0)
  TEST_BR2_TAKEN(90, beq, -1, -1)
  TEST_BR2_NOTTAKEN(91, beq, 0, 1)
  TEST_BR2_TAKEN(92, bne, 0, 1)
  TEST_BR2_NOTTAKEN(93, bne, -1, -1)
  TEST_BR2_TAKEN(94, blt, -1, 1)
  TEST_BR2_NOTTAKEN(95, blt, 1, -1)
  TEST_BR2_NOTTAKEN(96, blt, 1, 1)
  TEST_BR2_TAKEN(97, bge, 1, -1)
  TEST_BR2_TAKEN(98, bge, 1, 1)
  TEST_BR2_NOTTAKEN(99, bge, -1, 1)
  TEST_BR2_TAKEN(100, bltu, 1, -1)
  TEST_BR2_NOTTAKEN(101, bltu, -1, 1)
  TEST_BR2_TAKEN(102, bgeu, -1, 1)
  TEST_BR2_TAKEN(103, bgeu, 0x8000000000000000, 0x8000000000000000)
  TEST_BR2_NOTTAKEN(104, bgeu, 0, 1)
  /* jal/jalr */
test_105:
  li TESTNUM, 105
  li ra, 0
  jal ra, 1f
2:j fail
1:la a0, 2b
  bne a0, ra, fail
test_106:
  li TESTNUM, 106
  la t0, 1f
  jalr t1, 0(t0)
2:j fail
1:la a0, 2b
  bne a0, t1, fail
test_107:                        /* jalr offset, and low bit cleared */
  li TESTNUM, 107
  la t0, 1f
  addi t0, t0, -7
  jalr t1, 8(t0)                 /* target = 1f + 1 -> bit 0 cleared */
  j fail
  .balign 4
1:nop
test_108:                        /* jalr with rd == rs1 */
  li TESTNUM, 108
  la t0, 1f
  jalr t0, 0(t0)
2:j fail
1:la a0, 2b
  bne a0, t0, fail
test_109:                        /* x0 stays zero */
  li TESTNUM, 109
  li x0, 123
  addi x0, x0, 5
  bnez x0, fail
  /* fence.i: self-modifying code */
test_110:
  li TESTNUM, 110
  la a0, smc
  li a1, 0x00200513             /* addi a0, zero, 2 */
  jalr ra, 0(a0)                /* executes original: a0 = 1 */
  li a2, 1
  bne a0, a2, fail
  la a0, smc
  sw a1, 0(a0)
  fence.i
  jalr ra, 0(a0)
  li a2, 2
  bne a0, a2, fail
  /* fence is a no-op here */
  fence
  fence rw, rw
  RVTEST_PASS
RVTEST_CODE_END

  .section .data
  .balign 8
smc:
  .option push
  .option norvc
  addi a0, zero, 1
  ret
  .option pop
  .balign 8
ldata:
  .byte 0x80, 0x7f
  .half 0x8001
  .word 0x80000001
  .dword 0x8877665544332211
ldata_end:
  .balign 8
sdata:
  .dword 0, 0
sdata_end:
