/* rv64si: supervisor mode: entering S/U via mret, medeleg/mideleg delegation,
 * scause/sepc/stval, sret (SPP/SIE/SPIE), sstatus as a view of mstatus,
 * S-mode timer interrupt through mip.STIP set by M-mode. */
#include "macros.h"

/* switch to privilege mode `mpp` (0 = U, MSTATUS_MPP_S = S) at label */
#define GOTO_MODE(mpp, label) \
  li t0, MSTATUS_MPP; csrc mstatus, t0; li t0, mpp; csrs mstatus, t0; \
  la t0, label; csrw mepc, t0; mret
/* An ecall that reaches M lands in m_ecall_hook: a6 = mcause, a7 = mstatus,
 * s6 = mepc, and execution continues in M at s7. */
#define SET_CONT(label) la s7, label
/* From U (or S): go back to M through the S handler (s1 = 0x5e: forward). */
#define BACK_TO_M li s1, 0x5e; ecall

RVTEST_CODE_BEGIN
  SET_TRAP_HOOK(m_ecall_hook)
  la t0, s_handler
  csrw stvec, t0
  /* ---- medeleg / mideleg are writable ---- */
test_1:
  li TESTNUM, 1
  li a0, (1 << CAUSE_ILLEGAL_INSTRUCTION) | (1 << CAUSE_BREAKPOINT) | (1 << CAUSE_USER_ECALL)
  csrw medeleg, a0
  csrr a1, medeleg
  bne a0, a1, fail
  li a0, MIP_STIP | MIP_SSIP
  csrw mideleg, a0
  csrr a1, mideleg
  and a1, a1, a0
  bne a0, a1, fail
  /* ---- sstatus is a restricted view of mstatus ---- */
test_2:
  li TESTNUM, 2
  li t0, MSTATUS_MIE | MSTATUS_MPIE
  csrc mstatus, t0
  li t0, MSTATUS_SIE | MSTATUS_SPP | MSTATUS_SUM
  csrs mstatus, t0
  csrr a0, sstatus
  and a1, a0, t0
  bne a1, t0, fail
  li t1, MSTATUS_MPP
  and a1, a0, t1
  bnez a1, fail                 /* MPP not visible in sstatus */
  csrc sstatus, t0              /* clears the bits in mstatus too */
  csrr a0, mstatus
  and a1, a0, t0
  bnez a1, fail
  li t0, MSTATUS_MIE
  csrs sstatus, t0              /* MIE is not writable through sstatus */
  csrr a0, mstatus
  andi a0, a0, MSTATUS_MIE
  bnez a0, fail
  /* sie is a view of mie for delegated interrupts */
  li t0, MIP_STIP
  csrs sie, t0
  csrr a0, mie
  and a0, a0, t0
  beqz a0, fail
  csrc mie, t0
  /* ---- enter S with mret; ecall from S goes to M (cause 9, MPP = S) ---- */
test_3:
  li TESTNUM, 3
  SET_CONT(1f)
  GOTO_MODE(MSTATUS_MPP_S, s_code_3)
s_code_3:
  csrr a0, sstatus              /* fine in S */
  csrr a1, sscratch
  ecall                         /* not delegated */
  j fail
1:li x7, CAUSE_SUPERVISOR_ECALL
  bne a6, x7, fail
  li t0, MSTATUS_MPP
  and a0, a7, t0
  li x7, MSTATUS_MPP_S
  bne a0, x7, fail
  la t0, s_code_3 + 8
  bne s6, t0, fail
  /* mret set MPP to U (the least-privileged mode) when it left M */
  /* (checked through a7 of the next ecall from U below) */
  /* ---- delegated exceptions taken in S ---- */
test_4:
  li TESTNUM, 4
  SET_CONT(1f)
  GOTO_MODE(MSTATUS_MPP_S, s_code_4)
s_code_4:
2:csrr a0, mstatus              /* M CSR from S: illegal, delegated to S */
  li x7, CAUSE_ILLEGAL_INSTRUCTION
  bne s9, x7, fail
  la t0, 2b
  bne s11, t0, fail
  beqz s10, 3f                  /* stval = 0 or the instruction bits */
  lwu t0, 0(s11)
  bne s10, t0, fail
3:andi t0, s8, MSTATUS_SPP
  beqz t0, fail                 /* trap came from S: SPP = 1 */
  csrr t0, sstatus
  andi t0, t0, MSTATUS_SPP
  bnez t0, fail                 /* sret cleared SPP */
4:ebreak
  li x7, CAUSE_BREAKPOINT
  bne s9, x7, fail
  la t0, 4b
  bne s11, t0, fail
  ecall
1:li x7, CAUSE_SUPERVISOR_ECALL
  bne a6, x7, fail
  /* ---- U mode: delegated ecall/illegal go to S with SPP = 0 ---- */
test_5:
  li TESTNUM, 5
  SET_CONT(1f)
  GOTO_MODE(0, u_code_5)
u_code_5:
2:ecall                         /* delegated to S (cause 8) */
  li x7, CAUSE_USER_ECALL
  bne s9, x7, fail
  la t0, 2b
  bne s11, t0, fail
  andi t0, s8, MSTATUS_SPP
  bnez t0, fail                 /* from U: SPP = 0 */
  csrr a0, sstatus              /* S CSR from U: illegal */
  li x7, CAUSE_ILLEGAL_INSTRUCTION
  bne s9, x7, fail
  sret                          /* sret in U: illegal */
  li x7, CAUSE_ILLEGAL_INSTRUCTION
  bne s9, x7, fail
  BACK_TO_M
1:li x7, CAUSE_SUPERVISOR_ECALL
  bne a6, x7, fail
  /* ---- undelegated U ecall goes straight to M (cause 8, MPP = U) ---- */
test_6:
  li TESTNUM, 6
  li t0, 1 << CAUSE_USER_ECALL
  csrc medeleg, t0
  SET_CONT(1f)
  GOTO_MODE(0, u_code_6)
u_code_6:
  ecall
1:li x7, CAUSE_USER_ECALL
  bne a6, x7, fail
  li t0, MSTATUS_MPP
  and t0, a7, t0
  bnez t0, fail
  li t0, 1 << CAUSE_USER_ECALL
  csrs medeleg, t0
  /* ---- S-mode timer interrupt: M sets mip.STIP, delegated via mideleg ---- */
test_7:
  li TESTNUM, 7
  li t0, MIP_STIP
  csrs mip, t0
  csrr t1, mip
  and t1, t1, t0
  beqz t1, fail
  SET_CONT(1f)
  GOTO_MODE(MSTATUS_MPP_S, s_code_7)
s_code_7:
  li s9, 0
  li t0, MIP_STIP
  csrs sie, t0
  csrr t1, sip
  and t1, t1, t0
  beqz t1, fail                 /* pending, visible in sip */
  nop
  bnez s9, fail                 /* sstatus.SIE = 0: not taken */
  csrsi sstatus, MSTATUS_SIE
  nop
  nop
  li x7, IRQ_BIT | 5
  bne s9, x7, fail
  andi t0, s8, MSTATUS_SPIE
  beqz t0, fail                 /* SPIE held the old SIE */
  andi t0, s8, MSTATUS_SIE
  bnez t0, fail                 /* SIE cleared on trap entry */
  csrr t0, sstatus
  andi t0, t0, MSTATUS_SIE
  beqz t0, fail                 /* sret restored SIE */
  csrci sstatus, MSTATUS_SIE
  ecall
1:li x7, CAUSE_SUPERVISOR_ECALL
  bne a6, x7, fail
  li t0, MIP_STIP
  csrc mip, t0
  csrw mideleg, zero
  csrw medeleg, zero
  RVTEST_PASS

  /* M hook: record and continue in M at s7 */
m_ecall_hook:
  csrr a6, mcause
  csrr a7, mstatus
  csrr s6, mepc
  csrr t0, mscratch
  jr s7

  /* S handler: s9 = scause, s10 = stval, s11 = sepc, s8 = sstatus.
   * Exceptions: skip the instruction.  Interrupts: disable sie.STIE.
   * s1 == 0x5e: forward to M with an ecall. */
  .balign 4
s_handler:
  csrr s9, scause
  csrr s10, stval
  csrr s11, sepc
  csrr s8, sstatus
  li t0, 0x5e
  bne s1, t0, 1f
  li s1, 0
  ecall
1:bltz s9, 3f
  lhu t0, 0(s11)
  andi t0, t0, 3
  li t1, 3
  li t2, 2
  bne t0, t1, 2f
  li t2, 4
2:add t0, s11, t2
  csrw sepc, t0
  sret
3:li t0, MIP_STIP
  csrc sie, t0
  sret
RVTEST_CODE_END
