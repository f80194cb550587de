/* Bare-metal CPU-throughput loop for bench/run.mjs: 7 instructions per iteration (load, add, xor,
   shift, store, add, branch), then power off through the virt board's SiFive test device.
   The iteration count is patched into the word at `iterations` (offset 0x38) by the bench script. */
  .section .text
  .globl _start
_start:
  lla t2, buf
  ld t0, iterations
  li t1, 0
1:
  ld t3, 0(t2)
  add t3, t3, t0
  xor t4, t3, t1
  slli t4, t4, 3
  sd t4, 8(t2)
  addi t0, t0, -1
  bnez t0, 1b
  li t0, 0x100000
  li t1, 0x5555
  sw t1, 0(t0)
2: j 2b
  .balign 8
iterations: .dword 1000000
  /* Data on its own page: QEMU retranslates on every store to a page that holds code. */
  .balign 4096
buf: .dword 0, 0
