/**
 * Socket network backends, with QEMU's wire formats so tsvm and QEMU guests can share a link:
 * `-netdev socket,listen=/connect=` and `-netdev stream` send each Ethernet frame as a 4-byte
 * big-endian length followed by the frame; `-netdev socket,udp=` and `-netdev dgram` send one frame
 * per datagram. A listening backend serves one peer at a time; frames are dropped while no peer
 * is connected (as a cable that is not plugged in).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import type { NetBackend } from '../../../core/net/backend.js';
import { ConfigError } from '../../../core/machine/types.js';

export interface SocketNetdev {
  mode: 'listen' | 'connect' | 'udp' | 'mcast';
  /** listen: local address; connect/udp: the peer. '' host = every address (listen) or localhost. */
  addr: [string, number];
  /** udp: local address to bind; mcast: the interface address (localaddr=), port unused. */
  local?: [string, number];
}

/** Largest frame accepted from a peer (a length above this ends the connection as malformed). */
const MAX_STREAM_FRAME = 65536 + 18;

/** Splits a byte stream into length-prefixed frames. */
export class FrameReader {
  private buf = new Uint8Array(0);
  malformed = false;
  constructor(private readonly onFrame: (f: Uint8Array) => void) {}
  push(d: Uint8Array): void {
    const b = new Uint8Array(this.buf.length + d.length);
    b.set(this.buf);
    b.set(d, this.buf.length);
    let o = 0;
    while (b.length - o >= 4) {
      const len = ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
      if (len > MAX_STREAM_FRAME) {
        this.malformed = true;
        this.buf = new Uint8Array(0);
        return;
      }
      if (b.length - o - 4 < len) break;
      this.onFrame(b.slice(o + 4, o + 4 + len));
      o += 4 + len;
    }
    this.buf = b.slice(o);
  }
}

export function lengthPrefixed(frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + frame.length);
  new DataView(out.buffer).setUint32(0, frame.length);
  out.set(frame, 4);
  return out;
}

class StreamBackend implements NetBackend {
  private receiver: (f: Uint8Array) => void = () => {};
  private peer: Socket | undefined;
  server: Server | undefined;
  dropped = 0;

  constructor(private readonly warn: (m: string) => void) {}

  attach(sock: Socket): void {
    if (this.peer) {
      sock.destroy(); // one peer at a time
      return;
    }
    this.peer = sock;
    sock.setNoDelay(true);
    const reader = new FrameReader((f) => this.receiver(f));
    sock.on('data', (d: Buffer) => {
      reader.push(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
      if (reader.malformed) {
        this.warn('netdev socket: bad frame length from the peer; disconnecting');
        sock.destroy();
      }
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      if (this.peer === sock) this.peer = undefined;
    });
  }

  send(frame: Uint8Array): void {
    if (!this.peer || this.peer.destroyed) {
      this.dropped++;
      return;
    }
    this.peer.write(lengthPrefixed(frame));
  }

  setReceiver(cb: (f: Uint8Array) => void): void {
    this.receiver = cb;
  }

  close(): void {
    this.peer?.destroy();
    this.server?.close();
  }
}

class DgramBackend implements NetBackend {
  private receiver: (f: Uint8Array) => void = () => {};
  constructor(private readonly sock: UdpSocket, private readonly remote: [string, number]) {
    sock.on('message', (d) => this.receiver(new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice()));
    sock.on('error', () => {});
  }
  send(frame: Uint8Array): void {
    this.sock.send(frame, this.remote[1], this.remote[0] || '127.0.0.1', () => {});
  }
  setReceiver(cb: (f: Uint8Array) => void): void {
    this.receiver = cb;
  }
  close(): void {
    try { this.sock.close(); } catch { /* already closed */ }
  }
}

export async function openSocketNetdev(spec: SocketNetdev, warn: (m: string) => void): Promise<NetBackend> {
  const [host, port] = spec.addr;
  if (spec.mode === 'udp') {
    const sock = createSocket('udp4');
    const [lh, lp] = spec.local ?? ['', 0];
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind({ address: lh || undefined, port: lp }, () => { sock.removeListener('error', reject); resolve(); });
    });
    sock.unref();
    return new DgramBackend(sock, spec.addr);
  }
  if (spec.mode === 'mcast') {
    // QEMU's -netdev socket,mcast=: every member of the group sees every frame, one frame per datagram,
    // with multicast loopback on so that emulators on one host hear each other.
    const sock = createSocket({ type: 'udp4', reuseAddr: true });
    const iface = spec.local?.[0] || undefined;
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind({ port }, () => { sock.removeListener('error', reject); resolve(); });
    });
    try {
      sock.addMembership(host, iface);
      if (iface) sock.setMulticastInterface(iface);
      sock.setMulticastLoopback(true);
    } catch (e) {
      sock.close();
      throw new ConfigError(`could not join multicast group ${host}: ${(e as Error).message}`);
    }
    sock.unref();
    return new DgramBackend(sock, spec.addr);
  }
  const be = new StreamBackend(warn);
  if (spec.mode === 'listen') {
    const server = createServer((s) => be.attach(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: host || undefined, port }, () => { server.removeListener('error', reject); resolve(); });
    });
    server.on('error', () => {});
    server.unref();
    be.server = server;
    return be;
  }
  const sock = connect({ host, port });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.once('connect', () => { sock.removeListener('error', reject); resolve(); });
  });
  be.attach(sock);
  return be;
}
