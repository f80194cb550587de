import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GuestLog, HartInterrupts, IrqLine } from '../src/core/hw/device.js';
import type { CharBackend } from '../src/core/machine/types.js';
import { Uart16550 } from '../src/core/hw/char/uart16550.js';
import { Plic } from '../src/core/hw/intc/plic.js';
import { Aclint } from '../src/core/hw/intc/aclint.js';
import { GoldfishRtc } from '../src/core/hw/rtc/goldfish-rtc.js';
import { SifiveTest } from '../src/core/hw/misc/sifive-test.js';
import { VirtioMmioEmpty } from '../src/core/hw/virtio/mmio-empty.js';

// ---- fakes -------------------------------------------------------------------------------

class FakeBackend implements CharBackend {
  out: number[] = [];
  receiver: ((d: Uint8Array) => void) | null = null;
  write(data: Uint8Array): void {
    this.out.push(...data);
  }
  setReceiver(r: (d: Uint8Array) => void): void {
    this.receiver = r;
  }
  type(s: string): void {
    this.receiver!(new TextEncoder().encode(s));
  }
}

class FakeIrq implements IrqLine {
  level = false;
  changes = 0;
  set(level: boolean): void {
    this.level = level;
    this.changes++;
  }
}

class FakeHart implements HartInterrupts {
  mip = 0;
  setMip(bit: number, level: boolean): void {
    if (level) this.mip |= 1 << bit;
    else this.mip &= ~(1 << bit);
  }
  has(bit: number): boolean {
    return (this.mip & (1 << bit)) !== 0;
  }
}

class FakeClock {
  t = 0;
  now(): number {
    return this.t;
  }
}

class FakeLog implements GuestLog {
  msgs: string[] = [];
  warn(msg: string): void {
    this.msgs.push(msg);
  }
}

// ---- UART --------------------------------------------------------------------------------

const THR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7;

function mkUart() {
  const be = new FakeBackend();
  const irq = new FakeIrq();
  const log = new FakeLog();
  const u = new Uart16550(be, irq, log);
  return { be, irq, log, u };
}

test('uart: DLAB exposes divisor latch, other registers preserved', () => {
  const { u, be } = mkUart();
  u.write(IER, 1, 0x05);
  u.write(LCR, 1, 0x83);
  u.write(0, 1, 0x01);
  u.write(1, 1, 0x02);
  assert.equal(u.read(0, 1), 0x01);
  assert.equal(u.read(1, 1), 0x02);
  u.write(LCR, 1, 0x03);
  assert.equal(u.read(LCR, 1), 0x03);
  assert.equal(u.read(IER, 1), 0x05);
  assert.deepEqual(be.out, [], 'DLL write must not transmit');
  u.write(SCR, 1, 0xa5);
  assert.equal(u.read(SCR, 1), 0xa5);
  assert.equal(u.read(MSR, 1), 0xb0);
});

test('uart: TX bytes reach the backend; LSR THRE/TEMT', () => {
  const { u, be } = mkUart();
  for (const c of 'hi\n') u.write(THR, 1, c.charCodeAt(0));
  assert.equal(String.fromCharCode(...be.out), 'hi\n');
  assert.equal(u.read(LSR, 1) & 0x61, 0x60);
});

test('uart: RX data, LSR.DR, FIFO of 16 refilled from unbounded host queue', () => {
  const { u, be, irq } = mkUart();
  u.write(FCR, 1, 0x07);
  assert.equal(u.read(IIR, 1) & 0xc0, 0xc0, 'FIFO-enabled bits in IIR');
  const msg = 'abcdefghijklmnopqrstuvwxyz0123456789';
  be.type(msg.slice(0, 10));
  be.type(msg.slice(10));
  assert.equal(u.read(LSR, 1) & 1, 1);
  assert.equal(irq.level, false, 'no RX interrupt while ERBFI clear');
  let got = '';
  while (u.read(LSR, 1) & 1) got += String.fromCharCode(u.read(THR, 1));
  assert.equal(got, msg);
  assert.equal(u.read(LSR, 1) & 1, 0);
});

test('uart: non-FIFO mode holds one byte but loses no input', () => {
  const { u, be } = mkUart();
  be.type('xyz');
  assert.equal(u.read(IIR, 1) & 0xc0, 0);
  let got = '';
  while (u.read(LSR, 1) & 1) got += String.fromCharCode(u.read(THR, 1));
  assert.equal(got, 'xyz');
});

test('uart: RX interrupt raised and cleared', () => {
  const { u, be, irq } = mkUart();
  u.write(FCR, 1, 0x01);
  u.write(IER, 1, 0x01);
  assert.equal(irq.level, false);
  assert.equal(u.read(IIR, 1) & 0x0f, 0x01);
  be.type('ab');
  assert.equal(irq.level, true);
  assert.equal(u.read(IIR, 1) & 0x0f, 0x04);
  assert.equal(u.read(THR, 1), 0x61);
  assert.equal(irq.level, true, 'still data');
  assert.equal(u.read(THR, 1), 0x62);
  assert.equal(irq.level, false);
  assert.equal(u.read(IIR, 1) & 0x0f, 0x01);
  // Disabling ERBFI with data waiting drops the line.
  be.type('c');
  assert.equal(irq.level, true);
  u.write(IER, 1, 0);
  assert.equal(irq.level, false);
});

test('uart: THRE interrupt semantics (8250 THRE re-assert test)', () => {
  const { u, be, irq } = mkUart();
  u.write(IER, 1, 0x02);
  assert.equal(irq.level, true, 'enabling ETBEI with THR empty raises');
  assert.equal(u.read(IIR, 1) & 0x0f, 0x02);
  assert.equal(irq.level, false, 'reading IIR reporting THRE clears it');
  assert.equal(u.read(IIR, 1) & 0x0f, 0x01);
  // Rewriting IER with ETBEI already set does not re-raise.
  u.write(IER, 1, 0x02);
  assert.equal(irq.level, false);
  // Disable then re-enable: re-asserted (Linux serial8250_do_startup depends on it).
  u.write(IER, 1, 0x00);
  u.write(IER, 1, 0x02);
  assert.equal(u.read(IIR, 1) & 0x0f, 0x02);
  // A transmitted byte empties THR again → THRE pending.
  u.write(THR, 1, 0x41);
  assert.deepEqual(be.out, [0x41]);
  assert.equal(irq.level, true);
  // RX data has priority over THRE in IIR.
  u.write(IER, 1, 0x03);
  be.type('z');
  assert.equal(u.read(IIR, 1) & 0x0f, 0x04);
  u.read(THR, 1);
  assert.equal(u.read(IIR, 1) & 0x0f, 0x02);
  assert.equal(irq.level, false);
});

test('uart: FCR clear discards FIFO, loopback routes TX to RX', () => {
  const { u, be } = mkUart();
  u.write(FCR, 1, 0x01);
  be.type('q');
  u.write(FCR, 1, 0x03);
  assert.equal(u.read(LSR, 1) & 1, 0);
  u.write(MCR, 1, 0x1f);
  assert.equal(u.read(MSR, 1) & 0xf0, 0xf0);
  u.write(THR, 1, 0x55);
  assert.deepEqual(be.out, []);
  assert.equal(u.read(LSR, 1) & 1, 1);
  assert.equal(u.read(THR, 1), 0x55);
});

test('uart: bad offset is logged, not thrown', () => {
  const { u, log } = mkUart();
  assert.equal(u.read(0x40, 1), 0);
  u.write(0x40, 1, 1);
  assert.equal(u.badAccesses, 2);
  assert.equal(log.msgs.length, 2);
});

// ---- PLIC --------------------------------------------------------------------------------

const MEIP = 11, SEIP = 9;
const prio = (n: number) => 4 * n;
const enable = (ctx: number) => 0x2000 + 0x80 * ctx;
const thresh = (ctx: number) => 0x200000 + 0x1000 * ctx;
const claimReg = (ctx: number) => thresh(ctx) + 4;

function mkPlic(nharts = 2) {
  const harts = Array.from({ length: nharts }, () => new FakeHart());
  const log = new FakeLog();
  const plic = new Plic(harts, 95, log);
  return { harts, plic, log };
}

test('plic: priority, enable, threshold gate the notification', () => {
  const { harts, plic } = mkPlic();
  plic.irq(10).set(true);
  assert.equal(plic.read(0x1000, 4), 1 << 10, 'pending bit');
  assert.equal(harts[0]!.mip, 0, 'priority 0 never interrupts');
  plic.write(prio(10), 4, 3);
  assert.equal(plic.read(prio(10), 4), 3);
  assert.equal(harts[0]!.mip, 0, 'not enabled');
  plic.write(enable(1), 4, 1 << 10); // hart 0 S-mode
  assert.equal(harts[0]!.has(SEIP), true);
  assert.equal(harts[0]!.has(MEIP), false);
  plic.write(thresh(1), 4, 3);
  assert.equal(harts[0]!.has(SEIP), false, 'priority must exceed threshold');
  plic.write(thresh(1), 4, 2);
  assert.equal(harts[0]!.has(SEIP), true);
  plic.write(enable(2), 4, 1 << 10); // hart 1 M-mode
  assert.equal(harts[1]!.has(MEIP), true);
  assert.equal(harts[1]!.has(SEIP), false);
});

test('plic: claim picks highest priority, ties to lowest id; complete re-pends if high', () => {
  const { harts, plic } = mkPlic(1);
  for (const n of [5, 7, 40]) {
    plic.write(prio(n), 4, n === 40 ? 2 : 1);
    plic.irq(n).set(true);
  }
  plic.write(enable(0), 4, (1 << 5) | (1 << 7));
  plic.write(enable(0) + 4, 4, 1 << (40 - 32));
  assert.equal(plic.read(claimReg(0), 4), 40);
  assert.equal(plic.read(claimReg(0), 4), 5);
  assert.equal(plic.read(claimReg(0), 4), 7);
  assert.equal(plic.read(claimReg(0), 4), 0);
  assert.equal(harts[0]!.has(MEIP), false, 'all claimed');
  // Claimed source is not re-pended by its line toggling.
  plic.irq(5).set(false);
  plic.irq(5).set(true);
  assert.equal(plic.read(0x1000, 4) & (1 << 5), 0);
  // Complete with the line still high → pending again.
  plic.write(claimReg(0), 4, 5);
  assert.equal(harts[0]!.has(MEIP), true);
  assert.equal(plic.read(claimReg(0), 4), 5);
  // Line dropped before completion → not pending after complete.
  plic.irq(5).set(false);
  plic.write(claimReg(0), 4, 5);
  plic.irq(7).set(false);
  plic.write(claimReg(0), 4, 7);
  plic.irq(40).set(false);
  plic.write(claimReg(0), 4, 40);
  assert.equal(plic.read(0x1000, 4), 0);
  assert.equal(plic.read(0x1004, 4), 0);
  assert.equal(harts[0]!.has(MEIP), false);
});

test('plic: unclaimed source follows its line; completion of non-enabled source ignored', () => {
  const { harts, plic } = mkPlic(1);
  plic.write(prio(3), 4, 1);
  plic.write(enable(0), 4, 1 << 3);
  plic.irq(3).set(true);
  assert.equal(harts[0]!.has(MEIP), true);
  plic.irq(3).set(false);
  assert.equal(harts[0]!.has(MEIP), false);
  plic.irq(3).set(true);
  assert.equal(plic.read(claimReg(0), 4), 3);
  plic.write(enable(0), 4, 0);
  plic.write(claimReg(0), 4, 3); // ignored: not enabled for this context
  plic.write(enable(0), 4, 1 << 3);
  assert.equal(harts[0]!.has(MEIP), false, 'still claimed');
  plic.write(claimReg(0), 4, 3);
  assert.equal(harts[0]!.has(MEIP), true);
});

test('plic: source 0 and bad accesses', () => {
  const { plic, log } = mkPlic(1);
  plic.write(enable(0), 4, 0xffffffff);
  assert.equal(plic.read(enable(0), 4), 0xfffffffe);
  plic.write(prio(0), 4, 5);
  assert.equal(plic.read(prio(0), 4), 0);
  assert.equal(plic.read(thresh(5), 4), 0);
  plic.write(prio(1), 2, 1);
  assert.equal(plic.read(prio(1), 4), 0);
  assert.ok(plic.badAccesses >= 2);
  assert.ok(log.msgs.length >= 2);
  assert.throws(() => plic.irq(0));
  assert.throws(() => plic.irq(96));
});

test('plic: enable bits beyond ndev are hardwired zero', () => {
  const { plic } = mkPlic(1);
  plic.write(enable(0) + 8, 4, 0xffffffff); // sources 64..95
  assert.equal(plic.read(enable(0) + 8, 4), 0xffffffff);
  const small = new Plic([new FakeHart()], 40, new FakeLog());
  small.write(enable(0) + 4, 4, 0xffffffff); // sources 32..63, only 32..40 exist
  assert.equal(small.read(enable(0) + 4, 4), 0x1ff);
});

// ---- ACLINT ------------------------------------------------------------------------------

const MSIP = 3, MTIP = 7;

function mkAclint(n = 2) {
  const harts = Array.from({ length: n }, () => new FakeHart());
  const clock = new FakeClock();
  const log = new FakeLog();
  const a = new Aclint(harts, clock, log);
  return { harts, clock, a, log };
}

test('aclint: msip drives mip.MSIP per hart', () => {
  const { harts, a } = mkAclint();
  a.write(4, 4, 0xffffffff);
  assert.equal(a.read(4, 4), 1);
  assert.equal(harts[1]!.has(MSIP), true);
  assert.equal(harts[0]!.has(MSIP), false);
  a.write(4, 4, 0);
  assert.equal(harts[1]!.has(MSIP), false);
});

test('aclint: mtimecmp defaults to all ones; MTIP when clock passes it', () => {
  const { harts, clock, a } = mkAclint();
  assert.equal(a.read(0x4000, 4), 0xffffffff);
  assert.equal(a.read(0x4004, 4), 0xffffffff);
  clock.t = 1e15;
  a.poll();
  assert.equal(harts[0]!.has(MTIP), false, 'all-ones never reached');
  assert.equal(a.nextEvent(), Infinity);
  clock.t = 100;
  // 64-bit write as two words, low first: mtimecmp[1] = 0x1_0000_0010
  a.write(0x4008, 4, 0x10);
  a.write(0x400c, 4, 1);
  assert.equal(a.read(0x4008, 4), 0x10);
  assert.equal(a.read(0x400c, 4), 1);
  assert.equal(a.nextEvent(), 0x1_0000_0010);
  clock.t = 0x1_0000_000f;
  a.poll();
  assert.equal(harts[1]!.has(MTIP), false);
  clock.t = 0x1_0000_0010;
  a.poll();
  assert.equal(harts[1]!.has(MTIP), true);
  assert.equal(harts[0]!.has(MTIP), false);
  assert.equal(a.nextEvent(), Infinity, 'reached deadlines are not next events');
  // Writing a later mtimecmp clears MTIP immediately.
  a.write(0x400c, 4, 2);
  assert.equal(harts[1]!.has(MTIP), false);
  assert.equal(a.nextEvent(), 0x2_0000_0010);
});

test('aclint: mtime read as two words and written as an offset', () => {
  const { harts, clock, a } = mkAclint(1);
  clock.t = 0x2_8000_0001;
  assert.equal(a.read(0xbff8, 4), 0x8000_0001);
  assert.equal(a.read(0xbffc, 4), 2);
  assert.equal(a.mtime(), 0x2_8000_0001);
  // Torn-read protection: high word comes from the low-word snapshot.
  clock.t = 0x2_ffff_ffff;
  assert.equal(a.read(0xbff8, 4), 0xffff_ffff);
  clock.t = 0x3_0000_0000;
  assert.equal(a.read(0xbffc, 4), 2);
  // Setting mtime: low word then high word.
  clock.t = 1000;
  a.write(0xbff8, 4, 500);
  a.write(0xbffc, 4, 0);
  assert.equal(a.mtime(), 500);
  clock.t = 1100;
  assert.equal(a.mtime(), 600);
  a.write(0x4000, 4, 700);
  a.write(0x4004, 4, 0);
  assert.equal(harts[0]!.has(MTIP), false);
  assert.equal(a.nextEvent(), 1200, 'in clock ticks, not mtime');
  clock.t = 1200;
  a.poll();
  assert.equal(harts[0]!.has(MTIP), true);
});

test('aclint: bad accesses are counted, not thrown', () => {
  const { a, log } = mkAclint(1);
  assert.equal(a.read(0x8, 4), 0); // msip of a missing hart
  a.write(0x4000, 2, 0);
  assert.equal(a.read(0x4000, 4), 0xffffffff);
  assert.equal(a.badAccesses, 2);
  assert.equal(log.msgs.length, 2);
});

// ---- Goldfish RTC ------------------------------------------------------------------------

test('rtc: time reads latch the high word; writes set an offset', () => {
  let wall = 1_700_000_000_123_456_789; // ns (not exact as a double; fine)
  const irq = new FakeIrq();
  const rtc = new GoldfishRtc(() => wall, irq, new FakeLog());
  const exp = BigInt(wall);
  const lo = rtc.read(0x00, 4);
  wall += 5 * 2 ** 32; // time moves on; high word stays latched
  const hi = rtc.read(0x04, 4);
  assert.equal((BigInt(hi) << 32n) | BigInt(lo), exp);
  // Linux writes TIME_HIGH then TIME_LOW.
  const target = 1_000_000_000_000_000_000n;
  rtc.write(0x04, 4, Number(target >> 32n));
  rtc.write(0x00, 4, Number(target & 0xffffffffn));
  const lo2 = rtc.read(0x00, 4);
  const hi2 = rtc.read(0x04, 4);
  assert.equal((BigInt(hi2) << 32n) | BigInt(lo2), target);
});

test('rtc: alarm fires on poll, interrupt enable and clear', () => {
  let wall = 1e18;
  const irq = new FakeIrq();
  const rtc = new GoldfishRtc(() => wall, irq, new FakeLog());
  const at = 1e18 + 1e9;
  rtc.write(0x10, 4, 1);
  rtc.write(0x0c, 4, Math.floor(at / 2 ** 32));
  rtc.write(0x08, 4, at % 2 ** 32);
  assert.equal(rtc.read(0x18, 4), 1, 'armed');
  rtc.poll();
  assert.equal(irq.level, false);
  wall = at;
  rtc.poll();
  assert.equal(irq.level, true);
  assert.equal(rtc.read(0x18, 4), 0, 'disarmed after firing');
  rtc.write(0x1c, 4, 1);
  assert.equal(irq.level, false);
  // CLEAR_ALARM disarms; a past alarm fires immediately when armed.
  rtc.write(0x0c, 4, Math.floor((at + 1e9) / 2 ** 32));
  rtc.write(0x08, 4, (at + 1e9) % 2 ** 32);
  rtc.write(0x14, 4, 1);
  wall = at + 2e9;
  rtc.poll();
  assert.equal(irq.level, false);
  rtc.write(0x08, 4, 0);
  assert.equal(irq.level, true);
  rtc.write(0x10, 4, 0);
  assert.equal(irq.level, false, 'masked by IRQ_ENABLED');
});

// ---- SiFive test -------------------------------------------------------------------------

test('sifive-test: poweroff, reset, fail with code', () => {
  const calls: [string, number][] = [];
  const t = new SifiveTest((k, c) => calls.push([k, c]), new FakeLog());
  assert.equal(t.read(0, 4), 0);
  t.write(0, 4, 0x5555);
  t.write(0, 4, 0x7777);
  t.write(0, 4, (42 << 16) | 0x3333);
  t.write(0, 2, 0x5555);
  t.write(0, 4, 0x1234);
  t.write(8, 4, 0x5555);
  assert.deepEqual(calls, [
    ['poweroff', 0],
    ['reset', 0],
    ['fail', 42],
    ['poweroff', 0],
  ]);
  assert.equal(t.badAccesses, 2);
});

// ---- virtio-mmio empty slot --------------------------------------------------------------

test('virtio-mmio-empty: identification registers', () => {
  const v = new VirtioMmioEmpty();
  assert.equal(v.read(0x000, 4), 0x74726976);
  assert.equal(v.read(0x004, 4), 2);
  assert.equal(v.read(0x008, 4), 0);
  assert.equal(v.read(0x00c, 4), 0x554d4551);
  assert.equal(v.read(0x001, 1), 0x69);
  assert.equal(v.read(0x070, 4), 0);
  v.write(0x070, 4, 0xf);
  assert.equal(v.read(0x070, 4), 0);
});
