/*
 * tsvm ISA test macros (written for tsvm, in the spirit of riscv-tests).
 *
 * Conventions: TESTNUM (gp) holds the current test number (1..255); a failing
 * check jumps to `fail` (env/p.S) which reports (TESTNUM<<1)|1 via tohost.
 * x7 (t2) holds the expected value of a check.  Results go in x14 (a4).
 */
#ifndef TSVM_ISA_MACROS_H
#define TSVM_ISA_MACROS_H

#define TESTNUM gp

#define RVTEST_CODE_BEGIN   .text; .globl test_main; test_main:
#define RVTEST_CODE_END
#define RVTEST_PASS         j pass
#define RVTEST_FAIL         j fail
#define RVTEST_DATA_BEGIN   .data; .balign 16
#define RVTEST_DATA_END

#define MASK_XLEN(x) ((x) & 0xffffffffffffffff)
#define SEXT_IMM(x) ((x) | (-(((x) >> 11) & 1) << 11))

/* CSR bits */
#define MSTATUS_SIE   0x2
#define MSTATUS_MIE   0x8
#define MSTATUS_SPIE  0x20
#define MSTATUS_MPIE  0x80
#define MSTATUS_SPP   0x100
#define MSTATUS_MPP   0x1800
#define MSTATUS_MPP_S 0x800
#define MSTATUS_FS    0x6000
#define MSTATUS_MPRV  0x20000
#define MSTATUS_SUM   0x40000
#define MSTATUS_MXR   0x80000
#define MIP_SSIP 0x2
#define MIP_MSIP 0x8
#define MIP_STIP 0x20
#define MIP_MTIP 0x80
#define MIP_SEIP 0x200
#define CAUSE_MISALIGNED_FETCH 0
#define CAUSE_ILLEGAL_INSTRUCTION 2
#define CAUSE_BREAKPOINT 3
#define CAUSE_MISALIGNED_LOAD 4
#define CAUSE_MISALIGNED_STORE 6
#define CAUSE_USER_ECALL 8
#define CAUSE_SUPERVISOR_ECALL 9
#define CAUSE_MACHINE_ECALL 11
#define CAUSE_FETCH_PAGE_FAULT 12
#define CAUSE_LOAD_PAGE_FAULT 13
#define CAUSE_STORE_PAGE_FAULT 15
#define IRQ_BIT (1 << 63)
#define CLINT_MSIP     0x2000000
#define CLINT_MTIMECMP 0x2004000
#define CLINT_MTIME    0x200bff8
/* fflags */
#define NV 0x10
#define DZ 0x08
#define OF 0x04
#define UF 0x02
#define NX 0x01

/* Install a M-mode trap hook (see env/p.S): the hook is entered with the
 * original t0 in mscratch and must return with mret (or jump elsewhere). */
#define SET_TRAP_HOOK(label) la t0, label; la t1, trap_hook; sd t0, 0(t1)
#define CLEAR_TRAP_HOOK      la t1, trap_hook; sd zero, 0(t1)

/* ---------------- generic ---------------- */
#define TEST_CASE(testnum, testreg, correctval, code...) \
test_ ## testnum: \
    li TESTNUM, testnum; \
    code; \
    li x7, MASK_XLEN(correctval); \
    bne testreg, x7, fail;

/* ---------------- integer ---------------- */
#define TEST_IMM_OP(testnum, inst, result, val1, imm) \
    TEST_CASE(testnum, x14, result, \
      li x1, MASK_XLEN(val1); \
      inst x14, x1, SEXT_IMM(imm))

#define TEST_IMM_SRC1_EQ_DEST(testnum, inst, result, val1, imm) \
    TEST_CASE(testnum, x1, result, \
      li x1, MASK_XLEN(val1); \
      inst x1, x1, SEXT_IMM(imm))

#define TEST_IMM_ZERODEST(testnum, inst, val1, imm) \
    TEST_CASE(testnum, x0, 0, \
      li x1, MASK_XLEN(val1); \
      inst x0, x1, SEXT_IMM(imm))

#define TEST_RR_OP(testnum, inst, result, val1, val2) \
    TEST_CASE(testnum, x14, result, \
      li x1, MASK_XLEN(val1); \
      li x2, MASK_XLEN(val2); \
      inst x14, x1, x2)

#define TEST_RR_SRC1_EQ_DEST(testnum, inst, result, val1, val2) \
    TEST_CASE(testnum, x1, result, \
      li x1, MASK_XLEN(val1); \
      li x2, MASK_XLEN(val2); \
      inst x1, x1, x2)

#define TEST_RR_SRC12_EQ_DEST(testnum, inst, result, val1) \
    TEST_CASE(testnum, x1, result, \
      li x1, MASK_XLEN(val1); \
      inst x1, x1, x1)

#define TEST_RR_ZERODEST(testnum, inst, val1, val2) \
    TEST_CASE(testnum, x0, 0, \
      li x1, MASK_XLEN(val1); \
      li x2, MASK_XLEN(val2); \
      inst x0, x1, x2)

#define TEST_RR_ZEROSRC1(testnum, inst, result, val) \
    TEST_CASE(testnum, x2, result, \
      li x1, MASK_XLEN(val); \
      inst x2, x0, x1)

/* Load from base+offset (label `base` in data); x14 = loaded value. */
#define TEST_LD(testnum, inst, result, offset, base) \
    TEST_CASE(testnum, x14, result, \
      la x1, base; \
      inst x14, offset(x1))

/* Store val at base+offset with st, load it back with ld. */
#define TEST_ST(testnum, ld, st, result, offset, base) \
    TEST_CASE(testnum, x14, result, \
      la x1, base; \
      li x2, MASK_XLEN(result); \
      st x2, offset(x1); \
      ld x14, offset(x1))

/* Store full val, read back with a (narrower) load: checks store width. */
#define TEST_ST_LD(testnum, ld, st, result, val, offset, base) \
    TEST_CASE(testnum, x14, result, \
      la x1, base; \
      li x2, -1; sd x2, 0(x1); sd x2, 8(x1); \
      li x2, MASK_XLEN(val); \
      st x2, offset(x1); \
      ld x14, 0(x1))

/* Branch taken / not taken checks. */
#define TEST_BR2_TAKEN(testnum, inst, val1, val2) \
test_ ## testnum: \
    li TESTNUM, testnum; \
    li x1, MASK_XLEN(val1); \
    li x2, MASK_XLEN(val2); \
    inst x1, x2, 2f; \
    j fail; \
1:  bne x0, TESTNUM, 3f; \
2:  inst x1, x2, 1b; \
    j fail; \
3:

#define TEST_BR2_NOTTAKEN(testnum, inst, val1, val2) \
test_ ## testnum: \
    li TESTNUM, testnum; \
    li x1, MASK_XLEN(val1); \
    li x2, MASK_XLEN(val2); \
    inst x1, x2, 1f; \
    bne x0, TESTNUM, 2f; \
1:  j fail; \
2:  inst x1, x2, 1b; \
3:

/* ---------------- floating point ----------------
 * Operands/results are given as .float/.double literals (e.g. 1.5, inf,
 * -inf, nan) or, in the _BITS variants, as raw bit patterns.
 * The check compares the result bits AND the accrued fflags (then cleared).
 */
#define CHECK_FFLAGS(flags) \
    fsflags x15, x0; \
    li x7, flags; \
    bne x15, x7, fail;

#define FP_DATA_S(a, b, c, r)   .pushsection .data; .balign 8; 9: .float a; .float b; .float c; .float r; .popsection
#define FP_DATA_D(a, b, c, r)   .pushsection .data; .balign 8; 9: .double a; .double b; .double c; .double r; .popsection
#define FP_DATA_SB(a, b, c, r)  .pushsection .data; .balign 8; 9: .word a; .word b; .word c; .word r; .popsection
#define FP_DATA_DB(a, b, c, r)  .pushsection .data; .balign 8; 9: .dword a; .dword b; .dword c; .dword r; .popsection

#define TEST_FP_OP_S_INTERNAL(testnum, flags, data, code...) \
test_ ## testnum: \
    li TESTNUM, testnum; \
    data; \
    la a0, 9b; \
    flw f0, 0(a0); flw f1, 4(a0); flw f2, 8(a0); lw a3, 12(a0); \
    fsflags x0; \
    code; \
    fmv.x.s a4, f3; \
    bne a4, a3, fail; \
    CHECK_FFLAGS(flags)

#define TEST_FP_OP_D_INTERNAL(testnum, flags, data, code...) \
test_ ## testnum: \
    li TESTNUM, testnum; \
    data; \
    la a0, 9b; \
    fld f0, 0(a0); fld f1, 8(a0); fld f2, 16(a0); ld a3, 24(a0); \
    fsflags x0; \
    code; \
    fmv.x.d a4, f3; \
    bne a4, a3, fail; \
    CHECK_FFLAGS(flags)

#define TEST_FP_OP1_S(n, inst, flags, result, a)        TEST_FP_OP_S_INTERNAL(n, flags, FP_DATA_S(a, 0.0, 0.0, result), inst f3, f0)
#define TEST_FP_OP2_S(n, inst, flags, result, a, b)     TEST_FP_OP_S_INTERNAL(n, flags, FP_DATA_S(a, b, 0.0, result), inst f3, f0, f1)
#define TEST_FP_OP3_S(n, inst, flags, result, a, b, c)  TEST_FP_OP_S_INTERNAL(n, flags, FP_DATA_S(a, b, c, result), inst f3, f0, f1, f2)
#define TEST_FP_OP2_S_RM(n, inst, rm, flags, result, a, b) TEST_FP_OP_S_INTERNAL(n, flags, FP_DATA_S(a, b, 0.0, result), inst f3, f0, f1, rm)
#define TEST_FP_OP2_S_BITS(n, inst, flags, result, a, b) TEST_FP_OP_S_INTERNAL(n, flags, FP_DATA_SB(a, b, 0, result), inst f3, f0, f1)
#define TEST_FP_OP1_D(n, inst, flags, result, a)        TEST_FP_OP_D_INTERNAL(n, flags, FP_DATA_D(a, 0.0, 0.0, result), inst f3, f0)
#define TEST_FP_OP2_D(n, inst, flags, result, a, b)     TEST_FP_OP_D_INTERNAL(n, flags, FP_DATA_D(a, b, 0.0, result), inst f3, f0, f1)
#define TEST_FP_OP3_D(n, inst, flags, result, a, b, c)  TEST_FP_OP_D_INTERNAL(n, flags, FP_DATA_D(a, b, c, result), inst f3, f0, f1, f2)
#define TEST_FP_OP2_D_RM(n, inst, rm, flags, result, a, b) TEST_FP_OP_D_INTERNAL(n, flags, FP_DATA_D(a, b, 0.0, result), inst f3, f0, f1, rm)
#define TEST_FP_OP2_D_BITS(n, inst, flags, result, a, b) TEST_FP_OP_D_INTERNAL(n, flags, FP_DATA_DB(a, b, 0, result), inst f3, f0, f1)

#define TEST_FP_OP1_S_BITS(n, inst, flags, result, a) TEST_FP_OP_S_INTERNAL(n, flags, FP_DATA_SB(a, 0, 0, result), inst f3, f0)
#define TEST_FP_OP1_D_BITS(n, inst, flags, result, a) TEST_FP_OP_D_INTERNAL(n, flags, FP_DATA_DB(a, 0, 0, result), inst f3, f0)
#define TEST_FP_OP1_S_RM_BITS(n, inst, rm, flags, result, a) TEST_FP_OP_S_INTERNAL(n, flags, FP_DATA_SB(a, 0, 0, result), inst f3, f0, rm)
#define TEST_FP_OP1_D_RM_BITS(n, inst, rm, flags, result, a) TEST_FP_OP_D_INTERNAL(n, flags, FP_DATA_DB(a, 0, 0, result), inst f3, f0, rm)
#define TEST_FP_OP2_S_RM_BITS(n, inst, rm, flags, result, a, b) TEST_FP_OP_S_INTERNAL(n, flags, FP_DATA_SB(a, b, 0, result), inst f3, f0, f1, rm)
#define TEST_FP_OP2_D_RM_BITS(n, inst, rm, flags, result, a, b) TEST_FP_OP_D_INTERNAL(n, flags, FP_DATA_DB(a, b, 0, result), inst f3, f0, f1, rm)
#define TEST_FP_OP3_S_BITS(n, inst, flags, result, a, b, c) TEST_FP_OP_S_INTERNAL(n, flags, FP_DATA_SB(a, b, c, result), inst f3, f0, f1, f2)
#define TEST_FP_OP3_D_BITS(n, inst, flags, result, a, b, c) TEST_FP_OP_D_INTERNAL(n, flags, FP_DATA_DB(a, b, c, result), inst f3, f0, f1, f2)

/* Same with the dynamic rounding mode set through frm. */
#define TEST_FP_OP2_S_FRM(n, inst, frm, flags, result, a, b) \
    TEST_FP_OP_S_INTERNAL(n, flags, FP_DATA_S(a, b, 0.0, result), fsrmi frm; inst f3, f0, f1; fsrmi 0)
#define TEST_FP_OP2_D_FRM(n, inst, frm, flags, result, a, b) \
    TEST_FP_OP_D_INTERNAL(n, flags, FP_DATA_D(a, b, 0.0, result), fsrmi frm; inst f3, f0, f1; fsrmi 0)
#define TEST_FP_OP2_S_FRM_BITS(n, inst, frm, flags, result, a, b) \
    TEST_FP_OP_S_INTERNAL(n, flags, FP_DATA_SB(a, b, 0, result), fsrmi frm; inst f3, f0, f1; fsrmi 0)
#define TEST_FP_OP2_D_FRM_BITS(n, inst, frm, flags, result, a, b) \
    TEST_FP_OP_D_INTERNAL(n, flags, FP_DATA_DB(a, b, 0, result), fsrmi frm; inst f3, f0, f1; fsrmi 0)

/* FP compare / classify / fp->int: integer result in a4. */
#define TEST_FP_INT_S_INTERNAL(testnum, flags, result, data, code...) \
test_ ## testnum: \
    li TESTNUM, testnum; \
    data; \
    la a0, 9b; \
    flw f0, 0(a0); flw f1, 4(a0); \
    fsflags x0; \
    code; \
    li x7, MASK_XLEN(result); \
    bne a4, x7, fail; \
    CHECK_FFLAGS(flags)
#define TEST_FP_INT_D_INTERNAL(testnum, flags, result, data, code...) \
test_ ## testnum: \
    li TESTNUM, testnum; \
    data; \
    la a0, 9b; \
    fld f0, 0(a0); fld f1, 8(a0); \
    fsflags x0; \
    code; \
    li x7, MASK_XLEN(result); \
    bne a4, x7, fail; \
    CHECK_FFLAGS(flags)

#define TEST_FP_CMP_S(n, inst, flags, result, a, b) TEST_FP_INT_S_INTERNAL(n, flags, result, FP_DATA_S(a, b, 0.0, 0.0), inst a4, f0, f1)
#define TEST_FP_CMP_D(n, inst, flags, result, a, b) TEST_FP_INT_D_INTERNAL(n, flags, result, FP_DATA_D(a, b, 0.0, 0.0), inst a4, f0, f1)
#define TEST_FP_CMP_S_BITS(n, inst, flags, result, a, b) TEST_FP_INT_S_INTERNAL(n, flags, result, FP_DATA_SB(a, b, 0, 0), inst a4, f0, f1)
#define TEST_FP_CMP_D_BITS(n, inst, flags, result, a, b) TEST_FP_INT_D_INTERNAL(n, flags, result, FP_DATA_DB(a, b, 0, 0), inst a4, f0, f1)
#define TEST_FCLASS_S(n, result, bits) TEST_FP_INT_S_INTERNAL(n, 0, result, FP_DATA_SB(bits, 0, 0, 0), fclass.s a4, f0)
#define TEST_FCLASS_D(n, result, bits) TEST_FP_INT_D_INTERNAL(n, 0, result, FP_DATA_DB(bits, 0, 0, 0), fclass.d a4, f0)
/* fp -> int conversion with explicit rounding mode */
#define TEST_FCVT_TO_INT_S(n, inst, flags, result, a, rm) TEST_FP_INT_S_INTERNAL(n, flags, result, FP_DATA_S(a, 0.0, 0.0, 0.0), inst a4, f0, rm)
#define TEST_FCVT_TO_INT_D(n, inst, flags, result, a, rm) TEST_FP_INT_D_INTERNAL(n, flags, result, FP_DATA_D(a, 0.0, 0.0, 0.0), inst a4, f0, rm)
#define TEST_FCVT_TO_INT_S_BITS(n, inst, flags, result, a, rm) TEST_FP_INT_S_INTERNAL(n, flags, result, FP_DATA_SB(a, 0, 0, 0), inst a4, f0, rm)
#define TEST_FCVT_TO_INT_D_BITS(n, inst, flags, result, a, rm) TEST_FP_INT_D_INTERNAL(n, flags, result, FP_DATA_DB(a, 0, 0, 0), inst a4, f0, rm)

/* int -> fp conversion: result given as bits */
#define TEST_FCVT_FROM_INT_S(n, inst, flags, resbits, val, rm) \
test_ ## n: \
    li TESTNUM, n; \
    li a0, MASK_XLEN(val); \
    fsflags x0; \
    inst f3, a0, rm; \
    fmv.x.s a4, f3; \
    li x7, MASK_XLEN(resbits); \
    bne a4, x7, fail; \
    CHECK_FFLAGS(flags)
#define TEST_FCVT_FROM_INT_D(n, inst, flags, resbits, val, rm) \
test_ ## n: \
    li TESTNUM, n; \
    li a0, MASK_XLEN(val); \
    fsflags x0; \
    inst f3, a0, rm; \
    fmv.x.d a4, f3; \
    li x7, MASK_XLEN(resbits); \
    bne a4, x7, fail; \
    CHECK_FFLAGS(flags)

/* exact int -> double conversions (fcvt.d.w/wu take no rounding mode) */
#define TEST_FCVT_FROM_INT_D_EXACT(n, inst, resbits, val) \
test_ ## n: \
    li TESTNUM, n; \
    li a0, MASK_XLEN(val); \
    fsflags x0; \
    inst f3, a0; \
    fmv.x.d a4, f3; \
    li x7, MASK_XLEN(resbits); \
    bne a4, x7, fail; \
    CHECK_FFLAGS(0)

#endif
