/**
 * virtio-blk (Virtual I/O Device 1.2, §5.2) on an in-memory BlockDriver, driven by the
 * driver-side test double: every request type, read-only disks, errors, several requests in
 * flight completing out of order, and a reset while requests are in flight.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockError, type BlockDriver } from '../src/core/block/block-driver.js';
import {
  VirtioBlk, VIRTIO_BLK_F_DISCARD, VIRTIO_BLK_F_FLUSH, VIRTIO_BLK_F_RO, VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_OK,
  VIRTIO_BLK_S_UNSUPP, VIRTIO_BLK_T_DISCARD, VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_IN,
  VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_WRITE_ZEROES,
} from '../src/core/hw/virtio/blk.js';
import { VirtioTestDriver, type Seg } from './support/virtio-driver.js';

/** An in-memory disk whose operations can be held and released in any order. */
class MemDisk implements BlockDriver {
  readonly data: Uint8Array;
  flushes = 0;
  discards: [number, number][] = [];
  held: (() => void)[] | undefined;
  failNext = false;
  closed = false;
  constructor(readonly size: number, readonly readOnly = false) {
    this.data = new Uint8Array(size);
  }
  private async gate(): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new BlockError('injected failure');
    }
    if (this.held) await new Promise<void>((r) => this.held!.push(r));
  }
  async read(offset: number, buf: Uint8Array): Promise<void> {
    await this.gate();
    buf.set(this.data.subarray(offset, offset + buf.length));
  }
  async write(offset: number, data: Uint8Array): Promise<void> {
    await this.gate();
    this.data.set(data, offset);
  }
  async flush(): Promise<void> { await this.gate(); this.flushes++; }
  async discard(offset: number, length: number): Promise<void> { await this.gate(); this.discards.push([offset, length]); }
  async writeZeroes(offset: number, length: number): Promise<void> { await this.gate(); this.data.fill(0, offset, offset + length); }
  async close(): Promise<void> { this.closed = true; }
}

function header(type: number, sector: number): Uint8Array {
  const h = new Uint8Array(16);
  const v = new DataView(h.buffer);
  v.setUint32(0, type, true);
  v.setUint32(8, sector % 2 ** 32, true);
  v.setUint32(12, Math.floor(sector / 2 ** 32), true);
  return h;
}

function range(sector: number, num: number, flags: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint32(0, sector, true);
  v.setUint32(8, num, true);
  v.setUint32(12, flags, true);
  return b;
}

const pattern = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff);

function setup(disk: MemDisk, serial?: string): VirtioTestDriver {
  const d = new VirtioTestDriver(new VirtioBlk(disk, { serial }));
  assert.equal(d.init({ queueSize: 32 }), true);
  return d;
}

/** Posts a request and returns its status byte and used length after the backend settles. */
async function request(d: VirtioTestDriver, segs: Seg[], opts: { indirect?: boolean } = {}): Promise<{ status: number; len: number; data: Uint8Array }> {
  d.post(0, segs, opts);
  await d.settle();
  const [u] = d.collect(0);
  assert.ok(u, 'request completed');
  const w = d.written(u);
  return { status: w[w.length - 1], len: u.len, data: w.subarray(0, w.length - 1) };
}

test('virtio-blk', async (t) => {
  await t.test('config space: capacity, seg_max, blk_size; features', () => {
    const d = setup(new MemDisk(3 * 2 ** 20));
    assert.equal(d.r32(0x008), 2);
    assert.equal(d.config(0, 4), 6144);
    assert.equal(d.config(4, 4), 0);
    assert.equal(d.config(12, 4), 254);
    assert.equal(d.config(20, 4), 512);
    const [lo] = d.deviceFeatures();
    assert.ok(lo & (1 << VIRTIO_BLK_F_FLUSH));
    assert.ok(lo & (1 << VIRTIO_BLK_F_DISCARD));
    assert.equal(lo & (1 << VIRTIO_BLK_F_RO), 0);
  });

  await t.test('write then read back, direct and indirect, split buffers', async () => {
    const disk = new MemDisk(1 << 20);
    const d = setup(disk);
    const p = pattern(1024, 5);
    let r = await request(d, [{ data: header(VIRTIO_BLK_T_OUT, 3) }, { data: p.subarray(0, 100) }, { data: p.subarray(100) }, { write: 1 }]);
    assert.equal(r.status, VIRTIO_BLK_S_OK);
    assert.equal(r.len, 1);
    assert.deepEqual(disk.data.subarray(1536, 2560), p);
    r = await request(d, [{ data: header(VIRTIO_BLK_T_IN, 3) }, { write: 1024 }, { write: 1 }], { indirect: true });
    assert.equal(r.status, VIRTIO_BLK_S_OK);
    assert.equal(r.len, 1025);
    assert.deepEqual(r.data, p);
    r = await request(d, [{ data: header(VIRTIO_BLK_T_IN, 3) }, { write: 7 }, { write: 1017 }, { write: 1 }]);
    assert.deepEqual(r.data, p);
    // Header and data in one buffer.
    const both = new Uint8Array(16 + 512);
    both.set(header(VIRTIO_BLK_T_OUT, 0));
    both.set(p.subarray(0, 512), 16);
    r = await request(d, [{ data: both }, { write: 1 }]);
    assert.equal(r.status, VIRTIO_BLK_S_OK);
    assert.deepEqual(disk.data.subarray(0, 512), p.subarray(0, 512));
    assert.ok(d.irq.level);
    assert.ok(d.wakes > 0);
  });

  await t.test('out of range, unaligned and unknown requests', async () => {
    const d = setup(new MemDisk(4096));
    assert.equal((await request(d, [{ data: header(VIRTIO_BLK_T_IN, 8) }, { write: 513 }])).status, VIRTIO_BLK_S_IOERR);
    assert.equal((await request(d, [{ data: header(VIRTIO_BLK_T_IN, 7) }, { write: 1025 }])).status, VIRTIO_BLK_S_IOERR);
    assert.equal((await request(d, [{ data: header(VIRTIO_BLK_T_IN, 0) }, { write: 101 }])).status, VIRTIO_BLK_S_IOERR);
    assert.equal((await request(d, [{ data: header(VIRTIO_BLK_T_IN, 2 ** 60) }, { write: 513 }])).status, VIRTIO_BLK_S_IOERR);
    assert.equal((await request(d, [{ data: header(99, 0) }, { write: 1 }])).status, VIRTIO_BLK_S_UNSUPP);
    assert.equal((await request(d, [{ data: new Uint8Array(8) }, { write: 1 }])).status, VIRTIO_BLK_S_IOERR);
  });

  await t.test('backend errors become VIRTIO_BLK_S_IOERR', async () => {
    const disk = new MemDisk(4096);
    const d = setup(disk);
    disk.failNext = true;
    assert.equal((await request(d, [{ data: header(VIRTIO_BLK_T_IN, 0) }, { write: 513 }])).status, VIRTIO_BLK_S_IOERR);
    assert.match(d.warnings.join('\n'), /injected failure/);
    assert.equal((await request(d, [{ data: header(VIRTIO_BLK_T_IN, 0) }, { write: 513 }])).status, VIRTIO_BLK_S_OK);
  });

  await t.test('flush, GET_ID, discard, write zeroes', async () => {
    const disk = new MemDisk(8192);
    disk.data.fill(0xee);
    const d = setup(disk, 'tsvm-serial-0123456789abc');
    assert.equal((await request(d, [{ data: header(VIRTIO_BLK_T_FLUSH, 0) }, { write: 1 }])).status, VIRTIO_BLK_S_OK);
    assert.equal(disk.flushes, 1);
    const id = await request(d, [{ data: header(VIRTIO_BLK_T_GET_ID, 0) }, { write: 20 }, { write: 1 }]);
    assert.equal(new TextDecoder().decode(id.data), 'tsvm-serial-01234567');
    assert.equal(id.len, 21);
    let r = await request(d, [{ data: header(VIRTIO_BLK_T_DISCARD, 0) }, { data: range(2, 2, 0) }, { data: range(8, 1, 0) }, { write: 1 }]);
    assert.equal(r.status, VIRTIO_BLK_S_OK);
    assert.deepEqual(disk.discards, [[1024, 1024], [4096, 512]]);
    r = await request(d, [{ data: header(VIRTIO_BLK_T_DISCARD, 0) }, { data: range(2, 2, 1) }, { write: 1 }]);
    assert.equal(r.status, VIRTIO_BLK_S_UNSUPP, 'unmap on discard');
    r = await request(d, [{ data: header(VIRTIO_BLK_T_WRITE_ZEROES, 0) }, { data: range(1, 2, 1) }, { write: 1 }]);
    assert.equal(r.status, VIRTIO_BLK_S_OK);
    assert.ok(disk.data.subarray(512, 1536).every((x) => x === 0));
    assert.equal(disk.data[511], 0xee);
    assert.equal(disk.data[1536], 0xee);
    r = await request(d, [{ data: header(VIRTIO_BLK_T_WRITE_ZEROES, 0) }, { data: range(15, 2, 0) }, { write: 1 }]);
    assert.equal(r.status, VIRTIO_BLK_S_IOERR, 'beyond the end');
  });

  await t.test('read-only disk: RO feature, writes rejected with IOERR', async () => {
    const disk = new MemDisk(4096, true);
    const d = setup(disk);
    const [lo] = d.deviceFeatures();
    assert.ok(lo & (1 << VIRTIO_BLK_F_RO));
    assert.equal(lo & (1 << VIRTIO_BLK_F_DISCARD), 0);
    assert.equal((await request(d, [{ data: header(VIRTIO_BLK_T_OUT, 0) }, { data: new Uint8Array(512) }, { write: 1 }])).status, VIRTIO_BLK_S_IOERR);
    assert.equal((await request(d, [{ data: header(VIRTIO_BLK_T_WRITE_ZEROES, 0) }, { data: range(0, 1, 0) }, { write: 1 }])).status, VIRTIO_BLK_S_IOERR);
    assert.equal((await request(d, [{ data: header(VIRTIO_BLK_T_IN, 0) }, { write: 513 }])).status, VIRTIO_BLK_S_OK);
  });

  await t.test('several requests in flight complete in the order the backend finishes', async () => {
    const disk = new MemDisk(1 << 16);
    disk.data.set(pattern(1 << 16, 1));
    const d = setup(disk);
    disk.held = [];
    const heads = [0, 1, 2].map((s) => d.post(0, [{ data: header(VIRTIO_BLK_T_IN, s) }, { write: 512 }, { write: 1 }], { kick: false }));
    d.kick(0);
    await d.settle();
    assert.equal(disk.held.length, 3);
    assert.equal(d.collect(0).length, 0);
    const release = disk.held;
    disk.held = undefined;
    release[2]();
    release[0]();
    await d.settle();
    let u = d.collect(0);
    assert.deepEqual(u.map((x) => x.id), [heads[2], heads[0]]);
    assert.deepEqual(d.written(u[0]).subarray(0, 512), disk.data.subarray(1024, 1536));
    release[1]();
    await d.settle();
    u = d.collect(0);
    assert.deepEqual(u.map((x) => x.id), [heads[1]]);
  });

  await t.test('a reset drops completions of requests in flight', async () => {
    const disk = new MemDisk(1 << 16);
    const d = setup(disk);
    disk.held = [];
    d.post(0, [{ data: header(VIRTIO_BLK_T_IN, 0) }, { write: 512 }, { write: 1 }]);
    await d.settle();
    d.w32(0x070, 0);
    const held = disk.held;
    disk.held = undefined;
    held.forEach((f) => f());
    await d.settle();
    assert.equal(d.init({ queueSize: 32 }), true);
    assert.equal(d.collect(0).length, 0);
    assert.equal((await request(d, [{ data: header(VIRTIO_BLK_T_IN, 0) }, { write: 513 }])).status, VIRTIO_BLK_S_OK);
  });
});
