/**
 * virtio-net (Virtual I/O Device 1.2, §5.1) through the virtio-mmio test double: config space,
 * transmit, receive with and without mergeable buffers, held frames, malformed guest frames.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NetBackend } from '../src/core/net/backend.js';
import { parseMac, formatMac } from '../src/core/net/backend.js';
import { NET_HDR_SIZE, VirtioNet, VIRTIO_NET_F_MAC, VIRTIO_NET_F_MRG_RXBUF, VIRTIO_NET_F_STATUS } from '../src/core/hw/virtio/net.js';
import { VirtioTestDriver } from './support/virtio-driver.js';

class FakeBackend implements NetBackend {
  sent: Uint8Array[] = [];
  rx: ((f: Uint8Array) => void) | undefined;
  send(f: Uint8Array): void { this.sent.push(f.slice()); }
  setReceiver(cb: (f: Uint8Array) => void): void { this.rx = cb; }
}

const frame = (n: number, seed = 1): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff);
const hdr = (flags = 0, gso = 0): Uint8Array => Uint8Array.of(flags, gso, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
const cat = (...a: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(a.reduce((n, x) => n + x.length, 0));
  let o = 0;
  for (const x of a) { out.set(x, o); o += x.length; }
  return out;
};

function setup(opts: { mergeable?: boolean; mac?: string } = {}): { d: VirtioTestDriver; be: FakeBackend; net: VirtioNet } {
  const be = new FakeBackend();
  const net = new VirtioNet(be, opts.mac ? parseMac(opts.mac) : undefined);
  const d = new VirtioTestDriver(net);
  const ok = d.init({ accept: ([lo, hi]) => [opts.mergeable === false ? lo & ~(1 << VIRTIO_NET_F_MRG_RXBUF) : lo, hi] });
  assert.ok(ok);
  return { d, be, net };
}

test('virtio-net config and features (§5.1.3, §5.1.4)', () => {
  const { d } = setup({ mac: '02:00:00:aa:bb:cc' });
  assert.equal(d.r32(0x008), 1, 'device id 1');
  const [lo] = d.deviceFeatures();
  for (const b of [VIRTIO_NET_F_MAC, VIRTIO_NET_F_STATUS, VIRTIO_NET_F_MRG_RXBUF]) assert.ok(lo & (1 << b), `bit ${b}`);
  const mac = Uint8Array.from({ length: 6 }, (_, i) => d.config(i, 1));
  assert.equal(formatMac(mac), '02:00:00:aa:bb:cc');
  assert.equal(d.config(6, 2), 1, 'link up');
  d.w32(0x030, 2);
  assert.equal(d.r32(0x034), 0, 'no control queue');
  const def = setup().d;
  assert.equal(def.config(0, 4), 0x12005452);
  assert.equal(parseMac('nope'), undefined);
});

test('transmit: header stripped, frame to the backend; malformed frames dropped and counted', () => {
  const { d, be, net } = setup();
  const f = frame(60);
  d.post(1, [{ data: hdr() }, { data: f }]);
  d.post(1, [{ data: cat(hdr(), frame(1514, 3)) }], { indirect: true });
  d.post(1, [{ data: hdr() }, { data: frame(10) }]); // shorter than an Ethernet header
  d.post(1, [{ data: cat(hdr(1), frame(60)) }]); // NEEDS_CSUM was not negotiated
  d.post(1, [{ data: cat(hdr(0, 1), frame(60)) }]); // GSO TCPv4 was not negotiated
  d.post(1, [{ data: hdr().subarray(0, 5) }]);
  assert.equal(be.sent.length, 2);
  assert.deepEqual(be.sent[0], f);
  assert.deepEqual(be.sent[1], frame(1514, 3));
  assert.equal(net.stats.txDropped, 4);
  assert.equal(d.collect(1).length, 6, 'every chain is returned');
  assert.ok(d.irq.raised > 0);
});

test('receive: one buffer per frame, num_buffers = 1', () => {
  const { d, be } = setup();
  d.post(0, [{ write: 1526 }]);
  d.post(0, [{ write: 1526 }]);
  const f = frame(100);
  be.rx!(f);
  const u = d.collect(0);
  assert.equal(u.length, 1);
  assert.equal(u[0].len, NET_HDR_SIZE + 100);
  const w = d.written(u[0]);
  assert.equal(w[10] | (w[11] << 8), 1);
  assert.deepEqual(w.subarray(0, 10), new Uint8Array(10));
  assert.deepEqual(w.subarray(12, 112), f);
});

test('receive: mergeable buffers split a frame over several chains (§5.1.6.4)', () => {
  const { d, be } = setup();
  for (let i = 0; i < 4; i++) d.post(0, [{ write: 100 }]);
  const f = frame(250);
  be.rx!(f);
  const u = d.collect(0);
  assert.equal(u.length, 3);
  assert.deepEqual(u.map((x) => x.len), [100, 100, 62]);
  const all = cat(...u.map((x) => d.written(x)));
  assert.equal(all[10], 3, 'num_buffers');
  assert.deepEqual(all.subarray(12, 262), f);
});

test('receive: frames wait for buffers (bounded), in order', () => {
  const { d, be, net } = setup();
  for (let i = 0; i < 300; i++) be.rx!(frame(60, i));
  assert.equal(net.stats.rxDropped, 300 - 256);
  assert.equal(d.collect(0).length, 0);
  for (let i = 0; i < 3; i++) d.post(0, [{ write: 2048 }]);
  const u = d.collect(0);
  assert.equal(u.length, 3);
  for (let i = 0; i < 3; i++) assert.deepEqual(d.written(u[i]).subarray(12, 72), frame(60, i));
  assert.equal(net.stats.rxFrames, 3);
});

test('receive without MRG_RXBUF: a too small buffer drops the frame, not the buffer', () => {
  const { d, be, net } = setup({ mergeable: false });
  d.post(0, [{ write: 64 }]);
  be.rx!(frame(200));
  be.rx!(frame(40, 9));
  const u = d.collect(0);
  assert.equal(u.length, 1);
  assert.equal(u[0].len, 52);
  assert.deepEqual(d.written(u[0]).subarray(12, 52), frame(40, 9));
  assert.equal(net.stats.rxDropped, 1);
});

test('receive: oversized or runt host frames are dropped', () => {
  const { d, be, net } = setup();
  d.post(0, [{ write: 2048 }]);
  be.rx!(new Uint8Array(5));
  be.rx!(new Uint8Array(70000));
  assert.equal(d.collect(0).length, 0);
  assert.equal(net.stats.rxDropped, 2);
});
