/**
 * The built-in DHCP server (RFC 2131, options from RFC 2132): one guest, one address. DISCOVER
 * gets an OFFER, REQUEST for that address (or with no address) an ACK, any other REQUEST a NAK.
 */
import { rd32, wr16, wr32 } from './packet.js';

export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;
const MAGIC = 0x63825363;
/** RFC 2131 §2: the fixed part before the options (236 bytes) plus the magic cookie. */
const FIXED = 240;
/** Option 53 message types. */
export const DHCPDISCOVER = 1;
export const DHCPOFFER = 2;
export const DHCPREQUEST = 3;
export const DHCPDECLINE = 4;
export const DHCPACK = 5;
export const DHCPNAK = 6;
export const DHCPRELEASE = 7;
export const DHCPINFORM = 8;

export interface DhcpConfig {
  server: number;
  client: number;
  mask: number;
  router: number;
  dns: number;
  leaseSeconds: number;
}

export interface DhcpRequest {
  type: number;
  xid: number;
  flags: number;
  ciaddr: number;
  chaddr: Uint8Array;
  /** Option 50, requested IP address. */
  requested?: number;
  /** Option 54, server identifier. */
  serverId?: number;
}

/** Parses a client message; undefined if malformed or not a BOOTREQUEST on Ethernet. */
export function parseDhcp(p: Uint8Array): DhcpRequest | undefined {
  if (p.length < FIXED || p[0] !== 1 || p[1] !== 1 || p[2] !== 6 || rd32(p, 236) !== MAGIC) return undefined;
  const r: DhcpRequest = { type: 0, xid: rd32(p, 4), flags: (p[10] << 8) | p[11], ciaddr: rd32(p, 12), chaddr: p.slice(28, 34) };
  let i = FIXED;
  while (i < p.length) {
    const code = p[i++];
    if (code === 0) continue;
    if (code === 255) break;
    if (i >= p.length) return undefined;
    const len = p[i++];
    if (i + len > p.length) return undefined;
    if (code === 53 && len === 1) r.type = p[i];
    else if (code === 50 && len === 4) r.requested = rd32(p, i);
    else if (code === 54 && len === 4) r.serverId = rd32(p, i);
    i += len;
  }
  return r.type === 0 ? undefined : r;
}

/** The reply payload for `req`, or undefined when none is due (RELEASE, DECLINE, another server's REQUEST). */
export function dhcpReply(req: DhcpRequest, cfg: DhcpConfig): Uint8Array | undefined {
  let type: number;
  switch (req.type) {
    case DHCPDISCOVER: type = DHCPOFFER; break;
    case DHCPREQUEST: {
      // RFC 2131 §4.3.2: SELECTING names a server; a REQUEST for another server is not ours.
      if (req.serverId !== undefined && req.serverId !== cfg.server) return undefined;
      const want = req.requested ?? req.ciaddr;
      type = want === 0 || want === cfg.client ? DHCPACK : DHCPNAK;
      break;
    }
    case DHCPINFORM: type = DHCPACK; break;
    default: return undefined;
  }
  const opts: number[] = [53, 1, type, 54, 4, ...be32(cfg.server)];
  if (type !== DHCPNAK) {
    if (req.type !== DHCPINFORM) opts.push(51, 4, ...be32(cfg.leaseSeconds));
    opts.push(1, 4, ...be32(cfg.mask), 3, 4, ...be32(cfg.router), 6, 4, ...be32(cfg.dns));
  }
  opts.push(255);
  const out = new Uint8Array(FIXED + opts.length);
  out[0] = 2; // BOOTREPLY
  out[1] = 1;
  out[2] = 6;
  wr32(out, 4, req.xid);
  wr16(out, 10, req.flags & 0x8000);
  if (req.type === DHCPINFORM) wr32(out, 12, req.ciaddr);
  if (type !== DHCPNAK && req.type !== DHCPINFORM) wr32(out, 16, cfg.client);
  wr32(out, 20, cfg.server);
  out.set(req.chaddr, 28);
  wr32(out, 236, MAGIC);
  out.set(opts, FIXED);
  return out;
}

function be32(v: number): number[] {
  return [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
}
