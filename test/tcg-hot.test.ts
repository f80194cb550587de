/**
 * How the translator picks what to translate in its default mode (`jit=on`: hot code only), checked on
 * small loops: what runs translated in the end, and how many regions it takes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bus } from '../src/core/hw/bus.js';
import { Cpu } from '../src/core/target/riscv/cpu.js';
import { allocateMachineMemory, jcIndex, JC_ENTRIES, RAM_OFFSET } from '../src/core/target/riscv/state.js';
import { Tcg } from '../src/core/accel/tcg/tcg.js';
import { enc } from './support/rv-gen.js';

const RAM_BASE = 0x80000000;
const RAM_SIZE = 1 << 20;
const CODE = RAM_BASE + 0x1000;
const A0 = 10, A1 = 11, T0 = 5, S11 = 27;
const ADDI = (rd: number, rs1: number, imm: number) => enc.i(imm, rs1, 0, rd, 0x13);
const BNEZ = (rs1: number, off: number) => enc.b(off, 0, rs1, 1);
const BEQZ = (rs1: number, off: number) => enc.b(off, 0, rs1, 0);
const ANDI = (rd: number, rs1: number, imm: number) => enc.i(imm, rs1, 7, rd, 0x13);
const RDCYCLE_T0 = enc.i(0xc00, 0, 2, T0, 0x73); // csrrs t0, cycle, x0: left to the interpreter
const WFI = 0x10500073;

/** A hart in M-mode at CODE with `words` there, s11 = `s11`, and a translator in `mode`. */
function hart(words: number[], mode: 'on' | 'always', s11: number): { cpu: Cpu; tcg: Tcg } {
  const mem = allocateMachineMemory(RAM_SIZE);
  const dv = new DataView(mem.buffer, RAM_OFFSET, RAM_SIZE);
  words.forEach((w, i) => dv.setInt32(CODE - RAM_BASE + 4 * i, w, true));
  const cpu = new Cpu(mem, new Bus(RAM_BASE, RAM_SIZE, { warn() {} }), { now: () => 0 }, { warn() {} });
  const tcg = new Tcg(cpu, mode);
  cpu.reset(CODE | 0, 0);
  cpu.x[2 * S11] = s11;
  return { cpu, tcg };
}

/**
 * Runs `words` at CODE in M-mode with s11 = `iterations` until WFI. Returns the instructions retired, and
 * retired in translated code, once the first `settle` instructions have run (hot code has been translated by
 * then), the regions made, and the entries from JS into the dispatcher over the whole run.
 */
function runLoop(words: number[], iterations: number, settle = 40_000):
  { instret: number; jit: number; regions: number; dispatches: number } {
  const { cpu, tcg } = hart(words, 'on', iterations);
  let instret0 = -1, jit0 = 0;
  for (let calls = 0; !cpu.idle && calls < 10_000; calls++) {
    tcg.run(1000);
    if (instret0 < 0 && cpu.instret >= settle) { instret0 = cpu.instret; jit0 = tcg.stats.jitInsns; }
  }
  assert.ok(cpu.idle, 'the loop ends at its WFI');
  assert.equal(cpu.x[2 * S11], 0);
  return {
    instret: cpu.instret - instret0, jit: tcg.stats.jitInsns - jit0, regions: tcg.stats.regions,
    dispatches: tcg.stats.dispatches,
  };
}

test('tcg: the code after an instruction left to the interpreter is translated too', () => {
  // loop: addi a0; rdcycle t0; 20 x addi a1; addi s11, -1; bnez s11, loop; wfi
  const body = [ADDI(A0, A0, 1), RDCYCLE_T0, ...Array.from({ length: 20 }, () => ADDI(A1, A1, 1)), ADDI(S11, S11, -1)];
  const r = runLoop([...body, BNEZ(S11, -4 * body.length), WFI], 5000);
  // Only RDCYCLE is interpreted (1 in 24). Before: the interpreter, given the RDCYCLE, went on through the
  // 20 ADDIs to the next taken branch, every iteration.
  assert.ok(r.jit / r.instret > 0.9, `translated ${r.jit} of ${r.instret} instructions`);
});

test('tcg: a jump to a block of a translated region enters that region instead of making a new one', () => {
  // In jit=always everything is translated at first sight. The region made at CODE holds B (a branch target
  // not taken the first time); the JALR then reaches B from the dispatcher.
  const AUIPC_T1 = enc.u(0, 6, 0x17), T1 = 6;
  const words = [
    AUIPC_T1, ADDI(T1, T1, 20), BEQZ(S11, 12), ADDI(S11, S11, -1), enc.i(0, T1, 0, 0, 0x67), // jalr x0, 0(t1)
    ADDI(A0, A0, 1), WFI, // B
  ];
  const { cpu, tcg } = hart(words, 'always', 1);
  for (let calls = 0; !cpu.idle && calls < 100; calls++) tcg.run(1000);
  assert.ok(cpu.idle);
  assert.equal(cpu.x[2 * A0], 1);
  assert.equal(tcg.stats.regions, 1);
  assert.equal(tcg.stats.jitInsns, 6); // all but the WFI
});

test('tcg: region to region through the jump cache without leaving wasm (JS and the dispatcher hash alike)', () => {
  // loop: jal ra, f; addi s11, -1; bnez s11, loop; wfi; f: addi a0, a0, 1; ret — two regions, two
  // transitions per iteration. The dispatcher returns to JS only at the end of a slice or on a miss.
  const JAL_RA = (off: number) => enc.j(off, 1);
  const words = [JAL_RA(16), ADDI(S11, S11, -1), BNEZ(S11, -8), WFI, ADDI(A0, A0, 1), 0x00008067];
  const r = runLoop(words, 50_000);
  // 50,000 iterations in slices of 1,000 instructions: some 200 slices; a miss per transition would be 100,000.
  assert.ok(r.dispatches < 2_000, `${r.dispatches} entries into the dispatcher`);
});

test('tcg: the jump cache hash spreads code addresses', () => {
  // Pairs of a busybox shell loop's hot pcs that shared a slot under the earlier (pc >> 1) ^ (pc >> 15).
  for (const [a, b] of [[0x4c60c, 0x5460a], [0x103d4, 0xa83fa], [0xbd606, 0x5563c], [0x53538, 0xfb512]]) {
    assert.notEqual(jcIndex(a), jcIndex(b));
  }
  const load = new Uint8Array(JC_ENTRIES);
  for (let pc = 0x10000; pc < 0x10000 + 2 * JC_ENTRIES; pc += 2) load[jcIndex(pc)]++;
  assert.ok(Math.max(...load) <= 4, `at most ${Math.max(...load)} pcs of ${2 * JC_ENTRIES} consecutive ones per slot`);
});

test('tcg: straight-line code that runs on into the next pages is translated page by page, all at once', () => {
  // loop: 2,500 x addi a1, a1, 1 (10 KB: three pages); addi s11, -1; beqz s11, done; j loop; done: wfi. Regions end at
  // their page; the interpreter counts entering a page as a branch target, so every page becomes hot after
  // some 150 iterations (it used to take ~150 more per page, the interpreter running on through the rest).
  const body = [...Array.from({ length: 2500 }, () => ADDI(A1, A1, 1)), ADDI(S11, S11, -1)];
  const r = runLoop([...body, BEQZ(S11, 8), enc.j(-4 * (body.length + 1), 0), WFI], 600, 200 * 2503);
  assert.ok(r.jit / r.instret > 0.95, `translated ${r.jit} of ${r.instret} instructions`);
});
