/**
 * A scripted HostNet for user-mode networking tests: records connects, listens, UDP sends and
 * name lookups; timers run only when the test advances the clock.
 */
import { UserNet, type UserNetOptions } from '../../src/core/net/user.js';
import type { HostListener, HostNet, HostTcpHandlers, HostTcpSocket, HostUdpSocket } from '../../src/core/net/host.js';

export class FakeTcp implements HostTcpSocket {
  written: Uint8Array[] = [];
  ended = false;
  destroyed = false;
  paused = false;
  full = false;
  handlers: HostTcpHandlers | undefined;
  constructor(readonly addr: string, readonly port: number) {}
  write(d: Uint8Array): boolean { this.written.push(d.slice()); return !this.full; }
  end(): void { this.ended = true; }
  destroy(): void { this.destroyed = true; }
  pause(): void { this.paused = true; }
  resume(): void { this.paused = false; }
  text(): string { return this.written.map((d) => new TextDecoder().decode(d)).join(''); }
}

export class FakeUdp implements HostUdpSocket {
  sent: { data: Uint8Array; addr: string; port: number }[] = [];
  closed = false;
  constructor(readonly onMessage: (d: Uint8Array, addr: string, port: number) => void) {}
  send(data: Uint8Array, addr: string, port: number): void { this.sent.push({ data: data.slice(), addr, port }); }
  close(): void { this.closed = true; }
}

export class FakeHostNet implements HostNet {
  clock = 0;
  timers: { at: number; cb: () => void; id: number }[] = [];
  private nextId = 1;
  connects: FakeTcp[] = [];
  udps: FakeUdp[] = [];
  listens: { addr: string; port: number; accept: (s: HostTcpSocket, a: string, p: number) => HostTcpHandlers | undefined; closed: boolean }[] = [];
  names = new Map<string, string[]>();
  busyPorts = new Set<number>();

  tcpConnect(addr: string, port: number, handlers: HostTcpHandlers): HostTcpSocket {
    const s = new FakeTcp(addr, port);
    s.handlers = handlers;
    this.connects.push(s);
    return s;
  }

  async tcpListen(addr: string, port: number, accept: (s: HostTcpSocket, a: string, p: number) => HostTcpHandlers | undefined): Promise<HostListener> {
    if (this.busyPorts.has(port)) throw Object.assign(new Error(`listen EADDRINUSE: address already in use :${port}`), { code: 'EADDRINUSE' });
    const l = { addr, port, accept, closed: false };
    this.listens.push(l);
    return { close: () => { l.closed = true; } };
  }

  /** Simulates a host client connecting to listener `i`. */
  connectTo(i: number): FakeTcp {
    const s = new FakeTcp('127.0.0.1', 40000);
    s.handlers = this.listens[i].accept(s, '127.0.0.1', 40000);
    return s;
  }

  udpOpen(onMessage: (d: Uint8Array, addr: string, port: number) => void): HostUdpSocket {
    const u = new FakeUdp(onMessage);
    this.udps.push(u);
    return u;
  }

  async resolve(name: string): Promise<string[]> {
    const r = this.names.get(name);
    if (!r) throw new Error('ENOTFOUND');
    return r;
  }

  setTimer(cb: () => void, ms: number): unknown {
    const t = { at: this.clock + ms, cb, id: this.nextId++ };
    this.timers.push(t);
    return t.id;
  }

  clearTimer(h: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== h);
  }

  now(): number {
    return this.clock;
  }

  advance(ms: number): void {
    const end = this.clock + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const t = this.timers[0];
      if (!t || t.at > end) break;
      this.timers.shift();
      this.clock = t.at;
      t.cb();
    }
    this.clock = end;
  }
}

/** The guest's MAC in these tests (tsvm's default). */
export const GMAC = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);

/** A UserNet on a FakeHostNet; `out` collects the frames for the guest. */
export function stack(opts: UserNetOptions = {}): { net: UserNet; host: FakeHostNet; out: Uint8Array[] } {
  const host = new FakeHostNet();
  const net = new UserNet(host, opts);
  const out: Uint8Array[] = [];
  net.setReceiver((f) => out.push(f));
  return { net, host, out };
}
