/**
 * The TCP NAT (RFC 9293) on crafted segments: handshake, data both ways, retransmission, windows,
 * FIN teardown both ways, RST for refused and unknown connections, hostfwd, restrict=on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GATEWAY_MAC } from '../src/core/net/user.js';
import { ETH_HLEN, ip, ipText, parseIpv4 } from '../src/core/net/packet.js';
import { ACK, FIN, PSH, RST, SYN, type Segment } from '../src/core/net/tcp.js';
import { parseTcp, tcpFrame } from '../src/core/net/user-tcp.js';
import { GMAC, stack } from './support/fake-hostnet.js';

const GUEST = ip('10.0.2.15');
const GW = ip('10.0.2.2');
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

type Out = Segment & { sport: number; dport: number; src: number; dst: number };

function seg(f: Uint8Array): Out {
  const p = parseIpv4(f, ETH_HLEN);
  assert.ok(typeof p !== 'string');
  const s = parseTcp(f, p);
  assert.ok(s, 'valid TCP with checksum');
  return { ...s, data: s.data.slice(), src: p.src, dst: p.dst };
}

function guestSeg(net: { send(f: Uint8Array): void }, sport: number, dst: number, dport: number, s: Partial<Segment>): void {
  net.send(tcpFrame(GATEWAY_MAC, GMAC, GUEST, sport, dst, dport,
    { seq: 0, ack: 0, flags: 0, wnd: 65535, data: new Uint8Array(0), mss: 0, ...s }));
}

/** A guest connection to 10.0.2.2:80, established. */
function connected() {
  const t = stack();
  const { net, host, out } = t;
  const g = (s: Partial<Segment>): void => guestSeg(net, 33000, GW, 80, s);
  g({ seq: 1000, flags: SYN, mss: 1400, wnd: 8000 });
  assert.equal(out.length, 0, 'no SYN-ACK before the host connect finishes');
  assert.equal(host.connects.length, 1);
  const h = host.connects[0];
  assert.equal(`${h.addr}:${h.port}`, '127.0.0.1:80');
  h.handlers!.onConnect();
  const sa = seg(out.shift()!);
  assert.equal(sa.flags, SYN | ACK);
  assert.equal(sa.ack, 1001);
  assert.equal(sa.mss, 1460);
  assert.equal(ipText(sa.src), '10.0.2.2');
  assert.equal(net.tcp.state(33000, GW, 80), 'SYN-RECEIVED');
  const iss = sa.seq;
  g({ seq: 1001, ack: iss + 1, flags: ACK, wnd: 8000 });
  assert.equal(net.tcp.state(33000, GW, 80), 'ESTABLISHED');
  return { ...t, g, h, iss: iss + 1 };
}

test('TCP: handshake, data both ways, MSS and window respected', () => {
  const { net, out, g, h, iss } = connected();
  g({ seq: 1001, ack: iss, flags: ACK | PSH, data: enc('GET / HTTP/1.0\r\n\r\n'), wnd: 8000 });
  assert.equal(h.text(), 'GET / HTTP/1.0\r\n\r\n');
  assert.equal(seg(out.shift()!).ack, 1001 + 18);
  // 10000 bytes from the host: at most the guest's 8000-byte window, in 1400-byte (its MSS) segments.
  const body = Uint8Array.from({ length: 10000 }, (_, i) => i & 0xff);
  h.handlers!.onData(body);
  const segs = out.splice(0).map(seg);
  assert.deepEqual(segs.map((s) => s.data.length), [1400, 1400, 1400, 1400, 1400, 1000]);
  assert.equal(segs[0].seq, iss);
  g({ seq: 1019, ack: iss + 8000, flags: ACK, wnd: 8000 });
  const rest = out.splice(0).map(seg);
  assert.deepEqual(rest.map((s) => s.data.length), [1400, 600]);
  const all = new Uint8Array([...segs, ...rest].flatMap((s) => [...s.data]));
  assert.deepEqual(all, body);
  g({ seq: 1019, ack: iss + 10000, flags: ACK, wnd: 8000 });
  assert.equal(out.length, 0);
  assert.equal(net.tcp.state(33000, GW, 80), 'ESTABLISHED');
});

test('TCP: unacknowledged data is retransmitted on a doubling timer; out-of-order data is re-ACKed', () => {
  const { out, g, h, host, iss } = connected();
  h.handlers!.onData(enc('hello'));
  assert.equal(dec(seg(out.shift()!).data), 'hello');
  host.advance(1000);
  const r1 = seg(out.shift()!);
  assert.equal(r1.seq, iss);
  assert.equal(dec(r1.data), 'hello');
  host.advance(1500);
  assert.equal(out.length, 0, 'RTO doubled to 2 s');
  host.advance(500);
  assert.equal(dec(seg(out.shift()!).data), 'hello');
  g({ seq: 1001, ack: iss + 5, flags: ACK });
  host.advance(10_000);
  assert.equal(out.length, 0, 'acknowledged: no more retransmissions');
  g({ seq: 1005, ack: iss + 5, flags: ACK, data: enc('later') });
  assert.equal(h.written.length, 0, 'a segment beyond RCV.NXT is not delivered');
  assert.equal(seg(out.shift()!).ack, 1001, 'duplicate ACK');
  g({ seq: 1001, ack: iss + 5, flags: ACK, data: enc('abcd') });
  g({ seq: 1001, ack: iss + 5, flags: ACK, data: enc('abcdef') }); // overlaps: only "ef" is new
  assert.equal(h.text(), 'abcdef');
});

test('TCP: zero window is probed, host back-pressure closes our window', () => {
  const { out, g, h, host, iss } = connected();
  g({ seq: 1001, ack: iss, flags: ACK, wnd: 0 });
  h.handlers!.onData(enc('xyz'));
  assert.equal(out.length, 0, 'nothing sent into a zero window');
  host.advance(1000);
  const probe = seg(out.shift()!);
  assert.equal(probe.data.length, 1);
  g({ seq: 1001, ack: iss + 1, flags: ACK, wnd: 100 });
  assert.equal(dec(seg(out.shift()!).data), 'yz');
  h.full = true;
  g({ seq: 1001, ack: iss + 3, flags: ACK | PSH, data: enc('data') });
  assert.equal(seg(out.shift()!).wnd, 0, 'host buffer full: window 0');
  h.handlers!.onDrain();
  assert.equal(seg(out.shift()!).wnd, 65535, 'window update');
});

test('TCP: guest closes first (FIN → CLOSE-WAIT → LAST-ACK → CLOSED)', () => {
  const { net, out, g, h, iss } = connected();
  g({ seq: 1001, ack: iss, flags: FIN | ACK });
  assert.ok(h.ended, 'FIN reaches the host as end()');
  assert.equal(seg(out.shift()!).ack, 1002);
  assert.equal(net.tcp.state(33000, GW, 80), 'CLOSE-WAIT');
  h.handlers!.onData(enc('bye'));
  h.handlers!.onEnd();
  const d = seg(out.shift()!);
  const fin = seg(out.shift()!);
  assert.equal(dec(d.data), 'bye');
  assert.equal(fin.flags, FIN | ACK);
  assert.equal(fin.seq, iss + 3);
  assert.equal(net.tcp.state(33000, GW, 80), 'LAST-ACK');
  g({ seq: 1002, ack: iss + 4, flags: ACK });
  assert.equal(net.tcp.state(33000, GW, 80), undefined);
  assert.equal(net.tcp.size, 0);
  assert.ok(!h.destroyed, 'a graceful close does not reset the host socket');
});

test('TCP: host closes first (FIN-WAIT-1 → FIN-WAIT-2 → TIME-WAIT → CLOSED)', () => {
  const { net, out, g, h, host, iss } = connected();
  h.handlers!.onEnd();
  const fin = seg(out.shift()!);
  assert.equal(fin.flags, FIN | ACK);
  assert.equal(net.tcp.state(33000, GW, 80), 'FIN-WAIT-1');
  g({ seq: 1001, ack: iss + 1, flags: ACK });
  assert.equal(net.tcp.state(33000, GW, 80), 'FIN-WAIT-2');
  g({ seq: 1001, ack: iss + 1, flags: ACK | PSH, data: enc('last words') });
  assert.equal(h.text(), 'last words');
  out.length = 0;
  g({ seq: 1011, ack: iss + 1, flags: FIN | ACK });
  assert.equal(seg(out.shift()!).ack, 1012);
  assert.equal(net.tcp.state(33000, GW, 80), 'TIME-WAIT');
  g({ seq: 1011, ack: iss + 1, flags: FIN | ACK }); // retransmitted FIN: ACKed again
  assert.equal(seg(out.shift()!).ack, 1012);
  guestSeg(net, 33000, GW, 80, { seq: 90000, flags: SYN }); // port reused during TIME-WAIT: a new connection
  assert.equal(host.connects.length, 2);
  assert.equal(net.tcp.state(33000, GW, 80), 'CONNECTING');
  host.connects[1].handlers!.onError(true);
  assert.equal(net.tcp.size, 0);
});

test('TCP: TIME-WAIT ends after its timer', () => {
  const { net, out, g, h, host, iss } = connected();
  h.handlers!.onEnd();
  g({ seq: 1001, ack: iss + 1, flags: FIN | ACK });
  assert.equal(net.tcp.state(33000, GW, 80), 'TIME-WAIT');
  assert.ok(out.length > 0);
  host.advance(5000);
  assert.equal(net.tcp.size, 0);
});

test('TCP: RST from the guest destroys the host socket; host error sends RST', () => {
  const a = connected();
  a.g({ seq: 1001, flags: RST });
  assert.ok(a.h.destroyed);
  assert.equal(a.net.tcp.size, 0);
  const b = connected();
  b.g({ seq: 5, flags: RST });
  assert.equal(b.net.tcp.size, 1, 'a reset outside the window is ignored');
  b.h.handlers!.onError(false);
  const r = seg(b.out.shift()!);
  assert.ok(r.flags & RST);
  assert.equal(b.net.tcp.size, 0);
});

test('TCP: refused host connect → RST,ACK; segment without connection → RST; bad checksum dropped', () => {
  const { net, host, out } = stack();
  guestSeg(net, 33001, GW, 81, { seq: 77, flags: SYN });
  host.connects[0].handlers!.onError(true);
  const r = seg(out.shift()!);
  assert.equal(r.flags, RST | ACK);
  assert.equal(r.ack, 78);
  assert.equal(net.tcp.size, 0);
  guestSeg(net, 33002, GW, 80, { seq: 5, ack: 999, flags: ACK });
  const r2 = seg(out.shift()!);
  assert.equal(r2.flags, RST);
  assert.equal(r2.seq, 999);
  const f = tcpFrame(GATEWAY_MAC, GMAC, GUEST, 1, GW, 2, { seq: 0, ack: 0, flags: SYN, wnd: 1, data: new Uint8Array(0), mss: 0 });
  f[f.length - 1] ^= 0xff;
  net.send(f);
  assert.equal(net.drops['tcp-malformed'], 1);
});

test('TCP: the host connect timing out after SYN retransmissions keeps one connection', () => {
  const { net, host } = stack();
  guestSeg(net, 33003, GW, 80, { seq: 1, flags: SYN });
  guestSeg(net, 33003, GW, 80, { seq: 1, flags: SYN });
  assert.equal(host.connects.length, 1);
});

test('hostfwd: host connection → SYN into the guest, data both ways; guest RST closes the host side', async () => {
  const { net, host, out } = stack({ hostfwd: [{ hostAddr: '127.0.0.1', hostPort: 5555, guestAddr: 0, guestPort: 80 }] });
  await net.start();
  assert.equal(host.listens[0].port, 5555);
  const h = host.connectTo(0);
  assert.ok(h.paused, 'host socket paused until the guest accepts');
  const syn = seg(out.shift()!);
  assert.equal(syn.flags, SYN);
  assert.equal(ipText(syn.dst), '10.0.2.15');
  assert.equal(syn.dport, 80);
  assert.equal(ipText(syn.src), '10.0.2.2');
  host.advance(1000);
  assert.equal(seg(out.shift()!).flags, SYN, 'SYN retransmitted');
  const g = (s: Partial<Segment>): void => guestSeg(net, 80, GW, syn.sport, s);
  g({ seq: 500, ack: syn.seq + 1, flags: SYN | ACK, mss: 1460 });
  assert.equal(seg(out.shift()!).ack, 501);
  assert.equal(net.tcp.state(80, GW, syn.sport), 'ESTABLISHED');
  assert.ok(!h.paused);
  h.handlers!.onData(enc('GET /'));
  assert.equal(dec(seg(out.shift()!).data), 'GET /');
  g({ seq: 501, ack: syn.seq + 6, flags: ACK | PSH, data: enc('200 OK') });
  assert.equal(h.text(), '200 OK');
  g({ seq: 507, flags: RST });
  assert.ok(h.destroyed);
  // A guest that refuses: RST,ACK to our SYN.
  const h2 = host.connectTo(0);
  const syn2 = seg(out.splice(0).map((x) => x).pop()!);
  guestSeg(net, 80, GW, syn2.sport, { seq: 0, ack: syn2.seq + 1, flags: RST | ACK });
  assert.ok(h2.destroyed);
  assert.equal(net.tcp.size, 0);
  net.close();
  assert.ok(host.listens[0].closed);
});

test('hostfwd: a port in use rejects start()', async () => {
  const { net, host } = stack({ hostfwd: [{ hostAddr: '', hostPort: 6000, guestAddr: 0, guestPort: 22 }] });
  host.busyPorts.add(6000);
  await assert.rejects(net.start(), /EADDRINUSE/);
});

test('restrict=on: a guest SYN is answered with RST', () => {
  const { net, host, out } = stack({ restrict: true });
  guestSeg(net, 33000, GW, 80, { seq: 1, flags: SYN });
  assert.equal(host.connects.length, 0);
  assert.equal(seg(out.shift()!).flags, RST | ACK);
});

test('TCP: random segments (valid checksums) never throw and leave a consistent table', () => {
  const { net, out, host } = connected();
  let seed = 99;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  for (let i = 0; i < 5000; i++) {
    const sport = 33000 + rnd(3);
    guestSeg(net, sport, GW, 80, {
      seq: rnd(2) ? 1001 + rnd(100) : rnd(0x7fffffff) * 2, ack: rnd(0x7fffffff) * 2, flags: rnd(64), wnd: rnd(65536),
      data: new Uint8Array(rnd(3) === 0 ? rnd(2000) : 0), mss: rnd(4) === 0 ? rnd(65536) : 0,
    });
    if (rnd(10) === 0) for (const c of host.connects) c.handlers?.onConnect();
    if (rnd(20) === 0) for (const c of host.connects) c.handlers?.onData(new Uint8Array(rnd(5000)));
    if (rnd(50) === 0) host.advance(rnd(5000));
    out.length = 0;
  }
  host.advance(600_000);
  for (const c of host.connects) c.handlers?.onError(false);
  host.advance(600_000);
  assert.equal(net.tcp.size, 0);
});
