/**
 * The TCP half of user-mode networking: parses and builds TCP segments (RFC 9293 §3.1), keeps the
 * connection table, opens host sockets for guest connections and accepts host connections for
 * `hostfwd` rules (each becomes a connection the emulator opens into the guest).
 */
import type { HostListener, HostNet, HostTcpSocket } from './host.js';
import { ETH_HLEN, IPPROTO_TCP, fold, ipv4Frame, pseudoSum, rd16, rd32, sum16, wr16, wr32, type Ipv4 } from './packet.js';
import { ACK, RST, SYN, TcpConn, type Segment } from './tcp.js';

/** What the TCP NAT needs from the rest of the stack. */
export interface TcpNatEnv {
  host: HostNet;
  /** Sends an IPv4 frame to the guest (the stack fills the MAC addresses). */
  toGuest(frame: Uint8Array): void;
  guestMac(): Uint8Array;
  gatewayMac: Uint8Array;
  /** Guest address as it sees itself (10.0.2.15). */
  guestIp: number;
  /** Host socket address for a guest destination, or undefined if it may not be reached (restrict=on). */
  hostAddress(dst: number, port: number): string | undefined;
  /** The guest-visible address a hostfwd connection comes from (10.0.2.2). */
  gatewayIp: number;
  count(what: string): void;
}

export interface HostFwd {
  hostAddr: string;
  hostPort: number;
  guestAddr: number;
  guestPort: number;
}

interface Entry {
  conn: TcpConn;
  remote: number;
  rport: number;
  guest: number;
  gport: number;
}

const TCP_HLEN = 20;

/** Parses the TCP header at `ip.off` (checksum verified); undefined if malformed. */
export function parseTcp(f: Uint8Array, ip: Ipv4): (Segment & { sport: number; dport: number }) | undefined {
  if (ip.len < TCP_HLEN) return undefined;
  const o = ip.off;
  const doff = (f[o + 12] >> 4) * 4;
  if (doff < TCP_HLEN || doff > ip.len) return undefined;
  if (fold(sum16(f, o, ip.len, pseudoSum(ip.src, ip.dst, IPPROTO_TCP, ip.len))) !== 0) return undefined;
  let mss = 0;
  // §3.2: options (kinds 0 end, 1 no-op, 2 MSS); others are skipped by their length.
  for (let i = o + TCP_HLEN; i < o + doff;) {
    const kind = f[i];
    if (kind === 0) break;
    if (kind === 1) { i++; continue; }
    const len = f[i + 1];
    if (len < 2 || i + len > o + doff) return undefined;
    if (kind === 2 && len === 4) mss = rd16(f, i + 2);
    i += len;
  }
  return {
    sport: rd16(f, o), dport: rd16(f, o + 2), seq: rd32(f, o + 4), ack: rd32(f, o + 8), flags: f[o + 13] & 0x3f,
    wnd: rd16(f, o + 14), data: f.subarray(o + doff, o + ip.len), mss,
  };
}

/** Builds a TCP segment from `src:sport` to `dst:dport` in an Ethernet frame. */
export function tcpFrame(dstMac: Uint8Array, srcMac: Uint8Array, src: number, sport: number, dst: number, dport: number, s: Segment): Uint8Array {
  const hlen = TCP_HLEN + (s.mss ? 4 : 0);
  const len = hlen + s.data.length;
  const f = ipv4Frame(dstMac, srcMac, src, dst, IPPROTO_TCP, len);
  const o = ETH_HLEN + 20;
  wr16(f, o, sport);
  wr16(f, o + 2, dport);
  wr32(f, o + 4, s.seq);
  wr32(f, o + 8, s.ack);
  f[o + 12] = (hlen / 4) << 4;
  f[o + 13] = s.flags;
  wr16(f, o + 14, s.wnd);
  if (s.mss) {
    f[o + 20] = 2;
    f[o + 21] = 4;
    wr16(f, o + 22, s.mss);
  }
  f.set(s.data, o + hlen);
  wr16(f, o + 16, fold(sum16(f, o, len, pseudoSum(src, dst, IPPROTO_TCP, len))));
  return f;
}

export class TcpNat {
  private readonly conns = new Map<string, Entry>();
  private readonly listeners: HostListener[] = [];
  private nextPort = 49152;

  constructor(private readonly env: TcpNatEnv) {}

  /** hostfwd listeners bound so far. */
  get listening(): number {
    return this.listeners.length;
  }

  get size(): number {
    return this.conns.size;
  }

  /** Connection state by guest port and remote end (tests, diagnostics). */
  state(gport: number, remote: number, rport: number): string | undefined {
    return this.conns.get(`${gport}/${remote}:${rport}`)?.conn.state;
  }

  private iss(): number {
    // RFC 9293 §3.4.1 asks for unpredictable ISNs; the peer here is our own guest.
    return (Math.random() * 0x100000000) >>> 0;
  }

  private makeEnv(e: Omit<Entry, 'conn'>, key: string) {
    const env = this.env;
    return {
      emit: (s: Segment) => env.toGuest(tcpFrame(env.guestMac(), env.gatewayMac, e.remote, e.rport, e.guest, e.gport, s)),
      setTimer: (cb: () => void, ms: number) => env.host.setTimer(cb, ms),
      clearTimer: (h: unknown) => env.host.clearTimer(h),
      closed: () => {
        if (this.conns.get(key)?.conn.state === 'CLOSED') this.conns.delete(key);
      },
    };
  }

  /** A TCP segment from the guest. */
  input(f: Uint8Array, ip: Ipv4): void {
    const s = parseTcp(f, ip);
    if (!s) return this.env.count('tcp-malformed');
    const key = `${s.sport}/${ip.dst}:${s.dport}`;
    const e = this.conns.get(key);
    if (e) {
      // RFC 9293 §3.10.7.4 (TIME-WAIT): a new SYN may reopen the connection; here it starts a new one.
      if (e.conn.state !== 'TIME-WAIT' || (s.flags & (SYN | ACK | RST)) !== SYN) return e.conn.input(s);
      e.conn.abort(false);
    }
    if (s.flags & RST) return;
    const reset = (): void => {
      // RFC 9293 §3.10.7.1: no connection. <SEQ=SEG.ACK><CTL=RST>, or <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
      const segLen = s.data.length + (s.flags & SYN ? 1 : 0) + (s.flags & 1 ? 1 : 0);
      const r: Segment = s.flags & ACK
        ? { seq: s.ack, ack: 0, flags: RST, wnd: 0, data: new Uint8Array(0), mss: 0 }
        : { seq: 0, ack: (s.seq + segLen) >>> 0, flags: RST | ACK, wnd: 0, data: new Uint8Array(0), mss: 0 };
      this.env.toGuest(tcpFrame(this.env.guestMac(), this.env.gatewayMac, ip.dst, s.dport, ip.src, s.sport, r));
    };
    if ((s.flags & (SYN | ACK)) !== SYN) return reset();
    const addr = this.env.hostAddress(ip.dst, s.dport);
    if (addr === undefined) {
      this.env.count('tcp-refused');
      return reset();
    }
    const base = { remote: ip.dst, rport: s.dport, guest: ip.src, gport: s.sport };
    const conn = new TcpConn(this.makeEnv(base, key), this.iss(), s);
    this.conns.set(key, { ...base, conn });
    conn.host = this.env.host.tcpConnect(addr, s.dport, conn);
  }

  /** Starts listening for a hostfwd rule; rejects when the host port cannot be bound. */
  async addHostFwd(r: HostFwd): Promise<void> {
    const l = await this.env.host.tcpListen(r.hostAddr, r.hostPort, (sock) => this.accept(sock, r));
    this.listeners.push(l);
  }

  private accept(sock: HostTcpSocket, r: HostFwd): TcpConn | undefined {
    let rport = 0;
    for (let i = 0; i < 16384; i++) {
      const p = this.nextPort;
      this.nextPort = p >= 65535 ? 49152 : p + 1;
      if (!this.conns.has(`${r.guestPort}/${this.env.gatewayIp}:${p}`)) {
        rport = p;
        break;
      }
    }
    if (rport === 0) return undefined;
    const guest = r.guestAddr || this.env.guestIp;
    const key = `${r.guestPort}/${this.env.gatewayIp}:${rport}`;
    const base = { remote: this.env.gatewayIp, rport, guest, gport: r.guestPort };
    sock.pause();
    const entry = { ...base } as Entry;
    this.conns.set(key, entry);
    entry.conn = new TcpConn(this.makeEnv(base, key), this.iss());
    entry.conn.host = sock;
    return entry.conn;
  }

  close(): void {
    for (const l of this.listeners.splice(0)) l.close();
    for (const e of [...this.conns.values()]) e.conn.abort(false);
    this.conns.clear();
  }
}
