import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandRvc, rvcExpand } from '../src/core/target/riscv/rvc.js';
import { decode } from '../src/core/target/riscv/decode.js';

// Deterministic PRNG (mulberry32).
let seed = 0x1234567;
function rnd(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function ri(lo: number, hi: number): number {
  return lo + Math.floor(rnd() * (hi - lo + 1));
}
const xp = () => `x${ri(8, 15)}`; // rd'/rs1'/rs2'
const fp = () => `f${ri(8, 15)}`;
const xnz = () => `x${ri(1, 31)}`;
const xnz2 = () => { let r; do r = ri(1, 31); while (r === 2); return `x${r}`; };
const fany = () => `f${ri(0, 31)}`;
const xany = () => `x${ri(0, 31)}`;
const nz = (lo: number, hi: number) => { let v; do v = ri(lo, hi); while (v === 0); return v; };

/** Each form yields [compressed asm, equivalent base asm]. */
const FORMS: Record<string, () => [string, string]> = {
  addi4spn: () => { const r = xp(), i = 4 * ri(1, 255); return [`c.addi4spn ${r}, sp, ${i}`, `addi ${r}, sp, ${i}`]; },
  fld: () => { const r = fp(), b = xp(), i = 8 * ri(0, 31); return [`c.fld ${r}, ${i}(${b})`, `fld ${r}, ${i}(${b})`]; },
  lw: () => { const r = xp(), b = xp(), i = 4 * ri(0, 31); return [`c.lw ${r}, ${i}(${b})`, `lw ${r}, ${i}(${b})`]; },
  ld: () => { const r = xp(), b = xp(), i = 8 * ri(0, 31); return [`c.ld ${r}, ${i}(${b})`, `ld ${r}, ${i}(${b})`]; },
  fsd: () => { const r = fp(), b = xp(), i = 8 * ri(0, 31); return [`c.fsd ${r}, ${i}(${b})`, `fsd ${r}, ${i}(${b})`]; },
  sw: () => { const r = xp(), b = xp(), i = 4 * ri(0, 31); return [`c.sw ${r}, ${i}(${b})`, `sw ${r}, ${i}(${b})`]; },
  sd: () => { const r = xp(), b = xp(), i = 8 * ri(0, 31); return [`c.sd ${r}, ${i}(${b})`, `sd ${r}, ${i}(${b})`]; },
  nop: () => ['c.nop', 'addi x0, x0, 0'],
  addi: () => { const r = xnz(), i = nz(-32, 31); return [`c.addi ${r}, ${i}`, `addi ${r}, ${r}, ${i}`]; },
  addiw: () => { const r = xnz(), i = ri(-32, 31); return [`c.addiw ${r}, ${i}`, `addiw ${r}, ${r}, ${i}`]; },
  li: () => { const r = xnz(), i = ri(-32, 31); return [`c.li ${r}, ${i}`, `addi ${r}, x0, ${i}`]; },
  addi16sp: () => { const i = 16 * nz(-32, 31); return [`c.addi16sp sp, ${i}`, `addi sp, sp, ${i}`]; },
  lui: () => { const r = xnz2(); const i = rnd() < 0.5 ? ri(1, 31) : ri(0xfffe0, 0xfffff); return [`c.lui ${r}, ${i}`, `lui ${r}, ${i}`]; },
  srli: () => { const r = xp(), s = ri(1, 63); return [`c.srli ${r}, ${s}`, `srli ${r}, ${r}, ${s}`]; },
  srai: () => { const r = xp(), s = ri(1, 63); return [`c.srai ${r}, ${s}`, `srai ${r}, ${r}, ${s}`]; },
  andi: () => { const r = xp(), i = ri(-32, 31); return [`c.andi ${r}, ${i}`, `andi ${r}, ${r}, ${i}`]; },
  sub: () => { const r = xp(), s = xp(); return [`c.sub ${r}, ${s}`, `sub ${r}, ${r}, ${s}`]; },
  xor: () => { const r = xp(), s = xp(); return [`c.xor ${r}, ${s}`, `xor ${r}, ${r}, ${s}`]; },
  or: () => { const r = xp(), s = xp(); return [`c.or ${r}, ${s}`, `or ${r}, ${r}, ${s}`]; },
  and: () => { const r = xp(), s = xp(); return [`c.and ${r}, ${s}`, `and ${r}, ${r}, ${s}`]; },
  subw: () => { const r = xp(), s = xp(); return [`c.subw ${r}, ${s}`, `subw ${r}, ${r}, ${s}`]; },
  addw: () => { const r = xp(), s = xp(); return [`c.addw ${r}, ${s}`, `addw ${r}, ${r}, ${s}`]; },
  j: () => { const o = 2 * ri(-1024, 1023); return [`c.j .${o < 0 ? '' : '+'}${o}`, `jal x0, .${o < 0 ? '' : '+'}${o}`]; },
  beqz: () => { const r = xp(), o = 2 * ri(-128, 127); return [`c.beqz ${r}, .${o < 0 ? '' : '+'}${o}`, `beq ${r}, x0, .${o < 0 ? '' : '+'}${o}`]; },
  bnez: () => { const r = xp(), o = 2 * ri(-128, 127); return [`c.bnez ${r}, .${o < 0 ? '' : '+'}${o}`, `bne ${r}, x0, .${o < 0 ? '' : '+'}${o}`]; },
  slli: () => { const r = xnz(), s = ri(1, 63); return [`c.slli ${r}, ${s}`, `slli ${r}, ${r}, ${s}`]; },
  fldsp: () => { const r = fany(), i = 8 * ri(0, 63); return [`c.fldsp ${r}, ${i}(sp)`, `fld ${r}, ${i}(sp)`]; },
  lwsp: () => { const r = xnz(), i = 4 * ri(0, 63); return [`c.lwsp ${r}, ${i}(sp)`, `lw ${r}, ${i}(sp)`]; },
  ldsp: () => { const r = xnz(), i = 8 * ri(0, 63); return [`c.ldsp ${r}, ${i}(sp)`, `ld ${r}, ${i}(sp)`]; },
  jr: () => { const r = xnz(); return [`c.jr ${r}`, `jalr x0, 0(${r})`]; },
  mv: () => { const r = xnz(), s = xnz(); return [`c.mv ${r}, ${s}`, `add ${r}, x0, ${s}`]; },
  ebreak: () => ['c.ebreak', 'ebreak'],
  jalr: () => { const r = xnz(); return [`c.jalr ${r}`, `jalr x1, 0(${r})`]; },
  add: () => { const r = xnz(), s = xnz(); return [`c.add ${r}, ${s}`, `add ${r}, ${r}, ${s}`]; },
  fsdsp: () => { const r = fany(), i = 8 * ri(0, 63); return [`c.fsdsp ${r}, ${i}(sp)`, `fsd ${r}, ${i}(sp)`]; },
  swsp: () => { const r = xany(), i = 4 * ri(0, 63); return [`c.swsp ${r}, ${i}(sp)`, `sw ${r}, ${i}(sp)`]; },
  sdsp: () => { const r = xany(), i = 8 * ri(0, 63); return [`c.sdsp ${r}, ${i}(sp)`, `sd ${r}, ${i}(sp)`]; },
  // HINTs: legal, expand to their base instruction.
  hint_addi_x0: () => { const i = nz(-32, 31); return [`c.addi x0, ${i}`, `addi x0, x0, ${i}`]; },
  hint_addi_0: () => { const r = xnz(); return [`c.addi ${r}, 0`, `addi ${r}, ${r}, 0`]; },
  hint_li_x0: () => { const i = ri(-32, 31); return [`c.li x0, ${i}`, `addi x0, x0, ${i}`]; },
  hint_lui_x0: () => { const i = ri(1, 31); return [`c.lui x0, ${i}`, `lui x0, ${i}`]; },
  hint_slli_x0: () => { const s = ri(1, 63); return [`c.slli x0, ${s}`, `slli x0, x0, ${s}`]; },
  hint_slli64: () => { const r = xany(); return [`c.slli64 ${r}`, `slli ${r}, ${r}, 0`]; },
  hint_srli64: () => { const r = xp(); return [`c.srli64 ${r}`, `srli ${r}, ${r}, 0`]; },
  hint_srai64: () => { const r = xp(); return [`c.srai64 ${r}`, `srai ${r}, ${r}, 0`]; },
  hint_mv_x0: () => { const s = xnz(); return [`c.mv x0, ${s}`, `add x0, x0, ${s}`]; },
  hint_add_x0: () => { const s = xnz(); return [`c.add x0, ${s}`, `add x0, x0, ${s}`]; },
};

function assemble(dir: string, name: string, body: string): Buffer {
  const s = join(dir, `${name}.s`);
  const o = join(dir, `${name}.o`);
  const b = join(dir, `${name}.bin`);
  writeFileSync(s, body);
  execFileSync('riscv64-linux-gnu-as', ['-march=rv64gc', '-o', o, s]);
  execFileSync('riscv64-linux-gnu-objcopy', ['-O', 'binary', '-j', '.text', o, b]);
  return readFileSync(b);
}

function haveToolchain(): boolean {
  try {
    execFileSync('riscv64-linux-gnu-as', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('expandRvc matches the assembler for every compressed form', { skip: !haveToolchain() }, () => {
  const pairs: [string, string, string][] = [];
  for (const [form, gen] of Object.entries(FORMS)) {
    for (let k = 0; k < 12; k++) pairs.push([form, ...gen()]);
  }
  const dir = mkdtempSync(join(tmpdir(), 'rvc-'));
  try {
    const c = assemble(dir, 'c', '.option norelax\n.option rvc\n' + pairs.map((p) => p[1]).join('\n') + '\n');
    const w = assemble(dir, 'w', '.option norelax\n.option norvc\n' + pairs.map((p) => p[2]).join('\n') + '\n');
    assert.equal(c.length, pairs.length * 2, 'every compressed instruction is 2 bytes');
    assert.equal(w.length, pairs.length * 4);
    const seen = new Set<string>();
    for (let k = 0; k < pairs.length; k++) {
      const h = c.readUInt16LE(2 * k);
      const want = w.readInt32LE(4 * k);
      const got = expandRvc(h);
      assert.equal(got.toString(16), want.toString(16), `${pairs[k][1]} (0x${h.toString(16)}) -> ${pairs[k][2]}`);
      assert.equal(rvcExpand(h), want);
      seen.add(pairs[k][0]);
    }
    assert.equal(seen.size, Object.keys(FORMS).length);
    assert.ok(pairs.length >= 500);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The reserved/illegal classes of RV64C (spec table 16.5-16.7). */
function reserved(h: number): boolean {
  const q = h & 3;
  const f3 = h >>> 13;
  const rd = (h >>> 7) & 31;
  const rs2 = (h >>> 2) & 31;
  const imm6 = (((h >>> 12) & 1) << 5) | rs2;
  if (q === 3) return true;
  if (q === 0) return (f3 === 0 && ((h >>> 5) & 0xff) === 0) || f3 === 4; // ADDI4SPN nzuimm=0; reserved
  if (q === 1) {
    if (f3 === 1 && rd === 0) return true; // C.ADDIW rd=0
    if (f3 === 3 && imm6 === 0) return true; // C.ADDI16SP / C.LUI imm=0
    if (f3 === 4 && ((h >>> 10) & 7) === 7 && ((h >>> 5) & 3) >= 2) return true; // reserved ALU
    return false;
  }
  if ((f3 === 2 || f3 === 3) && rd === 0) return true; // C.LWSP / C.LDSP rd=0
  if (f3 === 4 && ((h >>> 12) & 1) === 0 && rd === 0 && rs2 === 0) return true; // C.JR x0
  return false;
}

test('illegal and reserved encodings expand to 0; all others decode', () => {
  assert.equal(expandRvc(0), 0);
  assert.equal(expandRvc(0x6101), 0); // c.addi16sp sp, 0
  assert.equal(expandRvc(0x6501), 0); // c.lui a0, 0
  assert.equal(expandRvc(0x8002), 0); // c.jr x0
  assert.equal(expandRvc(0x4002), 0); // c.lwsp x0
  assert.equal(expandRvc(0x6002), 0); // c.ldsp x0
  assert.equal(expandRvc(0x2001), 0); // c.addiw x0
  assert.equal(expandRvc(0x0010), 0); // c.addi4spn nzuimm=0 with rd'=x12
  assert.equal(expandRvc(0x9c41), 0); // reserved (c.subw-row funct2=10)
  assert.equal(expandRvc(0x9c61), 0); // reserved (funct2=11)
  assert.equal(expandRvc(0x8000), 0); // quadrant 0 funct3=100
  let legal = 0;
  for (let h = 0; h < 65536; h++) {
    const e = expandRvc(h);
    assert.equal(rvcExpand(h), e);
    if (reserved(h)) {
      assert.equal(e, 0, `0x${h.toString(16)} is reserved`);
    } else {
      assert.notEqual(e, 0, `0x${h.toString(16)} is legal`);
      assert.notEqual(decode(e), 0, `expansion of 0x${h.toString(16)} decodes`);
      legal++;
    }
  }
  assert.ok(legal > 40000);
});

test('legality agrees with objdump over the whole compressed space', { skip: !haveToolchain() }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rvcall-'));
  try {
    const buf = Buffer.alloc(2 * 49152);
    let n = 0;
    for (let h = 0; h < 65536; h++) if ((h & 3) !== 3) buf.writeUInt16LE(h, 2 * n++);
    const f = join(dir, 'all.bin');
    writeFileSync(f, buf);
    const out = execFileSync('riscv64-linux-gnu-objdump',
      ['-D', '-b', 'binary', '-m', 'riscv:rv64', '-M', 'no-aliases', f], { maxBuffer: 64 << 20 }).toString();
    const mism: string[] = [];
    let checked = 0;
    for (const line of out.split('\n')) {
      const m = /^\s*[0-9a-f]+:\s+([0-9a-f]{4})\s+(\S+)/.exec(line);
      if (!m) continue;
      const h = parseInt(m[1], 16);
      checked++;
      const objLegal = !(m[2].startsWith('.') || m[2] === 'unimp' || m[2] === 'c.unimp');
      // binutils 2.40 accepts c.addi16sp with nzimm=0 (0x6101), which the spec reserves.
      if (h === 0x6101) continue;
      if (objLegal !== (expandRvc(h) !== 0)) mism.push(`${m[1]} ${m[2]}`);
    }
    assert.deepEqual(mism.slice(0, 20), []);
    assert.equal(checked, 49152);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
