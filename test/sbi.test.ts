/**
 * The built-in SBI (SBI spec v2.0) called directly on a hart, without a guest kernel.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bus } from '../src/core/hw/bus.js';
import { Cpu } from '../src/core/target/riscv/cpu.js';
import { allocateMachineMemory, RAM_OFFSET } from '../src/core/target/riscv/state.js';
import { Sbi, SBI_IMPL_ID } from '../src/core/firmware/sbi.js';
import { MIP_SSIP, MIP_STIP } from '../src/core/target/riscv/csr-defs.js';

const RAM = 0x80000000;

function setup(input: number[] = []) {
  const mem = allocateMachineMemory(1 << 20);
  const bus = new Bus(RAM, 1 << 20, { warn() {} });
  let now = 0;
  const cpu = new Cpu(mem, bus, { now: () => now }, { warn() {} });
  const out: number[] = [];
  const resets: string[] = [];
  const sbi = new Sbi({ write: (d) => out.push(...d), setReceiver() {} }, (k) => resets.push(k), () => input.shift() ?? -1);
  const call = (eid: number, fid: number, ...args: number[]) => {
    cpu.x.fill(0);
    args.forEach((a, i) => { cpu.x[20 + 2 * i] = a; cpu.x[21 + 2 * i] = 0; });
    cpu.x[34] = eid;
    cpu.x[32] = fid;
    assert.equal(sbi.call(cpu), true);
    return { err: cpu.x[20], val: cpu.x[22] >>> 0 };
  };
  return { cpu, out, resets, call, mem, setNow: (t: number) => { now = t; } };
}

test('sbi base: spec v2.0, implementation id, probing', () => {
  const { call } = setup();
  assert.deepEqual(call(0x10, 0), { err: 0, val: 2 << 24 });
  assert.deepEqual(call(0x10, 1), { err: 0, val: SBI_IMPL_ID });
  for (const eid of [0x54494d45, 0x735049, 0x52464e43, 0x48534d, 0x53525354, 0x4442434e]) {
    assert.equal(call(0x10, 3, eid).val, 1, `probe 0x${eid.toString(16)}`);
  }
  assert.equal(call(0x10, 3, 0x504d55).val, 0); // PMU: not provided
  assert.equal(call(0x12345678, 0).err, -2); // unknown extension: SBI_ERR_NOT_SUPPORTED
});

test('sbi TIME programs the S-mode timer comparator (Sstc-style STIP)', () => {
  const { cpu, call, setNow } = setup();
  cpu.menvcfgHi = 0x80000000 | 0;
  setNow(100);
  call(0x54494d45, 0, 500);
  cpu.pollStimer();
  assert.equal(cpu.mip & MIP_STIP, 0);
  setNow(500);
  cpu.pollStimer();
  assert.equal(cpu.mip & MIP_STIP, MIP_STIP);
  call(0x54494d45, 0, 1000); // a later deadline clears it
  assert.equal(cpu.mip & MIP_STIP, 0);
});

test('sbi IPI to hart 0 raises SSIP; HSM reports the hart started', () => {
  const { cpu, call } = setup();
  assert.equal(call(0x735049, 0, 1, 0).err, 0);
  assert.equal(cpu.mip & MIP_SSIP, MIP_SSIP);
  assert.deepEqual(call(0x48534d, 2, 0), { err: 0, val: 0 });
  assert.equal(call(0x48534d, 2, 5).err, -3);
  assert.equal(call(0x48534d, 0, 0, 0, 0).err, -6); // hart_start of a running hart: ALREADY_AVAILABLE
});

test('sbi DBCN writes guest memory to the console and reads input', () => {
  const { call, out, mem } = setup([0x41, 0x42]);
  const ram = new Uint8Array(mem.buffer, RAM_OFFSET, 1 << 20);
  ram.set(new TextEncoder().encode('hello'), 0x100);
  assert.deepEqual(call(0x4442434e, 0, 5, RAM + 0x100, 0), { err: 0, val: 5 });
  assert.equal(String.fromCharCode(...out), 'hello');
  assert.equal(call(0x4442434e, 0, 5, 0x1000, 0).err, -5); // outside RAM: INVALID_ADDRESS
  assert.deepEqual(call(0x4442434e, 1, 8, RAM + 0x200, 0), { err: 0, val: 2 });
  assert.deepEqual([...ram.subarray(0x200, 0x202)], [0x41, 0x42]);
  call(0x4442434e, 2, 0x21);
  assert.equal(out.at(-1), 0x21);
});

test('sbi legacy console: putchar, getchar returns input then -1', () => {
  const { cpu, call, out } = setup([0x7a]);
  call(0x01, 0, 0x79);
  assert.equal(out.at(-1), 0x79);
  call(0x02, 0);
  assert.equal(cpu.x[20], 0x7a);
  call(0x02, 0);
  assert.equal(cpu.x[20], -1);
});

test('sbi SRST: shutdown and reboot reach the board; bad types are refused', () => {
  const { call, resets } = setup();
  assert.equal(call(0x53525354, 0, 0, 0).err, 0);
  assert.equal(call(0x53525354, 0, 1, 0).err, 0);
  assert.equal(call(0x53525354, 0, 7, 0).err, -3);
  assert.deepEqual(resets, ['poweroff', 'reset']);
});
