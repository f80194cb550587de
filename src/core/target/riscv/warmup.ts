/**
 * Type-feedback warm-up for the interpreter, run once per process before the first machine starts.
 *
 * V8 optimizes run() (interp.ts) from the type feedback of what it has executed so far; an instruction
 * class met for the first time after that (an LH, a WFI, a CSR write, an FP op...) finds no feedback and
 * throws the optimized code away, and the guest runs on baseline code until V8 has re-optimized the
 * (large) function. A Linux boot met some twenty such deoptimizations of run() and of its callers. Running
 * every encoding of the table on a scratch hart, in M-mode without translation and in S- and U-mode under
 * Sv39 with an interrupt pending, gives those paths their feedback up front (about 20 ms).
 */
import { Bus } from '../../hw/bus.js';
import { Cpu } from './cpu.js';
import { INSNS, maskMatch, Op } from './insn-table.js';
import { MSTATUS_FS, MSTATUS_SUM } from './csr-defs.js';
import { run } from './interp.js';
import { allocateMachineMemory, Priv } from './state.js';

const RAM_BASE = 0x80000000;
const RAM_BYTES = 64 * 1024;
const CODE = RAM_BASE + 0x1000;
const DATA = RAM_BASE + 0x8000;
const CSR_MSCRATCH = 0x340;
/** Sv39 tables mapping the scratch RAM at its own address with 4 KiB pages (a three-level walk). */
const PT_ROOT = RAM_BASE + 0x4000, PT_L1 = RAM_BASE + 0x5000, PT_L0 = RAM_BASE + 0x6000;
const PTE_V = 1, PTE_RWX = 14, PTE_U = 16, PTE_AD = 0xc0;
const SSIP = 1 << 1;
/** Compressed instructions: c.addi, c.lw, c.sw, c.ld, c.sd, c.mv, c.add, c.j, c.beqz, c.bnez, c.li, c.slli. */
const RVC = [0x0505, 0x4188, 0xc188, 0x6188, 0xe188, 0x852e, 0x952e, 0xa001, 0xc101, 0xe101, 0x4505, 0x050a];
/** One pass gives every path its feedback; more passes only cost start-up time (3 passes: 47 ms, 1: 20 ms). */
const ROUNDS = 1;

let done = false;

/** Once per process (the feedback is per function, shared by every hart). */
export function warmUpInterpreter(): void {
  if (done) return;
  done = true;
  runWarmUp();
}

/** Instructions run at each privilege level, and how many of them trapped instead of retiring. */
export interface WarmUpReport {
  steps: Record<'M' | 'S' | 'U', number>;
  trapped: Record<'M' | 'S' | 'U', number>;
}

export function runWarmUp(): WarmUpReport {
  const report: WarmUpReport = { steps: { M: 0, S: 0, U: 0 }, trapped: { M: 0, S: 0, U: 0 } };
  const memory = allocateMachineMemory(RAM_BYTES);
  // The environment has the shape of a machine's (createMachine(): an SBI handler), so that the feedback of
  // `cpu.env.sbiCall` holds for the real one: a different object layout would deoptimize run() later.
  // Its SBI handler takes every other call, so that both outcomes have feedback (ECALL runs twice).
  let calls = 0;
  const env = { warn(): void {}, sbiCall: (): boolean => (calls++ & 1) === 0 };
  const cpu = new Cpu(memory, new Bus(RAM_BASE, RAM_BYTES, { warn() {} }), { now: () => 0 }, env);
  // Both ways the interpreter runs: alone (jit=off), and counting branch targets for the translator.
  const hotTable = new Uint8Array(1 << 16).fill(255);
  const dv = new DataView(memory.buffer, cpu.ramDelta + RAM_BASE, RAM_BYTES);
  const pte = (at: number, pa: number, flags: number) => dv.setInt32(at - RAM_BASE, ((pa >>> 12) << 10) | flags, true);
  pte(PT_ROOT + 8 * 2, PT_L1, PTE_V);
  pte(PT_L1, PT_L0, PTE_V);
  // The trap handler: `j .` (a trap retires nothing, so a handler that traps again would never end).
  dv.setInt32(CODE + 0x100 - RAM_BASE, 0x0000006f, true);
  const words: number[] = [];
  for (const def of INSNS) {
    const [mask, match] = maskMatch(def.pattern);
    // Register fields a0 (rd), a1 (rs1), a2 (rs2); CSR instructions name mscratch; immediates zero.
    let inst = match | (~mask & ((10 << 7) | (11 << 15) | (12 << 20)));
    if (def.op >= Op.CSRRW && def.op <= Op.CSRRCI) inst = (inst & 0xfffff) | (CSR_MSCRATCH << 20);
    words.push(inst);
  }
  words.push(0x00000073); // ECALL again
  for (let round = 0; round < ROUNDS; round++) {
    for (const priv of [Priv.M, Priv.S, Priv.U]) {
      cpu.hot = priv === Priv.S ? null : hotTable;
      for (let i = 0; i < RAM_BYTES / 4096; i++) pte(PT_L0 + 8 * i, RAM_BASE + 4096 * i, PTE_V | PTE_RWX | PTE_AD | (priv === Priv.U ? PTE_U : 0));
      const name = priv === Priv.M ? 'M' : priv === Priv.S ? 'S' : 'U';
      const code = [...words, ...RVC.map((c) => c | (0x0001 << 16))]; // a compressed one followed by c.nop
      for (const w of code) {
        dv.setInt32(CODE - RAM_BASE, w, true);
        report.steps[name]++;
        if (!step(cpu, priv, CODE)) report.trapped[name]++;
      }
      // A 32-bit instruction (addi a0, a0, 1) across a page boundary: its upper half is fetched separately.
      // With the hot table, the next page is entered at a hot target (hot count 0), where the interpreter
      // stops for the dispatcher: every boot takes that path within milliseconds, and a path without feedback
      // deoptimized run() there.
      dv.setInt32(CODE - 2 - RAM_BASE, 0x00150513, true);
      const next = ((CODE + 2) >>> 1) & (hotTable.length - 1);
      hotTable[next] = 0;
      report.steps[name]++;
      if (!step(cpu, priv, CODE - 2)) report.trapped[name]++;
      hotTable[next] = 255;
    }
  }
  return report;
}

/**
 * Runs the instruction at `at` (and whatever follows in the budget) in `priv` with the FPU on, a1 pointing
 * at data; below M-mode under Sv39 (in S-mode with an interrupt pending but disabled). Returns false if the
 * instruction itself trapped.
 */
function step(cpu: Cpu, priv: Priv, at: number): boolean {
  cpu.reset(at | 0, 0);
  // A count past the small-integer range, as in any real run: feedback from small counts would make the
  // optimized code deoptimize on the first trap of a real guest.
  cpu.instret = 2 ** 40;
  cpu.mepcLo = 0;
  cpu.mstatus |= MSTATUS_FS | MSTATUS_SUM;
  cpu.mtvecLo = (CODE + 0x100) | 0;
  if (priv !== Priv.M) {
    cpu.priv = priv;
    cpu.satpHi = 8 << 28; // Sv39
    cpu.satpLo = PT_ROOT >>> 12;
    if (priv === Priv.S) {
      // Pending, delegated, and disabled by sstatus.SIE: checked on every slice, never taken.
      cpu.mipSw = SSIP;
      cpu.mie = SSIP;
      cpu.mideleg = SSIP;
    }
    cpu.updateMode();
    cpu.flushTlb();
  }
  const x = cpu.x;
  x[22] = DATA | 0; x[23] = 0; // a1
  x[24] = 0x12345; x[25] = 0; // a2
  x[20] = 7; x[21] = 0; // a0
  run(cpu, 3);
  return cpu.mepcLo !== (at | 0); // a trap at the instruction itself (rather than at what follows)
}
