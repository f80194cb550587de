import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INSNS, Op, maskMatch } from '../src/core/target/riscv/insn-table.js';
import { decode } from '../src/core/target/riscv/decode.js';

test('every op has exactly one table row', () => {
  const seen = new Set<number>();
  for (const d of INSNS) {
    assert.equal(d.pattern.length, 32, d.name);
    assert.ok(!seen.has(d.op), `duplicate row for ${d.name}`);
    seen.add(d.op);
  }
  assert.equal(seen.size, Op.COUNT - 1);
});

test('no two rows overlap', () => {
  const mm = INSNS.map((d) => maskMatch(d.pattern));
  for (let i = 0; i < mm.length; i++) {
    for (let j = i + 1; j < mm.length; j++) {
      const common = mm[i][0] & mm[j][0];
      assert.ok((mm[i][1] & common) !== (mm[j][1] & common), `${INSNS[i].name} overlaps ${INSNS[j].name}`);
    }
  }
});

test('decode() finds each row with random operand bits', () => {
  let seed = 12345;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) | 0);
  for (const d of INSNS) {
    const [mask, match] = maskMatch(d.pattern);
    for (let k = 0; k < 200; k++) {
      const inst = (match | (rnd() & ~mask)) | 0;
      assert.equal(decode(inst), d.op, `${d.name} 0x${(inst >>> 0).toString(16)}`);
    }
  }
});

test('unassigned encodings decode as illegal', () => {
  assert.equal(decode(0), Op.ILLEGAL);
  assert.equal(decode(0xffffffff | 0), Op.ILLEGAL);
  assert.equal(decode(0x0000707f), Op.ILLEGAL); // custom-3 opcode
  assert.equal(decode(0x02005033 | (1 << 30)), Op.ILLEGAL); // funct7 0x21 on OP
  assert.equal(decode(0x00300073), Op.ILLEGAL); // SYSTEM funct3=0 with rs2=3
});
