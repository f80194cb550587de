/**
 * Differential test of the translator (accel/tcg) against the reference interpreter (target/riscv/interp.ts).
 *
 * Random RV64GC sequences (test/support/rv-gen.ts: every instruction class, loads/stores of every size, aligned,
 * misaligned and across pages, access faults, AMOs and LR/SC, F/D, CSRs, ECALL/EBREAK/illegal words, forward
 * branches and jumps, counted loops, compressed instructions; a quarter of them in S-mode under Sv39 with page
 * faults of every kind) run on two identical machines, one with the interpreter and one with
 * `new Tcg(cpu, 'always')`; the full architectural state and RAM must be the same at the end. Traps go to an
 * M-mode handler that logs mcause/mtval/mepc to RAM, so every trap is compared, not only the last. A quarter
 * of the cases run the translator in short random slices, so that budgets run out inside translated code.
 * Further tests: self-modifying code (stores of every kind into translated code), and the harness itself.
 *
 * Deterministic: TCG_DIFF_SEED (default below) and TCG_DIFF_CASES choose the cases; TCG_DIFF_CASE=i reruns
 * one case alone. On a mismatch the sequence is shrunk (instructions replaced by NOPs of the same size while
 * the states still differ) and printed with the seed, the differences and the disassembly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bus } from '../src/core/hw/bus.js';
import { Cpu } from '../src/core/target/riscv/cpu.js';
import { allocateMachineMemory, RAM_OFFSET } from '../src/core/target/riscv/state.js';
import { run as interpret } from '../src/core/target/riscv/interp.js';
import { Tcg } from '../src/core/accel/tcg/tcg.js';
import { disassemble, XREG_NAMES, FREG_NAMES } from '../src/core/target/riscv/disas.js';
import { rvcExpand } from '../src/core/target/riscv/rvc.js';
import {
  Rng, Asm, caseSeed, generate, handlerCode, programBytes, enc, type Program, type Insn, type InitState,
  RAM_BASE, RAM_SIZE, HANDLER, CODE, DATA, LOG, NOP16, NOP32, WFI, WRITABLE, SATP_SV39, pageTables,
} from './support/rv-gen.js';

const SEED = Number(process.env.TCG_DIFF_SEED ?? 0x7c9d1e5) >>> 0;
const CASES = Number(process.env.TCG_DIFF_CASES ?? 1500);
const ONLY = process.env.TCG_DIFF_CASE === undefined ? -1 : Number(process.env.TCG_DIFF_CASE);
/** Instructions a sequence may run before it counts as not terminating (the longest ones run ~3000). */
const LIMIT = 200_000;
const SLICE = 20_000;

// ------------------------------------------------------------------------------------------ machines
const MSTATUS_FS_SHIFT = 13;
const MSTATUS_SUM = 1 << 18;
const MSTATUS_MXR = 1 << 19;

function lo32(v: bigint): number {
  return Number(v & 0xffffffffn) | 0;
}
function hi32(v: bigint): number {
  return Number((v >> 32n) & 0xffffffffn) | 0;
}
function hex64(lo: number, hi: number): string {
  return ((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)).toString(16).padStart(16, '0');
}

class Machine {
  readonly mem = allocateMachineMemory(RAM_SIZE);
  readonly ram = new Uint8Array(this.mem.buffer, RAM_OFFSET, RAM_SIZE);
  readonly bus = new Bus(RAM_BASE, RAM_SIZE, { warn() {} });
  cpu!: Cpu;
  tcg: Tcg | null = null;
  /** Instructions retired inside translated code (diagnostics only; -1 where the Tcg does not count them). */
  get translatedInsns(): number {
    return (this.tcg?.stats as { jitInsns?: number } | undefined)?.jitInsns ?? -1;
  }

  constructor(readonly jit: boolean) {}

  load(p: Program, code: Uint8Array): void {
    this.ram.fill(0);
    const put = (addr: number, bytes: Uint8Array) => this.ram.set(bytes, addr - RAM_BASE);
    put(HANDLER, wordsToBytes(handlerCode()));
    put(p.base, code);
    put(DATA, p.init.data);
    if (p.init.vm) {
      const dv = new DataView(this.ram.buffer, this.ram.byteOffset);
      for (const [pa, pte] of pageTables()) dv.setBigUint64(pa - RAM_BASE, pte, true);
    }
    // A fresh hart (and translator) per case: nothing carries over from the previous case.
    const cpu = new Cpu(this.mem, this.bus, { now: () => 0 }, { warn() {} });
    this.cpu = cpu;
    this.tcg = this.jit ? new Tcg(cpu, 'always') : null;
    cpu.reset(p.base | 0, 0);
    setState(cpu, p.init);
  }

  /**
   * Runs until WFI (cpu.idle). Returns false if the sequence did not get there within `limit` instructions.
   * `slices` (translator only): run in slices of random length 1..64 instead of SLICE.
   */
  run(limit = LIMIT, slices: Rng | null = null): boolean {
    const cpu = this.cpu;
    for (let calls = 0; !cpu.idle && cpu.instret < limit && calls < 100_000; calls++) {
      if (this.tcg) this.tcg.run(slices ? slices.range(1, 64) : SLICE);
      else interpret(cpu, SLICE);
    }
    return cpu.idle;
  }
}

function wordsToBytes(words: number[]): Uint8Array {
  const b = new Uint8Array(words.length * 4);
  const dv = new DataView(b.buffer);
  words.forEach((w, i) => dv.setInt32(4 * i, w, true));
  return b;
}

function setState(cpu: Cpu, s: InitState): void {
  for (let r = 1; r < 32; r++) {
    cpu.x[2 * r] = lo32(s.x[r]);
    cpu.x[2 * r + 1] = hi32(s.x[r]);
  }
  for (let r = 0; r < 32; r++) {
    cpu.fi[2 * r] = lo32(s.f[r]);
    cpu.fi[2 * r + 1] = hi32(s.f[r]);
  }
  cpu.mstatus = (s.fs << MSTATUS_FS_SHIFT) | (s.sum ? MSTATUS_SUM : 0) | (s.mxr ? MSTATUS_MXR : 0);
  cpu.frm = s.frm;
  cpu.fflags = s.fflags;
  cpu.mscratchLo = lo32(s.mscratch); cpu.mscratchHi = hi32(s.mscratch);
  cpu.mepcLo = lo32(s.mepc); cpu.mepcHi = hi32(s.mepc);
  cpu.mcauseLo = lo32(s.mcause); cpu.mcauseHi = hi32(s.mcause);
  cpu.mtvalLo = lo32(s.mtval); cpu.mtvalHi = hi32(s.mtval);
  cpu.mtvecLo = HANDLER | 0; cpu.mtvecHi = 0;
  cpu.instret = 0;
  if (s.vm) {
    cpu.priv = 1; // S
    cpu.satpLo = lo32(SATP_SV39);
    cpu.satpHi = hi32(SATP_SV39);
    cpu.mcounteren = 7;
    cpu.updateMode();
    cpu.flushTlb();
  }
}

// ------------------------------------------------------------------------------------------ comparison
/** The architectural state as named strings (everything the sequence can change, and a few it cannot). */
function archState(cpu: Cpu): [string, string][] {
  const out: [string, string][] = [];
  for (let r = 1; r < 32; r++) out.push([`x${r}/${XREG_NAMES[r]}`, hex64(cpu.x[2 * r], cpu.x[2 * r + 1])]);
  for (let r = 0; r < 32; r++) out.push([`f${r}/${FREG_NAMES[r]}`, hex64(cpu.fi[2 * r], cpu.fi[2 * r + 1])]);
  const csr = (name: string, lo: number, hi: number) => out.push([name, hex64(lo, hi)]);
  csr('pc', cpu.pcLo, cpu.pcHi);
  out.push(['priv', String(cpu.priv)]);
  out.push(['idle', String(cpu.idle)]);
  csr('mstatus', cpu.mstatus, 0);
  csr('mepc', cpu.mepcLo, cpu.mepcHi);
  csr('mcause', cpu.mcauseLo, cpu.mcauseHi);
  csr('mtval', cpu.mtvalLo, cpu.mtvalHi);
  csr('mscratch', cpu.mscratchLo, cpu.mscratchHi);
  csr('mtvec', cpu.mtvecLo, cpu.mtvecHi);
  csr('sepc', cpu.sepcLo, cpu.sepcHi);
  csr('scause', cpu.scauseLo, cpu.scauseHi);
  csr('stval', cpu.stvalLo, cpu.stvalHi);
  csr('satp', cpu.satpLo, cpu.satpHi);
  out.push(['fflags', String(cpu.fflags)]);
  out.push(['frm', String(cpu.frm)]);
  out.push(['instret', String(cpu.instret)]);
  out.push(['resAddr', String(cpu.resAddr)]);
  return out;
}

/**
 * Differences between the two machines: state fields, then RAM (first few differing bytes). Without
 * `withInstret` the instret field is not compared (the sequence's own csrr of it still is): the interpreter
 * charges WFI with the rest of the slice, which depends on the slicing.
 */
function compare(ref: Machine, jit: Machine, withInstret = true): string[] {
  const diffs: string[] = [];
  const a = archState(ref.cpu);
  const b = archState(jit.cpu);
  for (let i = 0; i < a.length; i++) {
    if (!withInstret && a[i][0] === 'instret') continue;
    if (a[i][1] !== b[i][1]) diffs.push(`${a[i][0]}: interpreter ${a[i][1]}, translator ${b[i][1]}`);
  }
  if (Buffer.compare(ref.ram, jit.ram) !== 0) {
    let n = 0;
    for (let i = 0; i < RAM_SIZE && n < 8; i++) {
      if (ref.ram[i] !== jit.ram[i]) {
        diffs.push(`mem[${(RAM_BASE + i).toString(16)}]: interpreter ${hex8(ref.ram[i])}, translator ${hex8(jit.ram[i])}`);
        n++;
      }
    }
  }
  return diffs;
}

function hex8(v: number): string {
  return v.toString(16).padStart(2, '0');
}

interface Outcome {
  refDone: boolean;
  jitDone: boolean;
  diffs: string[];
}

/**
 * Runs one program on both machines. `sliceSeed` ≥ 0: the translator runs in random short slices (seeded).
 * `jitProgram` (for the harness self-test) lets the translator side run different code.
 */
function runPair(ref: Machine, jit: Machine, p: Program, limit = LIMIT, sliceSeed = -1, jitProgram = p): Outcome {
  const code = programBytes(p);
  ref.load(p, code);
  jit.load(jitProgram, programBytes(jitProgram));
  const refDone = ref.run(limit);
  const jitDone = jit.run(limit, sliceSeed >= 0 ? new Rng(sliceSeed) : null);
  if (jitProgram !== p) jit.ram.set(code, p.base - RAM_BASE); // compare the rest of RAM
  return { refDone, jitDone, diffs: refDone ? compare(ref, jit, sliceSeed < 0) : [] };
}

// ------------------------------------------------------------------------------------------ reporting
function nopFor(i: Insn): number {
  return i.len === 4 ? NOP32 : NOP16;
}
function isNop(i: Insn): boolean {
  return i.raw === nopFor(i);
}

function withInsns(p: Program, insns: Insn[]): Program {
  return { ...p, insns };
}

/**
 * Greedy shrinking: replace instructions by NOPs of the same size (so that offsets and branch targets stay)
 * as long as the reference still finishes and the two machines still differ.
 */
function shrink(ref: Machine, jit: Machine, p: Program, sliceSeed = -1, jitP: Program = p): { p: Program; jitP: Program } {
  let cur = p.insns.slice();
  let curJ = jitP.insns.slice();
  /** NOPs out the instructions at `ks` if the machines still differ then. */
  const attempt = (ks: number[]): boolean => {
    const tryI = cur.slice();
    const tryJ = curJ.slice();
    for (const k of ks) {
      tryI[k] = { ...cur[k], raw: nopFor(cur[k]) };
      tryJ[k] = { ...curJ[k], raw: nopFor(cur[k]) };
    }
    const o = runPair(ref, jit, withInsns(p, tryI), 50_000, sliceSeed, withInsns(jitP, tryJ));
    if (!o.refDone || o.diffs.length === 0) return false;
    cur = tryI;
    curJ = tryJ;
    return true;
  };
  let changed = true;
  for (let pass = 0; changed && pass < 8; pass++) {
    changed = false;
    // Whole loops first (counter and branches together), then single instructions.
    const groups = new Map<number, number[]>();
    cur.forEach((x, k) => {
      if (x.group !== undefined && !isNop(x)) groups.set(x.group, [...(groups.get(x.group) ?? []), k]);
    });
    for (const ks of groups.values()) if (attempt(ks)) changed = true;
    for (let k = 0; k < cur.length; k++) {
      if (cur[k].pinned || isNop(cur[k])) continue;
      if (attempt([k])) changed = true;
    }
  }
  return { p: withInsns(p, cur), jitP: withInsns(jitP, curJ) };
}

/** Disassembly of a program; runs of NOPs left by the shrinker are collapsed. */
function listing(p: Program): string {
  const lines: string[] = [];
  let nops = 0;
  const flushNops = () => {
    if (nops > 0) lines.push(`          ... ${nops} nop${nops > 1 ? 's' : ''}`);
    nops = 0;
  };
  for (const i of p.insns) {
    if (isNop(i) && (!i.pinned || i.group !== undefined)) {
      nops++;
      continue;
    }
    flushNops();
    const pc = p.base + i.off;
    const raw = i.len === 4 ? (i.raw >>> 0).toString(16).padStart(8, '0') : '    ' + (i.raw & 0xffff).toString(16).padStart(4, '0');
    lines.push(`  ${pc.toString(16)}: ${raw}  ${i.len === 2 ? 'c: ' : '   '}${disassemble(i.raw, pc)}`);
  }
  flushNops();
  return lines.join('\n');
}

function initText(s: InitState): string {
  const x = s.x.map((v, r) => `${XREG_NAMES[r]}=${v.toString(16)}`).slice(1).join(' ');
  const f = s.f.map((v, r) => `${FREG_NAMES[r]}=${v.toString(16)}`).join(' ');
  return `  x: ${x}\n  f: ${f}\n  mstatus.FS=${s.fs} frm=${s.frm} fflags=${s.fflags} mscratch=${s.mscratch.toString(16)}`;
}

/** The trap handler's log: one line per trap taken. */
function trapLog(m: Machine): string {
  const dv = new DataView(m.ram.buffer, m.ram.byteOffset);
  const n = Math.min(32, ((m.cpu.x[2 * 29] >>> 0) - LOG) / 24);
  const lines: string[] = [];
  for (let k = 0; k < n; k++) {
    const at = LOG - RAM_BASE + 24 * k;
    const q = (o: number) => dv.getBigUint64(at + o, true).toString(16);
    lines.push(`    mcause ${q(0)} mtval ${q(8)} mepc ${q(16)}`);
  }
  return lines.length ? lines.join('\n') : '    (none)';
}

function report(seed: number, index: number, caseSeedV: number, p: Program & { profile: string }, sliceSeed: number, o: Outcome,
  shrunk: Program, o2: Outcome, ref: Machine, jit: Machine): string {
  return [
    `translator and interpreter differ: TCG_DIFF_SEED=0x${seed.toString(16)} TCG_DIFF_CASE=${index} (case seed 0x${caseSeedV.toString(16)}, ` +
      `${p.profile}${p.init.vm ? ` S-mode Sv39 SUM=${+p.init.sum} MXR=${+p.init.mxr}` : ' M-mode'}, ` +
      `${sliceSeed >= 0 ? `translator in short slices (seed 0x${sliceSeed.toString(16)})` : 'long slices'})`,
    `differences (full sequence; translator ${o.jitDone ? 'reached' : 'did NOT reach'} the final WFI):`,
    ...o.diffs.map((d) => '  ' + d),
    `shrunk sequence (${shrunk.insns.filter((i) => !isNop(i) || (i.pinned && i.group === undefined)).length} of ${p.insns.length} ` +
      'instructions kept), differences:',
    ...o2.diffs.map((d) => '  ' + d),
    listing(shrunk),
    '  traps taken by the interpreter:',
    trapLog(ref),
    '  traps taken by the translator:',
    trapLog(jit),
    'initial state:',
    initText(p.init),
    'full sequence:',
    listing(p),
  ].join('\n');
}

// ------------------------------------------------------------------------------------------ tests
test('rv-gen encoders agree with the decoder and the RVC table', () => {
  assert.equal(disassemble(enc.r(0x20, 3, 2, 0, 1, 0x33)), 'sub ra,sp,gp');
  assert.equal(disassemble(enc.i(-5, 8, 3, 10, 0x03)), 'ld a0,-5(s0)');
  assert.equal(disassemble(enc.s(-2048, 11, 9, 2, 0x23)), 'sw a1,-2048(s1)');
  assert.equal(disassemble(enc.b(-4096, 5, 6, 7), 0x2000), 'bgeu t1,t0,0x1000');
  assert.equal(disassemble(enc.b(4094, 5, 6, 7), 0x2000), 'bgeu t1,t0,0x2ffe');
  assert.equal(disassemble(enc.j(0xffffe, 1), 0), 'jal ra,0xffffe');
  assert.equal(disassemble(enc.j(-0x100000, 1), 0x100000), 'jal ra,0x0');
  assert.equal(disassemble(enc.j(-2, 0), 0x100), 'jal zero,0xfe');
  assert.equal(disassemble(enc.amo(3, 1, 1, 7, 8, 3, 5)), 'sc.d.aqrl t0,t2,(s0)');
  for (const off of [-2048, -2, 2, 254 * 8, 2046]) assert.equal(rvcExpand(enc.cj(off)), enc.j(off, 0), `c.j ${off}`);
  for (const off of [-256, -2, 2, 100, 254]) {
    assert.equal(rvcExpand(enc.cb(false, 9, off)), enc.b(off, 0, 9, 0), `c.beqz ${off}`);
    assert.equal(rvcExpand(enc.cb(true, 15, off)), enc.b(off, 0, 15, 1), `c.bnez ${off}`);
  }
  assert.equal(rvcExpand(enc.cjr(5)), enc.i(0, 5, 0, 0, 0x67));
  assert.equal(rvcExpand(enc.cjalr(5)), enc.i(0, 5, 0, 1, 0x67));
  assert.equal(rvcExpand(enc.caddi(4, -1)), enc.i(-1, 4, 0, 4, 0x13));
  assert.equal(rvcExpand(enc.caddi(28, 31)), enc.i(31, 28, 0, 28, 0x13));
  assert.equal(disassemble(WFI), 'wfi');
});

test('tcg-diff: random RV64GC sequences give the same state in the interpreter and the translator', (t) => {
  const ref = new Machine(false);
  const jit = new Machine(true);
  const causes = new Map<number, number>();
  const profiles = new Map<string, number>();
  let insns = 0;
  let translations = 0;
  let translated = 0;
  let totalRetired = 0;
  const t0 = performance.now();
  const first = ONLY >= 0 ? ONLY : 0;
  const last = ONLY >= 0 ? ONLY + 1 : CASES;
  for (let i = first; i < last; i++) {
    const cs = caseSeed(SEED, i);
    const p = generate(new Rng(cs));
    // A quarter of the cases run the translator in short slices: budget exhaustion inside translated code.
    const sliceSeed = cs % 4 === 0 ? caseSeed(cs, 1) : -1;
    insns += p.insns.length;
    profiles.set(p.profile, (profiles.get(p.profile) ?? 0) + 1);
    const o = runPair(ref, jit, p, LIMIT, sliceSeed);
    if (!o.refDone) {
      assert.fail(`TCG_DIFF_SEED=0x${SEED.toString(16)} TCG_DIFF_CASE=${i}: the interpreter did not reach the final WFI ` +
        `(a generator bug: sequences must terminate)\n${listing(p)}`);
    }
    if (o.diffs.length > 0 || !o.jitDone) {
      const s = shrink(ref, jit, p, sliceSeed);
      const o2 = runPair(ref, jit, s.p, LIMIT, sliceSeed);
      assert.fail(report(SEED, i, cs, p, sliceSeed, o, s.p, o2, ref, jit));
    }
    // Statistics from the reference run: the trap log, and how much the translator ran.
    const nTraps = ((ref.cpu.x[2 * 29] >>> 0) - LOG) / 24;
    const dv = new DataView(ref.ram.buffer, ref.ram.byteOffset);
    for (let k = 0; k < nTraps; k++) {
      const c = dv.getInt32(LOG - RAM_BASE + 24 * k, true);
      causes.set(c, (causes.get(c) ?? 0) + 1);
    }
    translations += jit.tcg!.stats.translations;
    translated = translated < 0 || jit.translatedInsns < 0 ? -1 : translated + jit.translatedInsns;
    const rdEnd = (p.insns[p.insns.length - 2].raw >>> 7) & 31; // csrr rd, minstret
    totalRetired += ref.cpu.x[2 * rdEnd] + 2;
  }
  const ms = performance.now() - t0;
  const causeText = [...causes.entries()].sort((a, b) => a[0] - b[0]).map(([c, n]) => `${c}:${n}`).join(' ');
  t.diagnostic(`seed 0x${SEED.toString(16)}, ${last - first} sequences, ${insns} instructions generated, ${totalRetired} retired ` +
    `(${translated < 0 ? '?' : (100 * translated / Math.max(1, totalRetired)).toFixed(1)}% in translated code), ${translations} regions translated, ` +
    `traps by cause ${causeText}, profiles ${[...profiles].map(([k, v]) => `${k}:${v}`).join(' ')}, ${ms.toFixed(0)} ms`);
  if (ONLY < 0 && CASES >= 500) {
    // The generator must keep producing what this test claims to cover.
    for (const c of [2, 3, 4, 5, 6, 7, 9, 11, 13, 15]) assert.ok((causes.get(c) ?? 0) > 0, `no trap with cause ${c} was generated`);
    for (const k of ['mixed', 'straight', 'branchy', 'mixed+sv39']) assert.ok(profiles.has(k), `no ${k} sequence was generated`);
    // Half of what runs is the trap handler, in the interpreter (CSR instructions); most of the rest is translated.
    if (translated >= 0) assert.ok(translated > totalRetired / 3, `only ${translated} of ${totalRetired} instructions ran translated`);
  }
});

test('tcg-diff: the harness reports a difference and shrinks to the instruction that causes it', () => {
  const ref = new Machine(false);
  const jit = new Machine(true);
  const p = generate(new Rng(caseSeed(SEED, 123456)), { minInsns: 20, maxInsns: 40, tailNop: true, vm: false });
  const o = runPair(ref, jit, p);
  assert.ok(o.refDone && o.jitDone);
  assert.deepEqual(o.diffs, []);
  // Corrupt the translator side's state after the run: every kind of field is checked.
  jit.cpu.x[2 * 17 + 1] ^= 0x100;
  jit.cpu.fi[2 * 31] ^= 1;
  jit.cpu.fflags ^= 1;
  jit.cpu.mcauseHi ^= 0x80000000;
  jit.ram[DATA - RAM_BASE + 0x1234] ^= 0x40;
  const d = compare(ref, jit);
  assert.equal(d.length, 5, d.join('\n'));
  assert.match(d.join('\n'), /x17\/a7.*f31\/ft11.*mcause.*fflags.*mem\[80011234\]/s);

  // A "translator" that runs different code: one instruction before the end differs. The shrinker must keep it.
  const tail = p.insns.length - 2; // csrr rd, minstret
  const rdEnd = (p.insns[tail].raw >>> 7) & 31;
  const r = WRITABLE.find((x) => x !== rdEnd)!;
  const insns = p.insns.slice();
  // The NOP before the tail becomes addi r, r, 1 on one side and addi r, r, 2 on the other.
  const k = tail - 1;
  assert.ok(!insns[k].pinned && insns[k].raw === NOP32);
  const pRef = withInsns(p, insns.map((x, j) => (j === k ? { ...x, raw: enc.i(1, r, 0, r, 0x13) } : x)));
  const pJit = withInsns(p, insns.map((x, j) => (j === k ? { ...x, raw: enc.i(2, r, 0, r, 0x13) } : x)));
  const o2 = runPair(ref, jit, pRef, LIMIT, -1, pJit);
  assert.ok(o2.refDone);
  assert.deepEqual(o2.diffs, [`x${r}/${XREG_NAMES[r]}: interpreter ${hex64(ref.cpu.x[2 * r], ref.cpu.x[2 * r + 1])}, ` +
    `translator ${hex64(jit.cpu.x[2 * r], jit.cpu.x[2 * r + 1])}`]);
  const s = shrink(ref, jit, pRef, -1, pJit);
  const kept = s.p.insns.map((x, j) => [x, j] as const).filter(([x]) => !x.pinned && !isNop(x)).map(([, j]) => j);
  assert.deepEqual(kept, [k], `the shrinker must keep exactly the differing instruction\n${listing(s.p)}`);
});

// ------------------------------------------------------------------------------------------ self-modifying code
/** A program assembled at `base`, with an all-zero initial state (FPU on) but the handler's log pointer. */
function handProgram(base: number, a: Asm): Program {
  const x = new Array<bigint>(32).fill(0n);
  x[29] = BigInt(LOG);
  return {
    base,
    insns: a.resolve(),
    init: {
      vm: false, sum: false, mxr: false, x, f: new Array<bigint>(32).fill(0n), fs: 1, frm: 0, fflags: 0, mscratch: 0n, mepc: 0n, mcause: 0n, mtval: 0n,
      data: new Uint8Array(0x3000),
    },
  };
}

const IMM = 0x13, OP = 0x33, LOAD = 0x03, STORE = 0x23;
const addi = (rd: number, rs1: number, imm: number) => enc.i(imm, rs1, 0, rd, IMM);
const bne = (rs1: number, rs2: number, off: number) => enc.b(off, rs2, rs1, 1);
/** li rd, v (32-bit signed v) as lui + addiw. */
function li32(rd: number, v: number): number[] {
  const lo = (v << 20) >> 20;
  const hi = ((v - lo) >>> 12) & 0xfffff;
  return [enc.u(hi, rd, 0x37), enc.i(lo, rd, 0, rd, 0x1b)];
}

type Patch = 'sw' | 'sd' | 'sh' | 'sb' | 'c.sw' | 'amoswap.w' | 'sc.w' | 'fsw' | 'from-interpreter' | 'other-page';

/**
 * Twice: a loop of 10 × `addi x5, x5, 1` (translated when first entered), then a store that overwrites that
 * instruction with `addi x5, x5, 100`, made with `how`. x5 must end at 10 + 10 × 100.
 * Registers: x5 accumulator, x4 loop counter, x10 outer counter, x8 address of the patched instruction, x15 new word.
 */
function smcProgram(how: Patch): Program {
  const a = new Asm();
  a.pinned = true;
  const base = how === 'other-page' ? CODE + 0x1000 - 0x60 : CODE + 0x10;
  const patched = a.newLabel();
  const outer = a.newLabel();
  const sub = a.newLabel();
  a.emit(addi(5, 0, 0));
  a.emit(addi(10, 0, 2));
  for (const w of li32(15, addi(5, 5, 100))) a.emit(w);
  const anchor = a.emit(enc.u(0, 8, 0x17)); // auipc s0, 0
  a.emit(0, 4, () => addi(8, 8, a.at(patched) - anchor.off));
  const loop = () => {
    a.emit(addi(4, 0, 10));
    const head = a.newLabel();
    a.bind(head);
    a.bind(patched);
    a.emit(addi(5, 5, 1));
    a.emit(addi(4, 4, -1));
    a.emit(0, 4, (s) => bne(4, 0, a.at(head) - s.off));
  };
  a.bind(outer);
  if (how === 'other-page') a.emit(0, 4, (s) => enc.j(a.at(sub) - s.off, 1)); // the loop is a subroutine in the next page
  else loop();
  switch (how) {
    case 'sw': case 'other-page': a.emit(enc.s(0, 15, 8, 2, STORE)); break;
    case 'sd': // merge the new word into the doubleword, keeping the next instruction
      for (const w of [enc.i(0, 8, 3, 12, LOAD), enc.i(32, 12, 5, 12, IMM), enc.i(32, 12, 1, 12, IMM), enc.i(32, 15, 1, 13, IMM),
        enc.i(32, 13, 5, 13, IMM), enc.r(0, 13, 12, 6, 12, OP), enc.s(0, 12, 8, 3, STORE)]) a.emit(w);
      break;
    case 'sh': a.emit(enc.s(0, 15, 8, 1, STORE)); a.emit(enc.i(16, 15, 5, 13, IMM)); a.emit(enc.s(2, 13, 8, 1, STORE)); break;
    case 'sb':
      a.emit(enc.s(0, 15, 8, 0, STORE));
      for (const k of [1, 2, 3]) { a.emit(enc.i(8 * k, 15, 5, 13, IMM)); a.emit(enc.s(k, 13, 8, 0, STORE)); }
      break;
    case 'c.sw': a.emit(0xc01c, 2); break; // c.sw a5, 0(s0)
    case 'amoswap.w': a.emit(enc.amo(1, 0, 0, 15, 8, 2, 0)); break;
    case 'sc.w': a.emit(enc.amo(2, 0, 0, 0, 8, 2, 13)); a.emit(enc.amo(3, 0, 0, 15, 8, 2, 13)); break;
    case 'fsw': a.emit(enc.r(0x78, 0, 15, 0, 1, 0x53)); a.emit(enc.s(0, 1, 8, 2, 0x27)); break; // fmv.w.x ft1, a5; fsw ft1, 0(s0)
    case 'from-interpreter': a.emit(enc.csr(2, 0x340, 0, 0)); a.emit(enc.s(0, 15, 8, 2, STORE)); break; // csrr zero, mscratch
  }
  a.emit(addi(10, 10, -1));
  a.emit(0, 4, (s) => bne(10, 0, a.at(outer) - s.off));
  a.emit(enc.csr(2, 0xb02, 0, 11));
  a.emit(WFI);
  if (how === 'other-page') {
    while ((base + a.pos) % 4096 !== 0) a.emit(NOP32);
    a.bind(sub);
    loop();
    a.emit(enc.i(0, 1, 0, 0, 0x67)); // ret
  }
  return handProgram(base, a);
}

test('tcg-diff: self-modifying code is picked up by the translator', () => {
  assert.equal(rvcExpand(0xc01c), enc.s(0, 15, 8, 2, STORE), 'c.sw a5, 0(s0)');
  const ref = new Machine(false);
  const jit = new Machine(true);
  const hows: Patch[] = ['sw', 'sd', 'sh', 'sb', 'c.sw', 'amoswap.w', 'sc.w', 'fsw', 'from-interpreter', 'other-page'];
  for (const how of hows) {
    const p = smcProgram(how);
    const o = runPair(ref, jit, p);
    const msg = `${how}\n${listing(p)}`;
    assert.ok(o.refDone && o.jitDone, msg);
    assert.deepEqual(o.diffs, [], msg);
    assert.equal(ref.cpu.x[10], 1010, `interpreter: ${msg}`);
    assert.equal(jit.cpu.x[10], 1010, `translator: ${msg}`);
    assert.equal(ref.cpu.x[2 * 29], LOG | 0, `no trap expected: ${msg}`);
    const st = jit.tcg!.stats;
    assert.ok(st.translations >= 2 && st.invalidations >= 1, `${how}: translations ${st.translations}, invalidations ${st.invalidations}`);
  }
});

test('tcg-diff: a store that patches the next instruction of the same translated block', () => {
  // Twice: x5 += 1 three times in a loop, then sw patches the very next instruction (addi x5, x5, 1000 →
  // addi x5, x5, 7) before it runs: the translated block must stop after the store.
  const a = new Asm();
  a.pinned = true;
  const next = a.newLabel();
  const outer = a.newLabel();
  a.emit(addi(5, 0, 0));
  a.emit(addi(10, 0, 2));
  for (const w of li32(15, addi(5, 5, 7))) a.emit(w);
  const anchor = a.emit(enc.u(0, 8, 0x17));
  a.emit(0, 4, () => addi(8, 8, a.at(next) - anchor.off));
  a.bind(outer);
  a.emit(addi(4, 0, 3));
  const head = a.newLabel();
  a.bind(head);
  a.emit(addi(5, 5, 1));
  a.emit(addi(4, 4, -1));
  a.emit(0, 4, (s) => bne(4, 0, a.at(head) - s.off));
  a.emit(enc.s(0, 15, 8, 2, STORE));
  a.bind(next);
  a.emit(addi(5, 5, 1000));
  a.emit(addi(10, 10, -1));
  a.emit(0, 4, (s) => bne(10, 0, a.at(outer) - s.off));
  a.emit(enc.csr(2, 0xb02, 0, 11));
  a.emit(WFI);
  const p = handProgram(CODE + 0x40, a);
  const ref = new Machine(false);
  const jit = new Machine(true);
  const o = runPair(ref, jit, p);
  assert.ok(o.refDone && o.jitDone, listing(p));
  assert.deepEqual(o.diffs, [], listing(p));
  assert.equal(ref.cpu.x[10], 3 + 7 + 3 + 7);
  assert.equal(jit.cpu.x[10], 3 + 7 + 3 + 7);
});

test('tcg-diff: misaligned accesses to virtual page 0 trap in translated code', () => {
  // The inline TLB check compares (address & (-4096 | size-1)) with the page tag; an invalid TLB entry has tag 1,
  // so a misaligned access with (address & (size-1)) === 1 in page 0 must still miss and fault.
  const a = new Asm();
  a.pinned = true;
  const accesses = [
    enc.i(1, 0, 1, 10, LOAD), enc.i(1, 0, 5, 10, LOAD), enc.i(1, 0, 2, 10, LOAD), enc.i(1, 0, 6, 10, LOAD),
    enc.i(1, 0, 3, 10, LOAD), enc.s(1, 11, 0, 1, STORE), enc.s(1, 11, 0, 2, STORE), enc.s(1, 11, 0, 3, STORE),
    enc.i(0x801, 0, 2, 10, LOAD), // lw a0, -2047(zero): the last page of the address space, for comparison
  ];
  a.emit(addi(10, 0, 0x55));
  a.emit(addi(11, 0, -1));
  for (const w of accesses) {
    a.emit(w);
    a.emit(enc.j(4, 0)); // back to translated code after the handler
  }
  a.emit(enc.csr(2, 0xb02, 0, 12));
  a.emit(WFI);
  const p = handProgram(CODE, a);
  const ref = new Machine(false);
  const jit = new Machine(true);
  const o = runPair(ref, jit, p);
  const msg = `${o.diffs.join('\n')}\n${listing(p)}\ninterpreter traps:\n${trapLog(ref)}\ntranslator traps:\n${trapLog(jit)}`;
  assert.ok(o.refDone && o.jitDone, msg);
  assert.equal(((ref.cpu.x[2 * 29] >>> 0) - LOG) / 24, accesses.length, `interpreter: one access fault per access\n${msg}`);
  assert.deepEqual(o.diffs, [], msg);
});
