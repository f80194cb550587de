/* Shared body of the virtual-memory tests (rv64si-vm-sv39.S, rv64si-vm-sv48.S).
 * The test builds its page tables in M-mode, runs code in S and U mode and
 * checks page faults (scause 12/13/15 taken in M: mcause/mtval), A/D bits set
 * by hardware, megapages/gigapages (and misaligned ones), SUM, MXR, MPRV,
 * sfence.vma, non-canonical addresses.  Define LEVELS (3 = Sv39, 4 = Sv48). */
#include "macros.h"

#define PTE_V 0x01
#define PTE_R 0x02
#define PTE_W 0x04
#define PTE_X 0x08
#define PTE_U 0x10
#define PTE_A 0x40
#define PTE_D 0x80

#define GOTO_MODE(mpp, target) \
  li t0, MSTATUS_MPP; csrc mstatus, t0; li t0, mpp; csrs mstatus, t0; \
  la t0, target; csrw mepc, t0; mret
#define GOTO_U(target) \
  li t0, MSTATUS_MPP; csrc mstatus, t0; \
  la t0, target; li t1, UOFF; sub t0, t0, t1; csrw mepc, t0; mret
/* store PTE (PA in reg `pa`, flags) into table[idx] */
#define SET_PTE_REG(table, idx, pa, flags) \
  srli t0, pa, 12; slli t0, t0, 10; ori t0, t0, flags; la t1, table; sd t0, (8 * (idx))(t1)
#define SET_PTE(table, idx, palabel, flags) la t2, palabel; SET_PTE_REG(table, idx, t2, flags)
#define SET_PTE_ABS(table, idx, paval, flags) li t2, paval; SET_PTE_REG(table, idx, t2, flags)
/* expect the last trap: cause c, mtval v (register) */
#define EXPECT(c, vreg) li x7, c; bne s9, x7, fail; bne s10, vreg, fail; li s9, -1

#define UOFF 0x40000000            /* U alias of the image: VA = PA - UOFF */
#define VA_A   0x00200000
#define VA_RO  0x00201000
#define VA_INV 0x00202000
#define VA_U   0x00203000
#define VA_X   0x00204000
#define VA_RES 0x00205000
#define VA_MEGA 0x00400000
#define VA_BADMEGA 0x00600000
#define VA_BADGIGA 0xc0000000
#define MEGA_PA 0x80200000
#if LEVELS == 3
#define SATP_MODE (8 << 60)
#define NONCANON 0x0000004000000000
#else
#define SATP_MODE (9 << 60)
#define NONCANON 0x0000800000000000
#define VA_TERA  0x0000008080000000    /* 512 GiB terapage at VA 2^39 -> PA 0 */
#endif

  .option norvc
RVTEST_CODE_BEGIN
  SET_TRAP_HOOK(vm_hook)
  /* ---- build the page tables ---- */
  /* level-2 table (the Sv39 root) */
  SET_PTE(l2, 0, l1, PTE_V)
  SET_PTE_ABS(l2, 1, 0x80000000, PTE_V|PTE_R|PTE_W|PTE_X|PTE_U|PTE_A|PTE_D)
  SET_PTE_ABS(l2, 2, 0x80000000, PTE_V|PTE_R|PTE_W|PTE_X|PTE_A|PTE_D)
  SET_PTE_ABS(l2, 3, MEGA_PA, PTE_V|PTE_R|PTE_A)        /* misaligned gigapage */
  SET_PTE(l1, 1, l0, PTE_V)
  SET_PTE_ABS(l1, 2, MEGA_PA, PTE_V|PTE_R|PTE_W|PTE_A|PTE_D)
  SET_PTE_ABS(l1, 3, MEGA_PA + 0x1000, PTE_V|PTE_R|PTE_A) /* misaligned megapage */
  SET_PTE(l0, 0, page_a, PTE_V|PTE_R|PTE_W)               /* A = D = 0 */
  SET_PTE(l0, 1, page_ro, PTE_V|PTE_R|PTE_A)
  SET_PTE(l0, 3, page_u, PTE_V|PTE_R|PTE_W|PTE_U|PTE_A|PTE_D)
  SET_PTE(l0, 4, page_x, PTE_V|PTE_X|PTE_A)
  SET_PTE(l0, 5, page_a, PTE_V|PTE_W|PTE_A|PTE_D)         /* W without R: reserved */
#if LEVELS == 4
  SET_PTE(l3, 0, l2, PTE_V)
  SET_PTE_ABS(l3, 1, 0, PTE_V|PTE_R|PTE_W|PTE_A|PTE_D)    /* terapage */
  la t0, l3
#else
  la t0, l2
#endif
  srli t0, t0, 12
  li t1, SATP_MODE
  or t0, t0, t1
  csrw satp, t0
  csrr t1, satp
  bne t0, t1, fail                 /* mode supported: satp reads back */
  sfence.vma
  /* magic values */
  la t0, page_a
  li t1, 0xaaaa
  sd t1, 0(t0)
  la t0, page_b
  li t1, 0xbbbb
  sd t1, 0(t0)
  la t0, page_ro
  li t1, 0x1111
  sd t1, 0(t0)
  la t0, page_u
  li t1, 0x5555
  sd t1, 0(t0)
  la t0, page_x
  li t1, 0x7777
  sd t1, 0(t0)
  li t0, MEGA_PA + 0x1238
  li t1, 0x3e3e
  sd t1, 0(t0)
  li s9, -1

  /* ======== S mode ======== */
  la s7, after_s
  GOTO_MODE(MSTATUS_MPP_S, s_code)
s_code:
test_1:                            /* 4K page read; A set by hardware */
  li TESTNUM, 1
  li a0, VA_A
  ld a1, 0(a0)
  li x7, 0xaaaa
  bne a1, x7, fail
  li t0, -1
  bne s9, t0, fail                 /* no trap */
  la t0, l0
  ld a2, 0(t0)
  andi a3, a2, PTE_A
  beqz a3, fail
  andi a3, a2, PTE_D
  bnez a3, fail                    /* read does not set D */
test_2:                            /* store sets D */
  li TESTNUM, 2
  li a0, VA_A
  li a1, 0xa0a0
  sd a1, 8(a0)
  la t0, l0
  ld a2, 0(t0)
  andi a3, a2, PTE_D
  beqz a3, fail
  la t0, page_a
  ld a4, 8(t0)
  bne a4, a1, fail
test_3:                            /* store to read-only page: 15 */
  li TESTNUM, 3
  li a0, VA_RO
  ld a1, 0(a0)
  li x7, 0x1111
  bne a1, x7, fail
  addi a0, a0, 16
  sd a1, 0(a0)
  EXPECT(CAUSE_STORE_PAGE_FAULT, a0)
  li a0, VA_RO + 24
  amoadd.d a1, a1, (a0)            /* AMO to read-only: store fault too */
  EXPECT(CAUSE_STORE_PAGE_FAULT, a0)
test_4:                            /* invalid page: load 13, store 15 */
  li TESTNUM, 4
  li a0, VA_INV + 0x10
  ld a1, 0(a0)
  EXPECT(CAUSE_LOAD_PAGE_FAULT, a0)
  sw a1, 0(a0)
  EXPECT(CAUSE_STORE_PAGE_FAULT, a0)
test_5:                            /* fetch from a non-executable page: 12 */
  li TESTNUM, 5
  la s5, 1f
  li a0, VA_A
  jr a0
1:EXPECT(CAUSE_FETCH_PAGE_FAULT, a0)
  li t0, VA_A
  bne s11, t0, fail                /* mepc = faulting VA */
test_6:                            /* SUM: S access to a U page */
  li TESTNUM, 6
  li t0, MSTATUS_SUM
  csrc sstatus, t0
  li a0, VA_U
  ld a1, 0(a0)
  EXPECT(CAUSE_LOAD_PAGE_FAULT, a0)
  li t0, MSTATUS_SUM
  csrs sstatus, t0
  ld a1, 0(a0)
  li x7, 0x5555
  bne a1, x7, fail
  li t0, -1
  bne s9, t0, fail
  la s5, 1f                        /* S never executes U pages, even with SUM */
  la a0, 2f
  li t0, UOFF
  sub a0, a0, t0
  jr a0
2:j fail
1:EXPECT(CAUSE_FETCH_PAGE_FAULT, a0)
  li t0, MSTATUS_SUM
  csrc sstatus, t0
test_7:                            /* MXR: load from execute-only page */
  li TESTNUM, 7
  li a0, VA_X
  ld a1, 0(a0)
  EXPECT(CAUSE_LOAD_PAGE_FAULT, a0)
  li t0, MSTATUS_MXR
  csrs sstatus, t0
  ld a1, 0(a0)
  li x7, 0x7777
  bne a1, x7, fail
  li t0, MSTATUS_MXR
  csrc sstatus, t0
test_8:                            /* megapage */
  li TESTNUM, 8
  li a0, VA_MEGA + 0x1238
  ld a1, 0(a0)
  li x7, 0x3e3e
  bne a1, x7, fail
  li t0, -1
  bne s9, t0, fail
test_9:                            /* misaligned megapage / gigapage: fault */
  li TESTNUM, 9
  li a0, VA_BADMEGA + 0x238
  ld a1, 0(a0)
  EXPECT(CAUSE_LOAD_PAGE_FAULT, a0)
  li a0, VA_BADGIGA + 0x238
  ld a1, 0(a0)
  EXPECT(CAUSE_LOAD_PAGE_FAULT, a0)
test_10:                           /* reserved W-without-R and non-canonical VA */
  li TESTNUM, 10
  li a0, VA_RES
  ld a1, 0(a0)
  EXPECT(CAUSE_LOAD_PAGE_FAULT, a0)
  li a0, NONCANON
  ld a1, 0(a0)
  li x7, CAUSE_LOAD_PAGE_FAULT
  bne s9, x7, fail
  li s9, -1
test_11:                           /* sfence.vma after remapping a page */
  li TESTNUM, 11
  la t1, page_b
  srli t1, t1, 12
  slli t1, t1, 10
  ori t1, t1, PTE_V|PTE_R|PTE_W|PTE_A|PTE_D
  la t0, l0
  sd t1, 0(t0)
  li a0, VA_A
  sfence.vma a0, zero
  ld a1, 0(a0)
  li x7, 0xbbbb
  bne a1, x7, fail
  la t0, l0
  sd zero, 8*2(t0)                 /* (already invalid) */
  sfence.vma
#if LEVELS == 4
test_12:                           /* Sv48 terapage */
  li TESTNUM, 12
  li a0, VA_TERA
  la t0, page_ro
  li t1, 0x80000000
  sub t0, t0, t1
  add a0, a0, t0
  ld a1, 0(a0)
  li x7, 0x1111
  bne a1, x7, fail
#endif
  ecall                            /* back to M at s7 */

after_s:
  li x7, CAUSE_SUPERVISOR_ECALL
  bne s9, x7, fail
  li s9, -1
  /* ======== U mode (running in the U alias of the image) ======== */
  la s7, after_u
  GOTO_U(u_code)
u_code:
test_13:
  li TESTNUM, 13
  li a0, VA_U
  ld a1, 0(a0)
  li x7, 0x5555
  bne a1, x7, fail
  li t0, -1
  bne s9, t0, fail
  li a0, VA_RO                     /* not a U page */
  ld a1, 0(a0)
  EXPECT(CAUSE_LOAD_PAGE_FAULT, a0)
  sd a1, 8(a0)
  addi a0, a0, 8
  EXPECT(CAUSE_STORE_PAGE_FAULT, a0)
  la s5, 1f                        /* U cannot execute S pages */
  la a0, s_code
  li t0, UOFF
  add a0, a0, t0
  jr a0
1:EXPECT(CAUSE_FETCH_PAGE_FAULT, a0)
  ecall
after_u:
  li x7, CAUSE_USER_ECALL
  bne s9, x7, fail
  li s9, -1
  /* ======== M mode with MPRV ======== */
test_14:
  li TESTNUM, 14
  li t0, MSTATUS_MPP
  csrc mstatus, t0
  li t0, MSTATUS_MPP_S | MSTATUS_MPRV
  csrs mstatus, t0
  li a0, VA_RO
  ld a1, 0(a0)                     /* translated as S */
  li x7, 0x1111
  bne a1, x7, fail
  li a0, VA_MEGA + 0x1240
  li a2, 0x4242
  sd a2, 0(a0)
  li t0, MSTATUS_MPRV
  csrc mstatus, t0
  li t0, MEGA_PA + 0x1240
  ld a3, 0(t0)
  bne a3, a2, fail
  li t0, MSTATUS_MPRV | MSTATUS_MPP
  csrs mstatus, t0                 /* MPRV with MPP = M: no translation */
  la a0, page_u
  ld a1, 0(a0)
  li x7, 0x5555
  bne a1, x7, fail
  li t0, MSTATUS_MPRV
  csrc mstatus, t0
  li t0, -1
  bne s9, t0, fail
  csrw satp, zero
  sfence.vma
  RVTEST_PASS

  /* M-mode trap hook: s9 = mcause, s10 = mtval, s11 = mepc.
   * ecall (8/9/11): continue in M at s7.  Fetch fault (12): resume at s5.
   * Anything else: skip the (4-byte) instruction. */
vm_hook:
  csrr s9, mcause
  csrr s10, mtval
  csrr s11, mepc
  bltz s9, fail
  li t0, CAUSE_USER_ECALL
  beq s9, t0, 1f
  li t0, CAUSE_SUPERVISOR_ECALL
  beq s9, t0, 1f
  li t0, CAUSE_MACHINE_ECALL
  beq s9, t0, fail
  li t0, CAUSE_FETCH_PAGE_FAULT
  beq s9, t0, 2f
  addi t0, s11, 4
  csrw mepc, t0
  csrr t0, mscratch
  mret
1:csrr t0, mscratch
  jr s7
2:csrw mepc, s5
  csrr t0, mscratch
  mret
RVTEST_CODE_END

  .bss
  .balign 4096
l3: .space 4096
l2: .space 4096
l1: .space 4096
l0: .space 4096
page_a:  .space 4096
page_b:  .space 4096
page_ro: .space 4096
page_u:  .space 4096
page_x:  .space 4096
l2_to_l1_dummy:
l0_unused: .space 4096
