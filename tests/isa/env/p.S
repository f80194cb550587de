/*
 * tsvm ISA test environment "p": physical addresses, M-mode only.
 *
 * _start clears the registers, installs a trap handler that fails the test
 * on any unexpected trap, opens PMP for S/U (if PMP exists), enables the FPU
 * (mstatus.FS=Initial) and jumps to test_main (defined by the test, see
 * RVTEST_CODE_BEGIN in macros.h) in M-mode.
 *
 * Reporting (HTIF): write 1 to tohost for pass, (TESTNUM<<1)|1 for fail.
 * TESTNUM lives in gp (x3).
 *
 * A test may install its own M-mode trap handler by storing its address in
 * `trap_hook` (a dword, see SET_TRAP_HOOK); the env trap vector then jumps
 * there with the original t0 saved in mscratch (t0 = hook address); the hook
 * must return (mret) itself.  `trap_skip` is a ready-made hook.
 */
#include "../macros.h"

  .section .text.init, "ax"
  .globl _start
_start:
  li x1, 0
  li x2, 0
  li x3, 0
  li x4, 0
  li x5, 0
  li x6, 0
  li x7, 0
  li x8, 0
  li x9, 0
  li x10, 0
  li x11, 0
  li x12, 0
  li x13, 0
  li x14, 0
  li x15, 0
  li x16, 0
  li x17, 0
  li x18, 0
  li x19, 0
  li x20, 0
  li x21, 0
  li x22, 0
  li x23, 0
  li x24, 0
  li x25, 0
  li x26, 0
  li x27, 0
  li x28, 0
  li x29, 0
  li x30, 0
  li x31, 0
  /* only hart 0 runs the test */
  csrr a0, mhartid
1:bnez a0, 1b
  /* PMP: allow S/U everything (skipped by the trap if PMP is absent) */
  la t0, 1f
  csrw mtvec, t0
  li t0, -1
  csrw pmpaddr0, t0
  li t0, 0x1f                 /* NAPOT | X | W | R */
  csrw pmpcfg0, t0
  .balign 4
1:
  la t0, trap_vector
  csrw mtvec, t0
  csrwi medeleg, 0
  csrwi mideleg, 0
  csrwi mie, 0
  csrw satp, zero
  /* mstatus: FS=Initial, MPP=M (so a stray mret stays in M) */
  li t0, (1 << 13) | (3 << 11)
  csrw mstatus, t0
  csrwi fcsr, 0
  la sp, stack_top
  li t0, 0
  la t1, test_main
  jr t1

  /* Trap vector: jump to the test's hook if any, else fail. */
  .balign 64
  .globl trap_vector
trap_vector:
  csrw mscratch, t0
  la t0, trap_hook
  ld t0, 0(t0)
  beqz t0, unexpected_trap
  jr t0            /* hook: t0 = hook address, original t0 in mscratch */
unexpected_trap:
  csrr t0, mscratch
  /* unexpected trap: fail with the current TESTNUM (never 0) */
  j fail

  /* Generic hook (SET_TRAP_HOOK(trap_skip)): records mcause in s9, mtval in
   * s10, mepc in s11, skips the trapping instruction (2 or 4 bytes) and mret's. */
  .globl trap_skip
trap_skip:
  csrr s9, mcause
  csrr s10, mtval
  csrr s11, mepc
  lhu t0, 0(s11)
  andi t0, t0, 3
  addi t0, t0, -3
  beqz t0, 1f
  addi t0, s11, 2
  j 2f
1:addi t0, s11, 4
2:csrw mepc, t0
  csrr t0, mscratch
  mret

  .globl pass
pass:
  fence
  li t0, 1
  la t1, tohost
  sw t0, 0(t1)        /* low word first, then high word (QEMU's HTIF */
  sw zero, 4(t1)      /* acts on the write of the high half) */
1:j 1b

  .globl fail
fail:
  fence
  andi t0, TESTNUM, 0xff       /* exit status is 8 bits: keep it non-zero */
  bnez t0, 2f
  ori TESTNUM, TESTNUM, 0xff
2:slli t0, TESTNUM, 1
  ori t0, t0, 1
  la t1, tohost
  sw t0, 0(t1)
  sw zero, 4(t1)
1:j 1b

  .section .tohost, "aw", @progbits
  .balign 64
  .globl tohost
  .type tohost, @object
  .size tohost, 8
tohost: .dword 0
  .balign 64
  .globl fromhost
  .type fromhost, @object
  .size fromhost, 8
fromhost: .dword 0

  .data
  .balign 8
  .globl trap_hook
trap_hook: .dword 0

  .bss
  .balign 16
  .space 4096
  .globl stack_top
stack_top:
