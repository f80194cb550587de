/* rv64mi: machine mode: CSR access, illegal instruction (mtval), ecall, ebreak,
 * misaligned load/store (hardware or trap), mtvec direct/vectored with CLINT
 * software and timer interrupts, mcycle/minstret (and writes to them), the trigger CSRs, WFI with mie = 0. */
#include "macros.h"

/* expect the last trap (recorded by trap_skip) to have cause c */
#define EXPECT_TRAP(c) li x7, c; bne s9, x7, fail; li s9, -1

RVTEST_CODE_BEGIN
  /* ---- CSR instructions on mscratch ---- */
test_1:
  li TESTNUM, 1
  li a0, 0x1234
  csrw mscratch, a0
  li a1, 0xff
  csrrw a2, mscratch, a1          /* old value */
  bne a2, a0, fail
  csrrs a2, mscratch, a0          /* 0xff | 0x1234 */
  li x7, 0xff
  bne a2, x7, fail
  csrr a3, mscratch
  li x7, 0x12ff
  bne a3, x7, fail
  li a1, 0x0f
  csrrc a2, mscratch, a1
  csrr a3, mscratch
  li x7, 0x12f0
  bne a3, x7, fail
  csrrwi a2, mscratch, 0x1f
  csrrsi a2, mscratch, 0x0
  li x7, 0x1f
  bne a2, x7, fail
  csrrci a2, mscratch, 0x3
  csrr a3, mscratch
  li x7, 0x1c
  bne a3, x7, fail
  li a0, -1
  csrw mscratch, a0               /* full 64-bit register */
  csrr a1, mscratch
  bne a0, a1, fail
  /* ---- misa / mhartid / mstatus fields ---- */
test_2:
  li TESTNUM, 2
  csrr a0, misa
  srli a1, a0, 62
  li x7, 2                        /* MXL = 64 */
  bne a1, x7, fail
  li a2, (1 << ('I'-'A')) | (1 << ('M'-'A')) | (1 << ('A'-'A')) | (1 << ('F'-'A')) | (1 << ('D'-'A')) | (1 << ('C'-'A')) | (1 << ('S'-'A')) | (1 << ('U'-'A'))
  and a3, a0, a2
  bne a3, a2, fail
  csrr a0, mhartid
  bnez a0, fail
  csrr a0, mstatus
  srli a1, a0, 32
  andi a1, a1, 0xf                /* UXL (bits 33:32) and SXL (35:34) = 2 */
  li x7, 0xa
  bne a1, x7, fail
  /* ---- illegal instruction: mcause 2, mepc, mtval = bits or 0 ---- */
  SET_TRAP_HOOK(trap_skip)
test_3:
  li TESTNUM, 3
  li s9, -1
1:.word 0xffffffff                 /* illegal 32-bit encoding */
  EXPECT_TRAP(CAUSE_ILLEGAL_INSTRUCTION)
  la t0, 1b
  bne s11, t0, fail
  beqz s10, 2f
  li x7, 0xffffffff
  bne s10, x7, fail
2:
test_4:                            /* all-zero 16-bit parcel is illegal */
  li TESTNUM, 4
1:.half 0x0000
  EXPECT_TRAP(CAUSE_ILLEGAL_INSTRUCTION)
  la t0, 1b
  bne s11, t0, fail
test_5:                            /* write to a read-only CSR is illegal */
  li TESTNUM, 5
1:csrw mvendorid, a0
  EXPECT_TRAP(CAUSE_ILLEGAL_INSTRUCTION)
  beqz s10, 2f
  lwu t0, 0(s11)
  bne s10, t0, fail
2:
test_6:                            /* non-existent CSR is illegal */
  li TESTNUM, 6
  csrr a0, 0x7ff
  EXPECT_TRAP(CAUSE_ILLEGAL_INSTRUCTION)
test_7:                            /* csrr of a read-only CSR is fine */
  li TESTNUM, 7
  li s9, 0x55
  csrr a0, mimpid
  csrrs a0, mhartid, x0            /* rs1 = x0: no write, no trap */
  li x7, 0x55
  bne s9, x7, fail
  /* ---- ecall / ebreak ---- */
test_8:
  li TESTNUM, 8
1:ecall
  EXPECT_TRAP(CAUSE_MACHINE_ECALL)
  la t0, 1b
  bne s11, t0, fail
test_9:
  li TESTNUM, 9
1:ebreak
  EXPECT_TRAP(CAUSE_BREAKPOINT)
  la t0, 1b
  bne s11, t0, fail
test_10:
  li TESTNUM, 10
  .option push
  .option rvc
1:c.ebreak
  .option pop
  EXPECT_TRAP(CAUSE_BREAKPOINT)
  la t0, 1b
  bne s11, t0, fail
  /* ---- trap entry: MIE -> MPIE, MIE cleared, MPP = M ---- */
test_11:
  li TESTNUM, 11
  SET_TRAP_HOOK(record_mstatus)
  csrsi mstatus, MSTATUS_MIE       /* no interrupt enabled in mie: safe */
  ecall
  csrci mstatus, MSTATUS_MIE
  andi t0, s8, MSTATUS_MIE
  bnez t0, fail
  andi t0, s8, MSTATUS_MPIE
  beqz t0, fail
  li t1, MSTATUS_MPP
  and t0, s8, t1
  bne t0, t1, fail
  SET_TRAP_HOOK(trap_skip)
  /* ---- mepc holds bits 63:1 (bit 0 should read 0; QEMU 7.2 keeps it, so not checked) ---- */
test_12:
  li TESTNUM, 12
  li a0, 0x80000003
  csrw mepc, a0
  csrr a1, mepc
  andi a1, a1, -2
  li x7, 0x80000002
  bne a1, x7, fail
  /* ---- misaligned loads/stores: done in hardware or trapped (cause 4/6, mtval = address) ---- */
test_13:
  li TESTNUM, 13
  la s1, mdata
  li a0, 0x8877665544332211
  sd a0, 0(s1)
  sd zero, 8(s1)
  li s9, -1
  addi s2, s1, 1
  li a1, 0
  lw a1, 0(s2)
  li t0, -1
  beq s9, t0, 1f
  li x7, CAUSE_MISALIGNED_LOAD
  bne s9, x7, fail
  bne s10, s2, fail
  j 2f
1:li x7, 0x55443322
  bne a1, x7, fail
2:
test_14:
  li TESTNUM, 14
  li s9, -1
  addi s2, s1, 3
  li a1, 0
  ld a1, 0(s2)
  li t0, -1
  beq s9, t0, 1f
  li x7, CAUSE_MISALIGNED_LOAD
  bne s9, x7, fail
  bne s10, s2, fail
  j 2f
1:li x7, 0x0000008877665544
  bne a1, x7, fail
2:
test_15:
  li TESTNUM, 15
  li s9, -1
  addi s2, s1, 7
  li a3, 0xabcd
  sh a3, 0(s2)
  li t0, -1
  beq s9, t0, 1f
  li x7, CAUSE_MISALIGNED_STORE
  bne s9, x7, fail
  bne s10, s2, fail
  j 2f
1:ld a4, 0(s1)
  li x7, 0xcd77665544332211
  bne a4, x7, fail
  lbu a4, 8(s1)
  li x7, 0xab
  bne a4, x7, fail
2:
  /* ---- counters ---- */
test_16:
  li TESTNUM, 16
  csrr a0, mcycle
  csrr a1, minstret
  li t0, 100
1:addi t0, t0, -1
  bnez t0, 1b
  csrr a2, mcycle
  csrr a3, minstret
  bgeu a0, a2, fail
  bgeu a1, a3, fail
  rdcycle a4
  rdinstret a5
  bltu a4, a2, fail
  bltu a5, a3, fail
  /* (rdtime is not checked: QEMU's spike machine has no time CSR) */

  /* ---- vectored mtvec + CLINT software interrupt (MSIP, cause 3) ---- */
test_17:
  li TESTNUM, 17
  CLEAR_TRAP_HOOK
  li s9, 0
  la t0, vec_table
  ori t0, t0, 1
  csrw mtvec, t0
  csrr t1, mtvec
  bne t0, t1, fail
  li t0, MIP_MSIP
  csrs mie, t0
  li t1, CLINT_MSIP
  li t2, 1
  sw t2, 0(t1)
  csrsi mstatus, MSTATUS_MIE
  li t0, 100000
1:bnez s9, 2f
  addi t0, t0, -1
  bnez t0, 1b
  j fail
2:csrci mstatus, MSTATUS_MIE
  li x7, IRQ_BIT | 3
  bne s9, x7, fail
  csrr t0, mip
  andi t0, t0, MIP_MSIP
  bnez t0, fail                     /* cleared by the handler */
  /* ---- vectored: machine timer interrupt (MTIP, cause 7) ---- */
test_18:
  li TESTNUM, 18
  li s9, 0
  li t0, MIP_MSIP
  csrc mie, t0
  li t1, CLINT_MTIME
  ld t2, 0(t1)
  addi t2, t2, 200
  li t1, CLINT_MTIMECMP
  sd t2, 0(t1)
  li t0, MIP_MTIP
  csrs mie, t0
  /* WFI with MIE clear wakes on the pending MTIP without a race (priv spec §3.3.3);
     the interrupt is then taken when MIE is set. */
1:wfi
  csrr t0, mip
  andi t0, t0, MIP_MTIP
  beqz t0, 1b
  csrsi mstatus, MSTATUS_MIE
  nop
  csrci mstatus, MSTATUS_MIE
  li x7, IRQ_BIT | 7
  bne s9, x7, fail
  /* ---- direct mtvec: timer interrupt goes to base ---- */
test_19:
  li TESTNUM, 19
  li s9, 0
  la t0, direct_handler
  csrw mtvec, t0
  li t1, CLINT_MTIME
  ld t2, 0(t1)
  addi t2, t2, 100
  li t1, CLINT_MTIMECMP
  sd t2, 0(t1)
1:wfi
  csrr t0, mip
  andi t0, t0, MIP_MTIP
  beqz t0, 1b
  csrsi mstatus, MSTATUS_MIE
  nop
  csrci mstatus, MSTATUS_MIE
  li x7, IRQ_BIT | 7
  bne s9, x7, fail
  /* an interrupt pending but disabled in mstatus is not taken */
test_20:
  li TESTNUM, 20
  li s9, 0
  li t1, CLINT_MSIP
  li t2, 1
  sw t2, 0(t1)
  li t0, MIP_MSIP
  csrs mie, t0
  csrr t0, mip
  andi t0, t0, MIP_MSIP
  beqz t0, fail                    /* pending */
  nop
  nop
  bnez s9, fail                    /* but not taken (MIE = 0) */
  sw zero, 0(t1)
  li t0, MIP_MSIP | MIP_MTIP
  csrc mie, t0
  la t0, trap_vector
  csrw mtvec, t0
  /* a write to minstret/mcycle takes effect after the writing instruction: the next one reads the value
     written (the writing instruction's own retirement is not added) */
test_21:
  li TESTNUM, 21
  csrwi minstret, 0
  csrr a0, minstret
  bnez a0, fail
  li a1, 1000
  csrw mcycle, a1
  csrr a0, mcycle
  bne a0, a1, fail
  /* trigger module without triggers: tselect and tdata1 read as zero, writes ignored; tinfo = type 0 only */
test_22:
  li TESTNUM, 22
  csrw tselect, zero
  csrr a0, tselect
  bnez a0, fail
  li a1, (2 << 60) | (1 << 6) | (1 << 2)  /* mcontrol, M-mode, execute */
  csrw tdata1, a1
  csrr a0, tdata1
  bnez a0, fail
  csrr a0, tinfo
  li x7, 1
  bne a0, x7, fail
  /* WFI with every interrupt disabled in mie cannot be woken: it does not stall */
test_23:
  li TESTNUM, 23
  csrw mie, zero
  li t0, MIP_MSIP
  csrs mip, t0                      /* (MSIP is read-only in mip: stays clear) */
  wfi
  RVTEST_PASS

  /* hook: mstatus at trap time -> s8 */
record_mstatus:
  csrr s8, mstatus
  csrr t0, mepc
  addi t0, t0, 4
  csrw mepc, t0
  csrr t0, mscratch
  mret

  .balign 4
direct_handler:
  csrr s9, mcause
  bgez s9, fail                      /* must be an interrupt */
  li t1, CLINT_MTIMECMP
  li t2, -1
  sd t2, 0(t1)
  mret

  .balign 256
  .option push
  .option norvc         /* every entry exactly 4 bytes */
vec_table:
  j fail              /* 0: exceptions */
  j fail              /* 1: SSI */
  j fail              /* 2 */
  j vec_msi           /* 3: MSI */
  j fail              /* 4 */
  j fail              /* 5: STI */
  j fail              /* 6 */
  j vec_mti           /* 7: MTI */
  j fail
  j fail
  j fail
  j fail              /* 11: MEI */
  .option pop
vec_msi:
  csrr s9, mcause
  li t1, CLINT_MSIP
  sw zero, 0(t1)
  mret
vec_mti:
  csrr s9, mcause
  li t1, CLINT_MTIMECMP
  li t2, -1
  sd t2, 0(t1)
  mret
RVTEST_CODE_END

  .data
  .balign 16
mdata:
  .dword 0, 0
