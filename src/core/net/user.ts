/**
 * User-mode networking ("slirp"-style, as QEMU's `-netdev user`): a virtual 10.0.2.0/24 network
 * behind a NAT, all in the emulator, with host sockets as the way out. The guest sees
 *   10.0.2.2  the gateway / the host (connections to it go to the host's 127.0.0.1),
 *   10.0.2.3  the DNS server (answered through the host resolver),
 *   10.0.2.15 its own address, handed out by the built-in DHCP server.
 * Protocols: ARP (RFC 826), IPv4 (RFC 791, no fragments), ICMP echo to the gateway (RFC 792), UDP
 * (RFC 768) NAT, DHCP (RFC 2131), DNS (RFC 1035), TCP NAT (user-tcp.ts). Malformed frames are
 * dropped and counted in `drops`; nothing a guest sends raises a host exception.
 */
import type { NetBackend } from './backend.js';
import type { HostNet, HostUdpSocket } from './host.js';
import { DHCP_CLIENT_PORT, DHCP_SERVER_PORT, dhcpReply, parseDhcp } from './dhcp.js';
import { DNS_PORT, RCODE_FORMERR, RCODE_NOERROR, RCODE_NOTIMP, RCODE_NXDOMAIN, TYPE_A, CLASS_IN, dnsAnswer, parseDnsQuery } from './dns.js';
import {
  BROADCAST_MAC, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETH_HLEN, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, checksum, fold, ip,
  ipText, ipv4Frame, parseIp, parseIpv4, pseudoSum, rd16, rd32, sum16, udpFrame, wr16, wr32, type Ipv4,
} from './packet.js';
import { TcpNat, type HostFwd } from './user-tcp.js';

export interface UserNetOptions {
  /** restrict=on: the guest cannot reach the host or the outside (hostfwd still works). */
  restrict?: boolean;
  hostfwd?: HostFwd[];
}

export const NET = ip('10.0.2.0');
export const MASK = ip('255.255.255.0');
export const GATEWAY = ip('10.0.2.2');
export const DNS = ip('10.0.2.3');
export const GUEST = ip('10.0.2.15');
/** QEMU's slirp uses 52:55:0a:00:02:02 for its own addresses. */
export const GATEWAY_MAC = Uint8Array.of(0x52, 0x55, 0x0a, 0x00, 0x02, 0x02);
const LOOPBACK = ip('127.0.0.1');
const LEASE_SECONDS = 86400;
/** A UDP mapping unused this long is closed. */
const UDP_IDLE_MS = 60_000;

interface UdpMap {
  sock: HostUdpSocket;
  guestPort: number;
  lastUse: number;
}

export class UserNet implements NetBackend {
  /** Dropped guest frames by reason. */
  readonly drops: Record<string, number> = {};
  private receiver: (frame: Uint8Array) => void = () => {};
  private guestMac: Uint8Array = BROADCAST_MAC;
  private readonly udp = new Map<number, UdpMap>();
  private udpSweep: unknown;
  readonly tcp: TcpNat;
  private closed = false;

  constructor(private readonly host: HostNet, private readonly opts: UserNetOptions = {}) {
    this.tcp = new TcpNat({
      host,
      toGuest: (f) => this.deliver(f),
      guestMac: () => this.guestMac,
      gatewayMac: GATEWAY_MAC,
      guestIp: GUEST,
      gatewayIp: GATEWAY,
      hostAddress: (dst) => this.hostAddress(dst),
      count: (w) => this.count(w),
    });
  }

  /** Binds the hostfwd ports; rejects (with the host's error) if one is in use. */
  async start(): Promise<void> {
    for (const r of this.opts.hostfwd ?? []) await this.tcp.addHostFwd(r);
  }

  setReceiver(receive: (frame: Uint8Array) => void): void {
    this.receiver = receive;
  }

  close(): void {
    this.closed = true;
    this.tcp.close();
    for (const m of this.udp.values()) m.sock.close();
    this.udp.clear();
    if (this.udpSweep !== undefined) this.host.clearTimer(this.udpSweep);
  }

  private count(what: string): void {
    this.drops[what] = (this.drops[what] ?? 0) + 1;
  }

  private deliver(f: Uint8Array): void {
    if (!this.closed) this.receiver(f);
  }

  /** Where a guest destination goes on the host; undefined if nowhere. */
  private hostAddress(dst: number): string | undefined {
    if (this.opts.restrict) return undefined;
    if (dst === GATEWAY) return ipText(LOOPBACK);
    if ((dst & MASK) === NET || dst >>> 24 === 127 || dst >>> 24 === 0 || dst >>> 28 >= 14) return undefined;
    return ipText(dst);
  }

  /** The guest-visible source of a host reply. */
  private guestVisible(addr: string): number | undefined {
    const a = parseIp(addr);
    if (a === undefined) return undefined;
    return a >>> 24 === 127 ? GATEWAY : a;
  }

  /** A frame from the guest. */
  send(f: Uint8Array): void {
    if (this.closed) return;
    if (f.length < ETH_HLEN) return this.count('short');
    const type = rd16(f, 12);
    if (f[6] & 1) return this.count('bad-source-mac');
    if (type === ETHERTYPE_ARP) return this.arp(f);
    if (type !== ETHERTYPE_IPV4) return this.count('ethertype');
    const p = parseIpv4(f, ETH_HLEN);
    if (typeof p === 'string') return this.count(`ipv4-${p}`);
    this.guestMac = f.slice(6, 12);
    if (p.proto === IPPROTO_UDP) this.udpInput(f, p);
    else if (p.proto === IPPROTO_TCP) {
      if (p.src !== GUEST) return this.count('tcp-source');
      this.tcp.input(f, p);
    } else if (p.proto === IPPROTO_ICMP) this.icmp(f, p);
    else this.count('protocol');
  }

  /** RFC 826: answer requests for the gateway and DNS addresses. */
  private arp(f: Uint8Array): void {
    const o = ETH_HLEN;
    if (f.length < o + 28 || rd16(f, o) !== 1 || rd16(f, o + 2) !== ETHERTYPE_IPV4 || f[o + 4] !== 6 || f[o + 5] !== 4) {
      return this.count('arp-malformed');
    }
    const op = rd16(f, o + 6);
    const spa = rd32(f, o + 14);
    const tpa = rd32(f, o + 24);
    if (spa === GUEST) this.guestMac = f.slice(o + 8, o + 14);
    if (op !== 1 || (tpa !== GATEWAY && tpa !== DNS)) return;
    const r = new Uint8Array(ETH_HLEN + 28);
    r.set(f.subarray(o + 8, o + 14), 0);
    r.set(GATEWAY_MAC, 6);
    wr16(r, 12, ETHERTYPE_ARP);
    r.set(f.subarray(o, o + 6), o); // htype, ptype, hlen, plen
    wr16(r, o + 6, 2);
    r.set(GATEWAY_MAC, o + 8);
    wr32(r, o + 14, tpa);
    r.set(f.subarray(o + 8, o + 18), o + 18); // target = the requester's hardware and protocol address
    this.deliver(r);
  }

  /** RFC 792: echo replies from the gateway and DNS addresses; anything else is dropped. */
  private icmp(f: Uint8Array, p: Ipv4): void {
    if (p.len < 8 || checksum(f, p.off, p.len) !== 0) return this.count('icmp-malformed');
    if (f[p.off] !== 8 || (p.dst !== GATEWAY && p.dst !== DNS)) return this.count('icmp-unhandled');
    const r = ipv4Frame(this.guestMac, GATEWAY_MAC, p.dst, p.src, IPPROTO_ICMP, p.len);
    const o = ETH_HLEN + 20;
    r.set(f.subarray(p.off, p.off + p.len), o);
    r[o] = 0; // echo reply
    wr16(r, o + 2, 0);
    wr16(r, o + 2, checksum(r, o, p.len));
    this.deliver(r);
  }

  private udpInput(f: Uint8Array, p: Ipv4): void {
    if (p.len < 8) return this.count('udp-malformed');
    const o = p.off;
    const len = rd16(f, o + 4);
    if (len < 8 || len > p.len) return this.count('udp-malformed');
    if (rd16(f, o + 6) !== 0 && fold(sum16(f, o, len, pseudoSum(p.src, p.dst, IPPROTO_UDP, len))) !== 0) {
      return this.count('udp-checksum');
    }
    const sport = rd16(f, o);
    const dport = rd16(f, o + 2);
    const data = f.subarray(o + 8, o + len);
    if (dport === DHCP_SERVER_PORT && (p.dst === 0xffffffff || p.dst === GATEWAY)) return this.dhcp(data);
    if (p.src !== GUEST) return this.count('udp-source');
    if (p.dst === DNS) {
      if (dport === DNS_PORT && !this.opts.restrict) void this.dns(data, sport);
      else this.count('udp-unreachable');
      return;
    }
    const addr = this.hostAddress(p.dst);
    if (addr === undefined) return this.count('udp-unreachable');
    let m = this.udp.get(sport);
    if (!m) {
      const mm: UdpMap = {
        guestPort: sport,
        lastUse: this.host.now(),
        sock: this.host.udpOpen((d, fromAddr, fromPort) => {
          const from = this.guestVisible(fromAddr);
          if (from === undefined || this.closed) return;
          mm.lastUse = this.host.now();
          this.deliver(udpFrame(this.guestMac, GATEWAY_MAC, from, fromPort, GUEST, sport, d));
        }),
      };
      m = mm;
      this.udp.set(sport, m);
      this.sweepLater();
    }
    m.lastUse = this.host.now();
    m.sock.send(data.slice(), addr, dport);
  }

  private sweepLater(): void {
    if (this.udpSweep !== undefined || this.closed) return;
    this.udpSweep = this.host.setTimer(() => {
      this.udpSweep = undefined;
      const now = this.host.now();
      for (const [port, m] of this.udp) {
        if (now - m.lastUse >= UDP_IDLE_MS) {
          m.sock.close();
          this.udp.delete(port);
        }
      }
      if (this.udp.size > 0) this.sweepLater();
    }, UDP_IDLE_MS / 2);
  }

  private dhcp(data: Uint8Array): void {
    const req = parseDhcp(data);
    if (!req) return this.count('dhcp-malformed');
    const reply = dhcpReply(req, { server: GATEWAY, client: GUEST, mask: MASK, router: GATEWAY, dns: DNS, leaseSeconds: LEASE_SECONDS });
    if (!reply) return;
    // RFC 2131 §4.1: broadcast if the client asked for it, else unicast to chaddr / yiaddr.
    const bcast = (req.flags & 0x8000) !== 0;
    const mac = bcast ? BROADCAST_MAC : req.chaddr;
    const dst = bcast ? 0xffffffff : GUEST;
    this.deliver(udpFrame(mac, GATEWAY_MAC, GATEWAY, DHCP_SERVER_PORT, dst, DHCP_CLIENT_PORT, reply));
  }

  private async dns(data: Uint8Array, sport: number): Promise<void> {
    const q = parseDnsQuery(data);
    if (!q) return this.count('dns-malformed');
    let answer: Uint8Array;
    if (q.opcode !== 0 || q.question.length === 0 && q.qtype !== -1) answer = dnsAnswer(q, RCODE_NOTIMP);
    else if (q.qtype === -1) answer = dnsAnswer(q, RCODE_FORMERR);
    else if (q.qtype !== TYPE_A || q.qclass !== CLASS_IN) answer = dnsAnswer(q, RCODE_NOERROR);
    else {
      let addrs: number[] = [];
      try {
        addrs = (await this.host.resolve(q.name)).map(parseIp).filter((a): a is number => a !== undefined)
          .map((a) => (a >>> 24 === 127 ? GATEWAY : a));
      } catch {
        addrs = [];
      }
      answer = dnsAnswer(q, addrs.length > 0 ? RCODE_NOERROR : RCODE_NXDOMAIN, addrs);
    }
    this.deliver(udpFrame(this.guestMac, GATEWAY_MAC, DNS, DNS_PORT, GUEST, sport, answer));
  }
}
