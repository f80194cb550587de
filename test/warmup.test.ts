/**
 * The interpreter's type-feedback warm-up (src/core/target/riscv/warmup.ts) must actually execute the
 * encodings it feeds to the interpreter in every privilege mode: a warm-up whose instructions all trap
 * (a wrong page table, an interrupt taken at once) only warms the trap path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runWarmUp } from '../src/core/target/riscv/warmup.js';
import { INSNS } from '../src/core/target/riscv/insn-table.js';

test('warm-up: every encoding of the table runs in M, S (Sv39) and U (Sv39) mode, few of them trap', () => {
  const r = runWarmUp();
  for (const p of ['M', 'S', 'U'] as const) {
    assert.ok(r.steps[p] >= INSNS.length, `${p}: ${r.steps[p]} steps for ${INSNS.length} encodings`);
    // What may trap: ECALL, EBREAK, and below M-mode the M-only CSR, xRET, WFI and SFENCE.VMA cases.
    assert.ok(r.trapped[p] < r.steps[p] * 0.1, `${p}: ${r.trapped[p]} of ${r.steps[p]} instructions trapped`);
  }
  assert.ok(r.trapped.U > r.trapped.M, 'U-mode traps on privileged instructions that M-mode executes');
});
