/**
 * Byte-level helpers for the user-mode network stack: the Internet checksum (RFC 1071), Ethernet
 * (IEEE 802.3 / RFC 894) and IPv4 (RFC 791) headers, and the TCP/UDP pseudo-header (RFC 768,
 * RFC 9293 §3.1). Addresses are numbers (IPv4, host order) or 6-byte arrays (MAC).
 */

export const ETH_HLEN = 14;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const BROADCAST_MAC = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

export const rd16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];
export const rd32 = (b: Uint8Array, o: number): number => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
export function wr16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}
export function wr32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** Dotted quad → number. */
export function ip(text: string): number {
  const p = text.split('.').map(Number);
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

export function ipText(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** Parses a dotted quad strictly; undefined if it is not one. */
export function parseIp(text: string): number | undefined {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) return undefined;
  const p = text.split('.').map(Number);
  return p.every((x) => x <= 255) ? ip(text) : undefined;
}

/** RFC 1071: one's complement sum of 16-bit words, starting from `sum`, unfolded. */
export function sum16(b: Uint8Array, off: number, len: number, sum = 0): number {
  let i = off;
  const end = off + len;
  for (; i + 1 < end; i += 2) sum += (b[i] << 8) | b[i + 1];
  if (i < end) sum += b[i] << 8;
  return sum;
}

/** Folds a sum and complements it: the value stored in a checksum field. */
export function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

export function checksum(b: Uint8Array, off: number, len: number): number {
  return fold(sum16(b, off, len));
}

/** Sum of the IPv4 pseudo-header (RFC 768 / RFC 9293 §3.1). */
export function pseudoSum(src: number, dst: number, proto: number, len: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + len;
}

/** A parsed IPv4 packet inside a frame. */
export interface Ipv4 {
  src: number;
  dst: number;
  proto: number;
  ttl: number;
  /** Offset of the payload in the frame, and its length. */
  off: number;
  len: number;
}

/** Why parseIpv4 refused a packet (for the drop counters). */
export type Ipv4Error = 'short' | 'version' | 'checksum' | 'length' | 'fragment';

/** RFC 791 §3.1: validates the header at `off`; returns the packet or the reason it is bad. */
export function parseIpv4(f: Uint8Array, off: number): Ipv4 | Ipv4Error {
  if (f.length < off + 20) return 'short';
  const vihl = f[off];
  const ihl = (vihl & 15) * 4;
  if (vihl >> 4 !== 4 || ihl < 20) return 'version';
  if (f.length < off + ihl) return 'short';
  if (checksum(f, off, ihl) !== 0) return 'checksum';
  const total = rd16(f, off + 2);
  if (total < ihl || off + total > f.length) return 'length';
  // More Fragments set or a nonzero fragment offset: no reassembly here.
  if (rd16(f, off + 6) & 0x3fff) return 'fragment';
  return { src: rd32(f, off + 12), dst: rd32(f, off + 16), proto: f[off + 9], ttl: f[off + 8], off: off + ihl, len: total - ihl };
}

let ipId = 1;

/**
 * Builds an Ethernet frame holding an IPv4 packet with `payloadLen` bytes of payload (DF set,
 * TTL 64, header checksum filled). The caller writes the payload at the returned offset ETH_HLEN+20.
 */
export function ipv4Frame(dstMac: Uint8Array, srcMac: Uint8Array, src: number, dst: number, proto: number, payloadLen: number): Uint8Array {
  const f = new Uint8Array(ETH_HLEN + 20 + payloadLen);
  f.set(dstMac, 0);
  f.set(srcMac, 6);
  wr16(f, 12, ETHERTYPE_IPV4);
  const o = ETH_HLEN;
  f[o] = 0x45;
  wr16(f, o + 2, 20 + payloadLen);
  wr16(f, o + 4, ipId);
  ipId = (ipId + 1) & 0xffff;
  wr16(f, o + 6, 0x4000);
  f[o + 8] = 64;
  f[o + 9] = proto;
  wr32(f, o + 12, src);
  wr32(f, o + 16, dst);
  wr16(f, o + 10, checksum(f, o, 20));
  return f;
}

/** RFC 768: a UDP datagram in an IPv4 frame, checksum filled. */
export function udpFrame(dstMac: Uint8Array, srcMac: Uint8Array, src: number, sport: number, dst: number, dport: number, data: Uint8Array): Uint8Array {
  const len = 8 + data.length;
  const f = ipv4Frame(dstMac, srcMac, src, dst, IPPROTO_UDP, len);
  const o = ETH_HLEN + 20;
  wr16(f, o, sport);
  wr16(f, o + 2, dport);
  wr16(f, o + 4, len);
  f.set(data, o + 8);
  const c = fold(sum16(f, o, len, pseudoSum(src, dst, IPPROTO_UDP, len)));
  wr16(f, o + 6, c === 0 ? 0xffff : c);
  return f;
}
