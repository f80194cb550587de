/**
 * User-mode networking on crafted frames: ARP, IPv4 checks, ICMP echo, DHCP, DNS, UDP NAT,
 * restrict=on, and garbage input. (TCP is in net-tcp.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GATEWAY_MAC } from '../src/core/net/user.js';
import {
  ETH_HLEN, IPPROTO_ICMP, IPPROTO_UDP, checksum, ip, ipText, ipv4Frame, parseIpv4, rd16, rd32, udpFrame, wr16, wr32,
} from '../src/core/net/packet.js';
import { parseDnsQuery } from '../src/core/net/dns.js';
import { GMAC, stack } from './support/fake-hostnet.js';

const GUEST = ip('10.0.2.15');
const GW = ip('10.0.2.2');
const DNS = ip('10.0.2.3');


function arpRequest(tpa: number, spa = GUEST): Uint8Array {
  const f = new Uint8Array(42);
  f.fill(0xff, 0, 6);
  f.set(GMAC, 6);
  wr16(f, 12, 0x0806);
  wr16(f, 14, 1); wr16(f, 16, 0x0800); f[18] = 6; f[19] = 4; wr16(f, 20, 1);
  f.set(GMAC, 22); wr32(f, 28, spa); wr32(f, 38, tpa);
  return f;
}

function udpPayload(f: Uint8Array): { src: number; dst: number; sport: number; dport: number; data: Uint8Array } {
  const p = parseIpv4(f, ETH_HLEN);
  assert.ok(typeof p !== 'string', `bad IPv4 in reply: ${String(p)}`);
  assert.equal(p.proto, IPPROTO_UDP);
  return { src: p.src, dst: p.dst, sport: rd16(f, p.off), dport: rd16(f, p.off + 2), data: f.slice(p.off + 8, p.off + p.len) };
}

test('ARP: the gateway and DNS addresses answer, others do not; malformed requests are counted', () => {
  const { net, out } = stack();
  net.send(arpRequest(GW));
  net.send(arpRequest(DNS));
  net.send(arpRequest(ip('10.0.2.77')));
  assert.equal(out.length, 2);
  const r = out[0];
  assert.deepEqual(r.subarray(0, 6), GMAC);
  assert.equal(rd16(r, 20), 2, 'reply');
  assert.deepEqual(r.subarray(22, 28), GATEWAY_MAC);
  assert.equal(rd32(r, 28), GW);
  assert.equal(rd32(r, 38), GUEST);
  assert.equal(rd32(out[1], 28), DNS);
  net.send(arpRequest(GW).subarray(0, 30));
  assert.equal(net.drops['arp-malformed'], 1);
});

test('IPv4: bad header checksum, fragments, truncation and unknown protocols are dropped and counted', () => {
  const { net, out } = stack();
  const good = (): Uint8Array => udpFrame(GATEWAY_MAC, GMAC, GUEST, 1000, GW, 7, Uint8Array.of(1, 2, 3));
  let f = good(); f[ETH_HLEN + 10] ^= 1; net.send(f);
  f = good(); f[ETH_HLEN + 6] = 0x20; wr16(f, ETH_HLEN + 10, 0); wr16(f, ETH_HLEN + 10, checksum(f, ETH_HLEN, 20)); net.send(f);
  net.send(good().subarray(0, 30));
  f = good(); f[ETH_HLEN] = 0x65; net.send(f);
  f = ipv4Frame(GATEWAY_MAC, GMAC, GUEST, GW, 99, 4); net.send(f);
  f = good(); f[ETH_HLEN + 20 + 7] ^= 0x55; net.send(f); // UDP checksum
  assert.deepEqual(out, []);
  assert.equal(net.drops['ipv4-checksum'], 1);
  assert.equal(net.drops['ipv4-fragment'], 1);
  assert.equal(net.drops['ipv4-short'], 1);
  assert.equal(net.drops['ipv4-version'], 1);
  assert.equal(net.drops['protocol'], 1);
  assert.equal(net.drops['udp-checksum'], 1);
});

test('ICMP echo to the gateway is answered (RFC 792)', () => {
  const { net, out } = stack();
  const data = Uint8Array.of(8, 0, 0, 0, 0x12, 0x34, 0, 1, ...new TextEncoder().encode('ping data'));
  wr16(data, 2, checksum(data, 0, data.length));
  const f = ipv4Frame(GATEWAY_MAC, GMAC, GUEST, GW, IPPROTO_ICMP, data.length);
  f.set(data, ETH_HLEN + 20);
  net.send(f);
  assert.equal(out.length, 1);
  const p = parseIpv4(out[0], ETH_HLEN);
  assert.ok(typeof p !== 'string');
  assert.equal(ipText(p.src), '10.0.2.2');
  assert.equal(out[0][p.off], 0, 'echo reply');
  assert.equal(checksum(out[0], p.off, p.len), 0);
  assert.deepEqual(out[0].subarray(p.off + 4), data.subarray(4));
  const bad = f.slice(); bad[ETH_HLEN + 25] ^= 1; net.send(bad);
  assert.equal(net.drops['icmp-malformed'], 1);
});

function dhcpMsg(type: number, extra: number[] = [], xid = 0x11223344): Uint8Array {
  const m = new Uint8Array(240 + 3 + extra.length + 1);
  m[0] = 1; m[1] = 1; m[2] = 6;
  wr32(m, 4, xid);
  m.set(GMAC, 28);
  wr32(m, 236, 0x63825363);
  m.set([53, 1, type, ...extra, 255], 240);
  return m;
}

function dhcpOptions(d: Uint8Array): Map<number, Uint8Array> {
  const o = new Map<number, Uint8Array>();
  for (let i = 240; i < d.length && d[i] !== 255;) { o.set(d[i], d.slice(i + 2, i + 2 + d[i + 1])); i += 2 + d[i + 1]; }
  return o;
}

test('DHCP: DISCOVER → OFFER, REQUEST → ACK of 10.0.2.15/24, wrong address → NAK (RFC 2131)', () => {
  const { net, out } = stack();
  const send = (m: Uint8Array): void => net.send(udpFrame(Uint8Array.of(255, 255, 255, 255, 255, 255), GMAC, 0, 68, 0xffffffff, 67, m));
  send(dhcpMsg(1));
  let r = udpPayload(out[0]);
  assert.equal(r.sport, 67); assert.equal(r.dport, 68);
  assert.equal(rd32(r.data, 4), 0x11223344);
  assert.equal(ipText(rd32(r.data, 16)), '10.0.2.15');
  let o = dhcpOptions(r.data);
  assert.equal(o.get(53)![0], 2);
  assert.equal(ipText(rd32(o.get(1)!, 0)), '255.255.255.0');
  assert.equal(ipText(rd32(o.get(3)!, 0)), '10.0.2.2');
  assert.equal(ipText(rd32(o.get(6)!, 0)), '10.0.2.3');
  assert.equal(ipText(rd32(o.get(54)!, 0)), '10.0.2.2');
  assert.ok(rd32(o.get(51)!, 0) > 0, 'lease');
  send(dhcpMsg(3, [50, 4, 10, 0, 2, 15, 54, 4, 10, 0, 2, 2]));
  r = udpPayload(out[1]);
  o = dhcpOptions(r.data);
  assert.equal(o.get(53)![0], 5, 'ACK');
  send(dhcpMsg(3, [50, 4, 10, 0, 2, 99]));
  assert.equal(dhcpOptions(udpPayload(out[2]).data).get(53)![0], 6, 'NAK');
  send(dhcpMsg(3, [50, 4, 10, 0, 2, 15, 54, 4, 10, 9, 9, 9]));
  assert.equal(out.length, 3, 'a REQUEST for another server gets no answer');
  send(dhcpMsg(1).subarray(0, 200));
  const bad = dhcpMsg(1); bad[241] = 40; send(bad);
  assert.equal(net.drops['dhcp-malformed'], 2);
});

function dnsQuery(name: string, qtype = 1, id = 0x4242): Uint8Array {
  const labels = name.split('.').flatMap((l) => [l.length, ...new TextEncoder().encode(l)]);
  const q = new Uint8Array(12 + labels.length + 5);
  wr16(q, 0, id); wr16(q, 2, 0x0100); wr16(q, 4, 1);
  q.set(labels, 12);
  wr16(q, 12 + labels.length + 1, qtype); wr16(q, 12 + labels.length + 3, 1);
  return q;
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

test('DNS at 10.0.2.3: A through the host resolver, NXDOMAIN, empty AAAA, FORMERR (RFC 1035)', async () => {
  const { net, host, out } = stack();
  host.names.set('example.test', ['93.184.216.34', '127.0.0.1']);
  const ask = (q: Uint8Array): void => net.send(udpFrame(GATEWAY_MAC, GMAC, GUEST, 5353, DNS, 53, q));
  ask(dnsQuery('example.test'));
  await settle();
  let r = udpPayload(out[0]);
  assert.equal(ipText(r.src), '10.0.2.3');
  assert.equal(r.dport, 5353);
  assert.equal(rd16(r.data, 0), 0x4242);
  assert.equal(rd16(r.data, 2) & 0x800f, 0x8000, 'response, NOERROR');
  assert.equal(rd16(r.data, 6), 2, 'two answers');
  const q = parseDnsQuery(dnsQuery('example.test'))!;
  const a0 = 12 + q.question.length;
  assert.equal(rd16(r.data, a0 + 2), 1, 'type A');
  assert.equal(ipText(rd32(r.data, a0 + 12)), '93.184.216.34');
  assert.equal(ipText(rd32(r.data, a0 + 28)), '10.0.2.2', 'host loopback is the gateway to the guest');
  ask(dnsQuery('nothing.test'));
  await settle();
  r = udpPayload(out[1]);
  assert.equal(rd16(r.data, 2) & 15, 3, 'NXDOMAIN');
  ask(dnsQuery('example.test', 28));
  await settle();
  r = udpPayload(out[2]);
  assert.equal(rd16(r.data, 2) & 15, 0);
  assert.equal(rd16(r.data, 6), 0, 'no AAAA records');
  const broken = dnsQuery('example.test'); broken[12] = 60;
  ask(broken);
  await settle();
  assert.equal(rd16(udpPayload(out[3]).data, 2) & 15, 1, 'FORMERR');
  ask(Uint8Array.of(1, 2, 3));
  await settle();
  assert.equal(net.drops['dns-malformed'], 1);
});

test('UDP NAT: to 10.0.2.2 goes to host 127.0.0.1, replies come back from 10.0.2.2; idle mappings close', () => {
  const { net, host, out } = stack();
  net.send(udpFrame(GATEWAY_MAC, GMAC, GUEST, 4000, GW, 9999, new TextEncoder().encode('hello')));
  net.send(udpFrame(GATEWAY_MAC, GMAC, GUEST, 4000, ip('192.0.2.1'), 53, Uint8Array.of(7)));
  assert.equal(host.udps.length, 1, 'one socket per guest port');
  assert.deepEqual(host.udps[0].sent.map((s) => `${s.addr}:${s.port}`), ['127.0.0.1:9999', '192.0.2.1:53']);
  host.udps[0].onMessage(new TextEncoder().encode('back'), '127.0.0.1', 9999);
  const r = udpPayload(out[0]);
  assert.equal(ipText(r.src), '10.0.2.2');
  assert.equal(r.sport, 9999);
  assert.equal(r.dport, 4000);
  assert.equal(new TextDecoder().decode(r.data), 'back');
  net.send(udpFrame(GATEWAY_MAC, GMAC, GUEST, 4001, ip('10.0.2.9'), 1, Uint8Array.of(1)));
  assert.equal(net.drops['udp-unreachable'], 1);
  host.advance(120_000);
  assert.ok(host.udps[0].closed);
});

test('restrict=on: no way out (UDP, DNS, TCP refused with RST), DHCP and ARP still work', () => {
  const { net, host, out } = stack({ restrict: true });
  net.send(udpFrame(GATEWAY_MAC, GMAC, GUEST, 4000, GW, 9999, Uint8Array.of(1)));
  net.send(udpFrame(GATEWAY_MAC, GMAC, GUEST, 4000, DNS, 53, dnsQuery('example.test')));
  assert.equal(host.udps.length, 0);
  assert.equal(net.drops['udp-unreachable'], 2);
  net.send(arpRequest(GW));
  assert.equal(out.length, 1);
});

test('garbage frames never throw', () => {
  const { net } = stack();
  let seed = 12345;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
  const templates = [arpRequest(GW), udpFrame(GATEWAY_MAC, GMAC, GUEST, 68, 0xffffffff, 67, dhcpMsg(1)),
    udpFrame(GATEWAY_MAC, GMAC, GUEST, 5, DNS, 53, dnsQuery('a.b'))];
  for (let i = 0; i < 3000; i++) {
    const t = templates[i % templates.length].slice(0, 14 + (rnd() * 7) % 400);
    for (let k = 0; k < 4; k++) t[14 + (rnd() * 13) % Math.max(1, t.length - 14)] = rnd();
    net.send(t);
  }
  for (let i = 0; i < 500; i++) net.send(Uint8Array.from({ length: rnd() }, rnd));
});
