/**
 * Node side of networking: -netdev/-nic parsing, hostfwd errors, the socket/stream/dgram backends
 * (QEMU's framing) and user-mode networking over real loopback sockets (127.0.0.1 only).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from './support/guest.js';
import { createServer, connect, type AddressInfo } from 'node:net';
import { ConfigError } from '../src/core/machine/types.js';
import type { NetBackend } from '../src/core/net/backend.js';
import { ETH_HLEN, ip, parseIpv4 } from '../src/core/net/packet.js';
import { ACK, PSH, SYN, type Segment } from '../src/core/net/tcp.js';
import { UserNet, GATEWAY_MAC } from '../src/core/net/user.js';
import { parseTcp, tcpFrame } from '../src/core/net/user-tcp.js';
import { NodeHostNet } from '../src/host/node/net/host-net.js';
import { openNetdev, parseHostFwd, parseNetdev } from '../src/host/node/net/netdev.js';
import { FrameReader, lengthPrefixed } from '../src/host/node/net/socket.js';
import { GMAC } from './support/fake-hostnet.js';

const GUEST = ip('10.0.2.15');
const GW = ip('10.0.2.2');

const until = async (cond: () => boolean, ms = 3000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

test('-netdev / -nic parsing', () => {
  const u = parseNetdev('-netdev', 'user,id=n0,hostfwd=tcp::8080-:80,hostfwd=tcp:127.0.0.1:2222-10.0.2.15:22,restrict=on');
  assert.equal(u.spec.type, 'user');
  if (u.spec.type !== 'user') return;
  assert.equal(u.spec.id, 'n0');
  assert.equal(u.spec.restrict, true);
  assert.deepEqual(u.spec.hostfwd, [
    { hostAddr: '', hostPort: 8080, guestAddr: 0, guestPort: 80 },
    { hostAddr: '127.0.0.1', hostPort: 2222, guestAddr: ip('10.0.2.15'), guestPort: 22 },
  ]);
  const n = parseNetdev('-nic', 'user,mac=02:11:22:33:44:55,model=virtio-net-device', { defaultId: '__nic0' });
  assert.equal(n.spec.id, '__nic0');
  assert.deepEqual(n.mac, Uint8Array.of(2, 0x11, 0x22, 0x33, 0x44, 0x55));
  assert.deepEqual(parseNetdev('-netdev', 'socket,id=s,listen=:1234').spec, { type: 'socket', id: 's', mode: 'listen', addr: ['', 1234] });
  assert.deepEqual(parseNetdev('-netdev', 'stream,id=s,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port=99').spec,
    { type: 'socket', id: 's', mode: 'connect', addr: ['127.0.0.1', 99] });
  assert.deepEqual(parseNetdev('-netdev', 'dgram,id=d,remote.type=inet,remote.host=127.0.0.1,remote.port=5,local.host=127.0.0.1,local.port=6').spec,
    { type: 'socket', id: 'd', mode: 'udp', addr: ['127.0.0.1', 5], local: ['127.0.0.1', 6] });
  for (const bad of ['user', 'user,id=a,hostfwd=tcp::80', 'user,id=a,hostfwd=udp::1-:2', 'user,id=a,bogus=1', 'vde,id=a',
    'socket,id=a', 'user,id=a,hostfwd=tcp::70000-:1', 'tap,id=t,ifname=tap0,script=/etc/qemu-ifup', 'socket,id=m,mcast=10.0.0.1:1234', 'user,id=a,restrict=maybe']) {
    assert.throws(() => parseNetdev('-netdev', bad), ConfigError, bad);
  }
  assert.throws(() => parseNetdev('-nic', 'user,mac=01:00:00:00:00:01', { defaultId: 'x' }), /mac/);
  assert.throws(() => parseHostFwd('x', 'tcp::1-192.168.1.1:2'), /guest address/);
});

test('hostfwd on a port in use: one-line ConfigError', async () => {
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  const port = (busy.address() as AddressInfo).port;
  try {
    const spec = parseNetdev('-netdev', `user,id=n,hostfwd=tcp:127.0.0.1:${port}-:80`).spec;
    await assert.rejects(openNetdev(spec, () => {}), (e: Error) => e instanceof ConfigError && !e.message.includes('\n') &&
      e.message.includes(`tcp:127.0.0.1:${port}-:80`) && e.message.includes('in use'));
  } finally {
    busy.close();
  }
});

test('stream framing: 4-byte big-endian lengths, split reads, bad length', () => {
  const got: Uint8Array[] = [];
  const r = new FrameReader((f) => got.push(f));
  const a = lengthPrefixed(Uint8Array.of(1, 2, 3));
  const b = lengthPrefixed(new Uint8Array(100).fill(7));
  assert.deepEqual([...a.subarray(0, 4)], [0, 0, 0, 3]);
  const all = new Uint8Array([...a, ...b]);
  for (let i = 0; i < all.length; i += 7) r.push(all.subarray(i, i + 7));
  assert.deepEqual(got, [Uint8Array.of(1, 2, 3), new Uint8Array(100).fill(7)]);
  r.push(Uint8Array.of(0xff, 0, 0, 0));
  assert.ok(r.malformed);
});

async function pair(a: NetBackend, b: NetBackend): Promise<void> {
  const gotA: Uint8Array[] = [];
  const gotB: Uint8Array[] = [];
  a.setReceiver((f) => gotA.push(f));
  b.setReceiver((f) => gotB.push(f));
  const f1 = Uint8Array.from({ length: 60 }, (_, i) => i);
  const f2 = Uint8Array.from({ length: 1514 }, (_, i) => 255 - (i & 255));
  a.send(f1);
  a.send(f2);
  b.send(f2);
  await until(() => gotB.length === 2 && gotA.length === 1);
  assert.deepEqual(gotB, [f1, f2]);
  assert.deepEqual(gotA, [f2]);
}

test('-netdev socket listen/connect and dgram exchange frames on loopback', async () => {
  const port = await freePort();
  const l = await openNetdev(parseNetdev('-netdev', `socket,id=a,listen=127.0.0.1:${port}`).spec, () => {});
  const c = await openNetdev(parseNetdev('-netdev', `stream,id=b,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port=${port}`).spec, () => {});
  try {
    // The listener sees its peer once accepted; give it a moment.
    await new Promise((r) => setTimeout(r, 50));
    await pair(c, l);
  } finally {
    await c.close?.();
    await l.close?.();
  }
  const p1 = await freePort();
  const p2 = await freePort();
  const d1 = await openNetdev(parseNetdev('-netdev', `dgram,id=x,remote.host=127.0.0.1,remote.port=${p2},local.host=127.0.0.1,local.port=${p1}`).spec, () => {});
  const d2 = await openNetdev(parseNetdev('-netdev', `socket,id=y,udp=127.0.0.1:${p1},localaddr=127.0.0.1:${p2}`).spec, () => {});
  try {
    await pair(d1, d2);
  } finally {
    await d1.close?.();
    await d2.close?.();
  }
  const refused = await freePort();
  await assert.rejects(openNetdev(parseNetdev('-netdev', `socket,id=z,connect=127.0.0.1:${refused}`).spec, () => {}), ConfigError);
});

test('user networking over real sockets: guest TCP to 10.0.2.2 reaches a 127.0.0.1 server; hostfwd into the guest', async () => {
  let serverGot = '';
  const server = createServer((s) => {
    s.on('error', () => {});
    s.on('data', (d) => {
      serverGot += d.toString();
      s.end('pong');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const fwdPort = await freePort();
  const net = new UserNet(new NodeHostNet(), { hostfwd: [{ hostAddr: '127.0.0.1', hostPort: fwdPort, guestAddr: 0, guestPort: 80 }] });
  await net.start();
  const out: (Segment & { sport: number; dport: number })[] = [];
  net.setReceiver((f) => {
    const p = parseIpv4(f, ETH_HLEN);
    if (typeof p !== 'string') { const s = parseTcp(f, p); if (s) out.push({ ...s, data: s.data.slice() }); }
  });
  const g = (sport: number, dport: number, s: Partial<Segment>): void => net.send(tcpFrame(GATEWAY_MAC, GMAC, GUEST, sport, GW, dport,
    { seq: 0, ack: 0, flags: 0, wnd: 65535, data: new Uint8Array(0), mss: 0, ...s }));
  try {
    g(40000, port, { seq: 100, flags: SYN });
    await until(() => out.length > 0);
    const sa = out.shift()!;
    assert.equal(sa.flags, SYN | ACK);
    g(40000, port, { seq: 101, ack: sa.seq + 1, flags: ACK | PSH, data: new TextEncoder().encode('ping') });
    await until(() => out.some((s) => s.data.length > 0) && out.some((s) => s.flags & 1));
    assert.equal(serverGot, 'ping');
    assert.equal(new TextDecoder().decode(out.find((s) => s.data.length > 0)!.data), 'pong');

    // hostfwd: a host client connects to fwdPort; the guest side answers on port 80.
    out.length = 0;
    let clientGot = '';
    const client = connect({ host: '127.0.0.1', port: fwdPort });
    client.on('data', (d) => { clientGot += d.toString(); });
    client.on('error', () => {});
    client.write('hello guest');
    await until(() => out.length > 0);
    const syn = out.shift()!;
    assert.equal(syn.flags, SYN);
    assert.equal(syn.dport, 80);
    g(80, syn.sport, { seq: 7000, ack: syn.seq + 1, flags: SYN | ACK });
    await until(() => out.some((s) => s.data.length > 0));
    assert.equal(new TextDecoder().decode(out.find((s) => s.data.length > 0)!.data), 'hello guest');
    g(80, syn.sport, { seq: 7001, ack: syn.seq + 12, flags: ACK | PSH, data: new TextEncoder().encode('hi host') });
    await until(() => clientGot === 'hi host');
    client.destroy();
  } finally {
    net.close();
    server.close();
  }
});

test('NodeHostNet resolves localhost to 127.0.0.1', async () => {
  const r = await new NodeHostNet().resolve('localhost');
  assert.ok(r.includes('127.0.0.1'), String(r));
});

test('command line: -netdev + -device virtio-net-device, -nic, errors; a busy hostfwd port is one line and exit 1', async () => {
  const { parseArgs } = await import('../src/host/node/cli/options.js');
  const r = parseArgs(['-netdev', 'user,id=n1', '-device', 'virtio-net-device,netdev=n1,mac=02:00:00:00:00:01', '-nic', 'user,restrict=on']);
  assert.equal(r.action, 'run');
  if (r.action !== 'run') return;
  assert.deepEqual(r.options.devices.map((d) => d.type), ['net', 'net']);
  assert.deepEqual(r.options.netdevs.map((n) => n.id), ['n1', '__nic1']);
  assert.equal(parseArgs(['-nic', 'none']).action, 'run');
  for (const [argv, re] of [
    [['-device', 'virtio-net-device,netdev=nope'], /can't find value 'nope'/],
    [['-device', 'virtio-net-device'], /netdev' is required/],
    [['-netdev', 'user,id=a', '-device', 'virtio-net-device,netdev=a', '-device', 'virtio-net-device,netdev=a'], /in use/],
    [['-netdev', 'user,id=a', '-netdev', 'user,id=a'], /Duplicate ID/],
    [['-netdev', 'user,id=a', '-device', 'virtio-net-device,netdev=a,mac=zz'], /mac/],
  ] as [string[], RegExp][]) {
    assert.throws(() => parseArgs(argv), re, argv.join(' '));
  }
  const help = parseArgs(['-device', 'help']);
  assert.ok(help.action === 'print' && help.text.includes('virtio-net-device'));

  const { SYSTEM, IMAGE } = await import('./support/guest.js');
  const busy = createServer();
  await new Promise<void>((res) => busy.listen(0, '127.0.0.1', res));
  const port = (busy.address() as AddressInfo).port;
  try {
    const run = await new Promise<{ status: number | null; stderr: string }>((res) => {
      import('node:child_process').then(({ execFile }) => execFile(process.execPath,
        [SYSTEM, '-M', 'virt', '-nographic', '-kernel', IMAGE, '-nic', `user,hostfwd=tcp:127.0.0.1:${port}-:80`],
        { timeout: 30_000 }, (err, _out, stderr) => res({ status: err ? (err as { code?: number }).code ?? null : 0, stderr })));
    });
    assert.equal(run.status, 1);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, new RegExp(`could not set up host forwarding rule 'tcp:127.0.0.1:${port}-:80': Address already in use`));
  } finally {
    busy.close();
  }
});
