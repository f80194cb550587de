import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { disassemble, CSR_NAMES } from '../src/core/target/riscv/disas.js';
import { INSNS } from '../src/core/target/riscv/insn-table.js';
import { decode } from '../src/core/target/riscv/decode.js';
import { expandRvc } from '../src/core/target/riscv/rvc.js';

let seed = 0x13579bd;
function rnd(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const ri = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
const pick = <T>(a: readonly T[]): T => a[ri(0, a.length - 1)];
const x = () => `x${ri(0, 31)}`;
const f = () => `f${ri(0, 31)}`;
const rel = (o: number) => (o < 0 ? `.${o}` : `.+${o}`);
const CSRS = [...CSR_NAMES.keys(), 0x123, 0x7c0, 0x5c0];
const RMS = ['rne', 'rtz', 'rdn', 'rup', 'rmm', 'dyn'];
const FENCE = ['i', 'o', 'r', 'w', 'rw', 'iorw', 'io', 'ow', 'ir'];

/** Random assembly text for one table row, from its fmt. */
function gen(name: string, fmt: string, pattern: string): string {
  const rmFree = pattern.slice(17, 20) === '...' && !['fcvt.d.s', 'fcvt.d.w', 'fcvt.d.wu'].includes(name);
  const rm = () => (rmFree && rnd() < 0.6 ? `, ${pick(RMS)}` : '');
  switch (fmt) {
    case 'R': return `${name} ${x()}, ${x()}, ${x()}`;
    case 'I':
      if (name === 'jalr' || name.startsWith('l')) return `${name} ${x()}, ${ri(-2048, 2047)}(${x()})`;
      return `${name} ${x()}, ${x()}, ${ri(-2048, 2047)}`;
    case 'Ishift': return `${name} ${x()}, ${x()}, ${ri(0, name.endsWith('w') ? 31 : 63)}`;
    case 'S': return `${name} ${x()}, ${ri(-2048, 2047)}(${x()})`;
    case 'B': return `${name} ${x()}, ${x()}, ${rel(2 * ri(-2048, 2047))}`;
    case 'U': return `${name} ${x()}, ${ri(0, 0xfffff)}`;
    case 'J': return `${name} ${x()}, ${rel(2 * ri(-20000, 20000))}`;
    case 'none': return name;
    case 'csr': return `${name} ${x()}, ${pick(CSRS)}, ${x()}`;
    case 'csri': return `${name} ${x()}, ${pick(CSRS)}, ${ri(0, 31)}`;
    case 'fence': return rnd() < 0.15 ? 'fence.tso' : `fence ${pick(FENCE)}, ${pick(FENCE)}`;
    case 'sfence': return `${name} ${x()}, ${x()}`;
    case 'amo': return `${name}${pick(['', '.aq', '.rl', '.aqrl'])} ${x()}, ${x()}, (${x()})`;
    case 'lr': return `${name}${pick(['', '.aq', '.rl', '.aqrl'])} ${x()}, (${x()})`;
    case 'fload': return `${name} ${f()}, ${ri(-2048, 2047)}(${x()})`;
    case 'fstore': return `${name} ${f()}, ${ri(-2048, 2047)}(${x()})`;
    case 'r4': return `${name} ${f()}, ${f()}, ${f()}, ${f()}${rm()}`;
    case 'fr': return `${name} ${f()}, ${f()}, ${f()}${rm()}`;
    case 'fr1': return `${name} ${f()}, ${f()}${rm()}`;
    case 'fcmp': return `${name} ${x()}, ${f()}, ${f()}`;
    case 'f2x': return `${name} ${x()}, ${f()}${rm()}`;
    case 'x2f': return `${name} ${f()}, ${x()}${rm()}`;
  }
  throw new Error(`no generator for fmt ${fmt}`);
}

function haveToolchain(): boolean {
  try {
    execFileSync('riscv64-linux-gnu-objdump', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('disassemble matches objdump -M no-aliases for every op', { skip: !haveToolchain() }, () => {
  const lines: string[] = [];
  for (const def of INSNS) for (let k = 0; k < 4; k++) lines.push(gen(def.name, def.fmt, def.pattern));
  lines.push('fence.tso', 'fence iorw, iorw', 'fcvt.d.wu f1, x2', 'fcvt.d.s f3, f4', 'jalr x0, 0(x1)', 'lui x5, 0xfffff',
    'csrrs x10, cycle, x0', 'csrrwi x0, sstatus, 31');
  const dir = mkdtempSync(join(tmpdir(), 'disas-'));
  try {
    const s = join(dir, 'a.s');
    const o = join(dir, 'a.o');
    const b = join(dir, 'a.bin');
    // Start at a nonzero base so that backward targets stay positive.
    writeFileSync(s, '.option norelax\n.option norvc\n' + lines.join('\n') + '\n');
    execFileSync('riscv64-linux-gnu-as', ['-march=rv64gc', '-mpriv-spec=1.12', '-o', o, s]);
    execFileSync('riscv64-linux-gnu-objcopy', ['-O', 'binary', '-j', '.text', o, b]);
    const bin = readFileSync(b);
    const pcBase = 0x80000000;
    const out = execFileSync('riscv64-linux-gnu-objdump',
      ['-d', '-M', 'no-aliases,priv-spec=1.12', `--adjust-vma=${pcBase}`, o]).toString();
    const ops = new Set<number>();
    let n = 0;
    for (const line of out.split('\n')) {
      const m = /^\s*([0-9a-f]+):\s+([0-9a-f]{8})\s+(\S+)\s*(.*)$/.exec(line);
      if (!m) continue;
      const addr = parseInt(m[1], 16);
      const word = bin.readInt32LE(addr - pcBase);
      assert.equal(word >>> 0, parseInt(m[2], 16));
      const want = (m[3] + ' ' + m[4].replace(/\s*#.*$/, '').replace(/\b([0-9a-f]+) <[^>]*>/, '0x$1')).trim();
      const got = disassemble(word, addr);
      assert.equal(got, want, `${lines[n]} (0x${m[2]})`);
      ops.add(decode(word));
      n++;
    }
    assert.equal(n, lines.length);
    assert.equal(ops.size, INSNS.length, 'every op covered');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('examples, relative targets, compressed and illegal input', () => {
  assert.equal(disassemble(0xffc58513), 'addi a0,a1,-4');
  assert.equal(disassemble(0x00813083), 'ld ra,8(sp)');
  assert.equal(disassemble(0x00050863, 0x80000000), 'beq a0,zero,0x80000010');
  assert.equal(disassemble(0x00050863), 'beq a0,zero,.+16');
  assert.equal(disassemble(0xff9ff0ef), 'jal ra,.-8');
  assert.equal(disassemble(0xff9ff0ef, 0xffffffff80000000n), 'jal ra,0xffffffff7ffffff8');
  assert.equal(disassemble(0x30051073), 'csrrw zero,mstatus,a0');
  assert.equal(disassemble(0x02c5f553), 'fadd.d fa0,fa1,fa2');
  assert.equal(disassemble(0x02c59553), 'fadd.d fa0,fa1,fa2,rtz');
  assert.equal(disassemble(0x8330000f), 'fence.tso');
  assert.equal(disassemble(0x00000000), '.2byte 0x0000');
  assert.equal(disassemble(0xffffffff), '.4byte 0xffffffff');
  assert.equal(disassemble(0x6105), 'addi sp,sp,32'); // c.addi16sp sp,32
  assert.equal(disassemble(0x8082), 'jalr zero,0(ra)'); // c.jr ra (ret)
  for (let h = 0; h < 65536; h += 7) {
    if ((h & 3) === 3) continue;
    const e = expandRvc(h);
    if (e !== 0) assert.equal(disassemble(h, 0x1000), disassemble(e, 0x1000));
  }
});
