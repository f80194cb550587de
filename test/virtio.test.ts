/**
 * virtio-mmio transport and split virtqueues (Virtual I/O Device 1.2, §2, §2.7, §4.2), plus the
 * entropy and console devices, driven by the driver-side test double.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CharBackend } from '../src/core/machine/types.js';
import { VirtioRng } from '../src/core/hw/virtio/rng.js';
import { VirtioConsole } from '../src/core/hw/virtio/console.js';
import { STATUS_DEVICE_NEEDS_RESET, VIRTIO_F_EVENT_IDX, VIRTIO_F_INDIRECT_DESC } from '../src/core/hw/virtio/mmio.js';
import { RAM_BASE, VirtioTestDriver } from './support/virtio-driver.js';

const seqFill = (b: Uint8Array): void => { for (let i = 0; i < b.length; i++) b[i] = (i * 7 + 3) & 0xff; };
const rngDriver = (): VirtioTestDriver => new VirtioTestDriver(new VirtioRng(seqFill));

class FakeChar implements CharBackend {
  out: number[] = [];
  receiver: ((d: Uint8Array) => void) | undefined;
  write(d: Uint8Array): void { this.out.push(...d); }
  setReceiver(r: (d: Uint8Array) => void): void { this.receiver = r; }
  type(s: string): void { this.receiver!(new TextEncoder().encode(s)); }
  text(): string { return new TextDecoder().decode(Uint8Array.from(this.out)); }
}

test('virtio-mmio registers and feature negotiation', async (t) => {
  await t.test('identification registers (§4.2.2)', () => {
    const d = rngDriver();
    assert.equal(d.r32(0x000), 0x74726976);
    assert.equal(d.r32(0x004), 2);
    assert.equal(d.r32(0x008), 4);
    assert.equal(d.mmio.read(0x000, 1), 0x76); // 'v'
    d.w32(0x030, 0);
    assert.equal(d.r32(0x034), 64);
    d.w32(0x030, 1);
    assert.equal(d.r32(0x034), 0, 'no queue 1');
  });

  await t.test('offers VERSION_1, EVENT_IDX and INDIRECT_DESC', () => {
    const f = rngDriver().deviceFeatures();
    assert.equal(f[1] & 1, 1);
    assert.ok(f[0] & (1 << VIRTIO_F_EVENT_IDX));
    assert.ok(f[0] & (1 << VIRTIO_F_INDIRECT_DESC));
  });

  await t.test('FEATURES_OK refused without VERSION_1 or with bits not offered', () => {
    const d = rngDriver();
    assert.equal(d.init({ accept: ([lo]) => [lo, 0] }), false);
    assert.equal(d.init({ accept: ([lo, hi]) => [lo | 1 << 5, hi] }), false);
    assert.equal(d.init(), true);
    assert.equal(d.status(), 15);
    d.w32(0x070, 0);
    assert.equal(d.status(), 0, 'writing 0 resets');
  });

  await t.test('a queue outside RAM or with a bad size makes the device need a reset', () => {
    const d = rngDriver();
    d.init({ driverOk: false });
    d.w32(0x030, 0);
    d.w32(0x044, 0);
    d.w32(0x038, 16);
    d.w32(0x080, 0x1000); // below RAM
    d.w32(0x044, 1);
    assert.ok(d.status() & STATUS_DEVICE_NEEDS_RESET);
    assert.equal(d.r32(0x044), 0);
    d.init();
    d.w32(0x030, 0);
    assert.equal(d.r32(0x044), 1);
    assert.equal(d.status() & STATUS_DEVICE_NEEDS_RESET, 0, 'reset clears it');
  });
});

test('split virtqueue', async (t) => {
  await t.test('direct chain: device fills the writable buffer and interrupts', () => {
    const d = rngDriver();
    d.init();
    d.post(0, [{ write: 10 }, { write: 6 }]);
    const u = d.collect(0);
    assert.equal(u.length, 1);
    assert.equal(u[0].len, 16);
    const expect = new Uint8Array(10);
    seqFill(expect);
    assert.deepEqual(d.written(u[0]).subarray(0, 10), expect);
    assert.ok(d.irq.level);
    assert.equal(d.ackInterrupt(), 1);
    assert.equal(d.irq.level, false);
  });

  await t.test('indirect chain', () => {
    const d = rngDriver();
    d.init();
    d.post(0, [{ write: 4 }, { write: 4 }, { write: 4 }], { indirect: true });
    const u = d.collect(0);
    assert.equal(u.length, 1);
    assert.equal(u[0].len, 12);
  });

  await t.test('an indirect table may fill the whole queue size (virtio 1.2 §2.7.5.3.1)', () => {
    // Linux sends seg_max + 2 descriptors in one table for large O_DIRECT requests; the descriptor that
    // points at the table is not part of the count.
    const d = rngDriver();
    d.init({ queueSize: 16 });
    d.post(0, Array.from({ length: 16 }, () => ({ write: 4 })), { indirect: true });
    const u = d.collect(0);
    assert.equal(u.length, 1);
    assert.equal(u[0].len, 64);
    assert.equal(d.status() & 0x40, 0, 'no DEVICE_NEEDS_RESET');
  });

  await t.test('indirect without negotiating INDIRECT_DESC is refused', () => {
    const d = rngDriver();
    d.init({ accept: ([lo, hi]) => [lo & ~(1 << VIRTIO_F_INDIRECT_DESC), hi] });
    d.post(0, [{ write: 4 }], { indirect: true });
    assert.equal(d.collect(0).length, 0);
    assert.ok(d.status() & STATUS_DEVICE_NEEDS_RESET);
    assert.equal(d.ackInterrupt(), 2, 'configuration change interrupt');
  });

  await t.test('many chains wrap the rings', () => {
    const d = rngDriver();
    d.init({ queueSize: 4 });
    let n = 0;
    for (let i = 0; i < 70000; i += 1000) {
      for (let k = 0; k < 1000; k++) {
        d.post(0, [{ write: 1 }], { kick: k === 999 || (k % 3 === 0) });
        n += d.collect(0).length;
      }
      (d as unknown as { brk: number }).brk = 0x4000; // reuse fake RAM
    }
    assert.equal(n, 70000);
  });

  await t.test('EVENT_IDX: interrupts only when used_event is crossed; avail_event tracks progress', () => {
    const d = rngDriver();
    d.init();
    d.setUsedEvent(0, 2); // interrupt when used idx passes 2 → at the third buffer
    d.post(0, [{ write: 1 }]);
    d.post(0, [{ write: 1 }]);
    assert.equal(d.irq.raised, 0);
    d.post(0, [{ write: 1 }]);
    assert.equal(d.irq.raised, 1);
    assert.equal(d.availEvent(0), 3);
  });

  await t.test('NO_INTERRUPT flag without EVENT_IDX', () => {
    const d = rngDriver();
    d.init({ accept: ([lo, hi]) => [lo & ~(1 << VIRTIO_F_EVENT_IDX), hi] });
    d.setAvailFlags(0, 1);
    d.post(0, [{ write: 1 }]);
    assert.equal(d.collect(0).length, 1);
    assert.equal(d.irq.raised, 0);
  });

  // Malicious chains: never a throw, never a write outside the fake RAM; the device needs reset.
  const malicious: [string, (d: VirtioTestDriver) => void][] = [
    ['a loop', (d) => {
      const tb = d.descTable(0);
      d.writeDesc(tb, 0, RAM_BASE + 0x8000, 4, 1 | 2, 1);
      d.writeDesc(tb, 1, RAM_BASE + 0x8000, 4, 1 | 2, 0);
      d.publish(0, 0);
    }],
    ['a buffer outside RAM', (d) => d.writeDesc(d.descTable(0), 0, RAM_BASE + d.bytes.length - 2, 4, 2, 0)],
    ['a buffer at a huge address', (d) => d.writeDesc(d.descTable(0), 0, 2 ** 64 - 4096, 4, 2, 0)],
    ['readable after writable', (d) => {
      const tb = d.descTable(0);
      d.writeDesc(tb, 0, RAM_BASE + 0x8000, 4, 1 | 2, 1);
      d.writeDesc(tb, 1, RAM_BASE + 0x8000, 4, 0, 0);
    }],
    ['a next index beyond the queue', (d) => d.writeDesc(d.descTable(0), 0, RAM_BASE + 0x8000, 4, 1 | 2, 999)],
    ['a head beyond the queue', (d) => {
      d.publish(0, 500);
    }],
    ['an indirect table inside an indirect table', (d) => {
      const inner = d.alloc(16);
      d.writeDesc(inner, 0, RAM_BASE + 0x8000, 4, 2, 0);
      const outer = d.alloc(16);
      d.writeDesc(outer, 0, inner, 16, 4, 0);
      d.writeDesc(d.descTable(0), 0, outer, 16, 4, 0);
    }],
    ['an indirect table with a loop', (d) => {
      const tbl = d.alloc(32);
      d.writeDesc(tbl, 0, RAM_BASE + 0x8000, 4, 1 | 2, 1);
      d.writeDesc(tbl, 1, RAM_BASE + 0x8000, 4, 1 | 2, 0);
      d.writeDesc(d.descTable(0), 0, tbl, 32, 4, 0);
    }],
    ['an indirect chain longer than the queue', (d) => {
      const n = 40;
      const tbl = d.alloc(16 * n);
      for (let i = 0; i < n; i++) d.writeDesc(tbl, i, RAM_BASE + 0x8000, 1, 2 | (i < n - 1 ? 1 : 0), i + 1);
      d.writeDesc(d.descTable(0), 0, tbl, 16 * n, 4, 0);
    }],
    ['an indirect table outside RAM', (d) => d.writeDesc(d.descTable(0), 0, RAM_BASE - 0x1000, 32, 4, 0)],
    ['an indirect table of odd length', (d) => d.writeDesc(d.descTable(0), 0, RAM_BASE + 0x8000, 24, 4, 0)],
    ['an avail index far ahead', (d) => {
      (d as unknown as { queues: { availIdx: number }[] }).queues[0].availIdx = 100;
    }],
  ];
  for (const [what, setup] of malicious) {
    await t.test(`malformed: ${what}`, () => {
      const d = rngDriver();
      d.init();
      setup(d);
      // Publish descriptor 0 unless the case published something itself.
      if (d.collect(0).length === 0 && !(d.status() & STATUS_DEVICE_NEEDS_RESET)) d.publish(0, 0);
      assert.equal(d.collect(0).length, 0);
      assert.ok(d.status() & STATUS_DEVICE_NEEDS_RESET, what);
      assert.ok(d.irq.level);
      assert.ok(d.warnings.length > 0);
      // Further notifications are ignored until a reset; after it the device works again.
      d.kick(0);
      d.init();
      d.post(0, [{ write: 3 }]);
      assert.equal(d.collect(0)[0].len, 3);
    });
  }
});

test('virtio-rng', async (t) => {
  await t.test('fills large buffers from the host RNG', () => {
    const d = new VirtioTestDriver(new VirtioRng((b) => b.fill(0xab)));
    d.init();
    d.post(0, [{ write: 10000 }]);
    const [u] = d.collect(0);
    assert.equal(u.len, 10000);
    assert.ok(d.written(u).every((x) => x === 0xab));
  });
});

test('virtio-console (single port)', async (t) => {
  await t.test('guest output reaches the backend; host input fills receive buffers', () => {
    const ch = new FakeChar();
    const d = new VirtioTestDriver(new VirtioConsole(ch));
    assert.equal(d.r32(0x008), 3);
    ch.type('early'); // before the driver is ready: held
    d.init();
    d.post(1, [{ data: new TextEncoder().encode('hello ') }, { data: new TextEncoder().encode('world') }]);
    assert.equal(ch.text(), 'hello world');
    assert.equal(d.collect(1).length, 1);
    d.post(0, [{ write: 3 }]);
    d.post(0, [{ write: 64 }]);
    const u = d.collect(0);
    assert.deepEqual(u.map((x) => x.len), [3, 2]);
    assert.equal(new TextDecoder().decode(d.written(u[0])), 'ear');
    assert.equal(new TextDecoder().decode(d.written(u[1]).subarray(0, 2)), 'ly');
    ch.type('xy'); // no buffers: waits
    assert.equal(d.collect(0).length, 0);
    d.post(0, [{ write: 8 }]);
    const [v] = d.collect(0);
    assert.equal(new TextDecoder().decode(d.written(v).subarray(0, v.len)), 'xy');
    assert.ok(d.wakes > 0);
  });

  await t.test('emergency write through config space', () => {
    const ch = new FakeChar();
    const d = new VirtioTestDriver(new VirtioConsole(ch));
    d.init();
    d.mmio.write(0x100 + 8, 4, 0x21);
    assert.equal(ch.text(), '!');
    assert.equal(d.config(4, 4), 1);
  });
});
